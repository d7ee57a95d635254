// `nestbed setup [--check]`: the host emulator and the guest image set (spec/cli.md).
import { commonOptions, type CommandSpec } from '../command.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { runSetup } from '../../core/node/setup/setup.js';

export const setupCommand: CommandSpec = {
  name: 'setup',
  summary: 'Check/install the emulator and build the cached, verified guest image set (idempotent).',
  positionals: [],
  options: {
    ...commonOptions,
    check: { type: 'boolean', description: 'Only report what is missing or corrupt; change nothing.' },
    format: { type: 'string', choices: ['text', 'json'], description: 'Report format on stdout.', valueName: 'fmt' },
  },
  run: async (args, io) => {
    const quiet = args.options.quiet === true;
    const log = (line: string): void => {
      if (!quiet) io.stderr.write(`setup: ${line}\n`);
    };
    const report = await runSetup({ cacheRoot: cacheRoot(io.env), check: args.options.check === true, log, signal: io.signal });
    if (args.options.format === 'json') {
      io.stdout.write(
        `${JSON.stringify({ ok: report.ok, cache: cacheRoot(io.env), hostQemu: report.hostQemu ?? null, actions: report.actions, problems: report.problems, warnings: report.warnings, perCoreQemu: report.manifest?.perCoreQemu ?? null, ms: report.ms, artifacts: report.manifest?.artifacts ?? {} }, null, 2)}\n`,
      );
    } else if (!quiet) {
      io.stderr.write(`setup: ${report.ok ? 'ready' : 'NOT ready'} (${(report.ms / 1000).toFixed(1)} s)\n`);
    }
    return report.ok ? ExitCode.Ok : ExitCode.Infrastructure;
  },
};
