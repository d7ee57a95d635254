// A run's results in an editor tab: the HTML report's sections as components (verdicts, boot
// timeline, scheduling, latency, memory, parity, nested-virtualization evidence), and two runs side by
// side with every difference classified (run-compare.ts).
import type { BridgeResult, OpenedRunView } from '../../core/common/bridge/contract.js';
import { formatCheckHtml, REPORT_CHART_CSS, REPORT_SECTION_TITLES, reportSections, summaryLine } from '../../core/common/report/check-html.js';
import { formatCheckJunit } from '../../core/common/report/check-formats.js';
import { COMPARISON_CSS, compareRuns, formatComparisonHtml } from '../../core/common/report/run-compare.js';
import { fill, fmtMs, h, trustedHtml } from '../dom.js';

let cssAdded = false;
const addCss = (): void => {
  if (cssAdded) return;
  cssAdded = true;
  document.head.append(h('style', {}, REPORT_CHART_CSS), h('style', {}, COMPARISON_CSS));
};

/** Saves text as a file through the browser's download (both shells: no file system access needed). */
const download = (name: string, type: string, text: string): void => {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

const html = (tag: 'div' | 'section', content: string, attrs: Record<string, string> = {}): HTMLElement => {
  const el = h(tag, attrs);
  trustedHtml(el, content);
  return el;
};

/** What a results tab can ask the backend for (the deployment bundle of the run). */
export interface ResultsActions {
  exportBundle(images: boolean): Promise<BridgeResult<'bundle.export'>>;
  verifyBundle(path: string): Promise<BridgeResult<'bundle.verify'>>;
}

/** Export the run's deployment bundle into bundles/, then verify it; the outcome is shown in place. */
const bundleControls = (actions: ResultsActions): HTMLElement => {
  const images = h('input', { type: 'checkbox', 'data-testid': 'bundle-images', title: 'Include the guest images (~110 MB)' });
  const status = h('span', { class: 'empty', 'data-testid': 'bundle-status' });
  let last: string | undefined;
  const verify = h('button', { 'data-testid': 'verify-bundle', disabled: true }, 'Verify');
  const exportBtn = h('button', { 'data-testid': 'export-bundle', title: 'A reproducible deployment bundle (as `nestbed export --run`) in bundles/' }, 'Export bundle');
  exportBtn.addEventListener('click', () => {
    exportBtn.disabled = true;
    fill(status, 'exporting…');
    actions.exportBundle(images.checked).then(
      (r) => {
        last = r.path;
        verify.disabled = false;
        fill(status, `wrote ${r.path} (${(r.bytes / 1048576).toFixed(1)} MiB, ${r.entries} files, ${(r.ms / 1000).toFixed(1)} s)${r.warnings.length ? ` — ${r.warnings.join('; ')}` : ''}`);
      },
      (e: Error) => fill(status, h('span', { class: 'miss' }, `export failed: ${e.message}`)),
    ).finally(() => (exportBtn.disabled = false));
  });
  verify.addEventListener('click', () => {
    if (!last) return;
    fill(status, 'verifying…');
    actions.verifyBundle(last).then(
      (r) =>
        fill(
          status,
          r.ok
            ? h('span', { class: 'okv', 'data-ok': 'true' }, `✔ ${last}: ${r.files} files intact, topology ${r.topology ?? '?'} validates, signature ${r.signature}, images ${r.imagesIncluded ? 'included' : 'left out'}`)
            : h('span', { class: 'miss', 'data-ok': 'false' }, `✖ ${last}: ${r.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`),
        ),
      (e: Error) => fill(status, h('span', { class: 'miss' }, `verify failed: ${e.message}`)),
    );
  });
  return h('div', { class: 'history-actions' }, exportBtn, h('label', {}, images, ' with images'), verify, status);
};

export class ResultsView {
  readonly el: HTMLElement;

  constructor(run: OpenedRunView, actions?: ResultsActions) {
    addCss();
    const r = run.results;
    const meta = `${r.topology.name} · ${r.timing} timing · ${new Date(r.startedAt).toLocaleString()} · status ${r.status} · all ready ${fmtMs(r.allReadyMs)} · wall ${fmtMs(r.wallMs)} · ${r.launcher ? `launcher on ${r.launcher.host || 'an unnamed host'}` : `host QEMU RSS ${Math.round(r.host.qemuRssMaxKiB / 1024)} MiB`}`;
    const name = run.dir.split('/').at(-1) ?? 'run';
    const report = run.report;
    const exports = report
      ? h(
          'div',
          { class: 'history-actions' },
          h('button', { 'data-testid': 'export-html', title: 'The self-contained HTML report (as `nestbed report --format html`)', onclick: () => download(`${name}-report.html`, 'text/html', formatCheckHtml(report, r)) }, 'Export report (HTML)'),
          h('button', { 'data-testid': 'export-json', onclick: () => download(`${name}-check.json`, 'application/json', `${JSON.stringify(report, null, 2)}\n`) }, 'JSON'),
          h('button', { 'data-testid': 'export-junit', onclick: () => download(`${name}-junit.xml`, 'application/xml', formatCheckJunit(report)) }, 'JUnit'),
        )
      : undefined;
    const parts: HTMLElement[] = [h('h1', {}, `Run ${name}`), h('div', { class: 'meta' }, meta)];
    if (exports) parts.push(exports);
    if (actions) parts.push(bundleControls(actions));
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
