// launch/plan.json: how the bundle is started, as data — planStack's output for the topology, with
// bundle-relative image paths where a run has cache paths. The emulated path boots L0 with this argv;
// the launcher (payload/launch.sh, run by L1 or by payload/run-on-host.sh on a KVM host) builds every
// guest's VMM command line from the nb_* words of payload/words, so the per-guest facts a launcher on an arm64 KVM host needs — vCPUs, pins,
// memory, reservation, OS, the channel table — are spelled out beside them.
import type { ValidTopology } from '../../common/model/topology.js';
import type { EcuProfile } from '../../common/model/profile.js';
import { guestCid, orchestrated, rtosRunMs, type ChannelPlan } from '../stack/channels.js';
import { cpuMaskFor, guestSpecWord, l0Isolation, partitionCpus, planStack, reservationOf, rtosGuestWord, type CpuMask, type Reservation } from '../stack/plan.js';

export const LAUNCH_PLAN_VERSION = 1;
/** argv[0] of the emulated path: the host's emulator, found on PATH by whoever launches. */
export const EMULATOR_ARGV0 = 'qemu-system-aarch64';

/** `nestbed run`'s defaults (src/core/node/run/runner.ts runTopology). */
export const RUN_HOLD_S = 2;
export const RUN_SAMPLE_INTERVAL_S = 3;

/** rtos guests' run length in a plain `nestbed run` (no isolation phases), as runTopology computes it. */
export const plainRunRtosMs = (t: ValidTopology, timing: 'fast' | 'deterministic'): number =>
  rtosRunMs(t, { deterministic: timing === 'deterministic', holdS: RUN_HOLD_S, orchestrated: orchestrated(t, undefined), phaseS: 0 });

export interface LaunchImages {
  readonly kernel: string;
  readonly initrd: string;
  /** L0's payload archive (a fw_cfg file): the newc archive of payload/ that `nestbed run bundle.tar.gz` writes. */
  readonly payloadArchive: string;
}

export interface LaunchGuest {
  readonly index: number;
  readonly name: string;
  readonly role: string;
  readonly asil: string;
  readonly os: string;
  readonly vcpus: number;
  readonly memoryMiB: number;
  /** Hypervisor (L1) vCPU of each guest vCPU. */
  readonly pin: readonly number[];
  readonly reservation: Reservation;
  /** vsock context id, for the guests that have a vsock device in this plan. */
  readonly vsockCid: number | null;
  /** This guest's words of the kernel command line. */
  readonly words: readonly string[];
}

export interface LaunchPlan {
  readonly planVersion: typeof LAUNCH_PLAN_VERSION;
  readonly topology: string;
  readonly mode: 'run';
  readonly timing: 'fast' | 'deterministic';
  readonly emulated: {
    /** The L0 emulator's argv: argv[0] is the emulator found on PATH, image paths are relative to
     * the bundle's root. */
    readonly argv: readonly string[];
    readonly kernelCommandLine: string;
    readonly cpu: string;
    readonly cpuMask: CpuMask;
    readonly images: LaunchImages;
    readonly l0Isolation: readonly string[];
  };
  readonly l1: { readonly vcpus: number; readonly memoryMiB: number; readonly partitionCpus: readonly number[] };
  /** The launcher's configuration, as in payload/words. */
  readonly launcher: { readonly script: string; readonly words: readonly string[]; readonly hostEntry: string };
  readonly guests: readonly LaunchGuest[];
  readonly channels: ChannelPlan;
  readonly run: { readonly holdS: number; readonly sampleIntervalS: number; readonly rtosRunMs: number };
  readonly notes: readonly string[];
}

/** The plan of a plain `nestbed run` of the topology (host.timing, no isolation phases). Throws
 * InputError where planStack would refuse to run it. */
export const launchPlan = (t: ValidTopology, profile: EcuProfile | undefined, images: LaunchImages): LaunchPlan => {
  const timing = t.host.timing;
  const rtosRunMs = plainRunRtosMs(t, timing);
  const cpuMask = cpuMaskFor(t.host.cpu, profile?.cpu.features);
  const plan = planStack(t, {
    timing,
    holdS: RUN_HOLD_S,
    sampleIntervalS: RUN_SAMPLE_INTERVAL_S,
    rtosRunMs,
    kernel: images.kernel,
    initrd: images.initrd,
    qemu: EMULATOR_ARGV0,
    payloadArchive: images.payloadArchive,
    cpuMask,
  });
  const vsock = new Set(plan.channels.vsockGuests);
  return {
    planVersion: LAUNCH_PLAN_VERSION,
    topology: t.name,
    mode: 'run',
    timing,
    emulated: { argv: plan.argv, kernelCommandLine: plan.cmdline, cpu: plan.cpuArg, cpuMask: plan.cpuMask, images, l0Isolation: l0Isolation(t) },
    l1: { vcpus: t.hypervisor.vcpus, memoryMiB: t.hypervisor.memoryMiB, partitionCpus: partitionCpus(t) },
    launcher: { script: 'payload/launch.sh', words: plan.launcherWords, hostEntry: 'payload/run-on-host.sh' },
    guests: t.guests.map((g, i) => ({
      index: i,
      name: g.name,
      role: g.role,
      asil: g.asil,
      os: g.os,
      vcpus: g.vcpus,
      memoryMiB: g.memoryMiB,
      pin: g.pin,
      reservation: reservationOf(t, g, timing),
      vsockCid: vsock.has(i) ? guestCid(i) : null,
      words: [guestSpecWord(t, g, i, timing), ...(g.os === 'rtos' ? [rtosGuestWord(g, i, rtosRunMs, false)] : [])],
    })),
    channels: plan.channels,
    run: { holdS: RUN_HOLD_S, sampleIntervalS: RUN_SAMPLE_INTERVAL_S, rtosRunMs },
    notes: [
      `argv[0] is "${EMULATOR_ARGV0}" from PATH (QEMU ≥ 9 with FEAT_NV2); image paths are relative to the unpacked bundle.`,
      ...(timing === 'deterministic' ? ['-icount is the shared-clock form; `nestbed run` substitutes the per-core-time emulator and its -icount when `nestbed setup` built it.'] : []),
      `${images.payloadArchive} is not in the bundle: it is the newc archive of payload/, written when the bundle is run on the emulated stack.`,
      'Guest names never reach a guest: guests are indices in the launcher words (nb_g<i>, nb_r<i>).',
    ],
  };
};
