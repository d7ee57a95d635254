// The judge on a recorded real run (test/fixtures/runs/two-linux-fast: two Linux guests, fast
// timing) and on variants of it that break one check each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeRun } from '../../../src/core/common/checks/judge.js';
import type { CheckReport } from '../../../src/core/common/model/check-report.js';
import { runResultsSchema, type RunResults } from '../../../src/core/common/model/run-results.js';
import { profiles, repoRoot, validateText } from '../../helpers/validate.js';

const fixture = join(repoRoot, 'test/fixtures/runs/two-linux-fast');
const recorded = runResultsSchema.parse(JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')));
const topologyText = readFileSync(join(fixture, 'topology.yaml'), 'utf8');

const judgeInput = (text: string, results: RunResults, profile?: string) => {
  const v = validateText(text, profile);
  return { topology: v.topology!, profile: v.profile, results, schedulability: v.schedulability, diagnostics: v.diagnostics, toolVersion: 't', command: 'report' as const };
};
const judge = (opts: { text?: string; results?: RunResults; profile?: string } = {}): CheckReport => judgeRun(judgeInput(opts.text ?? topologyText, opts.results ?? recorded, opts.profile));
const check = (r: CheckReport, id: string, guest?: string) => r.checks.find((c) => c.id === id && c.guest === guest)!;
const clone = (): RunResults => structuredClone(recorded);
const withBudgets = (budgets: string) => topologyText.replace('memoryMiB: 256 }\n  - { name: two', `memoryMiB: 256, budgets: ${budgets} }\n  - { name: two`);

describe('judge', () => {
  it('NV2 evidence from L0 passes; the run recorded VHE+NV2', () => {
    const r = judge();
    expect(check(r, 'stack.nv2')).toMatchObject({ verdict: 'pass' });
    expect(check(r, 'stack.nv2').message).toContain('VHE+NV2 mode initialized successfully');
  });

  it('without budgets, boot and memory are measured and skipped, never passed', () => {
    const r = judge();
    expect(check(r, 'boot', 'one')).toMatchObject({ verdict: 'skipped', measured: { value: 35331, unit: 'ms', timeBase: 'host-wall' } });
    expect(check(r, 'memory', 'one')).toMatchObject({ verdict: 'skipped', measured: { value: 28.9, unit: 'MiB' } });
  });

  it('fast timing: a boot over budget is an indicative warning, not a failure', () => {
    const r = judge({ text: withBudgets('{ bootMs: 1000, memoryMiB: 64 }') });
    const boot = check(r, 'boot', 'one');
    expect(boot).toMatchObject({ verdict: 'warn', indicative: true, budget: { value: 1000, unit: 'ms' }, budgetSource: 'topology guests[0].budgets.bootMs' });
    expect(boot.message).toBe('one ready after 35331 ms (host-wall, VM start → ready) > bootMs 1000');
    expect(check(r, 'memory', 'one')).toMatchObject({ verdict: 'pass', budget: { value: 64 } });
  });

  it('deterministic timing: a boot over budget fails with the measured value and the budget', () => {
    const results = clone();
    results.timing = 'deterministic';
    const r = judge({ text: withBudgets('{ bootMs: 100 }'), results });
    const boot = check(r, 'boot', 'one');
    // kernel→init 14.79 s + init→ready 2.37 s of guest virtual time.
    expect(boot).toMatchObject({ verdict: 'fail', measured: { value: 17160, unit: 'ms', timeBase: 'guest-virtual' }, budget: { value: 100 } });
    expect(r.success).toBe(false);
  });

  it('deterministic timing with a profile maps virtual time to the ECU (instructions ÷ MHz·IPC)', () => {
    const results = clone();
    results.timing = 'deterministic';
    const r = judge({ results, profile: 'nvidia-drive-orin' });
    const orin = profiles.get('nvidia-drive-orin')!;
    const scale = 1000 / (orin.cpu.clusters[0]!.mhz * (orin.cpu.ipc ?? 1));
    expect(check(r, 'boot', 'one').measured).toEqual({ value: Math.ceil(17160 * scale), unit: 'ms', timeBase: 'ecu-equivalent' });
    expect(r.timingModel).toContain('ECU-equivalent time = instructions ÷ (2201 MHz');
  });

  it('memory over budget fails naming both figures', () => {
    const r = judge({ text: withBudgets('{ memoryMiB: 16 }') });
    const m = check(r, 'memory', 'one');
    expect(m.verdict).toBe('fail');
    expect(m.message).toMatch(/^one uses 28\.9 MiB at ready > memoryMiB 16; its VMM in L1: 188 MiB RSS/);
  });

  it('parity: a feature the ECU has and the guest lacks fails; extras warn', () => {
    // the recorded guests see pointer authentication (paca, pacg) like Orin's A78AE: extras only
    expect(check(judge({ profile: 'nvidia-drive-orin' }), 'parity.isa', 'one').verdict).toBe('warn');
    // a stack without it (e.g. kernels booted with arm64.nopauth): Orin binaries would not run
    const nopauth = clone();
    nopauth.l1.cpuFeatures = nopauth.l1.cpuFeatures.filter((f) => f !== 'paca' && f !== 'pacg');
    const orin = judge({ profile: 'nvidia-drive-orin', results: nopauth });
    expect(check(orin, 'parity.isa', 'one')).toMatchObject({ verdict: 'fail' });
    expect(check(orin, 'parity.isa', 'one').message).toContain('paca pacg');
    const s32 = judge({ profile: 'nxp-s32g3' });
    expect(check(s32, 'parity.isa', 'one').verdict).toBe('warn');
    expect(check(s32, 'parity.isa', 'one').message).toMatch(/plus \d+ the ECU lacks .*: .*sve|atomics/);
    expect(check(s32, 'parity.arch', 'one').verdict).toBe('pass');
  });

  it('pinning read back from L1 is compared with the topology', () => {
    expect(check(judge(), 'isolation.pinning').verdict).toBe('pass');
    const results = clone();
    results.guests[1]!.pinApplied = { '0': '1' }; // guest two declared pin [1] → mask 0x2
    const r = judge({ results });
    expect(check(r, 'isolation.pinning')).toMatchObject({ verdict: 'fail' });
    expect(check(r, 'isolation.pinning').message).toContain('two (pin 1, affinity {"0":"1"})');
  });

  it('the scheduling policy read back from L1 is compared with the reservation', () => {
    // both guests have a hypervisor vCPU of their own: default policy in their partitions, as recorded
    expect(recorded.guests.map((g) => [g.reservation.kind, g.schedApplied?.['0']?.policy])).toEqual([
      ['dedicated', 'other'],
      ['dedicated', 'other'],
    ]);
    expect(check(judge(), 'isolation.pinning').message).toContain('one other, two other');
    const results = clone();
    results.guests[1]!.schedApplied = { '0': { policy: 'fifo', priority: 50, runtimeUs: 0, deadlineUs: 0, periodUs: 0 } };
    expect(check(judge({ results }), 'isolation.pinning')).toMatchObject({ verdict: 'fail', message: 'vCPU thread scheduling differs from the topology: two vCPU 0: fifo, expected other' });
    const deadline = clone();
    deadline.guests[0]!.reservation = { ...deadline.guests[0]!.reservation, kind: 'deadline', budgetUs: 600, periodUs: 1000 };
    deadline.guests[0]!.schedApplied = { '0': { policy: 'deadline', priority: 0, runtimeUs: 500, deadlineUs: 1000, periodUs: 1000 } };
    expect(check(judge({ results: deadline }), 'isolation.pinning').message).toContain('one vCPU 0: deadline 500/1000 µs, expected deadline 600/1000 µs');
    const refused = clone();
    refused.guests[0]!.reservation = { ...refused.guests[0]!.reservation, error: 'L1 refused SCHED_DEADLINE on a vCPU thread (err16: EBUSY)' };
    expect(check(judge({ results: refused }), 'isolation.pinning')).toMatchObject({ verdict: 'fail', message: 'CPU reservation not applied: one: L1 refused SCHED_DEADLINE on a vCPU thread (err16: EBUSY)' });
  });

  it('a failed run fails the report', () => {
    const results = clone();
    results.status = 'failed';
    results.failure = { reason: 'kernel-panic', message: 'guest two: Kernel panic - not syncing', level: 2, guest: 'two', consoleTail: [] };
    const r = judge({ results });
    expect(check(r, 'run')).toMatchObject({ verdict: 'fail', message: 'the run failed: guest two: Kernel panic - not syncing' });
  });

  it('unimplemented isolation probes are skipped with a reason, never passed', () => {
    const r = judge();
    for (const id of ['isolation.fault-containment', 'isolation.spatial', 'isolation.channels', 'isolation.interference']) {
      expect(check(r, id)).toMatchObject({ verdict: 'skipped' });
    }
  });
});

describe('judge: rtos guests', () => {
  // Guest "two" of the recorded run, turned into an rtos guest with one task on a dedicated vCPU:
  // the analytic bound of brake (C=200, T=1000) alone is R = 200 µs.
  const rtosTopology = topologyText.replace(
    '{ name: two, role: other, asil: QM, os: linux, vcpus: 1, pin: [1], memoryMiB: 256 }',
    '{ name: two, role: safety, asil: D, os: rtos, vcpus: 1, pin: [1], memoryMiB: 64, budgets: { latencyUs: 50 }, tasks: [ { name: brake, periodUs: 1000, wcetUs: 200, priority: 90 } ] }',
  );
  const withRtos = (observedMaxUs: number, misses = 0, latencyNs = 44, latencyMinNs?: number): RunResults => {
    const results = clone();
    results.timing = 'deterministic';
    results.guests[1]!.os = 'rtos';
    results.guests[1]!.rtos = {
      runMs: 1000,
      heartbeatMs: 250,
      timeBase: 'virtual (icount)',
      outcome: 'completed',
      heartbeats: { count: 4, missingSeq: 0, maxGapS: 0.25, lastS: 1, timesS: [0.25, 0.5, 0.75, 1] },
      tasks: [{ name: 'brake', released: 1000, completed: 1000, deadlineMisses: misses, responseMinUs: 200, responseMaxUs: observedMaxUs, responseP99Us: 200, releaseJitterMaxNs: 0, startLatencyMaxNs: 44 }],
      end: { atS: 1, completed: 1000, deadlineMisses: misses, timerLatencyMaxNs: latencyNs, timerLatencyP99Ns: latencyNs, ...(latencyMinNs !== undefined ? { timerLatencyMinNs: latencyMinNs } : {}), stackMaxBytes: 512, stolenNs: 0, memTotalKiB: 65536, memAvailableKiB: 64000 },
      problems: [],
    };
    return results;
  };

  it('observed ≤ the bound with the measured interrupt path and no misses passes, quoting both and the terms', () => {
    // J = the worst timer delivery, 44 ns → 1 µs; R = J + C = 201 µs
    const s = check(judge({ text: rtosTopology, results: withRtos(200) }), 'scheduling', 'two');
    expect(s).toMatchObject({
      verdict: 'pass',
      measured: { value: 200, unit: 'µs', timeBase: 'guest-virtual' },
      budget: { value: 201, unit: 'µs', timeBase: 'guest-virtual' },
      budgetSource: 'analysis with the measured platform interrupt path J = 1 µs (worst timer delivery, guest-virtual)',
    });
    expect(s.message).toContain('brake 200/201 µs');
    const rows = (s.details as { rows: { name: string; targetBoundUs: number; attribution: unknown }[] }).rows;
    expect(rows[0]).toMatchObject({ name: 'brake', targetBoundUs: 200, attribution: { clock: 'guest-virtual', executionUs: 200, interferenceUs: 0, platformPathUs: 1, supplyDelayUs: 0 } });
  });

  it('an observed response above the bound fails loudly: something the model does not know delayed it', () => {
    const s = check(judge({ text: rtosTopology, results: withRtos(260) }), 'scheduling', 'two');
    expect(s.verdict).toBe('fail');
    expect(s.message).toContain('brake (260 > 201 µs) — something the model does not know delayed it');
  });

  it('deadline misses the measured platform cannot explain fail', () => {
    expect(check(judge({ text: rtosTopology, results: withRtos(200, 3) }), 'scheduling', 'two').message).toBe('two: brake missed 3 of 1000 (bound with measured J 201 µs, deadline 1000 µs, on the ECU 200 µs)');
  });

  it("deadline misses the emulated platform's own interrupt path explains are inconclusive; --strict fails them", () => {
    // J = 900 µs: R = 900 + 200 = 1100 > D = 1000, while the ECU (J = 5 µs on Orin) gives 205
    const results = withRtos(1050, 7, 900_000, 40_000);
    const r = judge({ text: rtosTopology, results, profile: 'nvidia-drive-orin' });
    const s = check(r, 'scheduling', 'two');
    expect(s.verdict).toBe('inconclusive');
    expect(s.message).toBe(
      "two: inconclusive — brake missed 7 of 1000 (bound with measured J 1100 µs, deadline 1000 µs, on the ECU 205 µs): the emulated platform's own interrupt path (J = 900 µs) pushes the bound past the deadline, while the ECU's (J = 5 µs) meets it; a hardware run settles it",
    );
    expect(r.summary.inconclusive).toBeGreaterThan(0);
    const strict = judgeRun({ ...judgeInput(rtosTopology, results, 'nvidia-drive-orin'), strict: true });
    expect(strict).toMatchObject({ success: false, strict: true });
  });

  it('on hardware such misses fail: the measured interrupt path is the target\'s own', () => {
    const results = withRtos(1050, 7, 900_000, 40_000);
    results.timing = 'hardware';
    results.guests[1]!.rtos!.timeBase = 'hardware (host clock)';
    const s = check(judge({ text: rtosTopology, results, profile: 'nvidia-drive-orin' }), 'scheduling', 'two');
    expect(s).toMatchObject({ verdict: 'fail', measured: { value: 1050, timeBase: 'hardware' }, budget: { value: 1100, timeBase: 'hardware' } });
    expect(s.message).toBe("two: brake missed 7 of 1000 (bound with measured J 1100 µs, deadline 1000 µs, on the ECU 205 µs): on this hardware the platform's own interrupt path (J = 900 µs) pushes the bound past the deadline");
  });

  it('the rtos timer latency is judged against latencyUs in virtual time', () => {
    expect(check(judge({ text: rtosTopology, results: withRtos(200, 0, 44) }), 'latency', 'two')).toMatchObject({ verdict: 'pass', measured: { value: 1, unit: 'µs', timeBase: 'guest-virtual' } });
    const slow = check(judge({ text: rtosTopology, results: withRtos(200, 0, 73_000) }), 'latency', 'two');
    expect(slow).toMatchObject({ verdict: 'fail', measured: { value: 73 }, budget: { value: 50 } });
  });

  it("latency over budget: inconclusive when the emulated floor is above it, fail when the floor is not, fail when the ECU's own path is", () => {
    // Orin: ECU-equivalent = virtual × 1000 / (2201 MHz × IPC 2)
    const floorHigh = check(judge({ text: rtosTopology, results: withRtos(200, 0, 400_000, 300_000), profile: 'nvidia-drive-orin' }), 'latency', 'two');
    expect(floorHigh).toMatchObject({ verdict: 'inconclusive', measured: { value: 91, timeBase: 'ecu-equivalent' }, budget: { value: 50 } });
    expect(floorHigh.message).toContain("inconclusive — the emulated platform's own floor (its fastest wake-up, 69 µs ecu-equivalent) is above the budget");
    expect(floorHigh.details).toMatchObject({ attribution: { clock: 'ecu-equivalent', platformFloorUs: 69, platformFloor: 'its fastest wake-up', aboveFloorUs: 22 } });
    const floorLow = check(judge({ text: rtosTopology, results: withRtos(200, 0, 400_000, 20_000), profile: 'nvidia-drive-orin' }), 'latency', 'two');
    expect(floorLow).toMatchObject({ verdict: 'fail', measured: { value: 91 } });
    const tiny = rtosTopology.replace('latencyUs: 50', 'latencyUs: 2');
    const belowEcu = check(judge({ text: tiny, results: withRtos(200, 0, 400_000, 300_000), profile: 'nvidia-drive-orin' }), 'latency', 'two');
    expect(belowEcu.verdict).toBe('fail');
    expect(belowEcu.message).toContain("the budget is below the ECU's own interrupt path (5 µs, profile nvidia-drive-orin)");
  });

  it("with per-phase windows, the platform's floor is its worst delivery with the other guests idle (latency and J)", () => {
    const results = withRtos(1500, 0, 2_800_000, 40_000);
    const w = (phase: string, lat: number) => ({ phase, fromMs: 0, toMs: 1, heartbeats: 4, maxIntervalS: 0.5, meanIntervalS: 0.5, jobs: 2000, deadlineMisses: 0, stolenNs: 300_000_000, guestS: 2, timerLatencyMaxNs: lat });
    const window = w('idle', 300_000);
    results.isolation = {
      phases: [],
      safetyWindows: [w('boot', 2_800_000), w('idle', 300_000), w('stress', 310_000)],
      interference: { guest: 'two', metric: 'm', timeBase: 'virtual (icount)', stressGuests: ['one'], idle: window, stress: window, maxIntervalRatio: 1, missesPerKJobs: { idle: 0, stress: 0 } },
      notes: [],
    };
    const r = judge({ text: rtosTopology, results, profile: 'nvidia-drive-orin' });
    const lat = check(r, 'latency', 'two');
    // 300 µs virtual × 0.227 = 69 µs ECU-equivalent > 50: the platform alone is above the budget
    expect(lat.verdict).toBe('inconclusive');
    expect(lat.message).toContain("the emulated platform's own floor (its worst delivery with the other guests idle, 69 µs ecu-equivalent)");
    const s = check(r, 'scheduling', 'two');
    // J = 300: bound 300 + 200 = 500 < the observed 1500 (the boot window's 2.8 ms delivery): fail
    expect(s).toMatchObject({ verdict: 'fail', budget: { value: 500 } });
    expect(s.message).toContain('J = 300 µs (worst timer delivery with the other guests idle, guest-virtual) for brake (1500 > 500 µs)');
    expect(s.message).toContain('the worst delivery was in the boot window (2800 µs virtual, 0 miss(es) there)');
  });

  it('an rtos guest without its report fails scheduling', () => {
    const results = withRtos(200);
    delete results.guests[1]!.rtos;
    expect(check(judge({ text: rtosTopology, results }), 'scheduling', 'two').verdict).toBe('fail');
  });
});

describe('judge: isolation probes', () => {
  const withChannels = (ok: boolean, refused: boolean): RunResults => {
    const results = clone();
    results.channels = {
      declared: ['one→two:5000'],
      realised: true,
      note: 'vsock + L1 relay',
      probes: [{ from: 'one', to: 'two', port: 5000, ok, detail: ok ? 'echo answered' : 'connection timed out', probedFrom: 'guest', endsAtRelay: false }],
      undeclared: [{ from: 'two', to: 'one', port: 5001, via: 'relay', refused, detail: refused ? 'ECONNRESET' : 'connected' }],
    };
    return results;
  };

  it('channels: declared works and undeclared is refused → pass', () => {
    expect(check(judge({ results: withChannels(true, true) }), 'isolation.channels')).toMatchObject({ verdict: 'pass', message: '1 declared channel(s) answered, 1 undeclared attempt(s) refused' });
  });
  it('channels: an undeclared connection that gets through fails', () => {
    expect(check(judge({ results: withChannels(true, false) }), 'isolation.channels').message).toBe('an undeclared connection was NOT refused: two → one:5001 (relay: connected)');
  });
  it('channels: a declared channel that does not answer fails', () => {
    expect(check(judge({ results: withChannels(false, true) }), 'isolation.channels').verdict).toBe('fail');
  });

  const withFault = (keptRunning: boolean, vmmExit: boolean): RunResults => {
    const results = clone();
    results.isolation = {
      phases: [],
      fault: {
        guest: 'two',
        injectedAtMs: 50_000,
        panicSeen: true,
        panicAtMs: 50_300,
        vmmExit: vmmExit ? { code: 0, atMs: 50_900 } : null,
        windowS: 6,
        others: [{ guest: 'one', os: 'linux', keptRunning, evidence: keptRunning ? 'agent event 3.1 s after the fault' : 'no event after the fault' }],
      },
      notes: [],
    };
    return results;
  };
  it('fault containment: the victim dies, L1 reports it, the others keep running → pass', () => {
    const c = check(judge({ results: withFault(true, true) }), 'isolation.fault-containment');
    expect(c.verdict).toBe('pass');
    expect(c.message).toBe('two panicked, L1 reported its VMM exit (code 0); one kept running (agent event 3.1 s after the fault)');
  });
  it('fault containment: a guest taken down, or no exit reported, fails', () => {
    expect(check(judge({ results: withFault(false, true) }), 'isolation.fault-containment').message).toBe("two's panic took down one (no event after the fault)");
    expect(check(judge({ results: withFault(true, false) }), 'isolation.fault-containment').verdict).toBe('fail');
  });

  it('interference: the ratio is the measured value; more misses under stress fail unless within noise', () => {
    const results = clone();
    const window = (misses: number) => ({ fromMs: 0, toMs: 6000, heartbeats: 12, maxIntervalS: 0.5, meanIntervalS: 0.5, jobs: 1000, deadlineMisses: misses });
    results.isolation = {
      phases: [],
      interference: { guest: 'one', metric: 'heartbeat interval max', timeBase: 'virtual (icount)', stressGuests: ['two'], idle: window(0), stress: window(10), maxIntervalRatio: 1.8, missesPerKJobs: { idle: 0, stress: 10 } },
      notes: [],
    };
    const c = check(judge({ results }), 'isolation.interference', 'one');
    // 0 vs 10 misses in 1000 jobs each: P(all 10 under stress | 10 misses) = 2^-10
    expect(c).toMatchObject({ verdict: 'fail', measured: { value: 1.8, unit: 'ratio (stress/idle)' } });
    expect((c.details as { pValue: number }).pValue).toBeCloseTo(1 / 1024, 12);
    // 2 vs 5: p ≈ 0.23, within noise
    results.isolation.interference = { ...results.isolation.interference!, idle: window(2), stress: window(5), missesPerKJobs: { idle: 2, stress: 5 } };
    const noise = check(judge({ results }), 'isolation.interference', 'one');
    expect(noise.verdict).toBe('pass');
    expect(noise.message).toContain('deadline misses 2 of 1000 jobs idle → 5 of 1000 under stress (per 1000: 2 → 5; one-sided binomial p = 0.23');
    expect(noise.message).toContain('more misses under stress, but within noise');
    results.isolation.interference!.missesPerKJobs = { idle: 0, stress: 0 };
    expect(check(judge({ results }), 'isolation.interference', 'one').verdict).toBe('pass');
  });
});

describe('judge: hardware timing (a launcher run on an arm64 KVM host)', () => {
  /** The recorded run as a launcher's on hardware: no emulated L0, real time. */
  const onHardware = (): RunResults => {
    const results = clone();
    results.timing = 'hardware';
    results.launcher = { timeBase: 'hardware', host: 'Linux board 6.12.0 aarch64', bundle: null };
    results.l0 = { level: 0, virtual: {}, kvmLog: [], nv2: false, cpuFeatures: [], kvmSamples: [], vmmRssMaxKiB: [] };
    return results;
  };

  it('what needs the emulated L0 is skipped as not applying on hardware, never failed', () => {
    const r = judge({ results: onHardware(), profile: 'nvidia-drive-orin' });
    expect(check(r, 'stack.nv2')).toMatchObject({ verdict: 'skipped', message: "L0's VHE+NV2 evidence: does not apply on hardware — the launcher ran the guests under the host's own KVM, there is no emulated L0 (the launcher's host reported KVM in VHE mode)" });
    expect(check(r, 'parity.arch', 'one')).toMatchObject({ verdict: 'skipped', message: expect.stringContaining(': does not apply on hardware') });
    expect(check(r, 'parity.isa', 'one').message).toContain("On hardware nothing is masked: the guests see the host's own core through KVM.");
    expect(r.timingModel).toMatch(/^hardware \(host clock\): .*not scaled to the nvidia-drive-orin ECU/);
  });

  it("a boot over budget fails for real on the guest's own clock, not scaled to the ECU and not indicative", () => {
    const r = judge({ text: withBudgets('{ bootMs: 1000 }'), results: onHardware(), profile: 'nvidia-drive-orin' });
    const boot = check(r, 'boot', 'one');
    // kernel→init 14.79 s + init→ready 2.37 s of the guest's clock, as measured
    expect(boot).toMatchObject({ verdict: 'fail', measured: { value: 17160, unit: 'ms', timeBase: 'hardware' }, budget: { value: 1000 } });
    expect(boot.indicative).toBeUndefined();
    expect(boot.message).toBe('one ready after 17160 ms (hardware, kernel start → ready, VMM start-up excluded) > bootMs 1000');
    expect(check(judge({ text: withBudgets('{ bootMs: 20000 }'), results: onHardware() }), 'boot', 'one').verdict).toBe('pass');
  });

  it('without the guest clock the boot figure is VM start → ready on the launcher clock', () => {
    const results = onHardware();
    results.guests[0]!.boot.virtual = {};
    const boot = check(judge({ text: withBudgets('{ bootMs: 1000 }'), results }), 'boot', 'one');
    expect(boot).toMatchObject({ verdict: 'fail', measured: { value: 35331, timeBase: 'hardware' } });
    expect(boot.message).toBe("one ready after 35331 ms (hardware, VM start → ready, the launcher's clock) > bootMs 1000");
  });

  it('a timer latency over budget fails, never inconclusive: the hardware settles it', () => {
    const results = onHardware();
    results.guests[0]!.workload = { cyclictest: { intervalUs: 1000, loops: 1000, exitCode: 0, minUs: 60, avgUs: 70, maxUs: 90, overflows: 0, histogramLog2: [[128, 1000]], timeBase: 'hardware (host clock)' } };
    const over = check(judge({ text: withBudgets('{ latencyUs: 50 }'), results, profile: 'nvidia-drive-orin' }), 'latency', 'one');
    // the floor (60 µs) is above the budget: under emulation inconclusive, on hardware a failure
    expect(over).toMatchObject({ verdict: 'fail', measured: { value: 90, unit: 'µs', timeBase: 'hardware' }, details: { timeBase: 'hardware', attribution: { clock: 'hardware', platformFloorUs: 60 } } });
    expect(over.indicative).toBeUndefined();
    expect(over.message).toBe("one: timer latency max 90 µs (avg 70, min 60, 1000 wake-ups every 1000 µs), hardware (= the platform's floor 60 µs, its fastest wake-up, + 30 µs above it: interference and stolen time; hardware) > latencyUs 50");
    expect(check(judge({ text: withBudgets('{ latencyUs: 100 }'), results }), 'latency', 'one')).toMatchObject({ verdict: 'pass', measured: { value: 90 } });
  });
});
