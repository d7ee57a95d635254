// `npm run bench` — validation speed, in-process (no Node start-up), median of repeated runs.
// Sizes: the examples, generated topologies of N guests × 50 tasks up to the schema's limit of 32,
// and a 1,000-guest stress topology beyond the limit through the library API (checkTopology).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { guestSchema, topologySchema, type Topology } from '../src/core/common/model/topology.js';
import { parseSource } from '../src/core/common/validate/parse-source.js';
import { checkTopology, validateTopology } from '../src/core/common/validate/validate-topology.js';
import { loadProfiles } from '../src/core/node/profiles.js';
import { median } from './stats.js';

const root = join(import.meta.dirname, '..');
const { profiles } = await loadProfiles(join(root, 'ecu-profiles'));


/** Median wall time of `f` in ms, after warm-up, over at least `minRuns` runs and ~`budgetMs`. */
const measure = (f: () => unknown, minRuns = 30, budgetMs = 1500): { median: number; p90: number; runs: number } => {
  for (let i = 0; i < 5; i++) f();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < budgetMs && times.length < 2000)) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(times), p90: sorted[Math.floor(sorted.length * 0.9)]!, runs: times.length };
};

/** N guests, each on its own hypervisor vCPU with a server and `tasks` harmonic tasks. */
const generate = (guests: number, tasks: number): Topology => ({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: `gen-${guests}x${tasks}`,
  profile: 'nvidia-drive-orin',
  host: { cpu: 'ampereone', cores: 64, memoryMiB: 1_048_576, timing: 'deterministic' },
  hypervisor: { kind: 'kvm', vcpus: Math.min(64, guests), memoryMiB: 1_000_000 },
  guests: Array.from({ length: guests }, (_, g) => ({
    name: `g${g}`,
    role: g === 0 ? 'safety' : 'infotainment',
    asil: g === 0 ? 'D' : 'QM',
    os: g === 0 ? 'rtos' : 'linux',
    vcpus: 1,
    pin: [g % 64],
    memoryMiB: 64,
    vcpuServer: { periodUs: 1000, budgetUs: guests > 64 ? Math.floor(1000 / Math.ceil(guests / 64)) : 900 },
    tasks: Array.from({ length: tasks }, (_, t) => ({ name: `t${t}`, periodUs: 10_000 * (1 + (t % 10)), wcetUs: 20 + (t % 7), priority: 99 - t })),
  })),
  channels: Array.from({ length: guests - 1 }, (_, g) => ({ from: `g${g + 1}`, to: 'g0', kind: 'vsock' as const, port: 5000 + g })),
});

const rows: string[][] = [];
const row = (what: string, bytes: number, r: { median: number; p90: number; runs: number }, note = '') =>
  rows.push([what, `${(bytes / 1024).toFixed(1)} KiB`, r.median.toFixed(3), r.p90.toFixed(3), String(r.runs), note]);

for (const name of ['zonal-controller.yaml', 'minimal.yaml']) {
  const text = readFileSync(join(root, 'examples', name), 'utf8');
  const v = validateTopology(text, { profiles });
  row(`examples/${name}`, text.length, measure(() => validateTopology(text, { profiles })), `${v.errors} errors`);
}

const perGuest: Array<[number, number]> = [];
for (const n of [1, 4, 8, 16, 32]) {
  const text = stringify(generate(n, 50));
  const v = validateTopology(text, { profiles });
  if (v.errors > 0) throw new Error(`generated ${n}x50 has errors: ${v.diagnostics[0]?.message}`);
  const r = measure(() => validateTopology(text, { profiles }));
  perGuest.push([n, r.median]);
  row(`generated ${n} guests × 50 tasks`, text.length, r);
}

// Beyond the schema limit (32 guests): same pipeline, with the guest-count limit lifted.
const stressSchema = topologySchema.extend({ guests: z.array(guestSchema).min(1) });
{
  const [n, t] = [1000, 5];
  const text = stringify(generate(n, t));
  const pipeline = () => {
    const parsed = parseSource(text);
    if (parsed.diagnostics.length > 0) throw new Error(`stress ${n}x${t}: ${parsed.diagnostics[0]!.code} ${parsed.diagnostics[0]!.message}`);
    return checkTopology(stressSchema.parse(parsed.value), parsed.sourceMap, { profiles });
  };
  const v = pipeline();
  row(`stress ${n} guests × ${t} tasks, text (library API)`, text.length, measure(pipeline, 5, 4000), `${v.errors} errors, ${v.warnings} warnings`);
}
{
  // 1,000 × 50 is > 4 MiB of YAML (over the file limit): check the object directly.
  const topology = generate(1000, 50);
  const noSource = { locate: () => ({ line: 1, column: 1, endLine: 1, endColumn: 1 }) };
  const check = () => checkTopology(topology, noSource, { profiles });
  const v = check();
  row('stress 1000 guests × 50 tasks, object (library API)', JSON.stringify(topology).length, measure(check, 5, 4000), `${v.errors} errors, ${v.warnings} warnings`);
}

const widths = ['case', 'size', 'median ms', 'p90 ms', 'runs', ''].map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (r: string[]) => r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(`nestbed validate — in-process, Node ${process.version}, ${new Date().toISOString()}`);
console.log(fmt(['case', 'size', 'median ms', 'p90 ms', 'runs', '']));
for (const r of rows) console.log(fmt(r));
const [n1, t1] = perGuest[0]!;
const [n32, t32] = perGuest[perGuest.length - 1]!;
console.log(`\ngrowth: ${n1} → ${n32} guests × 50 tasks: ×${(t32 / t1).toFixed(1)} time for ×${n32 / n1} size (${(t32 / n32).toFixed(3)} ms per guest at 32)`);
