// The topology file format, v1 (spec/topology.md). The zod schemas are the single source of truth:
// the JSON Schema for editors is generated from them (json-schema.ts) and checked in CI.
import { z } from 'zod';

/** Upper bound for every time figure in microseconds (1000 s). Keeping inputs this small makes the
 * schedulability arithmetic exact in IEEE doubles wherever the result can matter (see analysis). */
export const MAX_TIME_US = 1_000_000_000;
export const MAX_MEMORY_MIB = 1_048_576; // 1 TiB
export const MAX_GUESTS = 32;
export const MAX_TASKS_PER_GUEST = 256;
export const MAX_VCPUS = 64;

export const TOPOLOGY_API_VERSION = 'nestbed/v1';

const positiveInt = (max: number) => z.number().int().min(1).max(max);
const timeUs = positiveInt(MAX_TIME_US);
const memoryMiB = positiveInt(MAX_MEMORY_MIB);

export const guestNamePattern = /^[a-z][a-z0-9-]{0,31}$/;
export const topologyNamePattern = /^[a-z][a-z0-9-]{0,39}$/;
export const profileIdPattern = /^[a-z][a-z0-9-]{0,63}$/;

export const HOST_CPU_PRESETS = ['ampereone', 'max'] as const;
export const TIMING_MODES = ['fast', 'deterministic'] as const;
export const GUEST_ROLES = ['safety', 'adas', 'infotainment', 'gateway', 'other'] as const;
export const ASIL_LEVELS = ['QM', 'A', 'B', 'C', 'D'] as const;
export const GUEST_OS = ['rtos', 'linux', 'linux-rt', 'custom'] as const;
/** Guest images that run nestbed's agent (events, memory, features, workloads, probes). */
export const AGENT_OS: ReadonlySet<(typeof GUEST_OS)[number]> = new Set(['linux', 'linux-rt']);
/** Longest custom image path and command line accepted. */
export const MAX_IMAGE_PATH = 4096;
export const MAX_CUSTOM_CMDLINE = 1024;
export const CHANNEL_KINDS = ['vsock'] as const;

export const hostSchema = z
  .strictObject({
    cpu: z.enum(HOST_CPU_PRESETS).describe('Emulated core model preset for L0 (the Arm cloud server).'),
    cores: positiveInt(64).describe('Emulated cores (1..64).'),
    memoryMiB: memoryMiB.describe('Memory of the emulated server (L0), MiB.'),
    timing: z.enum(TIMING_MODES).default('fast').describe('fast: wall-clock MTTCG; deterministic: instruction counting (virtual time).'),
  })
  .describe('L0: the emulated Arm cloud server.');

export const hypervisorSchema = z
  .strictObject({
    kind: z.literal('kvm').describe('Guest hypervisor (L1). Only KVM for now.'),
    vcpus: positiveInt(MAX_VCPUS).describe('vCPUs of the guest hypervisor VM.'),
    memoryMiB: memoryMiB.describe('Memory of the guest hypervisor VM, MiB.'),
  })
  .describe('L1: the guest hypervisor VM running at (virtual) EL2.');

export const vcpuServerSchema = z
  .strictObject({
    periodUs: timeUs.describe('Server period Π, µs.'),
    budgetUs: timeUs.describe('Server budget Θ per period, µs (≤ periodUs).'),
  })
  .describe('Periodic CPU reservation (Shin & Lee periodic resource model) for each vCPU of the guest.');

export const taskSchema = z
  .strictObject({
    name: z.string().regex(guestNamePattern).describe('Task name, unique within the guest.'),
    periodUs: timeUs.describe('Release period T, µs.'),
    wcetUs: timeUs.describe('Worst-case execution time C, µs.'),
    deadlineUs: timeUs.optional().describe('Relative deadline D, µs; defaults to periodUs. wcetUs ≤ deadlineUs ≤ periodUs.'),
    priority: z.number().int().min(1).max(99).describe('Fixed priority 1..99, larger is more urgent.'),
    vcpu: z.number().int().min(0).max(MAX_VCPUS - 1).optional().describe('Guest vCPU index the task runs on; default 0.'),
  })
  .describe('A periodic real-time task, scheduled fixed-priority preemptive on its guest vCPU.');

export const workloadSchema = z
  .strictObject({
    cyclictest: z
      .strictObject({
        intervalUs: timeUs.describe('Wake-up interval, µs.'),
        loops: positiveInt(10_000_000).describe('Number of wake-ups.'),
      })
      .optional(),
    stress: z
      .strictObject({
        cpu: positiveInt(MAX_VCPUS).describe('CPU hog threads.'),
        memoryMiB: memoryMiB.optional().describe('Memory touched repeatedly by the stress load, MiB.'),
      })
      .optional(),
  })
  .describe('What the guest runs during `nestbed run`.');

