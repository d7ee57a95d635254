// ECU profile ("native parity" target) format. One file per ECU in ecu-profiles/.
// Every figure carries its provenance: `sources` lists the documents, and `provenance` maps the path
// of each figure (e.g. "cpu.clusters[0].mhz", "budgets.safety.bootMs") to "[n] where" (sources[n-1])
// or to "engineering: why" when the figure is a design choice rather than a datasheet fact.
import { z } from 'zod';
import { GUEST_ROLES, MAX_MEMORY_MIB, profileIdPattern } from './topology.js';

/** Linux /proc/cpuinfo "Features" names (arm64). */
export const cpuFeatureName = z.string().regex(/^[a-z0-9]+$/);

const roleBudgetSchema = z.strictObject({
  bootMs: z.number().int().min(1).max(3_600_000),
  memoryMiB: z.number().int().min(1).max(MAX_MEMORY_MIB),
  latencyUs: z.number().int().min(1).max(1_000_000_000),
});

export const profileSchema = z.strictObject({
  id: z.string().regex(profileIdPattern),
  name: z.string().min(1).max(200),
  vendor: z.string().min(1).max(100),
  sources: z.array(z.string().min(3)).min(1).describe('Documents the figures come from; cited as [n].'),
  cpu: z.strictObject({
    clusters: z
      .array(
        z.strictObject({
          core: z.string().regex(/^[a-z0-9-]+$/).describe('Application core, e.g. cortex-a53 (see ecu-profiles/cores/).'),
          count: z.number().int().min(1).max(256),
          mhz: z.number().int().min(1).max(10_000),
        }),
      )
      .min(1),
    arch: z.string().regex(/^armv[89]\.[0-9]-a$/),
    pageSizesKiB: z.array(z.union([z.literal(4), z.literal(16), z.literal(64)])).min(1).optional(),
    features: z.array(cpuFeatureName).min(1),
    /** Instructions per cycle used to map emulated instruction counts onto this ECU's core (timing model). */
    ipc: z.number().positive().max(16).optional(),
  }),
  memoryMiB: z.number().int().min(1).max(MAX_MEMORY_MIB),
  /** The target's own platform figures, used by the analysis (docs/schedulability.md). */
  platform: z
    .strictObject({
      /** Timer expiry → the guest's interrupt handler through one hypervisor on this ECU, µs: the
       * release jitter and per-release CPU cost J of the response-time analysis. */
      interruptPathUs: z.number().int().min(0).max(10_000),
    })
    .optional(),
  budgets: z.partialRecord(z.enum(GUEST_ROLES), roleBudgetSchema),
  provenance: z.record(z.string(), z.string().regex(/^(\[[0-9]+\]|engineering:)/)),
  notes: z.string().optional(),
});

export type EcuProfile = z.infer<typeof profileSchema>;
export type RoleBudget = z.infer<typeof roleBudgetSchema>;

/** Reference feature list of an Arm core, from its Technical Reference Manual (ecu-profiles/cores/). */
export const coreFeaturesSchema = z.strictObject({
  core: z.string().regex(/^[a-z0-9-]+$/),
  arch: z.string().regex(/^armv[89]\.[0-9]-a$/),
  source: z.string().min(3),
  /** Features always present, and features the SoC vendor may leave out (e.g. the Cryptographic Extension). */
  features: z.array(cpuFeatureName).min(1),
  optional: z.array(cpuFeatureName).default([]),
});
export type CoreFeatures = z.infer<typeof coreFeaturesSchema>;
