// The artifact manifest: every downloaded package and every built artifact with its SHA-256.
// A run copies it into its run directory, so a result always names the exact images it used.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const MANIFEST_VERSION = 1;

export const debEntrySchema = z.strictObject({
  package: z.string(),
  version: z.string(),
  arch: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

export const artifactSchema = z.strictObject({
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  description: z.string(),
});

/** The per-core-time emulator (src/core/node/setup/per-core-qemu.ts), or why it could not be built. */
/** What every binary built here from a Debian source records: its cache key, file (relative to its
 * build cache), SHA-256 and size, and the Debian package it was built from. */
const builtFromSource = {
  key: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  source: z.strictObject({ package: z.string(), version: z.string(), file: z.string(), sha256: z.string() }),
  buildMs: z.number(),
};
const notBuilt = z.strictObject({ status: z.literal('unavailable'), key: z.string(), reason: z.string() });

export const perCoreQemuSchema = z.discriminatedUnion('status', [
  z.strictObject({
    status: z.literal('built'),
    ...builtFromSource,
    patchSha256: z.string(),
    configure: z.array(z.string()),
    version: z.string(),
  }),
  notBuilt,
]);

/** An L2 Linux guests' lean kernel (src/core/node/setup/lean-kernel.ts), or why it could not be built. */
export const leanKernelSchema = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('built'), ...builtFromSource, fragmentSha256: z.string(), compiler: z.string() }),
  notBuilt,
]);

export const manifestSchema = z.strictObject({
  manifestVersion: z.literal(MANIFEST_VERSION),
  /** Hash of the build recipe (recipe version + guest/init.sh): a change rebuilds the artifacts. */
  recipe: z.string(),
  builtAt: z.string(),
  buildMs: z.number(),
  kernelAbi: z.string(),
  hostQemu: z.strictObject({ path: z.string(), version: z.string() }),
  debs: z.array(debEntrySchema),
  artifacts: z.record(z.string(), artifactSchema),
  /** How the rtos image (artifact "rtos") was built: cross compiler and input recipe hash. */
  rtos: z.strictObject({ gcc: z.string(), version: z.string(), recipe: z.string() }).optional(),
  perCoreQemu: perCoreQemuSchema.optional(),
  /** The Linux guests' lean kernel. */
  leanKernel: leanKernelSchema.optional(),
  /** The linux-rt guests' lean kernel (the same configuration with PREEMPT_RT). */
  leanKernelRt: leanKernelSchema.optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type DebEntry = z.infer<typeof debEntrySchema>;
export type Artifact = z.infer<typeof artifactSchema>;
export type PerCoreQemu = z.infer<typeof perCoreQemuSchema>;
export type LeanKernel = z.infer<typeof leanKernelSchema>;

/** Installs a freshly built file as `<root>/<key>/<name>` (copy, then rename: never half a file) and
 * returns what a build record holds about it. */
export const installBuilt = async (from: string, root: string, key: string, name: string): Promise<{ key: string; file: string; sha256: string; size: number }> => {
  const file = join(key, name);
  const dest = join(root, file);
  await mkdir(join(root, key), { recursive: true });
  await copyFile(from, `${dest}.tmp`);
  await rename(`${dest}.tmp`, dest);
  return { key, file, sha256: await sha256File(dest), size: (await stat(dest)).size };
};

/** A file setup built (its record: file relative to `dir`, SHA-256) is there and intact. */
export const builtFileIntact = async (dir: string, rec: { readonly file: string; readonly sha256: string }): Promise<boolean> => (await sha256File(join(dir, rec.file)).catch(() => '')) === rec.sha256;

export const sha256File = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
      .on('data', (b) => h.update(b))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });

export const readManifest = async (path: string): Promise<Manifest | undefined> => {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = manifestSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
};

export const writeManifest = async (path: string, m: Manifest): Promise<void> => {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`);
  await rename(tmp, path);
};
