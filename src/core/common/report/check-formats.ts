// Renderers of a CheckReport: text (terminal), JUnit (one testcase per check and guest), SARIF
// (the static findings, located in the topology file).
import type { CheckReport, CheckResult, Figure } from '../model/check-report.js';
import { textTable } from './text-table.js';
import { formatValidationSarif, xmlEscape } from './validation-formats.js';

export const showFigure = (f: Figure | undefined): string => (f ? `${f.value} ${f.unit}${f.timeBase ? ` (${f.timeBase})` : ''}` : '-');

const MARKS: Readonly<Record<CheckResult['verdict'], string>> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: 'INCONCLUSIVE', skipped: 'skip' };
const mark = (c: CheckResult): string => MARKS[c.verdict];

/** "12 pass, 0 fail, 1 warn, 2 inconclusive, 3 skipped" (the one summary line of every medium). */
export const summaryText = (r: CheckReport): string => {
  const { pass, fail, warn, inconclusive, skipped } = r.summary;
  return `${pass} pass, ${fail} fail, ${warn} warn, ${inconclusive} inconclusive${r.strict ? ' (--strict: counted as failures)' : ''}, ${skipped} skipped`;
};

export const formatCheckText = (r: CheckReport): string => {
  const rows = r.checks.map((c) => [mark(c), c.id, c.guest ?? '-', showFigure(c.measured), c.budget ? `${c.budget.value} ${c.budget.unit}` : '-', c.indicative ? 'indicative' : '']);
  const lines = [`nestbed ${r.command}: topology ${r.topology}${r.profile ? ` against profile ${r.profile}` : ''}, timing ${r.timing}`, '', textTable(['verdict', 'check', 'guest', 'measured', 'budget', ''], rows), ''];
  const notable = r.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'warn' || c.verdict === 'inconclusive');
  for (const c of notable) lines.push(`${mark(c)} ${c.id}${c.guest ? ` [${c.guest}]` : ''}: ${c.message}${c.budgetSource ? ` (budget from ${c.budgetSource})` : ''}`);
  if (notable.length) lines.push('');
  lines.push(`timing model: ${r.timingModel}`);
  if (r.runDir) lines.push(`run directory: ${r.runDir}`);
  lines.push('', `${r.success ? '✔ passed' : '✖ failed'}: ${summaryText(r)}`);
  return `${lines.join('\n')}\n`;
};

export const formatCheckJunit = (r: CheckReport): string => {
  const suite = xmlEscape(r.topology);
  const cases = r.checks.map((c) => {
    const name = xmlEscape(c.guest ? `${c.id} [${c.guest}]` : c.id);
    const detail = xmlEscape(`${c.message}${c.measured ? `\nmeasured: ${showFigure(c.measured)}` : ''}${c.budget ? `\nbudget: ${c.budget.value} ${c.budget.unit} from ${c.budgetSource ?? '?'}` : ''}${c.indicative ? '\n(indicative: fast timing)' : ''}`);
    const open = `    <testcase classname="${suite}.${xmlEscape(c.id)}" name="${name}">`;
    switch (c.verdict) {
      case 'fail':
        return `${open}\n      <failure message="${xmlEscape(c.message)}" type="${xmlEscape(c.id)}">${detail}</failure>\n    </testcase>`;
      case 'inconclusive':
        return r.strict
          ? `${open}\n      <failure message="${xmlEscape(c.message)}" type="${xmlEscape(c.id)}.inconclusive">${detail}</failure>\n    </testcase>`
          : `${open}\n      <skipped message="${xmlEscape(`inconclusive: ${c.message}`)}"/>\n    </testcase>`;
      case 'skipped':
        return `${open}\n      <skipped message="${xmlEscape(c.message)}"/>\n    </testcase>`;
      case 'warn':
      case 'pass':
        return `${open}\n      <system-out>${c.verdict === 'warn' ? 'WARNING: ' : ''}${detail}</system-out>\n    </testcase>`;
    }
  });
  const fail = r.summary.fail + (r.strict ? r.summary.inconclusive : 0);
  const skipped = r.summary.skipped + (r.strict ? 0 : r.summary.inconclusive);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nestbed ${r.command}" tests="${cases.length}" failures="${fail}">\n  <testsuite name="${suite}" tests="${cases.length}" failures="${fail}" errors="0" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
};

/** SARIF holds the static findings (they have locations in the topology file). */
export const formatCheckSarif = (r: CheckReport): string =>
  formatValidationSarif(
    {
      schemaVersion: 1,
      tool: 'nestbed',
      toolVersion: r.toolVersion,
      command: 'validate',
      file: r.file ?? 'topology.yaml',
      topology: r.topology,
      profile: r.profile,
      success: !r.diagnostics.some((d) => d.severity === 'error'),
      summary: { errors: 0, warnings: 0, infos: 0 },
      diagnostics: r.diagnostics,
      schedulability: [],
    },
    r.toolVersion,
  );
