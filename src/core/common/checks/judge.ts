// Judge a finished run against the ECU profile and the topology's own budgets. Pure: run results
// in, check results out. Every time figure carries its time base; fast-mode time verdicts are
// indicative (they can warn, never fail); on hardware (a launcher's run on an arm64 KVM host) time
// figures are real and judged as measured, and what only the emulated L0 can show is skipped.
import { moreMissesPValue } from '../analysis/phases.js';
import { responseTimeTerms, type VcpuSchedulability } from '../analysis/schedulability.js';
import { CHECK_REPORT_VERSION, type CheckReport, type CheckResult, type Figure, type Verdict } from '../model/check-report.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { EcuProfile, RoleBudget } from '../model/profile.js';
import { threadSchedText, type GuestResult, type RunResults, type RunTiming } from '../model/run-results.js';
import { assertNever } from '../model/errors.js';
import type { Guest, Topology } from '../model/topology.js';
import { compareWithBounds } from '../rtos/bounds.js';

/** QEMU `-icount shift=0` (sleep=off): one emulated instruction advances virtual time by 1 ns. */
export const ICOUNT_INSTRUCTIONS_PER_US = 1000;

/** Architecture level of the emulated L0 core presets (what guests can at most see). */
export const HOST_ARCH: Readonly<Record<Topology['host']['cpu'], string>> = { ampereone: 'armv8.6-a', max: 'armv9.2-a' };
/** Debian's arm64 kernels use 4 KiB pages at every level. */
export const GUEST_PAGE_KIB = 4;

export interface JudgeInput {
  readonly topology: Topology;
  readonly profile: EcuProfile | undefined;
  readonly results: RunResults;
  readonly schedulability: readonly VcpuSchedulability[];
  readonly diagnostics: readonly Diagnostic[];
  readonly toolVersion: string;
  readonly command: 'check' | 'report';
  readonly file?: string;
  readonly runDir?: string;
  /** `check --strict`: an inconclusive verdict fails the check. */
  readonly strict?: boolean;
}

interface BudgetValue {
  readonly value: number;
  readonly source: string;
}

const budgetFor = (g: Guest, gi: number, key: keyof RoleBudget, profile: EcuProfile | undefined): BudgetValue | undefined => {
  const own = g.budgets?.[key];
  if (own !== undefined) return { value: own, source: `topology guests[${gi}].budgets.${key}` };
  const fromProfile = profile?.budgets[g.role]?.[key];
  if (fromProfile !== undefined && profile) return { value: fromProfile, source: `profile ${profile.id} (role ${g.role}; ${profile.provenance[`budgets.${g.role}.${key}`] ?? 'see profile'})` };
  return undefined;
};

/** Virtual µs → ECU-equivalent µs: instructions ÷ (MHz × IPC). */
const ecuScale = (profile: EcuProfile | undefined): number | undefined => {
  const c = profile?.cpu.clusters[0];
  if (!profile || !c) return undefined;
  return ICOUNT_INSTRUCTIONS_PER_US / (c.mhz * (profile.cpu.ipc ?? 1));
};

export const timingModelText = (timing: RunTiming, profile: EcuProfile | undefined): string => {
  switch (timing) {
    case 'fast':
      return 'fast: figures are host wall-clock time under multi-threaded TCG emulation; they depend on the machine and its load, so time verdicts are indicative only (warn, never fail). Use deterministic timing for verdicts.';
    case 'hardware':
      return `hardware (host clock): the bundle's launcher started the guests under KVM on an arm64 host — the hardware is the target — so figures are real time and time budgets are judged as measured (pass or fail; not indicative, not scaled to ${profile ? `the ${profile.id} ECU` : 'an ECU'}). Boot times and timer latencies come from the guests' own clocks; the launcher's events are dated by its host's uptime (ms since its first event), guest console lines by the launcher event before them. There is no emulated L0: its NV2 evidence, its boot and memory figures, the host emulator's memory and its per-core clock do not apply (skipped).`;
    case 'deterministic':
      return deterministicModelText(profile);
    default:
      return assertNever(timing, 'timing');
  }
};

const deterministicModelText = (profile: EcuProfile | undefined): string => {
  const c = profile?.cpu.clusters[0];
  const ecu = profile && c
    ? ` ECU-equivalent time = instructions ÷ (${c.mhz} MHz × IPC ${profile.cpu.ipc ?? 1} of ${c.core}, ${profile.provenance['cpu.ipc'] ?? 'IPC 1 assumed'}) = virtual time × ${ecuScale(profile)!.toFixed(3)}.`
    : ' No ECU profile: figures stay in virtual time.';
  return `deterministic: QEMU -icount shift=0,sleep=off with a fixed RNG seed and VM-clock RTC gives reproducible guest virtual time (1 emulated instruction = 1 ns, idle time skipped, at every level).${ecu} Boot times and timer latencies are judged ECU-equivalent; rtos task response times are compared with the analytic bounds in the guest's own (virtual) time, the time base its task model runs in. Instructions the emulated L0/L1 execute to handle nested traps count too, so ECU-equivalent figures over-estimate the native ones.`;
};

const fig = (value: number, unit: string, timeBase?: Figure['timeBase']): Figure => (timeBase ? { value, unit, timeBase } : { value, unit });

/** `judged`: the figure is a verdict you can rely on (deterministic, hardware); else it only warns. */
const timeVerdict = (over: boolean, judged: boolean): Verdict => (!over ? 'pass' : judged ? 'fail' : 'warn');

