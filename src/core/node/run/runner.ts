// `nestbed run`: boots the nested stack for a validated topology and writes a run directory:
//   results.json      versioned (src/core/common/model/run-results.ts)
//   events.jsonl      every RunEvent, as streamed live
//   console-l0.log, console-l1.log, console-<guest>.log   one per level and guest, host-timestamped
//   command-line.json the exact host argv and kernel command line
//   manifest.json     the artifact manifest (package versions, SHA-256) the run used
//   launcher/         a bundle's run only: the launcher results directory (launcher-log.ts)
// States: starting → booted (L1 up) → running (all guests ready) → stopping → exited | failed.
// This file prepares a run (checks the image set, plans the stack, writes the payload L1 runs:
// payload.ts) and wires the pieces that run it:
//   run-logs.ts          console logs, events.jsonl, the console tails a failure quotes
//   run-lifecycle.ts     the states, fail() (first failure wins), cancel
//   console-router.ts    each emulator line → logs, events, collector, failures, stage notes
//   watchdog.ts          the per-stage time bounds and --timeout
//   host-sampler.ts      the emulator's RSS and the host's load
//   assemble-results.ts  results.json
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import type { EcuProfile } from '../../common/model/profile.js';
import type { RunEvent } from '../../common/model/run-events.js';
import type { RunResults } from '../../common/model/run-results.js';
import { AGENT_OS, type ValidTopology } from '../../common/model/topology.js';
import { customImageEntries, type CustomImageRecord } from '../custom-image.js';
import type { ProcessExit } from '../process/supervised.js';
import { findHostQemu, installHint } from '../setup/host-qemu.js';
import { readManifest, sha256File, type Manifest } from '../setup/manifest.js';
import { cachePaths } from '../setup/paths.js';
import { checkMemory, cpuMaskFor, planStack, type StackPlan } from '../stack/plan.js';
import { orchestrated, rtosRunMs as rtosRunMsOf, type PhasePlan } from '../stack/channels.js';
import { artifactRecords, assembleResults, writeResults } from './assemble-results.js';
import { RunCollector } from './collector.js';
import { ConsoleRouter } from './console-router.js';
import { chooseEmulator, emulatorIdentity, type EmulatorChoice } from './emulator.js';
import { HostSampler } from './host-sampler.js';
import { RunLifecycle } from './run-lifecycle.js';
import { RunLogs } from './run-logs.js';
import { PAYLOAD, runPayload, wordsFileText, writePayloadArchive, type PayloadFile } from './payload.js';
import { checkBundleImages, type OpenedBundle } from '../bundle/run-bundle.js';
import { LauncherLog } from './launcher-log.js';
import { StackDriver } from './stack-driver.js';
import { SnapshotCache } from './warm-stack.js';
import { startWatchdog, timeoutMessage, workSeconds } from './watchdog.js';

export { STAGE_TIMEOUTS_S } from './watchdog.js';

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
  /** A deployment bundle (`nestbed run bundle.tar.gz`): its payload runs as it is, instead of the
   * payload this nestbed builds (its words must be the ones planned for this run), on the image set
   * it records; the run directory gets the launcher's results directory (launcher/). */
  readonly bundle?: OpenedBundle;
  /** Restore the warm stack (a snapshot of the booted L0 + L1, made by the first run of its key:
   * warm-stack.ts); false boots L0 and L1 with the payload from the start and makes no snapshot. */
  readonly warm?: boolean;
}

/** A bundle's payload, once its words are known to be what this run plans (the collector reads the
 * run's events through the same plan). */
const checkedBundlePayload = (files: readonly PayloadFile[], planned: readonly string[]): readonly PayloadFile[] => {
  const words = files.find((f) => f.path === PAYLOAD.words)?.data.toString('utf8');
  if (words === undefined) throw new InputError(`the bundle's payload has no ${PAYLOAD.words} file`);
  if (words !== wordsFileText(planned)) {
    throw new InputError(`the bundle's payload/${PAYLOAD.words} differs from what this nestbed plans for its topology (made by another nestbed version or changed): export the bundle again`);
  }
  for (const f of [PAYLOAD.launcher, PAYLOAD.library]) if (!files.some((x) => x.path === f)) throw new InputError(`the bundle's payload has no ${f}`);
  return files;
};

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

