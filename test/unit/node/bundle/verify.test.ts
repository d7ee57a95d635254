// `nestbed verify` through the CLI: a good bundle, every kind of tampering (exit 1, the file named),
// signatures made with a key pair generated here, and hostile archives (exit 2, nothing written).
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK } from '../../../../src/core/node/bundle/tar-header.js';
import { cli, fakeCache, listing, rawTarGz, repack, repoRoot, tempDir } from './bundle-helpers.js';

const zonal = join(repoRoot, 'examples', 'zonal-controller.yaml');
const zonalRun = join(repoRoot, 'test', 'fixtures', 'runs', 'zonal-per-core');
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const keys = (): { priv: string; pub: string } => {
  const dir = tempDir();
  const k = generateKeyPairSync('ed25519');
  const priv = join(dir, 'key.pem');
  const pub = join(dir, 'pub.pem');
  writeFileSync(priv, k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(pub, k.publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
};

let cache: ReturnType<typeof fakeCache>;
let env: NodeJS.ProcessEnv;
let plain: string; // images (fake cache) and results, unsigned
let signed: string;
let signer: { priv: string; pub: string };

beforeAll(async () => {
  cache = fakeCache();
  env = { NESTBED_CACHE_DIR: cache.root };
  signer = keys();
  const dir = tempDir();
  plain = join(dir, 'plain.tar.gz');
  signed = join(dir, 'signed.tar.gz');
  expect((await cli(['export', zonal, '-o', plain, '--run', zonalRun], { env })).code).toBe(0);
  expect((await cli(['export', zonal, '-o', signed, '--run', zonalRun, '--sign-key', signer.priv], { env })).code).toBe(0);
});

/** verify of a bundle changed by `edit`. */
const tampered = async (from: string, edit: Parameters<typeof repack>[2], ...args: string[]) => {
  const out = join(tempDir(), 'tampered.tar.gz');
  await repack(from, out, edit);
  return cli(['verify', out, ...args], { env });
};

describe('nestbed verify: an intact bundle', () => {
  it('exit 0 and what it holds: topology, profile, signature, images with sizes and hashes, verdicts, versions', async () => {
    const r = await cli(['verify', plain], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('format:     nestbed-bundle 1, made by nestbed 0.1.0 (verified by nestbed 0.1.0)');
    expect(r.stdout).toContain(`topology:   zonal-controller (from zonal-controller.yaml, sha256 ${sha(readFileSync(zonal))}) — validates (0 errors, 0 warnings)`);
    expect(r.stdout).toContain("profile:    nvidia-drive-orin (NVIDIA DRIVE AGX Orin SoC (T234)), the topology's; same as the current catalog");
    expect(r.stdout).toContain('signature:  none (the bundle is not signed)');
    expect(r.stdout).toMatch(new RegExp(`images/l0-rt\\.cpio +l0-initrd +5\\.1 KiB +${cache.manifest.artifacts['l0-rt']!.sha256}`));
    expect(r.stdout).toContain('check passed: 19 pass, 0 fail, 3 warn, 1 inconclusive, 3 skipped');
    expect(r.stdout).toMatch(/inconclusive +latency +safety/);
    expect(r.stdout).toContain('✔ verified: every file matches manifest.json, the topology validates');
  });

  it('--format json: the versioned report', async () => {
    const r = await cli(['verify', plain, '--format', 'json'], { env });
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ schemaVersion: 1, command: 'verify', ok: true, problems: [], format: { name: 'nestbed-bundle', version: 1 }, signature: { state: 'unsigned' }, validation: { valid: true, profile: 'nvidia-drive-orin' } });
    expect(j.archive.files).toBe(17);
    expect(j.run.checks).toHaveLength(26);
  });

  it('a signed bundle verifies with the right public key, and shows the key fingerprint without one', async () => {
    const ok = await cli(['verify', signed, '--key', signer.pub], { env });
    expect(ok.code).toBe(0);
    const fp = sha(createPublicKey(readFileSync(signer.pub, 'utf8')).export({ type: 'spki', format: 'der' }));
    expect(ok.stdout).toContain(`signature:  Ed25519, verified with the given key (key SHA-256 ${fp})`);
    expect(ok.stdout).toContain('the signature verifies');
    const unchecked = await cli(['verify', signed], { env });
    expect(unchecked.code).toBe(0);
    expect(unchecked.stdout).toContain(`Ed25519 by key SHA-256 ${fp} — not checked (give --key pub.pem)`);
  });
});

describe('nestbed verify: tampering → exit 1, naming the file', () => {
  const problems = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('  ') && /^\s+\S+: /.test(l) && !/^\s+(note|file|verdict|-)/.test(l)).map((l) => l.trim());

  it('a changed byte', async () => {
    const r = await tampered(plain, (f) => f.set('topology.yaml', Buffer.from(f.get('topology.yaml')!.toString().replace('memoryMiB: 4096', 'memoryMiB: 4097'))));
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([expect.stringMatching(/^topology\.yaml: changed: SHA-256 [0-9a-f]{12}… does not match manifest\.json's cc0aaddff06f…$/)]);
    expect(r.stderr).toMatch(/^nestbed: .*tampered\.tar\.gz: verification failed: topology\.yaml: changed/);
  });

  it('a changed byte in an image', async () => {
    const r = await tampered(plain, (f) => {
      const b = Buffer.from(f.get('images/l0-rt.cpio')!);
      b[100] = b[100]! ^ 0x40;
      f.set('images/l0-rt.cpio', b);
    });
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([expect.stringMatching(/^images\/l0-rt\.cpio: changed: SHA-256/)]);
  });

  it('an added file', async () => {
    const r = await tampered(plain, (f) => f.set('launch/evil.sh', Buffer.from('rm -rf /\n')));
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual(['launch/evil.sh: added: in the bundle but not listed in manifest.json']);
  });

  it('a removed file', async () => {
    const r = await tampered(plain, (f) => f.delete('validation.json'));
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual(['validation.json: missing: listed in manifest.json but not in the bundle']);
  });

  it('a renamed file', async () => {
    const r = await tampered(plain, (f) => {
      f.set('results/check-old.json', f.get('results/check.json')!);
      f.delete('results/check.json');
    });
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([
      'results/check.json: missing: listed in manifest.json but not in the bundle (renamed to results/check-old.json?)',
      'results/check-old.json: added: in the bundle but not listed in manifest.json (same content as the missing results/check.json: renamed)',
    ]);
  });

  it('a rewritten manifest (consistent hashes) does not pass a signed bundle', async () => {
    const r = await tampered(
      signed,
      (f) => {
        const yaml = Buffer.from(f.get('topology.yaml')!.toString().replace('memoryMiB: 4096', 'memoryMiB: 4097'));
        f.set('topology.yaml', yaml);
        const m = JSON.parse(f.get('manifest.json')!.toString());
        m.topology.sha256 = sha(yaml);
        m.files.find((x: { path: string }) => x.path === 'topology.yaml').sha256 = sha(yaml);
        f.set('manifest.json', Buffer.from(`${JSON.stringify(m, null, 2)}\n`));
      },
      '--key',
      signer.pub,
    );
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toContain(`manifest.sig: the signature of manifest.json does not verify with --key ${signer.pub} (manifest.json was changed after signing)`);
  });

  it('a wrong key', async () => {
    const other = keys();
    const r = await cli(['verify', signed, '--key', other.pub], { env });
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([expect.stringMatching(new RegExp(`^manifest\\.sig: the signature of manifest\\.json does not verify with --key ${other.pub} \\(the bundle was signed with key SHA-256 [0-9a-f]{64}, --key .* is [0-9a-f]{64}\\)$`))]);
    expect(r.stdout).toContain('signature:  FAILED');
  });

  it('no signature, but --key given', async () => {
    const r = await cli(['verify', plain, '--key', signer.pub], { env });
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([`manifest.sig: missing: the bundle is not signed, but --key ${signer.pub} was given`]);
  });

  it('the signature removed from a signed bundle (even without --key)', async () => {
    const r = await tampered(signed, (f) => f.delete('manifest.sig'));
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual([expect.stringMatching(/^manifest\.sig: missing: manifest\.json says the bundle was signed \(key SHA-256 [0-9a-f]{64}\)$/)]);
  });

  it('no manifest at all', async () => {
    const r = await tampered(plain, (f) => f.delete('manifest.json'));
    expect(r.code).toBe(1);
    expect(problems(r.stdout)).toEqual(['manifest.json: missing: this is not an intact nestbed bundle']);
  });

  it('a consistent bundle whose topology no longer validates', async () => {
    const r = await tampered(plain, (f) => {
      const yaml = Buffer.from(f.get('topology.yaml')!.toString().replace('pin: [2]', 'pin: [7]'));
      f.set('topology.yaml', yaml);
      const m = JSON.parse(f.get('manifest.json')!.toString());
      const st = JSON.parse(f.get('attestation.intoto.json')!.toString());
      m.topology.sha256 = sha(yaml);
      Object.assign(m.files.find((x: { path: string }) => x.path === 'topology.yaml'), { sha256: sha(yaml), size: yaml.length });
      st.subject.find((s: { name: string }) => s.name === 'topology.yaml').digest.sha256 = sha(yaml);
      st.predicate.topology.sha256 = sha(yaml);
      const att = Buffer.from(`${JSON.stringify(st, null, 2)}\n`);
      f.set('attestation.intoto.json', att);
      Object.assign(m.files.find((x: { path: string }) => x.path === 'attestation.intoto.json'), { sha256: sha(att), size: att.length });
      f.set('manifest.json', Buffer.from(`${JSON.stringify(m, null, 2)}\n`));
    });
    expect(r.code).toBe(1);
    expect(problems(r.stdout)[0]).toMatch(/^topology\.yaml: no longer validates: \d+:\d+: NB\d{4}: .*pin/);
  });

  it('a bundle format from the future is not guessed at: exit 2', async () => {
    const r = await tampered(plain, (f) => {
      const m = JSON.parse(f.get('manifest.json')!.toString());
      f.set('manifest.json', Buffer.from(JSON.stringify({ ...m, formatVersion: 2 })));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bundle format version 2 is not supported by nestbed 0.1.0 (it reads version 1)');
  });
});

describe('nestbed verify: hostile archives → exit 2, nothing written anywhere', () => {
  const cases: [string, () => Buffer, RegExp][] = [
    ['an absolute path', () => rawTarGz([{ header: { name: '/tmp/nestbed-pwned' }, data: Buffer.from('x') }]), /entry 1 "\/tmp\/nestbed-pwned": an absolute path/],
    ['a ".." path', () => rawTarGz([{ header: { name: '../../nestbed-pwned' }, data: Buffer.from('x') }]), /a "\.\." segment leaves the bundle/],
    ['a symlink pointing outside', () => rawTarGz([{ header: { name: 'images', type: '2', linkname: '/etc' } }, { header: { name: 'images/passwd' }, data: Buffer.from('x') }]), /entry 1 "images" is a symbolic link → "\/etc"/],
    ['a device file', () => rawTarGz([{ header: { name: 'sda', type: '4', devmajor: 8, devminor: 0 } }]), /entry 1 "sda" is a block device/],
    ['a huge declared size', () => rawTarGz([{ header: { name: 'images/Image', size: 8 ** 11 - 1 } }]), /declares 8589934591 bytes; the limit for one file is 2147483648/],
    ['too many entries', () => rawTarGz(Array.from({ length: 4097 }, (_, i) => ({ header: { name: `f${i}` } }))), /more than 4096 entries/],
    ['a duplicate entry', () => rawTarGz([{ header: { name: 'manifest.json' }, data: Buffer.from('{}') }, { header: { name: 'manifest.json' }, data: Buffer.from('{"evil":1}') }]), /entry 2 "manifest.json" appears twice/],
    ['not gzip', () => Buffer.alloc(4 * BLOCK, 0x41), /not a readable \.tar\.gz/],
  ];

  for (const [what, make, message] of cases) {
    it(what, async () => {
      const home = tempDir();
      const cwd = tempDir();
      const tmp = tempDir();
      const bundle = join(home, 'hostile.tar.gz');
      writeFileSync(bundle, make());
      const before = { home: listing(home), cwd: listing(cwd), tmp: listing(tmp) };
      const saved = process.env['TMPDIR'];
      process.env['TMPDIR'] = tmp;
      let r;
      try {
        r = await cli(['verify', bundle], { cwd, env: { ...env, TMPDIR: tmp } });
      } finally {
        if (saved === undefined) delete process.env['TMPDIR'];
        else process.env['TMPDIR'] = saved;
      }
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('refused; nothing was extracted or written');
      expect({ home: listing(home), cwd: listing(cwd), tmp: listing(tmp) }).toEqual(before);
    });
  }

  it('a --key that is not an Ed25519 public key is bad input (exit 2)', async () => {
    const k = join(tempDir(), 'k.pem');
    writeFileSync(k, 'not a key');
    const r = await cli(['verify', plain, '--key', k], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--key ${k}: not a PEM public key`);
  });
});
