// The L2 Linux guests' kernel, configured for the job: Debian's own patched tree (the binary package
// linux-source-7.3, fetched through the private arm64 apt configuration and recorded with its
// SHA-256), `allnoconfig` + guest/kernel/l2-lean.fragment, cross-compiled here. It needs ≈ 19× fewer
// instructions from reset to init than the generic kernel and is 6.5 MB instead of 51.6 MB — L1 copies
// that Image into every guest's memory — measured in the nested stack in docs/emulation-notes.md.
// Cached by the hash of what shapes it (recipe, fragment, source package name, compiler); a failed build
// is recorded with its reason and not retried for the same key: the guests then boot the generic kernel.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool, ToolError } from '../process/tool.js';
import { aptGet, aptUpdate, guestAptConfig, readOsRelease, systemArchive } from './apt.js';
import { findCrossCompiler } from '../rtos/build.js';
import { parseDebFileName } from './guest-image.js';
import { installHostPackages, isInstalled } from './host-packages.js';
import { installBuilt, sha256File, type LeanKernel } from './manifest.js';
import { shippedFile } from './repo-files.js';

const RECIPE_VERSION = 'lean-l2-kernel-1';
export const LEAN_FRAGMENT = 'guest/kernel/l2-lean.fragment';
export const KERNEL_SOURCE_PACKAGE = 'linux-source-7.3';
/** Host tools the kernel build needs besides make and the cross compiler. */
export const KERNEL_BUILD_PACKAGES = ['bc', 'bison', 'flex', 'libelf-dev', 'libssl-dev', 'cpio', 'kmod'] as const;

const sha256 = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

/** The cache key, without network access. */
export const leanKernelKey = async (): Promise<string> => {
  const cc = await findCrossCompiler();
  return sha256(RECIPE_VERSION, await readFile(shippedFile(LEAN_FRAGMENT)), KERNEL_SOURCE_PACKAGE, cc ? `${cc.gcc} ${cc.version}` : 'no-cc').slice(0, 16);
};

/** Undefined when the recorded kernel is current and intact (or recorded as unavailable for this key). */
export const verifyLeanKernel = async (dir: string, rec: LeanKernel | undefined, key: string): Promise<string | undefined> => {
  if (!rec) return 'the L2 guests\' kernel has not been built';
  if (rec.key !== key) return 'the L2 guests\' kernel is out of date (its configuration or the compiler changed)';
  if (rec.status === 'unavailable') return undefined;
  if ((await sha256File(join(dir, rec.file)).catch(() => '')) !== rec.sha256) return `the L2 guests' kernel ${rec.file} is missing or does not match its SHA-256`;
  return undefined;
};

interface KernelContext {
  /** ~/.cache/nestbed/kernels */
  readonly root: string;
  readonly aptGuest: string;
  readonly aptHost: string;
  readonly log: (s: string) => void;
  readonly signal?: AbortSignal;
}

