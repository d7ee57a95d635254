// From a validated topology to the exact host command line of the nested stack and the launcher's
// configuration. Pure. What L0's agent (guest/init.sh) needs travels on its kernel command line, what
// the launcher in L1 needs (guest/launch.sh) in the run's payload (`words`, src/core/node/run/payload.ts):
// nb_* words built here from validated numbers; names are replaced by indices, so no free text
// reaches a guest shell.
import { InputError, assertNever } from '../../common/model/errors.js';
import { AGENT_OS, type Guest, type ValidTopology } from '../../common/model/topology.js';
import { rtosCommandLineWords } from '../../common/rtos/params.js';
import { planChannels, type ChannelPlan, type ChannelTestHooks, type PhasePlan } from './channels.js';

/** The fw_cfg file that carries the run's payload to L0 (guest/init.sh; L0 hands it to L1 on a disk
 * of its own). A fw_cfg read is done by the vCPU's own thread, so it costs the same instructions in
 * every run; a host virtio disk's reads complete on the host's I/O threads, and with the payload on
 * one, two deterministic runs gave different virtual-time figures (measured: L1 kernel→init 0.37 vs
 * 0.35 s, cyclictest max 297 vs 5686 µs). */
export const PAYLOAD_FW_CFG = 'opt/nestbed/payload';

/** arm64 COMMAND_LINE_SIZE. */
export const MAX_KERNEL_CMDLINE = 2048;

/** Kernel parameters at every level (emulation-speed.md: quiet PL011 consoles + this set: 24.1 → 20.1 s).
 * `arm64.nopauth` from that measured set is left out on purpose: it hides pointer authentication
 * (paca/pacg) from every level, so guests would fail ISA parity with ECUs that have it (Orin,
 * SA8775P). Measured without it: two-linux all-ready 47.5 s (one run) vs a 42.3 s median with it. */
export const TUNED_KERNEL_ARGS = [
  'quiet',
  'loglevel=1',
  'mitigations=off',
  'nokaslr',
  'audit=0',
  'apparmor=0',
  'init_on_alloc=0',
  'cpuidle.off=1',
  'rcupdate.rcu_expedited=1',
  // Debian's generic kernel spends ~245 of its ~795 virtual ms to init loading the system certificate
  // list (module signatures are not enforced here) and ~52 ms in crypto self-tests: skipping both
  // halves the instructions of every kernel boot (docs/emulation-notes.md, "kernel command line").
  'initcall_blacklist=load_system_certificate_list',
  'cryptomgr.notests',
] as const;

/**
 * L0 -cpu per preset. `lpa2=off` in both: with FEAT_LPA2 L0 KVM offers a 52-bit IPA space and the
 * stage-2 teardown of every probe VM an arm64 QEMU creates walks all of it under TCG (7–9.6 s per
 * VMM start, and the 53–68 s soft lockup with two guests); 48 bits keep NV2 and cost 1.7 s.
 * `ampereone`: AmpereOne is Armv8.6+ without SVE/SME; QEMU has no AmpereOne model, so it is `max`
 * with SVE and SME off (and the cheap IMPDEF pointer-auth algorithm: AmpereOne implements PAuth,
 * the QARMA5 emulation only costs time). Later-than-8.6 features that `max` has and QEMU cannot
 * switch off remain visible; results.json lists the exact feature set L0 sees.
 */
export const cpuArg = (preset: ValidTopology['host']['cpu'], mask: CpuMask = NO_MASK): string => {
  const base = presetArg(preset);
  if (mask.switches.length === 0) return base;
  // pauth=off makes the pointer-auth algorithm switch meaningless
  const parts = base.split(',').filter((p) => !(mask.switches.includes('pauth=off') && p.startsWith('pauth-')));
  return [...parts.filter((p) => !mask.switches.some((w) => w.split('=')[0] === p.split('=')[0])), ...mask.switches].join(',');
};

