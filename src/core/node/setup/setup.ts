// `nestbed setup`: make the machine ready to run. Idempotent: verifies what is cached (SHA-256)
// and only fetches or rebuilds what is missing or corrupt. `check` reports without changing anything.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { aptUpdate, guestAptConfig, readOsRelease, systemArchive } from './apt.js';
import { buildArtifacts, DIRECT_PACKAGES, downloadDebs, KERNEL_ABI, recipeHash, recordDebs, resolvePackageSpecs, verifyArtifacts, verifyDebs } from './guest-image.js';
import { ensureCrossCompiler } from './cross-compiler.js';
import { ensureHostQemu, type HostQemu } from './host-qemu.js';
import { readManifest, writeManifest, type Manifest, type PerCoreQemu } from './manifest.js';
import { ensureLeanKernels, LEAN_VARIANTS, leanKernelKey, verifyLeanKernel, type LeanKernels, type LeanVariant } from './lean-kernel.js';
import { ensurePerCoreQemu, perCoreKey, verifyPerCoreQemu } from './per-core-qemu.js';
import { cachePaths, type CachePaths } from './paths.js';

export interface SetupOptions {
  readonly cacheRoot: string;
  readonly check: boolean;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface SetupReport {
  readonly ok: boolean;
  readonly hostQemu?: HostQemu;
  readonly manifest?: Manifest;
  readonly actions: readonly string[];
  readonly problems: readonly string[];
  /** What works but is degraded (e.g. the per-core-time emulator could not be built). */
  readonly warnings: readonly string[];
  readonly ms: number;
}

/** Checks the cache: what is missing or corrupt. No network, no writes. */
export const inspectCache = async (paths: CachePaths): Promise<{ manifest?: Manifest; problems: string[] }> => {
  const manifest = await readManifest(paths.manifest);
  if (!manifest) return { problems: ['no artifact manifest (setup has not completed)'] };
  const problems: string[] = [];
  if (manifest.recipe !== (await recipeHash())) problems.push('the image recipe changed (guest/init.sh or the build steps); artifacts need a rebuild');
  for (const d of await verifyDebs(paths.debs, manifest.debs)) problems.push(`package ${d.file} missing or its SHA-256 does not match`);
  for (const a of await verifyArtifacts(paths.images, manifest.artifacts)) problems.push(`artifact ${a} missing or its SHA-256 does not match`);
  return { manifest, problems };
};

/** What works but is degraded because a lean kernel could not be built. */
const leanWarnings = (k: LeanKernels): string[] => [
  ...(k.generic?.status === 'unavailable' ? [`lean L2 kernel unavailable (Linux guests boot the generic kernel): ${k.generic.reason}`] : []),
  ...(k.rt?.status === 'unavailable' ? [`lean L2 PREEMPT_RT kernel unavailable (linux-rt guests boot Debian's generic RT kernel): ${k.rt.reason}`] : []),
];

export const runSetup = async (opts: SetupOptions): Promise<SetupReport> => {
  const started = Date.now();
  const paths = cachePaths(opts.cacheRoot);
  const actions: string[] = [];
  const log = opts.log;
  log(`cache: ${paths.root}`);
  let hostQemu: HostQemu | undefined;
  const problems: string[] = [];
  try {
    hostQemu = await ensureHostQemu(paths.aptHost, { check: opts.check, log, ...(opts.signal ? { signal: opts.signal } : {}) });
    log(`host emulator: ${hostQemu.path} ${hostQemu.version}`);
  } catch (e) {
    if (!opts.check) throw e;
    problems.push(e instanceof Error ? e.message : String(e));
  }
  try {
    const cc = await ensureCrossCompiler({ check: opts.check, log, ...(opts.signal ? { signal: opts.signal } : {}) });
    log(`cross compiler: ${cc.gcc} ${cc.version}`);
  } catch (e) {
    if (!opts.check) throw e;
    problems.push(e instanceof Error ? e.message : String(e));
  }
  const state = await inspectCache(paths);
  const perCoreProblem = hostQemu ? await verifyPerCoreQemu(paths.emulator, state.manifest?.perCoreQemu, await perCoreKey(hostQemu)) : undefined;
  const recordedLean: LeanKernels = { generic: state.manifest?.leanKernel, ...(LEAN_VARIANTS.includes('rt') ? { rt: state.manifest?.leanKernelRt } : {}) };
  const leanStale: { variant: LeanVariant; problem: string }[] = [];
  for (const variant of LEAN_VARIANTS) {
    const problem = await verifyLeanKernel(paths.kernels, recordedLean[variant], await leanKernelKey(variant), variant);
    if (problem) leanStale.push({ variant, problem });
  }
  const leanProblems = leanStale.map((s) => s.problem);
  const leanProblem = leanProblems.length > 0 ? leanProblems.join('; ') : undefined;
  const warnings: string[] = [];
  if (!leanProblem) for (const w of leanWarnings(recordedLean)) warnings.push(w);
  const recordedPerCore = state.manifest?.perCoreQemu;
  if (recordedPerCore?.status === 'unavailable' && !perCoreProblem) warnings.push(`per-core-time emulator unavailable: ${recordedPerCore.reason}`);
  if (opts.check) {
    problems.push(...state.problems, ...(perCoreProblem ? [perCoreProblem] : []), ...leanProblems);
    for (const p of problems) log(`problem: ${p}`);
    for (const w of warnings) log(`warning: ${w}`);
    if (problems.length === 0) log('everything is in place');
    return { ok: problems.length === 0, ...(hostQemu ? { hostQemu } : {}), ...(state.manifest ? { manifest: state.manifest } : {}), actions, problems, warnings, ms: Date.now() - started };
  }
  if (!hostQemu) throw new InfrastructureError('host emulator unavailable');
  // what this setup will build, and about how long (measured on a 2-core machine), before it starts
  const plan = [
    ...(leanStale.length > 0 ? [`the L2 guests' kernels (${leanStale.map((s) => (s.variant === 'rt' ? 'PREEMPT_RT' : 'generic')).join(' and ')}) from Debian's source (~${6 * leanStale.length} min)`] : []),
    ...(state.problems.length > 0 || !state.manifest ? ['the guest image set from Debian packages (~1–2 min)'] : []),
    ...(perCoreProblem ? ["nestbed's emulator from Debian's QEMU source (~7 min)"] : []),
  ];
  if (plan.length > 0) log(`to build: ${plan.join('; ')}${plan.length > 1 ? ' — about 15–20 min in all on 2 cores the first time' : ''}`);
  const perCore = async (): Promise<PerCoreQemu> => {
    if (!perCoreProblem && recordedPerCore) return recordedPerCore;
    log(`per-core-time emulator: ${perCoreProblem ?? 'building'}`);
    const t = Date.now();
    const r = await ensurePerCoreQemu({ root: paths.emulator, aptHost: paths.aptHost, aptSource: paths.aptSource, log, ...(opts.signal ? { signal: opts.signal } : {}) }, hostQemu, recordedPerCore);
    if (r.status === 'built') {
      actions.push('built the per-core-time emulator');
      log(`per-core-time emulator: ${r.file} (${r.version}; ${((Date.now() - t) / 1000).toFixed(0)} s)`);
    } else warnings.push(`per-core-time emulator unavailable: ${r.reason}`);
    return r;
  };
  // the lean L2 kernels first: they go into l1.cpio / l1-rt.cpio, so a new one means new artifacts
  let lean: LeanKernels = recordedLean;
  if (leanProblem) {
    log(`L2 guests' kernels: ${leanProblem}`);
    lean = await ensureLeanKernels({ root: paths.kernels, aptGuest: paths.aptGuest, aptHost: paths.aptHost, log, ...(opts.signal ? { signal: opts.signal } : {}) }, recordedLean);
    for (const v of LEAN_VARIANTS) if (lean[v]?.status === 'built' && lean[v] !== recordedLean[v]) actions.push(`built the lean L2 ${v === 'rt' ? 'PREEMPT_RT ' : ''}kernel`);
    warnings.push(...leanWarnings(lean));
  }
  const leanRecords = { ...(lean.generic ? { leanKernel: lean.generic } : {}), ...(lean.rt ? { leanKernelRt: lean.rt } : {}) };
  for (const [artifact, rec] of [['Image-l2', lean.generic], ['Image-l2-rt', lean.rt]] as const) {
    const recorded = state.manifest?.artifacts[artifact];
    const stale = rec?.status === 'built' ? recorded?.sha256 !== rec.sha256 : recorded !== undefined;
    if (stale) state.problems.push(`the L2 guests' kernel ${artifact} changed; artifacts need a rebuild`);
  }
  if (state.problems.length === 0 && state.manifest) {
    if (!perCoreProblem && !leanProblem) {
      log('guest image set and per-core-time emulator verified (SHA-256), nothing to do');
      return { ok: true, hostQemu, manifest: state.manifest, actions, problems, warnings, ms: Date.now() - started };
    }
    // a lean-kernel record of a variant setup no longer builds is dropped (leanRecords has the others)
    const recorded: Manifest = { ...state.manifest };
    delete recorded.leanKernelRt;
    const manifest: Manifest = { ...recorded, perCoreQemu: await perCore(), ...leanRecords };
    await writeManifest(paths.manifest, manifest);
    log(`manifest written: ${paths.manifest}`);
    return { ok: true, hostQemu, manifest, actions, problems, warnings, ms: Date.now() - started };
  }
  for (const p of state.problems) log(`repairing: ${p}`);
  await mkdir(paths.debs, { recursive: true });
  // 1. packages: the recorded set when there is one (pinned versions), else resolve afresh
  let debs = state.manifest?.debs;
  const badDebs = debs ? await verifyDebs(paths.debs, debs) : undefined;
  // packages a newer recipe needs that the recorded set lacks (e.g. the vsock modules): fetched and added
  const newDirect = debs ? DIRECT_PACKAGES.filter((p) => !debs?.some((d) => d.package === p)) : [];
  if (!debs || (badDebs && badDebs.length > 0) || newDirect.length > 0) {
    const os = await readOsRelease();
    const sys = await systemArchive(os.codename || 'bookworm');
    const cfg = await guestAptConfig(paths.aptGuest, sys.source);
    let t = Date.now();
    if (await aptUpdate(cfg, false, opts.signal)) log(`apt lists (trixie, trixie-backports; arm64) fetched into the cache (${Date.now() - t} ms)`);
    t = Date.now();
    const { rm } = await import('node:fs/promises');
    let specs: string[];
    if (debs && badDebs) {
      for (const d of badDebs) await rm(`${paths.debs}/${d.file}`, { force: true });
      specs = [...badDebs.map((d) => `${d.package}=${d.version}`), ...newDirect];
    } else {
      specs = await resolvePackageSpecs(cfg, opts.signal);
    }
    log(`downloading ${specs.length} arm64 packages`);
    await downloadDebs(cfg, paths.debs, specs, opts.signal);
    actions.push(`downloaded ${specs.length} packages`);
    log(`downloaded (${Date.now() - t} ms)`);
    const recorded = await recordDebs(paths.debs);
    if (debs) {
      const again = await verifyDebs(paths.debs, debs);
      if (again.length > 0) throw new InfrastructureError(`re-downloaded packages still do not match their recorded SHA-256: ${again.map((d) => d.file).join(', ')}`, 'the archive now serves other versions; delete the cache directory and run setup again');
      const added = recorded.filter((d) => (newDirect as readonly string[]).includes(d.package));
      const lacking = newDirect.filter((p) => !added.some((d) => d.package === p));
      if (lacking.length > 0) throw new InfrastructureError(`packages ${lacking.join(', ')} were not downloaded`);
      debs = [...debs, ...added].sort((a, b) => a.file.localeCompare(b.file));
    } else {
      const wanted = new Set(specs.map((s) => s.split('=')[0]));
      debs = recorded.filter((d) => wanted.has(d.package));
    }
  }
  // 2. artifacts
  const t = Date.now();
  const leanImage = (rec: LeanKernels['generic'], what: string): { path: string; description: string } | undefined =>
    rec?.status === 'built' ? { path: join(paths.kernels, rec.file), description: `Linux ${rec.source.version} for the ${what}, allnoconfig + guest/kernel/l2-lean.fragment (${rec.compiler})` } : undefined;
  const l2Kernels = { generic: leanImage(lean.generic, 'L2 Linux guests'), rt: leanImage(lean.rt, 'L2 linux-rt guests, PREEMPT_RT') };
  const { artifacts, rtos } = await buildArtifacts(paths, debs, log, opts.signal, l2Kernels);
  actions.push('built the guest image set');
  const manifest: Manifest = {
    manifestVersion: 1,
    recipe: await recipeHash(),
    builtAt: new Date().toISOString(),
    buildMs: Date.now() - t,
    kernelAbi: KERNEL_ABI,
    hostQemu: { path: hostQemu.path, version: hostQemu.version },
    debs,
    artifacts,
    rtos,
    perCoreQemu: await perCore(),
    ...leanRecords,
  };
  await writeManifest(paths.manifest, manifest);
  log(`manifest written: ${paths.manifest}`);
  return { ok: true, hostQemu, manifest, actions, problems, warnings, ms: Date.now() - started };
};
