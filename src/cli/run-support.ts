// What `run` and `check` share: a session run driven from the terminal — the timeout option, the live
// stage lines on stderr, and a rejected run (invalid topology, missing emulator, a bug) printed the way
// the rest of the CLI prints errors.
import { relative } from 'node:path';
import { InputError } from '../core/common/model/errors.js';
import type { RunEvent } from '../core/common/model/run-events.js';
import type { SessionEvent } from '../core/common/model/session-events.js';
import { Session, type RunEnd, type RunRequest } from '../core/node/session/session.js';
import { cacheRoot } from '../core/node/setup/paths.js';
import type { CommandIO } from './command.js';

export const timeoutSeconds = (value: string | boolean | undefined, fallback: number): number => {
  const s = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(s) || s <= 0) throw new InputError(`--timeout ${String(value)}: expected a positive number of seconds`);
  return s;
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

/** The terminal view of a session event: stage lines (failures even with --quiet), and a rejection
 * as the CLI's usual error lines. */
const printEvent = (io: CommandIO, file: string, quiet: boolean, verbose: boolean) => (e: SessionEvent): void => {
  switch (e.type) {
    case 'rejected':
      if (e.reason === 'invalid-topology') {
        for (const d of (e.diagnostics ?? []).slice(0, 20)) io.stderr.write(`${file}:${d.line}:${d.column}: error ${d.code}: ${d.message}\n`);
        io.stderr.write(`${file}: static validation failed; nothing was run (see "nestbed validate ${file}")\n`);
      } else if (e.reason === 'internal') io.stderr.write(`nestbed: internal error (a bug — please report it with this trace):\n${e.message}\n`);
      else io.stderr.write(`nestbed: ${e.message}\n${e.hint ? `  what to do: ${e.hint}\n` : ''}`);
      return;
    case 'accepted':
    case 'verdict':
    case 'finished':
      return;
    default: {
      if (quiet && e.type !== 'failure') return;
      const line = formatRunEvent(e, verbose);
      if (line) io.stderr.write(`${line}\n`);
    }
  }
};

/** Runs one request through a session in the working directory, printing its events; Ctrl-C cancels. */
export const runInSession = async (io: CommandIO, request: RunRequest, flags: { quiet: boolean; verbose: boolean }): Promise<RunEnd> => {
  const session = new Session({ cwd: io.cwd, cacheRoot: cacheRoot(io.env) });
  const run = session.start(request);
  session.subscribe(run.id, printEvent(io, request.file, flags.quiet, flags.verbose));
  const onAbort = () => session.cancel(run.id);
  io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await run.done;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
  }
};

/** A run directory as the user should see it: relative to the working directory when inside it. */
export const shownDir = (io: CommandIO, dir: string): string => relative(io.cwd, dir) || dir;