/**
 * ISA masking for native parity: the QEMU CPU-model switches that hide a feature group from every
 * level (L0's KVM offers L1 only what L0's CPU has, and L1's `-cpu host` passes that on). A switch is
 * used when the ECU profile lacks every feature it hides. Nothing else can be masked here: QEMU 10
 * has no switch for the other features of `max`, and the L1 VMM (arm64 QEMU 11.1) does not write
 * KVM's ID registers — `check` reports those features as not maskable.
 */
export const CPU_MODEL_SWITCHES: readonly { readonly arg: string; readonly hides: readonly string[] }[] = [
  { arg: 'pauth=off', hides: ['paca', 'pacg'] },
  { arg: 'sve=off', hides: ['sve', 'sve2', 'svei8mm', 'svebf16', 'sveaes', 'svepmull', 'svebitperm', 'svesha3', 'svesm4', 'svef32mm', 'svef64mm', 'sve2p1'] },
  { arg: 'sme=off', hides: ['sme', 'smei16i64', 'smef64f64', 'smei8i32', 'smef16f32', 'smeb16f32', 'smef32f32', 'smefa64', 'sme2', 'sme2p1'] },
];
export interface CpuMask {
  /** Switches added to L0's -cpu. */
  readonly switches: readonly string[];
  /** The /proc/cpuinfo feature names they hide. */
  readonly hides: readonly string[];
}
export const NO_MASK: CpuMask = { switches: [], hides: [] };

/** The switches that hide what the ECU lacks (none without a profile: the preset as it is). */
export const cpuMaskFor = (preset: ValidTopology['host']['cpu'], ecuFeatures: readonly string[] | undefined): CpuMask => {
  if (!ecuFeatures) return NO_MASK;
  const have = new Set(ecuFeatures);
  const already = presetArg(preset).split(',');
  const used = CPU_MODEL_SWITCHES.filter((w) => !already.includes(w.arg) && w.hides.every((f) => !have.has(f)));
  return { switches: used.map((w) => w.arg), hides: used.flatMap((w) => w.hides) };
};

const presetArg = (preset: ValidTopology['host']['cpu']): string => {
  switch (preset) {
    case 'ampereone':
      return 'max,lpa2=off,sve=off,sme=off,pauth-impdef=on';
    case 'max':
      return 'max,lpa2=off';
    default:
      return assertNever(preset, 'host.cpu preset');
  }
};

const osLetter = (os: Guest['os']): string => {
  switch (os) {
    case 'linux':
      return 'l';
    case 'linux-rt':
      return 'r';
    case 'rtos':
      return 'o';
    case 'custom':
      return 'u';
    default:
      return assertNever(os, 'guest os');
  }
};

/** Shortest server period applied in `fast` timing, µs. There a guest vCPU runs 50–100× slower than
 * on hardware in wall time and every nested world switch costs milliseconds, so a hardware-scale
 * period (≤ 10 ms) leaves the guest almost nothing but switch overhead: measured, a 5/10 ms server kept a
 * guest from reaching its next console line for > 90 s. In fast mode periods are therefore stretched
 * to at least 100 ms with the bandwidth Θ/Π unchanged. In `deterministic` timing time is counted in
 * instructions, switch overhead included, and the server is applied exactly as declared. */
export const MIN_FAST_SERVER_PERIOD_US = 100_000;

/**
 * How L1 enforces a guest's CPU share (guest/init.sh `guard`), from the guest ready marker on:
 * - `deadline`: `vcpuServer` → SCHED_DEADLINE (a constant-bandwidth server: runtime Θ every period Π)
 *   on each vCPU thread; its VMM runs in a single-CPU cpuset partition (its own root domain: Linux
 *   admits a deadline thread only if its affinity spans its whole root domain), HRTICK_DL on;
 * - `cap`: `vcpuServer` on a guest whose vCPUs sit on several hypervisor CPUs (one process cannot be
 *   split over partitions) → cgroup v2 `cpu.max` on its vCPU threads: a bandwidth cap, not a guarantee;
 * - `dedicated`: no server, and the guest's vCPUs are the only guest vCPUs on their hypervisor CPUs
 *   (the analysis's `dedicated` supply) → its VMM runs in its CPU's cpuset partition, so none of L1's
 *   own tasks run there (default policy: a SCHED_FIFO vCPU thread starved its own VMM's main thread
 *   on that single CPU — measured: a powered-off guest's VMM never exited);
 * - `other`: no server on a shared CPU (QM guests only; the analysis gives them no guarantee).
 */
