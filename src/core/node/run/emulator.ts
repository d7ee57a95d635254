// Which host emulator a run uses. `deterministic` timing uses the per-core-time build that setup
// made (one clock per emulated core, src/core/node/setup/per-core-qemu.ts); where it is missing or
// does not verify, the stock emulator with a shared clock, and the run says so (a warning in the
// output and in results.json). `fast` timing always uses the stock emulator (MTTCG, no icount).
import { join } from 'node:path';
import type { HostQemu } from '../setup/host-qemu.js';
import { sha256File, type Manifest } from '../setup/manifest.js';
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
}

export const SHARED_CLOCK_ICOUNT = 'shift=0,sleep=off';

export const chooseEmulator = async (timing: 'fast' | 'deterministic', stock: HostQemu, manifest: Manifest, emulatorDir: string): Promise<EmulatorChoice> => {
  if (timing === 'fast') return { path: stock.path, version: stock.version, perCore: false };
  const shared = (why: string): EmulatorChoice => ({
    path: stock.path,
    version: stock.version,
    perCore: false,
    icount: SHARED_CLOCK_ICOUNT,
    warning: `per-core virtual time unavailable (${why}): the emulated cores share one clock, so a busy core delays the others' time — real-time figures are pessimistic; run "nestbed setup" to build it`,
  });
  const rec = manifest.perCoreQemu;
  if (!rec) return shared('the per-core-time emulator has not been built');
  if (rec.status === 'unavailable') return shared(rec.reason);
  const path = join(emulatorDir, rec.file);
  if ((await sha256File(path).catch(() => '')) !== rec.sha256) return shared(`${rec.file} is missing or does not match its SHA-256`);
  return { path, version: `${rec.version} + nestbed per-core time`, perCore: true, quantum: PER_CORE_QUANTUM, icount: perCoreIcountArg(PER_CORE_QUANTUM) };
};