/** The message of a check that needs the emulated L0 (or its host emulator) in a run that has none. */
const noL0 = (results: RunResults, what: string): string =>
  results.timing === 'hardware'
    ? `${what}: does not apply on hardware — the launcher ran the guests under the host's own KVM, there is no emulated L0`
    : `${what}: not observed — the launcher ran inside the emulated L1 and saw no L0 (launcher results, time base ${results.launcher?.timeBase ?? '?'})`;

/** Which span a boot figure covers: host wall time from the VMM start in L1; the guest's own clock
 * from its first instruction (rtos: its counter starts with the VM) or from kernel start (Linux). */
const phaseOf = (g: Guest, f: Figure): string =>
  f.timeBase === 'host-wall' || g.os === 'rtos' ? 'VM start → ready' : g.os === 'custom' ? 'VM start → ready line, L1 time, VMM start-up included' : 'kernel start → ready, VMM start-up excluded';

const bootCheck = (g: Guest, gi: number, r: GuestResult | undefined, input: JudgeInput, timing: RunTiming): CheckResult => {
  const budget = budgetFor(g, gi, 'bootMs', input.profile);
  const base = { id: 'boot', guest: g.name };
  if (!r || r.boot.readyMs === undefined) return { ...base, verdict: 'fail', message: `${g.name} never reached its ready marker` };
  const wallMs = r.boot.vmStartToReadyMs;
  const virt = r.boot.virtual;
  const virtualMs =
    virt.kernelToInitS !== undefined && virt.initToReadyS !== undefined
      ? (virt.kernelToInitS + virt.initToReadyS) * 1000
      : g.os === 'custom' && virt.l1VmStartToReadyS !== undefined
        ? virt.l1VmStartToReadyS * 1000
        : undefined;
  let measured: Figure | undefined;
  /** The figure is the launcher's clock from the VM start (hardware without the guest's own figures). */
  let fromVmStart = false;
  if (timing !== 'fast' && virtualMs !== undefined) measured = judgedTime(Math.round(virtualMs), 'ms', timing, input.profile);
  else if (wallMs !== undefined) {
    measured = fig(Math.round(wallMs), 'ms', timing === 'hardware' ? 'hardware' : 'host-wall');
    fromVmStart = true;
  }
  const details = { hostWallVmStartToReadyMs: wallMs, guestVirtualKernelToReadyMs: virtualMs };
  if (!measured) return { ...base, verdict: 'skipped', message: `${g.name}: no boot timing was recorded`, details };
  if (!budget) return { ...base, verdict: 'skipped', measured, message: `${g.name} ready after ${measured.value} ms (${measured.timeBase}); no bootMs budget in the topology or profile`, details };
  const indicative = measured.timeBase === 'host-wall';
  const verdict = timeVerdict(measured.value > budget.value, !indicative);
  const phase = fromVmStart && measured.timeBase === 'hardware' ? "VM start → ready, the launcher's clock" : phaseOf(g, measured);
  return {
    ...base,
    verdict,
    measured,
    budget: fig(budget.value, 'ms'),
    budgetSource: budget.source,
    ...(indicative ? { indicative } : {}),
    message: `${g.name} ready after ${measured.value} ms (${measured.timeBase}, ${phase}) ${measured.value > budget.value ? '>' : '≤'} bootMs ${budget.value}`,
    details,
  };
};

const memoryCheck = (g: Guest, gi: number, r: GuestResult | undefined, input: JudgeInput): CheckResult => {
  const base = { id: 'memory', guest: g.name };
  const budget = budgetFor(g, gi, 'memoryMiB', input.profile);
  if (g.os === 'custom') {
    const vmm = r?.vmmRssMaxKiB !== undefined ? `; its VMM in L1: ${Math.round(r.vmmRssMaxKiB / 1024)} MiB RSS` : '';
    return { ...base, verdict: 'skipped', message: `${g.name}: os: custom — nestbed has no agent inside the image, so its memory in use is not measured${vmm}`, ...(r?.vmmRssMaxKiB !== undefined ? { details: { vmmRssMaxKiB: r.vmmRssMaxKiB } } : {}) };
  }
  if (!r?.memory) return { ...base, verdict: 'skipped', message: `${g.name}: no memory figures were recorded (the guest did not report ready)` };
  const usedMiB = Math.round((r.memory.usedKiB / 1024) * 10) / 10;
  const details = { memTotalKiB: r.memory.totalKiB, memAvailableKiB: r.memory.availableKiB, vmmRssMaxKiB: r.vmmRssMaxKiB };
  const vmm = r.vmmRssMaxKiB !== undefined ? `; its VMM in L1: ${Math.round(r.vmmRssMaxKiB / 1024)} MiB RSS (reported, not judged)` : '';
  if (!budget) return { ...base, verdict: 'skipped', measured: fig(usedMiB, 'MiB'), message: `${g.name} uses ${usedMiB} MiB at ready; no memoryMiB budget${vmm}`, details };
  const over = usedMiB > budget.value;
  return { ...base, verdict: over ? 'fail' : 'pass', measured: fig(usedMiB, 'MiB'), budget: fig(budget.value, 'MiB'), budgetSource: budget.source, message: `${g.name} uses ${usedMiB} MiB at ready ${over ? '>' : '≤'} memoryMiB ${budget.value}${vmm}`, details };
};

