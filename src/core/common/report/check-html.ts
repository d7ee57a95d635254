// Self-contained offline HTML report: no scripts, no external resources; charts are inline SVG.
// Every section is a pure function returning an HTML/SVG string, so the IDE's renderer can show
// them as components (with REPORT_CHART_CSS) and formatCheckHtml composes the same strings into
// the standalone page.
import type { CheckReport, CheckResult } from '../model/check-report.js';
import type { RunResults } from '../model/run-results.js';
import { showFigure } from './check-formats.js';
import { xmlEscape as esc } from './validation-formats.js';

const COLORS = { pass: '#1a7f37', fail: '#cf222e', warn: '#9a6700', inconclusive: '#0969da', skipped: '#6e7781' } as const;
const PHASE_COLORS = ['#8250df', '#0969da', '#1a7f37'];

const verdictBadge = (c: CheckResult): string => `<span class="badge" style="background:${COLORS[c.verdict]}">${c.verdict}</span>`;

/** "✔"/"✖" is the page's title; this is the line under it: the counts per verdict, coloured. */
export const summaryLine = (r: CheckReport): string => {
  const { pass, fail, warn, inconclusive, skipped } = r.summary;
  return `<div class="summary">${esc(r.command)} against ${esc(r.profile ?? 'no profile')} · timing <b>${esc(r.timing)}</b> · <span style="color:${COLORS.pass}">${pass} pass</span> · <span style="color:${COLORS.fail}">${fail} fail</span> · <span style="color:${COLORS.warn}">${warn} warn</span> · <span style="color:${COLORS.inconclusive}">${inconclusive} inconclusive</span> · ${skipped} skipped</div>`;
};

