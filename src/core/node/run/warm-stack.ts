// The warm stack: snapshots of the booted L0 + L1, waiting for a run's payload (guest/init.sh), kept
// in the cache and restored for every run, so a run skips L0's and L1's boot.
//
// A snapshot is keyed by everything that shapes the stack before the payload arrives: the host
// emulator (its version, and the per-core build's SHA-256), its argv with the images' SHA-256 in
// place of their paths (CPU model and ISA mask, cores, memory, timing, L0's kernel command line with
// L1's vCPUs and memory, partitions, sampling interval) and SNAPSHOT_FORMAT (guest/init.sh's waiting
// protocol; its text is inside the L0 image, hashed already). Per-run paths (the payload archive, the
// QMP socket) are not part of it.
//
// On disk, <cache>/snapshots/<key>/: state.bin (the emulator's migration stream, written by QMP
// `migrate file:`), transcript.jsonl (the console lines of the boot up to the snapshot: replayed into
// each run so its results have L0's and L1's boot figures), meta.json (SHA-256 of both, sizes, the
// boot's and the save's host times). A snapshot is a cache: its hashes are verified at each restore
// (in parallel with the emulator's loading), a mismatch or a failed restore removes it and the run
// boots and makes it again; at most MAX_SNAPSHOTS / MAX_SNAPSHOT_BYTES are kept, least recently used
// out first.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256File } from '../setup/manifest.js';

/** Version of the waiting protocol between the host and guest/init.sh (and of this layout). */
export const SNAPSHOT_FORMAT = 1;
export const MAX_SNAPSHOTS = 4;
export const MAX_SNAPSHOT_BYTES = 12 * 1024 ** 3;

/** The fw_cfg placeholder of the booting stack: not an archive (≤ 512 bytes), so L0 keeps waiting. */
export const PLACEHOLDER_PAYLOAD = 'nestbed: no payload yet (the stack is being snapshotted)\n';

const metaSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  key: z.string(),
  createdAt: z.string(),
  state: z.strictObject({ bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  transcript: z.strictObject({ bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), lines: z.number().int().nonnegative() }),
  /** Host ms from the emulator's start to both levels waiting. */
  bootMs: z.number().nonnegative(),
  /** Host ms the stop + migration to the file took. */
  saveMs: z.number().nonnegative(),
  emulator: z.string(),
});
export type SnapshotMeta = z.infer<typeof metaSchema>;

export interface TranscriptLine {
  readonly s: 'stdout' | 'stderr';
  readonly l: string;
  /** Host ms since the boot's emulator started. */
  readonly ms: number;
}

export interface Snapshot {
  readonly dir: string;
  readonly state: string;
  readonly meta: SnapshotMeta;
  readonly transcript: readonly TranscriptLine[];
}

export interface KeyInput {
  /** The host emulator's argv as planned (argv[0] is the emulator). */
  readonly argv: readonly string[];
  /** Identity of the emulator binary (version, and SHA-256 when it is the per-core build). */
  readonly emulatorId: string;
  /** Per-run paths in argv and what stands for them in the key (images → their SHA-256). */
  readonly replace: ReadonlyMap<string, string>;
}

/** The snapshot key: argv[0] is replaced by the emulator's identity, every argument that contains a
 * per-run path by its stand-in (a path inside an option string is replaced in place). */
