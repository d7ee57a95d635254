// Where each line of the host emulator goes. stderr: the host-stderr log, and a failure when QEMU
// reports an error. stdout: split where lines arrived glued, demultiplexed to its level and guest,
// logged; console text is watched for failure and warning markers, agent events feed the collector,
// which types them (src/core/common/model/agent-events.ts; a malformed one is a warning, not data),
// and, from an rtos guest, its own failure lines. The planned fault of an isolation run (the victim
// guest's panic and VMM exit once L1 injected it) is recorded instead of failing the run. The
// collector's stage notes become stage events and move the run's state.
import type { EventSource, RunEvent } from '../../common/model/run-events.js';
import type { RunResults } from '../../common/model/run-results.js';
import type { ValidTopology } from '../../common/model/topology.js';
import type { RunCollector } from './collector.js';
import { demuxLine, failureMarker, splitGluedLine, warningMarker } from './demux.js';
import type { RunLifecycle } from './run-lifecycle.js';
import { srcKey, type RunLogs } from './run-logs.js';

/** How long a console failure waits before failing the run: the rest of a panic dump arrives for
 * the tail. */
export const FAILURE_GRACE_MS = 300;

export interface ConsoleRouterDeps {
  readonly topology: ValidTopology;
  readonly collector: RunCollector;
  readonly logs: Pick<RunLogs, 'console' | 'hostStderr'>;
  readonly lifecycle: Pick<RunLifecycle, 'fail' | 'setState'>;
  readonly emit: (e: RunEvent) => void;
  readonly now: () => number;
  /** Index of the planned fault's victim guest (isolation runs). */
  readonly victim: number | undefined;
}

const source = (level: 0 | 1 | 2, guest?: string): EventSource => ({ level, ...(guest ? { guest } : {}) });

export class ConsoleRouter {
  /** The stages reached, in order (results.json `stages`). */
  readonly stages: RunResults['stages'] = [];
  /** The planned victim's VMM exit as L1 relayed it. */
  victimExit: { code: number; atMs: number } | undefined;

  constructor(private readonly d: ConsoleRouterDeps) {}

  /** A custom image speaks no protocol: its '@{' lines are console text like the rest. */
  private readonly isCustom = (i: number): boolean => this.d.topology.guests[i]?.os === 'custom';

  /** The planned fault has been injected (L1's "fault" phase marker arrived). */
  private faultInjected(): boolean {
    return this.d.collector.iso.phases.some((p) => p.name === 'fault');
  }

  /** The planned victim, after its fault was injected. */
  private isPlannedFault(level: number, guest: number | undefined): boolean {
    return level === 2 && guest !== undefined && guest === this.d.victim && this.faultInjected();
  }

  /** One line of the emulator's stdout or stderr (SupervisedProcess onLine). */
  onLine(stream: 'stdout' | 'stderr', raw: string): void {
    const { collector, logs, lifecycle, emit } = this.d;
    const tm = this.d.now();
    if (stream === 'stderr') {
      const line = raw.replace(/\r/g, '');
      logs.hostStderr(tm, line);
      if (/^qemu-system-aarch64: (?!warning)/.test(line)) lifecycle.fail('vmm-error', `host emulator: ${line}`);
      return;
    }
    const parts = splitGluedLine(raw);
    if (parts.length > 1) {
      for (const part of parts) this.onLine(stream, part);
      return;
    }
    const d = demuxLine(raw, this.isCustom);
    const guest = collector.guestName(d.guest);
    const key = srcKey(d.level, guest);
    const shown = d.kind === 'text' ? d.text : raw.replace(/\r/g, '').replace(/^(?:1\|)?(?:2\.\d+\|)?/, '');
    logs.console(key, tm, shown);
    const src = source(d.level, guest);
    if (d.kind === 'text') {
      emit({ type: 'console', t: tm, source: src, line: d.text });
      const f = failureMarker(d.text);
      if (f && this.isPlannedFault(d.level, d.guest)) {
        // the planned fault: recorded, the run goes on (isolation (a))
        const g = d.guest!;
        if (!collector.iso.panicLines.has(g)) collector.iso.panicLines.set(g, { line: d.text.trim().slice(0, 200), atMs: tm });
      } else if (f) {
        const where = key === 'l0' ? 'L0' : key === 'l1' ? 'L1' : `guest ${key}`;
        setTimeout(() => lifecycle.fail(f.reason, `${f.reason === 'kernel-panic' ? 'kernel panic' : 'VMM error'} in ${where}: ${f.message}`, src), FAILURE_GRACE_MS);
      }
      const w = warningMarker(d.text);
      if (w) collector.warnings.push(`${key}: ${w}`);
      return;
    }
    emit({ type: 'agent', t: tm, source: src, name: d.name, data: d.data });
    // the agent event as the collector typed it (undefined: an rtos guest's own line, or malformed)
    const ev = collector.feedEvent(d, tm);
    if (d.level === 2 && guest !== undefined && this.d.topology.guests[d.guest ?? -1]?.os === 'rtos') {
      // the rtos guest's own failure lines (docs/rtos.md): an unplanned crash ends the run like a kernel panic
      if (d.name === 'panic' || d.name === 'fault') lifecycle.fail('kernel-panic', `rtos ${d.name} in guest ${guest}: ${JSON.stringify(d.data)}`, src);
      if (d.name === 'err') lifecycle.fail('infrastructure', `rtos guest ${guest} rejected its parameters or platform: ${String(d.data.m)}`, src);
    }
    if (ev?.e === 'vmexit' && this.isPlannedFault(d.level, d.guest)) {
      this.victimExit = { code: ev.rc, atMs: tm };
    } else if (ev?.e === 'vmexit' && ev.rc !== 0) {
      lifecycle.fail('vm-exit', `${d.level === 2 ? `guest ${guest ?? '?'}` : 'L1'} VMM exited with code ${ev.rc}`, src);
    }
    this.stageNotes(tm);
  }

  /** The collector's new stage notes: recorded, emitted, and the state moves they imply. */
  private stageNotes(tm: number): void {
    for (const n of this.d.collector.drainNotes()) {
      this.stages.push({ name: n.stage, atMs: tm, message: n.message });
      this.d.emit({ type: 'stage', t: tm, stage: n.stage, source: source(n.level, n.guest), ...(n.uptimeS !== undefined ? { uptimeS: n.uptimeS } : {}), message: n.message });
      if (n.stage === 'l1-init') this.d.lifecycle.setState('booted', 'guest hypervisor up');
      if (n.stage === 'all-ready') this.d.lifecycle.setState('running', 'all guests ready');
      if (n.stage === 'l1-done') this.d.lifecycle.setState('stopping');
    }
  }
}
