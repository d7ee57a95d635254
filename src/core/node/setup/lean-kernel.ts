// The L2 Linux guests' kernels, configured for the job: Debian's own patched tree (the binary package
// linux-source-7.3, fetched through the private arm64 apt configuration and recorded with its
// SHA-256), `allnoconfig` + guest/kernel/l2-lean.fragment, cross-compiled here — in two variants: the
// Linux guests' kernel and, the same configuration with PREEMPT_RT, the linux-rt guests' kernel. They
// need ≈ 19× fewer instructions from reset to init than Debian's generic kernels and are 6.5 MB instead
// of 51.6 MB — L1 copies the Image into every guest's memory — measured in the nested stack in
// docs/emulation-notes.md. One download and one unpacked tree serve both builds.
// Each variant is cached by the hash of what shapes it (recipe, fragment, switches, source package
// name, compiler); a failed build is recorded with its reason and not retried for the same key: those
// guests then boot Debian's generic (or generic RT) kernel.
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
import { builtFileIntact, installBuilt, sha256File, type LeanKernel } from './manifest.js';
import { shippedFile } from './repo-files.js';

export const LEAN_FRAGMENT = 'guest/kernel/l2-lean.fragment';
export const KERNEL_SOURCE_PACKAGE = 'linux-source-7.3';
/** Host tools the kernel build needs besides make and the cross compiler. */
export const KERNEL_BUILD_PACKAGES = ['bc', 'bison', 'flex', 'libelf-dev', 'libssl-dev', 'cpio', 'kmod'] as const;

export type LeanVariant = 'generic' | 'rt';
/** The variants setup builds and the image set uses. The PREEMPT_RT variant builds and boots (its
 * guests reach ready sooner: the realistic example's all-ready 30.0 s warm instead of ~32 s), but with
 * it in the `adas` guest the safety rtos of the realistic example saw a deterministic 6.6–8.1 ms
 * stall (7–13 deadline misses), seconds after the Linux guests' VMMs had exited, against 1.06 ms with
 * Debian's RT kernel in the same build (docs/emulation-notes.md): not understood yet, so linux-rt
 * guests keep Debian's RT kernel until it is. */
export const LEAN_VARIANTS: readonly LeanVariant[] = ['generic'];

interface VariantSpec {
  readonly recipe: string;
  /** What the log and the problems call it. */
  readonly label: string;
  /** `scripts/config` switches applied to the allnoconfig result, then `olddefconfig`. PREEMPT_RT
   * depends on EXPERT, which under allnoconfig would drop the basics, so it is switched on afterwards. */
  readonly switches: readonly string[];
  /** Options the final .config must have, besides every `=y` of the fragment. */
  readonly requires: readonly string[];
}

export const VARIANT_SPECS: Readonly<Record<LeanVariant, VariantSpec>> = {
  generic: { recipe: 'lean-l2-kernel-1', label: "the L2 guests' kernel", switches: [], requires: [] },
  rt: {
    recipe: 'lean-l2-rt-kernel-1',
    label: "the L2 guests' PREEMPT_RT kernel",
    switches: ['--enable', 'EXPERT', '--enable', 'PREEMPT_RT', '--set-str', 'LOCALVERSION', '-lean-rt'],
    requires: ['CONFIG_PREEMPT_RT=y'],
  },
};

const sha256 = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

/** A variant's cache key, without network access. The generic variant's formula is the one the
 * single lean kernel had, so adding the RT variant did not invalidate built kernels. */
export const leanKernelKey = async (variant: LeanVariant = 'generic'): Promise<string> => {
  const cc = await findCrossCompiler();
  const spec = VARIANT_SPECS[variant];
  const parts = [spec.recipe, await readFile(shippedFile(LEAN_FRAGMENT)), KERNEL_SOURCE_PACKAGE, cc ? `${cc.gcc} ${cc.version}` : 'no-cc'];
  if (spec.switches.length > 0) parts.push(spec.switches.join(' '));
  return sha256(...parts).slice(0, 16);
};

/** Undefined when the recorded kernel is current and intact (or recorded as unavailable for this key). */
export const verifyLeanKernel = async (dir: string, rec: LeanKernel | undefined, key: string, variant: LeanVariant = 'generic'): Promise<string | undefined> => {
  const label = VARIANT_SPECS[variant].label;
  if (!rec) return `${label} has not been built`;
  if (rec.key !== key) return `${label} is out of date (its configuration or the compiler changed)`;
  if (rec.status === 'unavailable') return undefined;
  if (!(await builtFileIntact(dir, rec))) return `${label} ${rec.file} is missing or does not match its SHA-256`;
  return undefined;
};

/** The options of a fragment (or extra list) that a .config lacks: Kconfig drops an option silently
 * when its dependencies are not met, and a kernel without (say) vsock or PREEMPT_RT is not what the
 * record would claim. */
export const missingOptions = (config: string, wanted: readonly string[]): string[] => {
  const have = new Set(config.split('\n').map((l) => l.trim()));
  return wanted.filter((w) => !have.has(w));
};

const fragmentOptions = (fragment: string): string[] =>
  fragment
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^CONFIG_\w+=y$/.test(l));

interface KernelContext {
  /** ~/.cache/nestbed/kernels */
  readonly root: string;
  readonly aptGuest: string;
  readonly aptHost: string;
  readonly log: (s: string) => void;
  readonly signal?: AbortSignal;
}

interface Source {
  readonly tree: string;
  readonly work: string;
  readonly source: { package: string; version: string; file: string; sha256: string };
}