/** One row per check: verdict badge, id, guest, measured figure, budget and its source, message. */
export const verdictTable = (r: CheckReport): string => `
<table class="verdicts"><thead><tr><th>verdict</th><th>check</th><th>guest</th><th>measured</th><th>budget</th><th>message</th></tr></thead><tbody>
${r.checks
  .map(
    (c) =>
      `<tr class="${c.verdict}"><td>${verdictBadge(c)}${c.indicative ? ' <small>indicative</small>' : ''}</td><td>${esc(c.id)}</td><td>${esc(c.guest ?? '')}</td><td>${esc(showFigure(c.measured))}</td><td>${c.budget ? esc(`${c.budget.value} ${c.budget.unit}`) : ''}${c.budgetSource ? `<br><small>${esc(c.budgetSource)}</small>` : ''}</td><td>${esc(c.message)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;

interface Bar {
  readonly label: string;
  readonly segments: ReadonlyArray<{ from: number; to: number; label: string }>;
}

/** Boot timeline: one row per level/guest, phases as coloured segments on a shared host-time axis. A
 * launcher's run has no emulated L0 row: its axis is the launcher's clock. */
export const bootGantt = (results: RunResults): string => {
  const rows: Bar[] = [];
  const seg = (from: number | undefined, to: number | undefined, label: string) => (from !== undefined && to !== undefined && to >= from ? [{ from, to, label }] : []);
  if (!results.launcher) rows.push({ label: 'L0 server', segments: [...seg(0, results.l0.initMs, 'emulator start → init'), ...seg(results.l0.initMs, results.l0.readyMs, 'init → ready')] });
  rows.push({ label: results.launcher ? 'launcher' : 'L1 hypervisor', segments: [...seg(results.l1.vmStartMs, results.l1.initMs, 'VM start → init'), ...seg(results.l1.initMs, results.l1.readyMs, 'init → ready')] });
  for (const g of results.guests) {
    const b = g.boot;
    rows.push({
      label: g.name,
      segments: [...seg(b.vmStartMs, b.kernelStartMs ?? b.initMs, 'VM start → kernel'), ...seg(b.kernelStartMs, b.initMs, 'kernel → init'), ...seg(b.initMs, b.readyMs, 'init → ready')],
    });
  }
  const end = Math.max(1, results.allReadyMs ?? 0, ...rows.flatMap((r) => r.segments.map((s) => s.to)));
  const W = 760;
  const left = 120;
  const rowH = 26;
  const H = rows.length * rowH + 40;
  const x = (ms: number) => left + ((W - left - 10) * ms) / end;
  const ticks = Array.from({ length: 6 }, (_, i) => Math.round((end * i) / 5));
  const bars = rows
    .map((r, i) => {
      const y = 10 + i * rowH;
      const rects = r.segments
        .map((s, k) => `<rect x="${x(s.from).toFixed(1)}" y="${y}" width="${Math.max(1, x(s.to) - x(s.from)).toFixed(1)}" height="${rowH - 8}" fill="${PHASE_COLORS[k % PHASE_COLORS.length]}"><title>${esc(`${r.label}: ${s.label} ${(s.from / 1000).toFixed(2)}–${(s.to / 1000).toFixed(2)} s`)}</title></rect>`)
        .join('');
      return `<text x="${left - 6}" y="${y + rowH / 2}" text-anchor="end" class="lbl">${esc(r.label)}</text>${rects}`;
    })
    .join('\n');
  const axis = ticks.map((t) => `<line x1="${x(t)}" x2="${x(t)}" y1="6" y2="${H - 26}" class="grid"/><text x="${x(t)}" y="${H - 10}" text-anchor="middle" class="lbl">${(t / 1000).toFixed(1)} s</text>`).join('');
  const all = results.allReadyMs !== undefined ? `<line x1="${x(results.allReadyMs)}" x2="${x(results.allReadyMs)}" y1="4" y2="${H - 26}" stroke="#cf222e" stroke-dasharray="4 3"/><text x="${x(results.allReadyMs) - 4}" y="${H - 28}" text-anchor="end" class="lbl" fill="#cf222e">all ready ${(results.allReadyMs / 1000).toFixed(1)} s</text>` : '';
  return `<svg class="chart" id="boot-gantt" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="boot timeline">${axis}${bars}${all}</svg>
<p class="legend">${['VM start → kernel', 'kernel → init', 'init → ready'].map((l, i) => `<span style="background:${PHASE_COLORS[i]}"></span>${l}`).join(' ')} — ${results.launcher ? "the launcher's clock since its first event" : 'host wall time since the emulator started'} (timing: ${esc(results.timing)})</p>`;
};

/** One guest's cyclictest histogram (log2 buckets, log count) as a captioned figure. */
export const latencyHistogram = (name: string, h: ReadonlyArray<readonly [number, number]>, maxUs: number, timeBase: string): string => {
  const W = 360;
  const H = 180;
  const n = Math.max(1, h.length);
  const peak = Math.max(1, ...h.map(([, c]) => c));
  const bw = (W - 50) / n;
  const bars = h
    .map(([ub, c], i) => {
      const bh = c === 0 ? 0 : Math.max(1, ((H - 50) * Math.log10(c + 1)) / Math.log10(peak + 1));
      return `<rect x="${(40 + i * bw).toFixed(1)}" y="${(H - 30 - bh).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${bh.toFixed(1)}" fill="#0969da"><title>${c} wake-ups in [${ub / 2}, ${ub}) µs</title></rect><text x="${(40 + i * bw + bw / 2).toFixed(1)}" y="${H - 16}" text-anchor="middle" class="tick">${ub}</text>`;
    })
    .join('');
  return `<figure class="histogram"><svg class="chart latency" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency histogram ${esc(name)}">${bars}<text x="${W / 2}" y="${H - 2}" text-anchor="middle" class="lbl">latency bucket upper bound, µs (log count)</text></svg><figcaption>${esc(name)}: max ${maxUs} µs (${esc(timeBase)})</figcaption></figure>`;
};

/** The histogram of every guest that ran cyclictest, in topology order ('' when none did). */
export const latencyHistograms = (results: RunResults): string =>
  results.guests
    .filter((g) => g.workload?.cyclictest)
    .map((g) => latencyHistogram(g.name, g.workload!.cyclictest!.histogramLog2, g.workload!.cyclictest!.maxUs, g.workload!.cyclictest!.timeBase))
    .join('');

/** Per guest: its RAM, the memory in use at ready (coloured by the memory verdict), the VMM's RSS, the budget. */
export const memoryBars = (r: CheckReport, results: RunResults): string => {
  const rows = results.guests.map((g) => {
    const check = r.checks.find((c) => c.id === 'memory' && c.guest === g.name);
    return { name: g.name, used: (g.memory?.usedKiB ?? 0) / 1024, budget: check?.budget?.value, ram: g.memoryMiB, vmm: (g.vmmRssMaxKiB ?? 0) / 1024, verdict: check?.verdict ?? 'skipped' };
  });
  const W = 760;
  const left = 120;
  const rowH = 30;
  const H = rows.length * rowH + 30;
  const max = Math.max(1, ...rows.flatMap((x) => [x.used, x.budget ?? 0, x.ram, x.vmm]));
  const sx = (v: number) => ((W - left - 20) * v) / max;
  const body = rows
    .map((x, i) => {
      const y = 8 + i * rowH;
      const budget = x.budget !== undefined ? `<line x1="${left + sx(x.budget)}" x2="${left + sx(x.budget)}" y1="${y - 2}" y2="${y + 22}" stroke="#cf222e" stroke-width="2"><title>budget ${x.budget} MiB</title></line>` : '';
      return `<text x="${left - 6}" y="${y + 14}" text-anchor="end" class="lbl">${esc(x.name)}</text>
<rect x="${left}" y="${y}" width="${sx(x.ram).toFixed(1)}" height="20" fill="#d0d7de" class="track"><title>guest RAM ${x.ram} MiB</title></rect>
<rect x="${left}" y="${y + 4}" width="${sx(x.used).toFixed(1)}" height="12" fill="${COLORS[x.verdict]}"><title>in use at ready ${x.used.toFixed(1)} MiB</title></rect>
<rect x="${left}" y="${y + 17}" width="${sx(x.vmm).toFixed(1)}" height="3" fill="#8250df"><title>VMM RSS in L1 ${x.vmm.toFixed(0)} MiB</title></rect>${budget}`;
    })
    .join('\n');
  return `<svg class="chart" id="memory-bars" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="memory">${body}<text x="${left}" y="${H - 4}" class="lbl">0</text><text x="${W - 20}" y="${H - 4}" text-anchor="end" class="lbl">${max.toFixed(0)} MiB</text></svg>
<p class="legend"><span class="track-key"></span>guest RAM <span style="background:${COLORS.pass}"></span>in use at ready <span style="background:#8250df"></span>VMM RSS in L1 <span style="background:#cf222e"></span>budget</p>`;
};

/** ISA features: the ECU's against every guest's ('' without a parity.isa check that has details). */
export const parityTable = (r: CheckReport): string => {
  const rows = r.checks.filter((c) => c.id === 'parity.isa' && c.details);
  if (rows.length === 0) return '';
  const first = rows[0]!.details as { guestFeatures: string[]; ecuFeatures: string[] };
  const all = [...new Set([...first.ecuFeatures, ...rows.flatMap((c) => (c.details as { guestFeatures: string[] }).guestFeatures)])];
  const head = `<tr><th>feature</th><th>ECU</th>${rows.map((c) => `<th>${esc(c.guest ?? '')}</th>`).join('')}</tr>`;
  const body = all
    .map((f) => {
      const ecu = first.ecuFeatures.includes(f);
      const cells = rows.map((c) => {
        const seen = (c.details as { guestFeatures: string[] }).guestFeatures.includes(f);
        const cls = seen && ecu ? 'ok' : seen ? 'extra' : ecu ? 'missing' : '';
        return `<td class="${cls}">${seen ? '✔' : '–'}</td>`;
      });
      return `<tr><td><code>${esc(f)}</code></td><td>${ecu ? '✔' : '–'}</td>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="parity"><thead>${head}</thead><tbody>${body}</tbody></table><p class="legend"><span class="missing-key"></span>missing on the guest (fail) <span class="extra-key"></span>extra vs the ECU (warning)</p>`;
};

/** Observed rtos response times next to the analytic bounds of validate ('' without such rows). */
export const schedulingTable = (r: CheckReport): string => {
  const checks = r.checks.filter((c) => c.id === 'scheduling' && Array.isArray((c.details as { rows?: unknown } | undefined)?.rows));
  if (checks.length === 0) return '';
  const body = checks
    .flatMap((c) =>
      ((c.details as { rows: Array<{ name: string; deadlineUs: number; boundUs: number | null; observedMaxUs: number | null; observedP99Us: number | null; deadlineMisses: number | null; jobs: number | null; verdict: string }> }).rows).map(
        (x) => `<tr class="${x.verdict === 'within' && !x.deadlineMisses ? 'pass' : 'fail'}"><td>${esc(c.guest ?? '')}</td><td>${esc(x.name)}</td><td>${x.deadlineUs}</td><td>${x.boundUs ?? '∞'}</td><td>${x.observedMaxUs ?? '–'}</td><td>${x.observedP99Us ?? '–'}</td><td>${x.jobs ?? '–'}</td><td>${x.deadlineMisses ?? '–'}</td><td>${esc(x.verdict)}</td></tr>`,
      ),
    )
    .join('\n');
  return `<table class="sched"><thead><tr><th>guest</th><th>task</th><th>deadline µs</th><th>analytic bound µs</th><th>observed max µs</th><th>p99 µs</th><th>jobs</th><th>misses</th><th></th></tr></thead><tbody>${body}</tbody></table>`;
};

/** The KVM lines of L0's and L1's kernel logs ('' when neither logged any); of a launcher's run, its
 * host's (there is no emulated L0). */
export const nestedVirtualizationEvidence = (results: RunResults): string => {
  const host = results.timing === 'hardware' ? 'host' : 'L1';
  const lines = [...results.l0.kvmLog.map((l) => `L0: ${l}`), ...results.l1.kvmLog.map((l) => `${host}: ${l}`)];
  return lines.length > 0 ? `<pre class="kvm-log">${esc(lines.join('\n'))}</pre>` : '';
};

/** The standalone page's own rules (REPORT_CHART_CSS has the sections'). */
const PAGE_CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
small{color:#57606a}`;

/** The rules the sections' classes need, scoped to them (nothing styles a bare element), for the
 * renderer to include once next to the sections. Every colour that assumes a white page is a custom
 * property whose fallback is the standalone report's colour, so the report looks as before. On a
 * dark background the preset on the last line applies under `data-theme="dark"` (the IDE's theme
 * attribute, src/renderer/styles.css) or class `nb-dark` on an ancestor; or set the properties
 * yourself: --nb-muted (chart labels, notes), --nb-grid (chart grid), --nb-rule (table rules),
 * --nb-track (the guest-RAM bar), --nb-fail-bg, --nb-warn-bg, --nb-ok-bg, --nb-missing-bg (row and
 * cell tints), --nb-code-bg (the kernel-log block). Verdict and phase colours are mid-tones,
 * readable on both. */
export const REPORT_CHART_CSS = `.summary{font-size:16px;margin:8px 0 16px} .badge{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;text-transform:uppercase}
table.verdicts,table.parity,table.sched{border-collapse:collapse;width:100%}
.verdicts th,.verdicts td,.parity th,.parity td,.sched th,.sched td{border-bottom:1px solid var(--nb-rule,#eaeef2);padding:4px 6px;text-align:left;vertical-align:top}
.verdicts tr.fail td,.sched tr.fail td{background:var(--nb-fail-bg,#ffebe9)} .verdicts tr.warn td{background:var(--nb-warn-bg,#fff8c5)} .verdicts small{color:var(--nb-muted,#57606a)}
.chart .lbl{font-size:11px;fill:var(--nb-muted,#57606a)} .chart .tick{font-size:9px;fill:var(--nb-muted,#57606a)} .chart .grid{stroke:var(--nb-grid,#eaeef2)} .chart .track{fill:var(--nb-track,#d0d7de)}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle} .legend .track-key{background:var(--nb-track,#d0d7de)}
.parity td.missing{background:var(--nb-missing-bg,#ffcecb)} .parity td.extra{background:var(--nb-warn-bg,#fff8c5)} .parity td.ok{background:var(--nb-ok-bg,#dafbe1)}
.legend .missing-key{background:var(--nb-missing-bg,#ffcecb)} .legend .extra-key{background:var(--nb-warn-bg,#fff8c5)}
figure.histogram{display:inline-block;margin:0 16px 8px 0} pre.kvm-log{background:var(--nb-code-bg,#f6f8fa);padding:8px;overflow:auto}
[data-theme=dark],.nb-dark{--nb-muted:#9198a1;--nb-grid:#3d444d;--nb-rule:#3d444d;--nb-track:#3d444d;--nb-fail-bg:rgba(248,81,73,.18);--nb-warn-bg:rgba(210,153,34,.18);--nb-ok-bg:rgba(46,160,67,.18);--nb-missing-bg:rgba(248,81,73,.32);--nb-code-bg:rgba(110,118,129,.16)}`;

/** The report's parts, each an HTML/SVG string without its heading ('' when the run has nothing for
 * it); REPORT_SECTION_TITLES has the headings the standalone page gives them. */
export interface ReportSections {
  readonly summary: string;
  readonly verdicts: string;
  readonly bootTimeline: string;
  readonly scheduling: string;
  readonly latency: string;
  readonly memory: string;
  readonly parity: string;
  readonly nestedVirtualization: string;
  readonly timingModel: string;
}

export const REPORT_SECTION_TITLES: Readonly<Record<Exclude<keyof ReportSections, 'summary'>, string>> = {
  verdicts: 'Verdicts',
  bootTimeline: 'Boot timeline',
  scheduling: 'Scheduling: observed vs analytic',
  latency: 'Timer latency',
  memory: 'Memory',
  parity: 'Native parity: ISA features',
  nestedVirtualization: 'Nested virtualization evidence',
  timingModel: 'Timing model',
};

/** Without results (a report of a check.json alone) the run's charts are ''. */
export const reportSections = (report: CheckReport, results: RunResults | undefined): ReportSections => ({
  summary: summaryLine(report),
  verdicts: verdictTable(report),
  bootTimeline: results ? bootGantt(results) : '',
  scheduling: schedulingTable(report),
  latency: results ? latencyHistograms(results) : '',
  memory: results ? memoryBars(report, results) : '',
  parity: parityTable(report),
  nestedVirtualization: results ? nestedVirtualizationEvidence(results) : '',
  timingModel: `<p>${esc(report.timingModel)}</p>`,
});

export const formatCheckHtml = (r: CheckReport, results: RunResults | undefined): string => {
  const s = reportSections(r, results);
  const T = REPORT_SECTION_TITLES;
  const h2 = (title: string) => `<h2>${title}</h2>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>nestbed ${esc(r.command)} — ${esc(r.topology)}</title>
<style>
${PAGE_CSS}
${REPORT_CHART_CSS}
</style></head><body>
<h1>${r.success ? '✔' : '✖'} ${esc(r.topology)}</h1>
${s.summary}
${h2(T.verdicts)}${s.verdicts}
${s.bootTimeline ? `${h2(T.bootTimeline)}${s.bootTimeline}` : ''}
${s.scheduling ? `${h2(T.scheduling)}${s.scheduling}` : ''}
${s.latency ? `${h2(T.latency)}${s.latency}` : ''}
${s.memory ? `${h2(T.memory)}${s.memory}` : ''}
${h2(T.parity)}${s.parity || '<p>No ISA comparison (no profile, or features not recorded).</p>'}
${results ? `${h2(T.nestedVirtualization)}${s.nestedVirtualization || '<pre class="kvm-log"></pre>'}` : ''}
${h2(T.timingModel)}${s.timingModel}
<p><small>nestbed ${esc(r.toolVersion)}${r.runDir ? ` · run ${esc(r.runDir)}` : ''}</small></p>
</body></html>
`;
};
