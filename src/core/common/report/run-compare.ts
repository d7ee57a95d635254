// Two runs side by side (the IDE's compare view): every check's verdict and measured figure, the
// boot, memory and latency figures of every guest, and the host's, each row classified as B
// against A. Pure data first (compareRuns), then one HTML table (formatComparisonHtml).
//
// Classification of a numeric row: `same` while |B − A| ≤ tolerance · |A| (2 % by default: two
// runs of one topology differ by scheduling noise — host wall times by several per cent, guest
// figures under `deterministic` timing not at all — and a 2 % drift is not worth a red row); else
// `improved` or `regressed` by the row's direction (times and memory: lower is better), or
// `changed` when no direction is better (a page size). A row present on one side only is `added`
// (only in B) or `removed` (only in A).
import type { CheckReport, CheckResult, Figure, Verdict } from '../model/check-report.js';
import { assertNever } from '../model/errors.js';
import type { GuestResult, RunResults } from '../model/run-results.js';
import { showFigure } from './check-formats.js';
import { xmlEscape as esc } from './validation-formats.js';

export interface RunView {
  readonly label: string;
  /** The run's check.json; without it the run's checks are not compared (a note says so). */
  readonly report?: CheckReport;
  readonly results: RunResults;
}

export const ROW_STATUSES = ['regressed', 'improved', 'changed', 'added', 'removed', 'same'] as const;
export type RowStatus = (typeof ROW_STATUSES)[number];

export type Direction = 'lower-is-better' | 'higher-is-better' | 'neutral';

/** B − A, and that as a percentage of |A| (null when A is 0 and B is not). */
export interface Delta {
  readonly abs: number;
  readonly pct: number | null;
}

export interface CheckSide {
  readonly verdict: Verdict;
  readonly measured?: Figure;
}

export interface CheckRow {
  readonly kind: 'check';
  /** Stable across runs: `check:<id>:<guest>` (`#2`, `#3` … for a repeated id and guest). */
  readonly key: string;
  /** "latency [adas]", as in the JUnit report. */
  readonly label: string;
  readonly id: string;
  readonly guest?: string;
  readonly a?: CheckSide;
  readonly b?: CheckSide;
  /** Set when both runs have the check with different verdicts (rank: pass > warn > inconclusive >
   * fail; a change from or to `skipped` is `changed`). */
  readonly verdictChange?: 'regressed' | 'improved' | 'changed';
  /** Of the measured figure, by check id (CHECK_DIRECTIONS). */
  readonly direction: Direction;
  /** When both measured figures have the same unit and time base. */
  readonly delta?: Delta;
  /** The verdict change when there is one, else the measured figure's classification (`changed`
   * when only one side has a figure or their units differ). */
  readonly status: RowStatus;
}

export interface MetricRow {
  readonly kind: 'metric';
  /** Stable across runs: `boot:all-ready`, `boot:ready:<guest>`, `memory:used:<guest>`, … */
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly direction: Direction;
  readonly a?: number;
  readonly b?: number;
  /** When both sides have the figure. */
  readonly delta?: Delta;
  readonly status: RowStatus;
}

/** A setting rather than a figure (timing, clock, QEMU version, run status). */
export interface TextRow {
  readonly kind: 'text';
  readonly key: string;
  readonly label: string;
  readonly a?: string;
  readonly b?: string;
  readonly status: RowStatus;
}

export type ComparisonRow = CheckRow | MetricRow | TextRow;

export const COMPARISON_GROUPS = ['checks', 'boot', 'memory', 'latency', 'host'] as const;
export type ComparisonGroupId = (typeof COMPARISON_GROUPS)[number];

export const COMPARISON_GROUP_TITLES: Readonly<Record<ComparisonGroupId, string>> = {
  checks: 'Checks',
  boot: 'Boot (host wall time since the emulator started)',
  memory: 'Memory',
  latency: 'Timer latency',
  host: 'Host',
};

export interface ComparisonGroup {
  readonly id: ComparisonGroupId;
  readonly title: string;
  /** Never empty: a group without rows is left out. */
  readonly rows: readonly ComparisonRow[];
}

