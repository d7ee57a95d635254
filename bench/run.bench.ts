// `npm run bench:run`: wall time per stage and to all-guests-ready, median of N runs (default 3),
// for the two-Linux-guest baseline and the realistic example. One stack at a time. Per topology,
// measured in the same session: N warm runs (restoring the warm stack's snapshot; a run that had to
// make it first is shown and left out of the median), and as the baseline N cold runs (--cold: L0
// and L1 boot in the run), and the ratio of the medians.
// Env: BENCH_RUNS (default 3), BENCH_COLD_RUNS (default BENCH_RUNS), BENCH_TOPOLOGIES
// (comma-separated path:target), NESTBED_CACHE_DIR; BENCH_PROTOTYPE: the tuned shell prototype's
// run.sh (the reference stack of the speed study, not part of nestbed; its images built beforehand),
// run BENCH_RUNS times at its best settings before the topologies, as the baseline to compare with
// (two L2 guests, no agent, no measurement: its "all L2 up" is the host time its second guest
// printed its first line).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunResults } from '../src/core/common/model/run-results.js';
import { validateTopology } from '../src/core/common/validate/validate-topology.js';
import { loadProfiles } from '../src/core/node/profiles.js';
import { runTopology } from '../src/core/node/run/runner.js';
import { cacheRoot } from '../src/core/node/setup/paths.js';
import { runSetup } from '../src/core/node/setup/setup.js';
import { median } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? RUNS);
const TOPOLOGIES = (process.env.BENCH_TOPOLOGIES ?? 'examples/two-linux.yaml:15,examples/zonal-controller.yaml:30').split(',');
const f = (ms: number | undefined): string => (ms === undefined || Number.isNaN(ms) ? '     –' : (ms / 1000).toFixed(1).padStart(6));