const build = async (c: KernelContext, key: string): Promise<LeanKernel> => {
  const started = Date.now();
  const cc = await findCrossCompiler();
  if (!cc) throw new InfrastructureError('no arm64 cross compiler for the L2 kernel');
  const missing: string[] = [];
  for (const p of KERNEL_BUILD_PACKAGES) if (!(await isInstalled(p))) missing.push(p);
  await installHostPackages(c, 'the L2 kernel build', missing);
  const sig = c.signal ? { signal: c.signal } : {};
  // the source: Debian's patched tree as shipped in linux-source-7.3 (Architecture: all)
  const os = await readOsRelease();
  const sys = await systemArchive(os.codename || 'bookworm');
  const cfg = await guestAptConfig(c.aptGuest, sys.source);
  await aptUpdate(cfg, false, c.signal);
  const src = join(c.root, 'sources');
  await mkdir(src, { recursive: true });
  for (const f of await readdir(src)) if (f.startsWith(`${KERNEL_SOURCE_PACKAGE}_`)) await rm(join(src, f), { force: true });
  c.log(`fetching Debian's kernel source (${KERNEL_SOURCE_PACKAGE}, ~167 MB)`);
  await aptGet(cfg, ['download', KERNEL_SOURCE_PACKAGE], { cwd: src, timeoutMs: 1_800_000, ...sig });
  const deb = (await readdir(src)).find((f) => f.startsWith(`${KERNEL_SOURCE_PACKAGE}_`) && f.endsWith('.deb'));
  const meta = deb ? parseDebFileName(deb) : undefined;
  if (!deb || !meta) throw new InfrastructureError(`apt did not download ${KERNEL_SOURCE_PACKAGE}`);
  const debPath = join(src, deb);
  const debSha = await sha256File(debPath);
  const work = join(c.root, `build-${key}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    let t = Date.now();
    await runTool('dpkg-deb', ['dpkg-deb', '-x', debPath, join(work, 'deb')], { timeoutMs: 600_000, ...sig });
    const tarball = join(work, 'deb', 'usr', 'src', `${KERNEL_SOURCE_PACKAGE}.tar.xz`);
    await runTool('tar', ['tar', '-xf', tarball, '-C', work], { timeoutMs: 900_000, ...sig });
    await rm(join(work, 'deb'), { recursive: true, force: true });
    const tree = join(work, KERNEL_SOURCE_PACKAGE);
    const out = join(work, 'out');
    const make = ['make', `O=${out}`, 'ARCH=arm64', `CROSS_COMPILE=${cc.gcc.replace(/gcc$/, '')}`];
    c.log(`unpacked ${KERNEL_SOURCE_PACKAGE} ${meta.version} (${((Date.now() - t) / 1000).toFixed(0)} s); configuring (allnoconfig + ${LEAN_FRAGMENT})`);
    await runTool('make', [...make, `KCONFIG_ALLCONFIG=${shippedFile(LEAN_FRAGMENT)}`, 'allnoconfig'], { cwd: tree, timeoutMs: 600_000, ...sig });
    const jobs = Math.max(1, availableParallelism());
    c.log(`compiling the L2 guests' kernel with ${jobs} jobs (about 6 min on 2 cores)`);
    t = Date.now();
    let files = 0;
    let lastLog = Date.now();
    await runTool('make', [...make, `-j${jobs}`, 'Image'], {
      cwd: tree,
      timeoutMs: 90 * 60_000,
      ...sig,
      onLine: (l) => {
        if (!/^\s+CC\s/.test(l)) return;
        files++;
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          c.log(`  compiling: ${files} files (${((Date.now() - t) / 1000).toFixed(0)} s)`);
        }
      },
    });
    const built = await installBuilt(join(out, 'arch', 'arm64', 'boot', 'Image'), c.root, key, 'Image');
    c.log(`built the L2 guests' kernel (${(built.size / 1048576).toFixed(1)} MiB) in ${((Date.now() - t) / 1000).toFixed(0)} s of compiling`);
    return {
      status: 'built',
      ...built,
      source: { package: meta.package, version: meta.version, file: deb, sha256: debSha },
      fragmentSha256: await sha256File(shippedFile(LEAN_FRAGMENT)),
      compiler: `${cc.gcc} ${cc.version}`,
      buildMs: Date.now() - started,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
};

/** Builds (or keeps) the lean L2 kernel. A failed build is `unavailable` with its reason (the guests
 * keep the generic kernel); an abort still throws. */
export const ensureLeanKernel = async (c: KernelContext, recorded: LeanKernel | undefined): Promise<LeanKernel> => {
  const key = await leanKernelKey();
  await mkdir(c.root, { recursive: true });
  if (recorded && (await verifyLeanKernel(c.root, recorded, key)) === undefined) return recorded;
  try {
    return await build(c, key);
  } catch (e) {
    if (c.signal?.aborted) throw e;
    const reason = e instanceof ToolError ? `${e.tool} failed: ${e.stderrTail.split('\n').slice(-3).join(' / ') || e.message}` : e instanceof Error ? e.message : String(e);
    c.log(`warning: the L2 guests' kernel could not be built (${reason}); Linux guests boot the generic kernel`);
    return { status: 'unavailable', key, reason };
  }
};
