// Boots the rtos guest directly in qemu-system-aarch64 (one level, TCG) and checks what it reports
// against the schedulability analysis. One QEMU at a time, each bounded (≤ 60 s, most ~1 s) and
// killed in afterEach if still alive. Deterministic mode is `-icount shift=0,sleep=off`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { responseTime, type Supply } from '../../src/core/common/analysis/schedulability.js';
import { compareWithBounds, type BoundRow } from '../../src/core/common/rtos/bounds.js';
import type { RtosEvent } from '../../src/core/common/rtos/console.js';
import { rtosCommandLineWords, type RtosParams, type RtosTask } from '../../src/core/common/rtos/params.js';
import { startRtosBoot, type RtosBootHandle, type RtosBootOptions, type RtosBootResult } from '../../src/core/node/rtos/boot.js';
import { buildRtosImage, findCrossCompiler, type RtosImage } from '../../src/core/node/rtos/build.js';
import { findHostQemu } from '../../src/core/node/setup/host-qemu.js';

const cross = await findCrossCompiler();
const qemu = await findHostQemu();
const missing = [!cross && 'aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)', !qemu && 'qemu-system-aarch64'].filter(Boolean).join(' and ');
if (missing) console.warn(`[rtos boot tests skipped] ${missing} not found`);

/** The reference task set, highest priority first (as test/fixtures/rtos/record.ts). */
const TASKS: RtosTask[] = [
  { name: 'brake-monitor', periodUs: 1000, wcetUs: 200, priority: 90 },
  { name: 'torque-arbiter', periodUs: 2000, wcetUs: 300, deadlineUs: 1500, priority: 80 },
  { name: 'diag-logger', periodUs: 5000, wcetUs: 1200, priority: 70 },
];
const analyse = (tasks: readonly RtosTask[], supply: Supply) =>
  tasks.map((t, i) => {
    const deadlineUs = t.deadlineUs ?? t.periodUs;
    return { name: t.name, deadlineUs, responseTimeUs: responseTime({ wcetUs: t.wcetUs, deadlineUs }, tasks.slice(0, i), supply) };
  });

const table = (rows: readonly BoundRow[]): string =>
  [
    'task            bound µs  observed max µs  p99 µs  misses  jobs  verdict',
    ...rows.map((r) => `${r.name.padEnd(16)}${String(r.boundUs).padStart(8)}  ${String(r.observedMaxUs).padStart(15)}  ${String(r.observedP99Us).padStart(6)}  ${String(r.deadlineMisses).padStart(6)}  ${String(r.jobs).padStart(4)}  ${r.verdict}`),
  ].join('\n');

/** The figures that must not change from run to run (guest virtual time only). */
const figures = (events: readonly RtosEvent[]) => events.filter((e) => e.e === 'task' || e.e === 'bye' || e.e === 'hb');
const withoutTimestamps = (events: readonly RtosEvent[]) => events.map((e) => ({ ...e, u: 0 }));