const cache = cacheRoot(process.env);
const t0 = Date.now();
const setup = await runSetup({ cacheRoot: cache, check: false, log: () => undefined });
console.log(`setup: ${setup.actions.length ? setup.actions.join(', ') : 'cache verified'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const { profiles } = await loadProfiles();

const PROTOTYPE = process.env.BENCH_PROTOTYPE;
let protoMedian: number | undefined;
if (PROTOTYPE) {
  // the prototype's best setting (its queue5.sh "best cpio"): its own kernel command lines
  const bk = 'mitigations=off nokaslr audit=0 apparmor=0 init_on_alloc=0 arm64.nopauth cpuidle.off=1 rcupdate.rcu_expedited=1';
  const t = `quiet~loglevel=1~${bk.split(' ').join('~')}`;
  const env = { ...process.env, DL: 'cpio', TMO: '120', CPU: 'max,lpa2=off', K0: `quiet loglevel=1 ${bk}`, V: `l2n=2 s1=2 m1=1024 k1=${t} k2=${t}` };
  const ups: number[] = [];
  console.log(`\nprototype ${PROTOTYPE} (2 L2 guests, best setting):`);
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync('bash', [PROTOTYPE, `nestbed-bench-${Date.now()}`], { env, encoding: 'utf8', timeout: 180_000 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const up = Math.max(...['L2#1', 'L2#2'].map((k) => Number(new RegExp(`${k}=([\\d.]+)`).exec(line)?.[1] ?? NaN)));
    console.log(`  run ${i + 1}: all L2 up ${Number.isNaN(up) ? '–' : `${up.toFixed(1)} s`}   (${line})`);
    if (!Number.isNaN(up)) ups.push(up * 1000);
  }
  if (ups.length) protoMedian = median(ups);
  console.log(`  median all L2 up ${f(protoMedian)} s`);
}

for (const spec of TOPOLOGIES) {
  const [file = '', target = ''] = spec.split(':');
  const text = await readFile(resolve(file), 'utf8');
  const v = validateTopology(text, { profiles });
  if (!v.valid) throw new Error(`${file} is not valid: ${v.diagnostics.map((d) => d.message).join('; ')}`);
  console.log(`\n${file} (${v.valid.guests.length} guests, timing ${v.valid.host.timing}, target all-ready ≤ ${target} s from a warm stack)`);
  const once = async (i: number, warm: boolean): Promise<RunResults> => {
    const { results } = await runTopology({ topology: v.valid!, outDir: join(tmpdir(), `nestbed-bench-${v.valid!.name}-${Date.now()}`), cacheRoot: cache, holdS: 0, warm });
    const g = results.guests.map((x) => `${x.name} ${f(x.boot.readyMs)}`).join('  ');
    const w = results.host.warmStack;
    const ws = w?.snapshot === 'off' ? 'cold' : `${w?.snapshot ?? '?'}${w?.restoreMs !== undefined ? ` (restore ${f(w.restoreMs)} s${w.saveMs !== undefined && w.snapshot === 'made' ? `, boot ${f(w.bootMs)} s, save ${f(w.saveMs)} s` : ''})` : ''}`;
    console.log(`  ${warm ? 'warm' : 'cold'} run ${i + 1}: ${results.status}  ${ws}  L0 init ${f(results.l0.initMs)}  L1 init ${f(results.l1.initMs)}  ${g}  all-ready ${f(results.allReadyMs)}  total ${f(results.wallMs)}  host RSS ${Math.round(results.host.qemuRssMaxKiB / 1024)} MiB  load ${results.host.loadAvgAtStart[0]}${results.failure ? `  (${results.failure.message})` : ''}`);
    return results;
  };
  const cold: RunResults[] = [];
  for (let i = 0; i < COLD_RUNS; i++) cold.push(await once(i, false));
  const warmRuns: RunResults[] = [];
  let made = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await once(i, true);
    if (r.host.warmStack?.snapshot === 'made' && made++ === 0) {
      console.log('    (this run made the snapshot: shown, not in the warm median; one more run)');
      i -= 1;
      continue;
    }
    warmRuns.push(r);
  }
  const coldOk = cold.filter((r) => r.status === 'ok');
  const coldReady = coldOk.length ? median(coldOk.map((r) => r.allReadyMs).filter((x): x is number => x !== undefined)) : NaN;
  const all = warmRuns;
  const ok = all.filter((r) => r.status === 'ok');
  const med = (pick: (r: RunResults) => number | undefined): number => median(ok.map(pick).filter((x): x is number => x !== undefined));
  console.log(`  median of ${ok.length} ok runs (host wall s):`);
  console.log(`    L0 init ${f(med((r) => r.l0.initMs))}   L1 VM start ${f(med((r) => r.l1.vmStartMs))}   L1 init ${f(med((r) => r.l1.initMs))}`);
  for (const [i, g] of v.valid.guests.entries()) {
    console.log(
      `    ${g.name.padEnd(10)} VM start ${f(med((r) => r.guests[i]?.boot.vmStartMs))}  kernel ${f(med((r) => r.guests[i]?.boot.kernelStartMs))}  init ${f(med((r) => r.guests[i]?.boot.initMs))}  ready ${f(med((r) => r.guests[i]?.boot.readyMs))}  (guest time kernel→init ${(med((r) => r.guests[i]?.boot.virtual.kernelToInitS) || 0).toFixed(2)} s)  VMM RSS ${Math.round(med((r) => r.guests[i]?.vmmRssMaxKiB) / 1024)} MiB`,
    );
  }
  const allReady = med((r) => r.allReadyMs);
  if (protoMedian !== undefined) console.log(`    vs the prototype (median ${f(protoMedian)} s): warm ${(allReady / protoMedian).toFixed(2)}×, cold ${(coldReady / protoMedian).toFixed(2)}×`);
  console.log(`    ALL READY ${f(allReady)} s warm (target ${target} s: ${allReady / 1000 <= Number(target) ? 'met' : 'NOT met'}) vs ${f(coldReady)} s cold (median of ${coldOk.length}): ratio ${(allReady / coldReady).toFixed(2)}   restore ${f(med((r) => r.host.warmStack?.restoreMs))} s   total ${f(med((r) => r.wallMs))}   host QEMU RSS ${Math.round(med((r) => r.host.qemuRssMaxKiB) / 1024)} MiB   L1 VMM RSS in L0 ${Math.round(med((r) => r.l0.vmmRssMaxKiB[0]) / 1024)} MiB`);
  for (const [i, g] of v.valid.guests.entries()) {
    if (g.os !== 'rtos') continue;
    const rows = ok.map((r) => r.guests[i]?.rtos).filter((x) => x !== undefined);
    const texts = rows.map((x) => `${x.outcome}, ${x.tasks.map((t) => `${t.name} max ${t.responseMaxUs} µs (${t.deadlineMisses} misses)`).join(', ')}, timer latency max ${x.end?.timerLatencyMaxNs ?? '?'} ns, heartbeat max gap ${x.heartbeats.maxGapS ?? '?'} s`);
    const same = texts.every((x) => x === texts[0]);
    console.log(`    rtos ${g.name}: ${same ? `${texts[0] ?? '-'}${texts.length > 1 ? ` (identical in all ${texts.length} runs)` : ''}` : texts.join(' | ')}`);
  }
  if (v.valid.host.timing === 'deterministic' && ok.length >= 2) {
    for (const [i, g] of v.valid.guests.entries()) {
      const xs = ok.map((r) => r.guests[i]?.boot.virtual.kernelToInitS ?? NaN);
      console.log(`    virtual time ${g.name}: kernel→init ${xs.map((x) => x.toFixed(2)).join(' / ')} s (spread ${(Math.max(...xs) - Math.min(...xs)).toFixed(2)} s)`);
    }
  }
}
