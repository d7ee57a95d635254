// results.json of a run directory (versioned). Times: `...Ms` = host wall clock in ms since the
// host emulator was started (timing "hardware": the launcher's clock on the board, ms since its first
// event); `...S` under `virtual` = the guest's own clock (its uptime), which is instruction-counted
// virtual time when `timing` is "deterministic" and real time on hardware.
import { z } from 'zod';
import { RUN_STATES } from './run-events.js';

export const RUN_RESULTS_VERSION = 2;

/** How a run's time figures were made: `fast` (host wall clock under emulation, indicative),
 * `deterministic` (instruction-counted virtual time), `hardware` (a launcher on an arm64 KVM host:
 * real time on the board, src/core/node/report/launcher-results.ts). */
export const RUN_TIMINGS = ['fast', 'deterministic', 'hardware'] as const;
export type RunTiming = (typeof RUN_TIMINGS)[number];
/** The time base text of guest figures measured on hardware (cyclictest, rtos, isolation windows). */
export const HARDWARE_TIME_BASE = 'hardware (host clock)';

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

export const threadSchedSchema = z.strictObject({
  policy: z.string(),
  priority: z.number().int(),
  runtimeUs: z.number().int(),
  deadlineUs: z.number().int(),
  periodUs: z.number().int(),
});
export type ThreadSched = z.infer<typeof threadSchedSchema>;
/** "deadline <runtime>/<period> µs" for a deadline reservation, else the policy name. */
export const threadSchedText = (t: ThreadSched): string => (t.policy === 'deadline' ? `deadline ${t.runtimeUs}/${t.periodUs} µs` : t.policy);

export const levelResultSchema = z.strictObject({
  level: z.union([z.literal(0), z.literal(1)]),
  /** Host ms: the level's VM process started (L0: the host emulator; L1: L0's agent started L1's VMM). */
  vmStartMs: ms.optional(),
  initMs: ms.optional(),
  readyMs: ms.optional(),
  virtual: z.strictObject({ kernelToInitS: z.number().optional(), uptimeAtReadyS: z.number().optional() }),
  /** The kernel release the level booted (its agent's init event). */
  kernelRelease: z.string().optional(),
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
  /** L1: vCPU index → affinity of its thread in L0 (hex mask), as pinned by L0's agent. */
  vcpuAffinityInL0: z.record(z.string(), z.string()).optional(),
  /** L0: the emulated cores its own work (agent, L1 VMM main loop and I/O threads) is confined to. */
  housekeepingCpus: z.string().optional(),
  /** L1: cpuset partitions made for deadline reservations (cpuset.cpus.partition read back). */
  cpuPartitions: z.array(z.strictObject({ cpu: z.number().int(), state: z.string() })).optional(),
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
  timeBase: z.enum(['wall-clock (MTTCG, not meaningful as RT latency)', 'virtual (icount)', HARDWARE_TIME_BASE]),
});

/** An `os: rtos` guest's own report (guest/rtos, docs/rtos.md), folded by summarizeRtosRun. Times are
 * the rtos guest's virtual counter (`u`, s): instruction-counted under timing "deterministic". */
export const rtosGuestResultSchema = z.strictObject({
  /** Run length and heartbeat period the guest was started with, ms of guest time. */
  runMs: z.number().int(),
  heartbeatMs: z.number().int(),
  timeBase: z.enum(['virtual (icount)', 'guest counter (follows the host clock: indicative)', HARDWARE_TIME_BASE]),
  outcome: z.enum(['completed', 'error', 'crashed', 'incomplete']),
  ready: z
    .strictObject({
      atS: z.number(),
      firstInstructionS: z.number(),
      tasks: z.number().int(),
      vcpus: z.number().int(),
      counterHz: z.number(),
      guardNs: z.number(),
      memTotalKiB: kib,
      memAvailableKiB: kib,
    })
    .optional(),
  heartbeats: z.strictObject({
    count: z.number().int(),
    missingSeq: z.number().int(),
    /** Largest interval between consecutive heartbeats (or ready → first), s of guest time. */
    maxGapS: z.number().nullable(),
    lastS: z.number().nullable(),
    /** Guest time of every heartbeat, s. */
    timesS: z.array(z.number()),
  }),
  /** Per task, in topology order, with the topology's task names. Response times µs (rounded up). */
  tasks: z.array(
    z.strictObject({
      name: z.string(),
      released: z.number().int(),
      completed: z.number().int(),
      deadlineMisses: z.number().int(),
      responseMinUs: z.number(),
      responseMaxUs: z.number(),
      responseP99Us: z.number(),
      releaseJitterMaxNs: z.number(),
      startLatencyMaxNs: z.number(),
    }),
  ),
  end: z
    .strictObject({
      atS: z.number(),
      completed: z.number().int(),
      deadlineMisses: z.number().int(),
      timerLatencyMaxNs: z.number(),
      timerLatencyP99Ns: z.number(),
      timerLatencyMinNs: z.number().optional(),
      stackMaxBytes: z.number().int(),
      stolenNs: z.number(),
      memTotalKiB: kib,
      memAvailableKiB: kib,
    })
    .optional(),
  error: z.string().optional(),
  crash: z.strictObject({ atS: z.number(), kind: z.enum(['panic', 'fault']), detail: z.string() }).optional(),
  /** Protocol problems (invalid lines, lost heartbeats out of order, …); empty for a clean run. */
  problems: z.array(z.string()),
});