export interface RunComparison {
  readonly a: { readonly label: string };
  readonly b: { readonly label: string };
  /** Relative tolerance of `same` (0.02 = ±2 % of A). */
  readonly tolerance: number;
  /** In COMPARISON_GROUPS order. */
  readonly groups: readonly ComparisonGroup[];
  /** Rows per status, over all groups. */
  readonly counts: Readonly<Record<RowStatus, number>>;
  /** What limits the comparison: a missing check report, different topologies or timing. */
  readonly notes: readonly string[];
}

export const DEFAULT_TOLERANCE = 0.02;

/** Direction of each check's measured figure; any other check's figure only counts as `changed`. */
export const CHECK_DIRECTIONS: Readonly<Record<string, Direction>> = {
  boot: 'lower-is-better',
  memory: 'lower-is-better',
  latency: 'lower-is-better',
  scheduling: 'lower-is-better',
  'isolation.interference': 'lower-is-better',
};

// ---- classification -------------------------------------------------------------------------

const deltaOf = (a: number, b: number): Delta => ({ abs: b - a, pct: a === 0 ? (b === 0 ? 0 : null) : ((b - a) / Math.abs(a)) * 100 });

const classify = (a: number, b: number, direction: Direction, tolerance: number): RowStatus => {
  if (Math.abs(b - a) <= tolerance * Math.abs(a)) return 'same';
  switch (direction) {
    case 'lower-is-better':
      return b < a ? 'improved' : 'regressed';
    case 'higher-is-better':
      return b > a ? 'improved' : 'regressed';
    case 'neutral':
      return 'changed';
    default:
      return assertNever(direction, 'direction');
  }
};

const VERDICT_RANK: Readonly<Record<Verdict, number | undefined>> = { pass: 0, warn: 1, inconclusive: 2, fail: 3, skipped: undefined };

const verdictChangeOf = (a: Verdict, b: Verdict): CheckRow['verdictChange'] => {
  if (a === b) return undefined;
  const [ra, rb] = [VERDICT_RANK[a], VERDICT_RANK[b]];
  if (ra === undefined || rb === undefined) return 'changed';
  return rb > ra ? 'regressed' : 'improved';
};

/** Union of two key lists: A's order, each key only in B placed after the key B has before it. */
const mergeKeys = (a: readonly string[], b: readonly string[]): string[] => {
  const merged = [...a];
  let last = -1;
  for (const k of b) {
    const at = merged.indexOf(k);
    if (at >= 0) last = at;
    else merged.splice(++last, 0, k);
  }
  return merged;
};

// ---- rows -----------------------------------------------------------------------------------

const metricRow = (key: string, label: string, unit: string, direction: Direction, a: number | undefined, b: number | undefined, tolerance: number): MetricRow[] => {
  const base = { kind: 'metric', key, label, unit, direction } as const;
  if (a === undefined && b === undefined) return [];
  if (a === undefined) return [{ ...base, b, status: 'added' }];
  if (b === undefined) return [{ ...base, a, status: 'removed' }];
  return [{ ...base, a, b, delta: deltaOf(a, b), status: classify(a, b, direction, tolerance) }];
};

const textRow = (key: string, label: string, a: string | undefined, b: string | undefined, status?: RowStatus): TextRow[] => {
  if (a === undefined && b === undefined) return [];
  return [{ kind: 'text', key, label, ...(a !== undefined ? { a } : {}), ...(b !== undefined ? { b } : {}), status: status ?? (a === b ? 'same' : a === undefined ? 'added' : b === undefined ? 'removed' : 'changed') }];
};

/** Checks keyed by id and guest, the n-th repetition of a pair keyed apart. */
const keyedChecks = (checks: readonly CheckResult[]): Map<string, CheckResult> => {
  const out = new Map<string, CheckResult>();
  const seen = new Map<string, number>();
  for (const c of checks) {
    const base = `check:${c.id}:${c.guest ?? ''}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.set(n === 1 ? base : `${base}#${n}`, c);
  }
  return out;
};

const sideOf = (c: CheckResult): CheckSide => ({ verdict: c.verdict, ...(c.measured ? { measured: c.measured } : {}) });