/** Downloads Debian's kernel source package and unpacks its tree into `work`. */
const unpackSource = async (c: KernelContext, work: string): Promise<Source> => {
  const missing: string[] = [];
  for (const p of KERNEL_BUILD_PACKAGES) if (!(await isInstalled(p))) missing.push(p);
  await installHostPackages(c, "the L2 kernels' build", missing);
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
  const t = Date.now();
  await runTool('dpkg-deb', ['dpkg-deb', '-x', debPath, join(work, 'deb')], { timeoutMs: 600_000, ...sig });
  const tarball = join(work, 'deb', 'usr', 'src', `${KERNEL_SOURCE_PACKAGE}.tar.xz`);
  await runTool('tar', ['tar', '-xf', tarball, '-C', work], { timeoutMs: 900_000, ...sig });
  await rm(join(work, 'deb'), { recursive: true, force: true });
  c.log(`unpacked ${KERNEL_SOURCE_PACKAGE} ${meta.version} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  return { tree: join(work, KERNEL_SOURCE_PACKAGE), work, source: { package: meta.package, version: meta.version, file: deb, sha256: debSha } };
};

const buildVariant = async (c: KernelContext, src: Source, variant: LeanVariant, key: string): Promise<LeanKernel> => {
  const started = Date.now();
  const spec = VARIANT_SPECS[variant];
  const cc = await findCrossCompiler();
  if (!cc) throw new InfrastructureError(`no arm64 cross compiler for ${spec.label}`);
  const sig = c.signal ? { signal: c.signal } : {};
  const out = join(src.work, `out-${variant}`);
  const make = ['make', `O=${out}`, 'ARCH=arm64', `CROSS_COMPILE=${cc.gcc.replace(/gcc$/, '')}`];
  c.log(`configuring ${spec.label} (allnoconfig + ${LEAN_FRAGMENT}${spec.switches.length > 0 ? ` + ${spec.switches.join(' ')}` : ''})`);
  await runTool('make', [...make, `KCONFIG_ALLCONFIG=${shippedFile(LEAN_FRAGMENT)}`, 'allnoconfig'], { cwd: src.tree, timeoutMs: 600_000, ...sig });
  if (spec.switches.length > 0) {
    await runTool('scripts/config', [join(src.tree, 'scripts', 'config'), '--file', join(out, '.config'), ...spec.switches], { cwd: src.tree, timeoutMs: 60_000, ...sig });
    await runTool('make', [...make, 'olddefconfig'], { cwd: src.tree, timeoutMs: 600_000, ...sig });
  }
  const fragment = await readFile(shippedFile(LEAN_FRAGMENT), 'utf8');
  const lacking = missingOptions(await readFile(join(out, '.config'), 'utf8'), [...fragmentOptions(fragment), ...spec.requires]);
  if (lacking.length > 0) throw new InfrastructureError(`${spec.label}: the configuration dropped ${lacking.join(', ')}`);
  const jobs = Math.max(1, availableParallelism());
  c.log(`compiling ${spec.label} with ${jobs} jobs (about 6 min on 2 cores)`);
  const t = Date.now();
  let files = 0;
  let lastLog = Date.now();
  await runTool('make', [...make, `-j${jobs}`, 'Image'], {
    cwd: src.tree,
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
  c.log(`built ${spec.label} (${(built.size / 1048576).toFixed(1)} MiB) in ${((Date.now() - t) / 1000).toFixed(0)} s of compiling`);
  await rm(out, { recursive: true, force: true });
  return {
    status: 'built',
    ...built,
    source: src.source,
    fragmentSha256: await sha256File(shippedFile(LEAN_FRAGMENT)),
    compiler: `${cc.gcc} ${cc.version}`,
    buildMs: Date.now() - started,
  };
};

const reasonOf = (e: unknown): string =>
  e instanceof ToolError ? `${e.tool} failed: ${e.stderrTail.split('\n').slice(-3).join(' / ') || e.message}` : e instanceof Error ? e.message : String(e);

export type LeanKernels = Partial<Record<LeanVariant, LeanKernel>>;

/** Builds (or keeps) the lean L2 kernels, downloading and unpacking the source once for every variant
 * that needs a build. A failed build is `unavailable` with its reason (those guests keep Debian's
 * generic kernel); an abort still throws. */
export const ensureLeanKernels = async (c: KernelContext, recorded: LeanKernels, variants: readonly LeanVariant[] = LEAN_VARIANTS): Promise<LeanKernels> => {
  await mkdir(c.root, { recursive: true });
  const result: LeanKernels = {};
  const todo: { variant: LeanVariant; key: string }[] = [];
  for (const variant of variants) {
    const key = await leanKernelKey(variant);
    const rec = recorded[variant];
    if (rec && (await verifyLeanKernel(c.root, rec, key, variant)) === undefined) result[variant] = rec;
    else todo.push({ variant, key });
  }
  if (todo.length > 0) {
    const work = join(c.root, `build-${todo.map((t) => t.key).join('-')}`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    try {
      let src: Source | undefined;
      let srcError: unknown;
      try {
        src = await unpackSource(c, work);
      } catch (e) {
        if (c.signal?.aborted) throw e;
        srcError = e;
      }
      for (const { variant, key } of todo) {
        try {
          if (!src) throw srcError;
          result[variant] = await buildVariant(c, src, variant, key);
        } catch (e) {
          if (c.signal?.aborted) throw e;
          const reason = reasonOf(e);
          c.log(`warning: ${VARIANT_SPECS[variant].label} could not be built (${reason}); those guests boot Debian's generic${variant === 'rt' ? ' PREEMPT_RT' : ''} kernel`);
          result[variant] = { status: 'unavailable', key, reason };
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return result;
};
