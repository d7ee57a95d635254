// A diagnostic is data: {code, severity, message, path, line, column}. Codes are stable forever;
// the registry below is the single list (docs, SARIF rules and JUnit families are generated from it).
import { z } from 'zod';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rule families: JUnit groups by these; `input` errors make the file malformed (exit 2), the rest
 * are rule violations of a well-formed topology (exit 1). */
export const RULE_FAMILIES = ['input', 'schema', 'references', 'resources', 'mixed-criticality', 'channels', 'schedulability', 'emulation'] as const;
export type RuleFamily = (typeof RULE_FAMILIES)[number];

interface CodeInfo {
  readonly family: RuleFamily;
  /** Short name, used as SARIF rule name. */
  readonly name: string;
  readonly summary: string;
}

export const DIAGNOSTIC_CODES = {
  // input: the file cannot be read as a document (exit 2)
  NB0001: { family: 'input', name: 'unreadable-file', summary: 'The file cannot be read.' },
  NB0002: { family: 'input', name: 'file-too-large', summary: 'The file exceeds the size limit for topology files.' },
  NB0003: { family: 'input', name: 'not-text', summary: 'The file is not UTF-8 text.' },
  NB0004: { family: 'input', name: 'empty-document', summary: 'The file holds no document.' },
  NB1001: { family: 'input', name: 'syntax-error', summary: 'The YAML or JSON is not well-formed.' },
  NB1002: { family: 'input', name: 'duplicate-key', summary: 'A mapping has the same key twice.' },
  NB1003: { family: 'input', name: 'alias-abuse', summary: 'YAML aliases expand beyond the allowed limit.' },
  NB1004: { family: 'input', name: 'too-deep', summary: 'The document nests deeper than any topology can.' },
  NB1005: { family: 'input', name: 'multiple-documents', summary: 'A topology file holds exactly one YAML document.' },
  // schema: well-formed document that is not a topology (exit 2)
  NB1010: { family: 'schema', name: 'wrong-type', summary: 'A value has the wrong type.' },
  NB1011: { family: 'schema', name: 'out-of-range', summary: 'A number or list length is outside its allowed range.' },
  NB1012: { family: 'schema', name: 'pattern', summary: 'A name does not match its required pattern.' },
  NB1013: { family: 'schema', name: 'unknown-key', summary: 'A key that the format does not define.' },
  NB1014: { family: 'schema', name: 'missing-key', summary: 'A required key is missing.' },
  NB1015: { family: 'schema', name: 'invalid-value', summary: 'A value is not one of the allowed values.' },
  NB1016: { family: 'schema', name: 'not-integer', summary: 'A number must be an integer.' },
  NB1020: { family: 'schema', name: 'duplicate-guest', summary: 'Two guests have the same name.' },
  NB1021: { family: 'schema', name: 'duplicate-task', summary: 'Two tasks of one guest have the same name.' },
  NB1022: { family: 'schema', name: 'duplicate-channel', summary: 'The same channel is declared twice.' },
  NB1030: { family: 'schema', name: 'server-budget', summary: 'A vcpuServer budget exceeds its period.' },
  NB1031: { family: 'schema', name: 'task-timing', summary: 'A task violates wcetUs ≤ deadlineUs ≤ periodUs.' },
  NB1032: { family: 'schema', name: 'custom-image', summary: '`os: custom` needs an `image`, and only a custom guest has one.' },
  NB1033: { family: 'schema', name: 'workload-needs-agent', summary: "A workload runs through nestbed's agent, which only Linux guests have." },
  NB2011: { family: 'input', name: 'image-file', summary: 'A custom image file is missing, unreadable, too large or not an arm64 kernel.' },
  // references (exit 2 for an unknown profile, 1 for the rest)
  NB2001: { family: 'input', name: 'unknown-profile', summary: 'The ECU profile id does not exist.' },
  NB2002: { family: 'references', name: 'unknown-guest', summary: 'A channel names a guest that does not exist.' },
  NB2003: { family: 'references', name: 'pin-length', summary: 'pin must have one entry per guest vCPU.' },
  NB2004: { family: 'references', name: 'pin-range', summary: 'A pin index is not a hypervisor vCPU.' },
  NB2005: { family: 'references', name: 'task-vcpu', summary: 'A task runs on a vCPU the guest does not have.' },
  NB2006: { family: 'references', name: 'duplicate-priority', summary: 'Two tasks on one guest vCPU share a priority.' },
  NB2007: { family: 'references', name: 'self-channel', summary: 'A channel connects a guest to itself.' },
  NB2008: { family: 'references', name: 'guest-vcpus-share', summary: 'Two vCPUs of one guest are pinned to the same hypervisor vCPU.' },
  NB2009: { family: 'references', name: 'no-profile', summary: 'No ECU profile is selected; budgets come only from the topology.' },
  NB2010: { family: 'references', name: 'no-role-budget', summary: 'The profile has no budgets for this guest role.' },
  // resources
  NB3001: { family: 'resources', name: 'hypervisor-memory', summary: 'Guests, VMM overheads and the hypervisor base do not fit hypervisor.memoryMiB.' },
  NB3002: { family: 'resources', name: 'host-memory', summary: 'The hypervisor VM and the L0 base do not fit host.memoryMiB.' },
  NB3003: { family: 'resources', name: 'vcpus-exceed-cores', summary: 'More hypervisor vCPUs than emulated cores: they share cores.' },
  NB3004: { family: 'resources', name: 'ecu-memory', summary: 'The guests need more memory than the ECU has.' },
  NB3005: { family: 'resources', name: 'guest-memory-budget', summary: "A guest's memory budget exceeds its memoryMiB." },
  // mixed criticality
  NB4001: { family: 'mixed-criticality', name: 'no-freedom-from-interference', summary: 'An ASIL guest shares a hypervisor vCPU without a vcpuServer on every sharer.' },
  NB4002: { family: 'mixed-criticality', name: 'overcommitted-servers', summary: 'The servers pinned to one hypervisor vCPU need more than 100 % of it.' },
  NB4004: { family: 'mixed-criticality', name: 'latency-below-blackout', summary: "A guest's latency budget is shorter than the longest time its server can withhold the CPU, 2(Π − Θ)." },
  NB4006: { family: 'mixed-criticality', name: 'latency-below-interrupt-path', summary: "A guest's latency budget is shorter than the ECU's own interrupt path (profile platform.interruptPathUs)." },
  // channels
  NB4003: { family: 'channels', name: 'qm-into-asil', summary: 'A channel carries data from a QM guest into an ASIL C/D guest.' },
  NB4005: { family: 'channels', name: 'custom-guest-channel', summary: 'A channel to or from an os: custom guest, which nestbed run does not realise yet.' },
  // schedulability
  NB5001: { family: 'schedulability', name: 'deadline-miss', summary: 'A task can miss its deadline.' },
  NB5002: { family: 'schedulability', name: 'no-guaranteed-supply', summary: 'Tasks on a shared hypervisor vCPU without a server have no guaranteed CPU supply.' },
  // emulation (how the topology will run on the nested stack)
  NB6001: { family: 'emulation', name: 'l1-multiplexing', summary: 'A hypervisor vCPU multiplexes several guest vCPUs: each switch is a nested world switch, very slow under emulation.' },
  NB6002: { family: 'emulation', name: 'large-emulated-memory', summary: 'Large emulated memory makes the run slower and the host RSS larger.' },
  NB6004: { family: 'emulation', name: 'no-housekeeping-core', summary: "L0's own work shares the emulated cores with the hypervisor's vCPUs (host.cores = hypervisor.vcpus)." },
  NB6003: { family: 'emulation', name: 'deadline-bandwidth', summary: "The servers on one hypervisor vCPU need more than the 95 % of it that the hypervisor's SCHED_DEADLINE admits." },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export const diagnosticSchema = z.strictObject({
  code: z.string().regex(/^NB[0-9]{4}$/),
  severity: z.enum(SEVERITIES),
  message: z.string(),
  path: z.string(),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  endLine: z.number().int().min(1).optional(),
  endColumn: z.number().int().min(1).optional(),
});

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** JSON-path-like location, e.g. `guests[1].pin[0]`; '' for the whole document. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
}

export const familyOf = (code: DiagnosticCode): RuleFamily => DIAGNOSTIC_CODES[code].family;

/** Errors in these families mean the file is not a well-formed topology (exit 2). */
export const isInputFamily = (family: RuleFamily): boolean => family === 'input' || family === 'schema';

export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
};

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Sorted by position, then severity, then code: the order a person reads a file in. */
export const compareDiagnostics = (a: Diagnostic, b: Diagnostic): number =>
  a.line - b.line || a.column - b.column || severityRank[a.severity] - severityRank[b.severity] || a.code.localeCompare(b.code) || a.message.localeCompare(b.message);
