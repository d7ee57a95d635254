// A run's results in an editor tab: the HTML report's sections as components (verdicts, boot
// timeline, scheduling, latency, memory, parity, nested-virtualization evidence), and two runs side by
// side with every difference classified (run-compare.ts).
import type { OpenedRunView } from '../../core/common/bridge/contract.js';
import { REPORT_CHART_CSS, REPORT_SECTION_TITLES, reportSections, summaryLine } from '../../core/common/report/check-html.js';
import { COMPARISON_CSS, compareRuns, formatComparisonHtml } from '../../core/common/report/run-compare.js';
import { fmtMs, h, trustedHtml } from '../dom.js';

let cssAdded = false;
const addCss = (): void => {
  if (cssAdded) return;
  cssAdded = true;
  document.head.append(h('style', {}, REPORT_CHART_CSS), h('style', {}, COMPARISON_CSS));
};

const html = (tag: 'div' | 'section', content: string, attrs: Record<string, string> = {}): HTMLElement => {
  const el = h(tag, attrs);
  trustedHtml(el, content);
  return el;
};

export class ResultsView {
  readonly el: HTMLElement;

  constructor(run: OpenedRunView) {
    addCss();
    const r = run.results;
    const meta = `${r.topology.name} · ${r.timing} timing · ${new Date(r.startedAt).toLocaleString()} · status ${r.status} · all ready ${fmtMs(r.allReadyMs)} · wall ${fmtMs(r.wallMs)} · host QEMU RSS ${Math.round(r.host.qemuRssMaxKiB / 1024)} MiB`;
    const parts: HTMLElement[] = [h('h1', {}, `Run ${run.dir.split('/').at(-1)}`), h('div', { class: 'meta' }, meta)];
    if (!run.report) parts.push(h('p', { class: 'empty' }, 'No verdicts: the topology of this run no longer validates against the installed profiles.'));
    else {
      if (run.reportSource === 'judged') parts.push(h('p', { class: 'empty' }, 'Judged now, as `nestbed report` would (this run was made with Run, not Check: isolation checks are skipped).'));
      const s = reportSections(run.report, r);
      parts.push(html('div', summaryLine(run.report), { class: 'summary', 'data-testid': 'results-summary' }));
      for (const [key, title] of Object.entries(REPORT_SECTION_TITLES) as Array<[keyof typeof REPORT_SECTION_TITLES, string]>) {
        const content = s[key];
        if (!content) continue;
        parts.push(h('section', { 'data-section': key }, h('h2', {}, title), html('div', content)));
      }
    }
    this.el = h('div', { class: 'results nb-report', 'data-testid': 'results', 'data-run': run.dir }, ...parts);
  }
}

export class CompareView {
  readonly el: HTMLElement;

  constructor(a: { label: string; run: OpenedRunView }, b: { label: string; run: OpenedRunView }) {
    addCss();
    const c = compareRuns({ label: a.label, results: a.run.results, ...(a.run.report ? { report: a.run.report } : {}) }, { label: b.label, results: b.run.results, ...(b.run.report ? { report: b.run.report } : {}) });
    this.el = h('div', { class: 'results nb-report', 'data-testid': 'compare-view' }, h('h1', {}, `${a.label} ↔ ${b.label}`), html('div', formatComparisonHtml(c)));
  }
}