const checkRow = (key: string, a: CheckResult | undefined, b: CheckResult | undefined, tolerance: number): CheckRow => {
  const c = (a ?? b)!;
  const direction = CHECK_DIRECTIONS[c.id] ?? 'neutral';
  const base = { kind: 'check', key, label: c.guest ? `${c.id} [${c.guest}]` : c.id, id: c.id, ...(c.guest !== undefined ? { guest: c.guest } : {}), direction } as const;
  if (!a) return { ...base, b: sideOf(b!), status: 'added' };
  if (!b) return { ...base, a: sideOf(a), status: 'removed' };
  const verdictChange = verdictChangeOf(a.verdict, b.verdict);
  const [ma, mb] = [a.measured, b.measured];
  const comparable = ma !== undefined && mb !== undefined && ma.unit === mb.unit && ma.timeBase === mb.timeBase;
  const delta = comparable ? deltaOf(ma.value, mb.value) : undefined;
  const figureStatus: RowStatus = comparable ? classify(ma.value, mb.value, direction, tolerance) : ma === undefined && mb === undefined ? 'same' : 'changed';
  return { ...base, a: sideOf(a), b: sideOf(b), ...(verdictChange ? { verdictChange } : {}), ...(delta ? { delta } : {}), status: verdictChange ?? figureStatus };
};

const checkRows = (a: CheckReport, b: CheckReport, tolerance: number): CheckRow[] => {
  const [ka, kb] = [keyedChecks(a.checks), keyedChecks(b.checks)];
  return mergeKeys([...ka.keys()], [...kb.keys()]).map((k) => checkRow(k, ka.get(k), kb.get(k), tolerance));
};

/** Each guest of either run, by name, in merged topology order, with its result in A and in B. */
const pairGuests = (a: RunResults, b: RunResults): Array<{ name: string; a?: GuestResult; b?: GuestResult }> => {
  const byName = (r: RunResults) => new Map(r.guests.map((g) => [g.name, g]));
  const [ga, gb] = [byName(a), byName(b)];
  return mergeKeys([...ga.keys()], [...gb.keys()]).map((name) => ({ name, ...(ga.has(name) ? { a: ga.get(name)! } : {}), ...(gb.has(name) ? { b: gb.get(name)! } : {}) }));
};

const bootRows = (a: RunResults, b: RunResults, tol: number): MetricRow[] => [
  ...metricRow('boot:all-ready', 'all guests ready', 'ms', 'lower-is-better', a.allReadyMs, b.allReadyMs, tol),
  ...pairGuests(a, b).flatMap((g) => metricRow(`boot:ready:${g.name}`, `${g.name} ready`, 'ms', 'lower-is-better', g.a?.boot.readyMs, g.b?.boot.readyMs, tol)),
];

const memoryRows = (a: RunResults, b: RunResults, tol: number): MetricRow[] =>
  pairGuests(a, b).flatMap((g) => [
    ...metricRow(`memory:used:${g.name}`, `${g.name} in use at ready`, 'KiB', 'lower-is-better', g.a?.memory?.usedKiB, g.b?.memory?.usedKiB, tol),
    ...metricRow(`memory:vmm-rss:${g.name}`, `${g.name} VMM RSS in L1 (max)`, 'KiB', 'lower-is-better', g.a?.vmmRssMaxKiB, g.b?.vmmRssMaxKiB, tol),
  ]);

/** Upper bound of the log2 bucket holding cyclictest's 99th percentile (undefined when it lies among
 * the overflows, ≥ 20 ms, or nothing was recorded). */
export const cyclictestP99BoundUs = (histogramLog2: ReadonlyArray<readonly [number, number]>, overflows: number): number | undefined => {
  const total = histogramLog2.reduce((s, [, c]) => s + c, 0) + overflows;
  if (total === 0) return undefined;
  const target = Math.ceil(0.99 * total);
  let seen = 0;
  for (const [ub, c] of histogramLog2) {
    seen += c;
    if (seen >= target) return ub;
  }
  return undefined;
};

/** The guest's worst and 99th-percentile timer latency, µs: the rtos's own figures, or cyclictest's
 * maximum and the bound of its p99 bucket. */
const latencyOf = (g: GuestResult | undefined): { max?: number; p99?: number; p99Label: string } => {
  const end = g?.rtos?.end;
  if (end) return { max: end.timerLatencyMaxNs / 1000, p99: end.timerLatencyP99Ns / 1000, p99Label: 'p99' };
  const ct = g?.workload?.cyclictest;
  if (ct) {
    const p99 = cyclictestP99BoundUs(ct.histogramLog2, ct.overflows);
    return { max: ct.maxUs, ...(p99 !== undefined ? { p99 } : {}), p99Label: 'p99 (log2 bucket bound)' };
  }
  return { p99Label: 'p99' };
};

