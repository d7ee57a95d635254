// The run's time bounds (src/core/node/run/watchdog.ts): each stage's bound fires just after its
// limit, counted from the right moment, and not at the limit itself.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { asValidForTest } from '../../helpers/topology.js';
import { STAGE_TIMEOUTS_S as fromRunner } from '../../../src/core/node/run/runner.js';
import { overdue, STAGE_TIMEOUTS_S, startWatchdog, timeoutMessage, WATCHDOG_INTERVAL_MS, workSeconds, type WatchdogOptions, type WatchdogSnapshot } from '../../../src/core/node/run/watchdog.js';

interface Progress {
  l0InitMs?: number;
  l1VmStartMs?: number;
  l1InitMs?: number;
  allReadyMs?: number;
  l0Done?: boolean;
  ready?: readonly boolean[];
}

/** A collector's progress with three guests (alpha, beta, gamma). */
const snap = (p: Progress = {}): WatchdogSnapshot => ({
  l0: { initMs: p.l0InitMs },
  l1: { initMs: p.l1InitMs, vmStartMs: p.l1VmStartMs },
  allReadyMs: p.allReadyMs,
  l0Done: p.l0Done ?? false,
  guests: ['alpha', 'beta', 'gamma'].map((name, i) => ({ name, boot: { readyMs: (p.ready ?? [])[i] ? 1 : undefined } })),
});

const FAST: WatchdogOptions = { deterministic: false, workS: 0, orch: false, phaseS: 0 };

/** The message at `ms`, or undefined when no bound is overrun. */
const at = (c: WatchdogSnapshot, ms: number, o: WatchdogOptions = FAST): string | undefined => {
  const late = overdue(c, ms, o);
  return late && timeoutMessage(late);
};

/** The first host ms (from `fromMs`, 1 ms steps) at which a bound fires. */
const firesAt = (c: WatchdogSnapshot, o: WatchdogOptions, fromMs: number): number => {
  for (let ms = fromMs; ms < fromMs + 10_000_000; ms++) if (overdue(c, ms, o)) return ms;
  throw new Error('never fires');
};

describe('stage bounds', () => {
  it('are re-exported by the runner', () => {
    expect(fromRunner).toBe(STAGE_TIMEOUTS_S);
    expect(STAGE_TIMEOUTS_S).toEqual({ l0Init: 60, l1Init: 120, guestsReadyBase: 150, guestsReadyPerGuest: 45, afterReady: 90, shutdown: 30 });
  });

  it('L0 init: 60 s from the start', () => {
    expect(at(snap(), 60_000)).toBeUndefined();
    expect(at(snap(), 60_001)).toMatchInlineSnapshot(`"timeout: L0 (emulated server) did not reach its init within 60 s"`);
    expect(overdue(snap(), 60_001, FAST)).toEqual({ what: 'L0 (emulated server) did not reach its init', limitS: 60 });
  });

  it('L1 init: 120 s from L1\'s VM start, or from L0\'s init before that', () => {
    expect(firesAt(snap({ l0InitMs: 7_000 }), FAST, 0)).toBe(127_001);
    const started = snap({ l0InitMs: 7_000, l1VmStartMs: 10_000 });
    expect(at(started, 130_000)).toBeUndefined();
    expect(at(started, 130_001)).toMatchInlineSnapshot(`"timeout: L1 (guest hypervisor) did not reach its init within 120 s"`);
  });

  it('guests ready: 150 s + 45 s per further guest from L1\'s init, naming the guests not ready', () => {
    const c = snap({ l0InitMs: 7_000, l1VmStartMs: 10_000, l1InitMs: 20_000, ready: [true, false, false] });
    // 150 + 45 × 2 = 240 s
    expect(at(c, 260_000)).toBeUndefined();
    expect(at(c, 260_001)).toMatchInlineSnapshot(`"timeout: guest(s) beta, gamma did not reach their ready marker within 240 s"`);
  });

  it('after all-ready: 90 s + the workloads + the hold (default 2 s) + 60 s and the phases of an orchestrated run', () => {
    const c = snap({ l0InitMs: 7_000, l1InitMs: 20_000, allReadyMs: 70_000, ready: [true, true, true] });
    expect(firesAt(c, FAST, 70_000)).toBe(70_000 + 92_000 + 1);
    expect(at(c, 162_001)).toMatchInlineSnapshot(`"timeout: the guests did not finish their workloads and power off within 92 s"`);
    expect(overdue(c, 0, FAST)).toBeUndefined();
    // workS 6 s, hold 1 s: 97 s
    expect(firesAt(c, { ...FAST, workS: 6, holdS: 1 }, 70_000)).toBe(70_000 + 97_000 + 1);
    // orchestrated with 10 s of phases: 90 + 2 + 60 + 10 = 162 s
    expect(overdue(c, 70_000 + 162_001, { ...FAST, orch: true, phaseS: 10 })).toEqual({ what: 'the guests did not finish their workloads and power off', limitS: 162 });
    expect(overdue(c, 70_000 + 162_000, { ...FAST, orch: true, phaseS: 10 })).toBeUndefined();
  });

  it('none once L0 is done', () => {
    const done = snap({ l0InitMs: 7_000, l1InitMs: 20_000, allReadyMs: 70_000, l0Done: true, ready: [true, true, true] });
    expect(overdue(done, 10_000_000, FAST)).toBeUndefined();
  });

  it('deterministic timing doubles every stage bound; the test hook scales them further', () => {
    const det: WatchdogOptions = { ...FAST, deterministic: true };
    expect(firesAt(snap(), det, 0)).toBe(120_001);
    expect(at(snap(), 120_001, det)).toMatchInlineSnapshot(`"timeout: L0 (emulated server) did not reach its init within 120 s"`);
    expect(firesAt(snap({ l0InitMs: 7_000 }), det, 0)).toBe(7_000 + 240_001);
    expect(overdue(snap({ l0InitMs: 7_000, l1InitMs: 20_000, ready: [true] }), 20_000 + 480_001, det)?.limitS).toBe(480);
    expect(firesAt(snap({ l0InitMs: 7_000, l1InitMs: 20_000, allReadyMs: 70_000 }), det, 70_000)).toBe(70_000 + 184_001);
    expect(firesAt(snap(), { ...det, stageTimeoutScale: 0.25 }, 0)).toBe(30_001);
    expect(firesAt(snap(), { ...FAST, stageTimeoutScale: 3 }, 0)).toBe(180_001);
  });

  it('--timeout bounds the whole run, unscaled, before any stage bound and after L0 is done', () => {
    const o: WatchdogOptions = { ...FAST, deterministic: true, timeoutS: 8 };
    expect(at(snap(), 8_000, o)).toBeUndefined();
    expect(at(snap(), 8_001, o)).toMatchInlineSnapshot(`"timeout: the whole run (--timeout) did not finish within 8 s"`);
    // a stage bound already overrun: --timeout is reported
    expect(overdue(snap(), 500_000, { ...FAST, timeoutS: 300 })?.what).toBe('the whole run (--timeout) did not finish');
    expect(overdue(snap({ l0InitMs: 1, l1InitMs: 2, allReadyMs: 3, l0Done: true }), 8_001, o)?.limitS).toBe(8);
    // a --timeout longer than the stage: the stage bound fires first
    expect(at(snap(), 60_001, { ...FAST, timeoutS: 600 })).toMatch(/^timeout: L0/);
  });
});