export const runTopology = async (o: RunOptions): Promise<RunOutcome> => {
  const t = o.topology;
  const timing = o.timing ?? t.host.timing;
  const deterministic = timing === 'deterministic';
  const paths = cachePaths(o.cacheRoot);
  const manifest = await readManifest(paths.manifest);
  if (!manifest) throw new InfrastructureError(`no guest image set in ${paths.root}`, 'run "nestbed setup" first');
  if (o.bundle) checkBundleImages(o.bundle, manifest.artifacts);
  const qemu = await findHostQemu();
  if (!qemu || qemu.major < 9) throw new InfrastructureError(`qemu-system-aarch64 ≥ 9 not found`, installHint);
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
  const rtosRunMs = rtosRunMsOf(t, { deterministic, holdS: o.holdS ?? 2, orchestrated: orch, phaseS });
  const panicIdx = o.testHooks?.panicGuest !== undefined ? t.guests.findIndex((g) => g.name === o.testHooks?.panicGuest) : undefined;

  // the run's payload (the launcher, its words, the os: custom guests' files, hashed as packed) in an
  // archive that lives as long as the run (planned before the run directory exists: bad input
  // leaves nothing behind)
  const payloadTmp = await mkdtemp(join(tmpdir(), 'nestbed-payload-'));
  const payloadArchive = join(payloadTmp, 'payload.cpio');
  try {
    let custom: ReturnType<typeof customImageEntries>;
    try {
      custom = customImageEntries(t.guests, o.topologyDir ?? process.cwd());
    } catch (e) {
      throw new InputError(`os: custom image: ${(e as Error).message}`);
    }
    const customImages = custom.records;
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
      payloadArchive,
      cpuMask: cpuMaskFor(t.host.cpu, o.profile?.cpu.features),
      ...(o.testHooks?.leakUndeclared ? { channelHooks: { leakUndeclared: true } } : {}),
    });

    const payload = o.bundle ? checkedBundlePayload(o.bundle.payload, plan.launcherWords) : runPayload(plan.launcherWords, custom.entries);
    writePayloadArchive(payload, payloadArchive);
    await mkdir(o.outDir, { recursive: true });
    return await runStack(o, { t, timing, deterministic, paths, emulator, manifest, rt, used, plan, phases, orch, phaseS, rtosRunMs, runDir: o.outDir, customImages, scratch: payloadTmp, payloadArchive, images: { kernel: [join(paths.images, imageA.file), imageA.sha256], initrd: [join(paths.images, l0a.file), l0a.sha256] } });
  } finally {
    await rm(payloadTmp, { recursive: true, force: true });
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
  /** The run's scratch directory (the payload archive, the emulators' QMP sockets). */
  readonly scratch: string;
  readonly payloadArchive: string;
  /** L0's kernel and initramfs: path and SHA-256 (the warm stack's key names the hashes). */
  readonly images: { readonly kernel: readonly [string, string]; readonly initrd: readonly [string, string] };
}

/** Runs the planned stack once: writes the run's fixed files, then wires the pieces that watch it
 * (console router, state machine, watchdog, host sampler, logs) and assembles results.json. */