export type ReservationKind = 'deadline' | 'cap' | 'dedicated' | 'other';
export interface Reservation {
  readonly kind: ReservationKind;
  /** Applied runtime and period per vCPU, µs (deadline / cap); scale > 1: period stretched (fast mode). */
  readonly budgetUs: number;
  readonly periodUs: number;
  readonly scale: number;
}

const guestsOnCpu = (t: ValidTopology, cpu: number): number => t.guests.reduce((n, g) => n + g.pin.filter((p) => p === cpu).length, 0);
const ASIL_RANK: Readonly<Record<Guest['asil'], number>> = { QM: 0, A: 1, B: 2, C: 3, D: 4 };

/** What a guest's placement asks for, before partitioning: a server on one CPU wants a deadline
 * partition; no server on CPUs of its own is `dedicated`; a server over several CPUs is a `cap`. */
const wantedKind = (t: ValidTopology, g: Guest): ReservationKind => {
  if (!g.vcpuServer) return g.pin.every((c) => guestsOnCpu(t, c) === 1) ? 'dedicated' : 'other';
  return new Set(g.pin).size === 1 ? 'deadline' : 'cap';
};

/** Hypervisor CPUs that get their own cpuset partition in L1 (a root domain of their own, so the
 * deadline threads there are admitted, and L1's own tasks — agent, relays, VMM start-up work — stay
 * off them): every CPU whose guest vCPUs all want `deadline` or `dedicated`. One CPU always stays in L1's
 * root partition, where L1's own tasks run: a CPU no such guest needs if there is one, else the one
 * whose guests are the least critical (lowest ASIL, then lowest index). */
export const partitionCpus = (t: ValidTopology): number[] => {
  const cpus = [...Array(t.hypervisor.vcpus).keys()].filter((c) => {
    const here = t.guests.filter((g) => g.pin.includes(c));
    return here.length > 0 && here.every((g) => ['deadline', 'dedicated'].includes(wantedKind(t, g)));
  });
  if (cpus.length < t.hypervisor.vcpus) return cpus;
  const criticality = (c: number): number => Math.max(...t.guests.filter((g) => g.pin.includes(c)).map((g) => ASIL_RANK[g.asil]));
  const keep = [...cpus].sort((a, b) => criticality(a) - criticality(b) || a - b)[0];
  return cpus.filter((c) => c !== keep);
};

export const reservationOf = (t: ValidTopology, g: Guest, timing: 'fast' | 'deterministic'): Reservation => {
  const s = g.vcpuServer;
  let kind = wantedKind(t, g);
  if (!s) return { kind, budgetUs: 0, periodUs: 0, scale: 1 };
  // deadline threads need a root domain that is exactly their CPU: a partition, or L1's root
  // partition once every other CPU is partitioned; elsewhere the server falls back to a cap
  const parts = partitionCpus(t);
  if (kind === 'deadline' && !parts.includes(g.pin[0]!) && parts.length !== t.hypervisor.vcpus - 1) kind = 'cap';
  const minPeriod = timing === 'fast' ? MIN_FAST_SERVER_PERIOD_US : 0;
  // cpu.max needs quota ≥ 1000 µs (and its runtime covers all the guest's vCPUs)
  const scale = Math.max(1, Math.ceil(minPeriod / s.periodUs), kind === 'cap' ? Math.ceil(1000 / (s.budgetUs * g.vcpus)) : 1);
  return { kind, budgetUs: s.budgetUs * scale, periodUs: s.periodUs * scale, scale };
};

