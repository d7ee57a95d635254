// Specification of the hierarchical schedulability analysis (spec/topology.md, "Schedulability
// analysis (exact rules…)"). Every expected response time below is derived by hand in a comment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyseSchedulability,
  responseTime,
  responseTimeTerms,
  sbf,
  supplyForGuestVcpu,
  tbf,
  type Supply,
  type VcpuSchedulability,
} from '../../../src/core/common/analysis/schedulability.js';
import type { Guest, Task, Topology } from '../../../src/core/common/model/topology.js';

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────

const dedicated: Supply = { kind: 'dedicated' };
const none: Supply = { kind: 'none' };
const server = (periodUs: number, budgetUs: number): Supply => ({ kind: 'server', periodUs, budgetUs });

/** (C, T[, D]) tuples → task/higher objects, highest priority first. */
type Ctd = readonly [c: number, t: number, d?: number];
const rtaAll = (set: readonly Ctd[], supply: Supply): (number | null)[] =>
  set.map(([c, , d], i) =>
    responseTime(
      { wcetUs: c, deadlineUs: d ?? set[i]![1] },
      set.slice(0, i).map(([wcetUs, periodUs]) => ({ wcetUs, periodUs })),
      supply,
    ),
  );

type GuestInit = Partial<Guest> & { name: string };
const guest = (init: GuestInit): Guest => ({
  role: 'other',
  asil: 'QM',
  os: 'rtos',
  vcpus: init.pin?.length ?? 1,
  pin: [0],
  memoryMiB: 64,
  ...init,
});
const topology = (guests: Guest[], hypervisorVcpus = 8): Topology => ({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'test',
  host: { cpu: 'max', cores: 8, memoryMiB: 8192, timing: 'fast' },
  hypervisor: { kind: 'kvm', vcpus: hypervisorVcpus, memoryMiB: 4096 },
  guests,
});
const task = (name: string, priority: number, wcetUs: number, periodUs: number, extra: Partial<Task> = {}): Task => ({
  name,
  priority,
  wcetUs,
  periodUs,
  ...extra,
});
/** name → responseTimeUs of every analysed task. */
const responseTimes = (res: VcpuSchedulability[]): Record<string, number | null> =>
  Object.fromEntries(res.flatMap((v) => v.tasks.map((t) => [`${v.guest}/${v.vcpu}/${t.name}`, t.responseTimeUs])));

// ── sbf / tbf ───────────────────────────────────────────────────────────────────────────────────

describe('sbf and tbf — server Π = 1000, Θ = 800 (blackout 2(Π − Θ) = 400)', () => {
  // Worst case (Shin & Lee): the budget was consumed at the very start of one period and is served
  // as late as possible in the next, so no supply for 2(Π − Θ) = 400 µs, then Θ = 800 µs of supply,
  // then a 200 µs gap, then 800 µs of supply, and so on.
  const s = server(1000, 800);

  it('sbf is 0 up to and including the blackout, then grows 1:1 for Θ', () => {
    expect(sbf(s, 0)).toBe(0);
    expect(sbf(s, 199)).toBe(0); // t < Π − Θ = 200
    expect(sbf(s, 200)).toBe(0); // y = floor(0/1000) = 0; max(0, 200 − 400) = 0
    expect(sbf(s, 400)).toBe(0); // y = 0; max(0, 400 − 400) = 0
    expect(sbf(s, 401)).toBe(1); // first µs of supply
    expect(sbf(s, 1199)).toBe(799); // y = floor(999/1000) = 0; 1199 − 400 = 799
    expect(sbf(s, 1200)).toBe(800); // y = 1; 800 + max(0, 1200 − 400 − 1000) = 800
  });

  it('sbf is flat during the Π − Θ gap of later periods, then grows again', () => {
    expect(sbf(s, 1300)).toBe(800); // y = 1; 800 + max(0, 1300 − 1400) = 800
    expect(sbf(s, 1400)).toBe(800); // y = 1; 800 + max(0, 0) = 800
    expect(sbf(s, 1401)).toBe(801); // y = 1; 800 + 1
    expect(sbf(s, 2200)).toBe(1600); // y = floor(2000/1000) = 2; 1600 + max(0, 2200 − 400 − 2000) = 1600
    expect(sbf(s, 2800)).toBe(2000); // y = 2; 1600 + (2800 − 400 − 2000) = 2000
  });

  it('tbf follows the closed form 2(Π − Θ) + (k − 1)Π + (w − (k − 1)Θ), k = ceil(w/Θ)', () => {
    expect(tbf(s, 0)).toBe(0); // by definition
    expect(tbf(s, 1)).toBe(401); // k = 1: 400 + 0 + 1
    expect(tbf(s, 100)).toBe(500); // k = 1: 400 + 100
    expect(tbf(s, 800)).toBe(1200); // k = 1: 400 + 800
    expect(tbf(s, 801)).toBe(1401); // k = 2: 400 + 1000 + (801 − 800) — the 200 µs gap is skipped
    expect(tbf(s, 1600)).toBe(2200); // k = 2: 400 + 1000 + 800
    expect(tbf(s, 2000)).toBe(2800); // k = 3: 400 + 2000 + (2000 − 1600)
  });

  it('tbf is the least t with sbf(t) ≥ w at the period boundaries', () => {
    for (const w of [1, 799, 800, 801, 1599, 1600, 1601, 2000]) {
      const t = tbf(s, w);
      expect(sbf(s, t)).toBeGreaterThanOrEqual(w);
      expect(sbf(s, t - 1)).toBeLessThan(w);
    }
  });
});

