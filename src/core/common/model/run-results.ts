// results.json of a run directory (versioned). Times: `...Ms` = host wall clock in ms since the
// host emulator was started; `...S` under `virtual` = the guest's own clock (its uptime), which is
// instruction-counted virtual time when `timing` is "deterministic".
import { z } from 'zod';
import { RUN_STATES } from './run-events.js';

export const RUN_RESULTS_VERSION = 1;

const kib = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const counters = z.record(z.string(), z.number());

export const kvmSampleSchema = z.strictObject({
  tMs: ms,
  uptimeS: z.number(),
  /** KVM debugfs exit counters of that level's live VMs (exits, mmio_exit_user, wfi_exit_stat, ...). */
  counters,
  /** RSS of each VMM this level runs (L0: the L1 VMM; L1: one per guest, in topology order). */
  vmmRssKiB: z.array(kib),
});

export const levelResultSchema = z.strictObject({
  level: z.union([z.literal(0), z.literal(1)]),
  /** Host ms: the level's VM process started (L0: the host emulator; L1: L0's agent started L1's VMM). */
  vmStartMs: ms.optional(),
  initMs: ms.optional(),
  readyMs: ms.optional(),
  virtual: z.strictObject({ kernelToInitS: z.number().optional(), uptimeAtReadyS: z.number().optional() }),
  kvmLog: z.array(z.string()),
  /** "VHE+NV2 mode initialized successfully" seen in this level's kernel log. */
  nv2: z.boolean(),
  kvmMode: z.string().optional(),
  ipaBits: z.number().int().optional(),
  kvmDevice: z.boolean().optional(),
  cpuFeatures: z.array(z.string()),
  /** Features this level lacks / has in addition compared with the level above. */
  cpuFeaturesDiff: z.strictObject({ removed: z.array(z.string()), added: z.array(z.string()) }).optional(),
  memory: z.strictObject({ totalKiB: kib, availableKiB: kib }).optional(),
  vcpus: z.number().int().optional(),
  kvmSamples: z.array(kvmSampleSchema),
  vmmRssMaxKiB: z.array(kib),
});

export const cyclictestResultSchema = z.strictObject({
  intervalUs: z.number().int(),
  loops: z.number().int(),
  exitCode: z.number().int(),
  minUs: z.number(),
  avgUs: z.number(),
  maxUs: z.number(),
  /** Histogram overflows (latencies ≥ 20 ms, beyond the recorded range). */
  overflows: z.number().int(),
  /** Log2 buckets: [upperBoundUs, count] = latencies in [upper/2, upper). */
  histogramLog2: z.array(z.tuple([z.number(), z.number()])),
  timeBase: z.enum(['wall-clock (MTTCG, not meaningful as RT latency)', 'virtual (icount)']),
});

export const guestResultSchema = z.strictObject({
  name: z.string(),
  index: z.number().int(),
  os: z.string(),
  /** The image actually booted; rtos guests boot the Linux image until the bare-metal rtos exists. */
  image: z.enum(['linux', 'linux-rt']),
  imageNote: z.string().optional(),
  vcpus: z.number().int(),
  memoryMiB: z.number().int(),
  pin: z.array(z.number().int()),
  /** vCPU index → affinity read back from L1 (taskset -p, hex mask). */
  pinApplied: z.record(z.string(), z.string()).optional(),
  reservation: z
    .strictObject({ mechanism: z.string(), requested: z.string(), applied: z.string().optional(), error: z.string().optional() })
    .optional(),
  boot: z.strictObject({
    vmStartMs: ms.optional(),
    /** Derived: initMs − kernelToInit (quiet consoles print nothing earlier). */
    kernelStartMs: ms.optional(),
    initMs: ms.optional(),
    readyMs: ms.optional(),
    vmStartToReadyMs: ms.optional(),
    virtual: z.strictObject({ l1VmStartUptimeS: z.number().optional(), kernelToInitS: z.number().optional(), initToReadyS: z.number().optional() }),
  }),
  memory: z.strictObject({ totalKiB: kib, availableKiB: kib, usedKiB: kib }).optional(),
  vmmRssMaxKiB: kib.optional(),
  cpuFeaturesDiffVsL1: z.strictObject({ removed: z.array(z.string()), added: z.array(z.string()) }).optional(),
  workload: z
    .strictObject({
      cyclictest: cyclictestResultSchema.optional(),
      stress: z.strictObject({ cpu: z.number().int(), memoryMiB: z.number().int(), mechanism: z.string() }).optional(),
    })
    .optional(),
  exitCode: z.number().int().optional(),
});

export const runResultsSchema = z.strictObject({
  resultsVersion: z.literal(RUN_RESULTS_VERSION),
  kind: z.literal('nestbed-run'),
  topology: z.strictObject({ name: z.string(), file: z.string().optional(), sha256: z.string().optional() }),
  status: z.enum(['ok', 'failed', 'cancelled']),
  finalState: z.enum(RUN_STATES),
  failure: z
    .strictObject({ reason: z.string(), message: z.string(), level: z.number().int().optional(), guest: z.string().optional(), consoleTail: z.array(z.string()) })
    .optional(),
  timing: z.enum(['fast', 'deterministic']),
  startedAt: z.string(),
  wallMs: ms,
  allReadyMs: ms.optional(),
  stages: z.array(z.strictObject({ name: z.string(), atMs: ms, message: z.string() })),
  host: z.strictObject({
    qemu: z.strictObject({ path: z.string(), version: z.string() }),
    cpuPreset: z.string(),
    cpuArg: z.string(),
    cores: z.number().int(),
    memoryMiB: z.number().int(),
    qemuRssMaxKiB: kib,
    loadAvgAtStart: z.array(z.number()),
    loadAvgAtEnd: z.array(z.number()),
    hostCpus: z.number().int(),
  }),
  l0: levelResultSchema,
  l1: levelResultSchema,
  guests: z.array(guestResultSchema),
  warnings: z.array(z.string()),
  channels: z.strictObject({ declared: z.array(z.string()), realised: z.boolean(), note: z.string() }),
  artifacts: z.record(z.string(), z.strictObject({ file: z.string(), sha256: z.string() })),
});
export type RunResults = z.infer<typeof runResultsSchema>;
export type GuestResult = z.infer<typeof guestResultSchema>;
export type LevelResult = z.infer<typeof levelResultSchema>;
