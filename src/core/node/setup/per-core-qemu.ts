// The per-core-time emulator for `deterministic` runs: Debian's own source of the QEMU version in use,
// with nestbed's patches (emulator/qemu-per-core-time.patch; emulator/qemu-el2-timer-migration.patch,
// which the warm stack's snapshots need; GPL-2.0-or-later), built for the aarch64
// system target only. Cached by the hash of everything that shapes the binary (the host emulator's
// Debian version, which fixes the source package; the patch; the configure arguments; the recipe
// version) and recorded in the manifest with its SHA-256 and the source tarball's.
// A failed build is recorded too (same key: not retried on every setup); deterministic runs then
// use the stock emulator with a warning.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool, ToolError } from '../process/tool.js';
import { aptUpdate, readOsRelease, systemArchive } from './apt.js';
import { installHostPackages, isInstalled } from './host-packages.js';
import type { HostQemu } from './host-qemu.js';
import { builtFileIntact, installBuilt, type PerCoreQemu } from './manifest.js';
import { shippedFile } from './repo-files.js';
import { fetchSourceFile, findSourceEntry, origTarball, sourceAptConfig } from './source-package.js';

/** Bump when the build steps change in a way the hashed inputs do not show. */
const RECIPE_VERSION = 'per-core-qemu-1';
export const PER_CORE_PATCH = 'emulator/qemu-per-core-time.patch';
/** The EL2 generic timers in the migration stream: without it a restored warm stack never runs
 * again (src/core/node/run/warm-stack.ts). */
export const EL2_TIMER_PATCH = 'emulator/qemu-el2-timer-migration.patch';
/** A guest-requested stop (the warm stack's pvpanic point) pauses every vCPU at that instruction:
 * without it two snapshots of one stack differed. */
export const STOP_PATCH = 'emulator/qemu-deterministic-stop.patch';
/** Applied in this order. */
export const EMULATOR_PATCHES = [PER_CORE_PATCH, EL2_TIMER_PATCH, STOP_PATCH] as const;

/**
 * Instructions per round (docs/emulation-notes.md "Per-core virtual time"): measured on the
 * realistic example with the prototype, Q = 1 000 / 10 000 / 100 000 gave 2 / 8 / 10 deadline misses,
 * timer latency p99 360 / 180 / 246 µs virtual and 439 / 405–417 / 377 s of wall time. 10 000 keeps
 * the best p99 at a moderate cost; with shift=0 it bounds skew between cores and the extra interrupt
 * delay to 10 µs of virtual time (≈ 2.3 µs ECU-equivalent on an Orin-class core).
 */
export const PER_CORE_QUANTUM = 10_000;
export const perCoreIcountArg = (quantum: number = PER_CORE_QUANTUM): string => `shift=0,sleep=off,quantum=${quantum}`;

export const CONFIGURE_ARGS = [
  '--target-list=aarch64-softmmu',
  '--without-default-features',
  '--enable-fdt=system',
  '--disable-docs',
  '--disable-tools',
  '--disable-guest-agent',
  '--disable-install-blobs',
] as const;

/** Host packages the build needs; meson (> 1.5 for QEMU 10) and pycotap come from backports on Debian 12. */
export const BUILD_PACKAGES = ['ninja-build', 'pkg-config', 'libglib2.0-dev', 'libpixman-1-dev', 'flex', 'bison', 'libfdt-dev', 'python3-setuptools', 'python3-venv'] as const;
export const BACKPORT_BUILD_PACKAGES = ['meson', 'python3-pycotap'] as const;

/** "10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)" → the Debian version, when it is Debian's build. */
export const debianVersionOf = (hostVersion: string): string | undefined => /\(Debian ([^)\s]+)\)/.exec(hostVersion)?.[1];

const sha256 = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