/** A guest-time figure as judged: in deterministic timing mapped to the ECU like boot times (the
 * figure is instructions, the nested trap path included); on hardware as measured (the hardware is
 * the target); else host wall time (indicative). */
const judgedTime = (value: number, unit: string, timing: RunTiming, profile: EcuProfile | undefined): Figure => {
  switch (timing) {
    case 'fast':
      return fig(value, unit, 'host-wall');
    case 'hardware':
      return fig(value, unit, 'hardware');
    case 'deterministic': {
      const scale = ecuScale(profile);
      return scale ? fig(Math.ceil(value * scale), unit, 'ecu-equivalent') : fig(value, unit, 'guest-virtual');
    }
    default:
      return assertNever(timing, 'timing');
  }
};

/** The clock of a guest's raw figure (before any mapping to the ECU). */
const rawClock = (timing: RunTiming): 'guest-virtual' | 'host-wall' | 'hardware' => (timing === 'deterministic' ? 'guest-virtual' : timing === 'hardware' ? 'hardware' : 'host-wall');

/** The emulated platform's own worst timer delivery to an rtos guest, ns: its worst in the idle
 * window of the isolation phases (the other guests booted and idle — the nested interrupt path with
 * nothing else in the way), when the run had one and the rtos reported per-window figures. */
const idleWindowLatencyNs = (g: Guest, results: RunResults): number | undefined =>
  results.isolation?.interference?.guest === g.name ? results.isolation.safetyWindows?.find((w) => w.phase === 'idle')?.timerLatencyMaxNs : undefined;

/** Where the rtos's worst timer delivery happened: "; the worst delivery was in the fault window (6751 µs virtual, 8 miss(es) there)". */
const worstWindowText = (g: Guest, results: RunResults): string => {
  if (results.isolation?.interference?.guest !== g.name) return '';
  const ws = (results.isolation.safetyWindows ?? []).filter((w) => w.timerLatencyMaxNs !== undefined);
  const worst = ws.reduce<(typeof ws)[number] | undefined>((a, w) => (!a || (w.timerLatencyMaxNs ?? 0) > (a.timerLatencyMaxNs ?? 0) ? w : a), undefined);
  return worst ? `; the worst delivery was in the ${worst.phase} window (${Math.ceil((worst.timerLatencyMaxNs ?? 0) / 1000)} µs virtual, ${worst.deadlineMisses} miss(es) there)` : '';
};

const latencyCheck = (g: Guest, gi: number, r: GuestResult | undefined, input: JudgeInput, timing: RunTiming): CheckResult => {
  const deterministic = timing === 'deterministic';
  const base = { id: 'latency', guest: g.name };
  const budget = budgetFor(g, gi, 'latencyUs', input.profile);
  const end = r?.rtos?.end;
  const cyc = r?.workload?.cyclictest;
  let rawUs: number;
  /** The emulated platform's own floor for this figure (µs, virtual): for the rtos the worst delivery
   * in the idle window when there is one, else the fastest wake-up seen (the path undisturbed). */
  let floorUs: number | undefined;
  let floorWhat = 'its fastest wake-up';
  let what: string;
  let details: Record<string, unknown>;
  if (g.os === 'rtos' && end) {
    // The rtos measures its own timer latency: expiry of the virtual timer → handler, every release.
    rawUs = Math.ceil(end.timerLatencyMaxNs / 1000);
    const idleNs = idleWindowLatencyNs(g, input.results);
    if (idleNs !== undefined) {
      floorUs = Math.ceil(idleNs / 1000);
      floorWhat = 'its worst delivery with the other guests idle';
    } else if (end.timerLatencyMinNs !== undefined) floorUs = Math.ceil(end.timerLatencyMinNs / 1000);
    what = `rtos timer latency max ${rawUs} µs (p99 ≤ ${Math.ceil(end.timerLatencyP99Ns / 1000)} µs${end.timerLatencyMinNs !== undefined ? `, min ${Math.ceil(end.timerLatencyMinNs / 1000)} µs` : ''})`;
    details = { timerLatencyMaxNs: end.timerLatencyMaxNs, timerLatencyP99Ns: end.timerLatencyP99Ns, timerLatencyMinNs: end.timerLatencyMinNs, stolenNs: end.stolenNs };
  } else if (cyc) {
    if (cyc.exitCode !== 0) return { ...base, verdict: 'fail', message: `${g.name}: cyclictest failed (exit ${cyc.exitCode})` };
    rawUs = cyc.maxUs;
    floorUs = cyc.minUs;
    what = `timer latency max ${cyc.maxUs} µs (avg ${cyc.avgUs}, min ${cyc.minUs}, ${cyc.loops} wake-ups every ${cyc.intervalUs} µs)`;
    details = { minUs: cyc.minUs, avgUs: cyc.avgUs, maxUs: cyc.maxUs, overflows: cyc.overflows, histogramLog2: cyc.histogramLog2, loops: cyc.loops, intervalUs: cyc.intervalUs };
  } else {
    const why =
      g.os === 'rtos'
        ? 'the rtos guest did not report its end-of-run summary'
        : g.os === 'custom'
          ? 'os: custom — nestbed has no agent inside the image to run cyclictest'
          : 'no cyclictest workload is declared for this guest';
    return { ...base, verdict: g.os === 'rtos' ? 'fail' : 'skipped', message: `${g.name}: latency not measured: ${why}` };
  }
  const measured = judgedTime(rawUs, 'µs', timing, input.profile);
  const raw = `${what}, ${rawClock(timing)}`;
  const mapped = measured.timeBase === 'ecu-equivalent' ? ` = ${measured.value} µs ECU-equivalent` : '';
  const floor = floorUs !== undefined ? judgedTime(floorUs, 'µs', timing, input.profile) : undefined;
  const platform = timing === 'hardware' ? "the platform's" : "the emulated platform's";
  // what the figure consists of: the emulated platform's floor (see floorUs) and what came on top in
  // the worst case (interference and stolen time at the levels below)
  const attribution = floor
    ? { clock: measured.timeBase, platformFloorUs: floor.value, platformFloor: floorWhat, aboveFloorUs: Math.max(0, measured.value - floor.value), ...(g.os === 'rtos' && end ? { stolenTotalUs: Math.ceil(end.stolenNs / 1000) } : {}) }
    : undefined;
  details = { ...details, timeBase: rawClock(timing), ...(attribution ? { attribution } : {}) };
  const consists = attribution ? ` (= ${platform} floor ${attribution.platformFloorUs} µs, ${floorWhat}, + ${attribution.aboveFloorUs} µs above it: interference and stolen time; ${attribution.clock})` : '';
  if (!budget) return { ...base, verdict: 'skipped', measured, message: `${g.name}: ${raw}${mapped}${consists}; no latencyUs budget`, details };
  const over = measured.value > budget.value;
  const common = { ...base, measured, budget: fig(budget.value, 'µs'), budgetSource: budget.source, ...(timing === 'fast' ? { indicative: true } : {}), details };
  const text = `${g.name}: ${raw}${mapped}${consists} ${over ? '>' : '≤'} latencyUs ${budget.value}${g.os === 'rtos' ? worstWindowText(g, input.results) : ''}`;
  if (over && timing !== 'fast') {
    const target = input.profile?.platform?.interruptPathUs;
    if (target !== undefined && target > budget.value) {
      return { ...common, verdict: 'fail', message: `${text}: the budget is below the ECU's own interrupt path (${target} µs, profile ${input.profile?.id}) — no hypervisor configuration can meet it` };
    }
    if (deterministic && floor && floor.value > budget.value) {
      return {
        ...common,
        verdict: 'inconclusive',
        message: `${text}: inconclusive — the emulated platform's own floor (${floorWhat}, ${floor.value} µs ${floor.timeBase}) is above the budget, so this run cannot tell; a run on the target hardware settles it`,
      };
    }
  }
  return { ...common, verdict: timeVerdict(over, timing !== 'fast'), message: text };
};

