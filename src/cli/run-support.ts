// What `run` and `check` share: reading and validating the topology before anything boots, the
// default run directory, the timeout option, and the live stage lines on stderr.
import { dirname, join, resolve } from 'node:path';
import { imageFileInspector } from '../core/node/custom-image.js';
import { ExitCode } from '../core/common/model/exit-code.js';
import { InputError } from '../core/common/model/errors.js';
import type { EcuProfile } from '../core/common/model/profile.js';
import type { RunEvent } from '../core/common/model/run-events.js';
import { unreadableTopology, validateTopology, type Validation } from '../core/common/validate/validate-topology.js';
import { readSourceFile } from '../core/node/source-file.js';
import type { CommandIO } from './command.js';


const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

/** --out, or runs/<name>-<UTC time> below the working directory. */
export const runDirFor = (io: CommandIO, name: string, out: string | undefined): string => resolve(io.cwd, out ?? join('runs', `${name}-${stamp(new Date())}`));

export const timeoutSeconds = (value: string | boolean | undefined, fallback: number): number => {
  const s = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(s) || s <= 0) throw new InputError(`--timeout ${String(value)}: expected a positive number of seconds`);
  return s;
};

/** Validation before a run: nothing boots unless the topology is valid. Returns the exit code to
 * stop with (errors printed), or the validation and source text to run. */
export const validateForRun = async (
  io: CommandIO,
  file: string,
  profiles: ReadonlyMap<string, EcuProfile>,
  profileOverride?: string,
): Promise<{ readonly exit: ExitCode } | { readonly validation: Validation & { valid: NonNullable<Validation['valid']> }; readonly text: string; readonly dir: string }> => {
  // custom image paths are relative to the topology file: checked here, packed from here by the run
  const dir = dirname(resolve(io.cwd, file));
  const read = await readSourceFile(resolve(io.cwd, file));
  const v = read.ok ? validateTopology(read.text, { profiles, files: imageFileInspector(dir), ...(profileOverride ? { profileOverride } : {}) }) : unreadableTopology(read.diagnostic);
  if (!v.valid || !read.ok) {
    for (const d of v.diagnostics.filter((x) => x.severity === 'error').slice(0, 20)) io.stderr.write(`${file}:${d.line}:${d.column}: error ${d.code}: ${d.message}\n`);
    io.stderr.write(`${file}: static validation failed; nothing was run (see "nestbed validate ${file}")\n`);
    return { exit: v.malformed ? ExitCode.InvalidInput : ExitCode.CheckFailed };
  }
  return { validation: v as Validation & { valid: NonNullable<Validation['valid']> }, text: read.text, dir };
};

/** One stderr line per stage/failure/state event ("[  12.3 s] message"). */
export const formatRunEvent = (e: RunEvent, verbose: boolean): string | undefined => {
  const ts = `[${(e.t / 1000).toFixed(1).padStart(6)} s]`;
  switch (e.type) {
    case 'stage':
      return `${ts} ${e.message}`;
    case 'state':
      return e.state === 'starting' ? undefined : `${ts} state: ${e.state}${e.detail && e.state !== 'failed' ? ` (${e.detail})` : ''}`;
    case 'failure':
      return `${ts} FAILED (${e.reason}): ${e.message}`;
    case 'console':
      return verbose ? `${ts} ${e.source.level === 2 ? e.source.guest : `L${e.source.level}`}> ${e.line}` : undefined;
    case 'agent':
    case 'host-sample':
      return undefined;
  }
};

/** The run's live events as stage lines on stderr (failures even with --quiet). */
export const stageLines = (io: CommandIO, quiet: boolean, verbose: boolean) => (e: RunEvent): void => {
  if (quiet && e.type !== 'failure') return;
  const line = formatRunEvent(e, verbose);
  if (line) io.stderr.write(`${line}\n`);
};
