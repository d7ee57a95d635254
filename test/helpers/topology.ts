import { topologySchema, type ValidTopology } from '../../src/core/common/model/topology.js';

/** Test-only: a schema-parsed topology treated as validated, for pure runner pieces (argv builder,
 * collector, channel planner) whose tests need topologies built in code. */
export const asValidForTest = (t: unknown): ValidTopology => topologySchema.parse(t) as ValidTopology;

/** The topology test/fixtures/console-two-guests.log was recorded from (two 1-vCPU Linux guests). */
export const TWO_GUEST_FIXTURE = asValidForTest({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'fx',
  host: { cpu: 'max', cores: 2, memoryMiB: 2048 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
  guests: [
    { name: 'g-zero', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 256 },
    { name: 'g-one', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [1], memoryMiB: 256 },
  ],
});
