// `nestbed run`: boots the nested stack for a validated topology and writes a run directory:
//   results.json      versioned (src/core/common/model/run-results.ts)
//   events.jsonl      every RunEvent, as streamed live
//   console-l0.log, console-l1.log, console-<guest>.log   one per level and guest, host-timestamped
//   command-line.json the exact host argv and kernel command line
//   manifest.json     the artifact manifest (package versions, SHA-256) the run used
// States: starting → booted (L1 up) → running (all guests ready) → stopping → exited | failed.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import type { EcuProfile } from '../../common/model/profile.js';
import type { RunEvent, RunState, EventSource } from '../../common/model/run-events.js';
import { RUN_RESULTS_VERSION, type RunResults } from '../../common/model/run-results.js';
import { AGENT_OS, type ValidTopology } from '../../common/model/topology.js';
import { packCustomImages, type CustomImageRecord } from '../custom-image.js';
import { SupervisedProcess } from '../process/supervised.js';
import { findHostQemu, installHint } from '../setup/host-qemu.js';
import { readManifest, sha256File, type Manifest } from '../setup/manifest.js';
import { cachePaths } from '../setup/paths.js';
import { RunCollector } from './collector.js';
import { demuxLine, failureMarker, splitGluedLine, warningMarker } from './demux.js';
import { checkMemory, cpuMaskFor, planStack, type StackPlan } from '../stack/plan.js';
import { orchestrated, type PhasePlan } from '../stack/channels.js';
import { channelResults, isolationResults } from './isolation.js';
import { chooseEmulator, type EmulatorChoice } from './emulator.js';

export interface RunOptions {
  readonly topology: ValidTopology;
  /** Source text of the topology (copied into the run directory and hashed). */
  readonly topologyText?: string;
  readonly topologyFile?: string;
  /** Base of relative `os: custom` image paths, the directory validation checked them in (default:
   * the working directory). */
  readonly topologyDir?: string;
  /** The ECU profile judged against: the emulated CPU hides what it lacks where a CPU-model switch
   * allows (ISA masking, src/core/node/stack/plan.ts cpuMaskFor). */
  readonly profile?: EcuProfile;
  readonly outDir: string;
  readonly cacheRoot: string;
  /** Overrides host.timing. */
  readonly timing?: 'fast' | 'deterministic';
  /** Hard bound for the whole run, s. */
  readonly timeoutS?: number;
  readonly holdS?: number;
  readonly sampleIntervalS?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: RunEvent) => void;
  /** Test-only hooks. */
  readonly testHooks?: { readonly panicGuest?: string; readonly stageTimeoutScale?: number; readonly leakUndeclared?: boolean };
  /** Isolation probes sequenced by L1 once every guest is ready: the channel probes, then `idleS`
   * with the QM guests idle, `stressS` under their declared stress (interference), then a planned
   * panic of `faultGuest` (a Linux guest) observed for `afterFaultS`. The planned panic does not
   * end the run; any other panic still does. */
  readonly isolation?: IsolationOptions;
}

export interface IsolationOptions {
  readonly idleS?: number;
  readonly stressS?: number;
  readonly faultGuest?: string;
  readonly afterFaultS?: number;
  /** Isolation (b): a QM Linux guest reads guest-physical memory outside its RAM (default true). */
  readonly spatial?: boolean;
}

export interface RunOutcome {
  readonly results: RunResults;
  readonly runDir: string;
}

const TAIL = 40;

/** Per-stage time bounds (host wall s) in fast mode; deterministic mode doubles them. */
export const STAGE_TIMEOUTS_S = { l0Init: 60, l1Init: 120, guestsReadyBase: 150, guestsReadyPerGuest: 45, afterReady: 90, shutdown: 30 } as const;

