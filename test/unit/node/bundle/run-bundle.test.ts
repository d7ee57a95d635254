// `nestbed run bundle.tar.gz` before the emulator starts: a bundle that does not verify, a check of a
// bundle, a bundle made with other images, a changed launcher word — each refused with the reason,
// no run directory, no emulator. (The run itself: test/integration/bundle-roundtrip.test.ts.)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, fakeCache, repack, repoRoot, tempDir } from './bundle-helpers.js';

const minimal = join(repoRoot, 'examples', 'minimal.yaml');
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let bundle: string;
let cache: ReturnType<typeof fakeCache>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cache = fakeCache();
  env = { NESTBED_CACHE_DIR: cache.root };
  bundle = join(tempDir(), 'minimal.tar.gz');
  expect((await cli(['export', minimal, '-o', bundle], { env })).code).toBe(0);
});

describe('nestbed run <bundle>: refused before anything runs', () => {
  it('a bundle that does not verify: exit 2, the file named, no run directory', async () => {
    const out = join(tempDir(), 'changed.tar.gz');
    await repack(bundle, out, (files) => files.set('payload/launch.sh', Buffer.from('#!/bin/sh\necho changed\n')));
    const runDir = join(tempDir(), 'run');
    const r = await cli(['run', out, '--out', runDir], { env });
    expect(r.stderr).toContain('does not verify: payload/launch.sh');
    expect(r.code).toBe(2);
    expect(existsSync(runDir)).toBe(false);
  });

  it('check of a bundle: exit 2, pointing to run + report', async () => {
    const r = await cli(['check', bundle, '--out', join(tempDir(), 'run')], { env });
    expect(r.stderr).toContain(`a bundle's launcher is planned for a plain run (launch/plan.json); run it with "nestbed run ${bundle}"`);
    expect(r.code).toBe(2);
  });

  it('a bundle made with other images than this machine has: exit 3, naming the image', async () => {
    const other = fakeCache();
    const image = other.file('Image');
    writeFileSync(image, Buffer.concat([readFileSync(image).subarray(1), Buffer.from([0])]));
    const m = JSON.parse(readFileSync(join(other.root, 'manifest.json'), 'utf8'));
    m.artifacts.Image.sha256 = sha(readFileSync(image));
    writeFileSync(join(other.root, 'manifest.json'), JSON.stringify(m));
    const runDir = join(tempDir(), 'run');
    const r = await cli(['run', bundle, '--out', runDir], { env: { NESTBED_CACHE_DIR: other.root } });
    expect(r.stderr).toMatch(/the bundle's Image \(sha256 [0-9a-f]{12}…\) is not this machine's \([0-9a-f]{12}…\)/);
    expect(r.code).toBe(3);
    expect(existsSync(runDir)).toBe(false);
  });
});

describe('payload/run-on-host.sh: the entry point on an arm64 KVM host', () => {
  it('refuses a host that cannot run the guests (here: not arm64, or no /dev/kvm) with exit 2 and writes nothing', () => {
    const dir = tempDir();
    execFileSync('tar', ['-xzf', bundle, '-C', dir]);
    const results = join(dir, 'results');
    const r = spawnSync('sh', [join(dir, 'payload', 'run-on-host.sh'), results], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/^run-on-host: (this host is \S+; the guests need an arm64 host|no \/dev\/kvm on this host)$/m);
    expect(r.status).toBe(2);
    expect(existsSync(results)).toBe(false);
  });
});
