// The tar writer and the safe reader: round trips, determinism, interoperability with GNU tar, and
// every refusal of the reader, each judged from the header before the entry's data is used.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { archivePathProblem } from '../../../../src/core/node/bundle/archive-path.js';
import { GZIP_OS_UNKNOWN } from '../../../../src/core/node/bundle/gzip.js';
import { BLOCK, decodeHeader, decodePaxRecords, encodeHeader, encodePaxRecords } from '../../../../src/core/node/bundle/tar-header.js';
import { BUNDLE_LIMITS, TarParser, UnsafeArchiveError, parseTar, readTarGz, type ArchiveLimits } from '../../../../src/core/node/bundle/tar-reader.js';
import { RECORD, SourceMismatchError, tarBuffer, writeTarGz, type TarEntry } from '../../../../src/core/node/bundle/tar-writer.js';
import { rawTarGz, tempDir } from './bundle-helpers.js';

const bytes = (path: string, text: string, executable = false): TarEntry => ({ path, executable, source: { kind: 'bytes', data: Buffer.from(text) } });
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const all = (): boolean => true;

const gz = async (entries: readonly TarEntry[], mtime = 315532800): Promise<Buffer> => {
  const parts: Buffer[] = [];
  await writeTarGz(entries, { mtime }, new Writable({ write: (c: Buffer, _e, cb) => { parts.push(c); cb(); } }));
  return Buffer.concat(parts);
};

const refusal = (tar: Buffer, limits: ArchiveLimits = BUNDLE_LIMITS): string => {
  try {
    parseTar(tar, limits, all);
  } catch (e) {
    expect(e).toBeInstanceOf(UnsafeArchiveError);
    return (e as Error).message;
  }
  throw new Error('the archive was accepted');
};

const raw = (...blocks: Buffer[]): Buffer => Buffer.concat([...blocks, Buffer.alloc(2 * BLOCK)]);
const header = (name: string, over: Partial<Parameters<typeof encodeHeader>[0]> = {}): Buffer => encodeHeader({ name, mode: 0o644, size: 0, mtime: 0, type: '0', ...over });

