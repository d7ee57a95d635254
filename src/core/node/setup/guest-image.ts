// The guest image set: Debian arm64 packages fetched into the private cache (never installed),
// unpacked with dpkg-deb -x into a staging tree, and packed into deterministic initramfs archives.
//   Image, Image-rt   the 7.3 kernel (generic, PREEMPT_RT): uncompressed arm64 Image, booted with -kernel
//   Image-l2[-rt]     the lean L2 kernels setup built (lean-kernel.ts), when it could: the Linux guests'
//                     (and linux-rt guests') kernel instead of Image[-rt]
//   l2.cpio           busybox + agent + cyclictest (+ its libraries)                  (L2 guests)
//   rtos.Image        the bare-metal rtos (guest/rtos), cross-compiled here (os: rtos guests)
//   l1[-rt].cpio      busybox + agent + L1's VMM (arm64 QEMU + library closure) + Image[-rt] + l2.cpio + rtos.Image
//   l0[-rt].cpio      busybox + agent + the same VMM + Image + l1[-rt].cpio           (L0, from the host)
// Nested initramfs delivery measured fastest (emulation-speed.md: 19.5 s against 22.3 s for erofs
// on virtio-blk); the -rt variants carry the PREEMPT_RT kernel for linux-rt guests.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { writeCpio, type CpioEntry } from '../image/cpio.js';
import { readElfDeps } from '../image/elf.js';
import { runTool } from '../process/tool.js';
import { buildRtosImage, rtosRecipe } from '../rtos/build.js';
import { buildGuestTools, L0_PAYLOAD_MODULES, L1_PAYLOAD_MODULES, extractModules, GUEST_VSOCK_MODULES, guestToolsRecipe, L1_VHOST_MODULES } from './guest-tools.js';
import { aptGet, resolveClosure, type AptConfig } from './apt.js';
import { sha256File, type Artifact, type DebEntry } from './manifest.js';
import type { CachePaths } from './paths.js';
import { shippedFile } from './repo-files.js';

/** Debian's kernel ABI name used at every level (trixie-backports). */
export const KERNEL_ABI = '7.3.4+deb13';
/** Bump when the way artifacts are built changes. */
export const RECIPE_VERSION = 'nestbed-images-3';

export const DIRECT_PACKAGES = [
  `linux-binary-${KERNEL_ABI}-arm64`,
  `linux-binary-${KERNEL_ABI}-rt-arm64`,
  // vsock (guests) and vhost-vsock (L1) are modules: the channel path (guest-tools.ts)
  `linux-modules-${KERNEL_ABI}-arm64`,
  `linux-modules-${KERNEL_ABI}-rt-arm64`,
  'busybox-static',
  'rt-tests',
  'libnuma1',
] as const;
export const VMM_PACKAGE = 'qemu-system-arm';
export const VMM_SUITE = 'trixie-backports';

export const recipeHash = async (): Promise<string> => {
  const init = await readFile(shippedFile('guest/init.sh'));
  const lib = await readFile(shippedFile('guest/lib.sh'));
  return createHash('sha256').update(RECIPE_VERSION).update('\0').update(init).update('\0').update(lib).update('\0').update(await rtosRecipe()).update('\0').update(await guestToolsRecipe()).digest('hex').slice(0, 16);
};

/** "name_1%3a2.0-1_arm64.deb" → name, version, arch. */
export const parseDebFileName = (file: string): { package: string; version: string; arch: string } | undefined => {
  const m = /^([^_]+)_([^_]+)_([^_]+)\.deb$/.exec(basename(file));
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { package: m[1], version: decodeURIComponent(m[2]), arch: m[3] };
};

const debsIn = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.deb')).sort();

/** Verifies the recorded debs; returns the ones missing or corrupted. */
export const verifyDebs = async (dir: string, debs: readonly DebEntry[]): Promise<DebEntry[]> => {
  const bad: DebEntry[] = [];
  for (const d of debs) {
    const p = join(dir, d.file);
    const ok = existsSync(p) && (await sha256File(p)) === d.sha256;
    if (!ok) bad.push(d);
  }
  return bad;
};

