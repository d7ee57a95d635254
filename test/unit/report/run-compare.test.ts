// compareRuns on two recorded real runs of examples/zonal-controller.yaml, both with timing
// deterministic: test/fixtures/runs/zonal-per-core (the per-core-time emulator: 0 fail) and
// test/fixtures/runs/zonal-stock (the stock emulator, one shared virtual clock: 3 fail). Where a
// test needs a difference the real pair does not have (a check missing, a small latency change, a
// verdict to or from skipped), it edits a copy of one of them in memory and says so.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkReportSchema, type CheckReport } from '../../../src/core/common/model/check-report.js';
import { runResultsSchema, type RunResults } from '../../../src/core/common/model/run-results.js';
import { compareRuns, cyclictestP99BoundUs, formatComparisonHtml, type ComparisonRow, type RunComparison, type RunView } from '../../../src/core/common/report/run-compare.js';

const runs = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/runs');
const load = (name: string): { results: RunResults; report: CheckReport } => ({
  results: runResultsSchema.parse(JSON.parse(readFileSync(join(runs, name, 'results.json'), 'utf8'))),
  report: checkReportSchema.parse(JSON.parse(readFileSync(join(runs, name, 'check.json'), 'utf8'))),
});
const perCore = load('zonal-per-core');
const stock = load('zonal-stock');
const view = (label: string, run: { results: RunResults; report: CheckReport }): RunView => ({ label, ...structuredClone(run) });

const rows = (c: RunComparison): ComparisonRow[] => c.groups.flatMap((g) => g.rows);
const row = (c: RunComparison, key: string): ComparisonRow => {
  const found = rows(c).find((r) => r.key === key);
  if (!found) throw new Error(`no row ${key} among ${rows(c).map((r) => r.key).join(', ')}`);
  return found;
};

