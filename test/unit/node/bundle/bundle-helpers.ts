// Helpers of the bundle tests: the CLI in process, a small fake image cache, re-packing a bundle with
// changes (tampering), raw tar headers for hostile archives, directory snapshots.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseTar, type ArchiveFile } from '../../../../src/core/node/bundle/tar-reader.js';
import { tarBuffer, type TarEntry } from '../../../../src/core/node/bundle/tar-writer.js';
import { BLOCK, encodeHeader, type HeaderFields } from '../../../../src/core/node/bundle/tar-header.js';
import type { Manifest } from '../../../../src/core/node/setup/manifest.js';
import { runCliInProcess, type CliResult } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/temp.js';
import { repoRoot } from '../../../helpers/validate.js';

export { repoRoot, tempDir };

/** runCli in process, with the working directory and environment given. */
export const cli = runCliInProcess;
export type { CliResult };

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Deterministic filler bytes of one artifact. */
const fill = (name: string, size: number): Buffer => {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + name.length * 7) & 0xff;
  return b;
};

/** A cache with a complete manifest and tiny artifacts (NESTBED_CACHE_DIR). */
export const fakeCache = (): { root: string; manifest: Manifest; file: (name: string) => string } => {
  const root = tempDir();
  mkdirSync(join(root, 'images'));
  const artifacts: Manifest['artifacts'] = {};
  const files: Record<string, [string, number]> = { Image: ['Image', 3000], 'Image-rt': ['Image-rt', 3100], l0: ['l0.cpio', 5000], 'l0-rt': ['l0-rt.cpio', 5200], l1: ['l1.cpio', 2048], 'l1-rt': ['l1-rt.cpio', 2100], l2: ['l2.cpio', 1024], rtos: ['rtos.Image', 512] };
  for (const [name, [file, size]] of Object.entries(files)) {
    const data = fill(name, size);
    writeFileSync(join(root, 'images', file), data);
    artifacts[name] = { file, sha256: sha(data), size, description: `fake ${name}` };
  }
  const manifest: Manifest = {
    manifestVersion: 1,
    recipe: 'test',
    builtAt: '2026-01-01T00:00:00.000Z',
    buildMs: 1,
    kernelAbi: '7.3.4+deb13',
    hostQemu: { path: '/usr/bin/qemu-system-aarch64', version: '10.0.2 (test)' },
    debs: [
      { package: 'busybox-static', version: '1:1.37.0-6+b9', arch: 'arm64', file: 'busybox-static_1%3a1.37.0-6+b9_arm64.deb', sha256: 'a'.repeat(64), size: 10 },
      { package: 'libc6', version: '2.41-12+deb13u5', arch: 'arm64', file: 'libc6_2.41-12+deb13u5_arm64.deb', sha256: 'b'.repeat(64), size: 20 },
    ],
    artifacts,
    rtos: { gcc: 'aarch64-linux-gnu-gcc', version: '12.2.0', recipe: 'c'.repeat(64) },
  };
  writeFileSync(join(root, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { root, manifest, file: (name) => join(root, 'images', files[name]![0]) };
};

/** The files of a .tar.gz (all kept in memory). */
export const unpack = (bundle: string): ArchiveFile[] => parseTar(gunzipSync(readFileSync(bundle)), undefined, () => true);

/** Writes `bundle` again with the files changed by `edit` (same tar writer, so only the change differs). */
export const repack = async (bundle: string, out: string, edit: (files: Map<string, Buffer>) => void): Promise<void> => {
  const files = new Map(unpack(bundle).map((f) => [f.path, f.data!]));
  edit(files);
  const entries: TarEntry[] = [...files].map(([path, data]) => ({ path, source: { kind: 'bytes', data } }));
  writeFileSync(out, gzipSync(await tarBuffer(entries, { mtime: 315532800 })));
};

/** A raw tar (any header, no checks) ending with the end-of-archive marker, gzipped. */
export const rawTarGz = (entries: readonly { header: Partial<HeaderFields> & { name: string }; data?: Buffer }[]): Buffer => {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(encodeHeader({ mode: 0o644, size: data.length, mtime: 0, type: '0', ...e.header }));
    if (data.length) parts.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts));
};

/** Every path below `dir` (recursive), sorted — to show that nothing was written. */
export const listing = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
