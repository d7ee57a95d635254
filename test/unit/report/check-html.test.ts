// The HTML report's sections on a recorded real run (test/fixtures/runs/zonal-per-core: the zonal
// controller, an rtos guest and two Linux guests, with its check.json): what each section holds,
// that formatCheckHtml is their composition, and that REPORT_CHART_CSS styles every class they use
// with colours a dark page can override.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkReportSchema } from '../../../src/core/common/model/check-report.js';
import { runResultsSchema } from '../../../src/core/common/model/run-results.js';
import { formatCheckHtml, REPORT_CHART_CSS, REPORT_SECTION_TITLES, reportSections, type ReportSections } from '../../../src/core/common/report/check-html.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/runs/zonal-per-core');
const results = runResultsSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
const report = checkReportSchema.parse(JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8')));

describe('reportSections', () => {
  it('with the run: every section has content; the charts hold one row or figure per guest that has the figure', () => {
    const s = reportSections(report, results);
    expect(Object.entries(s).filter(([, html]) => html === '')).toEqual([]);
    expect(s.verdicts.match(/<tr class="/g)).toHaveLength(report.checks.length);
    expect(s.bootTimeline).toMatch(/^<svg class="chart" id="boot-gantt"/);
    for (const label of ['L0 server', 'L1 hypervisor', 'safety', 'adas', 'ivi']) expect(s.bootTimeline).toContain(`class="lbl">${label}</text>`);
    expect(s.latency.match(/<figure class="histogram">/g)).toHaveLength(1); // adas runs cyclictest; the rtos reports its own figures
    expect(s.latency).toContain('<figcaption>adas: max 394 µs (virtual (icount))</figcaption>');
    expect(s.memory.match(/class="track"/g)).toHaveLength(3);
    expect(s.scheduling.match(/<tr class="pass">/g)).toHaveLength(3); // brake-monitor, torque-arbiter, watchdog-kick within their bounds
    expect(s.parity).toMatch(/^<table class="parity">/);
    expect(s.nestedVirtualization).toContain('L0: kvm [1]: VHE+NV2 mode initialized successfully');
  });

  it("without the run (a check.json alone) the run's charts are ''; without rtos rows or ISA details so are scheduling and parity", () => {
    const s = reportSections(report, undefined);
    expect({ bootTimeline: s.bootTimeline, latency: s.latency, memory: s.memory, nestedVirtualization: s.nestedVirtualization }).toEqual({ bootTimeline: '', latency: '', memory: '', nestedVirtualization: '' });
    const bare = reportSections({ ...report, checks: report.checks.filter((c) => c.id !== 'scheduling' && c.id !== 'parity.isa') }, results);
    expect([bare.scheduling, bare.parity]).toEqual(['', '']);
  });
});

describe('formatCheckHtml', () => {
  it('is the sections under their titles, in page order, with REPORT_CHART_CSS in its style', () => {
    const s = reportSections(report, results);
    const html = formatCheckHtml(report, results);
    expect(html).toContain(`${REPORT_CHART_CSS}\n</style>`);
    const order: Array<Exclude<keyof ReportSections, 'summary'>> = ['verdicts', 'bootTimeline', 'scheduling', 'latency', 'memory', 'parity', 'nestedVirtualization', 'timingModel'];
    const at = order.map((k) => html.indexOf(`<h2>${REPORT_SECTION_TITLES[k]}</h2>${s[k]}`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(html.indexOf(s.summary)).toBeLessThan(at[0]!);
  });

  it("keeps the page's fallbacks for empty parity and kernel-log sections", () => {
    const noLog = structuredClone(results);
    noLog.l0.kvmLog = [];
    noLog.l1.kvmLog = [];
    const html = formatCheckHtml({ ...report, checks: report.checks.filter((c) => c.id !== 'parity.isa') }, noLog);
    expect(html).toContain('<h2>Native parity: ISA features</h2><p>No ISA comparison (no profile, or features not recorded).</p>');
    expect(html).toContain('<h2>Nested virtualization evidence</h2><pre class="kvm-log"></pre>');
  });
});

describe('REPORT_CHART_CSS', () => {
  const sections = Object.values(reportSections(report, results)).join('\n');
  const used = new Set([...sections.matchAll(/class="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/)).filter(Boolean));

  it('styles every class the sections use, except the few that only name things', () => {
    const unstyled = ['pass', 'inconclusive', 'skipped', 'latency'];
    expect([...used].filter((c) => !unstyled.includes(c) && !new RegExp(`\\.${c}\\b`).test(REPORT_CHART_CSS))).toEqual([]);
    expect(unstyled.filter((c) => !used.has(c))).toEqual([]);
  });

  it("takes every colour that assumes a white page from a custom property, and the dark preset (the IDE's data-theme) sets them all", () => {
    const preset = /\[data-theme=dark\],\.nb-dark\{([^}]*)\}/;
    const literal = [...REPORT_CHART_CSS.replace(preset, '').matchAll(/(?:^|[;{])((?:fill|stroke|background|color):[^;}]*)/g)].map((m) => m[1]!).filter((d) => !d.includes('var(--nb-'));
    expect(literal).toEqual(['color:#fff']); // the badge's text on its verdict colour
    const properties = new Set([...REPORT_CHART_CSS.matchAll(/var\((--nb-[a-z-]+),/g)].map((m) => m[1]!));
    const dark = REPORT_CHART_CSS.match(preset)![1]!;
    expect([...properties].filter((p) => !dark.includes(`${p}:`))).toEqual([]);
    expect(properties.size).toBe(9);
  });
});
