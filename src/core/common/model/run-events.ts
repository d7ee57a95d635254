// Live events of a run (`nestbed run`): what the CLI prints as stage lines and what a UI streams.
// Every event carries `t`, milliseconds of host wall time since the run started.
import { z } from 'zod';

export const RUN_STATES = ['starting', 'booted', 'running', 'stopping', 'exited', 'failed'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Where a line or event comes from: level 0 (emulated server), 1 (guest hypervisor), 2 (a guest). */
export const sourceSchema = z.strictObject({
  level: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  guest: z.string().optional(),
});
export type EventSource = z.infer<typeof sourceSchema>;

const t = z.number().nonnegative();

export const runEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('state'), t, state: z.enum(RUN_STATES), detail: z.string().optional() }),
  z.strictObject({
    type: z.literal('stage'),
    t,
    /** e.g. "l0-init", "l1-init", "guest-ready", "all-ready", "done". */
    stage: z.string(),
    source: sourceSchema.optional(),
    /** Guest virtual time (its uptime, s) when the agent reported it, if any. */
    uptimeS: z.number().optional(),
    message: z.string(),
  }),
  z.strictObject({ type: z.literal('console'), t, source: sourceSchema, line: z.string() }),
  /** A structured event from the agent at a level (raw: the short keys of guest/init.sh). */
  z.strictObject({ type: z.literal('agent'), t, source: sourceSchema, name: z.string(), data: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal('host-sample'), t, qemuRssKiB: z.number().int().nonnegative(), loadAvg1: z.number().nonnegative() }),
  z.strictObject({
    type: z.literal('failure'),
    t,
    source: sourceSchema.optional(),
    reason: z.enum(['kernel-panic', 'vmm-error', 'vm-exit', 'timeout', 'emulator-exit', 'cancelled', 'infrastructure']),
    message: z.string(),
    consoleTail: z.array(z.string()),
  }),
]);
export type RunEvent = z.infer<typeof runEventSchema>;