export const runTopology = async (o: RunOptions): Promise<RunOutcome> => {
  const t = o.topology;
  const timing = o.timing ?? t.host.timing;
  const deterministic = timing === 'deterministic';
  const paths = cachePaths(o.cacheRoot);
  const qemu = await findHostQemu();
  if (!qemu || qemu.major < 9) throw new InfrastructureError(`qemu-system-aarch64 ≥ 9 not found`, installHint);
  const manifest = await readManifest(paths.manifest);
  if (!manifest) throw new InfrastructureError(`no guest image set in ${paths.root}`, 'run "nestbed setup" first');
  const rt = t.guests.some((g) => g.os === 'linux-rt');
  const used = ['Image', rt ? 'l0-rt' : 'l0'];
  for (const name of used) {
    const a = manifest.artifacts[name];
    const p = a && join(paths.images, a.file);
    if (!a || !p || (await sha256File(p).catch(() => '')) !== a.sha256) {
      throw new InfrastructureError(`guest artifact ${name} is missing or does not match its SHA-256 in ${paths.manifest}`, 'run "nestbed setup" to rebuild the image set');
    }
  }
  const emulator = await chooseEmulator(timing, qemu, manifest, paths.emulator);
  const l0a = manifest.artifacts[rt ? 'l0-rt' : 'l0'];
  const l1a = manifest.artifacts[rt ? 'l1-rt' : 'l1'];
  const imageA = manifest.artifacts.Image;
  if (!l0a || !l1a || !imageA) throw new InfrastructureError('incomplete artifact manifest', 'run "nestbed setup"');
  checkMemory(t, l0a.size, l1a.size);
  let phases: PhasePlan | undefined;
  if (o.isolation) {
    const iso = o.isolation;
    const fi = iso.faultGuest !== undefined ? t.guests.findIndex((g) => g.name === iso.faultGuest) : undefined;
    if (fi === -1) throw new InputError(`--inject-panic ${iso.faultGuest ?? ''}: no guest of that name (guests: ${t.guests.map((g) => g.name).join(', ')})`);
    // the spatial probe runs in the first QM Linux guest that is not the fault victim
    const si = iso.spatial === false ? -1 : t.guests.findIndex((g, k) => AGENT_OS.has(g.os) && g.asil === 'QM' && k !== fi);
    phases = { idleS: iso.idleS ?? 0, stressS: iso.stressS ?? 0, afterFaultS: iso.afterFaultS ?? 6, ...(fi !== undefined ? { faultGuest: fi } : {}), ...(si >= 0 ? { spatialGuest: si } : {}) };
  }
  const orch = orchestrated(t, phases);
  const phaseS = phases ? phases.idleS + phases.stressS + (phases.faultGuest !== undefined ? phases.afterFaultS : 0) + (phases.spatialGuest !== undefined ? 2 : 0) : 0;
  const linuxGuests = t.guests.filter((g) => AGENT_OS.has(g.os)).length;
  // rtos guests run their task set for the hold time + 2 s of guest time (heartbeats meanwhile); in an
  // orchestrated run they must outlive the Linux guests' boot, the probes and every phase. Guest time
  // follows the host clock in fast mode; under icount it is L1's time too, and measured (it-isolation,
  // docs/emulation-notes.md) all guests were ready at rtos time ≈ 5 s and the probes took ≈ 3.4 s.
  const orchS = deterministic ? 2 + 2 * linuxGuests + 4 + phaseS : 25 + 12 * linuxGuests + phaseS;
  const rtosRunMs = Math.round((Math.max(0, o.holdS ?? 2) + 2 + (orch ? orchS : 0)) * 1000);
  const panicIdx = o.testHooks?.panicGuest !== undefined ? t.guests.findIndex((g) => g.name === o.testHooks?.panicGuest) : undefined;

  // os: custom guests: their files, hashed as packed, on a disk image that lives as long as the run
  // (planned before the run directory exists: bad input leaves nothing behind)
  const customTmp = t.guests.some((g) => g.os === 'custom') ? await mkdtemp(join(tmpdir(), 'nestbed-custom-')) : undefined;
  const customDisk = customTmp ? join(customTmp, 'custom-images.cpio') : undefined;
  try {
    let customImages: CustomImageRecord[] = [];
    try {
      if (customDisk) customImages = packCustomImages(t.guests, o.topologyDir ?? process.cwd(), customDisk);
    } catch (e) {
      throw new InputError(`os: custom image: ${(e as Error).message}`);
    }
    const plan = planStack(t, {
      timing,
      holdS: o.holdS ?? 2,
      rtosRunMs,
      sampleIntervalS: o.sampleIntervalS ?? 3,
      ...(panicIdx !== undefined && panicIdx >= 0 ? { panicGuest: panicIdx } : {}),
      ...(phases ? { phases } : {}),
      kernel: join(paths.images, imageA.file),
      initrd: join(paths.images, l0a.file),
      qemu: emulator.path,
      ...(emulator.icount ? { icount: emulator.icount } : {}),
      ...(customDisk ? { customDisk } : {}),
      cpuMask: cpuMaskFor(t.host.cpu, o.profile?.cpu.features),
      ...(o.testHooks?.leakUndeclared ? { channelHooks: { leakUndeclared: true } } : {}),
    });

    await mkdir(o.outDir, { recursive: true });
    return await runStack(o, { t, timing, deterministic, paths, emulator, manifest, rt, used, plan, phases, orch, phaseS, rtosRunMs, runDir: o.outDir, customImages });
  } finally {
    if (customTmp) await rm(customTmp, { recursive: true, force: true });
  }
};

