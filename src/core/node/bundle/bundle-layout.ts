// The bundle format (docs/bundles.md): file names, the manifest's schema, the timestamp rule.
// manifest.json lists every other file of the bundle (except itself and manifest.sig) with its
// SHA-256 and size, sorted by path; verify accepts a bundle only when the archive holds exactly those
// files with exactly those digests.
import { z } from 'zod';
import { InputError } from '../../common/model/errors.js';

export const BUNDLE_FORMAT = 'nestbed-bundle';
/** The manifest format this nestbed writes and reads. A reader refuses other versions (exit 2). */
export const BUNDLE_FORMAT_VERSION = 1;

export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  signature: 'manifest.sig',
  topology: 'topology.yaml',
  normalized: 'topology.normalized.json',
  profile: 'profile.json',
  validation: 'validation.json',
  plan: 'launch/plan.json',
  sbom: 'sbom.cdx.json',
  attestation: 'attestation.intoto.json',
  results: 'results/results.json',
  check: 'results/check.json',
  report: 'results/report.html',
} as const;
export const IMAGES_DIR = 'images';
/** The run's payload (src/core/node/run/payload.ts): the launcher, its words, run-on-host.sh, the
 * os: custom guests' files. */
export const PAYLOAD_DIR = 'payload';

/** The fixed epoch when SOURCE_DATE_EPOCH is not set: 1980-01-01T00:00:00Z (the ZIP/DOS epoch, the
 * usual choice of reproducible-build tools: old enough to be obviously synthetic, and no extractor
 * warns about an "implausibly old" 1970 time stamp). */
export const FIXED_EPOCH = 315_532_800;

/** The header time of every entry: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else
 * FIXED_EPOCH. A value that is not a whole number of seconds in tar's range is bad input. */
export const bundleEpoch = (env: NodeJS.ProcessEnv): { seconds: number; source: 'SOURCE_DATE_EPOCH' | 'fixed' } => {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return { seconds: FIXED_EPOCH, source: 'fixed' };
  if (!/^[0-9]{1,11}$/.test(raw) || Number(raw) > 8 ** 11 - 1) throw new InputError(`SOURCE_DATE_EPOCH=${JSON.stringify(raw)}: expected a whole number of seconds since 1970 (0 … 8589934591)`);
  return { seconds: Number(raw), source: 'SOURCE_DATE_EPOCH' };
};

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const bundleFileSchema = z.strictObject({ path: z.string(), sha256, size: z.number().int().nonnegative() });
export type BundleFile = z.infer<typeof bundleFileSchema>;

/** Which guest artifact plays which part in the launch plan. */
/** l0-kernel + l0-initrd boot the emulated stack; l1-userland is what the launcher runs with on an
 * arm64 KVM host (run-on-host.sh): busybox, the VMM and its libraries, the agent tools, the guests'
 * kernels and initramfs (next/). */
export const IMAGE_ROLES = ['l0-kernel', 'l0-initrd', 'l1-userland'] as const;

export const bundleImageSchema = z.strictObject({
  /** The artifact's name in the cache manifest (Image, l0, l0-rt, l1, l1-rt). */
  artifact: z.string(),
  role: z.enum(IMAGE_ROLES),
  /** Where the launch plan expects it: images/<file>. */
  path: z.string(),
  /** Unknown (null) only in a --no-images bundle made without a cache manifest. */
  sha256: sha256.nullable(),
  size: z.number().int().nonnegative().nullable(),
  description: z.string(),
});
export type BundleImage = z.infer<typeof bundleImageSchema>;

export const bundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(BUNDLE_FORMAT_VERSION),
  nestbedVersion: z.string(),
  /** Header time of every entry, and where it came from. */
  sourceDateEpoch: z.number().int().nonnegative(),
  epochSource: z.enum(['SOURCE_DATE_EPOCH', 'fixed']),
  topology: z.strictObject({ name: z.string(), file: z.literal(BUNDLE_FILES.topology), sha256, sourceFile: z.string() }),
  profile: z.strictObject({ id: z.string(), file: z.literal(BUNDLE_FILES.profile), sha256, source: z.enum(['topology', 'option']) }).nullable(),
  images: z.strictObject({
    included: z.boolean(),
    /** Why they are not in the bundle. */
    omitted: z.string().optional(),
    /** The guest artifacts the launch plan boots, in or out of the bundle. */
    artifacts: z.array(bundleImageSchema),
  }),
  run: z
    .strictObject({
      files: z.array(z.string()),
      status: z.string(),
      timing: z.string(),
      startedAt: z.string(),
      /** check.json's verdict, when the run directory has one. */
      success: z.boolean().nullable(),
      /** Artifacts the run booted whose SHA-256 differs from the bundle's image set. */
      imageMismatches: z.array(z.strictObject({ artifact: z.string(), run: z.string(), bundle: z.string() })),
    })
    .nullable(),
  signature: z.strictObject({ algorithm: z.literal('ed25519'), file: z.literal(BUNDLE_FILES.signature), publicKeySha256: sha256 }).nullable(),
  files: z.array(bundleFileSchema),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

/** manifest.sig: the Ed25519 signature of manifest.json's exact bytes. */
export const signatureFileSchema = z.strictObject({
  algorithm: z.literal('ed25519'),
  signed: z.literal(BUNDLE_FILES.manifest),
  /** SHA-256 of the public key's DER SubjectPublicKeyInfo (hex). */
  publicKeySha256: sha256,
  /** 64 bytes, base64. */
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
});
export type SignatureFile = z.infer<typeof signatureFileSchema>;

/** Stable JSON text of bundle files: two-space indent, trailing newline. */
export const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
