// Streamed, atomic output that never overwrites unless told to: the data goes to a temporary file
// beside the target (same file system), which is flushed and then linked (no overwrite: fails if the
// target appeared meanwhile) or renamed (--force) into place. Any failure — an error, a hash mismatch
// midway, Ctrl-C — removes the temporary file: the target is either the whole new file or untouched.
import { randomBytes } from 'node:crypto';
import { link, lstat, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { InputError } from '../../common/model/errors.js';

const exists = async (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

/** Refuses (InputError) when the target cannot be written: an existing file without `force`, a
 * directory, a missing parent directory. Cheap: callers check before doing the work. */
export const checkOutputPath = async (path: string, force: boolean): Promise<void> => {
  const dir = dirname(path);
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw new InputError(`${path}: the directory ${dir} does not exist`);
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) throw new InputError(`${path} is a directory`);
  if (!force) throw new InputError(`${path} exists; nothing was written (use --force to replace it)`);
};

/** Calls `produce` with a stream into a temporary file beside `path`, then moves it into place.
 * Returns the bytes written. */
export const writeOutputAtomic = async (path: string, force: boolean, produce: (out: Writable) => Promise<void>): Promise<number> => {
  await checkOutputPath(path, force);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // created before any data flows, so the cleanup below always finds it
  const out = await open(tmp, 'wx', 0o644);
  try {
    await produce(out.createWriteStream());
    // flush to disk before the name points at it (a crash never leaves a named, truncated bundle)
    const fh = await open(tmp, 'r');
    let size: number;
    try {
      await fh.sync();
      size = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    if (force) await rename(tmp, path);
    else {
      try {
        await link(tmp, path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new InputError(`${path} appeared while the bundle was being written; nothing was replaced (use --force to replace it)`);
        // file systems without hard links: the target was checked just before
        if (await exists(path)) throw new InputError(`${path} exists; nothing was written (use --force to replace it)`);
        await rename(tmp, path);
      }
      await rm(tmp, { force: true });
    }
    return size;
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
};
