// The shape of one CLI command. src/cli/commands.ts holds THE command table; help and option
// parsing are generated from it.
import type { ExitCode } from '../core/common/model/exit-code.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
  /** Allowed values of a string option; anything else is a usage error (exit 2). */
  readonly choices?: readonly string[];
  readonly valueName?: string;
}

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: long-running commands must stop their work and clean up. */
  readonly signal: AbortSignal;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, e.g. ['<topology>']; a trailing '?' marks one optional ('[run-dir]'). */
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly run: (args: ParsedArgs, io: CommandIO) => Promise<ExitCode>;
}

/** Options every command shares (spec/cli.md). */
export const commonOptions = {
  quiet: { type: 'boolean', short: 'q', description: 'Only errors on stderr.' },
  verbose: { type: 'boolean', short: 'v', description: 'More detail on stderr.' },
} as const satisfies Record<string, OptionSpec>;
