// The verdict of `nestbed check` / `nestbed report`: named checks, each with a verdict, the measured
// value, the budget and where the budget came from. Versioned: fields are only ever added.
import { z } from 'zod';
import { diagnosticSchema } from './diagnostic.js';
import { RUN_TIMINGS } from './run-results.js';

export const CHECK_REPORT_VERSION = 1;

/** `inconclusive`: the emulated platform's own measured floor is above the budget, so the run cannot
 * tell pass from fail (the message names the floor, the budget and what would settle it);
 * `check --strict` counts it as a failure. */
export const VERDICTS = ['pass', 'fail', 'warn', 'inconclusive', 'skipped'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Which clock produced a time figure (spec: every time figure says so). `hardware`: real time on the
 * board a launcher ran on (its own clock, or a guest's), judged as measured. */
export const TIME_BASES = ['host-wall', 'guest-virtual', 'ecu-equivalent', 'hardware'] as const;
export type TimeBase = (typeof TIME_BASES)[number];

export const figureSchema = z.strictObject({
  value: z.number(),
  unit: z.string(),
  timeBase: z.enum(TIME_BASES).optional(),
});
export type Figure = z.infer<typeof figureSchema>;

export const checkResultSchema = z.strictObject({
  /** Stable check id: boot, memory, latency, scheduling, parity.isa, parity.arch, parity.page-size, isolation.* */
  id: z.string(),
  guest: z.string().optional(),
  verdict: z.enum(VERDICTS),
  measured: figureSchema.optional(),
  budget: figureSchema.optional(),
  /** "profile nvidia-drive-orin (role safety)" or "topology guests[0].budgets" or "analysis (validate)". */
  budgetSource: z.string().optional(),
  /** Time figure from `fast` timing: wall-clock under emulation, not a verdict you can rely on. */
  indicative: z.boolean().optional(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const checkReportSchema = z.strictObject({
  schemaVersion: z.literal(CHECK_REPORT_VERSION),
  tool: z.literal('nestbed'),
  toolVersion: z.string(),
  command: z.enum(['check', 'report']),
  topology: z.string(),
  file: z.string().optional(),
  profile: z.string().nullable(),
  timing: z.enum(RUN_TIMINGS),
  /** How guest virtual time maps to the ECU (the timing model, stated). */
  timingModel: z.string(),
  success: z.boolean(),
  /** `--strict`: inconclusive verdicts fail the check. */
  strict: z.boolean().optional(),
  summary: z.strictObject({ pass: z.number().int(), fail: z.number().int(), warn: z.number().int(), inconclusive: z.number().int(), skipped: z.number().int() }),
  checks: z.array(checkResultSchema),
  /** Static findings of `validate`, located in the topology file (SARIF). */
  diagnostics: z.array(diagnosticSchema),
  runDir: z.string().optional(),
});
export type CheckReport = z.infer<typeof checkReportSchema>;