/** QEMU refuses to place the DTB in less (docs/rtos.md). */
export const RTOS_MIN_MIB = 8;
/** Memory the guest's VM gets: exactly what the topology declares. */
export const bootedMemoryMiB = (g: Guest): number => g.memoryMiB;

/** Heartbeat period of rtos guests in a run, ms of guest time (docs/rtos.md: 100–500 ms for L2 guests:
 * every console character of an L2 guest is a trap through two levels). */
export const RTOS_HEARTBEAT_MS = 500;

/** Task names never reach a guest: task k of a guest is "t<k>" on its command line; the host maps back. */
export const rtosTaskName = (k: number): string => `t${k}`;

/** The rtos guest's words (rtosCommandLineWords, from validated values) as one nb_r<i> word of the L0
 * command line: words joined by '+', which L1 turns back into blanks. */
export const rtosGuestWord = (g: Guest, i: number, runMs: number, panic: boolean): string => {
  if (g.memoryMiB < RTOS_MIN_MIB) throw new InputError(`guest "${g.name}": memoryMiB = ${g.memoryMiB}, but an rtos guest VM needs at least ${RTOS_MIN_MIB} MiB (QEMU places the device tree there)`);
  const words = rtosCommandLineWords({
    tasks: (g.tasks ?? []).map((t, k) => ({
      name: rtosTaskName(k),
      periodUs: t.periodUs,
      wcetUs: t.wcetUs,
      ...(t.deadlineUs !== undefined ? { deadlineUs: t.deadlineUs } : {}),
      priority: t.priority,
      ...(t.vcpu !== undefined ? { vcpu: t.vcpu } : {}),
    })),
    runMs,
    heartbeatMs: RTOS_HEARTBEAT_MS,
    // the runner's unplanned-crash hook: panic at the scheduler start and power off
    ...(panic ? { panicAfterMs: 0, panicMode: 'off' as const } : {}),
  });
  for (const w of words) if (!/^nb_[a-z_]+=[a-z0-9:,_-]*$/.test(w)) throw new Error(`unexpected rtos word ${JSON.stringify(w)}`);
  return `nb_r${i}=${words.join('+')}`;
};

const RESERVATION_LETTER: Readonly<Record<ReservationKind, string>> = { deadline: 'd', cap: 'c', dedicated: 'p', other: 'o' };

export const guestSpecWord = (t: ValidTopology, g: Guest, i: number, timing: 'fast' | 'deterministic'): string => {
  const cy = g.workload?.cyclictest;
  const st = g.workload?.stress;
  const r = reservationOf(t, g, timing);
  const fields = [
    g.vcpus,
    bootedMemoryMiB(g),
    g.pin.join('.'),
    osLetter(g.os),
    r.budgetUs,
    r.periodUs,
    cy?.intervalUs ?? 0,
    cy?.loops ?? 0,
    st?.cpu ?? 0,
    st?.memoryMiB ?? 0,
    RESERVATION_LETTER[r.kind],
  ];
  return `nb_g${i}=${fields.join(',')}`;
};

/**
 * Deterministic (virtual-time) mode. `shift=0`: one instruction = 1 ns of virtual time, single-threaded
 * round-robin TCG. `sleep=off`: when every vCPU idles, virtual time jumps to the next timer instead
 * of following the host clock (with the default sleep=on, idle time passes at host speed and the
 * figures change run to run: docs/rtos.md measured 3–30 ms timer latency). `-seed`: QEMU's guest RNG
 * (FEAT_RNG RNDR, the DTB's kaslr-seed/rng-seed) from a fixed seed instead of the host's entropy;
 * `-rtc clock=vm` with a fixed base: the PL031 date (mixed into the guest kernels' entropy pool) from
 * virtual time, not from the host clock.
 */
export const DETERMINISTIC_ARGS = ['-icount', 'shift=0,sleep=off', '-seed', '1', '-rtc', 'base=2025-01-01T00:00:00,clock=vm'] as const;
/** DETERMINISTIC_ARGS with another -icount value (per-core time: "shift=0,sleep=off,quantum=Q"). */
export const deterministicArgs = (icount: string | undefined): string[] => DETERMINISTIC_ARGS.map((a, i) => (i === 1 && icount !== undefined ? icount : a));