describe.skipIf(!!missing).sequential(`rtos guest, single level (${missing ? `needs ${missing}` : `QEMU ${qemu?.version}, gcc ${cross?.version}`})`, () => {
  let dir: string;
  let image: RtosImage;
  const live = new Set<RtosBootHandle>();

  const boot = async (params: RtosParams | string, o: Partial<Omit<RtosBootOptions, 'append' | 'image'>> = {}): Promise<RtosBootResult> => {
    const append = typeof params === 'string' ? params : rtosCommandLineWords(params).join(' ');
    const h = startRtosBoot({ image: image.path, append, timing: 'deterministic', timeoutMs: 60_000, ...o });
    live.add(h);
    try {
      const r = await h.done;
      // the whole process group is gone (QEMU exited or was killed with its group)
      expect(r.pid).toBeGreaterThan(0);
      expect(() => process.kill(-r.pid!, 0)).toThrow(/ESRCH/);
      return r;
    } finally {
      live.delete(h);
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nb-rtos-it-'));
    image = await buildRtosImage({ outDir: dir });
  }, 120_000);

  afterEach(async () => {
    // nothing of ours may survive a test: kill what is left and check the pid is gone
    for (const h of live) {
      h.process.kill('test ended');
      await h.done.catch(() => undefined);
    }
    live.clear();
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let first: RtosBootResult;

  it('three tasks, deterministic: ready, heartbeats, per-task results within the analytic bounds', async () => {
    first = await boot({ tasks: TASKS, runMs: 300, heartbeatMs: 100 });
    const r = first.result;
    expect(first.killed).toBeUndefined();
    expect(first.exit.code).toBe(0); // PSCI SYSTEM_OFF
    expect(first.stderr.filter((l) => !/warning: icount sleep disabled/.test(l))).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.outcome).toBe('completed');
    expect(r.ready).toMatchObject({ tasks: 3, vcpus: 1, counterHz: 1_000_000_000 });
    expect(r.ready!.atS).toBeLessThan(0.001); // scheduler start within 1 ms of guest time
    expect(r.heartbeats).toMatchObject({ count: 2, missingSeq: 0 });
    expect(r.heartbeats.maxGapS).toBeLessThan(0.11);
    expect(r.tasks.map((t) => [t.name, t.released, t.completed, t.deadlineMisses])).toEqual([
      ['brake-monitor', 300, 300, 0],
      ['torque-arbiter', 150, 150, 0],
      ['diag-logger', 60, 60, 0],
    ]);
    expect(r.end).toMatchObject({ completed: 510, deadlineMisses: 0, stolenNs: 0 });
    const rows = compareWithBounds(r, analyse(TASKS, { kind: 'dedicated' }));
    console.log(
      `rtos: ready at ${(r.ready!.atS * 1e3).toFixed(3)} ms guest time, ${first.wallToReadyMs} ms wall (incl. QEMU start); whole run ${first.wallMs} ms wall; image ${image.size} bytes, sha256 ${image.sha256}\n${table(rows)}`,
    );
    expect(rows.map((x) => x.verdict)).toEqual(['within', 'within', 'within']);
    expect(rows.map((x) => x.boundUs)).toEqual([200, 500, 1900]);
    // synchronous release at the start is the critical instant: the bounds are reached, exactly
    expect(rows.map((x) => x.observedMaxUs)).toEqual([200, 500, 1900]);
  });

  it('a second run gives identical figures (and identical console output)', async () => {
    const again = await boot({ tasks: TASKS, runMs: 300, heartbeatMs: 100 });
    expect(figures(again.events)).toEqual(figures(first.events));
    expect(again.stdout).toEqual(first.stdout);
  });

  it("with QEMU's default icount sleep=on, idling by spinning keeps the figures reproducible", async () => {
    // (spinning under icount costs wall time: every idle nanosecond is an executed instruction)
    const p: RtosParams = { tasks: TASKS, runMs: 100, heartbeatMs: 50, idle: 'spin' };
    const a = await boot(p, { icount: 'shift=0' });
    const b = await boot(p, { icount: 'shift=0' });
    expect(a.result.outcome).toBe('completed');
    // absolute times move with QEMU's start-up (idle host time leaks into virtual time before the
    // first instruction); every duration is identical, and equal to the sleep=off figures
    expect(withoutTimestamps(figures(a.events))).toEqual(withoutTimestamps(figures(b.events)));
    expect(a.result.tasks.map((t) => t.responseMaxUs)).toEqual([200, 500, 1900]);
  });

  it('the slack-gated console keeps slow console writes out of the schedule', async () => {
    const p: RtosParams = { tasks: TASKS, runMs: 300, heartbeatMs: 50, consoleDelayUs: 100 };
    const gated = await boot(p);
    const ungated = await boot({ ...p, consoleGate: false });
    const b = analyse(TASKS, { kind: 'dedicated' });
    expect(compareWithBounds(gated.result, b).map((x) => x.verdict)).toEqual(['within', 'within', 'within']);
    expect(gated.result.end?.timerLatencyMaxNs).toBeLessThan(1000);
    expect(gated.result.heartbeats.count).toBe(5);
    // without the gate a 100 µs console character delays timer interrupts; that time is stolen
    // from the jobs and the observed response times exceed the model, as they should
    expect(ungated.result.end?.timerLatencyMaxNs).toBeGreaterThan(90_000);
    expect(ungated.result.end?.stolenNs).toBeGreaterThan(0);
    expect(compareWithBounds(ungated.result, b).map((x) => x.verdict)).toContain('exceeds');
  });

  it('panic hook, hang: ready and heartbeats, the panic line, then nothing (the VM stays up until killed)', async () => {
    const r = await boot({ tasks: TASKS, runMs: 5000, heartbeatMs: 50, panicAfterMs: 120 }, { timeoutMs: 4000 });
    expect(r.killed).toBe('timed out after 4000 ms');
    expect(r.result.outcome).toBe('crashed');
    expect(r.result.crash).toMatchObject({ kind: 'panic', detail: 'nb_panic_after_ms' });
    expect(r.result.crash!.atS).toBeGreaterThanOrEqual(r.result.ready!.atS + 0.12);
    expect(r.result.heartbeats.count).toBe(2);
    expect(r.events.at(-1)?.e).toBe('panic');
  });

  it('panic hook, off: the guest powers off right after ready (nb_panic=1, as the runner passes it)', async () => {
    const r = await boot(`${rtosCommandLineWords({ tasks: TASKS, runMs: 5000, panicMode: 'off' }).join(' ')} nb_panic=1`, { timeoutMs: 20_000 });
    expect(r.killed).toBeUndefined();
    expect(r.exit.code).toBe(0);
    expect(r.events.map((e) => e.e)).toEqual(['ready', 'panic']);
  });

  it('enters at EL2 (virtualization=on) and drops to EL1', async () => {
    const r = await boot({ tasks: TASKS, runMs: 100, heartbeatMs: 0 }, { el2: true });
    expect(r.result.outcome).toBe('completed');
    expect(r.result.tasks.map((t) => t.responseMaxUs)).toEqual([200, 500, 1900]);
  });

  it('rejects a bad parameter with an err line and powers off', async () => {
    const r = await boot('console=ttyAMA0 nb_tasks=a:1000:200::90:1', { timeoutMs: 20_000 });
    expect(r.exit.code).toBe(0);
    expect(r.result).toMatchObject({ outcome: 'error', error: 'nb_tasks[0]: vcpu 1 but the guest has 1 usable vCPU(s)' });
  });

  it('two vCPUs: tasks on vCPU 1 run on their own scheduler; under icount the vCPUs share one clock', async () => {
    const tasks: RtosTask[] = [...TASKS, { name: 'lidar-fusion', periodUs: 1000, wcetUs: 100, priority: 90, vcpu: 1 }];
    const r = await boot({ tasks, runMs: 100, heartbeatMs: 0 }, { vcpus: 2 });
    expect(r.result.outcome).toBe('completed');
    expect(r.result.ready?.vcpus).toBe(2);
    expect(r.result.tasks.find((t) => t.name === 'lidar-fusion')).toMatchObject({ released: 100, completed: 100 });
    // round-robin TCG: while one vCPU executes the other does not, and its jobs see that as stolen time
    expect(r.result.end!.stolenNs).toBeGreaterThan(0);
  });

  it('the largest command line: 256 tasks with 32-character names', async () => {
    const tasks: RtosTask[] = Array.from({ length: 256 }, (_, i) => ({
      name: `t${String(i).padStart(3, '0')}-${'x'.repeat(27)}`,
      periodUs: 100_000 + i,
      wcetUs: 10,
      priority: 1 + (i % 99),
    }));
    const r = await boot({ tasks, runMs: 50, heartbeatMs: 0 });
    expect(r.result.problems).toEqual([]);
    expect(r.result.outcome).toBe('completed');
    expect(r.result.tasks).toHaveLength(256);
    expect(r.result.tasks.every((t) => t.completed === 1 && t.deadlineMisses === 0)).toBe(true);
    expect(r.result.end!.stackMaxBytes).toBeLessThan(64 * 1024);
  });
});
