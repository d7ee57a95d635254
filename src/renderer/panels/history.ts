// Run history of the current topology (runs/ in the workspace, newest first): open one, or tick two
// and compare them side by side.
import type { BridgeClient } from '../../core/common/bridge/client.js';
import type { RunSummaryView } from '../../core/common/bridge/contract.js';
import { fill, fmtMs, h } from '../dom.js';

export class HistoryPanel {
  readonly el = h('div', { 'data-testid': 'history' });
  private runs: RunSummaryView[] = [];
  private readonly picked = new Set<string>();
  private topology: string | undefined;

  constructor(private readonly actions: { open(r: RunSummaryView): void; compare(a: RunSummaryView, b: RunSummaryView): void }) {
    this.draw();
  }

  async load(client: BridgeClient, topology: string): Promise<void> {
    this.topology = topology;
    this.runs = (await client.call('runs.list', { topology })).runs;
    for (const d of [...this.picked]) if (!this.runs.some((r) => r.dir === d)) this.picked.delete(d);
    this.draw();
  }

  private draw(): void {
    if (!this.topology) return fill(this.el, h('p', { class: 'empty' }, 'Open a topology to see its runs.'));
    if (this.runs.length === 0) return fill(this.el, h('p', { class: 'empty' }, `No runs of ${this.topology} in runs/ yet.`));
    const picked = this.runs.filter((r) => this.picked.has(r.dir));
    const compare = h('button', { 'data-testid': 'compare', disabled: picked.length !== 2, onclick: () => picked.length === 2 && this.actions.compare(picked[1]!, picked[0]!) }, 'Compare');
    fill(
      this.el,
      h('div', { class: 'history-actions' }, compare, h('span', { class: 'empty' }, 'tick two runs (older = A)')),
      h(
        'ul',
        { class: 'history' },
        ...this.runs.map((r) => {
          const box = h('input', { type: 'checkbox', checked: this.picked.has(r.dir), title: 'Select for comparison' });
          box.addEventListener('click', (e) => {
            e.stopPropagation();
            if (box.checked) this.picked.add(r.dir);
            else this.picked.delete(r.dir);
            this.draw();
          });
          const verdict = r.success === undefined ? r.status : r.success ? 'passed' : 'FAILED';
          return h(
            'li',
            { 'data-dir': r.dir, onclick: () => this.actions.open(r), title: r.dir },
            box,
            h('span', {}, h('div', {}, r.name), h('div', { class: 'when' }, `${new Date(r.startedAt).toLocaleString()} · ${r.timing} · ready ${fmtMs(r.allReadyMs)}`)),
            h('span', { class: `verdict ${r.success === false || r.status !== 'ok' ? 'fail' : 'pass'}` }, verdict),
          );
        }),
      ),
    );
  }
}
