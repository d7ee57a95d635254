// `nestbed check <topology>`: validate, run on the nested stack, judge every measurement against the
// ECU profile and the topology's budgets. The verdict command for CI.
import { join, relative } from 'node:path';
import { judgeRun } from '../../core/common/checks/judge.js';
import { isolationPhaseSeconds } from '../../core/common/analysis/phases.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { TIMING_MODES, type ValidTopology } from '../../core/common/model/topology.js';
import { formatCheckHtml } from '../../core/common/report/check-html.js';
import { formatCheckJunit, formatCheckSarif, formatCheckText, summaryText } from '../../core/common/report/check-formats.js';
import { writeFileAtomic } from '../../core/node/fs-atomic.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { runTopology } from '../../core/node/run/runner.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption, profileOption } from '../output.js';
import { toolVersion } from '../version.js';
import { unknownProfile } from './profiles.js';
import { runDirFor, stageLines, timeoutSeconds, validateForRun } from '../run-support.js';

const FORMATS = ['text', 'json', 'junit', 'sarif', 'html'] as const;
type Format = (typeof FORMATS)[number];

/** The guest `check` panics to test fault containment: the first QM Linux guest, if the topology has
 * one besides other guests (there must be someone left to keep running). */
export const faultVictim = (t: ValidTopology): string | undefined =>
  t.guests.length > 1 ? t.guests.find((g) => g.asil === 'QM' && g.os !== 'rtos')?.name : undefined;

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'Validate, run on the nested stack and judge every measurement against the ECU profile and budgets (the CI verdict).',
  positionals: ['<topology>'],
  options: {
    format: formatOption(FORMATS),
    'output-file': outputFileOption,
    profile: profileOption,
    timing: { type: 'string', choices: [...TIMING_MODES], description: 'deterministic (default for verdicts: virtual time) or fast (wall clock, indicative).', valueName: 'mode' },
    timeout: { type: 'string', description: 'Hard bound for the run, seconds (default 900).', valueName: 's' },
    out: { type: 'string', description: 'Run directory (default: runs/<name>-<time>); report.html is written there too.', valueName: 'dir' },
    strict: { type: 'boolean', description: 'Count inconclusive verdicts (the emulated platform\'s floor above a budget) as failures.' },
    'no-isolation': { type: 'boolean', description: 'Skip the isolation probes (channel probes, idle vs stress, out-of-RAM read, a QM guest panicked mid-run).' },
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const { profiles } = await loadProfiles();
    const profileOverride = options['profile'] as string | undefined;
    if (profileOverride !== undefined && !profiles.has(profileOverride)) return unknownProfile(io, profileOverride, profiles);
    const timeoutS = timeoutSeconds(options['timeout'], 900);
    const checked = await validateForRun(io, file, profiles, profileOverride);
    if ('exit' in checked) return checked.exit;
    const { validation: v, text: topologyText, dir } = checked;
    const quiet = options['quiet'] === true;
    const verbose = options['verbose'] === true;
    const timing = (options['timing'] as 'fast' | 'deterministic' | undefined) ?? 'deterministic';
    const outDir = runDirFor(io, v.valid.name, options['out'] as string | undefined);
    const victim = faultVictim(v.valid);
    const { results, runDir } = await runTopology({
      topology: v.valid,
      topologyText,
      topologyFile: file,
      topologyDir: dir,
      ...(v.profile ? { profile: v.profile } : {}),
      outDir,
      cacheRoot: cacheRoot(io.env),
      timing,
      timeoutS,
      ...(options['no-isolation'] ? {} : { isolation: { idleS: isolationPhaseSeconds(v.valid), stressS: isolationPhaseSeconds(v.valid), spatial: true, ...(victim ? { faultGuest: victim } : {}) } }),
      signal: io.signal,
      onEvent: stageLines(io, quiet, verbose),
    });
    const shown = relative(io.cwd, runDir) || runDir;
    if (results.status === 'cancelled') {
      io.stderr.write(`check cancelled; partial run directory: ${shown}\n`);
      return ExitCode.Infrastructure;
    }
    if (results.status !== 'ok' && results.failure?.reason !== 'kernel-panic') {
      // No verdict without a run: the environment failed, not the topology.
      io.stderr.write(`the run ${results.status}: ${results.failure?.message ?? 'unknown'}\nrun directory: ${shown}\n`);
      return ExitCode.Infrastructure;
    }
    const report = judgeRun({
      topology: v.valid,
      profile: v.profile,
      results,
      schedulability: v.schedulability,
      diagnostics: v.diagnostics,
      toolVersion: toolVersion(),
      command: 'check',
      file,
      runDir: shown,
      strict: options['strict'] === true,
    });
    // The HTML report always lands in the run directory, for people; --format picks stdout's.
    await writeFileAtomic(join(runDir, 'report.html'), formatCheckHtml(report, results));
    await writeFileAtomic(join(runDir, 'check.json'), `${JSON.stringify(report, null, 2)}\n`);
    const format = (options['format'] as Format | undefined) ?? 'text';
    const text =
      format === 'json' ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'junit' ? formatCheckJunit(report)
      : format === 'sarif' ? formatCheckSarif(report)
      : format === 'html' ? formatCheckHtml(report, results)
      : formatCheckText(report);
    await emit(io, text, options['output-file'] as string | undefined);
    if (!quiet) io.stderr.write(`${report.success ? 'check passed' : 'check FAILED'}: ${summaryText(report)}; ${shown}/report.html\n`);
    return report.success ? ExitCode.Ok : ExitCode.CheckFailed;
  },
};
