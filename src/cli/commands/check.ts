// `nestbed check <topology>`: validate, run on the nested stack, judge every measurement against the
// ECU profile and the topology's budgets. The verdict command for CI.
import { join, relative, resolve } from 'node:path';
import { judgeRun } from '../../core/common/checks/judge.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { InputError } from '../../core/common/model/errors.js';
import { TIMING_MODES } from '../../core/common/model/topology.js';
import { formatCheckHtml } from '../../core/common/report/check-html.js';
import { formatCheckJunit, formatCheckSarif, formatCheckText } from '../../core/common/report/check-formats.js';
import { unreadableTopology, validateTopology } from '../../core/common/validate/validate-topology.js';
import { writeFileAtomic } from '../../core/node/fs-atomic.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { runTopology } from '../../core/node/run/runner.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { readSourceFile } from '../../core/node/source-file.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption, profileOption } from '../output.js';
import { toolVersion } from '../version.js';
import { unknownProfile } from './profiles.js';
import { formatRunEvent } from './run.js';

const FORMATS = ['text', 'json', 'junit', 'sarif', 'html'] as const;
type Format = (typeof FORMATS)[number];

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

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
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const { profiles } = await loadProfiles();
    const profileOverride = options['profile'] as string | undefined;
    if (profileOverride !== undefined && !profiles.has(profileOverride)) return unknownProfile(io, profileOverride, profiles);
    const timeoutS = options['timeout'] === undefined ? 900 : Number(options['timeout']);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new InputError(`--timeout ${String(options['timeout'])}: expected a positive number of seconds`);

    const read = await readSourceFile(resolve(io.cwd, file));
    const v = read.ok ? validateTopology(read.text, { profiles, ...(profileOverride ? { profileOverride } : {}) }) : unreadableTopology(read.diagnostic);
    if (!v.valid || !read.ok) {
      for (const d of v.diagnostics.filter((x) => x.severity === 'error')) io.stderr.write(`${file}:${d.line}:${d.column}: error ${d.code}: ${d.message}\n`);
      io.stderr.write(`${file}: static validation failed; nothing was run (see "nestbed validate ${file}")\n`);
      return v.malformed ? ExitCode.InvalidInput : ExitCode.CheckFailed;
    }
    const quiet = options['quiet'] === true;
    const verbose = options['verbose'] === true;
    const timing = (options['timing'] as 'fast' | 'deterministic' | undefined) ?? 'deterministic';
    const outDir = resolve(io.cwd, (options['out'] as string | undefined) ?? join('runs', `${v.valid.name}-${stamp(new Date())}`));
    const { results, runDir } = await runTopology({
      topology: v.valid,
      topologyText: read.text,
      topologyFile: file,
      outDir,
      cacheRoot: cacheRoot(io.env),
      timing,
      timeoutS,
      signal: io.signal,
      onEvent: (e) => {
        if (quiet && e.type !== 'failure') return;
        const line = formatRunEvent(e, verbose);
        if (line) io.stderr.write(`${line}\n`);
      },
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
    if (!quiet) io.stderr.write(`${report.success ? 'check passed' : 'check FAILED'}: ${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.warn} warn, ${report.summary.skipped} skipped; ${shown}/report.html\n`);
    return report.success ? ExitCode.Ok : ExitCode.CheckFailed;
  },
};
