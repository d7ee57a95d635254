// `nestbed export`: validate → gather the payload → write the bundle atomically. The layout is in
// docs/bundles.md and bundle-layout.ts. Nothing is written when any step fails: an invalid topology
// returns its validation; bad options, an unusable run directory or a key are InputErrors; a missing or
// corrupt image set is an InfrastructureError — all before or instead of the rename that makes the
// bundle appear.
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkReportSchema } from '../../common/model/check-report.js';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import type { EcuProfile } from '../../common/model/profile.js';
import { runResultsSchema, type RunResults } from '../../common/model/run-results.js';
import type { ValidTopology } from '../../common/model/topology.js';
import type { ValidationReport } from '../../common/model/validation-report.js';
import { toValidationReport } from '../../common/report/validation-report.js';
import type { Validation } from '../../common/validate/validate-topology.js';
import { customImageEntries } from '../custom-image.js';
import { runPayload } from '../run/payload.js';
import { Session } from '../session/session.js';
import { readManifest, type Manifest } from '../setup/manifest.js';
import { cachePaths } from '../setup/paths.js';
import { checkMemory, needsRtImage } from '../stack/plan.js';
import { toolVersion } from '../version.js';
import { buildStatement } from './attestation.js';
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, IMAGES_DIR, PAYLOAD_DIR, bundleEpoch, jsonText, type BundleFile, type BundleImage, type BundleManifest } from './bundle-layout.js';
import { launchPlan } from './launch-plan.js';
import { checkOutputPath, writeOutputAtomic } from './output-file.js';
import { loadSigningKey, publicKeyFingerprint, signManifest } from './signing.js';
import { BUNDLE_LIMITS } from './tar-reader.js';
import { SourceMismatchError, sourceSize, writeTarGz, type TarEntry } from './tar-writer.js';

export interface ExportRequest {
  /** The topology file, relative to cwd or absolute. */
  readonly topologyFile: string;
  readonly cwd: string;
  /** The bundle to write, relative to cwd or absolute. */
  readonly output: string;
  readonly cacheRoot: string;
  /** SOURCE_DATE_EPOCH is read from here. */
  readonly env: NodeJS.ProcessEnv;
  /** An ECU profile id overriding the topology's (the caller checked that it exists). */
  readonly profile?: string;
  /** A finished run directory whose results.json, check.json and report.html go into results/. */
  readonly runDir?: string;
  /** PEM Ed25519 private key: manifest.json is signed (manifest.sig). */
  readonly signKeyFile?: string;
  /** false: the guest images stay out of the bundle (recorded in the manifest). */
  readonly images: boolean;
  readonly force: boolean;
  readonly signal?: AbortSignal;
}

export type ExportOutcome =
  | { readonly kind: 'invalid'; readonly validation: Validation; readonly text: string | undefined; readonly report: ValidationReport }
  | {
      readonly kind: 'written';
      readonly path: string;
      readonly bytes: number;
      readonly entries: number;
      readonly ms: number;
      readonly manifest: BundleManifest;
      /** Things the user should know (a run made with other images …). */
      readonly warnings: readonly string[];
    };

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

interface Payload {
  readonly path: string;
  readonly data: Buffer;
}

/** The cache file names of the artifacts when there is no cache manifest (--no-images). */
const DEFAULT_FILES: Readonly<Record<string, string>> = { Image: 'Image', l0: 'l0.cpio', 'l0-rt': 'l0-rt.cpio', l1: 'l1.cpio', 'l1-rt': 'l1-rt.cpio' };

/** The guest artifacts: L0's kernel and initramfs (the emulated stack; L1's initramfs is nested in
 * it) and L1's initramfs on its own (what the launcher runs with on a KVM host), from the cache
 * manifest. */
const planImages = async (t: ValidTopology, cache: Manifest | undefined, imagesDir: string, include: boolean): Promise<BundleImage[]> => {
  const rt = needsRtImage(t);
  const wanted: [string, BundleImage['role']][] = [['Image', 'l0-kernel'], [rt ? 'l0-rt' : 'l0', 'l0-initrd'], [rt ? 'l1-rt' : 'l1', 'l1-userland']];
  const out: BundleImage[] = [];
  for (const [name, role] of wanted) {
    const a = cache?.artifacts[name];
    if (!a) {
      if (include) throw new InfrastructureError(`the guest image set has no artifact "${name}"`, 'run "nestbed setup" (or export with --no-images)');
      out.push({ artifact: name, role, path: `${IMAGES_DIR}/${DEFAULT_FILES[name]}`, sha256: null, size: null, description: 'not in the cache manifest' });
      continue;
    }
    if (include) {
      const st = await stat(join(imagesDir, a.file)).catch(() => undefined);
      if (!st?.isFile() || st.size !== a.size) {
        throw new InfrastructureError(`guest artifact ${name} (${join(imagesDir, a.file)}) is ${st ? `${st.size} bytes, the cache manifest says ${a.size}` : 'missing'}`, 'run "nestbed setup" to rebuild the image set');
      }
    }
    out.push({ artifact: name, role, path: `${IMAGES_DIR}/${a.file}`, sha256: a.sha256, size: a.size, description: a.description });
  }
  return out;
};