export const snapshotKey = (k: KeyInput): string => {
  const args = k.argv.slice(1).map((a) => {
    let s = a;
    for (const [from, to] of k.replace) s = s.split(from).join(to);
    return s;
  });
  return createHash('sha256').update(JSON.stringify({ format: SNAPSHOT_FORMAT, emulator: k.emulatorId, args })).digest('hex').slice(0, 24);
};

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export class SnapshotCache {
  constructor(readonly root: string) {}

  private dirOf(key: string): string {
    return join(this.root, key);
  }

  /** The snapshot of `key` whose meta and transcript verify (the state file's hash is checked by
   * verifyState, in parallel with the restore); a broken one is removed. */
  async lookup(key: string): Promise<Snapshot | undefined> {
    const dir = this.dirOf(key);
    const metaText = await readFile(join(dir, 'meta.json'), 'utf8').catch(() => undefined);
    if (metaText === undefined) return undefined;
    try {
      const meta = metaSchema.parse(JSON.parse(metaText));
      if (meta.key !== key) throw new Error('key differs');
      const tText = await readFile(join(dir, 'transcript.jsonl'));
      if (sha256(tText) !== meta.transcript.sha256) throw new Error('transcript hash differs');
      const st = await stat(join(dir, 'state.bin'));
      if (st.size !== meta.state.bytes) throw new Error('state size differs');
      const transcript = tText
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TranscriptLine);
      const now = new Date();
      await utimes(join(dir, 'meta.json'), now, now).catch(() => undefined);
      return { dir, state: join(dir, 'state.bin'), meta, transcript };
    } catch {
      await this.remove(key);
      return undefined;
    }
  }

  /** Whether the state file still has the SHA-256 its meta records. */
  async verifyState(s: Snapshot): Promise<boolean> {
    return (await sha256File(s.state).catch(() => '')) === s.meta.state.sha256;
  }

  async remove(key: string): Promise<void> {
    await rm(this.dirOf(key), { recursive: true, force: true });
  }

  /** A scratch directory beside the snapshots (same file system: stored by rename). */
  async scratch(): Promise<string> {
    const d = join(this.root, `.new-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(d, { recursive: true });
    return d;
  }

  /** Stores the state file the emulator wrote in `scratchDir` with its transcript; returns the
   * snapshot (another run that stored the same key first wins: its snapshot is returned). */
  async store(key: string, scratchDir: string, transcript: readonly TranscriptLine[], info: { bootMs: number; saveMs: number; emulator: string }): Promise<Snapshot> {
    const state = join(scratchDir, 'state.bin');
    const tText = transcript.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const meta: SnapshotMeta = {
      format: SNAPSHOT_FORMAT,
      key,
      createdAt: new Date().toISOString(),
      state: { bytes: (await stat(state)).size, sha256: await sha256File(state) },
      transcript: { bytes: Buffer.byteLength(tText), sha256: sha256(tText), lines: transcript.length },
      bootMs: Math.round(info.bootMs),
      saveMs: Math.round(info.saveMs),
      emulator: info.emulator,
    };
    await writeFile(join(scratchDir, 'transcript.jsonl'), tText);
    await writeFile(join(scratchDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    const dir = this.dirOf(key);
    try {
      await rename(scratchDir, dir);
    } catch {
      await rm(scratchDir, { recursive: true, force: true });
      const other = await this.lookup(key);
      if (other) return other;
      throw new Error(`could not store the snapshot in ${dir}`);
    }
    await this.evict(key);
    return { dir, state: join(dir, 'state.bin'), meta, transcript };
  }

  /** Keeps at most MAX_SNAPSHOTS snapshots and MAX_SNAPSHOT_BYTES, least recently used out first
   * (never `keep`); removes scratch directories of runs that are gone. */
  async evict(keep: string): Promise<void> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const snaps: { key: string; used: number; bytes: number }[] = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const m = /^\.new-(\d+)-/.exec(e.name);
      if (m) {
        if (!pidAlive(Number(m[1]))) await rm(join(this.root, e.name), { recursive: true, force: true });
        continue;
      }
      const st = await stat(join(this.root, e.name, 'meta.json')).catch(() => undefined);
      const sb = await stat(join(this.root, e.name, 'state.bin')).catch(() => undefined);
      snaps.push({ key: e.name, used: st?.mtimeMs ?? 0, bytes: sb?.size ?? 0 });
    }
    snaps.sort((a, b) => b.used - a.used);
    let n = 0;
    let bytes = 0;
    for (const s of snaps) {
      if (s.key !== keep && (n + 1 > MAX_SNAPSHOTS || bytes + s.bytes > MAX_SNAPSHOT_BYTES)) {
        await this.remove(s.key);
        continue;
      }
      n += 1;
      bytes += s.bytes;
    }
  }
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
