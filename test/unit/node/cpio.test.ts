import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planEntries, writeCpio } from '../../../src/core/node/image/cpio.js';
import { tempDir } from '../../helpers/temp.js';

interface Parsed { name: string; mode: number; size: number; mtime: number; rdev: [number, number]; data: Buffer }
const parseNewc = (buf: Buffer): Parsed[] => {
  const out: Parsed[] = [];
  let o = 0;
  for (;;) {
    expect(buf.toString('ascii', o, o + 6)).toBe('070701');
    const f = (i: number): number => parseInt(buf.toString('ascii', o + 6 + i * 8, o + 14 + i * 8), 16);
    const mode = f(1), mtime = f(5), size = f(6), rmaj = f(9), rmin = f(10), namesize = f(11);
    const name = buf.toString('utf8', o + 110, o + 110 + namesize - 1);
    o += 110 + namesize;
    o += (4 - (o % 4)) % 4;
    const data = buf.subarray(o, o + size);
    o += size;
    o += (4 - (o % 4)) % 4;
    if (name === 'TRAILER!!!') return out;
    out.push({ name, mode, size, mtime, rdev: [rmaj, rmin], data });
  }
};

describe('newc cpio writer', () => {
  it('writes sorted entries with parents, device nodes, symlinks and 4-byte padding', async () => {
    const dir = tempDir();
    const host = join(dir, 'host.bin');
    await writeFile(host, Buffer.from('hello from the host'));
    const out = join(dir, 'a.cpio');
    const r = writeCpio(out, [
      { path: 'usr/bin/tool', kind: 'hostfile', source: host, mode: 0o755 },
      { path: 'init', kind: 'file', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { path: 'bin/sh', kind: 'symlink', target: 'busybox' },
      { path: 'dev/console', kind: 'chardev', major: 5, minor: 1 },
    ]);
    const buf = await readFile(out);
    expect(buf.length % 512).toBe(0);
    expect(r.bytes).toBe(buf.length);
    const e = parseNewc(buf);
    expect(e.map((x) => x.name)).toEqual(['bin', 'bin/sh', 'dev', 'dev/console', 'init', 'usr', 'usr/bin', 'usr/bin/tool']);
    const byName = new Map(e.map((x) => [x.name, x]));
    expect(byName.get('bin')?.mode).toBe(0o040755);
    expect(byName.get('bin/sh')?.mode).toBe(0o120777);
    expect(byName.get('bin/sh')?.data.toString()).toBe('busybox');
    expect(byName.get('dev/console')?.mode).toBe(0o020600);
    expect(byName.get('dev/console')?.rdev).toEqual([5, 1]);
    expect(byName.get('usr/bin/tool')?.data.toString()).toBe('hello from the host');
    expect(byName.get('init')?.mode).toBe(0o100755);
    expect(e.every((x) => x.mtime === 0)).toBe(true);
  });

  it('is deterministic: the same input gives the same SHA-256', async () => {
    const dir = tempDir();
    const entries = [{ path: 'b', kind: 'file', data: Buffer.from('2') }, { path: 'a/x', kind: 'file', data: Buffer.from('1') }] as const;
    expect(writeCpio(join(dir, '1.cpio'), entries).sha256).toBe(writeCpio(join(dir, '2.cpio'), [...entries].reverse()).sha256);
  });

  it('refuses duplicate paths and a file used as a directory', () => {
    expect(() => planEntries([{ path: 'a', kind: 'file', data: Buffer.alloc(0) }, { path: './a', kind: 'file', data: Buffer.alloc(0) }])).toThrowErrorMatchingInlineSnapshot(`[Error: cpio: duplicate path a]`);
    expect(() => planEntries([{ path: 'a', kind: 'file', data: Buffer.alloc(0) }, { path: 'a/b', kind: 'file', data: Buffer.alloc(0) }])).toThrowErrorMatchingInlineSnapshot(`[Error: cpio: a is both a directory and a file]`);
  });
});
