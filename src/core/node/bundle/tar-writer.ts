// A deterministic ustar writer. The same entries give the same bytes, whoever runs it, wherever:
//   - entries sorted by path (byte order); no directory entries (extractors create the parents);
//   - every entry a regular file, mode 0644 or 0755 (executable), uid/gid 0, uname/gname empty,
//     mtime the one given (SOURCE_DATE_EPOCH or the fixed epoch, bundle-layout.ts);
//   - a path longer than ustar's name/prefix split gets a pax 'x' header with a `path` record
//     (its own header named PaxHeaders/<last 80 bytes of the name>, same fixed fields);
//   - two zero blocks end the archive, padded with zeros to a 10240-byte record (tar's default
//     blocking factor: GNU tar lists and extracts it without a warning — tested).
// File sources are streamed from disk and hashed on the way: a file whose size or SHA-256 differs from
// what the caller expects (the cache manifest's) aborts the archive with SourceMismatchError.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archivePathProblem, compareArchivePaths } from './archive-path.js';
import { createBundleGzip, normaliseGzipHeader } from './gzip.js';
import { BLOCK, MAX_OCTAL_SIZE, encodeHeader, encodePaxRecords } from './tar-header.js';

export type TarSource =
  | { readonly kind: 'bytes'; readonly data: Uint8Array }
  | { readonly kind: 'file'; readonly file: string; readonly size: number; readonly sha256?: string };

export interface TarEntry {
  readonly path: string;
  readonly executable?: boolean;
  readonly source: TarSource;
}

export interface TarOptions {
  /** Seconds since 1970 for every header. */
  readonly mtime: number;
}

export const FILE_MODE = 0o644;
export const EXEC_MODE = 0o755;
/** tar's default record: 20 blocks. */
export const RECORD = 20 * BLOCK;

/** A file source did not have the size or SHA-256 the caller expected (changed or corrupted). */
export class SourceMismatchError extends Error {
  override readonly name = 'SourceMismatchError';
  constructor(
    readonly path: string,
    readonly file: string,
    readonly what: 'size' | 'sha256',
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${path}: ${file} has ${what} ${actual}, expected ${expected}`);
  }
}

export const sourceSize = (s: TarSource): number => (s.kind === 'bytes' ? s.data.length : s.size);

/** Validates paths (archive-path.ts) and uniqueness, and sorts. A bad path is a bug in the caller. */
export const planTar = (entries: readonly TarEntry[]): TarEntry[] => {
  const seen = new Set<string>();
  for (const e of entries) {
    const problem = archivePathProblem(e.path);
    if (problem) throw new Error(`tar: ${JSON.stringify(e.path)}: ${problem}`);
    if (seen.has(e.path)) throw new Error(`tar: duplicate path ${e.path}`);
    seen.add(e.path);
  }
  return [...entries].sort((a, b) => compareArchivePaths(a.path, b.path));
};

/** ustar name/prefix split at a '/', or undefined when the path needs a pax header. */
export const splitUstarPath = (path: string): { name: string; prefix: string } | undefined => {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
};

const padding = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** The header block(s) of one entry: a pax header first when the path or size needs one. */
export const entryHeaders = (e: TarEntry, o: TarOptions): Buffer[] => {
  const size = sourceSize(e.source);
  const mode = e.executable ? EXEC_MODE : FILE_MODE;
  const split = splitUstarPath(e.path);
  const pax: [string, string][] = [];
  if (!split) pax.push(['path', e.path]);
  if (size > MAX_OCTAL_SIZE) pax.push(['size', String(size)]);
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const data = encodePaxRecords(pax);
    const base = e.path.slice(e.path.lastIndexOf('/') + 1);
    const paxName = `PaxHeaders/${Buffer.from(base).subarray(-80).toString('utf8').replace(/^\uFFFD+/, '')}`;
    out.push(encodeHeader({ name: paxName, mode: FILE_MODE, size: data.length, mtime: o.mtime, type: 'x' }), data, padding(data.length));
  }
  const fallback = { name: Buffer.from(e.path).subarray(-100).toString('utf8').replace(/^[\uFFFD/]+/, ''), prefix: '' };
  const { name, prefix } = split ?? fallback;
  out.push(encodeHeader({ name, prefix, mode, size: Math.min(size, MAX_OCTAL_SIZE), mtime: o.mtime, type: '0' }));
  return out;
};

async function* fileChunks(path: string, s: Extract<TarSource, { kind: 'file' }>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(s.file, { highWaterMark: 1 << 20 })) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > s.size) throw new SourceMismatchError(path, s.file, 'size', String(s.size), `more than ${s.size}`);
    hash.update(b);
    yield b;
  }
  if (n !== s.size) throw new SourceMismatchError(path, s.file, 'size', String(s.size), String(n));
  const digest = hash.digest('hex');
  if (s.sha256 !== undefined && digest !== s.sha256) throw new SourceMismatchError(path, s.file, 'sha256', s.sha256, digest);
}

/** The archive as a stream of buffers (for a pipeline into gzip). */
export async function* tarChunks(entries: readonly TarEntry[], o: TarOptions): AsyncGenerator<Buffer> {
  let total = 0;
  const emit = (b: Buffer): Buffer => {
    total += b.length;
    return b;
  };
  for (const e of planTar(entries)) {
    for (const h of entryHeaders(e, o)) yield emit(h);
    const size = sourceSize(e.source);
    if (e.source.kind === 'bytes') yield emit(Buffer.from(e.source.data.buffer, e.source.data.byteOffset, e.source.data.byteLength));
    else for await (const c of fileChunks(e.path, e.source)) yield emit(c);
    const pad = padding(size);
    if (pad.length) yield emit(pad);
  }
  yield emit(Buffer.alloc(2 * BLOCK));
  const tail = (RECORD - (total % RECORD)) % RECORD;
  if (tail) yield emit(Buffer.alloc(tail));
}

/** The whole archive in memory (small archives, tests). */
export const tarBuffer = async (entries: readonly TarEntry[], o: TarOptions): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of tarChunks(entries, o)) parts.push(c);
  return Buffer.concat(parts);
};

/** Streams the archive, gzip-compressed (gzip.ts), into `out`; rejects on the first error (a source
 * mismatch, an abort) after the streams are torn down. */
export const writeTarGz = async (entries: readonly TarEntry[], o: TarOptions, out: Writable, signal?: AbortSignal): Promise<void> => {
  await pipeline(tarChunks(entries, o), createBundleGzip(), normaliseGzipHeader(), out, ...(signal ? [{ signal }] : []));
};