describe('compareRuns', () => {
  it('a run against itself: every row same, every delta 0, no notes', () => {
    const c = compareRuns(view('A', perCore), view('B', perCore));
    expect(c.groups.map((g) => g.id)).toEqual(['checks', 'boot', 'memory', 'latency', 'host']);
    // 26 checks; boot: all ready + 3 guests; memory: 2 per guest; latency: max and p99 of safety
    // (rtos) and adas (cyclictest), ivi runs none; host: 6.
    expect(rows(c).length).toBe(26 + 4 + 6 + 4 + 6);
    expect(rows(c).filter((r) => r.status !== 'same')).toEqual([]);
    expect(rows(c).flatMap((r) => (r.kind !== 'text' && r.delta ? [r.delta] : [])).every((d) => d.abs === 0 && d.pct === 0)).toBe(true);
    expect(c.counts).toEqual({ regressed: 0, improved: 0, changed: 0, added: 0, removed: 0, same: rows(c).length });
    expect(c.notes).toEqual([]);
  });

  it('the stock emulator (B) against per-core time (A): worse latency is regressed, with B − A and its percentage of A', () => {
    const c = compareRuns(view('per-core', perCore), view('stock', stock));
    // The rtos safety guest's worst timer delivery: 550 907 ns → 8 921 230 ns (guest virtual time).
    const safety = row(c, 'latency:max:safety');
    expect(safety).toMatchObject({ kind: 'metric', unit: 'µs', direction: 'lower-is-better', a: 550.907, b: 8921.23, status: 'regressed' });
    expect(safety.kind === 'metric' && safety.delta!.abs).toBeCloseTo(8370.323, 6);
    expect(safety.kind === 'metric' && safety.delta!.pct).toBeCloseTo((8370.323 / 550.907) * 100, 6);
    expect(row(c, 'latency:p99:safety')).toMatchObject({ a: 212.991, b: 1572.863, status: 'regressed' });
    // adas (cyclictest): max 394 → 2828 µs; its p99 bucket 256–512 → 1024–2048 µs.
    expect(row(c, 'latency:max:adas')).toMatchObject({ a: 394, b: 2828, delta: { abs: 2434 }, status: 'regressed' });
    expect(row(c, 'latency:p99:adas')).toMatchObject({ label: 'adas timer latency p99 (log2 bucket bound)', a: 512, b: 2048, status: 'regressed' });
    // ivi runs no latency workload: no row.
    expect(rows(c).some((r) => r.key.startsWith('latency:') && r.key.endsWith(':ivi'))).toBe(false);
    // Host: the clock and the QEMU build differ (text rows), the stock run was faster on the wall.
    expect(row(c, 'host:clock')).toMatchObject({ a: 'per-core virtual time, quantum 10000', b: 'one shared virtual clock', status: 'changed' });
    expect(row(c, 'host:wall')).toMatchObject({ a: 435525, b: 301641, delta: { abs: -133884 }, status: 'improved' });
    expect(c.counts).toEqual({ regressed: 14, improved: 6, changed: 2, added: 0, removed: 0, same: 24 });
  });

  it('a latency change inside the ±2 % tolerance is same; just outside it is regressed (B edited: adas cyclictest max)', () => {
    const within = view('B', perCore);
    within.results.guests.find((g) => g.name === 'adas')!.workload!.cyclictest!.maxUs = 401; // +1.8 %
    expect(row(compareRuns(view('A', perCore), within), 'latency:max:adas')).toMatchObject({ a: 394, b: 401, delta: { abs: 7 }, status: 'same' });
    const beyond = view('B', perCore);
    beyond.results.guests.find((g) => g.name === 'adas')!.workload!.cyclictest!.maxUs = 403; // +2.3 %
    const r = row(compareRuns(view('A', perCore), beyond), 'latency:max:adas');
    expect(r).toMatchObject({ a: 394, b: 403, delta: { abs: 9 }, status: 'regressed' });
    expect(r.kind === 'metric' && r.delta!.pct).toBeCloseTo((9 / 394) * 100, 9);
    // A wider tolerance absorbs it.
    expect(row(compareRuns(view('A', perCore), beyond, { tolerance: 0.05 }), 'latency:max:adas').status).toBe('same');
  });

  it('flags a verdict pass → fail as regressed (and the reverse as improved), with the measured figures compared', () => {
    const c = compareRuns(view('per-core', perCore), view('stock', stock));
    expect(row(c, 'check:latency:adas')).toMatchObject({
      kind: 'check',
      label: 'latency [adas]',
      a: { verdict: 'pass', measured: { value: 90, unit: 'µs', timeBase: 'ecu-equivalent' } },
      b: { verdict: 'fail', measured: { value: 643, unit: 'µs', timeBase: 'ecu-equivalent' } },
      verdictChange: 'regressed',
      delta: { abs: 553 },
      status: 'regressed',
    });
    expect(row(c, 'check:scheduling:safety')).toMatchObject({ verdictChange: 'regressed', status: 'regressed' });
    // Same verdict, worse figure: the row is regressed by its figure, no verdict change.
    const latency = row(c, 'check:latency:safety');
    expect(latency).toMatchObject({ a: { verdict: 'inconclusive' }, b: { verdict: 'inconclusive' }, status: 'regressed' });
    expect(latency.kind === 'check' && latency.verdictChange).toBeUndefined();
    // Verdicts changed in exactly the three checks that fail on the stock emulator.
    const changed = rows(c).filter((r) => r.kind === 'check' && r.verdictChange);
    expect(changed.map((r) => r.label)).toEqual(['scheduling [safety]', 'latency [adas]', 'isolation.interference [safety]']);

    const back = compareRuns(view('stock', stock), view('per-core', perCore));
    expect(row(back, 'check:latency:adas')).toMatchObject({ verdictChange: 'improved', status: 'improved', delta: { abs: -553 } });
  });

  it('a change to or from skipped is changed, neither better nor worse (B edited: adas latency skipped)', () => {
    const b = view('B', perCore);
    const c = b.report!.checks.find((x) => x.id === 'latency' && x.guest === 'adas')!;
    c.verdict = 'skipped';
    delete c.measured;
    expect(row(compareRuns(view('A', perCore), b), 'check:latency:adas')).toMatchObject({ a: { verdict: 'pass' }, b: { verdict: 'skipped' }, verdictChange: 'changed', status: 'changed' });
  });

  it('a check only in A is removed, one only in B is added in its place (B edited: isolation.spatial dropped, a check added)', () => {
    const b = view('B', perCore);
    b.report!.checks = b.report!.checks.filter((x) => x.id !== 'isolation.spatial');
    const at = b.report!.checks.findIndex((x) => x.id === 'isolation.channels');
    b.report!.checks.splice(at + 1, 0, { id: 'isolation.new', verdict: 'pass', message: 'invented for this test' });
    const c = compareRuns(view('A', perCore), b);
    expect(row(c, 'check:isolation.spatial:')).toMatchObject({ a: { verdict: 'skipped' }, status: 'removed' });
    expect(row(c, 'check:isolation.spatial:')).not.toHaveProperty('b');
    expect(row(c, 'check:isolation.new:')).toMatchObject({ b: { verdict: 'pass' }, status: 'added' });
    expect(c.groups[0]!.rows.map((r) => r.label).slice(-6)).toEqual(['isolation.fault-containment', 'isolation.spatial', 'isolation.channels', 'isolation.new', 'isolation.pinning', 'isolation.interference [safety]']);
    expect(c.counts).toMatchObject({ removed: 1, added: 1 });
    expect(formatComparisonHtml(c)).toContain('<tr class="removed"><td>isolation.spatial</td><td>skipped</td><td>–</td><td>only in A</td></tr>');
  });

  it('without a check report on one side: no checks group, a note says why', () => {
    const c = compareRuns(view('A', perCore), { label: 'fresh run', results: structuredClone(stock.results) });
    expect(c.groups.map((g) => g.id)).toEqual(['boot', 'memory', 'latency', 'host']);
    expect(c.notes).toEqual(['B (fresh run) has no check report: the checks are not compared.']);
  });

  it('a launcher run (B edited: hardware timing, no host emulator) has no QEMU RSS to compare, and the timing note says the clocks differ', () => {
    const b = view('B', perCore);
    b.results.timing = 'hardware';
    b.results.launcher = { timeBase: 'hardware', host: 'Linux board', bundle: null };
    b.results.host.qemuRssMaxKiB = 0;
    const c = compareRuns(view('A', perCore), b);
    expect(row(c, 'host:qemu-rss')).toMatchObject({ status: 'removed', a: perCore.results.host.qemuRssMaxKiB });
    expect(row(c, 'host:timing')).toMatchObject({ a: 'deterministic', b: 'hardware', status: 'changed' });
    expect(c.notes).toEqual(['Timing differs (deterministic vs hardware): their time figures are not on the same clock.']);
  });

  it('p99 bound of a cyclictest histogram: the upper bound of the bucket reaching 99 %, none when it lies among the overflows', () => {
    const adas = perCore.results.guests.find((g) => g.name === 'adas')!.workload!.cyclictest!;
    expect(adas.histogramLog2).toEqual([[16, 2], [64, 4], [128, 389], [256, 574], [512, 31]]); // 969 of 1000 below 256 µs
    expect(cyclictestP99BoundUs(adas.histogramLog2, 0)).toBe(512);
    expect(cyclictestP99BoundUs([[16, 990], [32, 10]], 0)).toBe(16);
    expect(cyclictestP99BoundUs([[16, 98]], 2)).toBeUndefined();
    expect(cyclictestP99BoundUs([], 0)).toBeUndefined();
  });
});