export const verifyArtifacts = async (dir: string, artifacts: Readonly<Record<string, Artifact>>): Promise<string[]> => {
  const bad: string[] = [];
  for (const [name, a] of Object.entries(artifacts)) {
    const p = join(dir, a.file);
    const ok = existsSync(p) && (await stat(p)).size === a.size && (await sha256File(p)) === a.sha256;
    if (!ok) bad.push(name);
  }
  return bad;
};

/** Downloads `specs` (name or name=version) into the deb directory; removes corrupt copies first. */
export const downloadDebs = async (cfg: AptConfig, dir: string, specs: readonly string[], signal?: AbortSignal): Promise<void> => {
  await mkdir(dir, { recursive: true });
  if (specs.length === 0) return;
  await aptGet(cfg, ['download', ...specs], { cwd: dir, timeoutMs: 900_000, ...(signal ? { signal } : {}) });
};

export const recordDebs = async (dir: string): Promise<DebEntry[]> => {
  const out: DebEntry[] = [];
  for (const f of await debsIn(dir)) {
    const meta = parseDebFileName(f);
    if (!meta) continue;
    const p = join(dir, f);
    out.push({ ...meta, file: f, sha256: await sha256File(p), size: (await stat(p)).size });
  }
  return out;
};

/** Resolves the full package list: the direct packages + the VMM's dependency closure. */
export const resolvePackageSpecs = async (cfg: AptConfig, signal?: AbortSignal): Promise<string[]> => {
  const closure = await resolveClosure(cfg, [VMM_PACKAGE], VMM_SUITE, signal);
  const names = new Set(closure.map((s) => s.split('=')[0]));
  return [...closure, ...DIRECT_PACKAGES.filter((p) => !names.has(p))];
};

const extractAll = async (debDir: string, debs: readonly DebEntry[], root: string, signal?: AbortSignal): Promise<void> => {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const queue = [...debs];
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      await runTool('dpkg-deb', ['dpkg-deb', '-x', join(debDir, d.file), root], { timeoutMs: 300_000, ...(signal ? { signal } : {}) });
    }
  };
  await Promise.all([worker(), worker()]);
};

const LIB_DIRS = ['usr/lib/aarch64-linux-gnu', 'lib/aarch64-linux-gnu', 'usr/lib', 'lib'];

/** The binary's shared-library closure (DT_NEEDED, transitively), as host paths in `root`. */
export const libraryClosure = async (root: string, binaries: readonly string[]): Promise<{ libs: Map<string, string>; interp: string | undefined }> => {
  const libs = new Map<string, string>();
  let interp: string | undefined;
  const todo = [...binaries];
  for (let f = todo.shift(); f !== undefined; f = todo.shift()) {
    const deps = readElfDeps(await readFile(f));
    interp ??= deps.interp;
    for (const n of deps.needed) {
      if (libs.has(n)) continue;
      const found = LIB_DIRS.map((d) => join(root, d, n)).find((p) => existsSync(p));
      if (!found) throw new InfrastructureError(`library ${n} (needed by ${basename(f)}) is not in the unpacked packages`);
      libs.set(n, found);
      todo.push(found);
    }
  }
  return { libs, interp };
};

