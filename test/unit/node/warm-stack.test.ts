import { mkdir, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SNAPSHOTS, PLACEHOLDER_PAYLOAD, snapshotKey, SnapshotCache, type TranscriptLine } from '../../../src/core/node/run/warm-stack.js';

const ARGV = ['/usr/bin/qemu-system-aarch64', '-m', '2048', '-fw_cfg', 'name=opt/nestbed/payload,file=/tmp/run1/payload.cpio', '-kernel', '/c/images/Image', '-initrd', '/c/images/l0.cpio', '-append', 'nb_lv=0 nb_l1=2,1024'];
const key = (argv: readonly string[], payload = '/tmp/run1/payload.cpio', id = 'qemu 10.0.2', l0 = 'sha256:bb'): string =>
  snapshotKey({ argv, emulatorId: id, replace: new Map([['/c/images/Image', 'sha256:aa'], ['/c/images/l0.cpio', l0], [payload, 'PAYLOAD']]) });

const LINES: TranscriptLine[] = [
  { s: 'stdout', l: '@{"e":"init","u":0.5,"u0":0.4}', ms: 900 },
  { s: 'stdout', l: '1|@{"e":"pwait","u":9.1}', ms: 30_000 },
];

const newSnapshot = async (cache: SnapshotCache, k: string, state = 'migration stream bytes'): Promise<void> => {
  const dir = await cache.scratch();
  await writeFile(join(dir, 'state.bin'), state);
  await cache.store(k, dir, LINES, { bootMs: 30_000, saveMs: 4000, emulator: 'qemu 10.0.2' });
};

describe('warm stack: snapshot key', () => {
  it('is the same for another run payload path, differs for anything that shapes the stack', () => {
    const k = key(ARGV);
    expect(key(ARGV.map((a) => a.replace('/tmp/run1/', '/tmp/run2/')), '/tmp/run2/payload.cpio')).toBe(k);
    expect(key(ARGV.map((a) => (a === '2048' ? '4096' : a)))).not.toBe(k);
    expect(key(ARGV.map((a) => a.replace('nb_l1=2,1024', 'nb_l1=3,1024')))).not.toBe(k);
    expect(key(ARGV, undefined, 'qemu 10.0.2 sha256:ff')).not.toBe(k);
    expect(key([...ARGV, '-icount', 'shift=0,sleep=off'])).not.toBe(k);
    // a rebuilt image set (another L0 initramfs: its agent, its L1 userland) makes the old one stale
    expect(key(ARGV, undefined, undefined, 'sha256:cc')).not.toBe(k);
    expect(k).toMatch(/^[0-9a-f]{24}$/);
  });

  it('has a placeholder payload that L0 does not take for an archive (≤ 512 bytes, no newc magic)', () => {
    expect(Buffer.byteLength(PLACEHOLDER_PAYLOAD)).toBeLessThanOrEqual(512);
    expect(PLACEHOLDER_PAYLOAD.startsWith('070701')).toBe(false);
  });
});

describe('warm stack: snapshot cache', () => {
  it('stores a snapshot, finds it with its transcript, verifies the state hash', async () => {
    const cache = new SnapshotCache(await mkdtemp(join(tmpdir(), 'nb-snap-')));
    await newSnapshot(cache, 'k1');
    const s = await cache.lookup('k1');
    expect(s?.transcript).toEqual(LINES);
    expect(s?.meta).toMatchObject({ key: 'k1', bootMs: 30_000, saveMs: 4000, state: { bytes: 22 } });
    expect(await cache.verifyState(s!)).toBe(true);
    expect(await cache.lookup('k2')).toBeUndefined();
  });

  it('detects a corrupted state file (same size, other bytes) by its SHA-256', async () => {
    const cache = new SnapshotCache(await mkdtemp(join(tmpdir(), 'nb-snap-')));
    await newSnapshot(cache, 'k1');
    const s = (await cache.lookup('k1'))!;
    await writeFile(s.state, 'migration stream BYTES!');
    expect((await readFile(s.state)).length).toBe(s.meta.state.bytes + 1);
    // a size change is caught by lookup, which removes the snapshot
    expect(await cache.lookup('k1')).toBeUndefined();
    expect(await readdir(cache.root)).toEqual([]);
    await newSnapshot(cache, 'k1');
    const t = (await cache.lookup('k1'))!;
    await writeFile(t.state, 'migration stream bytez');
    expect(await cache.verifyState(t)).toBe(false);
  });

  it('removes a snapshot whose meta or transcript is damaged', async () => {
    const cache = new SnapshotCache(await mkdtemp(join(tmpdir(), 'nb-snap-')));
    await newSnapshot(cache, 'k1');
    await writeFile(join(cache.root, 'k1', 'transcript.jsonl'), '{"s":"stdout","l":"forged","ms":0}\n');
    expect(await cache.lookup('k1')).toBeUndefined();
    await newSnapshot(cache, 'k2');
    await writeFile(join(cache.root, 'k2', 'meta.json'), '{ not json');
    expect(await cache.lookup('k2')).toBeUndefined();
    expect(await readdir(cache.root)).toEqual([]);
  });

  it(`keeps at most ${MAX_SNAPSHOTS} snapshots, least recently used out first, and drops scratch of dead runs`, async () => {
    const cache = new SnapshotCache(await mkdtemp(join(tmpdir(), 'nb-snap-')));
    for (let i = 0; i < MAX_SNAPSHOTS; i++) {
      await newSnapshot(cache, `k${i}`);
      const t = new Date(Date.now() - (100 - i) * 1000);
      await utimes(join(cache.root, `k${i}`, 'meta.json'), t, t);
    }
    // k0 is the oldest; using it makes k1 the least recently used
    expect(await cache.lookup('k0')).toBeDefined();
    await mkdir(join(cache.root, '.new-999999999-abcd'));
    await newSnapshot(cache, 'knew');
    const left = (await readdir(cache.root)).sort();
    expect(left).toEqual(['k0', 'k2', 'k3', 'knew'].slice(0, MAX_SNAPSHOTS).sort());
  });
});
