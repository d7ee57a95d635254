// parse → schema → rules → schedulability. The only producer of `ValidTopology`.
import { analyseSchedulability, tbf, type VcpuSchedulability } from '../analysis/schedulability.js';
import { compareDiagnostics, familyOf, isInputFamily, type Diagnostic } from '../model/diagnostic.js';
import type { EcuProfile } from '../model/profile.js';
import { isSafetyAsil, topologySchema, type Topology, type ValidTopology } from '../model/topology.js';
import { parseSource, type SourceMap } from './parse-source.js';
import { makeReporter, RULES, type ImageFileInspector } from './rules.js';
import { schemaDiagnostics } from './schema-diagnostics.js';

export interface ValidateOptions {
  /** ECU profiles by id. */
  readonly profiles: ReadonlyMap<string, EcuProfile>;
  /** A profile chosen outside the file (CLI --profile); the caller has checked that it exists. */
  readonly profileOverride?: string;
  /** Checks the files of `os: custom` images (node: src/core/node/custom-image.ts). */
  readonly files?: ImageFileInspector;
}

export interface Validation {
  /** Present when the text is a schema-valid topology (possibly with rule errors). */
  readonly topology: Topology | undefined;
  /** Present only when there is no error at all. */
  readonly valid: ValidTopology | undefined;
  readonly profile: EcuProfile | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly schedulability: readonly VcpuSchedulability[];
  readonly sourceMap: SourceMap;
  readonly errors: number;
  readonly warnings: number;
  /** At least one error makes the file not a well-formed topology (exit 2 rather than 1). */
  readonly malformed: boolean;
}

const finish = (parts: Omit<Validation, 'errors' | 'warnings' | 'malformed' | 'valid'>): Validation => {
  const diagnostics = [...parts.diagnostics].sort(compareDiagnostics);
  let errors = 0;
  let warnings = 0;
  let malformed = false;
  for (const d of diagnostics) {
    if (d.severity === 'error') {
      errors++;
      if (isInputFamily(familyOf(d.code))) malformed = true;
    } else if (d.severity === 'warning') warnings++;
  }
  const valid = errors === 0 && parts.topology ? (parts.topology as ValidTopology) : undefined;
  return { ...parts, diagnostics, errors, warnings, malformed, valid };
};

/** The validation of a file that could not even be read (NB0001–NB0003). */
export const unreadableTopology = (diagnostic: Diagnostic): Validation =>
  finish({ topology: undefined, profile: undefined, schedulability: [], sourceMap: { locate: () => ({ line: 1, column: 1, endLine: 1, endColumn: 1 }) }, diagnostics: [diagnostic] });

export const validateTopology = (text: string, options: ValidateOptions): Validation => {
  const parsed = parseSource(text);
  const base = { topology: undefined, profile: undefined, schedulability: [], sourceMap: parsed.sourceMap };
  if (parsed.diagnostics.length > 0) return finish({ ...base, diagnostics: parsed.diagnostics });

  const result = topologySchema.safeParse(parsed.value);
  if (!result.success) {
    return finish({ ...base, diagnostics: schemaDiagnostics(result.error.issues, parsed.value, topologySchema, parsed.sourceMap) });
  }
  return checkTopology(result.data, parsed.sourceMap, options);
};

/** Rules and schedulability on a schema-valid topology. Exposed so tools can check topologies built
 * in code, including stress sizes beyond the schema's limits (see bench/). */
export const checkTopology = (topology: Topology, sourceMap: SourceMap, options: ValidateOptions): Validation => {
  const base = { topology: undefined, profile: undefined, schedulability: [], sourceMap };
  const diagnostics: Diagnostic[] = [];
  const report = makeReporter(sourceMap, diagnostics);

  const profileId = options.profileOverride ?? topology.profile;
  const profile = profileId === undefined ? undefined : options.profiles.get(profileId);
  if (profileId !== undefined && !profile && options.profileOverride === undefined) {
    const known = [...options.profiles.keys()].sort().join(', ');
    report('NB2001', 'error', ['profile'], `profile = "${profileId}" is not an ECU profile (known: ${known})`);
  } else if (profileId === undefined) {
    report('NB2009', 'info', [], 'no ECU profile selected (set `profile:` or pass --profile): budgets come only from the topology');
  }

  const ctx = { topology, sourceMap, profile, report, files: options.files };
  for (const rule of RULES) rule(ctx);

  // Schedulability only makes sense on a well-formed topology.
  const malformed = diagnostics.some((d) => d.severity === 'error' && isInputFamily(familyOf(d.code)));
  const schedulability = malformed ? [] : analyseSchedulability(topology, { interruptPathUs: profile?.platform?.interruptPathUs ?? 0 });
  const guestIndex = new Map(topology.guests.map((g, i) => [g.name, i]));
  for (const vcpu of schedulability) {
    const gi = guestIndex.get(vcpu.guest)!;
    const guest = topology.guests[gi]!;
    const severity = isSafetyAsil(guest.asil) ? 'error' : 'warning';
    if (vcpu.supply.kind === 'none') {
      const first = guest.tasks!.findIndex((t) => (t.vcpu ?? 0) === vcpu.vcpu);
      report('NB5002', severity, ['guests', gi, 'tasks', first],
        `guest ${guest.name} vcpu ${vcpu.vcpu} shares hypervisor vCPU ${guest.pin[vcpu.vcpu]} with other guest vCPUs and has no vcpuServer: its ${vcpu.tasks.length} task${vcpu.tasks.length === 1 ? '' : 's'} (${vcpu.tasks.map((t) => t.name).join(', ')}) have no guaranteed supply`);
      continue;
    }
    for (const t of vcpu.tasks) {
      if (t.schedulable) continue;
      const ti = guest.tasks!.findIndex((x) => x.name === t.name);
      const path = vcpu.interruptPathUs > 0 ? `, interrupt path ${vcpu.interruptPathUs} µs per release (profile ${profile?.id ?? '?'})` : '';
      const supply = `${vcpu.supply.kind === 'server' ? `a server of ${vcpu.supply.budgetUs} µs every ${vcpu.supply.periodUs} µs, blackout ${2 * (vcpu.supply.periodUs - vcpu.supply.budgetUs)} µs` : 'a dedicated vCPU'}${path}`;
      // The iteration stops once R > D; its first step, the supply time of one job of every task at
      // this priority or above, is a lower bound worth naming.
      const lowerBound = vcpu.interruptPathUs + tbf(vcpu.supply, vcpu.tasks.reduce((sum, x) => (x.priority >= t.priority ? sum + x.wcetUs : sum), 0));
      report('NB5001', severity, ['guests', gi, 'tasks', ti],
        `task ${guest.name}/${t.name} can miss its deadline: worst-case response time ≥ ${lowerBound} µs > deadlineUs = ${t.deadlineUs} (wcetUs ${t.wcetUs}, priority ${t.priority}, on ${supply})`);
    }
  }
  return finish({ ...base, topology, profile, diagnostics, schedulability });
};