const latencyRows = (a: RunResults, b: RunResults, tol: number): MetricRow[] =>
  pairGuests(a, b).flatMap((g) => {
    const [la, lb] = [latencyOf(g.a), latencyOf(g.b)];
    return [
      ...metricRow(`latency:max:${g.name}`, `${g.name} timer latency max`, 'µs', 'lower-is-better', la.max, lb.max, tol),
      ...metricRow(`latency:p99:${g.name}`, `${g.name} timer latency ${lb.p99 !== undefined ? lb.p99Label : la.p99Label}`, 'µs', 'lower-is-better', la.p99, lb.p99, tol),
    ];
  });

const clockText = (r: RunResults): string | undefined => {
  const c = r.host.clock;
  if (!c) return undefined;
  return c.perCore ? `per-core virtual time, quantum ${c.quantum}` : 'one shared virtual clock';
};

/** The host emulator's RSS; a launcher's run has no host emulator (not a 0 to compare). */
const qemuRss = (r: RunResults): number | undefined => (r.launcher ? undefined : r.host.qemuRssMaxKiB);

const STATUS_RANK: Readonly<Record<RunResults['status'], number>> = { ok: 0, cancelled: 1, failed: 2 };

const hostRows = (a: RunResults, b: RunResults, tol: number): ComparisonRow[] => [
  ...textRow('host:status', 'run status', a.status, b.status, a.status === b.status ? 'same' : STATUS_RANK[b.status] > STATUS_RANK[a.status] ? 'regressed' : 'improved'),
  ...metricRow('host:wall', 'wall time', 'ms', 'lower-is-better', a.wallMs, b.wallMs, tol),
  ...metricRow('host:qemu-rss', 'QEMU RSS (max)', 'KiB', 'lower-is-better', qemuRss(a), qemuRss(b), tol),
  ...textRow('host:timing', 'timing', a.timing, b.timing),
  ...textRow('host:clock', 'clock', clockText(a), clockText(b)),
  ...textRow('host:qemu', 'QEMU', a.host.qemu.version, b.host.qemu.version),
];

const notesOf = (a: RunView, b: RunView): string[] => [
  ...(a.report ? [] : [`A (${a.label}) has no check report: the checks are not compared.`]),
  ...(b.report ? [] : [`B (${b.label}) has no check report: the checks are not compared.`]),
  ...(a.results.topology.name !== b.results.topology.name ? [`The runs are of different topologies (${a.results.topology.name} vs ${b.results.topology.name}).`] : []),
  ...(a.results.timing !== b.results.timing ? [`Timing differs (${a.results.timing} vs ${b.results.timing}): their time figures are not on the same clock.`] : []),
];

export const compareRuns = (a: RunView, b: RunView, options: { tolerance?: number } = {}): RunComparison => {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const [ra, rb] = [a.results, b.results];
  const rows: Record<ComparisonGroupId, readonly ComparisonRow[]> = {
    checks: a.report && b.report ? checkRows(a.report, b.report, tolerance) : [],
    boot: bootRows(ra, rb, tolerance),
    memory: memoryRows(ra, rb, tolerance),
    latency: latencyRows(ra, rb, tolerance),
    host: hostRows(ra, rb, tolerance),
  };
  const groups = COMPARISON_GROUPS.filter((id) => rows[id].length > 0).map((id) => ({ id, title: COMPARISON_GROUP_TITLES[id], rows: rows[id] }));
  const counts = Object.fromEntries(ROW_STATUSES.map((s) => [s, 0])) as Record<RowStatus, number>;
  for (const row of groups.flatMap((g) => g.rows)) counts[row.status] += 1;
  return { a: { label: a.label }, b: { label: b.label }, tolerance, groups, counts, notes: notesOf(a, b) };
};

// ---- HTML -----------------------------------------------------------------------------------

/** Up to 3 decimals, no exponent, no locale. */
const num = (v: number): string => String(Math.round(v * 1000) / 1000);
const signed = (v: number, text: string): string => (v > 0 ? `+${text}` : v < 0 ? `-${text}` : text);

