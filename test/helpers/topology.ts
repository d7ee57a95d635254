import { topologySchema, type ValidTopology } from '../../src/core/common/model/topology.js';

/** Test-only: a schema-parsed topology treated as validated, for pure runner pieces (argv builder,
 * collector, channel planner) whose tests need topologies built in code. */
export const asValidForTest = (t: unknown): ValidTopology => topologySchema.parse(t) as ValidTopology;