export interface StackOptions {
  readonly timing: 'fast' | 'deterministic';
  /** Seconds each guest stays up after its workloads (KVM counters are sampled meanwhile). */
  readonly holdS: number;
  /** Agent sampling interval at L0 and L1, s. */
  readonly sampleIntervalS: number;
  /** Test-only: index of a guest that panics right after its ready marker. */
  readonly panicGuest?: number;
  /** Run length of rtos guests, ms of guest time. */
  readonly rtosRunMs: number;
  /** Isolation phases sequenced by L1 (idle → stress → planned fault); channels alone also
   * orchestrate the run (src/core/node/stack/channels.ts). */
  readonly phases?: PhasePlan;
  readonly kernel: string;
  readonly initrd: string;
  readonly qemu: string;
  /** The -icount value in deterministic timing (default DETERMINISTIC_ARGS': one shared clock). */
  readonly icount?: string;
  /** The run's payload archive (src/core/node/run/payload.ts): given to L0 as the fw_cfg file
   * PAYLOAD_FW_CFG; L0 hands it on to L1, whose launcher it holds. */
  readonly payloadArchive: string;
  /** ISA masking for the ECU profile's parity (cpuMaskFor). */
  readonly cpuMask?: CpuMask;
  /** Test-only fault injection into the channel policy. */
  readonly channelHooks?: ChannelTestHooks;
}

export interface StackPlan {
  readonly cpuMask: CpuMask;
  readonly argv: readonly string[];
  /** L0's kernel command line. */
  readonly cmdline: string;
  /** The launcher's words (the payload's `words` file). */
  readonly launcherWords: readonly string[];
  readonly cpuArg: string;
  readonly needsRt: boolean;
  readonly channels: ChannelPlan;
}

/** L0's housekeeping: its own work (its agent, the L1 VMM's main loop and I/O threads) runs on the
 * spare emulated cores when there are more cores than L1 has vCPUs, else on the cores of L1's
 * non-partitioned CPUs — where L1's own work and the least critical guests run (guest/init.sh) — and
 * the other cores get no scheduler tick while one vCPU thread runs there (each tick is an exit of
 * L1 and of the guest inside it) and no RCU callbacks. Measured (docs/emulation-notes.md, linux +
 * rtos, deterministic): rtos deadline misses 930 → 338 (housekeeping core) → 146 (+ nohz_full). */
export const l0Isolation = (t: ValidTopology): string[] => {
  const v = t.hypervisor.vcpus;
  const quiet = t.host.cores > v ? [...Array(v).keys()] : partitionCpus(t);
  if (quiet.length === 0 || quiet.length >= t.host.cores) return [];
  const cpus = quiet.join(',');
  return [`nohz_full=${cpus}`, `rcu_nocbs=${cpus}`];
};

export const needsRtImage = (t: ValidTopology): boolean => t.guests.some((g) => g.os === 'linux-rt');

