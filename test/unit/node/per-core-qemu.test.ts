// The per-core-time emulator: its source package entry (a recorded `apt-cache showsrc` stanza), the
// Debian version of the emulator in use, the run's choice of emulator and the cache key.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseEmulator } from '../../../src/core/node/run/emulator.js';
import { renderSources } from '../../../src/core/node/setup/apt-sources.js';
import { sha256File, type Manifest } from '../../../src/core/node/setup/manifest.js';
import { debianVersionOf, perCoreIcountArg, perCoreKey } from '../../../src/core/node/setup/per-core-qemu.js';
import { origTarball, parseSourceEntries } from '../../../src/core/node/setup/source-package.js';
import { deterministicArgs } from '../../../src/core/node/stack/plan.js';

/** Abridged from `apt-cache showsrc qemu` on Debian 12 with bookworm-backports deb-src (2026-12-02). */
const SHOWSRC = `Package: qemu
Binary: qemu-system, qemu-system-arm, qemu-system-data
Version: 1:7.2+dfsg-7+deb12u18
Directory: pool/main/q/qemu
Checksums-Sha256:
 1111111111111111111111111111111111111111111111111111111111111111 6702 qemu_7.2+dfsg-7+deb12u18.dsc
 2222222222222222222222222222222222222222222222222222222222222222 82112580 qemu_7.2+dfsg.orig.tar.xz

Package: qemu
Binary: qemu-system, qemu-system-arm, qemu-system-data
Version: 1:10.0.2+ds-2+deb13u1~bpo12+1
Directory: pool/main/q/qemu
Files:
 0123456789abcdef0123456789abcdef 11887 qemu_10.0.2+ds-2+deb13u1~bpo12+1.dsc
Checksums-Sha256:
 a9eec32b6ddeda8f7e3472b3e9662358a0a764fb2ba9551a8c158c012072bc96 11887 qemu_10.0.2+ds-2+deb13u1~bpo12+1.dsc
 0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1 39449628 qemu_10.0.2+ds.orig.tar.xz
 dd04c78b36212c1b463595028c234e8c18241ef25923e7a135671f76d8ec5547 139220 qemu_10.0.2+ds-2+deb13u1~bpo12+1.debian.tar.xz
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the source package of the emulator in use', () => {
  it('finds every version with its pool directory and SHA-256 list, and the upstream tarball of each', () => {
    const entries = parseSourceEntries(SHOWSRC);
    expect(entries.map((e) => [e.package, e.version, e.directory, e.files.length])).toEqual([
      ['qemu', '1:7.2+dfsg-7+deb12u18', 'pool/main/q/qemu', 2],
      ['qemu', '1:10.0.2+ds-2+deb13u1~bpo12+1', 'pool/main/q/qemu', 3],
    ]);
    expect(origTarball(entries[1]!)).toEqual({ name: 'qemu_10.0.2+ds.orig.tar.xz', size: 39449628, sha256: '0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1' });
  });
  it('takes the Debian version from the emulator banner, and nothing from a build that is not Debian\'s', () => {
    expect(debianVersionOf('10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)')).toBe('1:10.0.2+ds-2+deb13u1~bpo12+1');
    expect(debianVersionOf('9.2.0')).toBeUndefined();
  });
  it('the deb-src stanza reuses the main archive, without an architecture line', () => {
    expect(renderSources({ uris: ['http://mirror.example/debian'], suites: ['bookworm'], components: ['main'] }, ['bookworm', 'bookworm-backports'], [], 'deb-src')).toMatchInlineSnapshot(`
      "Types: deb-src
      URIs: http://mirror.example/debian
      Suites: bookworm bookworm-backports
      Components: main
      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
      "
    `);
  });
  it('the cache key follows the emulator version (and the shipped patches)', async () => {
    const a = await perCoreKey({ path: '/usr/bin/q', version: '10.0.2 (Debian 1:10.0.2+ds-2)', major: 10 });
    const b = await perCoreKey({ path: '/usr/bin/q', version: '10.0.3 (Debian 1:10.0.3+ds-1)', major: 10 });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe("a run's emulator", () => {
  const stock = { path: '/usr/bin/qemu-system-aarch64', version: '10.0.2 (Debian 1:10.0.2+ds-2)', major: 10 };
  const manifestWith = (perCoreQemu?: Manifest['perCoreQemu']): Manifest =>
    ({ manifestVersion: 1, recipe: 'r', builtAt: '', buildMs: 0, kernelAbi: 'k', hostQemu: stock, debs: [], artifacts: {}, ...(perCoreQemu ? { perCoreQemu } : {}) }) as Manifest;

  it('fast timing without the build: the stock emulator, no icount, and no warm stack (it cannot restore snapshots)', async () => {
    const c = await chooseEmulator('fast', stock, manifestWith(), '/nowhere');
    expect(c).toMatchObject({ path: stock.path, version: stock.version, perCore: false });
    expect(c.icount).toBeUndefined();
    expect(c.snapshots).toMatch(/^the stock emulator cannot restore a snapshot of the stack \(the per-core-time emulator has not been built\)/);
  });
  it('deterministic timing: the verified per-core build with quantum 10 000', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nb-emu-'));
    dirs.push(dir);
    await mkdir(join(dir, 'k1'));
    await writeFile(join(dir, 'k1', 'qemu-system-aarch64'), 'binary');
    const rec = { status: 'built' as const, key: 'k1', file: 'k1/qemu-system-aarch64', sha256: await sha256File(join(dir, 'k1', 'qemu-system-aarch64')), size: 6, source: { package: 'qemu', version: 'v', file: 'f', sha256: 's' }, patchSha256: 'p', configure: [], version: 'QEMU emulator version 10.0.2', buildMs: 1 };
    expect(await chooseEmulator('deterministic', stock, manifestWith(rec), dir)).toEqual({
      path: join(dir, 'k1', 'qemu-system-aarch64'),
      version: 'QEMU emulator version 10.0.2 + nestbed per-core time',
      perCore: true,
      quantum: 10_000,
      icount: 'shift=0,sleep=off,quantum=10000',
      snapshots: true,
    });
    // fast timing runs the same build without icount (it restores the warm stack's snapshots)
    expect(await chooseEmulator('fast', stock, manifestWith(rec), dir)).toEqual({ path: join(dir, 'k1', 'qemu-system-aarch64'), version: 'QEMU emulator version 10.0.2 + nestbed patches', perCore: false, snapshots: true });
    // a changed byte: the stock emulator, with the reason
    await writeFile(join(dir, 'k1', 'qemu-system-aarch64'), 'binarY');
    const c = await chooseEmulator('deterministic', stock, manifestWith(rec), dir);
    expect(c).toMatchObject({ path: stock.path, perCore: false, icount: 'shift=0,sleep=off' });
    expect(c.warning).toContain('k1/qemu-system-aarch64 is missing or does not match its SHA-256');
    expect(c.snapshots).toContain('k1/qemu-system-aarch64 is missing or does not match its SHA-256');
  });
  it('deterministic timing without the build: the stock emulator and a warning that says why and what to do', async () => {
    const none = await chooseEmulator('deterministic', stock, manifestWith(), '/nowhere');
    expect(none.warning).toBe(
      'per-core virtual time unavailable (the per-core-time emulator has not been built): the emulated cores share one clock, so a busy core delays the others\' time — real-time figures are pessimistic; run "nestbed setup" to build it',
    );
    const failed = await chooseEmulator('deterministic', stock, manifestWith({ status: 'unavailable', key: 'k', reason: 'ninja failed: out of disk' }), '/nowhere');
    expect(failed.warning).toContain('(ninja failed: out of disk)');
  });
  it('the icount argument replaces only the shared-clock value of the deterministic arguments', () => {
    expect(deterministicArgs(perCoreIcountArg())).toEqual(['-icount', 'shift=0,sleep=off,quantum=10000', '-seed', '1', '-rtc', 'base=2025-01-01T00:00:00,clock=vm']);
    expect(deterministicArgs(undefined)).toEqual(['-icount', 'shift=0,sleep=off', '-seed', '1', '-rtc', 'base=2025-01-01T00:00:00,clock=vm']);
  });
});
