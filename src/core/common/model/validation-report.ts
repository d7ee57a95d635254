// The machine-readable result of `nestbed validate` (spec/topology.md "Results of validate --format
// json"). Versioned: fields are only ever added.
import { z } from 'zod';
import { diagnosticSchema } from './diagnostic.js';

export const VALIDATION_SCHEMA_VERSION = 1;

export const supplySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('server'), periodUs: z.number().int(), budgetUs: z.number().int() }),
  z.strictObject({ kind: z.literal('dedicated') }),
  z.strictObject({ kind: z.literal('none') }),
]);

export const taskResultSchema = z.strictObject({
  name: z.string(),
  priority: z.number().int(),
  periodUs: z.number().int(),
  wcetUs: z.number().int(),
  deadlineUs: z.number().int(),
  responseTimeUs: z.number().int().nullable(),
  schedulable: z.boolean(),
  slackUs: z.number().int().nullable(),
  reason: z.enum(['deadline-miss', 'no-guaranteed-supply']).optional(),
});

export const validationReportSchema = z.strictObject({
  schemaVersion: z.literal(VALIDATION_SCHEMA_VERSION),
  tool: z.literal('nestbed'),
  toolVersion: z.string(),
  command: z.literal('validate'),
  file: z.string(),
  topology: z.string().nullable(),
  profile: z.string().nullable(),
  success: z.boolean(),
  summary: z.strictObject({ errors: z.number().int(), warnings: z.number().int(), infos: z.number().int() }),
  diagnostics: z.array(diagnosticSchema),
  schedulability: z.array(
    z.strictObject({
      guest: z.string(),
      vcpu: z.number().int(),
      hypervisorVcpu: z.number().int().nullable(),
      supply: supplySchema,
      /** The ECU profile's platform interrupt path J included in every response time, µs (0: none). */
      interruptPathUs: z.number().int().nonnegative().optional(),
      tasks: z.array(taskResultSchema),
    }),
  ),
});

export type ValidationReport = z.infer<typeof validationReportSchema>;
