// `check` on the real nested stack: one deterministic run built so that, guest by guest, each check
// has a passing and a failing case — a generous and a tight boot/memory/latency budget, a declared
// channel that answers and (fault injection) an undeclared one that is let through, reservations that
// over-commit a hypervisor vCPU, and the same measured CPU features judged against a profile the
// guests satisfy and one they do not. ISA masking is real: the run is masked for the NXP S32G3.
import { describe, expect, it } from 'vitest';
import { judgeRun } from '../../src/core/common/checks/judge.js';
import type { CheckResult } from '../../src/core/common/model/check-report.js';
import type { EcuProfile } from '../../src/core/common/model/profile.js';
import { validateTopology } from '../../src/core/common/validate/validate-topology.js';
import { loadProfiles } from '../../src/core/node/profiles.js';
import { runTopology } from '../../src/core/node/run/runner.js';
import { beforeRealStacks, CACHE, liveEmulators, MIN, tempRunDir } from './helpers.js';


const BREAK = `
apiVersion: nestbed/v1
kind: Topology
name: it-checks
host: { cpu: ampereone, cores: 3, memoryMiB: 3072, timing: deterministic }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 1536 }
guests:
  - name: roomy
    role: other
    asil: QM
    os: linux
    vcpus: 1
    pin: [0]
    memoryMiB: 256
    workload: { cyclictest: { intervalUs: 1000, loops: 200 } }
    budgets: { bootMs: 600000, memoryMiB: 200, latencyUs: 1000000 }
  - name: tight
    role: other
    asil: QM
    os: linux
    vcpus: 1
    pin: [1]
    memoryMiB: 256
    vcpuServer: { periodUs: 1000, budgetUs: 500 }
    workload: { cyclictest: { intervalUs: 1000, loops: 200 } }
    budgets: { bootMs: 1, memoryMiB: 1, latencyUs: 1 }
  - name: greedy
    role: other
    asil: QM
    os: rtos
    vcpus: 1
    pin: [1]
    memoryMiB: 64
    vcpuServer: { periodUs: 1000, budgetUs: 480 }
    tasks:
      - { name: tick, periodUs: 1000, wcetUs: 150, priority: 20 }
      - { name: tock, periodUs: 1000, wcetUs: 100, deadlineUs: 200, priority: 10 }
channels:
  - { from: roomy, to: tight, kind: vsock, port: 5000 }
`;

const find = (checks: readonly CheckResult[], id: string, guest?: string): CheckResult => {
  const c = checks.find((x) => x.id === id && (guest === undefined || x.guest === guest));
  if (!c) throw new Error(`no check ${id}${guest ? ` for ${guest}` : ''} in: ${checks.map((x) => `${x.id}/${x.guest ?? ''}`).join(', ')}`);
  return c;
};