interface RunPayload {
  readonly files: Payload[];
  readonly results: RunResults;
  readonly success: boolean | null;
  /** The profile check.json was judged against (undefined without a check.json). */
  readonly profile?: string | null;
}

/** results.json (required, of a supported version, made from this topology), check.json and
 * report.html (when present). */
const readRun = async (dir: string, topologySha: string): Promise<RunPayload> => {
  const read = async (name: string): Promise<Buffer | undefined> =>
    readFile(join(dir, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw new InputError(`--run ${dir}: cannot read ${name} (${e.code ?? e.message})`);
    });
  const resultsBytes = await read('results.json');
  if (!resultsBytes) throw new InputError(`--run ${dir} is not a run directory: it has no results.json`);
  const parseJson = (b: Buffer, name: string): unknown => {
    try {
      return JSON.parse(b.toString('utf8'));
    } catch (e) {
      throw new InputError(`--run ${dir}: ${name} is not JSON (${(e as Error).message})`);
    }
  };
  const results = runResultsSchema.safeParse(parseJson(resultsBytes, 'results.json'));
  if (!results.success) throw new InputError(`--run ${dir}: results.json is not a nestbed results file of a supported version`);
  const made = results.data.topology.sha256;
  if (made !== topologySha) {
    throw new InputError(`--run ${dir} was made from ${made ? `a different topology (sha256 ${made.slice(0, 12)}…, the exported one is ${topologySha.slice(0, 12)}…)` : 'a topology it does not record the SHA-256 of'}; export the topology that run was made from`);
  }
  const files: Payload[] = [{ path: BUNDLE_FILES.results, data: resultsBytes }];
  const check = await read('check.json');
  let judged: { success: boolean; profile: string | null } | undefined;
  if (check) {
    const c = checkReportSchema.safeParse(parseJson(check, 'check.json'));
    if (!c.success) throw new InputError(`--run ${dir}: check.json is not a nestbed check report of a supported version`);
    judged = { success: c.data.success, profile: c.data.profile };
    files.push({ path: BUNDLE_FILES.check, data: check });
  }
  const html = await read('report.html');
  if (html) files.push({ path: BUNDLE_FILES.report, data: html });
  return { files, results: results.data, success: judged?.success ?? null, ...(judged ? { profile: judged.profile } : {}) };
};

/** The run's artifacts whose SHA-256 differs from the image set the bundle carries. */
const imageMismatches = (run: RunResults, cache: Manifest | undefined): { artifact: string; run: string; bundle: string }[] => {
  if (!cache) return [];
  return Object.entries(run.artifacts ?? {})
    .flatMap(([name, a]) => {
      const c = cache.artifacts[name];
      return c && c.sha256 !== a.sha256 ? [{ artifact: name, run: a.sha256, bundle: c.sha256 }] : [];
    })
    .sort((a, b) => (a.artifact < b.artifact ? -1 : a.artifact > b.artifact ? 1 : 0));
};

/** Everything a bundle is made of, gathered and checked. */
interface BundleInputs {
  readonly topology: ValidTopology;
  readonly text: string;
  readonly sourceFile: string;
  readonly validation: Validation;
  readonly profile: EcuProfile | undefined;
  readonly profileSource: 'topology' | 'option';
  readonly epoch: ReturnType<typeof bundleEpoch>;
  readonly key: KeyObject | undefined;
  readonly cache: Manifest | undefined;
  readonly images: readonly BundleImage[];
  readonly includeImages: boolean;
  /** Where each image's bytes are read from. */
  readonly imageSource: (img: BundleImage) => string;
  readonly run: RunPayload | undefined;
  /** The os: custom guests' files (payload/c<i>/...). */
  readonly customEntries: ReturnType<typeof customImageEntries>['entries'];
  readonly mismatches: NonNullable<BundleManifest['run']>['imageMismatches'];
}

/** The archive's entries: payload, SBOM, attestation, then the manifest over all of them and its
 * signature, and the images streamed from their files. */