const deltaText = (d: Delta, unit: string): string => {
  if (d.abs === 0) return '±0';
  const abs = `${signed(d.abs, num(Math.abs(d.abs)))} ${unit}`;
  return d.pct === null ? `${abs} (A was 0)` : `${abs} (${signed(d.pct, Math.abs(d.pct).toFixed(1))} %)`;
};

const presence = (s: RowStatus): string | undefined => (s === 'added' ? 'only in B' : s === 'removed' ? 'only in A' : undefined);

const checkSideText = (s: CheckSide | undefined): string => (s ? `${s.verdict}${s.measured ? ` · ${showFigure(s.measured)}` : ''}` : '–');

/** The cells of one row: what, A, B, Δ (plain text, escaped by the caller). */
const cellsOf = (row: ComparisonRow): [string, string, string, string] => {
  switch (row.kind) {
    case 'check': {
      const unit = row.a?.measured?.unit ?? '';
      const figures = row.a?.measured && row.b?.measured ? (row.delta ? deltaText(row.delta, unit) : 'not comparable (unit or time base differs)') : undefined;
      const verdict = row.verdictChange ? `${row.a!.verdict} → ${row.b!.verdict}` : undefined;
      const delta = presence(row.status) ?? [verdict, figures].filter((x) => x !== undefined).join(' · ');
      return [row.label, checkSideText(row.a), checkSideText(row.b), delta];
    }
    case 'metric': {
      const side = (v: number | undefined) => (v === undefined ? '–' : `${num(v)} ${row.unit}`);
      return [row.label, side(row.a), side(row.b), presence(row.status) ?? (row.delta ? deltaText(row.delta, row.unit) : '')];
    }
    case 'text':
      return [row.label, row.a ?? '–', row.b ?? '–', presence(row.status) ?? (row.status === 'same' ? '' : 'changed')];
    default:
      return assertNever(row, 'comparison row');
  }
};

/** Row and summary tints from the custom properties of REPORT_CHART_CSS (check-html.ts), whose
 * fallbacks are the standalone report's light colours; its dark preset applies under
 * `data-theme="dark"` or class `nb-dark`. */
export const COMPARISON_CSS = `table.comparison{border-collapse:collapse;width:100%}
.comparison th,.comparison td{border-bottom:1px solid var(--nb-rule,#eaeef2);padding:4px 6px;text-align:left;vertical-align:top}
.comparison tr.group th{padding-top:14px}
.comparison tr.regressed td{background:var(--nb-fail-bg,#ffebe9)} .comparison tr.improved td{background:var(--nb-ok-bg,#dafbe1)}
.comparison tr.changed td,.comparison tr.added td,.comparison tr.removed td{background:var(--nb-warn-bg,#fff8c5)}
.comparison tr.verdict-changed td:last-child{font-weight:600}`;

const summaryText = (c: RunComparison): string =>
  `${ROW_STATUSES.filter((s) => c.counts[s] > 0)
    .map((s) => `${c.counts[s]} ${s}`)
    .join(' · ')} (B against A; figures within ±${num(c.tolerance * 100)} % of A count as same)`;

/** The comparison as one table (what, A, B, Δ), a header row per group, a class per row (its
 * status, plus `verdict-changed`), preceded by the counts and the notes. Styles: COMPARISON_CSS. */
export const formatComparisonHtml = (c: RunComparison): string => {
  const notes = c.notes.map((n) => `<p class="note">${esc(n)}</p>\n`).join('');
  const body = c.groups
    .map((g) => {
      const rows = g.rows.map((row) => {
        const cls = row.kind === 'check' && row.verdictChange ? `${row.status} verdict-changed` : row.status;
        return `<tr class="${cls}">${cellsOf(row)
          .map((t) => `<td>${esc(t)}</td>`)
          .join('')}</tr>`;
      });
      return `<tbody class="${g.id}"><tr class="group"><th colspan="4">${esc(g.title)}</th></tr>\n${rows.join('\n')}</tbody>`;
    })
    .join('\n');
  return `<p class="comparison-summary">${esc(summaryText(c))}</p>
${notes}<table class="comparison"><thead><tr><th>what</th><th>A: ${esc(c.a.label)}</th><th>B: ${esc(c.b.label)}</th><th>Δ</th></tr></thead>
${body}
</table>
`;
};
