// `nestbed export` through the CLI: the layout, reproducibility, no overwrite, no partial file, and
// the exit codes of every refusal.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../../../src/core/node/setup/manifest.js';
import { cachePaths } from '../../../../src/core/node/setup/paths.js';
import { topologyYaml } from '../../../helpers/validate.js';
import { cli, fakeCache, listing, repoRoot, tempDir, unpack } from './bundle-helpers.js';

const zonal = join(repoRoot, 'examples', 'zonal-controller.yaml');
const minimal = join(repoRoot, 'examples', 'minimal.yaml');
const zonalRun = join(repoRoot, 'test', 'fixtures', 'runs', 'zonal-per-core');
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const text = (files: ReturnType<typeof unpack>, path: string): string => files.find((f) => f.path === path)!.data!.toString('utf8');
const json = (files: ReturnType<typeof unpack>, path: string): any => JSON.parse(text(files, path)); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('nestbed export: the layout', () => {
  it('--no-images: manifest, topology, profile, validation, launch plan, results, SBOM, attestation — each listed with its digest', async () => {
    const cache = fakeCache();
    const dir = tempDir();
    const out = join(dir, 'zonal.tar.gz');
    const r = await cli(['export', zonal, '-o', out, '--no-images', '--run', zonalRun], { env: { NESTBED_CACHE_DIR: cache.root } });
    expect(r.stderr).toMatch(/^exported zonal-controller → .*zonal\.tar\.gz: [\d.]+ KiB, 14 entries \(no images \(--no-images\), results\), [\d.]+ s$/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${out}\n`);
    const files = unpack(out);
    expect(files.map((f) => f.path)).toEqual([
      'attestation.intoto.json',
      'launch/plan.json',
      'manifest.json',
      'payload/launch.sh',
      'payload/lib.sh',
      'payload/run-on-host.sh',
      'payload/words',
      'profile.json',
      'results/check.json',
      'results/results.json',
      'sbom.cdx.json',
      'topology.normalized.json',
      'topology.yaml',
      'validation.json',
    ]);
    const m = json(files, 'manifest.json');
    expect(m).toMatchObject({ format: 'nestbed-bundle', formatVersion: 1, nestbedVersion: '0.1.0', sourceDateEpoch: 315532800, epochSource: 'fixed', signature: null });
    expect(m.topology).toEqual({ name: 'zonal-controller', file: 'topology.yaml', sha256: sha(readFileSync(zonal)), sourceFile: 'zonal-controller.yaml' });
    expect(m.profile).toMatchObject({ id: 'nvidia-drive-orin', source: 'topology' });
    // every file but manifest.json is listed, with its exact digest and size, sorted
    expect(m.files).toEqual(files.filter((f) => f.path !== 'manifest.json').map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })));
    expect(m.images).toMatchObject({ included: false, omitted: '--no-images' });
    expect(m.images.artifacts.map((a: { path: string; sha256: string }) => [a.path, a.sha256])).toEqual([
      ['images/Image', cache.manifest.artifacts['Image']!.sha256],
      ['images/l0-rt.cpio', cache.manifest.artifacts['l0-rt']!.sha256],
      ['images/l1-rt.cpio', cache.manifest.artifacts['l1-rt']!.sha256],
    ]);
    // the fixture run booted the real image set, not the fake cache's: recorded, not hidden
    expect(m.run).toMatchObject({ files: ['results/check.json', 'results/results.json'], status: 'ok', success: true });
    expect(m.run.imageMismatches.map((x: { artifact: string }) => x.artifact)).toEqual(['Image', 'Image-rt', 'l0-rt', 'l1-rt', 'l2', 'rtos']);
    expect(r.stderr).toContain('warning: the run in');
    expect(text(files, 'topology.yaml')).toBe(readFileSync(zonal, 'utf8'));
    expect(text(files, 'results/check.json')).toBe(readFileSync(join(zonalRun, 'check.json'), 'utf8'));
    // no absolute path of this machine anywhere in the bundle
    for (const f of files) expect(f.data!.toString('utf8')).not.toContain(cache.root);
    for (const f of files.filter((x) => !x.path.startsWith('results/'))) expect(f.data!.toString('utf8')).not.toContain(repoRoot);
  });

  it('validation.json is what `nestbed validate --format json` prints (file: topology.yaml)', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar.gz');
    expect((await cli(['export', zonal, '-o', out, '--no-images'], { env: { NESTBED_CACHE_DIR: tempDir() } })).code).toBe(0);
    const v = await cli(['validate', zonal, '--format', 'json']);
    expect(json(unpack(out), 'validation.json')).toEqual({ ...JSON.parse(v.stdout), file: 'topology.yaml' });
  });

  it('launch/plan.json: the host argv with bundle-relative images, the kernel command line, pins, reservations, channels', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar.gz');
    expect((await cli(['export', zonal, '-o', out, '--no-images'], { env: { NESTBED_CACHE_DIR: tempDir() } })).code).toBe(0);
    const p = json(unpack(out), 'launch/plan.json');
    expect(p.emulated.argv[0]).toBe('qemu-system-aarch64');
    const argv = p.emulated.argv as string[];
    expect(argv[argv.indexOf('-kernel') + 1]).toBe('images/Image');
    expect(argv[argv.indexOf('-initrd') + 1]).toBe('images/l0-rt.cpio');
    expect(argv.at(-1)).toBe(p.emulated.kernelCommandLine);
    expect(argv).toContain('name=opt/nestbed/payload,file=payload.cpio');
    // the launcher's words are the payload's words file, exactly
    expect(p.launcher).toMatchObject({ script: 'payload/launch.sh', hostEntry: 'payload/run-on-host.sh' });
    expect(p.launcher.words).toContain('nb_n=3');
    expect(p.launcher.words.some((w: string) => w.startsWith('nb_g0=1,64,2,o,'))).toBe(true);
    expect(text(unpack(out), 'payload/words')).toBe(`${(p.launcher.words as string[]).join(' ')}\n`);
    expect(text(unpack(out), 'payload/launch.sh')).toBe(readFileSync(join(repoRoot, 'guest/launch.sh'), 'utf8'));
    expect(p.guests.map((g: { name: string; pin: number[]; reservation: { kind: string } }) => [g.name, g.pin, g.reservation.kind])).toEqual([
      ['safety', [2], 'dedicated'],
      ['adas', [1], 'dedicated'],
      ['ivi', [0], 'dedicated'],
    ]);
    expect(p.channels.channels.length).toBeGreaterThan(0);
    expect(p).toMatchObject({ planVersion: 1, mode: 'run', timing: 'deterministic', l1: { vcpus: 3, memoryMiB: 2048 } });
  });

  it('sbom.cdx.json is CycloneDX 1.6: nestbed, the images, the Debian packages with purls; attestation subjects are the payload', async () => {
    const cache = fakeCache();
    const out = join(tempDir(), 'b.tar.gz');
    expect((await cli(['export', minimal, '-o', out], { env: { NESTBED_CACHE_DIR: cache.root } })).code).toBe(0);
    const files = unpack(out);
    const bom = json(files, 'sbom.cdx.json');
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, metadata: { timestamp: '1980-01-01T00:00:00.000Z', component: { name: 'minimal', 'bom-ref': 'bundle' } } });
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const byRef = new Map((bom.components as { 'bom-ref': string }[]).map((c) => [c['bom-ref'], c]));
    expect(byRef.get('nestbed')).toMatchObject({ type: 'application', name: 'nestbed', version: '0.1.0' });
    expect(byRef.get('image:images/l0.cpio')).toMatchObject({ type: 'file', hashes: [{ alg: 'SHA-256', content: cache.manifest.artifacts['l0']!.sha256 }] });
    expect(byRef.get('artifact:l1')).toMatchObject({ properties: expect.arrayContaining([{ name: 'nestbed:nested-in', value: 'images/l0.cpio' }]) });
    expect(byRef.get('deb:busybox-static:arm64')).toMatchObject({ version: '1:1.37.0-6+b9', purl: 'pkg:deb/debian/busybox-static@1%3A1.37.0-6%2Bb9?arch=arm64' });
    expect(byRef.get('host:qemu')).toMatchObject({ scope: 'excluded' });
    const st = json(files, 'attestation.intoto.json');
    expect(st).toMatchObject({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'urn:nestbed:predicate:bundle:v1', predicate: { nestbedVersion: '0.1.0', topology: { name: 'minimal', sha256: sha(readFileSync(minimal)) } } });
    const payload = files.filter((f) => !['manifest.json', 'attestation.intoto.json'].includes(f.path));
    expect(st.subject).toEqual(payload.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })));
    expect(files.find((f) => f.path === 'images/l0.cpio')?.sha256).toBe(cache.manifest.artifacts['l0']!.sha256);
  });

  it('--profile overrides the topology profile and is recorded as such', async () => {
    const out = join(tempDir(), 'b.tar.gz');
    const r = await cli(['export', minimal, '-o', out, '--no-images', '--profile', 'ti-tda4vm'], { env: { NESTBED_CACHE_DIR: tempDir() } });
    expect(r.code).toBe(0);
    const files = unpack(out);
    expect(json(files, 'manifest.json').profile).toMatchObject({ id: 'ti-tda4vm', source: 'option' });
    expect(json(files, 'profile.json').id).toBe('ti-tda4vm');
    expect((await cli(['export', minimal, '-o', join(tempDir(), 'x.tar.gz'), '--no-images', '--profile', 'nope'])).code).toBe(2);
  });

  it('a run judged against another profile than the bundle carries is pointed out', async () => {
    const out = join(tempDir(), 'b.tar.gz');
    const r = await cli(['export', zonal, '-o', out, '--no-images', '--run', zonalRun, '--profile', 'ti-tda4vm'], { env: { NESTBED_CACHE_DIR: tempDir() } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('was judged against profile nvidia-drive-orin, the bundle carries ti-tda4vm');
  });
});

describe('nestbed export: os: custom guests', () => {
  it("the guest's kernel, initrd and command line go into the payload (payload/c<i>/), as a run packs them", async () => {
    const cache = fakeCache();
    const dir = tempDir();
    const kernel = Buffer.alloc(4096, 0x11);
    kernel.writeUInt32LE(0x644d5241, 0x38); // arm64 Image magic
    writeFileSync(join(dir, 'Image'), kernel);
    writeFileSync(join(dir, 'rootfs.cpio'), '070701 not really a cpio');
    writeFileSync(
      join(dir, 'custom.yaml'),
      topologyYaml('  - { name: ecu, role: gateway, asil: QM, os: custom, vcpus: 1, pin: [0], memoryMiB: 128, image: { kernel: Image, initrd: rootfs.cpio, cmdline: "console=ttyAMA0" } }\n'),
    );
    const out = join(dir, 'b.tar.gz');
    const r = await cli(['export', 'custom.yaml', '-o', out], { cwd: dir, env: { NESTBED_CACHE_DIR: cache.root } });
    expect(r.stderr).toContain('images Image, l0.cpio, l1.cpio');
    expect(r.code).toBe(0);
    const files = unpack(out);
    expect(files.find((f) => f.path === 'payload/c0/kernel')?.sha256).toBe(sha(kernel));
    expect(text(files, 'payload/c0/initrd')).toBe('070701 not really a cpio');
    expect(text(files, 'payload/c0/cmdline')).toBe('console=ttyAMA0');
    expect(json(files, 'launch/plan.json').emulated.argv).toContain('name=opt/nestbed/payload,file=payload.cpio');
    expect(listing(dir)).toEqual(['Image', 'b.tar.gz', 'custom.yaml', 'rootfs.cpio']);
  });
});

describe('nestbed export: reproducible', () => {
  it('the same inputs give byte-identical bundles (images, results, signature), from any working directory', async () => {
    const cache = fakeCache();
    const key = join(tempDir(), 'key.pem');
    writeFileSync(key, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const env = { NESTBED_CACHE_DIR: cache.root };
    const a = join(tempDir(), 'a.tar.gz');
    const b = join(tempDir(), 'b.tar.gz');
    expect((await cli(['export', zonal, '-o', a, '--run', zonalRun, '--sign-key', key], { env })).code).toBe(0);
    const cwd = tempDir();
    writeFileSync(join(cwd, 'zonal-controller.yaml'), readFileSync(zonal));
    expect((await cli(['export', 'zonal-controller.yaml', '-o', b, '--run', zonalRun, '--sign-key', key], { env, cwd })).code).toBe(0);
    expect(sha(readFileSync(a))).toBe(sha(readFileSync(b)));
    expect(unpack(a).map((f) => f.path)).toContain('images/l0-rt.cpio');
  });

  it('SOURCE_DATE_EPOCH sets every time stamp; the bundles are still identical to each other', async () => {
    const env = { NESTBED_CACHE_DIR: tempDir(), SOURCE_DATE_EPOCH: '1700000000' };
    const a = join(tempDir(), 'a.tar.gz');
    const b = join(tempDir(), 'b.tar.gz');
    const plain = join(tempDir(), 'p.tar.gz');
    expect((await cli(['export', minimal, '-o', a, '--no-images'], { env })).code).toBe(0);
    expect((await cli(['export', minimal, '-o', b, '--no-images'], { env })).code).toBe(0);
    expect((await cli(['export', minimal, '-o', plain, '--no-images'], { env: { NESTBED_CACHE_DIR: env.NESTBED_CACHE_DIR } })).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(a).equals(readFileSync(plain))).toBe(false);
    const files = unpack(a);
    expect(new Set(files.map((f) => f.mtime))).toEqual(new Set([1700000000]));
    expect(json(files, 'manifest.json')).toMatchObject({ sourceDateEpoch: 1700000000, epochSource: 'SOURCE_DATE_EPOCH' });
    expect(json(files, 'sbom.cdx.json').metadata.timestamp).toBe('2023-11-14T22:13:20.000Z');
    const bad = await cli(['export', minimal, '-o', join(tempDir(), 'x.tar.gz'), '--no-images'], { env: { SOURCE_DATE_EPOCH: 'yesterday' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SOURCE_DATE_EPOCH="yesterday": expected a whole number of seconds');
  });
});

describe('nestbed export: never overwrites, never leaves a partial file', () => {
  it('an existing file is refused without --force (unchanged), replaced with it', async () => {
    const dir = tempDir();
    const out = join(dir, 'b.tar.gz');
    writeFileSync(out, 'precious');
    const env = { NESTBED_CACHE_DIR: tempDir() };
    const r = await cli(['export', minimal, '-o', out, '--no-images'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`nestbed: ${out} exists; nothing was written (use --force to replace it)\n`);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect((await cli(['export', minimal, '-o', out, '--no-images', '--force'], { env })).code).toBe(0);
    expect(unpack(out)).toHaveLength(11); // minimal has no profile: no profile.json
    expect(listing(dir)).toEqual(['b.tar.gz']);
  });

  it('an image that does not match the cache manifest fails the export midway: exit 3, no bundle, no temporary file', async () => {
    const cache = fakeCache();
    const l0 = readFileSync(cache.file('l0'));
    l0[l0.length - 1] = l0[l0.length - 1]! ^ 1; // same size, other content: found only while streaming
    writeFileSync(cache.file('l0'), l0);
    const dir = tempDir();
    const r = await cli(['export', minimal, '-o', join(dir, 'b.tar.gz')], { env: { NESTBED_CACHE_DIR: cache.root } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('images/l0.cpio:');
    expect(r.stderr).toContain('nothing was written');
    expect(r.stderr).toContain('what to do: run "nestbed setup"');
    expect(listing(dir)).toEqual([]);
  });

  it('an invalid topology: the diagnostics, exit 1 (rule) or 2 (malformed), nothing written', async () => {
    const dir = tempDir();
    const rule = await cli(['export', join(repoRoot, 'examples/broken/deadline-miss.yaml'), '-o', join(dir, 'b.tar.gz'), '--no-images']);
    expect(rule.code).toBe(1);
    expect(rule.stderr).toMatch(/deadline-miss\.yaml:\d+:\d+: error NB5001/);
    expect(rule.stderr).toContain('static validation failed; nothing was written');
    const malformed = await cli(['export', join(repoRoot, 'examples/broken/syntax-error.json'), '-o', join(dir, 'b.tar.gz'), '--no-images']);
    expect(malformed.code).toBe(2);
    expect(listing(dir)).toEqual([]);
  });

  it('images without `nestbed setup`: exit 3 saying what to do; --no-images needs no cache', async () => {
    const dir = tempDir();
    const env = { NESTBED_CACHE_DIR: join(tempDir(), 'empty') };
    const r = await cli(['export', minimal, '-o', join(dir, 'b.tar.gz')], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no guest image set in');
    expect(r.stderr).toContain('what to do: run "nestbed setup" first (or export with --no-images)');
    expect(listing(dir)).toEqual([]);
    expect((await cli(['export', minimal, '-o', join(dir, 'b.tar.gz'), '--no-images'], { env })).code).toBe(0);
  });

  it('bad options: no -o, a run of another topology, not a run directory, a key that is not Ed25519 — exit 2, nothing written', async () => {
    const dir = tempDir();
    const env = { NESTBED_CACHE_DIR: tempDir() };
    const out = join(dir, 'b.tar.gz');
    expect((await cli(['export', minimal, '--no-images'], { env })).stderr).toContain('export needs -o <bundle.tar.gz>');
    const other = await cli(['export', minimal, '-o', out, '--no-images', '--run', zonalRun], { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('was made from a different topology');
    const notRun = await cli(['export', minimal, '-o', out, '--no-images', '--run', tempDir()], { env });
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain('is not a run directory: it has no results.json');
    const rsa = join(tempDir(), 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const key = await cli(['export', minimal, '-o', out, '--no-images', '--sign-key', rsa], { env });
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('a rsa key; bundles are signed with Ed25519');
    expect(listing(dir)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

// One export with the real guest images, when this machine has them (nestbed setup done).
const realCache = cachePaths(join(process.env['HOME'] ?? '/root', '.cache', 'nestbed'));
const realManifest = await readManifest(realCache.manifest);
const realReason = !realManifest ? `no complete image cache at ${realCache.root} (run "nestbed setup")` : !realManifest.artifacts['Image'] || !realManifest.artifacts['l0'] ? 'the image cache lacks Image or l0' : undefined;

describe('nestbed export with the real image set', () => {
  it.skipIf(realReason !== undefined)(`exports examples/minimal.yaml with its images and verifies it${realReason ? ` — skipped: ${realReason}` : ''}`, async () => {
    const out = join(tempDir(), 'minimal.tar.gz');
    const env = { NESTBED_CACHE_DIR: realCache.root };
    const r = await cli(['export', minimal, '-o', out], { env });
    expect(r.stderr).toContain('images Image, l0.cpio, l1.cpio');
    expect(r.code).toBe(0);
    const v = await cli(['verify', out, '--format', 'json'], { env });
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout);
    expect(report.images.artifacts.map((a: { path: string; sha256: string }) => [a.path, a.sha256])).toEqual([
      ['images/Image', realManifest!.artifacts['Image']!.sha256],
      ['images/l0.cpio', realManifest!.artifacts['l0']!.sha256],
      ['images/l1.cpio', realManifest!.artifacts['l1']!.sha256],
    ]);
  }, 300_000);
});