const bundleEntries = async (i: BundleInputs): Promise<{ entries: TarEntry[]; manifest: BundleManifest }> => {
  const t = i.topology;
  const topologySha = sha256(i.text);
  const byRole = (r: BundleImage['role']): string | undefined => i.images.find((x) => x.role === r)?.path;
  const plan = launchPlan(t, i.profile, { kernel: byRole('l0-kernel')!, initrd: byRole('l0-initrd')!, payloadArchive: 'payload.cpio' });
  const payload: Payload[] = [
    ...runPayload(plan.launcher.words, i.customEntries).map((f) => ({ path: `${PAYLOAD_DIR}/${f.path}`, data: f.data })),
    { path: BUNDLE_FILES.topology, data: Buffer.from(i.text, 'utf8') },
    { path: BUNDLE_FILES.normalized, data: Buffer.from(jsonText(t)) },
    ...(i.profile ? [{ path: BUNDLE_FILES.profile, data: Buffer.from(jsonText(i.profile)) }] : []),
    { path: BUNDLE_FILES.validation, data: Buffer.from(jsonText(toValidationReport(i.validation, BUNDLE_FILES.topology, toolVersion()))) },
    { path: BUNDLE_FILES.plan, data: Buffer.from(jsonText(plan)) },
    ...(i.run?.files ?? []),
  ];
  // loaded here, not at start-up: the CycloneDX library costs every other CLI command ~0.2 s
  const { buildSbom } = await import('./sbom.js');
  const sbom = buildSbom({ nestbedVersion: toolVersion(), topology: { name: t.name, sha256: topologySha }, profileId: i.profile?.id ?? null, epochSeconds: i.epoch.seconds, images: i.images, imagesIncluded: i.includeImages, cache: i.cache });
  payload.push({ path: BUNDLE_FILES.sbom, data: Buffer.from(sbom) });
  const listed = (): BundleFile[] => [
    ...payload.map((p) => ({ path: p.path, sha256: sha256(p.data), size: p.data.length })),
    ...(i.includeImages ? i.images.map((x) => ({ path: x.path, sha256: x.sha256!, size: x.size! })) : []),
  ];
  const statement = buildStatement(listed(), {
    nestbedVersion: toolVersion(),
    topology: { name: t.name, sha256: topologySha },
    profile: i.profile?.id ?? null,
    validation: { success: i.validation.errors === 0, errors: i.validation.errors, warnings: i.validation.warnings },
    images: { included: i.includeImages, artifacts: i.images.map((x) => ({ path: x.path, sha256: x.sha256 })) },
    run: i.run ? { status: i.run.results.status, success: i.run.success } : null,
  });
  payload.push({ path: BUNDLE_FILES.attestation, data: Buffer.from(jsonText(statement)) });

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    nestbedVersion: toolVersion(),
    sourceDateEpoch: i.epoch.seconds,
    epochSource: i.epoch.source,
    topology: { name: t.name, file: BUNDLE_FILES.topology, sha256: topologySha, sourceFile: i.sourceFile },
    profile: i.profile ? { id: i.profile.id, file: BUNDLE_FILES.profile, sha256: sha256(payload.find((p) => p.path === BUNDLE_FILES.profile)!.data), source: i.profileSource } : null,
    images: { included: i.includeImages, ...(i.includeImages ? {} : { omitted: '--no-images' }), artifacts: [...i.images] },
    run: i.run
      ? { files: i.run.files.map((f) => f.path).sort(), status: i.run.results.status, timing: i.run.results.timing, startedAt: i.run.results.startedAt, success: i.run.success, imageMismatches: i.mismatches }
      : null,
    signature: i.key ? { algorithm: 'ed25519', file: BUNDLE_FILES.signature, publicKeySha256: publicKeyFingerprint(i.key) } : null,
    files: listed().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  const manifestBytes = Buffer.from(jsonText(manifest));
  const entries: TarEntry[] = [
    ...payload.map((p) => ({ path: p.path, source: { kind: 'bytes' as const, data: p.data } })),
    { path: BUNDLE_FILES.manifest, source: { kind: 'bytes', data: manifestBytes } },
    ...(i.key ? [{ path: BUNDLE_FILES.signature, source: { kind: 'bytes' as const, data: Buffer.from(jsonText(signManifest(manifestBytes, i.key))) } }] : []),
    ...(i.includeImages ? i.images.map((x) => ({ path: x.path, source: { kind: 'file' as const, file: i.imageSource(x), size: x.size!, sha256: x.sha256! } })) : []),
  ];
  return { entries, manifest };
};

