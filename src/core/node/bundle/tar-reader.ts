// The safe reader: a .tar.gz is read into memory and hashed as it streams in, never extracted —
// verify needs nothing on disk, so nothing is ever written, whatever the archive holds. Every entry is
// judged from its header BEFORE any of its data is used, and the first problem refuses the whole
// archive (UnsafeArchiveError, exit 2):
//   - a path that is not a bundle path (archive-path.ts): absolute, "..", "." or empty segments,
//     backslashes, control characters, drive letters, over-long;
//   - any entry type but a regular file ('0'/NUL) and the pax header describing it ('x'): symbolic and
//     hard links (wherever they point), character/block devices, FIFOs, directories, pax global
//     headers, GNU long-name and sparse entries, anything unknown;
//   - a declared size above maxEntryBytes; a running total of declared sizes above maxTotalBytes;
//     more than maxEntries headers; a path seen before (duplicates could shadow a verified file);
//   - a bad header checksum, a non-ustar header, malformed numbers or pax records, data after the
//     end-of-archive marker, a truncated archive, a gzip stream that is corrupt or decompresses to
//     more than the limits allow.
// Small files outside images/ are kept in memory for the verifier (manifest, topology, reports);
// everything else is only hashed.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InputError } from '../../common/model/errors.js';
import { archivePathProblem } from './archive-path.js';
import { BLOCK, TarFormatError, decodeHeader, decodePaxRecords, type DecodedHeader } from './tar-header.js';

/** The archive was refused: hostile, malformed or unreadable. Bad input: exit 2. */
export class UnsafeArchiveError extends InputError {}

export interface ArchiveLimits {
  /** Headers (pax headers included). */
  readonly maxEntries: number;
  /** Declared size of one file. */
  readonly maxEntryBytes: number;
  /** Sum of the declared sizes. */
  readonly maxTotalBytes: number;
  /** One file kept in memory (larger ones are only hashed). */
  readonly maxKeepBytes: number;
  /** All kept files together. */
  readonly maxKeptTotalBytes: number;
}

/** A bundle holds about twenty files; the largest image (l0-rt.cpio) is about 320 MB. */
export const BUNDLE_LIMITS: ArchiveLimits = {
  maxEntries: 4096,
  maxEntryBytes: 2 * 1024 ** 3,
  maxTotalBytes: 4 * 1024 ** 3,
  maxKeepBytes: 16 * 1024 ** 2,
  maxKeptTotalBytes: 128 * 1024 ** 2,
};

export interface ArchiveFile {
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
  readonly sha256: string;
  /** The bytes, when kept. */
  readonly data?: Buffer;
}

export interface ReadArchive {
  /** In archive order. */
  readonly files: readonly ArchiveFile[];
  readonly compressedBytes: number;
  readonly tarBytes: number;
}

/** Which files to keep in memory (besides the size limits). */
export type KeepFile = (path: string, size: number) => boolean;
export const keepOutsideImages: KeepFile = (path) => !path.startsWith('images/');

/** Largest pax header accepted. */
const MAX_PAX_BYTES = 64 * 1024;
const MAX_LINKNAME_SHOWN = 80;

const typeName = (t: string): string => {
  switch (t) {
    case '1':
      return 'a hard link';
    case '2':
      return 'a symbolic link';
    case '3':
      return 'a character device';
    case '4':
      return 'a block device';
    case '5':
      return 'a directory';
    case '6':
      return 'a FIFO';
    case '7':
      return 'a contiguous file';
    case 'g':
      return 'a pax global header';
    case 'L':
    case 'K':
      return 'a GNU long-name entry';
    case 'S':
      return 'a GNU sparse file';
    default:
      return `an entry of type ${JSON.stringify(t)}`;
  }
};

type State = 'header' | 'data' | 'pad' | 'pax' | 'zero1' | 'end';

