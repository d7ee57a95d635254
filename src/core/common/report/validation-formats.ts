// Renderers of a ValidationReport: text (a person at a terminal), JUnit and SARIF (CI).
import { DIAGNOSTIC_CODES, RULE_FAMILIES, familyOf, type DiagnosticCode, type RuleFamily } from '../model/diagnostic.js';
import type { ValidationReport } from '../model/validation-report.js';
import { textTable } from './text-table.js';

export interface TextOptions {
  /** The source text, for excerpts with a caret. */
  readonly source?: string;
  readonly color?: boolean;
}

const ansi = (color: boolean) => {
  const wrap = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { red: wrap('31;1'), yellow: wrap('33;1'), blue: wrap('34;1'), dim: wrap('2'), bold: wrap('1'), green: wrap('32;1') };
};

const excerpt = (source: string, line: number, column: number, endLine: number | undefined, endColumn: number | undefined): string => {
  const lines = source.split('\n');
  const text = (lines[line - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
  if (text.length > 200) return '';
  const gutter = String(line).length;
  const width = endLine === line && endColumn !== undefined && endColumn > column ? Math.min(endColumn - column, text.length - column + 1) : 1;
  return `${' '.repeat(gutter + 2)}|\n ${line} | ${text}\n${' '.repeat(gutter + 2)}| ${' '.repeat(Math.max(0, column - 1))}${'^'.repeat(Math.max(1, width))}`;
};

export const formatValidationText = (r: ValidationReport, options: TextOptions = {}): string => {
  const c = ansi(options.color ?? false);
  const out: string[] = [];
  for (const d of r.diagnostics) {
    const sev = d.severity === 'error' ? c.red('error') : d.severity === 'warning' ? c.yellow('warning') : c.blue('info');
    out.push(`${c.bold(`${r.file}:${d.line}:${d.column}`)}: ${sev} ${d.code}: ${d.message}${d.path ? c.dim(` [${d.path}]`) : ''}`);
    if (options.source !== undefined && d.path !== "") {
      const ex = excerpt(options.source, d.line, d.column, d.endLine, d.endColumn);
      if (ex) out.push(c.dim(ex));
    }
  }
  if (r.schedulability.length > 0) {
    if (out.length > 0) out.push('');
    const j = r.schedulability[0]?.interruptPathUs ?? 0;
    const path = j > 0 ? `; interrupt path J = ${j} µs per release from profile ${r.profile ?? '?'}` : '; no platform interrupt path (no profile)';
    out.push(c.bold('Schedulability') + c.dim(` (fixed-priority preemptive per guest vCPU; exact integer µs${path})`));
    const rows: string[][] = [];
    for (const v of r.schedulability) {
      const supply = v.supply.kind === 'server' ? `server ${v.supply.budgetUs}/${v.supply.periodUs}` : v.supply.kind;
      for (const t of v.tasks) {
        rows.push([
          v.guest,
          String(v.vcpu),
          v.hypervisorVcpu === null ? '-' : String(v.hypervisorVcpu),
          supply,
          t.name,
          String(t.priority),
          String(t.wcetUs),
          String(t.periodUs),
          String(t.deadlineUs),
          t.responseTimeUs === null ? '-' : String(t.responseTimeUs),
          t.slackUs === null ? '-' : String(t.slackUs),
          t.schedulable ? 'ok' : t.reason === 'no-guaranteed-supply' ? 'NO SUPPLY' : 'MISS',
        ]);
      }
    }
    const table = textTable(['guest', 'vcpu', 'hv', 'supply', 'task', 'prio', 'wcet', 'period', 'deadline', 'response', 'slack', 'verdict'], rows, new Set([1, 2, 5, 6, 7, 8, 9, 10]));
    out.push(
      table
        .split('\n')
        .map((l) => (l.endsWith('MISS') || l.endsWith('NO SUPPLY') ? c.red(l) : l))
        .join('\n'),
    );
  }
  const { errors, warnings, infos } = r.summary;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(infos, 'info')}`;
  const what = r.topology ? `topology ${r.topology}` : r.file;
  const prof = r.profile ? ` against profile ${r.profile}` : '';
  if (out.length > 0) out.push('');
  out.push(r.success ? `${c.green('✔ valid')}: ${what}${prof} — ${counts}` : `${c.red('✖ invalid')}: ${what}${prof} — ${counts}`);
  return `${out.join('\n')}\n`;
};

export const xmlEscape = (s: string): string =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);

/** One testcase per rule family and one per task (spec: JUnit for CI dashboards). */
export const formatValidationJunit = (r: ValidationReport): string => {
  const cases: string[] = [];
  let failures = 0;
  const byFamily = new Map<RuleFamily, typeof r.diagnostics>();
  for (const d of r.diagnostics) {
    const f = familyOf(d.code as DiagnosticCode);
    byFamily.set(f, [...(byFamily.get(f) ?? []), d]);
  }
  const suite = xmlEscape(r.topology ?? r.file);
  for (const family of RULE_FAMILIES) {
    const ds = byFamily.get(family) ?? [];
    const errs = ds.filter((d) => d.severity === 'error');
    const body = ds.map((d) => `${r.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`).join('\n');
    if (errs.length > 0) {
      failures++;
      cases.push(`    <testcase classname="${suite}.rules" name="${family}" file="${xmlEscape(r.file)}" line="${errs[0]!.line}">\n      <failure message="${xmlEscape(`${errs.length} error(s): ${errs[0]!.code} ${errs[0]!.message}`)}" type="${errs[0]!.code}">${xmlEscape(body)}</failure>\n    </testcase>`);
    } else {
      cases.push(`    <testcase classname="${suite}.rules" name="${family}" file="${xmlEscape(r.file)}">${body ? `\n      <system-out>${xmlEscape(body)}</system-out>\n    ` : ''}</testcase>`);
    }
  }
  for (const v of r.schedulability) {
    for (const t of v.tasks) {
      const name = `${v.guest}/vcpu${v.vcpu}/${t.name}`;
      if (t.schedulable) {
        cases.push(`    <testcase classname="${suite}.schedulability" name="${xmlEscape(name)}">\n      <system-out>response ${t.responseTimeUs} us &lt;= deadline ${t.deadlineUs} us (slack ${t.slackUs} us)</system-out>\n    </testcase>`);
      } else {
        failures++;
        const why = t.reason === 'no-guaranteed-supply' ? 'no guaranteed supply on a shared hypervisor vCPU' : `worst-case response time exceeds deadline ${t.deadlineUs} us`;
        cases.push(`    <testcase classname="${suite}.schedulability" name="${xmlEscape(name)}">\n      <failure message="${xmlEscape(why)}" type="${t.reason ?? 'deadline-miss'}">${xmlEscape(`${name}: wcet ${t.wcetUs} us, period ${t.periodUs} us, priority ${t.priority}: ${why}`)}</failure>\n    </testcase>`);
      }
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nestbed validate" tests="${cases.length}" failures="${failures}">\n  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
};

/** SARIF 2.1.0: one rule per diagnostic code, results located in the topology file. */
export const formatValidationSarif = (r: ValidationReport, toolVersion: string): string => {
  const codes = Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[];
  const index = new Map(codes.map((c, i) => [c, i]));
  const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'nestbed',
            version: toolVersion,
            rules: codes.map((code) => ({
              id: code,
              name: DIAGNOSTIC_CODES[code].name,
              shortDescription: { text: DIAGNOSTIC_CODES[code].summary },
              properties: { family: DIAGNOSTIC_CODES[code].family },
            })),
          },
        },
        artifacts: [{ location: { uri: r.file } }],
        results: r.diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: index.get(d.code as DiagnosticCode) ?? -1,
          level: level(d.severity),
          message: { text: d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: r.file, index: 0 },
                region: { startLine: d.line, startColumn: d.column, ...(d.endLine ? { endLine: d.endLine } : {}), ...(d.endColumn ? { endColumn: d.endColumn } : {}) },
              },
              ...(d.path ? { logicalLocations: [{ fullyQualifiedName: d.path }] } : {}),
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
};
