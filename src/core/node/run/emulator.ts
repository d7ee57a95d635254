// Which host emulator a run uses: the build that setup made from Debian's source with nestbed's
// patches (src/core/node/setup/per-core-qemu.ts) when it verifies, else the stock emulator.
// `deterministic` timing uses its per-core virtual time (one clock per emulated core); with the stock
// emulator the cores share one clock, and the run says so (a warning in the output and in
// results.json). `fast` timing (MTTCG, no icount) runs either unchanged. Only the nestbed build can
// restore the warm stack's snapshots (its EL2 timers are in the migration stream): `snapshots`.
import { join } from 'node:path';
import type { HostQemu } from '../setup/host-qemu.js';
import { builtFileIntact, type Manifest } from '../setup/manifest.js';
import { PER_CORE_QUANTUM, perCoreIcountArg } from '../setup/per-core-qemu.js';

export interface EmulatorChoice {
  readonly path: string;
  readonly version: string;
  /** One virtual clock per emulated core (deterministic timing with the per-core build). */
  readonly perCore: boolean;
  /** Instructions per round (perCore only). */
  readonly quantum?: number;
  /** The -icount argument in deterministic timing. */
  readonly icount?: string;
  /** Why a deterministic run has no per-core time. */
  readonly warning?: string;
  /** Snapshots of the stack restore correctly (the nestbed build), or why not. */
  readonly snapshots: true | string;
}

export const SHARED_CLOCK_ICOUNT = 'shift=0,sleep=off';

export const chooseEmulator = async (timing: 'fast' | 'deterministic', stock: HostQemu, manifest: Manifest, emulatorDir: string): Promise<EmulatorChoice> => {
  const rec = manifest.perCoreQemu;
  const path = rec?.status === 'built' ? join(emulatorDir, rec.file) : undefined;
  const why = !rec
    ? 'the per-core-time emulator has not been built'
    : rec.status === 'unavailable'
      ? rec.reason
      : !(await builtFileIntact(emulatorDir, rec))
        ? `${rec.file} is missing or does not match its SHA-256`
        : undefined;
  const noSnapshots = `the stock emulator cannot restore a snapshot of the stack (${why ?? ''}); run "nestbed setup" to build nestbed's`;
  if (rec?.status === 'built' && why === undefined) {
    if (timing === 'fast') return { path: path!, version: `${rec.version} + nestbed patches`, perCore: false, snapshots: true };
    return { path: path!, version: `${rec.version} + nestbed per-core time`, perCore: true, quantum: PER_CORE_QUANTUM, icount: perCoreIcountArg(PER_CORE_QUANTUM), snapshots: true };
  }
  if (timing === 'fast') return { path: stock.path, version: stock.version, perCore: false, snapshots: noSnapshots };
  return {
    path: stock.path,
    version: stock.version,
    perCore: false,
    icount: SHARED_CLOCK_ICOUNT,
    warning: `per-core virtual time unavailable (${why ?? ''}): the emulated cores share one clock, so a busy core delays the others' time — real-time figures are pessimistic; run "nestbed setup" to build it`,
    snapshots: noSnapshots,
  };
};

/** What identifies the emulator binary in the warm stack's key: its version, and for the per-core
 * build its SHA-256 (the patch can change without the version). */
export const emulatorIdentity = (e: EmulatorChoice, manifest: Manifest): string => {
  const rec = manifest.perCoreQemu;
  return e.perCore && rec?.status === 'built' ? `${e.version} sha256:${rec.sha256}` : `${e.version} ${e.path}`;
};
