// The event stream of one session run (src/core/node/session/session.ts): every RunEvent of the stack
// plus what happens around it — accepted, rejected before anything booted, judged, finished. A client
// (CLI, desktop main, browser server) sees a run only through these events; every failure is one.
import { z } from 'zod';
import { checkReportSchema } from './check-report.js';
import { diagnosticSchema } from './diagnostic.js';
import { runEventSchema } from './run-events.js';

export const RUN_MODES = ['run', 'check'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** Why a run ended without results: the topology (invalid), the input (bad request), the environment
 * (emulator or images missing, a stack that did not come up), or a bug. Maps to exit codes 1/2, 2, 3, 4. */
export const REJECTIONS = ['invalid-topology', 'input', 'infrastructure', 'internal'] as const;

/** How a run ended. `check-failed`: it ran and a verdict failed; `failed`: the stack failed. */
export const RUN_OUTCOMES = ['ok', 'check-failed', 'failed', 'cancelled', 'rejected'] as const;
export type RunOutcomeKind = (typeof RUN_OUTCOMES)[number];

const t = z.number().nonnegative();

export const sessionEventSchema = z.discriminatedUnion('type', [
  ...runEventSchema.options,
  z.strictObject({
    type: z.literal('accepted'),
    t,
    runId: z.string(),
    mode: z.enum(RUN_MODES),
    topologyFile: z.string(),
    topologyName: z.string(),
    runDir: z.string(),
    timing: z.enum(['fast', 'deterministic']),
    guests: z.array(z.string()),
  }),
  z.strictObject({
    type: z.literal('rejected'),
    t,
    reason: z.enum(REJECTIONS),
    message: z.string(),
    hint: z.string().optional(),
    /** invalid-topology: the validator's diagnostics (errors first). */
    diagnostics: z.array(diagnosticSchema).optional(),
    /** invalid-topology: malformed input (exit 2) rather than a rule violation (exit 1). */
    malformed: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('verdict'), t, report: checkReportSchema, reportFile: z.string() }),
  z.strictObject({
    type: z.literal('finished'),
    t,
    outcome: z.enum(RUN_OUTCOMES),
    /** The process exit code a CLI gives this outcome (src/core/common/model/exit-code.ts). */
    exitCode: z.number().int(),
    runDir: z.string().optional(),
    message: z.string(),
  }),
]);
export type SessionEvent = z.infer<typeof sessionEventSchema>;