const guestFeatures = (results: RunResults, r: GuestResult | undefined): string[] => {
  const l1 = results.l1.cpuFeatures;
  const d = r?.cpuFeaturesDiffVsL1;
  if (!d) return [...l1];
  return [...l1.filter((f) => !d.removed.includes(f)), ...d.added];
};

const parityChecks = (g: Guest, r: GuestResult | undefined, input: JudgeInput): CheckResult[] => {
  const { profile, results, topology } = input;
  if (!profile) {
    const msg = `${g.name}: no ECU profile selected, native parity not judged`;
    return [{ id: 'parity.isa', guest: g.name, verdict: 'skipped', message: msg }];
  }
  const seen = guestFeatures(results, r);
  const out: CheckResult[] = [];
  if (seen.length === 0) {
    out.push({ id: 'parity.isa', guest: g.name, verdict: 'skipped', message: `${g.name}: the guest-visible CPU features were not recorded` });
  } else {
    const have = new Set(seen);
    const want = new Set(profile.cpu.features);
    const missing = profile.cpu.features.filter((f) => !have.has(f));
    const extra = seen.filter((f) => !want.has(f)).sort();
    // ISA masking (run with this profile): what the CPU-model switches hid, and what they did not
    const hardware = results.timing === 'hardware';
    const mask = results.host.cpuMask?.profile === profile.id ? results.host.cpuMask : undefined;
    const leaked = mask ? mask.hides.filter((f) => have.has(f)) : [];
    const masking = hardware
      ? " On hardware nothing is masked: the guests see the host's own core through KVM."
      : mask
        ? mask.switches.length > 0
          ? ` Masked for this run: ${mask.switches.join(', ')} on the emulated CPU${leaked.length ? ` — yet the guest still sees ${leaked.join(' ')}` : ''}.`
          : ''
        : ` This run was not masked for ${profile.id} (run it with this profile to hide what a CPU-model switch can).`;
    const unmaskable = extra.length > 0 && !hardware ? ` Not maskable here: ${extra.join(' ')} (QEMU has no CPU-model switch for them, and the L1 VMM, arm64 QEMU 11.1, does not write KVM ID registers).` : '';
    const details = { guestFeatures: seen, ecuFeatures: profile.cpu.features, missing, extra, ...(mask ? { maskSwitches: mask.switches, maskedFeatures: mask.hides.filter((f) => !have.has(f)), maskLeaked: leaked } : {}) };
    if (missing.length > 0) {
      out.push({ id: 'parity.isa', guest: g.name, verdict: 'fail', message: `${g.name} lacks ${missing.length} feature(s) the ${profile.name} has: ${missing.join(' ')} — ECU binaries using them would not run.${masking}`, details });
    } else if (extra.length > 0) {
      out.push({ id: 'parity.isa', guest: g.name, verdict: 'warn', message: `${g.name} sees every ${profile.id} feature, plus ${extra.length} the ECU lacks (code built here could use them and fail on the ECU).${masking}${unmaskable}`, details });
    } else {
      out.push({ id: 'parity.isa', guest: g.name, verdict: 'pass', message: `${g.name} sees exactly the ${profile.id} feature set.${masking}`, details });
    }
  }
  const hostArch = HOST_ARCH[topology.host.cpu];
  const archOk = hostArch.localeCompare(profile.cpu.arch, 'en', { numeric: true }) >= 0;
  if (results.timing === 'hardware') {
    // the emulated core preset (host.cpu) is not what ran: the host's own core did (judged by parity.isa)
    out.push({ id: 'parity.arch', guest: g.name, verdict: 'skipped', message: noL0(results, `emulated core ${topology.host.cpu} (${hostArch}) against ${profile.id} (${profile.cpu.arch})`) });
  } else {
    out.push({ id: 'parity.arch', guest: g.name, verdict: archOk ? 'pass' : 'fail', message: `emulated core ${topology.host.cpu} is ${hostArch}; ${profile.id} is ${profile.cpu.arch}${archOk ? '' : ': the emulated core is older than the ECU'}` });
  }
  const pages = profile.cpu.pageSizesKiB;
  if (pages && g.os === 'custom') {
    out.push({ id: 'parity.page-size', guest: g.name, verdict: 'skipped', message: `${g.name}: os: custom — the page size of its own kernel is not known to nestbed` });
  } else if (pages) {
    const ok = pages.includes(GUEST_PAGE_KIB);
    out.push({ id: 'parity.page-size', guest: g.name, verdict: ok ? 'pass' : 'fail', measured: fig(GUEST_PAGE_KIB, 'KiB'), message: `guest kernel page size ${GUEST_PAGE_KIB} KiB; ${profile.id} supports ${pages.join('/')} KiB` });
  }
  return out;
};

