import { join } from 'node:path';
import { judgeRun } from '../../core/common/checks/judge.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { InputError } from '../../core/common/model/errors.js';
import { formatCheckHtml } from '../../core/common/report/check-html.js';
import { formatCheckJunit, formatCheckSarif, formatCheckText } from '../../core/common/report/check-formats.js';
import { validateTopology } from '../../core/common/validate/validate-topology.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { replayIfLauncherResults } from '../../core/node/report/launcher-results.js';
import { loadRunDir } from '../../core/node/report/load-run.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption, profileOption } from '../output.js';
import { toolVersion } from '../../core/node/version.js';
import { unknownProfile } from './profiles.js';

const FORMATS = ['text', 'json', 'junit', 'sarif', 'html'] as const;
type Format = (typeof FORMATS)[number];

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: "Judge a finished run directory (or a bundle launcher's results directory, replayed into results.json first) against the ECU profile and budgets; render text, json, junit, sarif or a self-contained html report.",
  positionals: ['<run-dir>'],
  options: {
    format: formatOption(FORMATS),
    'output-file': outputFileOption,
    profile: profileOption,
    strict: { type: 'boolean', description: 'Count inconclusive verdicts as failures.' },
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const { profiles } = await loadProfiles();
    const profileOverride = options['profile'] as string | undefined;
    if (profileOverride !== undefined && !profiles.has(profileOverride)) return unknownProfile(io, profileOverride, profiles);
    const dir = positionals[0]!;
    if ((await replayIfLauncherResults(dir, { profiles })) && options['quiet'] !== true) io.stderr.write(`nestbed: replayed the launcher's console log into results.json (${join(dir, 'results.json')})\n`);
    const run = await loadRunDir(dir);
    const v = validateTopology(run.topologyText, { profiles, ...(profileOverride ? { profileOverride } : {}) });
    if (!v.topology) throw new InputError(`${run.topologyFile}: ${v.diagnostics[0]?.code ?? ''} ${v.diagnostics[0]?.message ?? 'not a topology'}`);
    const report = judgeRun({
      topology: v.topology,
      profile: v.profile,
      results: run.results,
      schedulability: v.schedulability,
      strict: options['strict'] === true,
      diagnostics: v.diagnostics,
      toolVersion: toolVersion(),
      command: 'report',
      file: run.results.topology.file ?? run.topologyFile,
      runDir: run.dir,
    });
    const format = (options['format'] as Format | undefined) ?? 'text';
    const text =
      format === 'json' ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'junit' ? formatCheckJunit(report)
      : format === 'sarif' ? formatCheckSarif(report)
      : format === 'html' ? formatCheckHtml(report, run.results)
      : formatCheckText(report);
    await emit(io, text, options['output-file'] as string | undefined);
    return report.success ? ExitCode.Ok : ExitCode.CheckFailed;
  },
};