describe.sequential('nestbed check (real nested stack): every check passes and fails where it should', () => {
  beforeRealStacks();

  it('judges one run built to pass and to break each check', async () => {
    const { profiles } = await loadProfiles();
    const s32g3 = profiles.get('nxp-s32g3')!;
    const v = validateTopology(BREAK, { profiles, profileOverride: s32g3.id });
    expect(v.errors).toBe(0);
    // validate already warns that the two servers on hypervisor vCPU 1 exceed SCHED_DEADLINE's 95 %
    expect(v.diagnostics.map((d) => d.code)).toContain('NB6003');
    // and that greedy's tasks cannot meet their deadlines behind its server's 1040 µs blackout (and tock
    // not even on a CPU of its own: 150 + 100 > 200 µs): a warning each for this QM guest
    expect(v.diagnostics.filter((d) => d.code === 'NB5001').map((d) => [d.severity, d.path])).toEqual([['warning', 'guests[2].tasks[0]'], ['warning', 'guests[2].tasks[1]']]);
    const { results } = await runTopology({
      topology: v.valid!,
      topologyText: BREAK,
      profile: s32g3,
      outDir: await tempRunDir('checks'),
      cacheRoot: CACHE,
      holdS: 1,
      testHooks: { leakUndeclared: true },
    });
    expect(results.status, JSON.stringify(results.failure)).toBe('ok');
    const judge = (profile: EcuProfile) =>
      judgeRun({ topology: v.valid!, profile, results, schedulability: v.schedulability, diagnostics: v.diagnostics, toolVersion: 'test', command: 'check' });
    const report = judge(s32g3);
    process.stderr.write(`checks: ${report.checks.map((c) => `${c.verdict} ${c.id}/${c.guest ?? ''}: ${c.message}`).join('\n')}\n`);
    expect(report.success).toBe(false); // → `nestbed check` exits 1

    // boot, memory, latency: pass with room, fail when tight — the message names measure and budget
    for (const id of ['boot', 'memory', 'latency']) expect(find(report.checks, id, 'roomy').verdict, id).toBe('pass');
    const boot = find(report.checks, 'boot', 'tight');
    expect(boot.verdict).toBe('fail');
    expect(boot.message).toMatch(/ready after \d+ ms \(ecu-equivalent.*\) > bootMs 1$/);
    expect(find(report.checks, 'memory', 'tight').message).toMatch(/uses [\d.]+ MiB at ready > memoryMiB 1/);
    expect(find(report.checks, 'latency', 'tight')).toMatchObject({ verdict: 'fail', budget: { value: 1, unit: 'µs' } });

    // scheduling: tock (100 µs due 200 µs after its release, behind tick's 150 µs) misses every job; the
    // misses are not the emulated platform's doing — no bound meets the deadline even on the ECU
    const sched = find(report.checks, 'scheduling', 'greedy');
    expect(sched.verdict).toBe('fail');
    expect(sched.message).toMatch(/^greedy: (?:tick missed \d+ of \d+ .*; )?tock missed \d+ of \d+ \(bound with measured J (?:\d+|> limit) µs, deadline 200 µs, on the ECU (?:\d+|> deadline) µs\)$/);
    const [, missed, jobs] = /tock missed (\d+) of (\d+)/.exec(sched.message) ?? [];
    expect(Number(missed)).toBeGreaterThan(0);
    expect(missed).toBe(jobs);

    // channels: the declared one answered; the undeclared one the relay was told to let through fails
    const ch = find(report.checks, 'isolation.channels');
    expect(ch.verdict).toBe('fail');
    expect(ch.message).toMatch(/^an undeclared connection was NOT refused: roomy → tight:5001 \(relay: answered/);
    expect(results.channels.probes?.map((p) => p.ok)).toEqual([true]);

    // reservations: 500 + 480 µs per 1000 µs on one vCPU exceeds the 95 % SCHED_DEADLINE admits: the
    // guest whose reservation came second was refused (EBUSY), and pinning says so
    const pin = find(report.checks, 'isolation.pinning');
    expect(pin.verdict).toBe('fail');
    expect(pin.message).toMatch(/^CPU reservation not applied: (tight|greedy): L1 refused SCHED_DEADLINE on a vCPU thread \(err16: EBUSY/);
    expect(results.guests.filter((g) => g.reservation.error !== undefined).length).toBe(1);

    // ISA: masked for the S32G3 (pointer auth off at the emulated CPU), what is left is reported
    expect(results.host.cpuMask).toEqual({ profile: 'nxp-s32g3', switches: ['pauth=off'], hides: ['paca', 'pacg'] });
    expect(results.host.cpuArg).toContain('pauth=off');
    expect(results.l1.cpuFeatures).not.toContain('paca');
    const isa = find(report.checks, 'parity.isa', 'roomy');
    expect(isa.verdict).toBe('warn');
    expect(isa.message).toMatch(/Masked for this run: pauth=off on the emulated CPU\. Not maskable here: /);
    // the same measured features against an ECU that has SVE2: a missing feature fails
    const withSve2: EcuProfile = { ...s32g3, id: 'test-sve2', name: 'test ECU with SVE2', cpu: { ...s32g3.cpu, features: [...s32g3.cpu.features, 'sve2'] } };
    const missing = find(judge(withSve2).checks, 'parity.isa', 'roomy');
    expect(missing.verdict).toBe('fail');
    expect(missing.message).toMatch(/roomy lacks 1 feature\(s\) the test ECU with SVE2 has: sve2/);
    expect(await liveEmulators()).toEqual([]);
  }, 12 * MIN);
});