describe('workSeconds', () => {
  const topo = (guests: unknown[]): ReturnType<typeof asValidForTest> =>
    asValidForTest({ apiVersion: 'nestbed/v1', kind: 'Topology', name: 'w', host: { cpu: 'max', cores: 2, memoryMiB: 2048 }, hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 }, guests });
  const linux = (name: string, pin: number, workload?: unknown): unknown => ({ name, role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [pin], memoryMiB: 256, ...(workload ? { workload } : {}) });
  const rtos = { name: 'safety', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64, tasks: [{ name: 'bm', periodUs: 1000, wcetUs: 100, priority: 90 }] };

  it('is 3× the longest of the rtos run and each cyclictest', () => {
    expect(workSeconds(topo([linux('a', 0)]), 4_000)).toBe(0);
    // cyclictest 1000 µs × 5000 loops = 5 s → 15 s
    expect(workSeconds(topo([linux('a', 0, { cyclictest: { intervalUs: 1000, loops: 5000 } })]), 4_000)).toBe(15);
    // the rtos guest's run of 4 s → 12 s; the longer cyclictest wins
    expect(workSeconds(topo([linux('a', 0), rtos]), 4_000)).toBe(12);
    expect(workSeconds(topo([linux('a', 0, { cyclictest: { intervalUs: 1000, loops: 5000 } }), rtos]), 4_000)).toBe(15);
  });
});

describe('startWatchdog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks every 250 ms while the run is not over, and stops', () => {
    vi.useFakeTimers();
    let nowMs = 0;
    let over = false;
    const fired: string[] = [];
    const stop = startWatchdog({ snapshot: snap(), now: () => nowMs, over: () => over, onOverdue: (o) => fired.push(timeoutMessage(o)) }, { ...FAST, timeoutS: 1 });
    expect(WATCHDOG_INTERVAL_MS).toBe(250);
    nowMs = 1_000;
    vi.advanceTimersByTime(250);
    expect(fired).toEqual([]);
    nowMs = 1_001;
    vi.advanceTimersByTime(249);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['timeout: the whole run (--timeout) did not finish within 1 s']);
    over = true;
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveLength(1);
    over = false;
    stop();
    vi.advanceTimersByTime(1_000);
    expect(fired).toHaveLength(1);
  });
});
