// Validation → the versioned JSON report; every other format renders this object.
import type { Validation } from '../validate/validate-topology.js';
import { VALIDATION_SCHEMA_VERSION, type ValidationReport } from '../model/validation-report.js';

export const toValidationReport = (v: Validation, file: string, toolVersion: string): ValidationReport => ({
  schemaVersion: VALIDATION_SCHEMA_VERSION,
  tool: 'nestbed',
  toolVersion,
  command: 'validate',
  file,
  topology: v.topology?.name ?? null,
  profile: v.profile?.id ?? null,
  success: v.errors === 0,
  summary: { errors: v.errors, warnings: v.warnings, infos: v.diagnostics.length - v.errors - v.warnings },
  diagnostics: v.diagnostics.map((d) => ({ ...d })),
  schedulability: v.schedulability.map((s) => {
    const guest = v.topology?.guests.find((g) => g.name === s.guest);
    return { guest: s.guest, vcpu: s.vcpu, hypervisorVcpu: guest?.pin[s.vcpu] ?? null, supply: s.supply, interruptPathUs: s.interruptPathUs, tasks: s.tasks.map((t) => ({ ...t })) };
  }),
});