describe('sbf and tbf — other supplies', () => {
  it('dedicated: sbf(t) = t, tbf(w) = w', () => {
    expect(sbf(dedicated, 0)).toBe(0);
    expect(sbf(dedicated, 12345)).toBe(12345);
    expect(tbf(dedicated, 0)).toBe(0);
    expect(tbf(dedicated, 777)).toBe(777);
  });

  it('none: sbf(t) = 0, tbf(w > 0) = Infinity, tbf(0) = 0', () => {
    expect(sbf(none, 1_000_000)).toBe(0);
    expect(tbf(none, 1)).toBe(Infinity);
    expect(tbf(none, 0)).toBe(0);
  });

  it('server with Θ = Π is a dedicated CPU', () => {
    const full = server(700, 700);
    for (const t of [0, 1, 699, 700, 701, 5000]) expect(sbf(full, t)).toBe(t);
    for (const w of [0, 1, 700, 701, 5000]) expect(tbf(full, w)).toBe(w);
  });

  it('server Π = 10, Θ = 1: one µs per period after a blackout of 18', () => {
    const thin = server(10, 1);
    expect(tbf(thin, 1)).toBe(19); // k = 1: 2·9 + 0 + 1
    expect(tbf(thin, 2)).toBe(29); // k = 2: 18 + 10 + 1
    expect(tbf(thin, 5)).toBe(59); // k = 5: 18 + 40 + 1
    expect(sbf(thin, 58)).toBe(4);
    expect(sbf(thin, 59)).toBe(5);
  });

  it('invalid servers are analysed conservatively: Θ > Π as Θ = Π', () => {
    expect(tbf(server(100, 150), 250)).toBe(250);
    expect(sbf(server(100, 150), 250)).toBe(250);
  });

  it('tbf at the input limits: the result is exact where it can matter', () => {
    // Π = 1e9, Θ = 1, w = 1e9: k = 1e9, tbf = (1e9 + 1)(1e9 − 1) + 1e9 ≈ 1e18 (not exact, but far
    // beyond any deadline ≤ 1e9, which is all the analysis needs).
    expect(tbf(server(1e9, 1), 1e9)).toBeGreaterThan(1e9);
    // Θ = Π − 1 = 999_999_999, w = 1e9: k = 2, tbf = 3·1 + 1e9 (exact).
    expect(tbf(server(1e9, 999_999_999), 1e9)).toBe(1_000_000_003);
  });
});

// ── response time: the spec's example ───────────────────────────────────────────────────────────

describe('responseTime — spec example (safety guest, server Π = 1000, Θ = 800)', () => {
  const s = server(1000, 800);
  it('brake-monitor (C = 100, T = 1000, p = 90) → R = 500', () => {
    // No higher-priority task: R = tbf(100) = 2·200 + 100 = 500.
    expect(responseTime({ wcetUs: 100, deadlineUs: 1000 }, [], s)).toBe(500);
  });
  it('torque-arbiter (C = 600, T = 5000, D = 4000, p = 80) → R = 1200', () => {
    // R0 = tbf(100 + 600) = 400 + 700 = 1100
    // R1 = tbf(600 + ceil(1100/1000)·100 = 800) = 400 + 800 = 1200
    // R2 = tbf(600 + ceil(1200/1000)·100 = 800) = 1200 → fixed point.
    expect(responseTime({ wcetUs: 600, deadlineUs: 4000 }, [{ periodUs: 1000, wcetUs: 100 }], s)).toBe(1200);
  });
});

// ── response time: textbook cases on a dedicated CPU ────────────────────────────────────────────

