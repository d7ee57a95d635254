import { describe, expect, it } from 'vitest';
import { asValidForTest } from '../../helpers/topology.js';
import { cpuArg, cpuMaskFor, partitionCpus, planStack, reservationOf } from '../../../src/core/node/stack/plan.js';


const base = {
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'p',
  host: { cpu: 'ampereone', cores: 2, memoryMiB: 2048 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
  guests: [
    { name: 'one', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 256, workload: { cyclictest: { intervalUs: 1000, loops: 100 } } },
    { name: 'two', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64, vcpuServer: { periodUs: 500, budgetUs: 250 },
      tasks: [{ name: 'brake-monitor', periodUs: 1000, wcetUs: 100, priority: 90 }, { name: 'arbiter', periodUs: 5000, wcetUs: 600, deadlineUs: 4000, priority: 80 }] },
  ],
};
const opts = { timing: 'fast', holdS: 2, rtosRunMs: 4000, sampleIntervalS: 3, kernel: '/c/Image', initrd: '/c/l0.cpio', qemu: '/usr/bin/qemu-system-aarch64', payloadArchive: '/t/payload.cpio' } as const;

describe('stack plan', () => {
  it('builds the L0 command line from the topology', () => {
    const p = planStack(asValidForTest(base), opts);
    expect(p.argv).toMatchInlineSnapshot(`
      [
        "/usr/bin/qemu-system-aarch64",
        "-M",
        "virt,virtualization=on,gic-version=3",
        "-cpu",
        "max,lpa2=off,sve=off,sme=off,pauth-impdef=on",
        "-smp",
        "2",
        "-m",
        "2048",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-monitor",
        "none",
        "-net",
        "none",
        "-serial",
        "stdio",
        "-device",
        "pvpanic-pci",
        "-action",
        "panic=pause",
        "-fw_cfg",
        "name=opt/nestbed/payload,file=/t/payload.cpio",
        "-kernel",
        "/c/Image",
        "-initrd",
        "/c/l0.cpio",
        "-append",
        "console=ttyAMA0 kvm-arm.mode=nested quiet loglevel=1 mitigations=off nokaslr audit=0 apparmor=0 init_on_alloc=0 cpuidle.off=1 rcupdate.rcu_expedited=1 initcall_blacklist=load_system_certificate_list cryptomgr.notests nohz_full=1 rcu_nocbs=1 nb_lv=0 nb_l1=2,1024 nb_dp=1 nb_si=3",
      ]
    `);
    expect(p.launcherWords.join(' ')).toBe('nb_n=2 nb_g0=1,256,0,l,0,0,1000,100,0,0,p nb_g1=1,64,1,o,50000,100000,0,0,0,0,d nb_dp=1 nb_r1=nb_tasks=t0:1000:100::90,t1:5000:600:4000:80+nb_runms=4000+nb_hbms=500 nb_hold=2 nb_si=3');
    expect(p.needsRt).toBe(false);
  });
  it('adds instruction counting in deterministic mode', () => {
    expect(planStack(asValidForTest(base), { ...opts, timing: 'deterministic' }).argv.join(' ')).toContain('-icount shift=0,sleep=off -seed 1 -rtc base=2025-01-01T00:00:00,clock=vm');
  });
  it('boots rtos guests with their declared memory and task words (names → t<k>, rtosCommandLineWords)', () => {
    const p = planStack(asValidForTest(base), opts);
    const words = ` ${p.launcherWords.join(' ')} `;
    expect(words).toContain(' nb_g1=1,64,1,o,');
    expect(words).toContain(' nb_r1=nb_tasks=t0:1000:100::90,t1:5000:600:4000:80+nb_runms=4000+nb_hbms=500 ');
    expect(words + p.cmdline).not.toContain('brake-monitor');
    const panic = planStack(asValidForTest(base), { ...opts, panicGuest: 1 });
    expect(panic.launcherWords.join(' ')).toContain('+nb_panic_after_ms=0+nb_panic_mode=off');
  });
  it('refuses an rtos guest below 8 MiB', () => {
    const small = { ...base, guests: [base.guests[0], { ...base.guests[1], memoryMiB: 4 }] };
    expect(() => planStack(asValidForTest(small), opts)).toThrow(/at least 8 MiB/);
  });
  it('keeps lpa2 off in both presets', () => {
    expect(cpuArg('max')).toBe('max,lpa2=off');
    expect(cpuArg('ampereone')).toContain('lpa2=off');
  });
  it('masks with CPU-model switches what the ECU lacks, and only that', () => {
    const s32g3 = ['fp', 'asimd', 'evtstrm', 'aes', 'pmull', 'sha1', 'sha2', 'crc32', 'cpuid'];
    const orin = [...s32g3, 'atomics', 'paca', 'pacg'];
    // ampereone already has SVE/SME off: only pointer auth is left to hide, and its algorithm switch goes
    const m = cpuMaskFor('ampereone', s32g3);
    expect(m.switches).toEqual(['pauth=off']);
    expect(m.hides).toEqual(['paca', 'pacg']);
    expect(cpuArg('ampereone', m)).toBe('max,lpa2=off,sve=off,sme=off,pauth=off');
    expect(cpuArg('max', cpuMaskFor('max', s32g3))).toBe('max,lpa2=off,pauth=off,sve=off,sme=off');
    expect(cpuMaskFor('ampereone', orin).switches).toEqual([]);
    expect(cpuMaskFor('ampereone', undefined)).toEqual({ switches: [], hides: [] });
    expect(planStack(asValidForTest(base), { ...opts, cpuMask: m }).argv).toContain('max,lpa2=off,sve=off,sme=off,pauth=off');
  });
  it('applies a server exactly in deterministic timing and stretches its period to 100 ms in fast timing', () => {
    const t = asValidForTest(base);
    expect(reservationOf(t, t.guests[1]!, 'deterministic')).toEqual({ kind: 'deadline', budgetUs: 250, periodUs: 500, scale: 1 });
    expect(reservationOf(t, t.guests[1]!, 'fast')).toEqual({ kind: 'deadline', budgetUs: 50_000, periodUs: 100_000, scale: 200 });
  });
  it('chooses the reservation kind from the placement', () => {
    const shared = asValidForTest({
      ...base,
      hypervisor: { ...base.hypervisor, vcpus: 3 },
      guests: [
        { ...base.guests[0], pin: [0] },
        { ...base.guests[0], name: 'three', pin: [0] },
        { ...base.guests[1], vcpus: 2, pin: [1, 2] },
        { ...base.guests[1], name: 'four', pin: [2] },
      ],
    });
    // four's CPU 2 also carries a vCPU of the cap guest: no partition, so four falls back to a cap too
    expect(shared.guests.map((g) => reservationOf(shared, g, 'deterministic').kind)).toEqual(['other', 'other', 'cap', 'cap']);
    // a cap on several CPUs: cpu.max needs ≥ 1000 µs of quota for all vCPUs
    expect(reservationOf(shared, shared.guests[2]!, 'deterministic')).toEqual({ kind: 'cap', budgetUs: 500, periodUs: 1000, scale: 2 });
    expect(partitionCpus(shared)).toEqual([]);
    expect(planStack(shared, { ...opts, timing: 'deterministic' }).cmdline).toContain(' nb_dp=x ');
    const alone = asValidForTest({ ...base, hypervisor: { ...base.hypervisor, vcpus: 3 }, guests: [...shared.guests.slice(0, 2), { ...base.guests[1], pin: [2] }] });
    expect(partitionCpus(alone)).toEqual([2]);
    expect(reservationOf(alone, alone.guests[2]!, 'deterministic').kind).toBe('deadline');
  });
  it('keeps the least critical hypervisor CPU out of the partitions, for L1 itself', () => {
    // one: QM on CPU 0 (dedicated), two: ASIL D on CPU 1 (deadline) → CPU 0 stays with L1
    expect(partitionCpus(asValidForTest(base))).toEqual([1]);
    const swapped = asValidForTest({ ...base, guests: [{ ...base.guests[0], pin: [1] }, { ...base.guests[1], pin: [0] }] });
    expect(partitionCpus(swapped)).toEqual([0]);
    const dedicated = asValidForTest({ ...base, guests: [base.guests[0], { ...base.guests[1], vcpuServer: undefined }] });
    expect(dedicated.guests.map((g) => reservationOf(dedicated, g, 'fast').kind)).toEqual(['dedicated', 'dedicated']);
    expect(planStack(dedicated, opts).cmdline).toContain(' nb_dp=1 ');
  });
  it("a long guest list travels in the launcher's words, not on L0's kernel command line", () => {
    const many = { ...base, guests: Array.from({ length: 32 }, (_, i) => ({ ...base.guests[0], name: `guest-number-${i}`, pin: [0, 1, 0, 1, 0, 1, 0, 1], vcpus: 8 })) };
    const p = planStack(asValidForTest(many), opts);
    expect(p.launcherWords.filter((w) => w.startsWith('nb_g'))).toHaveLength(32);
    expect(p.cmdline.length).toBeLessThan(600);
  });
});