describe('formatComparisonHtml', () => {
  it('one table (what, A, B, Δ), a header per group, a class per row, escaped', () => {
    // A small comparison: the real pair cut down to the adas guest and two of its checks, with
    // labels that need escaping.
    const small = (run: { results: RunResults; report: CheckReport }, label: string): RunView => {
      const v = view(label, run);
      v.results.guests = v.results.guests.filter((g) => g.name === 'adas');
      v.report!.checks = v.report!.checks.filter((c) => c.guest === 'adas' && (c.id === 'latency' || c.id === 'memory'));
      return v;
    };
    const b = small(stock, 'stock & "shared" <clock>');
    b.report!.checks.push({ id: 'parity.page-size', guest: 'adas', verdict: 'pass', measured: { value: 64, unit: 'KiB' }, message: 'edited in for this test' });
    const html = formatComparisonHtml(compareRuns(small(perCore, 'per-core'), b));
    expect(html).toMatchInlineSnapshot(`
      "<p class="comparison-summary">5 regressed · 3 improved · 2 changed · 1 added · 4 same (B against A; figures within ±2 % of A count as same)</p>
      <table class="comparison"><thead><tr><th>what</th><th>A: per-core</th><th>B: stock &amp; &quot;shared&quot; &lt;clock&gt;</th><th>Δ</th></tr></thead>
      <tbody class="checks"><tr class="group"><th colspan="4">Checks</th></tr>
      <tr class="same"><td>memory [adas]</td><td>pass · 37.3 MiB</td><td>pass · 37.2 MiB</td><td>-0.1 MiB (-0.3 %)</td></tr>
      <tr class="regressed verdict-changed"><td>latency [adas]</td><td>pass · 90 µs (ecu-equivalent)</td><td>fail · 643 µs (ecu-equivalent)</td><td>pass → fail · +553 µs (+614.4 %)</td></tr>
      <tr class="added"><td>parity.page-size [adas]</td><td>–</td><td>pass · 64 KiB</td><td>only in B</td></tr></tbody>
      <tbody class="boot"><tr class="group"><th colspan="4">Boot (host wall time since the emulator started)</th></tr>
      <tr class="regressed"><td>all guests ready</td><td>88496 ms</td><td>119876 ms</td><td>+31380 ms (+35.5 %)</td></tr>
      <tr class="regressed"><td>adas ready</td><td>87713 ms</td><td>106808 ms</td><td>+19095 ms (+21.8 %)</td></tr></tbody>
      <tbody class="memory"><tr class="group"><th colspan="4">Memory</th></tr>
      <tr class="same"><td>adas in use at ready</td><td>38224 KiB</td><td>38092 KiB</td><td>-132 KiB (-0.3 %)</td></tr>
      <tr class="improved"><td>adas VMM RSS in L1 (max)</td><td>200976 KiB</td><td>196520 KiB</td><td>-4456 KiB (-2.2 %)</td></tr></tbody>
      <tbody class="latency"><tr class="group"><th colspan="4">Timer latency</th></tr>
      <tr class="regressed"><td>adas timer latency max</td><td>394 µs</td><td>2828 µs</td><td>+2434 µs (+617.8 %)</td></tr>
      <tr class="regressed"><td>adas timer latency p99 (log2 bucket bound)</td><td>512 µs</td><td>2048 µs</td><td>+1536 µs (+300.0 %)</td></tr></tbody>
      <tbody class="host"><tr class="group"><th colspan="4">Host</th></tr>
      <tr class="same"><td>run status</td><td>ok</td><td>ok</td><td></td></tr>
      <tr class="improved"><td>wall time</td><td>435525 ms</td><td>301641 ms</td><td>-133884 ms (-30.7 %)</td></tr>
      <tr class="improved"><td>QEMU RSS (max)</td><td>2578720 KiB</td><td>2502380 KiB</td><td>-76340 KiB (-3.0 %)</td></tr>
      <tr class="same"><td>timing</td><td>deterministic</td><td>deterministic</td><td></td></tr>
      <tr class="changed"><td>clock</td><td>per-core virtual time, quantum 10000</td><td>one shared virtual clock</td><td>changed</td></tr>
      <tr class="changed"><td>QEMU</td><td>QEMU emulator version 10.0.2 + nestbed per-core time</td><td>10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)</td><td>changed</td></tr></tbody>
      </table>
      "
    `);
  });
});