/** The cache key without network access: the host emulator's version, the patch, the recipe. */
export const perCoreKey = async (host: HostQemu): Promise<string> => {
  const patches = await Promise.all(EMULATOR_PATCHES.map((p) => readFile(shippedFile(p))));
  return sha256(RECIPE_VERSION, host.version, ...patches, JSON.stringify(CONFIGURE_ARGS)).slice(0, 16);
};

/** Verifies a recorded build: the binary is there with its SHA-256 and the key is current. */
export const verifyPerCoreQemu = async (dir: string, rec: PerCoreQemu | undefined, key: string): Promise<string | undefined> => {
  if (!rec) return 'the per-core-time emulator has not been built';
  if (rec.key !== key) return 'the per-core-time emulator is out of date (host emulator or patch changed)';
  if (rec.status === 'unavailable') return undefined;
  if (!(await builtFileIntact(dir, rec))) return `the per-core-time emulator ${rec.file} is missing or does not match its SHA-256`;
  return undefined;
};

const mesonRecent = async (): Promise<boolean> => {
  const r = await runTool('meson', ['meson', '--version'], { timeoutMs: 20_000 }).catch(() => undefined);
  const m = /^(\d+)\.(\d+)/.exec(r?.stdout.trim() ?? '');
  return !!m && (Number(m[1]) > 1 || Number(m[2]) > 5);
};

interface BuildContext {
  readonly root: string;
  readonly aptHost: string;
  readonly aptSource: string;
  readonly log: (s: string) => void;
  readonly signal?: AbortSignal;
}

const ensureBuildTools = async (c: BuildContext): Promise<void> => {
  const missing: string[] = [];
  for (const p of BUILD_PACKAGES) if (!(await isInstalled(p))) missing.push(p);
  const bpo: string[] = [];
  for (const p of BACKPORT_BUILD_PACKAGES) if (!(p === 'meson' ? await mesonRecent() : await isInstalled(p))) bpo.push(p);
  await installHostPackages(c, 'the emulator build', missing, bpo);
};

/** The tarball has no edk2 firmware blobs; meson wants to unpack them when bzip2 exists. The aarch64
 * emulator never loads them (nestbed boots kernels with -kernel): empty placeholders. */
const edk2Placeholders = async (src: string): Promise<void> => {
  const text = await readFile(join(src, 'pc-bios', 'meson.build'), 'utf8');
  for (const m of text.matchAll(/'(edk2-[a-z0-9_-]+\.fd)'/g)) {
    const p = join(src, 'pc-bios', `${m[1]}.bz2`);
    if (!(await stat(p).catch(() => undefined))) await writeFile(p, '');
  }
};