describe('responseTime — textbook fixed-priority cases, dedicated supply', () => {
  it('Burns & Wellings / Joseph & Pandya set (C,T) = (3,7),(3,12),(5,20) → R = 3, 6, 20 (R = D)', () => {
    // τ1: R = 3.
    // τ2: R0 = 3 + 3 = 6; 3 + ceil(6/7)·3 = 6 → 6.
    // τ3: R0 = 3 + 3 + 5 = 11
    //     5 + ceil(11/7)·3 + ceil(11/12)·3 = 5 + 6 + 3 = 14
    //     5 + ceil(14/7)·3 + ceil(14/12)·3 = 5 + 6 + 6 = 17
    //     5 + ceil(17/7)·3 + ceil(17/12)·3 = 5 + 9 + 6 = 20
    //     5 + ceil(20/7)·3 + ceil(20/12)·3 = 5 + 9 + 6 = 20 → 20 = D: schedulable, no slack.
    expect(rtaAll([[3, 7], [3, 12], [5, 20]], dedicated)).toEqual([3, 6, 20]);
  });

  it('(C,T) = (1,4),(2,6),(3,12), U = 0.83 → R = 1, 3, 10', () => {
    // τ2: R0 = 3; 2 + ceil(3/4)·1 = 3 → 3.
    // τ3: R0 = 6; 3 + ceil(6/4)·1 + ceil(6/6)·2 = 3 + 2 + 2 = 7
    //     3 + ceil(7/4)·1 + ceil(7/6)·2 = 3 + 2 + 4 = 9
    //     3 + ceil(9/4)·1 + ceil(9/6)·2 = 3 + 3 + 4 = 10
    //     3 + ceil(10/4)·1 + ceil(10/6)·2 = 3 + 3 + 4 = 10 → 10 ≤ 12.
    expect(rtaAll([[1, 4], [2, 6], [3, 12]], dedicated)).toEqual([1, 3, 10]);
  });

  it('harmonic set at U = 1: (1,2),(2,4) → R = 1, 4 (R = D)', () => {
    // τ2: R0 = 3; 2 + ceil(3/2)·1 = 4; 2 + ceil(4/2)·1 = 4 → 4 = T.
    expect(rtaAll([[1, 2], [2, 4]], dedicated)).toEqual([1, 4]);
  });

  it('initial workload exactly D: (2,4),(2,4) → R = 2, 4', () => {
    // τ2: R0 = 2 + 2 = 4 = D; 2 + ceil(4/4)·2 = 4 → 4.
    expect(rtaAll([[2, 4], [2, 4]], dedicated)).toEqual([2, 4]);
    expect(rtaAll([[2, 4], [2, 4, 3]], dedicated)).toEqual([2, null]);
  });

  it('constrained deadline miss at U = 0.75: (2,4), (C=2,T=8,D=3) → null', () => {
    // τ2: R0 = 2 + 2 = 4 > D = 3 → stop, unschedulable (although U = 2/4 + 2/8 = 0.75 ≤ 1).
    expect(rtaAll([[2, 4], [2, 8, 3]], dedicated)).toEqual([2, null]);
  });

  it('miss found during the iteration: (1,3), (C=3,T=12,D=4) → null; with D = 5 → 5', () => {
    // τ2: R0 = 1 + 3 = 4 ≤ 4; 3 + ceil(4/3)·1 = 5 > 4 → unschedulable.
    expect(rtaAll([[1, 3], [3, 12, 4]], dedicated)).toEqual([1, null]);
    // With D = 5: 3 + ceil(5/3)·1 = 5 → fixed point 5 = D.
    expect(rtaAll([[1, 3], [3, 12, 5]], dedicated)).toEqual([1, 5]);
  });

  it('rate-monotonic priorities reversed: the long task first starves the short one', () => {
    // Priority order (C,T) = (3,12), (2,4): τ2: R0 = 5 > 4 → null, although RM order would pass.
    expect(rtaAll([[3, 12], [2, 4]], dedicated)).toEqual([3, null]);
    expect(rtaAll([[2, 4], [3, 12]], dedicated)).toEqual([2, 7]); // 3 + ceil(5/4)·2 = 7; 3 + ceil(7/4)·2 = 7
  });

  it('a task whose own C exceeds D is unschedulable immediately', () => {
    expect(responseTime({ wcetUs: 11, deadlineUs: 10 }, [], dedicated)).toBeNull();
  });
});

// ── response time: servers ──────────────────────────────────────────────────────────────────────

describe('responseTime — periodic servers', () => {
  it('the blackout 2(Π − Θ) makes a light task miss under a 50 % server that fits its utilisation', () => {
    // Task C = 200, T = D = 1000 (U = 0.2).
    // Dedicated: R = 200.
    expect(responseTime({ wcetUs: 200, deadlineUs: 1000 }, [], dedicated)).toBe(200);
    // Server Π = 1000, Θ = 500 (bandwidth 0.5 ≥ 0.2): R = tbf(200) = 2·500 + 200 = 1200 > 1000 → miss.
    expect(responseTime({ wcetUs: 200, deadlineUs: 1000 }, [], server(1000, 500))).toBeNull();
    // Same bandwidth, shorter period Π = 500, Θ = 250: R = tbf(200) = 2·250 + 200 = 700 → fits.
    expect(responseTime({ wcetUs: 200, deadlineUs: 1000 }, [], server(500, 250))).toBe(700);
  });

  it('a task needing k = 3 server periods: Π = 1000, Θ = 800, C = 2000 → R = 2800', () => {
    // k = ceil(2000/800) = 3: tbf = 400 + 2·1000 + (2000 − 1600) = 2800.
    expect(responseTime({ wcetUs: 2000, deadlineUs: 10_000 }, [], server(1000, 800))).toBe(2800);
    expect(responseTime({ wcetUs: 2000, deadlineUs: 2799 }, [], server(1000, 800))).toBeNull();
  });

  it('interference across server periods: Π = 10, Θ = 5, (C,T) = (2,20),(6,40) → R = 12, 25', () => {
    // τ1: tbf(2) = 2·5 + 2 = 12.
    // τ2: R0 = tbf(8): k = 2 → 10 + 10 + 3 = 23
    //     w = 6 + ceil(23/20)·2 = 10 → tbf(10): k = 2 → 10 + 10 + 5 = 25
    //     w = 6 + ceil(25/20)·2 = 10 → 25: fixed point ≤ 40.
    expect(rtaAll([[2, 20], [6, 40]], server(10, 5))).toEqual([12, 25]);
  });

  it('the spec example fails with a longer server period of the same bandwidth (Π = 5000, Θ = 4000)', () => {
    // brake-monitor: tbf(100) = 2·1000 + 100 = 2100 > 1000 → miss.
    expect(responseTime({ wcetUs: 100, deadlineUs: 1000 }, [], server(5000, 4000))).toBeNull();
  });

  it('Θ = Π behaves exactly like a dedicated CPU (Burns & Wellings set → 3, 6, 20)', () => {
    expect(rtaAll([[3, 7], [3, 12], [5, 20]], server(1, 1))).toEqual([3, 6, 20]);
    expect(rtaAll([[3, 7], [3, 12], [5, 20]], server(1000, 1000))).toEqual([3, 6, 20]);
  });

  it('supply none: every task is unschedulable', () => {
    expect(responseTime({ wcetUs: 1, deadlineUs: 1_000_000 }, [], none)).toBeNull();
  });

  it('extreme inputs stay correct: huge interference terms overflow 2^53 but the verdict holds', () => {
    // ceil(1e9 / 1)·1e9 = 1e18 > 2^53 is not exact, yet it exceeds D, so "miss" is exact.
    expect(responseTime({ wcetUs: 1, deadlineUs: 1e9 }, [{ periodUs: 1, wcetUs: 1e9 }], dedicated)).toBeNull();
    // Largest exact schedulable case: a lone task C = D = 1e9 on a dedicated CPU.
    expect(responseTime({ wcetUs: 1e9, deadlineUs: 1e9 }, [], dedicated)).toBe(1e9);
  });
});

