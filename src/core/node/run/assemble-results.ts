// results.json of a run: assembleResults() folds what the run gathered (the collector's figures, the
// final state and failure, the host figures, the artifacts and custom images it booted) into the
// versioned RunResults object, without I/O; writeResults() writes it atomically (writeNewResults:
// and never over an existing one).
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EcuProfile } from '../../common/model/profile.js';
import type { RunState } from '../../common/model/run-events.js';
import { HARDWARE_TIME_BASE, RUN_RESULTS_VERSION, type LauncherRecord, type RunResults, type RunTiming } from '../../common/model/run-results.js';
import type { ValidTopology } from '../../common/model/topology.js';
import type { CustomImageRecord } from '../custom-image.js';
import type { Manifest } from '../setup/manifest.js';
import type { PhasePlan } from '../stack/channels.js';
import type { StackPlan } from '../stack/plan.js';
import type { RunCollector } from './collector.js';
import type { EmulatorChoice } from './emulator.js';
import type { HostFigures } from './host-sampler.js';
import { channelResults, isolationResults } from './isolation.js';

export type RunStatus = RunResults['status'];

/** ok without a failure; cancelled for a cancel; failed for any other failure. */
export const runStatus = (failure: RunResults['failure']): RunStatus => (failure ? (failure.reason === 'cancelled' ? 'cancelled' : 'failed') : 'ok');

/** The manifest artifacts a run booted (file and SHA-256), then each os: custom guest's kernel and
 * initrd as packed. `used` are the artifacts checked before the run (Image, l0 or l0-rt). */
export const artifactRecords = (manifest: Manifest, used: readonly string[], rt: boolean, t: ValidTopology, customImages: readonly CustomImageRecord[]): RunResults['artifacts'] => {
  const artifacts: RunResults['artifacts'] = {};
  // Image-l2[-rt]: the lean kernels of the Linux (linux-rt) guests, when setup built them (inside l1[-rt].cpio)
  const rtKernel = manifest.artifacts['Image-l2-rt'] ? 'Image-l2-rt' : 'Image-rt';
  for (const name of [...used, rt ? 'l1-rt' : 'l1', 'l2', 'Image-l2', ...(rt ? [rtKernel] : []), ...(t.guests.some((g) => g.os === 'rtos') ? ['rtos'] : [])]) {
    const a = manifest.artifacts[name];
    if (a) artifacts[name] = { file: a.file, sha256: a.sha256 };
  }
  for (const c of customImages) {
    artifacts[`custom:${c.guest}:kernel`] = { file: c.kernel.resolved, sha256: c.kernel.sha256 };
    if (c.initrd) artifacts[`custom:${c.guest}:initrd`] = { file: c.initrd.resolved, sha256: c.initrd.sha256 };
  }
  return artifacts;
};

export interface ResultsInput {
  readonly topology: ValidTopology;
  readonly topologyFile?: string | undefined;
  readonly topologyText?: string | undefined;
  readonly profile?: EcuProfile | undefined;
  /** hardware: a launcher's run replayed (src/core/node/report/launcher-results.ts): no emulated L0. */
  readonly timing: RunTiming;
  readonly emulator: EmulatorChoice;
  readonly plan: Pick<StackPlan, 'cpuArg' | 'cpuMask' | 'channels'>;
  readonly phases: PhasePlan | undefined;
  readonly artifacts: RunResults['artifacts'];
  readonly customImages: readonly CustomImageRecord[];
  readonly collector: Pick<RunCollector, 'l0' | 'l1' | 'guests' | 'allReadyMs' | 'warnings' | 'customExit' | 'iso'>;
  readonly finalState: RunState;
  readonly failure: RunResults['failure'];
  readonly stages: RunResults['stages'];
  /** The planned victim's VMM exit (isolation runs). */
  readonly victimExit?: { code: number; atMs: number } | undefined;
  readonly startedAt: Date;
  /** Host ms from the start to the end of the run (wallMs; closes the isolation windows). */
  readonly endMs: number;
  readonly host: HostFigures;
  /** A launcher's results replayed: where it ran (results.json `launcher`). */
  readonly launcher?: LauncherRecord | undefined;
  /** The warm stack's use (results.json host.warmStack). */
  readonly warmStack?: RunResults['host']['warmStack'];
}