describe('tar writer', () => {
  it('round trip: paths, sizes, modes, digests and data come back; entries sorted; fixed header fields', async () => {
    const tar = await tarBuffer([bytes('b.txt', 'bee'), bytes('a/x.sh', '#!/bin/sh\n', true), bytes('a/empty', ''), bytes('c', 'x'.repeat(1000))], { mtime: 1234567890 });
    expect(tar.length % RECORD).toBe(0);
    const files = parseTar(tar, BUNDLE_LIMITS, all);
    expect(files.map((f) => [f.path, f.size, f.mode.toString(8), f.mtime])).toEqual([
      ['a/empty', 0, '644', 1234567890],
      ['a/x.sh', 10, '755', 1234567890],
      ['b.txt', 3, '644', 1234567890],
      ['c', 1000, '644', 1234567890],
    ]);
    expect(files[3]!.sha256).toBe(sha('x'.repeat(1000)));
    expect(files[1]!.data!.toString()).toBe('#!/bin/sh\n');
    // uid/gid 0, empty uname/gname, POSIX ustar magic
    const h = tar.subarray(0, BLOCK);
    expect(h.subarray(108, 124).toString('latin1')).toBe('0000000\u00000000000\u0000');
    expect(h.subarray(257, 265).toString('latin1')).toBe('ustar\u000000');
    expect(h.subarray(265, 329).every((b) => b === 0)).toBe(true);
  });

  it('the same entries in any order give the same bytes', async () => {
    const e = [bytes('z', '1'), bytes('m/n', '2'), bytes('a', '3')];
    expect((await tarBuffer(e, { mtime: 0 })).equals(await tarBuffer([...e].reverse(), { mtime: 0 }))).toBe(true);
  });

  it('a path too long for ustar gets a pax header, and reads back', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.json`;
    const tar = await tarBuffer([bytes(long, 'long'), bytes('short', 's')], { mtime: 0 });
    expect(decodeHeader(tar.subarray(0, BLOCK))).toMatchObject({ type: 'x' });
    expect(parseTar(tar, BUNDLE_LIMITS, all).map((f) => f.path)).toEqual([long, 'short']);
  });

  it('a split name/prefix path (over 100 bytes, no pax needed)', async () => {
    const p = `${'p'.repeat(90)}/${'n'.repeat(90)}`;
    const tar = await tarBuffer([bytes(p, 'x')], { mtime: 0 });
    expect(decodeHeader(tar.subarray(0, BLOCK))).toMatchObject({ type: '0', path: p });
  });

  it('refuses to write a path the reader would refuse, and duplicates', async () => {
    await expect(tarBuffer([bytes('../x', '')], { mtime: 0 })).rejects.toThrow('".." segment');
    await expect(tarBuffer([bytes('a', ''), bytes('a', '')], { mtime: 0 })).rejects.toThrow('duplicate path a');
  });

  it('a file source is hashed while streaming: a size or SHA-256 other than expected aborts the archive', async () => {
    const dir = tempDir();
    const f = join(dir, 'img');
    writeFileSync(f, 'image bytes');
    const ok: TarEntry = { path: 'images/img', source: { kind: 'file', file: f, size: 11, sha256: sha('image bytes') } };
    expect(parseTar(await tarBuffer([ok], { mtime: 0 }), BUNDLE_LIMITS, all)[0]!.sha256).toBe(sha('image bytes'));
    await expect(tarBuffer([{ path: 'images/img', source: { kind: 'file', file: f, size: 11, sha256: sha('other') } }], { mtime: 0 })).rejects.toBeInstanceOf(SourceMismatchError);
    await expect(tarBuffer([{ path: 'images/img', source: { kind: 'file', file: f, size: 10 } }], { mtime: 0 })).rejects.toThrow('has size more than 10');
  });

  it('gzip: no name, MTIME 0, OS byte 255 on every platform; the same input gives the same bytes', async () => {
    const e = [bytes('a', 'alpha'), bytes('b', 'beta')];
    const one = await gz(e);
    expect([...one.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, GZIP_OS_UNKNOWN]);
    expect(one.equals(await gz(e))).toBe(true);
    expect(parseTar(gunzipSync(one), BUNDLE_LIMITS, all).map((f) => f.path)).toEqual(['a', 'b']);
  });

  const hasTar = spawnSync('tar', ['--version']).status === 0;
  it.skipIf(!hasTar)('GNU tar lists and extracts what it writes, without warnings', async () => {
    const dir = tempDir();
    const archive = join(dir, 'a.tar.gz');
    writeFileSync(archive, await gz([bytes('launch/run.sh', 'echo hi\n', true), bytes('manifest.json', '{}\n'), bytes(`${'d'.repeat(120)}/${'f'.repeat(120)}`, 'long')]));
    const list = spawnSync('tar', ['-tvzf', archive], { encoding: 'utf8' });
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^-rwxr-xr-x 0\/0 +8 1980-01-01 00:00 launch\/run\.sh$/m);
    const out = join(dir, 'x');
    mkdirSync(out);
    const x = spawnSync('tar', ['-xzf', archive, '-C', out], { encoding: 'utf8' });
    expect(x.status).toBe(0);
    expect(x.stderr).toBe('');
    expect(readFileSync(join(out, 'd'.repeat(120), 'f'.repeat(120)), 'utf8')).toBe('long');
  });

  it('property: any set of bundle files round-trips, fed in any chunking', async () => {
    const seg = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/).filter((s) => archivePathProblem(s) === undefined);
    const file = fc.record({ path: fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/')), data: fc.uint8Array({ maxLength: 1500 }) });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(file, { selector: (f) => f.path, maxLength: 8 }), fc.integer({ min: 1, max: 700 }), async (files, chunk) => {
        // a path that is also another's directory is fine for tar; keep the set as generated
        const tar = await tarBuffer(files.map((f) => ({ path: f.path, source: { kind: 'bytes', data: f.data } })), { mtime: 0 });
        const p = new TarParser(BUNDLE_LIMITS, all);
        for (let i = 0; i < tar.length; i += chunk) p.write(tar.subarray(i, i + chunk));
        const back = p.end();
        expect(back.map((f) => [f.path, f.sha256])).toEqual([...files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => [f.path, sha(Buffer.from(f.data))]));
      }),
      { numRuns: 60 },
    );
  });

  it('pax records: exact lengths, strict parsing', () => {
    const rec = encodePaxRecords([['path', 'x'.repeat(95)]]);
    expect(rec.toString()).toMatch(/^105 path=x{95}\n$/);
    expect(decodePaxRecords(rec).get('path')).toBe('x'.repeat(95));
    expect(() => decodePaxRecords(Buffer.from('99 path=x\n'))).toThrow('malformed pax record');
  });
});

describe('safe reader: refused from the header, before the data', () => {
  it('absolute path, "..", backslash, drive letter, control character', () => {
    expect(refusal(raw(header('/etc/passwd')))).toMatchInlineSnapshot(`"entry 1 "/etc/passwd": an absolute path"`);
    expect(refusal(raw(header('a/../../x')))).toMatchInlineSnapshot(`"entry 1 "a/../../x": a ".." segment leaves the bundle"`);
    expect(refusal(raw(header('a\\b')))).toContain('backslash');
    expect(refusal(raw(header('C:x')))).toContain('drive-letter');
    expect(refusal(raw(header('a\u0001b')))).toContain('control character');
    expect(refusal(raw(header('./a')))).toContain('"." segment');
  });

  it('links (wherever they point), devices, FIFOs, directories and other types', () => {
    expect(refusal(raw(header('evil', { type: '2', linkname: '/etc/shadow' })))).toMatchInlineSnapshot(`"entry 1 "evil" is a symbolic link → "/etc/shadow"; a bundle holds regular files only"`);
    expect(refusal(raw(header('inside', { type: '2', linkname: 'topology.yaml' })))).toContain('is a symbolic link');
    expect(refusal(raw(header('hard', { type: '1', linkname: '../x' })))).toContain('is a hard link → "../x"');
    expect(refusal(raw(header('dev/sda', { type: '4', devmajor: 8 })))).toContain('is a block device');
    expect(refusal(raw(header('null', { type: '3', devmajor: 1, devminor: 3 })))).toContain('is a character device');
    expect(refusal(raw(header('fifo', { type: '6' })))).toContain('is a FIFO');
    expect(refusal(raw(header('dir/', { type: '5' })))).toContain('is a directory');
    expect(refusal(raw(header('g', { type: 'g' })))).toContain('pax global header');
    expect(refusal(raw(header('././@LongLink', { type: 'L' })))).toContain('GNU long-name');
  });

  it('a pax header cannot smuggle a bad path or a link past the checks', async () => {
    const pax = encodePaxRecords([['path', '../../etc/cron.d/x']]);
    const tar = raw(header('PaxHeaders/x', { type: 'x', size: pax.length }), pax, Buffer.alloc(BLOCK - pax.length), header('harmless'));
    expect(refusal(tar)).toContain('"../../etc/cron.d/x": a ".." segment');
  });

  it('huge declared sizes (octal and base-256), total size, entry count, duplicates', () => {
    expect(refusal(raw(header('big', { size: 8 ** 11 - 1 })))).toMatchInlineSnapshot(`"entry 1 "big" declares 8589934591 bytes; the limit for one file is 2147483648"`);
    const b256 = header('giant');
    b256.fill(0, 124, 136);
    b256[124] = 0x80;
    b256[135] = 0xff;
    b256[128] = 0x7f; // about 2^63
    b256.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of b256) sum += x;
    b256.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(refusal(raw(b256))).toContain('declares a size beyond 2^53 bytes');
    const small: ArchiveLimits = { ...BUNDLE_LIMITS, maxTotalBytes: 1000, maxEntries: 3 };
    expect(refusal(raw(header('a', { size: 600 }), Buffer.alloc(1024), header('b', { size: 600 })), small)).toContain('"b": the files declare more than 1000 bytes together');
    expect(refusal(raw(header('a'), header('b'), header('c'), header('d')), small)).toMatchInlineSnapshot(`"more than 3 entries (the limit for a bundle)"`);
    expect(refusal(raw(header('same'), header('same')))).toMatchInlineSnapshot(`"entry 2 "same" appears twice"`);
  });

  it('malformed archives: checksum, magic, truncation, trailing data, a lone zero block', () => {
    const bad = header('x');
    bad[0] = 0x79;
    expect(refusal(raw(bad))).toContain('header checksum mismatch');
    expect(refusal(Buffer.alloc(0))).toBe('the archive is empty');
    expect(refusal(header('x', { size: 10 }))).toContain('truncated');
    expect(refusal(Buffer.concat([header('x'), Buffer.alloc(BLOCK)]))).toContain('after a single zero block');
    expect(refusal(Buffer.concat([raw(header('x')), Buffer.from('junk')]))).toBe('data after the end-of-archive marker');
    expect(refusal(Buffer.concat([header('x'), Buffer.alloc(BLOCK), header('y'), Buffer.alloc(2 * BLOCK)]))).toBe('a zero block in the middle of the archive');
  });

  it('a .tar.gz that is not gzip, is corrupt, or decompresses beyond the limit', async () => {
    const dir = tempDir();
    const plain = join(dir, 'plain.tar.gz');
    writeFileSync(plain, raw(header('x')));
    await expect(readTarGz(plain)).rejects.toThrow('not a readable .tar.gz');
    const good = rawTarGz([{ header: { name: 'x' }, data: Buffer.from('hello') }]);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 6] = corrupt[corrupt.length - 6]! ^ 0xff; // the CRC32
    writeFileSync(join(dir, 'corrupt.tar.gz'), corrupt);
    await expect(readTarGz(join(dir, 'corrupt.tar.gz'))).rejects.toBeInstanceOf(UnsafeArchiveError);
    // a zero-block bomb: 20 MiB of zeros after the end marker, under limits of 1 MiB
    const bomb = Buffer.concat([raw(header('x')), Buffer.alloc(20 * 1048576)]);
    writeFileSync(join(dir, 'bomb.tar.gz'), gzipSync(bomb));
    await expect(readTarGz(join(dir, 'bomb.tar.gz'), { ...BUNDLE_LIMITS, maxTotalBytes: 1048576, maxEntries: 8 })).rejects.toThrow(/decompresses to more than \d+ bytes/);
    await expect(readTarGz(join(dir, 'missing.tar.gz'))).rejects.toThrow('cannot read it: no such file');
  });

  it('keeps small files outside images/ in memory, only hashes the rest', async () => {
    const tar = await tarBuffer([bytes('manifest.json', '{}'), bytes('images/Image', 'kernel')], { mtime: 0 });
    const files = parseTar(tar);
    expect(files.map((f) => [f.path, f.data?.toString() ?? null, f.sha256 === sha('kernel') || f.sha256 === sha('{}')])).toEqual([
      ['images/Image', null, true],
      ['manifest.json', '{}', true],
    ]);
  });
});