const runStack = async (o: RunOptions, p: Prepared): Promise<RunOutcome> => {
  const { t, timing, deterministic, paths, emulator, manifest, rt, used, plan, phases, orch, phaseS, rtosRunMs, runDir, customImages } = p;
  const launcherLog = o.bundle ? await LauncherLog.open(runDir, o.bundle) : undefined;
  // the warm stack needs nestbed's emulator build (emulator.ts); without it the run boots cold
  const warm = o.warm !== false && emulator.snapshots === true;
  const warmUnavailable = o.warm !== false && emulator.snapshots !== true ? `warm stack unavailable, L0 and L1 boot in this run: ${emulator.snapshots}` : undefined;
  const driver = new StackDriver({
    argv: plan.argv,
    payloadArchive: p.payloadArchive,
    scratch: p.scratch,
    ...(warm
      ? {
          warm: {
            cache: new SnapshotCache(paths.snapshots),
            emulatorId: emulatorIdentity(emulator, manifest),
            images: new Map([p.images.kernel, p.images.initrd].map(([path, sha]) => [path, `sha256:${sha}`])),
          },
        }
      : {}),
    onLine: (s, l) => {
      launcherLog?.line(s, l);
      router.onLine(s, l);
    },
    over: () => lifecycle.over,
    now: () => now(),
    note: (stage, message) => {
      router.stages.push({ name: stage, atMs: now(), message });
      emit({ type: 'stage', t: now(), stage, source: { level: 0 }, message });
    },
  });
  const hostArgv = driver.payloadArgv;
  await writeFile(
    join(runDir, 'command-line.json'),
    `${JSON.stringify({ argv: StackDriver.effective(hostArgv), qemuArgv: hostArgv, kernelCmdline: plan.cmdline, launcherWords: plan.launcherWords, note: `L1's launcher (the payload's launch.sh) builds the guests' command lines from launcherWords; they are echoed in the console logs.${warm ? " Warm stack: this emulator restores the snapshot of the booted L0 + L1 (made, when there was none, by the same argv with a placeholder payload and -S instead of -incoming defer -S, continued over QMP; each emulator also gets a QMP socket)." : ''}` }, null, 2)}\n`,
  );
  await copyFile(paths.manifest, join(runDir, 'manifest.json'));
  if (o.topologyText !== undefined) await writeFile(join(runDir, 'topology.yaml'), o.topologyText);

  const collector = new RunCollector(t, deterministic, rtosRunMs, plan.channels);
  if (warmUnavailable) collector.warnings.push(warmUnavailable);
  const logs = new RunLogs(runDir);
  const emit = (e: RunEvent): void => {
    logs.event(e);
    o.onEvent?.(e);
  };
  const startedAt = new Date();
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const sampler = new HostSampler(() => driver.pid, now, emit);
  const lifecycle = new RunLifecycle({ now, emit, tail: (key) => logs.tails.tail(key), kill: (reason) => driver.kill(reason) });
  const router = new ConsoleRouter({ topology: t, collector, logs, lifecycle, emit, now, victim: phases?.faultGuest });

  const stopWatchdog = startWatchdog(
    { snapshot: collector, now, over: () => lifecycle.over, onOverdue: (late) => lifecycle.fail('timeout', timeoutMessage(late), undefined) },
    { deterministic, stageTimeoutScale: o.testHooks?.stageTimeoutScale, timeoutS: o.timeoutS, holdS: o.holdS, workS: workSeconds(t, rtosRunMs), orch, phaseS },
  );
  sampler.start();
  const abort = lifecycle.cancelOn(o.signal);

  emit({ type: 'state', t: 0, state: 'starting', detail: plan.argv.join(' ') });
  if (deterministic) {
    emit({
      type: 'stage',
      t: 0,
      stage: 'clock',
      message: emulator.perCore ? `clock: per-core virtual time (one clock per emulated core, synchronised every ${emulator.quantum} instructions)` : `warning: ${emulator.warning ?? 'one shared virtual clock'}`,
    });
  }
  abort.checkAborted();
  let exit: ProcessExit;
  try {
    exit = await driver.run();
  } catch (e) {
    lifecycle.fail('infrastructure', (e as Error).message);
    exit = { code: null, signal: null };
  }
  stopWatchdog();
  sampler.stop();
  abort.detach();
  await new Promise((r) => setTimeout(r, 0));
  lifecycle.settle(exit, collector.l0Done);

  const results = assembleResults({
    topology: t,
    topologyFile: o.topologyFile,
    topologyText: o.topologyText,
    profile: o.profile,
    timing,
    emulator,
    plan,
    phases,
    artifacts: artifactRecords(manifest, used, rt, t, customImages),
    customImages,
    collector,
    finalState: lifecycle.state,
    failure: lifecycle.failure,
    stages: router.stages,
    victimExit: router.victimExit,
    startedAt,
    endMs: now(),
    host: sampler.figures(),
    warmStack: driver.record,
  });
  await writeResults(runDir, results);
  await logs.close();
  await launcherLog?.close();
  return { results, runDir };
};

export type { Manifest };