export const budgetsSchema = z
  .strictObject({
    bootMs: positiveInt(3_600_000).optional().describe('Guest VM creation → ready marker, ms.'),
    memoryMiB: memoryMiB.optional().describe('Guest memory in use at ready, MiB.'),
    latencyUs: timeUs.optional().describe('Maximum timer wake-up latency, µs.'),
  })
  .describe('Budgets for this guest; override the ECU profile budgets of its role.');

export const customImageSchema = z
  .strictObject({
    kernel: z.string().min(1).max(MAX_IMAGE_PATH).describe('The guest kernel: an arm64 Linux Image (raw or gzip) or an AArch64 ELF, path relative to the topology file.'),
    initrd: z.string().min(1).max(MAX_IMAGE_PATH).optional().describe('Initial ramdisk, path relative to the topology file.'),
    cmdline: z.string().max(MAX_CUSTOM_CMDLINE).regex(/^[^\x00-\x1f\x7f]*$/, 'one line of printable text').optional().describe('Kernel command line, passed verbatim (the console is the PL011 ttyAMA0).'),
    readyLine: z.string().min(1).max(200).regex(/^[^\x00-\x1f\x7f]*$/, 'one line of printable text').optional().describe('Literal text: the first console line that contains it is the guest\'s ready marker. Default: its first console line.'),
  })
  .describe('A user image for `os: custom`: validated, hashed (SHA-256) and recorded with every run.');

export const guestSchema = z
  .strictObject({
    name: z.string().regex(guestNamePattern).describe('Guest name, unique.'),
    role: z.enum(GUEST_ROLES),
    asil: z.enum(ASIL_LEVELS).describe('ISO 26262 automotive safety integrity level.'),
    os: z.enum(GUEST_OS).describe('Guest image preset; `custom`: your own image (`image`).'),
    image: customImageSchema.optional(),
    vcpus: positiveInt(MAX_VCPUS),
    pin: z.array(z.number().int().min(0).max(MAX_VCPUS - 1)).min(1).max(MAX_VCPUS).describe('Hypervisor vCPU index for each guest vCPU (length == vcpus).'),
    memoryMiB: memoryMiB,
    vcpuServer: vcpuServerSchema.optional(),
    tasks: z.array(taskSchema).max(MAX_TASKS_PER_GUEST).optional(),
    workload: workloadSchema.optional(),
    budgets: budgetsSchema.optional(),
  })
  .describe('An L2 guest of the domain controller.');

export const channelSchema = z
  .strictObject({
    from: z.string().regex(guestNamePattern).describe('Guest that connects.'),
    to: z.string().regex(guestNamePattern).describe('Guest that listens.'),
    kind: z.enum(CHANNEL_KINDS),
    port: z.number().int().min(1).max(65535),
  })
  .describe('An allowed inter-guest communication path. Everything not declared is refused.');

export const topologySchema = z
  .strictObject({
    apiVersion: z.literal(TOPOLOGY_API_VERSION),
    kind: z.literal('Topology'),
    name: z.string().regex(topologyNamePattern),
    description: z.string().max(2000).optional(),
    profile: z.string().regex(profileIdPattern).optional().describe('ECU profile id (ecu-profiles/<id>.yaml); the CLI --profile overrides it.'),
    host: hostSchema,
    hypervisor: hypervisorSchema,
    guests: z.array(guestSchema).min(1).max(MAX_GUESTS),
    channels: z.array(channelSchema).max(1024).optional(),
  })
  .describe('nestbed topology: a vehicle domain controller as nested VMs.');

export type Topology = z.infer<typeof topologySchema>;
export type Guest = z.infer<typeof guestSchema>;
export type Task = z.infer<typeof taskSchema>;
export type Channel = z.infer<typeof channelSchema>;
export type VcpuServer = z.infer<typeof vcpuServerSchema>;
export type Budgets = z.infer<typeof budgetsSchema>;
export type CustomImage = z.infer<typeof customImageSchema>;
export type GuestRole = (typeof GUEST_ROLES)[number];
export type Asil = (typeof ASIL_LEVELS)[number];

declare const validBrand: unique symbol;
/** A topology that parsed, matched the schema and has no error diagnostics. Only `validateTopology`
 * produces it; the runner, exporters and reports accept nothing else. */
export type ValidTopology = Topology & { readonly [validBrand]: true };

export const isSafetyAsil = (asil: Asil): boolean => asil !== 'QM';
export const taskDeadline = (task: Task): number => task.deadlineUs ?? task.periodUs;
export const taskVcpu = (task: Task): number => task.vcpu ?? 0;