/** Observed rtos response times against the response-time analysis. Two bounds per task:
 * - the **target** bound of `validate` (the ECU profile's interrupt path J_ecu): is it schedulable on the ECU;
 * - the **emulated** bound: the same analysis with the interrupt path J the run measured (the rtos's
 *   worst timer delivery with the other guests idle when the run had isolation phases, else its
 *   worst of the run; guest-virtual µs). Observed and emulated bound are on one clock, so
 *   "observed ≤ emulated bound" is the test of the model and of the isolation: above it, something
 *   the model does not know (stolen time, a broken partition) delayed the task — fail.
 * Deadline misses: fail when the emulated bound meets the deadline (the platform cannot explain
 * them); inconclusive when the measured platform path alone pushes the bound past the deadline
 * while the target bound meets it (the emulation cannot tell — a hardware run settles it). On
 * hardware the measured path is the target's own: such misses fail, and the clock is real time. */
const schedulingCheck = (g: Guest, r: GuestResult | undefined, input: JudgeInput): CheckResult | undefined => {
  if (!g.tasks?.length) return undefined;
  const base = { id: 'scheduling', guest: g.name };
  const vcpus = input.schedulability.filter((s) => s.guest === g.name);
  const analytic = vcpus.flatMap((s) => s.tasks);
  const hardware = input.results.timing === 'hardware';
  const clock = hardware ? 'hardware' : 'guest-virtual';
  if (g.os !== 'rtos') {
    return { ...base, verdict: 'skipped', message: `${g.name}: its tasks are analysed (validate) but only os: rtos guests run them; analytic bounds: ${analytic.map((t) => `${t.name} ≤ ${t.responseTimeUs ?? '∞'} µs`).join(', ')}`, details: { analytic } };
  }
  const rtos = r?.rtos;
  if (!rtos || rtos.tasks.length === 0) return { ...base, verdict: 'fail', message: `${g.name}: the rtos guest reported no task results (outcome ${rtos?.outcome ?? 'none'}${rtos?.error ? `: ${rtos.error}` : ''})`, details: { analytic } };
  const targetRows = compareWithBounds(rtos, analytic);
  // J: the platform's own worst delivery (idle window) when the run has one, else the run's worst
  const idleNs = idleWindowLatencyNs(g, input.results);
  const measuredJ = idleNs !== undefined ? Math.ceil(idleNs / 1000) : rtos.end ? Math.ceil(rtos.end.timerLatencyMaxNs / 1000) : 0;
  const jWhat = idleNs !== undefined ? 'worst timer delivery with the other guests idle' : 'worst timer delivery';
  // the emulated bound: per task, its vCPU's tasks and supply, J = the measured worst delivery
  const emulated = vcpus.flatMap((v) =>
    v.tasks.map((t, i) => {
      const terms = responseTimeTerms(
        t,
        v.tasks.slice(0, i).filter((h) => h.priority >= t.priority),
        v.supply,
        { interruptPathUs: measuredJ, lower: v.tasks.filter((l, k) => k !== i && l.priority < t.priority) },
        MAX_BOUND_US,
      );
      return { name: t.name, deadlineUs: t.deadlineUs, responseTimeUs: terms?.responseTimeUs ?? null, terms };
    }),
  );
  const rows = compareWithBounds(rtos, emulated).map((x) => {
    const target = targetRows.find((y) => y.name === x.name);
    const terms = emulated.find((e) => e.name === x.name)?.terms;
    return { ...x, targetBoundUs: target?.boundUs ?? null, ...(terms ? { attribution: { clock, executionUs: terms.executionUs, interferenceUs: terms.interferenceUs, platformPathUs: terms.platformUs, supplyDelayUs: terms.supplyDelayUs } } : {}) };
  });
  const exceeded = rows.filter((x) => x.verdict === 'exceeds');
  const missed = rows.filter((x) => (x.deadlineMisses ?? 0) > 0);
  const unobserved = rows.filter((x) => x.verdict === 'not-observed');
  const worst = rows.reduce<(typeof rows)[number] | undefined>((w, x) => (x.observedMaxUs !== null && x.boundUs !== null && (!w || x.observedMaxUs / x.boundUs > w.observedMaxUs! / w.boundUs!) ? x : w), undefined);
  const measured = worst ? fig(worst.observedMaxUs!, 'µs', clock) : undefined;
  const budget = worst && worst.boundUs !== null ? fig(worst.boundUs, 'µs', clock) : undefined;
  const table = rows.map((x) => `${x.name} ${x.observedMaxUs ?? '-'}/${x.boundUs ?? '∞'} µs`).join(', ');
  const details = { rows, measuredInterruptPathUs: measuredJ, targetInterruptPathUs: vcpus[0]?.interruptPathUs ?? 0, timeBase: rtos.timeBase, reservation: r?.reservation };
  const path = `the measured platform interrupt path J = ${measuredJ} µs (${jWhat}, ${clock})`;
  const common = { ...base, ...(measured ? { measured } : {}), ...(budget ? { budget } : {}), budgetSource: `analysis with ${path}`, details };
  if (exceeded.length > 0) {
    return { ...common, verdict: 'fail', message: `${g.name}: observed worst response time exceeds the bound computed with ${path} for ${exceeded.map((x) => `${x.name} (${x.observedMaxUs} > ${x.boundUs} µs)`).join(', ')} — something the model does not know delayed it (stolen time, a broken partition)${worstWindowText(g, input.results)}${r?.reservation ? ` (reservation applied: ${r.reservation.applied ?? r.reservation.requested})` : ''}` };
  }
  if (unobserved.length > 0) return { ...common, verdict: 'fail', message: `${g.name}: ${unobserved.map((x) => `${x.name} never completed a job`).join('; ')}` };
  if (missed.length > 0) {
    const explained = missed.filter((x) => x.boundUs === null || x.boundUs > x.deadlineUs);
    const onTarget = explained.every((x) => x.targetBoundUs !== null && x.targetBoundUs <= x.deadlineUs);
    const list = missed.map((x) => `${x.name} missed ${x.deadlineMisses} of ${x.jobs} (bound with measured J ${x.boundUs ?? '> limit'} µs, deadline ${x.deadlineUs} µs, on the ECU ${x.targetBoundUs ?? '> deadline'} µs)`).join('; ');
    if (hardware && explained.length === missed.length) {
      return { ...common, verdict: 'fail', message: `${g.name}: ${list}: on this hardware the platform's own interrupt path (J = ${measuredJ} µs) pushes the bound past the deadline` };
    }
    if (explained.length === missed.length && onTarget) {
      return { ...common, verdict: 'inconclusive', message: `${g.name}: inconclusive — ${list}: the emulated platform's own interrupt path (J = ${measuredJ} µs) pushes the bound past the deadline, while the ECU's (J = ${vcpus[0]?.interruptPathUs ?? 0} µs) meets it; a hardware run settles it` };
    }
    return { ...common, verdict: 'fail', message: `${g.name}: ${list}` };
  }
  return { ...common, verdict: 'pass', message: `${g.name}: every task met its deadlines and stayed within the bound computed with ${path} (observed/bound: ${table}; ${rtos.timeBase})` };
};