/** Incremental parser: feed decompressed bytes with write(), then end(). Throws UnsafeArchiveError. */
export class TarParser {
  private state: State = 'header';
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private headers = 0;
  private totalDeclared = 0;
  private keptTotal = 0;
  private bytes = 0;
  private readonly seen = new Set<string>();
  private readonly files: ArchiveFile[] = [];
  private pax: Map<string, string> | undefined;
  private paxBuf: Buffer[] = [];
  private current: { path: string; size: number; mode: number; mtime: number; hash: Hash; keep: Buffer[] | undefined } | undefined;
  private remaining = 0;
  private padLeft = 0;

  constructor(
    private readonly limits: ArchiveLimits = BUNDLE_LIMITS,
    private readonly keep: KeepFile = keepOutsideImages,
  ) {}

  get tarBytes(): number {
    return this.bytes;
  }

  private refuse(why: string): never {
    throw new UnsafeArchiveError(why);
  }

  /** The most bytes a well-formed archive within the limits can decompress to. */
  private get maxBytes(): number {
    return this.limits.maxTotalBytes + (this.limits.maxEntries + 2) * (BLOCK * 2) + MAX_PAX_BYTES * 2 + 20 * BLOCK;
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) this.refuse(`the archive decompresses to more than ${this.maxBytes} bytes (the limit for a bundle)`);
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'header':
        case 'zero1': {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - off);
          chunk.copy(this.header, this.headerFill, off, off + take);
          this.headerFill += take;
          off += take;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader();
          }
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - off);
          const part = chunk.subarray(off, off + take);
          this.current!.hash.update(part);
          this.current!.keep?.push(Buffer.from(part));
          this.remaining -= take;
          off += take;
          if (this.remaining === 0) this.finishFile();
          break;
        }
        case 'pax': {
          const take = Math.min(this.remaining, chunk.length - off);
          this.paxBuf.push(Buffer.from(chunk.subarray(off, off + take)));
          this.remaining -= take;
          off += take;
          if (this.remaining === 0) this.finishPax();
          break;
        }
        case 'pad': {
          const take = Math.min(this.padLeft, chunk.length - off);
          this.padLeft -= take;
          off += take;
          if (this.padLeft === 0) this.state = 'header';
          break;
        }
        case 'end': {
          const rest = chunk.subarray(off);
          if (!rest.every((b) => b === 0)) this.refuse('data after the end-of-archive marker');
          off = chunk.length;
          break;
        }
      }
    }
  }

  /** The files, once the whole archive was seen. */
  end(): ArchiveFile[] {
    if (this.state === 'end') return [...this.files];
    if (this.bytes === 0) this.refuse('the archive is empty');
    this.refuse(`the archive is truncated (it ends ${this.state === 'zero1' ? 'after a single zero block' : `inside ${this.state === 'header' ? 'a header' : 'an entry'}`}, before the end-of-archive marker)`);
  }

  private onHeader(): void {
    let h: DecodedHeader | 'zero';
    try {
      h = decodeHeader(this.header);
    } catch (e) {
      if (e instanceof TarFormatError) this.refuse(`header ${this.headers + 1}: ${e.message}`);
      throw e;
    }
    if (h === 'zero') {
      if (this.pax) this.refuse('a pax header is not followed by an entry');
      this.state = this.state === 'zero1' ? 'end' : 'zero1';
      return;
    }
    if (this.state === 'zero1') this.refuse('a zero block in the middle of the archive');
    this.headers++;
    if (this.headers > this.limits.maxEntries) this.refuse(`more than ${this.limits.maxEntries} entries (the limit for a bundle)`);
    const index = this.headers;
    if (h.type === 'x') {
      if (this.pax) this.refuse(`entry ${index}: two pax headers in a row`);
      if (h.size > MAX_PAX_BYTES) this.refuse(`entry ${index}: a pax header of ${h.size} bytes (limit ${MAX_PAX_BYTES})`);
      this.paxBuf = [];
      this.remaining = h.size;
      this.padLeft = (BLOCK - (h.size % BLOCK)) % BLOCK;
      this.state = 'pax';
      if (h.size === 0) this.finishPax();
      return;
    }
    const paxPath = this.pax?.get('path');
    const paxSize = this.pax?.get('size');
    this.pax = undefined;
    const path = paxPath ?? h.path;
    const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
    if (h.type !== '0' && h.type !== '\0') {
      const target = h.type === '1' || h.type === '2' ? ` → ${JSON.stringify(h.linkname.slice(0, MAX_LINKNAME_SHOWN))}` : '';
      this.refuse(`entry ${index} ${shown} is ${typeName(h.type)}${target}; a bundle holds regular files only`);
    }
    const problem = archivePathProblem(path);
    if (problem) this.refuse(`entry ${index} ${shown}: ${problem}`);
    let size = h.size;
    if (paxSize !== undefined) {
      if (!/^(0|[1-9][0-9]{0,15})$/.test(paxSize)) this.refuse(`entry ${index} ${shown}: malformed pax size ${JSON.stringify(paxSize.slice(0, 20))}`);
      size = Number(paxSize);
    }
    if (!Number.isSafeInteger(size) || size > this.limits.maxEntryBytes) {
      this.refuse(`entry ${index} ${shown} declares ${Number.isFinite(size) ? `${size} bytes` : 'a size beyond 2^53 bytes'}; the limit for one file is ${this.limits.maxEntryBytes}`);
    }
    this.totalDeclared += size;
    if (this.totalDeclared > this.limits.maxTotalBytes) this.refuse(`entry ${index} ${shown}: the files declare more than ${this.limits.maxTotalBytes} bytes together (the limit for a bundle)`);
    if (this.seen.has(path)) this.refuse(`entry ${index} ${shown} appears twice`);
    this.seen.add(path);
    const keep = size <= this.limits.maxKeepBytes && this.keptTotal + size <= this.limits.maxKeptTotalBytes && this.keep(path, size);
    if (keep) this.keptTotal += size;
    this.current = { path, size, mode: h.mode & 0o7777, mtime: h.mtime, hash: createHash('sha256'), keep: keep ? [] : undefined };
    this.remaining = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    this.state = 'data';
    if (size === 0) this.finishFile();
  }

  private finishFile(): void {
    const c = this.current!;
    this.files.push({ path: c.path, size: c.size, mode: c.mode, mtime: c.mtime, sha256: c.hash.digest('hex'), ...(c.keep ? { data: Buffer.concat(c.keep) } : {}) });
    this.current = undefined;
    this.state = this.padLeft ? 'pad' : 'header';
  }

  private finishPax(): void {
    try {
      this.pax = decodePaxRecords(Buffer.concat(this.paxBuf));
    } catch (e) {
      if (e instanceof TarFormatError) this.refuse(`entry ${this.headers}: ${e.message}`);
      throw e;
    }
    this.paxBuf = [];
    this.state = this.padLeft ? 'pad' : 'header';
  }
}

