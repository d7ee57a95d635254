// `nestbed verify`: reads a bundle safely (tar-reader.ts: nothing is extracted or written) and checks
//   1. the archive: hostile or unreadable → UnsafeArchiveError (exit 2), before anything else;
//   2. the manifest: present, of this format version (another version → InputError, exit 2);
//   3. coverage: every file listed is there with its size and SHA-256, and nothing else is (added,
//      removed and renamed files are named); the manifest agrees with itself and the attestation;
//   4. the signature: with --key, manifest.sig must verify with that key; a manifest that records a
//      signature needs its manifest.sig even without --key;
//   5. the topology still validates against this nestbed's ECU profiles.
// Problems of 2–5 are data (VerifyReport.problems, each naming its file): exit 1.
import type { KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { checkReportSchema, type CheckReport } from '../../common/model/check-report.js';
import { InputError } from '../../common/model/errors.js';
import type { EcuProfile } from '../../common/model/profile.js';
import { runResultsSchema } from '../../common/model/run-results.js';
import { validateTopology } from '../../common/validate/validate-topology.js';
import { toolVersion } from '../version.js';
import { statementSchema } from './attestation.js';
import { BUNDLE_FILES, BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, bundleManifestSchema, signatureFileSchema, type BundleImage, type BundleManifest } from './bundle-layout.js';
import { publicKeyFingerprint, signatureValid } from './signing.js';
import { UnsafeArchiveError, readTarGz, type ArchiveFile, type ReadArchive } from './tar-reader.js';

export const VERIFY_REPORT_VERSION = 1;

export interface VerifyProblem {
  /** The bundle file the problem is about. */
  readonly file: string;
  readonly message: string;
}

export type SignatureState =
  | { readonly state: 'verified'; readonly publicKeySha256: string }
  | { readonly state: 'not-checked'; readonly publicKeySha256: string }
  | { readonly state: 'unsigned' }
  | { readonly state: 'failed'; readonly publicKeySha256: string | null };

export interface VerifyReport {
  readonly schemaVersion: typeof VERIFY_REPORT_VERSION;
  readonly tool: 'nestbed';
  readonly toolVersion: string;
  readonly command: 'verify';
  readonly bundle: string;
  readonly ok: boolean;
  readonly problems: readonly VerifyProblem[];
  readonly archive: { readonly compressedBytes: number; readonly tarBytes: number; readonly files: number };
  /** From the manifest (null when it could not be read). */
  readonly format: { readonly name: string; readonly version: number } | null;
  readonly nestbedVersion: string | null;
  readonly topology: { readonly name: string; readonly sha256: string; readonly sourceFile: string } | null;
  readonly validation: { readonly valid: boolean; readonly errors: number; readonly warnings: number; readonly profile: string | null } | null;
  readonly profile: { readonly id: string; readonly source: 'topology' | 'option'; readonly name: string | null; readonly sameAsCatalog: boolean | null } | null;
  readonly signature: SignatureState;
  readonly images: { readonly included: boolean; readonly omitted: string | null; readonly artifacts: readonly BundleImage[] } | null;
  readonly run: {
    readonly status: string;
    readonly timing: string;
    readonly startedAt: string;
    readonly success: boolean | null;
    readonly summary: CheckReport['summary'] | null;
    readonly checks: readonly { readonly id: string; readonly guest: string | null; readonly verdict: string }[];
    readonly imageMismatches: NonNullable<BundleManifest['run']>['imageMismatches'];
  } | null;
}

export interface VerifyRequest {
  /** The bundle to read. */
  readonly file: string;
  /** How to name it in messages (default: file). */
  readonly shown?: string;
  readonly key?: { readonly file: string; readonly key: KeyObject };
  readonly profiles: ReadonlyMap<string, EcuProfile>;
}

const json = (f: ArchiveFile | undefined): unknown => {
  if (!f?.data) return undefined;
  try {
    return JSON.parse(f.data.toString('utf8'));
  } catch {
    return undefined;
  }
};

const short = (h: string | null | undefined): string => (h ? `${h.slice(0, 12)}…` : 'none');

/** Files listed vs files present: missing, added (renamed when an added file has a missing one's
 * content), changed. */
const coverage = (m: BundleManifest, present: ReadonlyMap<string, ArchiveFile>, problems: VerifyProblem[]): void => {
  const listed = new Map<string, BundleManifest['files'][number]>();
  for (const f of m.files) {
    if (listed.has(f.path)) problems.push({ file: BUNDLE_FILES.manifest, message: `lists ${f.path} twice` });
    if (f.path === BUNDLE_FILES.manifest || f.path === BUNDLE_FILES.signature) problems.push({ file: BUNDLE_FILES.manifest, message: `lists ${f.path}, which it cannot cover` });
    listed.set(f.path, f);
  }
  const added = [...present.values()].filter((f) => f.path !== BUNDLE_FILES.manifest && f.path !== BUNDLE_FILES.signature && !listed.has(f.path));
  const missing = [...listed.values()].filter((f) => !present.has(f.path));
  for (const f of missing) {
    const renamed = added.find((a) => a.sha256 === f.sha256 && a.size === f.size);
    problems.push({ file: f.path, message: `missing: listed in manifest.json but not in the bundle${renamed ? ` (renamed to ${renamed.path}?)` : ''}` });
  }
  for (const a of added) {
    const was = missing.find((f) => f.sha256 === a.sha256 && f.size === a.size);
    problems.push({ file: a.path, message: `added: in the bundle but not listed in manifest.json${was ? ` (same content as the missing ${was.path}: renamed)` : ''}` });
  }
  for (const f of listed.values()) {
    const p = present.get(f.path);
    if (!p) continue;
    if (p.size !== f.size) problems.push({ file: f.path, message: `changed: ${p.size} bytes, manifest.json says ${f.size}` });
    else if (p.sha256 !== f.sha256) problems.push({ file: f.path, message: `changed: SHA-256 ${short(p.sha256)} does not match manifest.json's ${short(f.sha256)}` });
  }
};

/** The manifest's own statements agree with its file list, and the attestation with both. */
const consistency = (m: BundleManifest, present: ReadonlyMap<string, ArchiveFile>, problems: VerifyProblem[]): void => {
  const listed = new Map(m.files.map((f) => [f.path, f]));
  const claim = (path: string, sha: string | null, what: string): void => {
    const f = listed.get(path);
    if (!f) problems.push({ file: BUNDLE_FILES.manifest, message: `${what} names ${path}, which the file list does not have` });
    else if (sha !== null && f.sha256 !== sha) problems.push({ file: BUNDLE_FILES.manifest, message: `${what} says ${path} has SHA-256 ${short(sha)}, the file list ${short(f.sha256)}` });
  };
  claim(m.topology.file, m.topology.sha256, 'topology');
  if (m.profile) claim(m.profile.file, m.profile.sha256, 'profile');
  for (const p of [BUNDLE_FILES.normalized, BUNDLE_FILES.validation, BUNDLE_FILES.plan, BUNDLE_FILES.sbom, BUNDLE_FILES.attestation]) claim(p, null, 'the bundle layout');
  if (m.images.included) for (const i of m.images.artifacts) claim(i.path, i.sha256, `image ${i.artifact}`);
  else for (const i of m.images.artifacts) if (listed.has(i.path)) problems.push({ file: i.path, message: 'manifest.json says the images are not included, but lists this one' });
  for (const r of m.run?.files ?? []) claim(r, null, 'run');

  const statement = statementSchema.safeParse(json(present.get(BUNDLE_FILES.attestation)));
  if (!present.get(BUNDLE_FILES.attestation)) return;
  if (!statement.success) {
    problems.push({ file: BUNDLE_FILES.attestation, message: 'not an in-toto Statement v1 of the nestbed predicate' });
    return;
  }
  const subjects = new Map(statement.data.subject.map((s) => [s.name, s.digest.sha256]));
  const expected = m.files.filter((f) => f.path !== BUNDLE_FILES.attestation);
  const wrong = expected.filter((f) => subjects.get(f.path) !== f.sha256).map((f) => f.path);
  const extra = [...subjects.keys()].filter((n) => !expected.some((f) => f.path === n));
  if (wrong.length || extra.length) {
    problems.push({ file: BUNDLE_FILES.attestation, message: `its subjects do not match manifest.json (${[...wrong.map((w) => `${w} differs or is absent`), ...extra.map((x) => `${x} is not in the manifest`)].join('; ')})` });
  }
  const p = statement.data.predicate;
  if (p.topology.sha256 !== m.topology.sha256 || p.nestbedVersion !== m.nestbedVersion) problems.push({ file: BUNDLE_FILES.attestation, message: 'its predicate names another topology or nestbed version than manifest.json' });
};

const checkSignature = (m: BundleManifest, manifestBytes: Buffer, present: ReadonlyMap<string, ArchiveFile>, key: VerifyRequest['key'], problems: VerifyProblem[]): SignatureState => {
  const sigFile = present.get(BUNDLE_FILES.signature);
  const recorded = m.signature?.publicKeySha256 ?? null;
  if (!sigFile) {
    if (m.signature) {
      problems.push({ file: BUNDLE_FILES.signature, message: `missing: manifest.json says the bundle was signed (key SHA-256 ${recorded})` });
      return { state: 'failed', publicKeySha256: recorded };
    }
    if (key) {
      problems.push({ file: BUNDLE_FILES.signature, message: `missing: the bundle is not signed, but --key ${key.file} was given` });
      return { state: 'failed', publicKeySha256: null };
    }
    return { state: 'unsigned' };
  }
  if (!m.signature) {
    problems.push({ file: BUNDLE_FILES.signature, message: 'added: manifest.json records no signature' });
    return { state: 'failed', publicKeySha256: null };
  }
  const sig = signatureFileSchema.safeParse(json(sigFile));
  if (!sig.success) {
    problems.push({ file: BUNDLE_FILES.signature, message: 'not a nestbed Ed25519 signature file' });
    return { state: 'failed', publicKeySha256: recorded };
  }
  if (sig.data.publicKeySha256 !== m.signature.publicKeySha256) {
    problems.push({ file: BUNDLE_FILES.signature, message: `names key SHA-256 ${sig.data.publicKeySha256}, manifest.json ${m.signature.publicKeySha256}` });
    return { state: 'failed', publicKeySha256: recorded };
  }
  if (!key) return { state: 'not-checked', publicKeySha256: sig.data.publicKeySha256 };
  const given = publicKeyFingerprint(key.key);
  if (!signatureValid(manifestBytes, sig.data, key.key)) {
    const why = given === sig.data.publicKeySha256 ? 'manifest.json was changed after signing' : `the bundle was signed with key SHA-256 ${sig.data.publicKeySha256}, --key ${key.file} is ${given}`;
    problems.push({ file: BUNDLE_FILES.signature, message: `the signature of manifest.json does not verify with --key ${key.file} (${why})` });
    return { state: 'failed', publicKeySha256: sig.data.publicKeySha256 };
  }
  return { state: 'verified', publicKeySha256: sig.data.publicKeySha256 };
};

const runSummary = (m: BundleManifest, present: ReadonlyMap<string, ArchiveFile>, problems: VerifyProblem[]): VerifyReport['run'] => {
  if (!m.run) return null;
  let check: CheckReport | undefined;
  if (present.has(BUNDLE_FILES.check)) {
    const c = checkReportSchema.safeParse(json(present.get(BUNDLE_FILES.check)));
    if (c.success) check = c.data;
    else problems.push({ file: BUNDLE_FILES.check, message: 'not a check report this nestbed reads' });
  }
  if (present.has(BUNDLE_FILES.results) && !runResultsSchema.safeParse(json(present.get(BUNDLE_FILES.results))).success) {
    problems.push({ file: BUNDLE_FILES.results, message: 'not a results file this nestbed reads' });
  }
  return {
    status: m.run.status,
    timing: m.run.timing,
    startedAt: m.run.startedAt,
    success: check?.success ?? m.run.success,
    summary: check?.summary ?? null,
    checks: (check?.checks ?? []).map((c) => ({ id: c.id, guest: c.guest ?? null, verdict: c.verdict })),
    imageMismatches: m.run.imageMismatches,
  };
};

export const verifyBundle = async (req: VerifyRequest): Promise<VerifyReport> => (await verifyBundleFiles(req)).report;

/** verifyBundle, with the files it read (images hashed, not kept). */
export const verifyBundleFiles = async (req: VerifyRequest): Promise<{ report: VerifyReport; files: readonly ArchiveFile[] }> => {
  const { report, archive } = await verifyArchive(req);
  return { report, files: archive?.files ?? [] };
};

const verifyArchive = async (req: VerifyRequest): Promise<{ report: VerifyReport; archive?: ReadArchive }> => {
  const shown = req.shown ?? req.file;
  let archive;
  try {
    archive = await readTarGz(req.file);
  } catch (e) {
    if (e instanceof UnsafeArchiveError) throw new UnsafeArchiveError(`${shown}: ${e.message} — refused; nothing was extracted or written`);
    throw e;
  }
  const present = new Map(archive.files.map((f) => [f.path, f]));
  const problems: VerifyProblem[] = [];
  const base = {
    schemaVersion: VERIFY_REPORT_VERSION,
    tool: 'nestbed',
    toolVersion: toolVersion(),
    command: 'verify',
    bundle: shown,
    archive: { compressedBytes: archive.compressedBytes, tarBytes: archive.tarBytes, files: archive.files.length },
  } as const;
  const empty = { format: null, nestbedVersion: null, topology: null, validation: null, profile: null, images: null, run: null, signature: { state: 'unsigned' } } as const;
  const manifestFile = present.get(BUNDLE_FILES.manifest);
  if (!manifestFile?.data) {
    problems.push({ file: BUNDLE_FILES.manifest, message: manifestFile ? 'too large to be a bundle manifest' : 'missing: this is not an intact nestbed bundle' });
    return { report: { ...base, ...empty, ok: false, problems } };
  }
  const raw = json(manifestFile);
  const head = raw as { format?: unknown; formatVersion?: unknown } | undefined;
  if (head && typeof head === 'object' && head.format === BUNDLE_FORMAT && typeof head.formatVersion === 'number' && head.formatVersion !== BUNDLE_FORMAT_VERSION) {
    throw new InputError(`${shown}: bundle format version ${head.formatVersion} is not supported by nestbed ${toolVersion()} (it reads version ${BUNDLE_FORMAT_VERSION})`);
  }
  const parsed = bundleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    problems.push({ file: BUNDLE_FILES.manifest, message: raw === undefined ? 'not JSON' : `not a nestbed bundle manifest (${i ? `${i.path.join('.') || 'the document'}: ${i.message}` : 'schema'})` });
    return { report: { ...base, ...empty, ok: false, problems } };
  }
  const m = parsed.data;
  const signature = checkSignature(m, manifestFile.data, present, req.key, problems);
  coverage(m, present, problems);
  consistency(m, present, problems);

  // the topology against this nestbed's rules and profiles
  let validation: VerifyReport['validation'] = null;
  let profile: VerifyReport['profile'] = null;
  const topo = present.get(BUNDLE_FILES.topology)?.data;
  if (m.profile) {
    const current = req.profiles.get(m.profile.id);
    const bundled = json(present.get(BUNDLE_FILES.profile));
    profile = { id: m.profile.id, source: m.profile.source, name: current?.name ?? null, sameAsCatalog: current ? isDeepStrictEqual(JSON.parse(JSON.stringify(current)), bundled) : null };
    if (!current) problems.push({ file: BUNDLE_FILES.profile, message: `profile "${m.profile.id}" is not one of this nestbed's ECU profiles (known: ${[...req.profiles.keys()].sort().join(', ')})` });
  }
  if (topo && (!m.profile || req.profiles.has(m.profile.id))) {
    const v = validateTopology(topo.toString('utf8'), { profiles: req.profiles, ...(m.profile?.source === 'option' ? { profileOverride: m.profile.id } : {}) });
    validation = { valid: v.valid !== undefined, errors: v.errors, warnings: v.warnings, profile: v.profile?.id ?? null };
    for (const d of v.diagnostics.filter((x) => x.severity === 'error').slice(0, 10)) problems.push({ file: BUNDLE_FILES.topology, message: `no longer validates: ${d.line}:${d.column}: ${d.code}: ${d.message}` });
    if (v.topology && v.topology.name !== m.topology.name) problems.push({ file: BUNDLE_FILES.topology, message: `is topology "${v.topology.name}", manifest.json says "${m.topology.name}"` });
  }
  const run = runSummary(m, present, problems);
  const report: VerifyReport = {
    ...base,
    ok: problems.length === 0,
    problems,
    format: { name: m.format, version: m.formatVersion },
    nestbedVersion: m.nestbedVersion,
    topology: { name: m.topology.name, sha256: m.topology.sha256, sourceFile: m.topology.sourceFile },
    validation,
    profile,
    signature,
    images: { included: m.images.included, omitted: m.images.omitted ?? null, artifacts: m.images.artifacts },
    run,
  };
  return { report, archive };
};