const base = async (root: string): Promise<CpioEntry[]> => [
  { path: 'bin/busybox', kind: 'hostfile', source: join(root, 'usr/bin/busybox'), mode: 0o755 },
  { path: 'bin/sh', kind: 'symlink', target: 'busybox' },
  { path: 'init', kind: 'file', data: await readFile(shippedFile('guest/init.sh')), mode: 0o755 },
  { path: 'nb-agent.sh', kind: 'file', data: await readFile(shippedFile('guest/lib.sh')), mode: 0o644 },
  { path: 'dev/console', kind: 'chardev', major: 5, minor: 1 },
  { path: 'dev/null', kind: 'chardev', major: 1, minor: 3, mode: 0o666 },
  ...['proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'sbin', 'usr/bin', 'usr/sbin'].map((p): CpioEntry => ({ path: p, kind: 'dir' })),
];

const withLibs = async (root: string, binaries: Record<string, string>): Promise<CpioEntry[]> => {
  const { libs, interp } = await libraryClosure(root, Object.values(binaries));
  const out: CpioEntry[] = Object.entries(binaries).map(([path, source]) => ({ path, kind: 'hostfile', source, mode: 0o755 }));
  for (const [n, p] of [...libs].sort()) out.push({ path: `lib/${n}`, kind: 'hostfile', source: p, mode: 0o755 });
  if (interp) {
    const name = basename(interp);
    const src = LIB_DIRS.map((d) => join(root, d, name)).find((p) => existsSync(p));
    if (!src) throw new InfrastructureError(`dynamic loader ${interp} not found in the unpacked packages`);
    if (!libs.has(name)) out.push({ path: `lib/${name}`, kind: 'hostfile', source: src, mode: 0o755 });
  }
  return out;
};

export interface BuildResult {
  readonly artifacts: Record<string, Artifact>;
  /** The rtos image's compiler and recipe (another GCC gives other bytes). */
  readonly rtos: { readonly gcc: string; readonly version: string; readonly recipe: string };
}

/** Unpacks every deb and builds the artifacts into the image directory. */
/** A built kernel to put into the image set. */
export interface KernelFile {
  readonly path: string;
  readonly description: string;
}
/** `l2Kernels`: the lean kernels for the Linux and linux-rt guests (lean-kernel.ts); without one, those
 * guests boot Debian's generic (or generic RT) kernel. */
export const buildArtifacts = async (paths: CachePaths, debs: readonly DebEntry[], log: (s: string) => void, signal?: AbortSignal, l2Kernels: { readonly generic?: KernelFile | undefined; readonly rt?: KernelFile | undefined } = {}): Promise<BuildResult> => {
  const l2Kernel = l2Kernels.generic;
  const l2RtKernel = l2Kernels.rt;
  const root = join(paths.staging, 'root');
  let t = Date.now();
  await extractAll(paths.debs, debs, root, signal);
  log(`unpacked ${debs.length} packages (${Date.now() - t} ms)`);
  t = Date.now();
  await mkdir(paths.images, { recursive: true });
  const img = (f: string): string => join(paths.images, f);
  const artifacts: Record<string, Artifact> = {};
  const add = async (name: string, file: string, description: string, sha?: string): Promise<void> => {
    const p = img(file);
    artifacts[name] = { file, sha256: sha ?? (await sha256File(p)), size: (await stat(p)).size, description };
  };
  const copy = (from: string, file: string): Promise<void> => copyFile(from, img(file));
  const kernel = join(root, `usr/lib/modules/${KERNEL_ABI}-arm64/vmlinuz`);
  const kernelRt = join(root, `usr/lib/modules/${KERNEL_ABI}-rt-arm64/vmlinuz`);
  for (const k of [kernel, kernelRt]) if (!existsSync(k)) throw new InfrastructureError(`kernel image ${k} missing after unpacking`);
  await copy(kernel, 'Image');
  await add('Image', 'Image', `Linux ${KERNEL_ABI}-arm64 (generic), uncompressed arm64 Image`);
  if (l2Kernel) {
    await copy(l2Kernel.path, 'Image-l2');
    await add('Image-l2', 'Image-l2', l2Kernel.description);
  }
  await copy(kernelRt, 'Image-rt');
  await add('Image-rt', 'Image-rt', `Linux ${KERNEL_ABI}-rt-arm64 (PREEMPT_RT), uncompressed arm64 Image`);
  if (l2RtKernel) {
    await copy(l2RtKernel.path, 'Image-l2-rt');
    await add('Image-l2-rt', 'Image-l2-rt', l2RtKernel.description);
  }

  // the bare-metal rtos (guest/rtos, docs/rtos.md): reproducible, ~25 KiB, booted by L1 for os: rtos guests
  const rtos = await buildRtosImage({ outDir: join(paths.staging, 'rtos'), log, ...(signal ? { signal } : {}) });
  await copy(rtos.path, 'rtos.Image');
  await add('rtos', 'rtos.Image', `nestbed rtos (guest/rtos), built with ${rtos.compiler.gcc} ${rtos.compiler.version}, recipe ${rtos.recipe.slice(0, 16)}`);
  if (artifacts.rtos?.sha256 !== rtos.sha256) throw new InfrastructureError('the copied rtos image does not match its build SHA-256');

  // the channel path: vsock-probe (L1 relay + control, L2 client/server) and the vsock modules;
  // nb-sched: L1 applies and reads back the guests' CPU reservations
  const tools = await buildGuestTools(join(paths.staging, 'tools'), signal);
  const modsDir = join(paths.staging, 'modules');
  const modEntries = async (abi: string, names: readonly string[]): Promise<CpioEntry[]> =>
    [...(await extractModules(root, abi, names, modsDir, signal))].map(([n, p]): CpioEntry => ({ path: `lib/nb/${abi}/${n}.ko`, kind: 'hostfile', source: p, mode: 0o644 }));
  const l2Mods = [...(await modEntries(`${KERNEL_ABI}-arm64`, GUEST_VSOCK_MODULES)), ...(await modEntries(`${KERNEL_ABI}-rt-arm64`, GUEST_VSOCK_MODULES))];
  const l1Mods = await modEntries(`${KERNEL_ABI}-arm64`, [...L1_VHOST_MODULES, ...L1_PAYLOAD_MODULES]);
  const l0Mods = await modEntries(`${KERNEL_ABI}-arm64`, L0_PAYLOAD_MODULES);
  const probeEntry: CpioEntry = { path: 'usr/bin/vsock-probe', kind: 'hostfile', source: tools['vsock-probe'], mode: 0o755 };
  const schedEntry: CpioEntry = { path: 'usr/bin/nb-sched', kind: 'hostfile', source: tools['nb-sched'], mode: 0o755 };
  const fwcfgEntry: CpioEntry = { path: 'usr/bin/nb-fwcfg', kind: 'hostfile', source: tools['nb-fwcfg'], mode: 0o755 };
  log(`guest tools: vsock-probe, nb-sched, nb-fwcfg + ${l2Mods.length} guest / ${l1Mods.length} L1 / ${l0Mods.length} L0 kernel modules`);

  const b = await base(root);
  const cyc = await withLibs(root, { 'usr/bin/cyclictest': join(root, 'usr/bin/cyclictest') });
  const vmm = await withLibs(root, { 'usr/bin/qemu-system-aarch64': join(root, 'usr/bin/qemu-system-aarch64') });
  const pack = async (name: string, entries: CpioEntry[], description: string): Promise<void> => {
    const file = `${name}.cpio`;
    const r = writeCpio(img(file), entries);
    await add(name, file, description, r.sha256);
  };
  await pack('l2', [...b, ...cyc, probeEntry, ...l2Mods], 'L2 guest initramfs: busybox, agent, cyclictest, vsock-probe, vsock modules');
  for (const rt of [false, true]) {
    const sfx = rt ? '-rt' : '';
    const l1: CpioEntry[] = [
      ...b,
      ...vmm,
      probeEntry,
      schedEntry,
      ...l1Mods,
      // the Linux guests' kernel (L1 copies it into each guest's memory): the lean one when built
      { path: 'next/Image', kind: 'hostfile', source: img(l2Kernel ? 'Image-l2' : 'Image') },
      { path: 'next/l2.cpio', kind: 'hostfile', source: img('l2.cpio') },
      { path: 'next/rtos.Image', kind: 'hostfile', source: img('rtos.Image') },
      ...(rt ? [{ path: 'next/Image-rt', kind: 'hostfile', source: img(l2RtKernel ? 'Image-l2-rt' : 'Image-rt') } as const] : []),
    ];
    await pack(`l1${sfx}`, l1, `L1 guest hypervisor initramfs: agent, arm64 QEMU + libraries, L2 kernel${rt ? 's (generic + PREEMPT_RT)' : ''} and initramfs`);
    const l0: CpioEntry[] = [
      ...b,
      ...vmm,
      fwcfgEntry,
      ...l0Mods,
      { path: 'next/Image', kind: 'hostfile', source: img('Image') },
      { path: 'next/l1.cpio', kind: 'hostfile', source: img(`l1${sfx}.cpio`) },
    ];
    await pack(`l0${sfx}`, l0, `L0 server initramfs: agent, arm64 QEMU + libraries, L1 kernel and l1${sfx}.cpio`);
  }
  log(`built ${Object.keys(artifacts).length} artifacts (${Date.now() - t} ms)`);
  await rm(paths.staging, { recursive: true, force: true });
  return { artifacts, rtos: { gcc: rtos.compiler.gcc, version: rtos.compiler.version, recipe: rtos.recipe } };
};