/** Parses an uncompressed tar held in memory. */
export const parseTar = (tar: Buffer, limits: ArchiveLimits = BUNDLE_LIMITS, keep: KeepFile = keepOutsideImages): ArchiveFile[] => {
  const p = new TarParser(limits, keep);
  p.write(tar);
  return p.end();
};

/** Reads a .tar.gz file without writing anything: gunzip → parser, streamed. */
export const readTarGz = async (file: string, limits: ArchiveLimits = BUNDLE_LIMITS, keep: KeepFile = keepOutsideImages): Promise<ReadArchive> => {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UnsafeArchiveError(`cannot read it: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`);
  }
  if (!st.isFile()) throw new UnsafeArchiveError('cannot read it: not a regular file');
  const parser = new TarParser(limits, keep);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      try {
        parser.write(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  try {
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), createGunzip(), sink);
  } catch (e) {
    if (e instanceof UnsafeArchiveError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.code.startsWith('Z_')) throw new UnsafeArchiveError(`not a readable .tar.gz: ${err.code === 'Z_DATA_ERROR' ? `corrupt or not gzip data (${err.message})` : err.message}`);
    if (err.code === 'EACCES' || err.code === 'EISDIR') throw new UnsafeArchiveError(`cannot read it: ${err.code}`);
    throw e;
  }
  return { files: parser.end(), compressedBytes: st.size, tarBytes: parser.tarBytes };
};
