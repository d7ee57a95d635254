// The current run's stages with their host time, failures and the outcome, as they happen.
import type { SessionEvent } from '../../core/common/model/session-events.js';
import { fill, h } from '../dom.js';

export class RunProgress {
  readonly el = h('div', { class: 'progress', 'data-testid': 'run-progress' });

  constructor() {
    fill(this.el, h('span', {}), h('span', { class: 'empty' }, 'Run (F5) or Check (Ctrl+F5) the open topology: its stages appear here, its consoles below.'));
  }

  reset(mode: string, path: string): void {
    fill(this.el, h('span', { class: 't' }, '0.0 s'), h('span', {}, `${mode} ${path}`));
  }

  private row(t: number, text: string, cls = ''): void {
    this.el.append(h('span', { class: 't' }, `${(t / 1000).toFixed(1)} s`), h('span', { class: cls }, text));
    this.el.scrollTop = this.el.scrollHeight;
  }

  event(e: SessionEvent): void {
    switch (e.type) {
      case 'accepted':
        return this.row(e.t, `accepted: ${e.topologyName}, ${e.guests.length} guests, ${e.timing} timing → ${e.runDir}`);
      case 'stage':
        return this.row(e.t, e.message, 'stage');
      case 'state':
        return e.state === 'starting' ? undefined : this.row(e.t, `state: ${e.state}${e.detail && e.state !== 'failed' ? ` (${e.detail})` : ''}`);
      case 'failure':
        return this.row(e.t, `FAILED (${e.reason}): ${e.message}`, 'failure');
      case 'rejected':
        this.row(e.t, `${e.reason}: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`, 'failure');
        for (const d of e.diagnostics ?? []) this.row(e.t, `${d.line}:${d.column} ${d.code} ${d.message}`, 'failure');
        return;
      case 'verdict':
        return this.row(e.t, `verdict: ${e.report.success ? 'passed' : 'FAILED'} — ${Object.entries(e.report.summary).map(([k, v]) => `${v} ${k}`).join(', ')}`, e.report.success ? 'okv' : 'failure');
      case 'finished':
        return this.row(e.t, `${e.message} (exit ${e.exitCode})`, e.outcome === 'ok' ? 'okv' : 'failure');
      case 'console':
      case 'agent':
      case 'host-sample':
        return;
    }
  }
}