/** Search limit of the emulated bound (µs): beyond it the bound is reported as none. */
const MAX_BOUND_US = 1_000_000_000;

const nv2Check = (results: RunResults): CheckResult => {
  const id = 'stack.nv2';
  if (results.timing === 'hardware' || results.launcher) {
    const kvm = results.l1.kvmMode ? ` (the launcher's host reported KVM in ${results.l1.kvmMode} mode)` : '';
    return { id, verdict: 'skipped', message: `${noL0(results, "L0's VHE+NV2 evidence")}${kvm}`, details: { l1KvmLog: results.l1.kvmLog } };
  }
  return {
    id,
    verdict: results.l0.nv2 ? 'pass' : 'fail',
    message: results.l0.nv2 ? `L0 KVM: ${results.l0.kvmLog.find((l) => /NV2/.test(l)) ?? 'VHE+NV2 mode initialized successfully'}; L1 KVM: ${results.l1.kvmMode ?? '?'} mode` : 'L0 did not report VHE+NV2: nested virtualization is not FEAT_NV2',
    details: { l0KvmLog: results.l0.kvmLog, l1KvmLog: results.l1.kvmLog },
  };
};

const stackChecks = (results: RunResults): CheckResult[] => [nv2Check(results)];

const channelsCheck = (results: RunResults): CheckResult => {
  const id = 'isolation.channels';
  const c = results.channels;
  const probes = c.probes ?? [];
  const undeclared = c.undeclared ?? [];
  if (!c.realised || (probes.length === 0 && undeclared.length === 0)) return { id, verdict: 'skipped', message: `channels were not probed in this run: ${c.note}` };
  const broken = probes.filter((p) => !p.ok);
  const leaked = undeclared.filter((u) => !u.refused);
  const details = { probes, undeclared, mechanism: c.mechanism };
  if (leaked.length > 0) {
    return { id, verdict: 'fail', message: `an undeclared connection was NOT refused: ${leaked.map((u) => `${u.from} → ${u.to}:${u.port} (${u.via}: ${u.detail})`).join('; ')}`, details };
  }
  if (broken.length > 0) {
    return { id, verdict: 'fail', message: `declared channel(s) did not work: ${broken.map((p) => `${p.from} → ${p.to}:${p.port} (${p.detail})`).join('; ')}`, details };
  }
  const relayOnly = probes.filter((p) => p.probedFrom !== 'guest' || p.endsAtRelay).length;
  return {
    id,
    verdict: 'pass',
    message: `${probes.length} declared channel(s) answered, ${undeclared.length} undeclared attempt(s) refused${relayOnly ? ` (${relayOnly} probed only up to L1's relay: an rtos end has no vsock)` : ''}`,
    details,
  };
};

/** Significance level of the interference verdict. */
const INTERFERENCE_P = 0.01;

/** A guest that keeps running must not stall longer than two heartbeat periods. */
const HEARTBEAT_GAP_FACTOR = 2;

const faultCheck = (results: RunResults): CheckResult => {
  const id = 'isolation.fault-containment';
  const f = results.isolation?.fault;
  if (!f) return { id, verdict: 'skipped', message: 'no fault was injected in this run (nestbed run --inject-panic <guest>)' };
  const details = { fault: f };
  if (!f.panicSeen) return { id, verdict: 'fail', message: `the panic injected into ${f.guest} was not observed`, details };
  if (!f.vmmExit) return { id, verdict: 'fail', message: `the hypervisor did not report the exit of ${f.guest}'s VMM after its panic`, details };
  const stopped = f.others.filter((o) => !o.keptRunning);
  if (stopped.length > 0) return { id, verdict: 'fail', message: `${f.guest}'s panic took down ${stopped.map((o) => `${o.guest} (${o.evidence})`).join(', ')}`, details };
  const gaps = f.others.flatMap((o) => {
    const g = results.guests.find((x) => x.name === o.guest);
    const limitS = g?.rtos ? (HEARTBEAT_GAP_FACTOR * g.rtos.heartbeatMs) / 1000 : undefined;
    return o.heartbeatMaxGapS != null && limitS !== undefined && o.heartbeatMaxGapS > limitS ? [`${o.guest} heartbeat gap ${o.heartbeatMaxGapS} s > ${limitS} s`] : [];
  });
  if (gaps.length > 0) return { id, verdict: 'fail', message: `the other guests kept running but stalled across ${f.guest}'s panic: ${gaps.join('; ')}`, details };
  return {
    id,
    verdict: 'pass',
    message: `${f.guest} panicked, L1 reported its VMM exit (code ${f.vmmExit.code}); ${f.others.map((o) => `${o.guest} kept running (${o.evidence})`).join('; ')}`,
    details,
  };
};

const interferenceCheck = (results: RunResults): CheckResult => {
  const id = 'isolation.interference';
  const i = results.isolation?.interference;
  if (!i) return { id, verdict: 'skipped', message: 'the idle-vs-stress phases were not run (nestbed run --isolation, or no QM guest declares a stress workload)' };
  const details = { interference: i };
  const ratio = i.maxIntervalRatio;
  const measured = ratio !== null ? fig(Math.round(ratio * 100) / 100, 'ratio (stress/idle)') : undefined;
  const { idle, stress } = i.missesPerKJobs;
  // "equal within noise": more misses under stress fail only when an exact binomial test says the
  // difference is not chance (one-sided, p < INTERFERENCE_P)
  const pValue = moreMissesPValue(i.idle.deadlineMisses, i.idle.jobs, i.stress.deadlineMisses, i.stress.jobs);
  const worse = idle !== null && stress !== null && stress > idle && pValue < INTERFERENCE_P;
  const text = `${i.guest}: ${i.metric} under the QM guests' stress (${i.stressGuests.join(', ')}) vs idle: ×${ratio === null ? '?' : ratio.toFixed(2)}; deadline misses ${i.idle.deadlineMisses} of ${i.idle.jobs} jobs idle → ${i.stress.deadlineMisses} of ${i.stress.jobs} under stress (per 1000: ${idle ?? '?'} → ${stress ?? '?'}; one-sided binomial p = ${pValue.toPrecision(2)}; ${i.timeBase})`;
  return { id, guest: i.guest, verdict: worse ? 'fail' : 'pass', ...(measured ? { measured } : {}), message: worse ? `${text}: the QM load interferes with the safety guest` : stress !== null && idle !== null && stress > idle ? `${text}: more misses under stress, but within noise` : text, details: { ...details, pValue } };
};

/** Isolation (b): a QM guest reads guest-physical memory outside its RAM; the access must stay inside
 * that guest (a bus error, or its own VMM answering) and every other guest keeps running. */
const spatialCheck = (results: RunResults): CheckResult => {
  const id = 'isolation.spatial';
  const sp = results.isolation?.spatial;
  if (!sp) return { id, verdict: 'skipped', message: 'the out-of-RAM memory probe was not run (needs a QM Linux guest; nestbed run --isolation)' };
  const details = { spatial: sp };
  const down = sp.others.filter((o) => !o.keptRunning);
  if (down.length > 0) return { id, guest: sp.guest, verdict: 'fail', message: `${sp.guest}'s read of ${sp.address} (outside its RAM) disturbed ${down.map((o) => `${o.guest} (${o.evidence})`).join(', ')}`, details };
  return {
    id,
    guest: sp.guest,
    verdict: 'pass',
    message: `${sp.guest} read ${sp.address} outside its RAM: ${sp.outcome} (exit ${sp.exitCode}, value ${sp.value}); the fault stayed inside it${sp.guestAliveAfter ? ' and it kept running' : ''}; ${sp.others.map((o) => `${o.guest} kept running`).join(', ') || 'no other guest'}`,
    details,
  };
};

/** What L1 must report for a vCPU thread of a guest with this reservation (null: not checked). */
const expectedSched = (r: GuestResult['reservation']): string | null => {
  switch (r.kind) {
    case 'deadline':
      return `deadline ${r.budgetUs ?? '?'}/${r.periodUs ?? '?'} µs`;
    case 'dedicated':
    case 'cap':
    case 'other':
      return 'other';
    default:
      return null;
  }
};

const pinningCheck = (input: JudgeInput): CheckResult => {
  const id = 'isolation.pinning';
  const rows = input.topology.guests.map((g) => {
    const r = input.results.guests.find((x) => x.name === g.name);
    return { guest: g.name, pin: g.pin, applied: r?.pinApplied, sched: r?.schedApplied, reservation: r?.reservation };
  });
  const recorded = rows.filter((x) => x.applied !== undefined);
  if (recorded.length === 0) return { id, verdict: 'skipped', message: 'vCPU thread affinity was not read back in this run' };
  const wrong = recorded.filter((x) => x.pin.some((h, k) => x.applied![String(k)] !== undefined && parseInt(x.applied![String(k)]!, 16) !== 1 << h));
  if (wrong.length > 0) return { id, verdict: 'fail', message: `vCPU threads not pinned as declared: ${wrong.map((w) => `${w.guest} (pin ${w.pin.join(',')}, affinity ${JSON.stringify(w.applied)})`).join('; ')}`, details: { rows } };
  const reservationErrors = rows.filter((x) => x.reservation?.error);
  if (reservationErrors.length > 0) return { id, verdict: 'fail', message: `CPU reservation not applied: ${reservationErrors.map((x) => `${x.guest}: ${x.reservation!.error}`).join('; ')}`, details: { rows } };
  const policyMismatch = recorded.flatMap((x) => {
    const want = x.reservation ? expectedSched(x.reservation) : null;
    if (want === null || !x.sched) return [];
    return Object.entries(x.sched)
      .filter(([, t]) => threadSchedText(t) !== want)
      .map(([k, t]) => `${x.guest} vCPU ${k}: ${threadSchedText(t)}, expected ${want}`);
  });
  if (policyMismatch.length > 0) return { id, verdict: 'fail', message: `vCPU thread scheduling differs from the topology: ${policyMismatch.join('; ')}`, details: { rows } };
  const policies = recorded.map((x) => `${x.guest} ${x.sched ? [...new Set(Object.values(x.sched).map(threadSchedText))].join('/') : 'policy not read back'}`);
  return { id, verdict: 'pass', message: `every guest vCPU thread's L1 affinity matches its pin and its scheduling its reservation (${policies.join(', ')})`, details: { rows } };
};

const isolationChecks = (input: JudgeInput): CheckResult[] => [
  faultCheck(input.results),
  spatialCheck(input.results),
  channelsCheck(input.results),
  pinningCheck(input),
  interferenceCheck(input.results),
];

export const judgeRun = (input: JudgeInput): CheckReport => {
  const { topology, results } = input;
  const checks: CheckResult[] = [...stackChecks(results)];
  if (results.status !== 'ok') {
    checks.push({ id: 'run', verdict: 'fail', message: `the run ${results.status}: ${results.failure?.message ?? 'no reason recorded'}`, details: { failure: results.failure } });
  }
  topology.guests.forEach((g, gi) => {
    const r = results.guests.find((x) => x.name === g.name);
    checks.push(bootCheck(g, gi, r, input, results.timing), memoryCheck(g, gi, r, input), latencyCheck(g, gi, r, input, results.timing));
    const sched = schedulingCheck(g, r, input);
    if (sched) checks.push(sched);
    checks.push(...parityChecks(g, r, input));
  });
  checks.push(...isolationChecks(input));
  const summary = { pass: 0, fail: 0, warn: 0, inconclusive: 0, skipped: 0 };
  for (const c of checks) summary[c.verdict]++;
  return {
    schemaVersion: CHECK_REPORT_VERSION,
    tool: 'nestbed',
    toolVersion: input.toolVersion,
    command: input.command,
    topology: topology.name,
    ...(input.file ? { file: input.file } : {}),
    profile: input.profile?.id ?? null,
    timing: results.timing,
    timingModel: timingModelText(results.timing, input.profile),
    success: summary.fail === 0 && (!input.strict || summary.inconclusive === 0),
    ...(input.strict ? { strict: true } : {}),
    summary,
    checks,
    diagnostics: [...input.diagnostics],
    ...(input.runDir ? { runDir: input.runDir } : {}),
  };
};