interface Prepared {
  readonly t: ValidTopology;
  readonly timing: 'fast' | 'deterministic';
  readonly deterministic: boolean;
  readonly paths: ReturnType<typeof cachePaths>;
  readonly emulator: EmulatorChoice;
  readonly manifest: Manifest;
  readonly rt: boolean;
  readonly used: readonly string[];
  readonly plan: StackPlan;
  readonly phases: PhasePlan | undefined;
  readonly orch: boolean;
  readonly phaseS: number;
  readonly rtosRunMs: number;
  readonly runDir: string;
  readonly customImages: readonly CustomImageRecord[];
}

const runStack = async (o: RunOptions, p: Prepared): Promise<RunOutcome> => {
  const { t, timing, deterministic, paths, emulator, manifest, rt, used, plan, phases, orch, phaseS, rtosRunMs, runDir, customImages } = p;
  const proc = new SupervisedProcess('L0 emulator', plan.argv, { onLine: (s, l) => onLine(s, l) });
  await writeFile(join(runDir, 'command-line.json'), `${JSON.stringify({ argv: proc.effectiveArgv, qemuArgv: plan.argv, kernelCmdline: plan.cmdline, note: 'L1 and L2 command lines are built by guest/init.sh from the nb_* words; they are echoed in the console logs' }, null, 2)}\n`);
  await copyFile(paths.manifest, join(runDir, 'manifest.json'));
  if (o.topologyText !== undefined) await writeFile(join(runDir, 'topology.yaml'), o.topologyText);

  const collector = new RunCollector(t, deterministic, rtosRunMs, plan.channels);
  const victim = phases?.faultGuest;
  let victimExit: { code: number; atMs: number } | undefined;
  /** The planned fault has been injected (L1's "fault" phase marker arrived). */
  const faultInjected = (): boolean => collector.iso.phases.some((p) => p.name === 'fault');
  const logs = new Map<string, WriteStream>();
  const tails = new Map<string, string[]>();
  const allTail: string[] = [];
  const events = createWriteStream(join(runDir, 'events.jsonl'));
  const stages: RunResults['stages'] = [];
  let state: RunState = 'starting';
  let failure: RunResults['failure'];
  let qemuRssMax = 0;
  const loadStart = loadavg();
  const startedAt = new Date();
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;

  const emit = (e: RunEvent): void => {
    events.write(`${JSON.stringify(e)}\n`);
    o.onEvent?.(e);
  };
  const setState = (s: RunState, detail?: string): void => {
    if (state === s || state === 'failed' || state === 'exited') return;
    state = s;
    emit({ type: 'state', t: now(), state: s, ...(detail ? { detail } : {}) });
  };
  const srcKey = (level: number, guest?: string): string => (level === 2 ? guest ?? 'unknown-guest' : `l${level}`);
  const logFor = (key: string): WriteStream => {
    let w = logs.get(key);
    if (!w) {
      w = createWriteStream(join(runDir, `console-${key}.log`));
      logs.set(key, w);
    }
    return w;
  };
  const source = (level: 0 | 1 | 2, guest?: string): EventSource => ({ level, ...(guest ? { guest } : {}) });

  const fail = (reason: NonNullable<RunEvent & { type: 'failure' }>['reason'], message: string, src?: EventSource): void => {
    if (failure) return;
    const key = src ? srcKey(src.level, src.guest) : undefined;
    const tail = (key ? tails.get(key) : undefined) ?? allTail;
    failure = { reason, message, ...(src ? { level: src.level } : {}), ...(src?.guest ? { guest: src.guest } : {}), consoleTail: [...tail].slice(-TAIL) };
    emit({ type: 'failure', t: now(), reason, message, ...(src ? { source: src } : {}), consoleTail: failure.consoleTail });
    setState('failed', message);
    proc.kill(message);
  };

  // a custom image speaks no protocol: its '@{' lines are console text like the rest
  const isCustom = (i: number): boolean => t.guests[i]?.os === 'custom';
  const onLine = (stream: 'stdout' | 'stderr', raw: string): void => {
    const tm = now();
    if (stream === 'stderr') {
      const line = raw.replace(/\r/g, '');
      logFor('host-stderr').write(`[${(tm / 1000).toFixed(3)}] ${line}\n`);
      allTail.push(`host: ${line}`);
      if (allTail.length > TAIL) allTail.shift();
      if (/^qemu-system-aarch64: (?!warning)/.test(line)) fail('vmm-error', `host emulator: ${line}`);
      return;
    }
    const parts = splitGluedLine(raw);
    if (parts.length > 1) {
      for (const part of parts) onLine(stream, part);
      return;
    }
    const d = demuxLine(raw, isCustom);
    const guest = collector.guestName(d.guest);
    const key = srcKey(d.level, guest);
    const shown = d.kind === 'text' ? d.text : raw.replace(/\r/g, '').replace(/^(?:1\|)?(?:2\.\d+\|)?/, '');
    logFor(key).write(`[${(tm / 1000).toFixed(3)}] ${shown}\n`);
    const tl = tails.get(key) ?? [];
    tl.push(shown);
    if (tl.length > TAIL) tl.shift();
    tails.set(key, tl);
    allTail.push(`${key}: ${shown}`);
    if (allTail.length > TAIL) allTail.shift();
    const src = source(d.level, guest);
    if (d.kind === 'text') {
      emit({ type: 'console', t: tm, source: src, line: d.text });
      const f = failureMarker(d.text);
      if (f && d.level === 2 && d.guest !== undefined && d.guest === victim && faultInjected()) {
        // the planned fault: recorded, the run goes on (isolation (a))
        if (!collector.iso.panicLines.has(d.guest)) collector.iso.panicLines.set(d.guest, { line: d.text.trim().slice(0, 200), atMs: tm });
      } else if (f) {
        // give the rest of a panic dump a moment to arrive for the tail
        setTimeout(() => fail(f.reason, `${f.reason === 'kernel-panic' ? 'kernel panic' : 'VMM error'} in ${key === 'l0' ? 'L0' : key === 'l1' ? 'L1' : `guest ${key}`}: ${f.message}`, src), 300);
      }
      const w = warningMarker(d.text);
      if (w) collector.warnings.push(`${key}: ${w}`);
      return;
    }
    emit({ type: 'agent', t: tm, source: src, name: d.name, data: d.data });
    collector.feed(d, tm);
    if (d.level === 2 && guest !== undefined && t.guests[d.guest ?? -1]?.os === 'rtos') {
      // the rtos guest's own failure lines (docs/rtos.md): an unplanned crash ends the run like a kernel panic
      if (d.name === 'panic' || d.name === 'fault') fail('kernel-panic', `rtos ${d.name} in guest ${guest}: ${JSON.stringify(d.data)}`, src);
      if (d.name === 'err') fail('infrastructure', `rtos guest ${guest} rejected its parameters or platform: ${String(d.data.m)}`, src);
    }
    if (d.name === 'vmexit' && d.level === 2 && d.guest !== undefined && d.guest === victim && faultInjected() && typeof d.data.rc === 'number') {
      victimExit = { code: d.data.rc, atMs: tm };
    } else if (d.name === 'vmexit' && typeof d.data.rc === 'number' && d.data.rc !== 0) {
      fail('vm-exit', `${d.level === 2 ? `guest ${guest ?? '?'}` : 'L1'} VMM exited with code ${d.data.rc}`, src);
    }
    for (const n of collector.drainNotes()) {
      stages.push({ name: n.stage, atMs: tm, message: n.message });
      emit({ type: 'stage', t: tm, stage: n.stage, source: source(n.level, n.guest), ...(n.uptimeS !== undefined ? { uptimeS: n.uptimeS } : {}), message: n.message });
      if (n.stage === 'l1-init') setState('booted', 'guest hypervisor up');
      if (n.stage === 'all-ready') setState('running', 'all guests ready');
      if (n.stage === 'l1-done') setState('stopping');
    }
  };

  // ---- time bounds
  const scale = (deterministic ? 2 : 1) * (o.testHooks?.stageTimeoutScale ?? 1);
  const workS = Math.max(
    0,
    ...(t.guests.some((g) => g.os === 'rtos') ? [(rtosRunMs / 1000) * 3] : []),
    ...t.guests.map((g) => (g.workload?.cyclictest ? (g.workload.cyclictest.intervalUs * g.workload.cyclictest.loops) / 1e6 : 0) * 3),
  );
  const S = STAGE_TIMEOUTS_S;
  const deadlineCheck = (): void => {
    if (failure || state === 'exited') return;
    const tm = now();
    const c = collector;
    const over = (what: string, limitS: number): void => fail('timeout', `timeout: ${what} within ${limitS.toFixed(0)} s`, undefined);
    const hard = o.timeoutS;
    if (hard !== undefined && tm > hard * 1000) return over(`the whole run (--timeout) did not finish`, hard);
    if (c.l0.initMs === undefined) {
      if (tm > S.l0Init * 1000 * scale) over('L0 (emulated server) did not reach its init', S.l0Init * scale);
      return;
    }
    if (c.l1.initMs === undefined) {
      const from = c.l1.vmStartMs ?? c.l0.initMs;
      if (tm - from > S.l1Init * 1000 * scale) over('L1 (guest hypervisor) did not reach its init', S.l1Init * scale);
      return;
    }
    if (c.allReadyMs === undefined) {
      const lim = (S.guestsReadyBase + S.guestsReadyPerGuest * (t.guests.length - 1)) * scale;
      if (tm - c.l1.initMs > lim * 1000) {
        const missing = c.guests.filter((g) => g.boot.readyMs === undefined).map((g) => g.name);
        over(`guest(s) ${missing.join(', ')} did not reach their ready marker`, lim);
      }
      return;
    }
    const lim = (S.afterReady + workS + (o.holdS ?? 2) + (orch ? 60 + phaseS : 0)) * scale;
    if (!c.l0Done && tm - c.allReadyMs > lim * 1000) over('the guests did not finish their workloads and power off', lim);
  };
  const timer = setInterval(deadlineCheck, 250);
  const rssTimer = setInterval(() => {
    const pid = proc.pid;
    if (pid === undefined) return;
    readFile(`/proc/${pid}/status`, 'utf8')
      .then((s) => {
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
        const rss = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
        qemuRssMax = Math.max(qemuRssMax, hwm, rss);
        emit({ type: 'host-sample', t: now(), qemuRssKiB: rss, loadAvg1: loadavg()[0] ?? 0 });
      })
      .catch(() => undefined);
  }, 1000);
  const onAbort = (): void => {
    if (failure) return;
    failure = { reason: 'cancelled', message: 'cancelled (signal)', consoleTail: allTail.slice(-TAIL) };
    emit({ type: 'failure', t: now(), reason: 'cancelled', message: 'cancelled', consoleTail: failure.consoleTail });
    setState('failed', 'cancelled');
    proc.kill('cancelled');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  emit({ type: 'state', t: 0, state: 'starting', detail: plan.argv.join(' ') });
  if (deterministic) {
    emit({
      type: 'stage',
      t: 0,
      stage: 'clock',
      message: emulator.perCore ? `clock: per-core virtual time (one clock per emulated core, synchronised every ${emulator.quantum} instructions)` : `warning: ${emulator.warning ?? 'one shared virtual clock'}`,
    });
  }
  proc.start();
  if (o.signal?.aborted) onAbort();
  const exit = await proc.exited;
  clearInterval(timer);
  clearInterval(rssTimer);
  o.signal?.removeEventListener('abort', onAbort);
  await new Promise((r) => setTimeout(r, 0));
  if (!failure) {
    if (exit.code === 0 && collector.l0Done) setState('exited');
    else fail('emulator-exit', `the host emulator exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) before the run completed`);
  }
  if ((state as RunState) !== 'failed') state = 'exited';

  const r = collector;
  const artifacts: RunResults['artifacts'] = {};
  for (const name of [...used, rt ? 'l1-rt' : 'l1', 'l2', ...(rt ? ['Image-rt'] : []), ...(t.guests.some((g) => g.os === 'rtos') ? ['rtos'] : [])]) {
    const a = manifest.artifacts[name];
    if (a) artifacts[name] = { file: a.file, sha256: a.sha256 };
  }
  for (const c of customImages) {
    artifacts[`custom:${c.guest}:kernel`] = { file: c.kernel.resolved, sha256: c.kernel.sha256 };
    if (c.initrd) artifacts[`custom:${c.guest}:initrd`] = { file: c.initrd.resolved, sha256: c.initrd.sha256 };
  }
  const results: RunResults = {
    resultsVersion: RUN_RESULTS_VERSION,
    kind: 'nestbed-run',
    topology: {
      name: t.name,
      ...(o.topologyFile ? { file: o.topologyFile } : {}),
      ...(o.topologyText !== undefined ? { sha256: createHash('sha256').update(o.topologyText).digest('hex') } : {}),
    },
    status: failure ? (failure.reason === 'cancelled' ? 'cancelled' : 'failed') : 'ok',
    finalState: state,
    ...(failure ? { failure } : {}),
    timing,
    startedAt: startedAt.toISOString(),
    wallMs: now(),
    ...(r.allReadyMs !== undefined ? { allReadyMs: r.allReadyMs } : {}),
    stages,
    host: {
      qemu: { path: emulator.path, version: emulator.version },
      ...(deterministic ? { clock: emulator.perCore ? { perCore: true, quantum: emulator.quantum ?? 0 } : { perCore: false, reason: emulator.warning ?? '' } } : {}),
      cpuPreset: t.host.cpu,
      cpuArg: plan.cpuArg,
      ...(o.profile ? { cpuMask: { profile: o.profile.id, switches: [...plan.cpuMask.switches], hides: [...plan.cpuMask.hides] } } : {}),
      cores: t.host.cores,
      memoryMiB: t.host.memoryMiB,
      qemuRssMaxKiB: qemuRssMax,
      loadAvgAtStart: loadStart.map((x) => Number(x.toFixed(2))),
      loadAvgAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
      hostCpus: cpus().length,
    },
    l0: { ...r.l0, vmStartMs: 0 },
    l1: r.l1,
    guests: r.guests.map((g) => {
      const c = customImages.find((x) => x.index === g.index);
      if (!c) return g;
      const exit = r.customExit.get(g.index);
      return {
        ...g,
        customImage: {
          kernel: { path: c.kernel.path, bytes: c.kernel.bytes, sha256: c.kernel.sha256, format: c.kernel.format },
          ...(c.initrd ? { initrd: { path: c.initrd.path, bytes: c.initrd.bytes, sha256: c.initrd.sha256 } } : {}),
          cmdline: c.cmdline,
          ...(c.readyLine !== undefined ? { readyLine: c.readyLine } : {}),
          ...(exit ? { exit } : {}),
        },
      };
    }),
    warnings: [...(emulator.warning ? [emulator.warning] : []), ...r.warnings],
    channels: channelResults(t, plan.channels, r.iso, failure ? (failure.reason === 'cancelled' ? 'cancelled' : 'failed') : 'ok'),
    ...(phases
      ? { isolation: isolationResults({ topology: t, phases, rec: r.iso, timeBase: deterministic ? 'virtual (icount)' : 'guest counter (follows the host clock: indicative)', endMs: now(), ...(victimExit ? { victimExit } : {}) }) }
      : {}),
    artifacts,
  };
  const tmp = join(runDir, `results.json.tmp-${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, join(runDir, 'results.json'));
  await Promise.all([...logs.values(), events].map((w) => new Promise<void>((res) => w.end(() => res()))));
  void stat;
  return { results, runDir };
};

export type { Manifest };