const buildFromSource = async (c: BuildContext, host: HostQemu, key: string): Promise<PerCoreQemu> => {
  const started = Date.now();
  const debVersion = debianVersionOf(host.version);
  if (!debVersion) throw new InfrastructureError(`the host emulator (${host.version}) is not Debian's package: no source package to build the per-core-time emulator from`);
  await ensureBuildTools(c);
  const os = await readOsRelease();
  const sys = await systemArchive(os.codename || 'bookworm');
  const cfg = await sourceAptConfig(c.aptSource, sys.source, os.codename || 'bookworm');
  await aptUpdate(cfg, true, c.signal);
  const entry = await findSourceEntry(cfg, 'qemu', debVersion, c.signal);
  const orig = origTarball(entry);
  if (!orig) throw new InfrastructureError(`source package qemu ${debVersion} lists no upstream tarball`);
  c.log(`fetching Debian's source of qemu ${debVersion} (${orig.name}, ${(orig.size / 1048576).toFixed(1)} MiB)`);
  const tarball = await fetchSourceFile(sys.source, entry, orig, join(c.root, 'sources'), c.signal);
  const work = join(c.root, `build-${key}`);
  const src = join(work, 'src');
  await rm(work, { recursive: true, force: true });
  await mkdir(src, { recursive: true });
  const sig = c.signal ? { signal: c.signal } : {};
  try {
    await runTool('tar', ['tar', '-xf', tarball, '-C', src, '--strip-components=1'], { timeoutMs: 300_000, ...sig });
    await edk2Placeholders(src);
    for (const p of EMULATOR_PATCHES) await runTool('patch', ['patch', '-p1', '--batch', '--forward', '-i', shippedFile(p)], { cwd: src, timeoutMs: 60_000, ...sig });
    let t = Date.now();
    const build = join(src, 'build');
    await mkdir(build);
    // Debian's python3 (a python earlier on PATH may lack the build's modules)
    await runTool('configure', ['../configure', '--python=/usr/bin/python3', ...CONFIGURE_ARGS], { cwd: build, timeoutMs: 600_000, ...sig });
    const jobs = Math.max(1, availableParallelism());
    c.log(`configured (${((Date.now() - t) / 1000).toFixed(0)} s); compiling qemu-system-aarch64 with ${jobs} jobs (about 7–15 min on 2 cores)`);
    t = Date.now();
    let lastPct = -1;
    await runTool('ninja', ['ninja', '-j', String(jobs), 'qemu-system-aarch64'], {
      cwd: build,
      timeoutMs: 60 * 60_000,
      ...sig,
      onLine: (l) => {
        const m = /^\[(\d+)\/(\d+)\]/.exec(l);
        if (!m) return;
        const pct = Math.floor((10 * Number(m[1])) / Number(m[2])) * 10;
        if (pct > lastPct) {
          lastPct = pct;
          c.log(`  compiling: ${pct} % (${m[1]}/${m[2]}, ${((Date.now() - t) / 1000).toFixed(0)} s)`);
        }
      },
    });
    // same file name as the stock binary: QEMU prefixes its messages with it, and the runner and
    // the process checks recognise the emulator by it
    const built = await installBuilt(join(build, 'qemu-system-aarch64'), c.root, key, 'qemu-system-aarch64');
    const dest = join(c.root, built.file);
    const v = await runTool('emulator', [dest, '--version'], { timeoutMs: 20_000 });
    const help = await runTool('emulator', [dest, '-h'], { timeoutMs: 20_000 });
    if (!help.stdout.includes('quantum=N')) throw new InfrastructureError('the built emulator does not offer -icount quantum (the patch did not apply as expected)');
    c.log(`built ${built.file} in ${((Date.now() - t) / 1000).toFixed(0)} s of compiling`);
    return {
      status: 'built',
      ...built,
      source: { package: entry.package, version: entry.version, file: orig.name, sha256: orig.sha256 },
      // the SHA-256 of the patches in the order applied, concatenated with a NUL after each
      patchSha256: sha256(...(await Promise.all(EMULATOR_PATCHES.map((p) => readFile(shippedFile(p)))))),
      configure: ['--python=/usr/bin/python3', ...CONFIGURE_ARGS],
      version: v.stdout.split('\n')[0]?.trim() ?? '',
      buildMs: Date.now() - started,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};

/**
 * Builds (or keeps) the per-core-time emulator. Never throws for a failed build: the result is
 * then `unavailable` with the reason, and deterministic runs fall back to the stock emulator.
 * An abort still throws.
 */
export const ensurePerCoreQemu = async (
  c: BuildContext,
  host: HostQemu,
  recorded: PerCoreQemu | undefined,
): Promise<PerCoreQemu> => {
  const key = await perCoreKey(host);
  await mkdir(c.root, { recursive: true });
  if (recorded && (await verifyPerCoreQemu(c.root, recorded, key)) === undefined) return recorded;
  try {
    return await buildFromSource(c, host, key);
  } catch (e) {
    if (c.signal?.aborted) throw e;
    const reason = e instanceof ToolError ? `${e.tool} failed: ${e.stderrTail.split('\n').slice(-3).join(' / ') || e.message}` : e instanceof Error ? e.message : String(e);
    c.log(`warning: the per-core-time emulator could not be built (${reason}); deterministic runs will use the stock emulator`);
    return { status: 'unavailable', key, reason };
  }
};