export const assembleResults = (i: ResultsInput): RunResults => {
  const { topology: t, emulator, plan, collector: r, failure, customImages } = i;
  const deterministic = i.timing === 'deterministic';
  const status = runStatus(failure);
  return {
    resultsVersion: RUN_RESULTS_VERSION,
    kind: 'nestbed-run',
    topology: {
      name: t.name,
      ...(i.topologyFile ? { file: i.topologyFile } : {}),
      ...(i.topologyText !== undefined ? { sha256: createHash('sha256').update(i.topologyText).digest('hex') } : {}),
    },
    status,
    finalState: i.finalState,
    ...(failure ? { failure } : {}),
    timing: i.timing,
    startedAt: i.startedAt.toISOString(),
    wallMs: i.endMs,
    ...(r.allReadyMs !== undefined ? { allReadyMs: r.allReadyMs } : {}),
    stages: i.stages,
    host: {
      qemu: { path: emulator.path, version: emulator.version },
      ...(deterministic ? { clock: emulator.perCore ? { perCore: true, quantum: emulator.quantum ?? 0 } : { perCore: false, reason: emulator.warning ?? '' } } : {}),
      cpuPreset: t.host.cpu,
      cpuArg: plan.cpuArg,
      ...(i.profile ? { cpuMask: { profile: i.profile.id, switches: [...plan.cpuMask.switches], hides: [...plan.cpuMask.hides] } } : {}),
      cores: t.host.cores,
      memoryMiB: t.host.memoryMiB,
      qemuRssMaxKiB: i.host.qemuRssMaxKiB,
      loadAvgAtStart: i.host.loadAvgAtStart,
      loadAvgAtEnd: i.host.loadAvgAtEnd,
      hostCpus: i.host.hostCpus,
      ...(i.warmStack ? { warmStack: i.warmStack } : {}),
    },
    // L0 is the host emulator, started at 0 — unless a launcher ran without one
    l0: i.launcher ? r.l0 : { ...r.l0, vmStartMs: 0 },
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
    channels: channelResults(t, plan.channels, r.iso, status),
    ...(i.phases
      ? {
          isolation: isolationResults({
            topology: t,
            phases: i.phases,
            rec: r.iso,
            timeBase: deterministic ? 'virtual (icount)' : i.timing === 'hardware' ? HARDWARE_TIME_BASE : 'guest counter (follows the host clock: indicative)',
            endMs: i.endMs,
            ...(i.victimExit ? { victimExit: i.victimExit } : {}),
          }),
        }
      : {}),
    artifacts: i.artifacts,
    ...(i.launcher ? { launcher: i.launcher } : {}),
  };
};

/** Writes results.json in `runDir` atomically (a temporary file, then a rename). */
export const writeResults = async (runDir: string, results: RunResults): Promise<void> => {
  const tmp = join(runDir, `results.json.tmp-${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, join(runDir, 'results.json'));
};

/** Writes results.json in `runDir` atomically, never over an existing one: the temporary file is
 * linked into place, which fails when the name exists (then nothing is written and this returns
 * false). The temporary file is removed either way. */
export const writeNewResults = async (runDir: string, results: RunResults): Promise<boolean> => {
  const target = join(runDir, 'results.json');
  const tmp = join(runDir, `.results.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`, { flag: 'wx' });
    await link(tmp, target);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // file systems without hard links: checked, then renamed (as src/core/node/bundle/output-file.ts)
    if (await lstat(target).then(() => true, () => false)) return false;
    await rename(tmp, target);
    return true;
  } finally {
    await rm(tmp, { force: true });
  }
};