export const guestResultSchema = z.strictObject({
  name: z.string(),
  index: z.number().int(),
  os: z.string(),
  /** The image actually booted ("rtos": the project's bare-metal rtos, artifact "rtos"). */
  image: z.enum(['linux', 'linux-rt', 'rtos', 'custom']),
  imageNote: z.string().optional(),
  /** `os: custom`: exactly the files booted (hashes of the bytes packed for the run). */
  customImage: z
    .strictObject({
      kernel: z.strictObject({ path: z.string(), bytes: z.number().int(), sha256: z.string(), format: z.string() }),
      initrd: z.strictObject({ path: z.string(), bytes: z.number().int(), sha256: z.string() }).optional(),
      cmdline: z.string(),
      readyLine: z.string().optional(),
      /** How the run ended for it: stopped by L1 after the hold time, or exited on its own (code). */
      exit: z.strictObject({ code: z.number().int(), stoppedByHypervisor: z.boolean() }).optional(),
    })
    .optional(),
  vcpus: z.number().int(),
  memoryMiB: z.number().int(),
  pin: z.array(z.number().int()),
  /** vCPU index → affinity read back from L1 (taskset -p, hex mask). */
  pinApplied: z.record(z.string(), z.string()).optional(),
  /** vCPU index → scheduling policy of its thread read back from L1 (sched_getattr). */
  schedApplied: z.record(z.string(), threadSchedSchema).optional(),
  /** How L1 enforces the guest's CPU share (src/core/node/stack/plan.ts reservationOf). */
  reservation: z.strictObject({
    kind: z.enum(['deadline', 'cap', 'dedicated', 'other']),
    /** The runtime and period L1 is asked to apply per vCPU (deadline, cap), µs. */
    budgetUs: z.number().int().optional(),
    periodUs: z.number().int().optional(),
    mechanism: z.string(),
    requested: z.string(),
    applied: z.string().optional(),
    error: z.string().optional(),
  }),
  boot: z.strictObject({
    vmStartMs: ms.optional(),
    /** Derived: initMs − kernelToInit (quiet consoles print nothing earlier). */
    kernelStartMs: ms.optional(),
    initMs: ms.optional(),
    readyMs: ms.optional(),
    vmStartToReadyMs: ms.optional(),
    virtual: z.strictObject({
      l1VmStartUptimeS: z.number().optional(),
      kernelToInitS: z.number().optional(),
      initToReadyS: z.number().optional(),
      /** L1 time from the VMM start to the ready marker, VMM start-up included (os: custom). */
      l1VmStartToReadyS: z.number().optional(),
    }),
    /** The kernel release the guest booted (its agent's init event): 7.3.4-lean[-rt] for the lean
     * kernels, 7.3.4+deb13-[rt-]arm64 for Debian's. */
    kernelRelease: z.string().optional(),
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
  /** os: rtos guests: the guest's own scheduling report. */
  rtos: rtosGuestResultSchema.optional(),
});

/** Isolation (c): the channels as realised (vsock + the L1 relay) and what the probes saw. */
export const channelsResultSchema = z.strictObject({
  declared: z.array(z.string()),
  realised: z.boolean(),
  note: z.string(),
  mechanism: z.string().optional(),
  /** One row per declared channel, in topology order. */
  probes: z
    .array(
      z.strictObject({
        from: z.string(),
        to: z.string(),
        port: z.number().int(),
        ok: z.boolean(),
        detail: z.string(),
        /** guest: from the `from` guest through the relay; l1-relay: from L1's relay side (`from` is an
         * rtos guest, no vsock); none: not probed. */
        probedFrom: z.enum(['guest', 'l1-relay', 'none']),
        /** The `to` guest is an rtos guest (no vsock): the relay in L1 answered for it. */
        endsAtRelay: z.boolean(),
        attempts: z.number().int().optional(),
        /** Guest (or L1) monotonic ms from the first attempt to the answer. */
        ms: z.number().optional(),
      }),
    )
    .optional(),
  /** Connections the topology does not declare, attempted on purpose: each must be refused. */
  undeclared: z
    .array(
      z.strictObject({
        from: z.string(),
        to: z.string(),
        port: z.number().int(),
        /** relay: to L1 (CID 2) on that port, where only the relay listens; direct: to the other guest's CID. */
        via: z.enum(['relay', 'direct']),
        refused: z.boolean(),
        detail: z.string(),
      }),
    )
    .optional(),
  /** The relay's own log: every connection it forwarded (fwd), refused (deny), answered for an rtos end (end) or could not forward (fail). */
  relayLog: z.array(z.strictObject({ action: z.string(), port: z.number().int(), fromCid: z.number().int(), toCid: z.number().int(), atMs: ms })).optional(),
});

const phaseWindowSchema = z.strictObject({
  fromMs: ms,
  toMs: ms,
  heartbeats: z.number().int(),
  /** Largest interval between consecutive heartbeats arriving in the window (guest time, s). */
  maxIntervalS: z.number().nullable(),
  meanIntervalS: z.number().nullable(),
  /** Jobs completed and deadline misses during the window (from the heartbeats' running totals). */
  jobs: z.number().int(),
  deadlineMisses: z.number().int(),
  /** Stolen time in the window (rtos `sl` difference, ns) over `guestS` seconds of its guest time. */
  stolenNs: z.number().int().optional(),
  guestS: z.number().optional(),
  /** Worst timer delivery of the rtos in the window, ns. */
  timerLatencyMaxNs: z.number().int().optional(),
});

export const isolationResultSchema = z.strictObject({
  /** L1's phase markers: probe, idle, stress, fault, end (host ms, L1 uptime s). */
  phases: z.array(z.strictObject({ name: z.string(), atMs: ms, l1UptimeS: z.number().optional() })),
  /** Isolation (a): a planned guest panic mid-run. */
  fault: z
    .strictObject({
      guest: z.string(),
      /** Host ms when L1 sent the panic command; L1 uptime then. */
      injectedAtMs: ms,
      injectedL1UptimeS: z.number().optional(),
      panicSeen: z.boolean(),
      panicAtMs: ms.optional(),
      panicLine: z.string().optional(),
      /** The victim's VMM exit as reported by the hypervisor (L1), or null if it never exited. */
      vmmExit: z.strictObject({ code: z.number().int(), atMs: ms }).nullable(),
      /** Observation window after the injection, s (L1 time). */
      windowS: z.number(),
      others: z.array(
        z.strictObject({
          guest: z.string(),
          os: z.string(),
          keptRunning: z.boolean(),
          evidence: z.string(),
          /** rtos guests: heartbeats arriving in the window, and the largest interval spanning it (guest s). */
          heartbeatsInWindow: z.number().int().optional(),
          heartbeatMaxGapS: z.number().nullable().optional(),
          /** Linux guests: host ms of their first agent event after the injection. */
          eventAfterFaultMs: ms.optional(),
        }),
      ),
    })
    .optional(),
  /** Isolation (b): a QM guest read guest-physical memory outside its RAM (busybox devmem on /dev/mem). */
  spatial: z
    .strictObject({
      guest: z.string(),
      /** Guest-physical address read: 16 MiB above the end of the guest's System RAM (/proc/iomem). */
      address: z.string(),
      /** devmem's exit code (135 = killed by SIGBUS) and what it printed. */
      exitCode: z.number().int(),
      value: z.string(),
      outcome: z.string(),
      atMs: ms,
      /** The probing guest answered a later ping (it survived its own probe). */
      guestAliveAfter: z.boolean(),
      others: z.array(z.strictObject({ guest: z.string(), keptRunning: z.boolean(), evidence: z.string() })),
    })
    .optional(),
  /** The safety rtos per phase window: boot (the other guests starting), then each L1 phase. */
  safetyWindows: z.array(phaseWindowSchema.extend({ phase: z.string() })).optional(),
  /** Isolation (e): the safety guest's latency with the QM guests idle vs under their declared stress. */
  interference: z
    .strictObject({
      guest: z.string(),
      metric: z.string(),
      timeBase: z.string(),
      stressGuests: z.array(z.string()),
      idle: phaseWindowSchema,
      stress: phaseWindowSchema,
      /** stress.maxIntervalS / idle.maxIntervalS (null when either is missing). */
      maxIntervalRatio: z.number().nullable(),
      /** Deadline misses per 1000 jobs, stress vs idle. */
      missesPerKJobs: z.strictObject({ idle: z.number().nullable(), stress: z.number().nullable() }),
      /** missesPerKJobs.stress / missesPerKJobs.idle (null when idle had no miss or a window no job). */
      missRateRatio: z.number().nullable().optional(),
    })
    .optional(),
  notes: z.array(z.string()),
});

/** Where a launcher ran and which bundle: launcher.json's timeBase ("hardware": an arm64 KVM host;
 * "emulated-l1": inside nestbed's emulated guest hypervisor), `uname -a` of that host, and the
 * SHA-256 of the bundle's manifest.json (null when the launcher did not know it). */
export const launcherRecordSchema = z.strictObject({
  timeBase: z.enum(['hardware', 'emulated-l1']),
  host: z.string(),
  bundle: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
});
export type LauncherRecord = z.infer<typeof launcherRecordSchema>;

export const runResultsSchema = z.strictObject({
  resultsVersion: z.literal(RUN_RESULTS_VERSION),
  kind: z.literal('nestbed-run'),
  topology: z.strictObject({ name: z.string(), file: z.string().optional(), sha256: z.string().optional() }),
  status: z.enum(['ok', 'failed', 'cancelled']),
  finalState: z.enum(RUN_STATES),
  failure: z
    .strictObject({ reason: z.string(), message: z.string(), level: z.number().int().optional(), guest: z.string().optional(), consoleTail: z.array(z.string()) })
    .optional(),
  timing: z.enum(RUN_TIMINGS),
  startedAt: z.string(),
  wallMs: ms,
  allReadyMs: ms.optional(),
  stages: z.array(z.strictObject({ name: z.string(), atMs: ms, message: z.string() })),
  host: z.strictObject({
    qemu: z.strictObject({ path: z.string(), version: z.string() }),
    /** Deterministic timing: one virtual clock per emulated core (the per-core-time emulator,
     * `quantum` instructions per round), or one shared clock and why. */
    clock: z
      .union([
        z.strictObject({ perCore: z.literal(true), quantum: z.number().int().positive() }),
        z.strictObject({ perCore: z.literal(false), reason: z.string() }),
      ])
      .optional(),
    cpuPreset: z.string(),
    cpuArg: z.string(),
    /** ISA masking for the ECU profile (src/core/node/stack/plan.ts cpuMaskFor): the CPU-model
     * switches used and the features they hide at every level. */
    cpuMask: z.strictObject({ profile: z.string(), switches: z.array(z.string()), hides: z.array(z.string()) }).optional(),
    cores: z.number().int(),
    memoryMiB: z.number().int(),
    qemuRssMaxKiB: kib,
    loadAvgAtStart: z.array(z.number()),
    loadAvgAtEnd: z.array(z.number()),
    hostCpus: z.number().int(),
    /** The warm stack (src/core/node/run/warm-stack.ts): 'restored' from a snapshot of the booted L0
     * + L1, 'made' by this run (it booted them, saved and restored the snapshot), 'off' (--cold: booted
     * with the payload). bootMs and saveMs are the host times of the boot that made the snapshot
     * (L0's and L1's boot figures in this file are that boot's, replayed); restoreMs is this run's
     * host time to load the snapshot; rebuilt: why a snapshot of the key was discarded. */
    warmStack: z
      .strictObject({
        snapshot: z.enum(['restored', 'made', 'off']),
        key: z.string().optional(),
        bootMs: ms.optional(),
        saveMs: ms.optional(),
        restoreMs: ms.optional(),
        bytes: z.number().int().nonnegative().optional(),
        rebuilt: z.string().optional(),
      })
      .optional(),
  }),
  l0: levelResultSchema,
  l1: levelResultSchema,
  guests: z.array(guestResultSchema),
  warnings: z.array(z.string()),
  channels: channelsResultSchema,
  /** Isolation probes sequenced by L1 (phases, planned fault, interference); absent when not run. */
  isolation: isolationResultSchema.optional(),
  artifacts: z.record(z.string(), z.strictObject({ file: z.string(), sha256: z.string() })),
  /** A launcher's results directory replayed into this file (`nestbed report` on launcher.json +
   * console.log): no emulated L0 was observed, so its figures are empty. Absent for `nestbed run`. */
  launcher: launcherRecordSchema.optional(),
});
export type RunResults = z.infer<typeof runResultsSchema>;
export type GuestResult = z.infer<typeof guestResultSchema>;
export type RtosGuestResult = z.infer<typeof rtosGuestResultSchema>;
export type LevelResult = z.infer<typeof levelResultSchema>;
export type ChannelsResult = z.infer<typeof channelsResultSchema>;
export type IsolationResult = z.infer<typeof isolationResultSchema>;
export type PhaseWindow = z.infer<typeof phaseWindowSchema>;
