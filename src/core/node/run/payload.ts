// The payload of a run: what the guest hypervisor (L1) runs, as files — the launcher
// (guest/launch.sh), its helpers (guest/lib.sh), its configuration (`words`: the nb_* words
// planStack generates for L1) and the os: custom guests' files (c<i>/...). Every run and every
// deployment bundle carries the same files: `nestbed run` writes them as one newc archive, given to
// L0 as a fw_cfg file; L0 hands it to L1 as a read-only disk (guest/init.sh unpacks it and runs
// launch.sh);
// a bundle holds them under payload/ beside run-on-host.sh, the entry point on an arm64 KVM host.
import { readFileSync } from 'node:fs';
import type { CpioEntry } from '../image/cpio.js';
import { writeCpio } from '../image/cpio.js';
import { shippedFile } from '../setup/repo-files.js';

/** Payload file names (relative to the payload root). */
export const PAYLOAD = { launcher: 'launch.sh', library: 'lib.sh', words: 'words', hostEntry: 'run-on-host.sh' } as const;

export interface PayloadFile {
  readonly path: string;
  readonly data: Buffer;
  readonly mode: number;
}

/** The words file: the launcher's nb_* words, one line. */
export const wordsFileText = (words: readonly string[]): string => `${words.join(' ')}\n`;

/** The shipped launcher files (same bytes in every run and bundle of this nestbed). */
export const launcherFiles = (): PayloadFile[] => [
  { path: PAYLOAD.launcher, data: readFileSync(shippedFile('guest/launch.sh')), mode: 0o755 },
  { path: PAYLOAD.library, data: readFileSync(shippedFile('guest/lib.sh')), mode: 0o644 },
  { path: PAYLOAD.hostEntry, data: readFileSync(shippedFile('guest/run-on-host.sh')), mode: 0o755 },
];

/** A run's payload: the launcher files, the words, the custom guests' entries (customImageEntries). */
export const runPayload = (words: readonly string[], custom: readonly CpioEntry[]): PayloadFile[] => [
  ...launcherFiles(),
  { path: PAYLOAD.words, data: Buffer.from(wordsFileText(words), 'utf8'), mode: 0o644 },
  ...custom.map((e): PayloadFile => {
    if (e.kind !== 'file') throw new Error(`payload: ${e.path} is not a file`);
    return { path: e.path, data: e.data, mode: 0o644 };
  }),
];

/** Writes the payload archive (one newc archive, padded to whole 512-byte sectors: L1 reads it as a disk). */
export const writePayloadArchive = (files: readonly PayloadFile[], outPath: string): { sha256: string; bytes: number } => {
  const r = writeCpio(
    outPath,
    files.map((f): CpioEntry => ({ path: f.path, kind: 'file', data: f.data, mode: f.mode })),
  );
  return { sha256: r.sha256, bytes: r.bytes };
};
