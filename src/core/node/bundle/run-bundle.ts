// `nestbed run bundle.tar.gz`: what a bundle's run takes from it. The bundle must verify first (every
// hash, the manifest's coverage, the topology still validates); then its topology, its profile and
// its payload — the launcher, its words, run-on-host.sh — are what runs, not a fresh export. The
// emulated stack boots this machine's image set, and only when its SHA-256 digests are the ones the
// bundle records: what was validated is exactly what runs.
import { createHash } from 'node:crypto';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import type { EcuProfile } from '../../common/model/profile.js';
import type { PayloadFile } from '../run/payload.js';
import { BUNDLE_FILES, PAYLOAD_DIR, bundleManifestSchema } from './bundle-layout.js';
import { verifyBundleFiles } from './verify.js';

export interface OpenedBundle {
  readonly file: string;
  readonly topologyText: string;
  /** The profile the bundle was validated against, as an override when it was one. */
  readonly profileOverride?: string;
  readonly payload: readonly PayloadFile[];
  /** launch/plan.json, profile.json: copied into the run's launcher results directory. */
  readonly plan: Buffer;
  readonly profile?: Buffer;
  /** manifest.json and its SHA-256. */
  readonly manifest: Buffer;
  readonly manifestSha256: string;
  /** Image artifact → SHA-256 the bundle records (null: unknown, a --no-images bundle without a cache). */
  readonly images: Readonly<Record<string, string | null>>;
}

export const isBundlePath = (file: string): boolean => /\.(tar\.gz|tgz)$/i.test(file);

export const openBundle = async (file: string, shown: string, profiles: ReadonlyMap<string, EcuProfile>): Promise<OpenedBundle> => {
  const { report, files } = await verifyBundleFiles({ file, shown, profiles });
  if (!report.ok) {
    const p = report.problems[0]!;
    throw new InputError(`${shown} does not verify: ${p.file}: ${p.message}${report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : ''}; nothing was run (see "nestbed verify ${shown}")`);
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const data = (path: string): Buffer => {
    const f = byPath.get(path);
    if (!f?.data) throw new InputError(`${shown}: ${path} is missing or too large to run from`);
    return f.data;
  };
  const manifestBytes = data(BUNDLE_FILES.manifest);
  const m = bundleManifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  const topologyText = data(BUNDLE_FILES.topology).toString('utf8');
  const prefix = `${PAYLOAD_DIR}/`;
  const payload = files
    .filter((f) => f.path.startsWith(prefix))
    .map((f): PayloadFile => {
      if (!f.data) throw new InputError(`${shown}: ${f.path} is too large to run from`);
      return { path: f.path.slice(prefix.length), data: f.data, mode: f.mode & 0o111 ? 0o755 : 0o644 };
    });
  if (payload.length === 0) throw new InputError(`${shown} has no ${PAYLOAD_DIR}/ (made by an earlier nestbed): export it again`);
  const profile = byPath.get(BUNDLE_FILES.profile)?.data;
  return {
    file,
    topologyText,
    ...(m.profile?.source === 'option' ? { profileOverride: m.profile.id } : {}),
    payload,
    plan: data(BUNDLE_FILES.plan),
    ...(profile ? { profile } : {}),
    manifest: manifestBytes,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    images: Object.fromEntries(m.images.artifacts.map((a) => [a.artifact, a.sha256])),
  };
};

/** The bundle's images against this machine's image set: the same bytes, or no run. */
export const checkBundleImages = (bundle: OpenedBundle, cache: Readonly<Record<string, { sha256: string } | undefined>>): void => {
  for (const [name, sha] of Object.entries(bundle.images)) {
    const have = cache[name]?.sha256;
    if (sha !== null && have !== sha) {
      throw new InfrastructureError(
        `the bundle's ${name} (sha256 ${sha.slice(0, 12)}…) is not this machine's (${have ? `${have.slice(0, 12)}…` : 'none'}): the emulated stack runs a bundle only with the image set it was exported with`,
        'run "nestbed setup" with the nestbed version that made the bundle, or export the bundle again here',
      );
    }
  }
};