/** The archive into place (output-file.ts), with a source mismatch or a cancel as what they are. */
const writeBundle = async (out: string, force: boolean, entries: readonly TarEntry[], mtime: number, signal: AbortSignal | undefined): Promise<number> => {
  // never write a bundle that verify would refuse
  const big = entries.find((e) => sourceSize(e.source) > BUNDLE_LIMITS.maxEntryBytes);
  if (big) throw new InputError(`${big.path} is ${sourceSize(big.source)} bytes; a bundle file is limited to ${BUNDLE_LIMITS.maxEntryBytes} (what verify accepts)`);
  const total = entries.reduce((n, e) => n + sourceSize(e.source), 0);
  if (total > BUNDLE_LIMITS.maxTotalBytes) throw new InputError(`the bundle's files come to ${total} bytes; a bundle is limited to ${BUNDLE_LIMITS.maxTotalBytes} (what verify accepts)`);
  try {
    return await writeOutputAtomic(out, force, (s) => writeTarGz(entries, { mtime }, s, signal));
  } catch (e) {
    if (e instanceof SourceMismatchError) {
      throw new InfrastructureError(`${e.path}: ${e.file} has ${e.what} ${e.actual.slice(0, 16)}…, the image set's manifest says ${e.expected.slice(0, 16)}… (changed or corrupted); nothing was written`, 'run "nestbed setup" to rebuild the image set');
    }
    if ((e as Error).name === 'AbortError') throw new InfrastructureError('export cancelled; nothing was written');
    throw e;
  }
};

export const exportBundle = async (req: ExportRequest): Promise<ExportOutcome> => {
  const t0 = Date.now();
  const session = new Session({ cwd: req.cwd, cacheRoot: req.cacheRoot });
  const { validation, text } = await session.validateFile(req.topologyFile, req.profile);
  if (!validation.valid || text === undefined) return { kind: 'invalid', validation, text, report: toValidationReport(validation, req.topologyFile, toolVersion()) };
  const t = validation.valid;
  const out = resolve(req.cwd, req.output);
  await checkOutputPath(out, req.force);
  const epoch = bundleEpoch(req.env);
  const key = req.signKeyFile !== undefined ? await loadSigningKey(resolve(req.cwd, req.signKeyFile)) : undefined;
  const paths = cachePaths(req.cacheRoot);
  const cache = await readManifest(paths.manifest);
  if (req.images && !cache) throw new InfrastructureError(`no guest image set in ${paths.root}`, 'run "nestbed setup" first (or export with --no-images)');
  const images = await planImages(t, cache, paths.images, req.images);
  const l0 = cache?.artifacts[needsRtImage(t) ? 'l0-rt' : 'l0'];
  const l1 = cache?.artifacts[needsRtImage(t) ? 'l1-rt' : 'l1'];
  if (l0 && l1) checkMemory(t, l0.size, l1.size);

  const run = req.runDir !== undefined ? await readRun(resolve(req.cwd, req.runDir), sha256(text)) : undefined;
  const warnings: string[] = [];
  const mismatches = run ? imageMismatches(run.results, cache) : [];
  if (mismatches.length) warnings.push(`the run in ${req.runDir} booted other images than the image set this bundle ${req.images ? 'carries' : 'names'}: ${mismatches.map((m) => `${m.artifact} (run ${m.run.slice(0, 12)}…, bundle ${m.bundle.slice(0, 12)}…)`).join(', ')}; its verdicts were made with those (recorded in manifest.json)`);
  if (run?.profile !== undefined && run.profile !== (validation.profile?.id ?? null)) warnings.push(`the run in ${req.runDir} was judged against profile ${run.profile ?? 'none'}, the bundle carries ${validation.profile?.id ?? 'none'}`);

  let custom: ReturnType<typeof customImageEntries>;
  try {
    custom = customImageEntries(t.guests, dirname(session.resolve(req.topologyFile)));
  } catch (e) {
    throw new InputError(`os: custom image: ${(e as Error).message}`);
  }
  const { entries, manifest } = await bundleEntries({
    topology: t,
    text,
    sourceFile: basename(req.topologyFile),
    validation,
    profile: validation.profile,
    profileSource: req.profile !== undefined ? 'option' : 'topology',
    epoch,
    key,
    cache,
    images,
    includeImages: req.images,
    imageSource: (img) => join(paths.images, img.path.slice(IMAGES_DIR.length + 1)),
    run,
    customEntries: custom.entries,
    mismatches,
  });
  const bytes = await writeBundle(out, req.force, entries, epoch.seconds, req.signal);
  return { kind: 'written', path: out, bytes, entries: entries.length, ms: Date.now() - t0, manifest, warnings };
};
