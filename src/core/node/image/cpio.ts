// newc ("070701") cpio writer for initramfs archives. Deterministic: entries sorted by path,
// mtime fixed (0 unless given), uid/gid 0, inode numbers assigned in order. Streams file data to
// the output and hashes it on the way (SHA-256 of the whole archive).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, fstatSync, writeSync } from 'node:fs';

export type CpioEntry =
  | { readonly path: string; readonly kind: 'dir'; readonly mode?: number }
  | { readonly path: string; readonly kind: 'file'; readonly mode?: number; readonly data: Buffer }
  | { readonly path: string; readonly kind: 'hostfile'; readonly mode?: number; readonly source: string }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string }
  | { readonly path: string; readonly kind: 'chardev'; readonly mode?: number; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export interface CpioResult {
  readonly sha256: string;
  readonly bytes: number;
  readonly entries: number;
}

/** Normalises a path to the archive form ("bin/sh", no leading "./" or "/"). */
const norm = (p: string): string => p.replace(/^\.?\/+/, '').replace(/\/+$/, '');

/** Adds every missing parent directory and sorts. Throws on duplicate paths. */
export const planEntries = (entries: readonly CpioEntry[]): CpioEntry[] => {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) {
    const p = norm(e.path);
    if (p === '') continue;
    if (byPath.has(p)) throw new Error(`cpio: duplicate path ${p}`);
    byPath.set(p, { ...e, path: p });
  }
  for (const p of [...byPath.keys()]) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      const existing = byPath.get(d);
      if (!existing) byPath.set(d, { path: d, kind: 'dir' });
      else if (existing.kind !== 'dir') throw new Error(`cpio: ${d} is both a directory and a ${existing.kind}`);
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};

/** Writes the archive to `outPath` (created/truncated). */
export const writeCpio = (outPath: string, entries: readonly CpioEntry[], mtime = 0): CpioResult => {
  const planned = planEntries(entries);
  const fd = openSync(outPath, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  const put = (b: Buffer): void => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off);
    hash.update(b);
    bytes += b.length;
  };
  const zero = Buffer.alloc(4);
  const header = (ino: number, mode: number, nlink: number, size: number, rmaj: number, rmin: number, name: string): void => {
    const nameBuf = Buffer.from(`${name}\0`, 'utf8');
    const h = `070701${hex8(ino)}${hex8(mode)}${hex8(0)}${hex8(0)}${hex8(nlink)}${hex8(mtime)}${hex8(size)}${hex8(0)}${hex8(0)}${hex8(rmaj)}${hex8(rmin)}${hex8(nameBuf.length)}${hex8(0)}`;
    put(Buffer.from(h, 'ascii'));
    put(nameBuf);
    put(zero.subarray(0, pad4(110 + nameBuf.length)));
  };
  try {
    let ino = 1;
    for (const e of planned) {
      switch (e.kind) {
        case 'dir':
          header(ino++, S_IFDIR | (e.mode ?? 0o755), 2, 0, 0, 0, e.path);
          break;
        case 'symlink': {
          const t = Buffer.from(e.target, 'utf8');
          header(ino++, S_IFLNK | 0o777, 1, t.length, 0, 0, e.path);
          put(t);
          put(zero.subarray(0, pad4(t.length)));
          break;
        }
        case 'chardev':
          header(ino++, S_IFCHR | (e.mode ?? 0o600), 1, 0, e.major, e.minor, e.path);
          break;
        case 'file':
          header(ino++, S_IFREG | (e.mode ?? 0o644), 1, e.data.length, 0, 0, e.path);
          put(e.data);
          put(zero.subarray(0, pad4(e.data.length)));
          break;
        case 'hostfile': {
          const src = openSync(e.source, 'r');
          try {
            const size = fstatSync(src).size;
            header(ino++, S_IFREG | (e.mode ?? 0o644), 1, size, 0, 0, e.path);
            const chunk = Buffer.allocUnsafe(4 * 1024 * 1024);
            let done = 0;
            while (done < size) {
              const n = readSync(src, chunk, 0, Math.min(chunk.length, size - done), done);
              if (n <= 0) throw new Error(`cpio: short read from ${e.source}`);
              put(chunk.subarray(0, n));
              done += n;
            }
            put(zero.subarray(0, pad4(size)));
          } finally {
            closeSync(src);
          }
          break;
        }
      }
    }
    header(0, 0, 1, 0, 0, 0, 'TRAILER!!!');
    put(Buffer.alloc(pad4(bytes) + ((512 - ((bytes + pad4(bytes)) % 512)) % 512)));
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes, entries: planned.length + 1 };
};
