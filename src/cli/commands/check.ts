// `nestbed check <topology>`: validate, run on the nested stack, judge every measurement against the
// ECU profile and the topology's budgets. The verdict command for CI.
import { ExitCode } from '../../core/common/model/exit-code.js';
import { TIMING_MODES } from '../../core/common/model/topology.js';
import { formatCheckHtml } from '../../core/common/report/check-html.js';
import { formatCheckJunit, formatCheckSarif, formatCheckText, summaryText } from '../../core/common/report/check-formats.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption, profileOption } from '../output.js';
import { unknownProfile } from './profiles.js';
import { runInSession, shownDir, timeoutSeconds } from '../run-support.js';

const FORMATS = ['text', 'json', 'junit', 'sarif', 'html'] as const;
type Format = (typeof FORMATS)[number];

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
    cold: { type: 'boolean', description: 'Boot L0 and L1 for this run instead of restoring the warm stack (a snapshot of them booted, made by the first run of the same stack shape and kept in the cache); makes no snapshot.' },
    'no-isolation': { type: 'boolean', description: 'Skip the isolation probes (channel probes, idle vs stress, out-of-RAM read, a QM guest panicked mid-run).' },
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const profile = options['profile'] as string | undefined;
    if (profile !== undefined) {
      const { profiles } = await loadProfiles();
      if (!profiles.has(profile)) return unknownProfile(io, profile, profiles);
    }
    const quiet = options['quiet'] === true;
    const end = await runInSession(
      io,
      {
        mode: 'check',
        file,
        timeoutS: timeoutSeconds(options['timeout'], 900),
        timing: (options['timing'] as 'fast' | 'deterministic' | undefined) ?? 'deterministic',
        ...(options['out'] !== undefined ? { outDir: options['out'] as string } : {}),
        ...(options['no-isolation'] ? { isolation: false } : {}),
        ...(options.cold === true ? { warm: false } : {}),
        ...(profile !== undefined ? { profile } : {}),
        strict: options['strict'] === true,
      },
      { quiet, verbose: options['verbose'] === true },
    );
    const { results, report, runDir } = end;
    if (!results || !runDir) return end.exitCode;
    const shown = shownDir(io, runDir);
    if (!report) {
      // No verdict without a run: the environment failed, not the topology.
      io.stderr.write(end.outcome === 'cancelled' ? `check cancelled; partial run directory: ${shown}\n` : `the run ${results.status}: ${results.failure?.message ?? 'unknown'}\nrun directory: ${shown}\n`);
      return ExitCode.Infrastructure;
    }
    const format = (options['format'] as Format | undefined) ?? 'text';
    const text =
      format === 'json' ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'junit' ? formatCheckJunit(report)
      : format === 'sarif' ? formatCheckSarif(report)
      : format === 'html' ? formatCheckHtml(report, results)
      : formatCheckText(report);
    await emit(io, text, options['output-file'] as string | undefined);
    if (!quiet) io.stderr.write(`${report.success ? 'check passed' : 'check FAILED'}: ${summaryText(report)}; ${shown}/report.html\n`);
    return end.exitCode;
  },
};