// ── supply detection and whole-topology analysis ────────────────────────────────────────────────

describe('supplyForGuestVcpu', () => {
  it('server when the guest has a vcpuServer, even on a shared hypervisor vCPU', () => {
    const topo = topology([
      guest({ name: 'a', pin: [0], vcpuServer: { periodUs: 1000, budgetUs: 400 } }),
      guest({ name: 'b', pin: [0], vcpuServer: { periodUs: 1000, budgetUs: 600 } }),
    ]);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'server', periodUs: 1000, budgetUs: 400 });
    expect(supplyForGuestVcpu(topo, 1, 0)).toEqual({ kind: 'server', periodUs: 1000, budgetUs: 600 });
  });

  it('dedicated when nobody else is pinned there; none when another guest shares it', () => {
    const topo = topology([guest({ name: 'a', pin: [0] }), guest({ name: 'b', pin: [1] }), guest({ name: 'c', pin: [1] })]);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'dedicated' });
    expect(supplyForGuestVcpu(topo, 1, 0)).toEqual({ kind: 'none' });
    expect(supplyForGuestVcpu(topo, 2, 0)).toEqual({ kind: 'none' });
  });

  it('none when two vCPUs of the same guest share a hypervisor vCPU', () => {
    const topo = topology([guest({ name: 'a', vcpus: 3, pin: [0, 0, 1] })]);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'none' });
    expect(supplyForGuestVcpu(topo, 0, 1)).toEqual({ kind: 'none' });
    expect(supplyForGuestVcpu(topo, 0, 2)).toEqual({ kind: 'dedicated' });
  });

  it('a sharer with a server still takes the dedicated CPU away from a server-less guest', () => {
    const topo = topology([guest({ name: 'a', pin: [0] }), guest({ name: 'b', pin: [0], vcpuServer: { periodUs: 10, budgetUs: 1 } })]);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'none' });
  });

  it('invalid topologies: missing pin entry, pin out of range, unknown guest or vCPU → none', () => {
    const topo = topology([guest({ name: 'a', vcpus: 2, pin: [0] }), guest({ name: 'b', pin: [9] })], 4);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'dedicated' });
    expect(supplyForGuestVcpu(topo, 0, 1)).toEqual({ kind: 'none' }); // pin shorter than vcpus
    expect(supplyForGuestVcpu(topo, 1, 0)).toEqual({ kind: 'none' }); // hypervisor has vCPUs 0..3
    expect(supplyForGuestVcpu(topo, 0, 2)).toEqual({ kind: 'none' }); // guest has vCPUs 0..1
    expect(supplyForGuestVcpu(topo, 5, 0)).toEqual({ kind: 'none' });
  });

  it('extra pin entries beyond vcpus still count as sharers (conservative)', () => {
    const topo = topology([guest({ name: 'a', vcpus: 1, pin: [0, 0] })]);
    expect(supplyForGuestVcpu(topo, 0, 0)).toEqual({ kind: 'none' });
  });
});

