// Shared by the integration tests: the real cache (setup once), validated topologies, and the
// orphan check.
import { tmpdir } from 'node:os';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import type { ValidTopology } from '../../src/core/common/model/topology.js';
import { validateTopology } from '../../src/core/common/validate/validate-topology.js';
import { loadProfiles } from '../../src/core/node/profiles.js';
import { pidsByComm } from '../../src/core/node/process/supervised.js';
import { cacheRoot } from '../../src/core/node/setup/paths.js';
import { runSetup } from '../../src/core/node/setup/setup.js';

export const CACHE = cacheRoot(process.env);
export const MIN = 60_000;

let setupDone: Promise<void> | undefined;
/** Runs `nestbed setup` once per test process (a no-op when the cache is complete). */
export const ensureSetup = (): Promise<void> =>
  (setupDone ??= runSetup({ cacheRoot: CACHE, check: false, log: (l) => process.stderr.write(`setup: ${l}\n`) }).then(() => undefined));

/** For a suite that boots real stacks: the image set is there and no emulator of ours is running.
 * On a fresh machine the first call builds the per-core-time emulator (about 12 min on 2 cores). */
export const beforeRealStacks = (): void =>
  beforeAll(async () => {
    await ensureSetup();
    expect(await liveEmulators()).toEqual([]);
  }, 40 * MIN);

export const validTopology = async (text: string): Promise<ValidTopology> => {
  const { profiles } = await loadProfiles();
  const v = validateTopology(text, { profiles });
  if (!v.valid) throw new Error(`test topology invalid:\n${v.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return v.valid;
};

export const tempRunDir = async (name: string): Promise<string> => join(await mkdtemp(join(tmpdir(), 'nestbed-it-')), name);

/** Host emulators started by nestbed runs (booting images from our cache) still alive: a run must
 * leave none. Other qemu-system-aarch64 processes on the machine are not ours to count. */
export const liveEmulators = async (): Promise<number[]> => {
  const out: number[] = [];
  for (const pid of await pidsByComm('qemu-system-aarch64')) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(join(CACHE, 'images'))) out.push(pid);
  }
  return out;
};

export const TWO_GUESTS = `
apiVersion: nestbed/v1
kind: Topology
name: it-two-guests
host: { cpu: ampereone, cores: 2, memoryMiB: 2048 }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 1024 }
guests:
  - name: alpha
    role: other
    asil: QM
    os: linux
    vcpus: 1
    pin: [0]
    memoryMiB: 256
    workload: { cyclictest: { intervalUs: 1000, loops: 200 } }
  - name: beta
    role: other
    asil: QM
    os: linux
    vcpus: 1
    pin: [1]
    memoryMiB: 256
    vcpuServer: { periodUs: 10000, budgetUs: 5000 }
    workload: { stress: { cpu: 1 } }
`;

/** A Linux guest with cyclictest and the bare-metal rtos (os: rtos) with two tasks; run twice in
 * deterministic mode by the reproducibility test. */
export const LINUX_AND_RTOS = `
apiVersion: nestbed/v1
kind: Topology
name: it-linux-rtos
host: { cpu: ampereone, cores: 2, memoryMiB: 2048, timing: deterministic }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 1024 }
guests:
  - name: alpha
    role: other
    asil: QM
    os: linux
    vcpus: 1
    pin: [0]
    memoryMiB: 256
    workload: { cyclictest: { intervalUs: 1000, loops: 200 } }
  - name: safety
    role: safety
    asil: D
    os: rtos
    vcpus: 1
    pin: [1]
    memoryMiB: 64
    tasks:
      - { name: brake-monitor, periodUs: 1000, wcetUs: 100, priority: 90 }
      - { name: torque-arbiter, periodUs: 5000, wcetUs: 600, deadlineUs: 4000, priority: 80 }
`;

/** Isolation probes on one run (fast timing): a Linux → Linux channel through the L1 relay, a channel
 * from the rtos guest (probed from the relay side) and one into it (answered by the relay); ivi
 * stresses during the stress phase; gw is panicked on purpose after it. */
export const ISOLATION = `
apiVersion: nestbed/v1
kind: Topology
name: it-isolation
host: { cpu: ampereone, cores: 2, memoryMiB: 3072, timing: deterministic }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 1536 }
guests:
  - name: safety
    role: safety
    asil: D
    os: rtos
    vcpus: 1
    pin: [1]
    memoryMiB: 64
    tasks:
      - { name: brake-monitor, periodUs: 1000, wcetUs: 100, priority: 90 }
  - name: ivi
    role: infotainment
    asil: QM
    os: linux
    vcpus: 1
    pin: [0]
    memoryMiB: 192
    workload: { stress: { cpu: 1 } }
  - name: gw
    role: gateway
    asil: QM
    os: linux
    vcpus: 1
    pin: [0]
    memoryMiB: 192
channels:
  - { from: ivi, to: gw, kind: vsock, port: 5000 }
  - { from: safety, to: ivi, kind: vsock, port: 5001 }
  - { from: gw, to: safety, kind: vsock, port: 5002 }
`;

/** One os: custom guest; the test puts the kernel file (my-ecu.Image) and an initrd of megabytes
 * (my-ecu.initrd, which the rtos ignores) next to it. The command line is the rtos's own
 * (docs/rtos.md): a long run, so L1 has to stop it after the hold time. */
export const CUSTOM_GUEST = `
apiVersion: nestbed/v1
kind: Topology
name: it-custom
host: { cpu: ampereone, cores: 2, memoryMiB: 2048 }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 1024 }
guests:
  - name: ecu
    role: gateway
    asil: QM
    os: custom
    vcpus: 1
    pin: [1]
    memoryMiB: 64
    image:
      kernel: my-ecu.Image
      initrd: my-ecu.initrd
      cmdline: "console=ttyAMA0 nb_tasks=ctl:10000:200::50 nb_runms=600000 nb_hbms=500"
      readyLine: '"e":"ready"'
`;
