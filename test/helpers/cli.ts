// runCli in process with captured stdout/stderr: what the CLI tests and the bundle tests share.
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { repoRoot } from './validate.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** runCli in process, in `cwd` (default: the repository) with `env` (default: empty). */
export const runCliInProcess = async (args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> => {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await runCli(args, { stdout: out, stderr: err, stdoutIsTTY: false, stderrIsTTY: false, cwd: opts.cwd ?? repoRoot, env: opts.env ?? {}, signal: new AbortController().signal });
  return { code, stdout, stderr };
};