describe('analyseSchedulability', () => {
  it('reproduces the spec example and its JSON fields', () => {
    const topo = topology(
      [
        guest({
          name: 'safety',
          role: 'safety',
          asil: 'D',
          pin: [0],
          vcpuServer: { periodUs: 1000, budgetUs: 800 },
          tasks: [
            task('brake-monitor', 90, 100, 1000),
            task('torque-arbiter', 80, 600, 5000, { deadlineUs: 4000, vcpu: 0 }),
          ],
        }),
        guest({ name: 'ivi', role: 'infotainment', os: 'linux', pin: [1], memoryMiB: 256 }),
      ],
      2,
    );
    expect(analyseSchedulability(topo)).toEqual([
      {
        guest: 'safety',
        vcpu: 0,
        supply: { kind: 'server', periodUs: 1000, budgetUs: 800 },
        interruptPathUs: 0,
        tasks: [
          { name: 'brake-monitor', priority: 90, periodUs: 1000, wcetUs: 100, deadlineUs: 1000, responseTimeUs: 500, schedulable: true, slackUs: 500 },
          { name: 'torque-arbiter', priority: 80, periodUs: 5000, wcetUs: 600, deadlineUs: 4000, responseTimeUs: 1200, schedulable: true, slackUs: 2800 },
        ],
      },
    ]);
  });

  it('omits the reason key for schedulable tasks and returns a fresh supply object', () => {
    const vcpuServer = { periodUs: 1000, budgetUs: 800 };
    const [res] = analyseSchedulability(topology([guest({ name: 'a', vcpuServer, tasks: [task('x', 1, 1, 1000)] })]));
    expect(res!.tasks[0]).not.toHaveProperty('reason');
    expect(res!.supply).not.toBe(vcpuServer);
    expect(JSON.parse(JSON.stringify(res))).toEqual(res);
  });

  it('detects dedicated, none and server supplies per vCPU', () => {
    const tasks = [task('t', 10, 100, 1000)];
    const topo = topology([
      guest({ name: 'ded', pin: [0], tasks }),
      guest({ name: 'shared-a', pin: [1], tasks }),
      guest({ name: 'shared-b', pin: [1], tasks }),
      guest({ name: 'srv', pin: [1], vcpuServer: { periodUs: 500, budgetUs: 250 }, tasks }),
    ]);
    const res = analyseSchedulability(topo);
    expect(res.map((v) => [v.guest, v.supply.kind])).toEqual([
      ['ded', 'dedicated'],
      ['shared-a', 'none'],
      ['shared-b', 'none'],
      ['srv', 'server'],
    ]);
    expect(res[0]!.tasks[0]).toMatchObject({ responseTimeUs: 100, schedulable: true, slackUs: 900 });
    expect(res[1]!.tasks[0]).toEqual({
      name: 't',
      priority: 10,
      periodUs: 1000,
      wcetUs: 100,
      deadlineUs: 1000,
      responseTimeUs: null,
      schedulable: false,
      slackUs: null,
      reason: 'no-guaranteed-supply',
    });
    expect(res[3]!.tasks[0]).toMatchObject({ responseTimeUs: 600, schedulable: true }); // 2·250 + 100
  });

  it('reports deadline misses with reason deadline-miss', () => {
    const [res] = analyseSchedulability(
      topology([guest({ name: 'a', tasks: [task('hi', 9, 2, 4), task('lo', 1, 2, 8, { deadlineUs: 3 })] })]),
    );
    expect(res!.tasks[1]).toMatchObject({ name: 'lo', responseTimeUs: null, schedulable: false, slackUs: null, reason: 'deadline-miss' });
  });

  it('orders by guest order, then vCPU ascending, then priority descending; omits vCPUs without tasks', () => {
    const topo = topology([
      guest({ name: 'zeta', pin: [0], tasks: [task('z', 5, 1, 100)] }),
      guest({
        name: 'alpha',
        vcpus: 4,
        pin: [1, 2, 3, 4],
        tasks: [
          task('c-low', 10, 10, 100, { vcpu: 3 }),
          task('b-mid', 50, 10, 100, { vcpu: 1 }),
          task('a-high', 90, 10, 100, { vcpu: 3 }),
          task('d-only', 20, 10, 100, { vcpu: 1 }),
        ],
      }),
      guest({ name: 'empty', pin: [5], tasks: [] }),
    ]);
    const res = analyseSchedulability(topo);
    expect(res.map((v) => [v.guest, v.vcpu, v.tasks.map((t) => t.name)])).toEqual([
      ['zeta', 0, ['z']],
      ['alpha', 1, ['b-mid', 'd-only']],
      ['alpha', 3, ['a-high', 'c-low']],
    ]);
    // Tasks on different vCPUs do not interfere: each vCPU's low task sees only its own vCPU.
    expect(responseTimes(res)).toEqual({ 'zeta/0/z': 1, 'alpha/1/b-mid': 10, 'alpha/1/d-only': 20, 'alpha/3/a-high': 10, 'alpha/3/c-low': 20 });
  });

  it('multi-vCPU guest: each vCPU gets its own supply', () => {
    const topo = topology([
      guest({
        name: 'adas',
        vcpus: 2,
        pin: [0, 1],
        tasks: [task('p0', 10, 300, 1000), task('p1', 10, 300, 1000, { vcpu: 1 })],
      }),
      guest({ name: 'other', pin: [1] }),
    ]);
    const res = analyseSchedulability(topo);
    expect(res.map((v) => [v.vcpu, v.supply.kind, v.tasks[0]!.responseTimeUs])).toEqual([
      [0, 'dedicated', 300],
      [1, 'none', null],
    ]);
  });

  it('a server applies to every vCPU of the guest', () => {
    const topo = topology([
      guest({
        name: 'g',
        vcpus: 2,
        pin: [0, 0],
        vcpuServer: { periodUs: 1000, budgetUs: 500 },
        tasks: [task('a', 1, 100, 2000), task('b', 1, 100, 2000, { vcpu: 1 })],
      }),
    ]);
    expect(analyseSchedulability(topo).map((v) => v.tasks[0]!.responseTimeUs)).toEqual([1100, 1100]); // 2·500 + 100
  });

  it('equal priorities interfere with each other (pessimistic); name breaks the tie in the output', () => {
    const [res] = analyseSchedulability(
      topology([guest({ name: 'g', tasks: [task('b', 7, 2, 10), task('a', 7, 1, 10), task('low', 1, 1, 10), task('top', 9, 1, 10)] })]),
    );
    // top: 1. a and b: each sees top and the other: 1 + 1 + 2 = 4. low: 1 + 1 + 1 + 2 = 5.
    expect(res!.tasks.map((t) => [t.name, t.responseTimeUs])).toEqual([
      ['top', 1],
      ['a', 4],
      ['b', 4],
      ['low', 5],
    ]);
  });

  it('skips tasks whose vcpu is out of range and checks D > T against the period', () => {
    const [res, ...rest] = analyseSchedulability(
      topology([
        guest({
          name: 'g',
          tasks: [task('ok', 5, 1, 10), task('ghost', 9, 5, 10, { vcpu: 1 }), task('late', 1, 6, 10, { deadlineUs: 20 })],
        }),
      ]),
    );
    expect(rest).toEqual([]);
    expect(res!.tasks.map((t) => t.name)).toEqual(['ok', 'late']);
    // late: R = 7 (≤ 10 = min(D, T)), reported against its declared D = 20.
    expect(res!.tasks[1]).toMatchObject({ responseTimeUs: 7, deadlineUs: 20, slackUs: 13 });
    const [capped] = analyseSchedulability(
      topology([guest({ name: 'g', tasks: [task('hi', 5, 5, 10), task('late', 1, 6, 10, { deadlineUs: 20 })] })]),
    );
    // late: R0 = 11 > min(20, 10) → reported as a miss although 11 ≤ D (a second job would be released).
    expect(capped!.tasks[1]).toMatchObject({ responseTimeUs: null, reason: 'deadline-miss' });
  });

  it('returns [] when no guest has tasks; a guest whose only tasks are out of range is omitted', () => {
    expect(analyseSchedulability(topology([guest({ name: 'a' })]))).toEqual([]);
    expect(analyseSchedulability(topology([guest({ name: 'a', tasks: [task('x', 1, 1, 10, { vcpu: 3 })] })]))).toEqual([]);
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────────

const RUNS = { numRuns: 300 };

type GenTask = { periodUs: number; wcetUs: number; deadlineUs: number };
/** A task with C ≤ D ≤ T ≤ maxT. */
const arbTask = (maxT: number): fc.Arbitrary<GenTask> =>
  fc
    .tuple(fc.integer({ min: 1, max: maxT }), fc.nat(), fc.nat())
    .map(([periodUs, d, c]) => {
      const deadlineUs = 1 + (d % periodUs);
      return { periodUs, deadlineUs, wcetUs: 1 + (c % deadlineUs) };
    });
/** A server with 1 ≤ Θ ≤ Π ≤ maxP. */
const arbServer = (maxP: number): fc.Arbitrary<Supply> =>
  fc.tuple(fc.integer({ min: 1, max: maxP }), fc.nat()).map(([p, b]) => server(p, 1 + (b % p)));
const arbSupply = (maxP: number): fc.Arbitrary<Supply> => fc.oneof(fc.constant(dedicated), arbServer(maxP));

/** Worst-case supply pattern realising sbf exactly: CPU available in unit slot [s, s + 1). */
const supplied = (supply: Supply, slot: number): boolean => {
  if (supply.kind === 'dedicated') return true;
  if (supply.kind === 'none') return false;
  const blackout = supply.periodUs - supply.budgetUs;
  return slot >= 2 * blackout && (slot - 2 * blackout) % supply.periodUs < supply.budgetUs;
};

/** Discrete-time fixed-priority preemptive simulation from the critical instant (all tasks released
 * at 0) on the worst-case supply pattern. `higher` in priority order; the task under analysis is
 * the lowest. Returns the completion time of its first job, or null if it is not done by D. */
const simulate = (t: GenTask, higher: readonly GenTask[], supply: Supply): number | null => {
  const queues: number[][] = higher.map(() => []);
  let remaining = t.wcetUs;
  for (let slot = 0; slot < t.deadlineUs; slot++) {
    higher.forEach((h, j) => {
      if (slot % h.periodUs === 0) queues[j]!.push(h.wcetUs);
    });
    if (!supplied(supply, slot)) continue;
    const q = queues.find((queue) => queue.length > 0);
    if (q !== undefined) {
      q[0]! -= 1;
      if (q[0] === 0) q.shift();
    } else if (--remaining === 0) {
      return slot + 1;
    }
  }
  return null;
};

describe('properties of sbf/tbf', () => {
  it('tbf(w) is the least t with sbf(t) ≥ w', () => {
    fc.assert(
      fc.property(fc.oneof(arbSupply(1_000_000), arbServer(50)), fc.integer({ min: 1, max: 10_000_000 }), (s, w) => {
        const t = tbf(s, w);
        return sbf(s, t) >= w && sbf(s, t - 1) < w;
      }),
      RUNS,
    );
  });

  it('sbf equals the supply of the worst-case pattern (blackout 2(Π − Θ), then Θ every Π)', () => {
    fc.assert(
      fc.property(arbServer(20), (s) => {
        let supply = 0;
        for (let t = 0; t <= 200; t++) {
          if (sbf(s, t) !== supply) return false;
          if (supplied(s, t)) supply++;
        }
        return true;
      }),
      RUNS,
    );
  });

  it('sbf is non-decreasing, grows by at most 1 per µs, and is monotone in the budget', () => {
    fc.assert(
      fc.property(arbServer(1000), fc.integer({ min: 0, max: 100_000 }), fc.nat(), (s, t, extra) => {
        if (s.kind !== 'server') return true;
        const more = server(s.periodUs, s.budgetUs + (extra % (s.periodUs - s.budgetUs + 1)));
        const d = sbf(s, t + 1) - sbf(s, t);
        return d >= 0 && d <= 1 && sbf(more, t) >= sbf(s, t);
      }),
      RUNS,
    );
  });
});

describe('properties of responseTime', () => {
  const arbSet = (maxT: number, maxN: number) => fc.array(arbTask(maxT), { minLength: 1, maxLength: maxN });

  it('equals the completion time in a critical-instant simulation on the worst-case supply', () => {
    fc.assert(
      fc.property(arbSet(60, 5), arbSupply(12), (set, s) => {
        for (let i = 0; i < set.length; i++) {
          const hp = set.slice(0, i);
          const r = responseTime(set[i]!, hp, s);
          const sim = simulate(set[i]!, hp, s);
          if (r !== sim) return false;
        }
        return true;
      }),
      RUNS,
    );
  });

  it('R ≥ C_i + Σ_hp C_j and R ≥ tbf(C_i) (indeed R ≥ tbf(Σ_{hp ∪ {i}} C)); R ≤ D', () => {
    fc.assert(
      fc.property(arbSet(100_000, 8), arbSupply(50_000), (set, s) => {
        let sumC = 0;
        for (let i = 0; i < set.length; i++) {
          sumC += set[i]!.wcetUs;
          const r = responseTime(set[i]!, set.slice(0, i), s);
          if (r === null) continue;
          if (!(r >= sumC && r >= tbf(s, set[i]!.wcetUs) && r >= tbf(s, sumC) && r <= set[i]!.deadlineUs)) return false;
        }
        return true;
      }),
      RUNS,
    );
  });

  it('raising a server budget (Θ ≤ Π) never hurts', () => {
    fc.assert(
      fc.property(arbSet(20_000, 6), arbServer(5_000), fc.nat(), (set, s, extra) => {
        if (s.kind !== 'server') return true;
        const more = server(s.periodUs, s.budgetUs + (extra % (s.periodUs - s.budgetUs + 1)));
        for (let i = 0; i < set.length; i++) {
          const before = responseTime(set[i]!, set.slice(0, i), s);
          if (before === null) continue;
          const after = responseTime(set[i]!, set.slice(0, i), more);
          if (after === null || after > before) return false;
        }
        return true;
      }),
      RUNS,
    );
  });
});

describe('properties of analyseSchedulability', () => {
  type Spec = { tasks: Task[]; vcpuServer?: { periodUs: number; budgetUs: number } };
  const arbGuestSpec = (explicitDeadlines: boolean): fc.Arbitrary<Spec> =>
    fc
      .tuple(
        fc.array(fc.tuple(arbTask(20_000), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 7 }),
        fc.option(arbServer(5_000), { nil: undefined }),
      )
      .map(([ts, s]) => ({
        tasks: ts.map(([t, priority], i) => ({
          name: `t${i}`,
          priority, // duplicates allowed: analysed pessimistically
          periodUs: t.periodUs,
          wcetUs: t.wcetUs,
          ...(explicitDeadlines ? { deadlineUs: t.deadlineUs } : {}),
        })),
        ...(s?.kind === 'server' ? { vcpuServer: { periodUs: s.periodUs, budgetUs: s.budgetUs } } : {}),
      }));
  const analyse = (spec: Spec) =>
    new Map(analyseSchedulability(topology([guest({ name: 'g', ...spec })]))[0]!.tasks.map((t) => [t.name, t]));

  const periodMonotone = (explicitDeadlines: boolean) =>
    fc.assert(
      fc.property(arbGuestSpec(explicitDeadlines), fc.nat(), fc.integer({ min: 1, max: 10_000 }), (spec, which, delta) => {
        const idx = which % spec.tasks.length;
        const raised: Spec = { ...spec, tasks: spec.tasks.map((t, i) => (i === idx ? { ...t, periodUs: t.periodUs + delta } : t)) };
        const before = analyse(spec);
        const after = analyse(raised);
        for (const [name, b] of before) {
          if (!b.schedulable) continue;
          const a = after.get(name)!;
          if (!a.schedulable || a.responseTimeUs! > b.responseTimeUs!) return false;
        }
        return true;
      }),
      RUNS,
    );

  it('raising any task period (implicit deadline = period) never hurts', () => periodMonotone(false));
  it('raising any task period (fixed explicit deadlines) never hurts', () => periodMonotone(true));

  it('agrees with responseTime over hp(i) = other tasks with priority ≥ p_i', () => {
    fc.assert(
      fc.property(arbGuestSpec(true), (spec) => {
        const supply: Supply = spec.vcpuServer ? { kind: 'server', ...spec.vcpuServer } : dedicated;
        const results = analyse(spec);
        return spec.tasks.every((t) => {
          const hp = spec.tasks.filter((o) => o !== t && o.priority >= t.priority);
          return results.get(t.name)!.responseTimeUs === responseTime({ wcetUs: t.wcetUs, deadlineUs: t.deadlineUs! }, hp, supply);
        });
      }),
      RUNS,
    );
  });
});

describe('responseTime — platform interrupt path J (release jitter + J per release)', () => {
  // docs/schedulability.md, "Platform overhead", worked example: dedicated vCPU, J = 5 µs
  //   τ1 C=100 T=1000; τ2 C=600 T=5000 D=4000; τ3 C=50 T=10000 (priority order)
  const t1 = { periodUs: 1000, wcetUs: 100 };
  const t2 = { periodUs: 5000, wcetUs: 600 };
  const t3 = { periodUs: 10000, wcetUs: 50 };
  const j = (interruptPathUs: number, lower: { periodUs: number }[] = []) => ({ interruptPathUs, lower });
  it('R = J + w, w = C + Σ_hp ⌈(w+J)/T⌉(C+J) + Σ_lp ⌈(w+J)/T⌉·J: the worked example, exactly', () => {
    expect(responseTime({ wcetUs: 100, deadlineUs: 1000 }, [], { kind: 'dedicated' }, j(5, [t2, t3]))).toBe(115);
    expect(responseTime({ wcetUs: 600, deadlineUs: 4000 }, [t1], { kind: 'dedicated' }, j(5, [t3]))).toBe(715);
    expect(responseTime({ wcetUs: 50, deadlineUs: 10000 }, [t1, t2], { kind: 'dedicated' }, j(5))).toBe(765);
  });
  it('J = 0 is the classic analysis, on every supply', () => {
    for (const supply of [{ kind: 'dedicated' as const }, { kind: 'server' as const, periodUs: 1000, budgetUs: 800 }]) {
      expect(responseTime({ wcetUs: 600, deadlineUs: 4000 }, [t1], supply, j(0, [t3]))).toBe(responseTime({ wcetUs: 600, deadlineUs: 4000 }, [t1], supply));
    }
  });
  it('a large J pushes the bound past the deadline (null), while responseTimeTerms still reports it', () => {
    expect(responseTime({ wcetUs: 100, deadlineUs: 1000 }, [], { kind: 'dedicated' }, j(900))).toBe(1000);
    expect(responseTime({ wcetUs: 100, deadlineUs: 1000 }, [], { kind: 'dedicated' }, j(901))).toBeNull();
    expect(responseTimeTerms({ wcetUs: 100 }, [], { kind: 'dedicated' }, j(901), 1e9)).toEqual({ responseTimeUs: 1001, executionUs: 100, interferenceUs: 0, platformUs: 901, supplyDelayUs: 0 });
  });
  it('the terms add up to the response time (dedicated) and name the server blackout', () => {
    const d = responseTimeTerms({ wcetUs: 600 }, [t1], { kind: 'dedicated' }, j(5, [t3]), 1e9)!;
    expect(d).toEqual({ responseTimeUs: 715, executionUs: 600, interferenceUs: 100, platformUs: 15, supplyDelayUs: 0 });
    expect(d.executionUs + d.interferenceUs + d.platformUs + d.supplyDelayUs).toBe(d.responseTimeUs);
    const s = responseTimeTerms({ wcetUs: 600 }, [t1], { kind: 'server', periodUs: 1000, budgetUs: 800 }, j(5, [t3]), 1e9)!;
    expect(s.executionUs + s.interferenceUs + s.platformUs + s.supplyDelayUs).toBe(s.responseTimeUs);
    expect(s.supplyDelayUs).toBeGreaterThan(0);
  });
  it('property: for any task set the bound with J ≥ the bound without, and grows with J', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 }), (c, hpC, jUs) => {
        const hp = [{ periodUs: 1000, wcetUs: hpC }];
        const base = responseTime({ wcetUs: c, deadlineUs: 1000 }, hp, { kind: 'dedicated' });
        const withJ = responseTime({ wcetUs: c, deadlineUs: 1000 }, hp, { kind: 'dedicated' }, j(jUs));
        const more = responseTime({ wcetUs: c, deadlineUs: 1000 }, hp, { kind: 'dedicated' }, j(jUs + 1));
        if (withJ !== null) expect(withJ).toBeGreaterThanOrEqual(base!);
        if (more !== null) expect(withJ).not.toBeNull();
        if (more !== null && withJ !== null) expect(more).toBeGreaterThan(withJ);
      }),
    );
  });
});