export const planStack = (t: ValidTopology, o: StackOptions): StackPlan => {
  const fg = o.phases?.faultGuest;
  const fgOs = fg === undefined ? undefined : t.guests[fg]?.os;
  if (fgOs !== undefined && !AGENT_OS.has(fgOs)) {
    throw new InputError(`guest "${t.guests[fg!]?.name ?? fg}" is an ${fgOs} guest: the planned fault is injected into a Linux guest through its agent; choose a Linux (QM) guest`);
  }
  const custom = t.guests.filter((g) => g.os === 'custom');
  for (const c of t.channels ?? []) {
    const end = custom.find((g) => g.name === c.from || g.name === c.to);
    if (end) throw new InputError(`channel ${c.from} → ${c.to}:${c.port}: ${end.name} is an os: custom guest; the runner does not realise channels to or from custom images yet (they have no nestbed agent to probe them)`);
  }
  if (fg !== undefined && !t.guests[fg]) throw new InputError(`no guest with index ${fg} to inject a fault into`);
  const channels = planChannels(t, o.phases, o.channelHooks);
  const dp = `nb_dp=${partitionCpus(t).join('.') || 'x'}`;
  const si = `nb_si=${Math.max(1, Math.round(o.sampleIntervalS))}`;
  const words = ['console=ttyAMA0', 'kvm-arm.mode=nested', ...TUNED_KERNEL_ARGS, ...l0Isolation(t), 'nb_lv=0', `nb_l1=${t.hypervisor.vcpus},${t.hypervisor.memoryMiB}`, dp, si];
  const launcherWords = [
    `nb_n=${t.guests.length}`,
    ...t.guests.map((g, i) => guestSpecWord(t, g, i, o.timing)),
    dp,
    ...t.guests.flatMap((g, i) => (g.os === 'rtos' ? [rtosGuestWord(g, i, o.rtosRunMs, o.panicGuest === i)] : [])),
    `nb_hold=${Math.max(0, Math.round(o.holdS))}`,
    si,
    ...(o.panicGuest !== undefined ? [`nb_panic=${o.panicGuest}`] : []),
    ...channels.words,
  ];
  const cmdline = words.join(' ');
  // each L2 Linux guest's command line: its own words, the tuned args and L1's features list (~600 chars)
  for (const [i, g] of t.guests.entries()) {
    const own = launcherWords.filter((w) => new RegExp(`^nb_(g|r|vl|vc|vu)${i}=`).test(w)).join(' ');
    const estimate = own.length + 900;
    if (estimate > MAX_KERNEL_CMDLINE) throw new InputError(`guest "${g.name}" is too large for the runner: its kernel command line needs about ${estimate} characters, the limit is ${MAX_KERNEL_CMDLINE}`);
  }
  const ca = cpuArg(t.host.cpu, o.cpuMask);
  const argv = [
    o.qemu,
    '-M', 'virt,virtualization=on,gic-version=3',
    '-cpu', ca,
    '-smp', String(t.host.cores),
    '-m', String(t.host.memoryMiB),
    ...(o.timing === 'deterministic' ? deterministicArgs(o.icount) : []),
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-net', 'none',
    '-serial', 'stdio',
    // the warm stack's snapshot moment (guest/init.sh snappoint): L0 marks it on the pvpanic device and
    // the emulator pauses there; L0 loads no pvpanic driver, so its own panics do not pause it
    '-device', 'pvpanic-pci', '-action', 'panic=pause',
    '-fw_cfg', `name=${PAYLOAD_FW_CFG},file=${o.payloadArchive}`,
    '-kernel', o.kernel,
    '-initrd', o.initrd,
    '-append', cmdline,
  ];
  return { argv, cmdline, launcherWords, cpuArg: ca, cpuMask: o.cpuMask ?? NO_MASK, needsRt: needsRtImage(t), channels };
};

/** Memory floors of this runner's image delivery (initramfs unpacked in RAM at L0 and L1). */
export const checkMemory = (t: ValidTopology, l0CpioBytes: number, l1CpioBytes: number): void => {
  const mib = (b: number): number => Math.ceil(b / 1048576);
  const l1Floor = 2 * mib(l1CpioBytes) + 160;
  if (t.hypervisor.memoryMiB < l1Floor) {
    throw new InputError(
      `hypervisor.memoryMiB = ${t.hypervisor.memoryMiB}, but the guest hypervisor needs at least ${l1Floor} MiB to unpack its ${mib(l1CpioBytes)} MiB image set before any guest runs`,
    );
  }
  const l0Floor = 2 * mib(l0CpioBytes) + t.hypervisor.memoryMiB + 128;
  if (t.host.memoryMiB < l0Floor) {
    throw new InputError(
      `host.memoryMiB = ${t.host.memoryMiB}, but L0 needs at least ${l0Floor} MiB (its ${mib(l0CpioBytes)} MiB image set unpacked + hypervisor.memoryMiB ${t.hypervisor.memoryMiB} + 128)`,
    );
  }
};
