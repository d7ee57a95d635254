// `os: custom` guests: the user's own kernel (and initrd, command line). Validation looks at the
// files (exists, regular, bounded, an arm64 kernel); a run hashes exactly the bytes it packs and
// records them; the files reach L1 in the run's payload (src/core/node/run/payload.ts), never
// through a shell word.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ImageFileInspector } from '../common/validate/rules.js';
import type { CustomImage, Guest } from '../common/model/topology.js';
import type { CpioEntry } from './image/cpio.js';

/** Largest kernel / initrd accepted: both are held in L0's and L1's memory during a run. */
export const MAX_IMAGE_BYTES = { kernel: 256 * 1048576, initrd: 512 * 1048576 } as const;

export type KernelFormat = 'arm64-image' | 'arm64-image-gzip' | 'elf-aarch64';

/** What QEMU's `-kernel` boots on arm64: a raw Image ("ARM\x64" at 0x38), a gzip-compressed one, or
 * an AArch64 ELF (e_machine 183). */
export const kernelFormat = (head: Buffer): KernelFormat | undefined => {
  if (head.length >= 0x3c && head.readUInt32LE(0x38) === 0x644d5241) return 'arm64-image';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'arm64-image-gzip';
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) return head[4] === 2 && head.readUInt16LE(18) === 183 ? 'elf-aarch64' : undefined;
  return undefined;
};

const errnoText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e));
};

export const resolveImagePath = (baseDir: string, p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));

/** Synchronous file checks for `validate` (paths relative to the topology file's directory). */
export const imageFileInspector =
  (baseDir: string): ImageFileInspector =>
  (p, role) => {
    let fd: number | undefined;
    try {
      fd = openSync(resolveImagePath(baseDir, p), 'r');
      const st = fstatSync(fd);
      if (!st.isFile()) return 'not a regular file';
      if (st.size === 0) return 'the file is empty';
      const max = MAX_IMAGE_BYTES[role];
      if (st.size > max) return `${(st.size / 1048576).toFixed(1)} MiB; a custom ${role} is limited to ${max / 1048576} MiB (it is held in memory at L0 and L1)`;
      if (role === 'kernel') {
        const head = Buffer.alloc(64);
        const n = readSync(fd, head, 0, 64, 0);
        if (!kernelFormat(head.subarray(0, n))) return 'not an arm64 kernel: no arm64 Image header ("ARM\\x64" at offset 0x38), not gzip, not an AArch64 ELF';
      }
      return undefined;
    } catch (e) {
      return `cannot read it: ${errnoText(e)}`;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };

export interface CustomFileRecord {
  /** As written in the topology. */
  readonly path: string;
  readonly resolved: string;
  readonly bytes: number;
  readonly sha256: string;
}
export interface CustomImageRecord {
  readonly guest: string;
  readonly index: number;
  readonly kernel: CustomFileRecord & { readonly format: KernelFormat };
  readonly initrd?: CustomFileRecord;
  readonly cmdline: string;
  readonly readyLine?: string;
}

/** One guest's slot in the archive: c<i>/{kernel,initrd,cmdline,ready}. */
const slot = (i: number, f: string): string => `c${i}/${f}`;

/** Reads each custom guest's files once and hashes them: their entries of the run's payload
 * (src/core/node/run/payload.ts, c<i>/...) and what the run records. The hashes are of the bytes
 * packed, so a file changed after validation is recorded as what actually ran. */
export const customImageEntries = (guests: readonly Guest[], baseDir: string): { records: CustomImageRecord[]; entries: CpioEntry[] } => {
  const records: CustomImageRecord[] = [];
  const entries: CpioEntry[] = [];
  guests.forEach((g, index) => {
    if (g.os !== 'custom' || !g.image) return;
    const img: CustomImage = g.image;
    const read = (p: string): { data: Buffer; rec: CustomFileRecord } => {
      const resolved = resolveImagePath(baseDir, p);
      const data = readBounded(resolved);
      return { data, rec: { path: p, resolved, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') } };
    };
    const k = read(img.kernel);
    const format = kernelFormat(k.data.subarray(0, 64));
    if (!format) throw new Error(`guest ${g.name}: ${img.kernel} is not an arm64 kernel (checked again when packing)`);
    entries.push({ path: slot(index, 'kernel'), kind: 'file', data: k.data });
    const ini = img.initrd !== undefined ? read(img.initrd) : undefined;
    if (ini) entries.push({ path: slot(index, 'initrd'), kind: 'file', data: ini.data });
    const cmdline = img.cmdline ?? '';
    entries.push({ path: slot(index, 'cmdline'), kind: 'file', data: Buffer.from(cmdline, 'utf8') });
    if (img.readyLine !== undefined) entries.push({ path: slot(index, 'ready'), kind: 'file', data: Buffer.from(img.readyLine, 'utf8') });
    records.push({ guest: g.name, index, kernel: { ...k.rec, format }, ...(ini ? { initrd: ini.rec } : {}), cmdline, ...(img.readyLine !== undefined ? { readyLine: img.readyLine } : {}) });
  });
  return { records, entries };
};

const readBounded = (p: string): Buffer => {
  const fd = openSync(p, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_IMAGE_BYTES.initrd) throw new Error(`${p} grew beyond ${MAX_IMAGE_BYTES.initrd / 1048576} MiB after validation`);
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
};
