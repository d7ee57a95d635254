// `nestbed run <topology>`: boot the topology on the nested stack, write a run directory.
import { join, relative, resolve } from 'node:path';
import { ExitCode } from '../../core/common/model/exit-code.js';
import type { RunEvent } from '../../core/common/model/run-events.js';
import { TIMING_MODES } from '../../core/common/model/topology.js';
import { InputError } from '../../core/common/model/errors.js';
import { unreadableTopology, validateTopology } from '../../core/common/validate/validate-topology.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { readSourceFile } from '../../core/node/source-file.js';
import { runTopology } from '../../core/node/run/runner.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { commonOptions, type CommandSpec } from '../command.js';

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

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

export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'Boot the topology as nested arm64 VMs (L0 → L1 → guests) and write a run directory with results.json.',
  positionals: ['<topology>'],
  options: {
    ...commonOptions,
    out: { type: 'string', description: 'Run directory (default: runs/<name>-<time>).', valueName: 'dir' },
    timing: { type: 'string', choices: [...TIMING_MODES], description: 'fast: MTTCG wall clock; deterministic: -icount shift=0,sleep=off with a fixed RNG seed and RTC (virtual time, reproducible). Overrides host.timing.', valueName: 'mode' },
    timeout: { type: 'string', description: 'Hard bound for the whole run, seconds (default 600).', valueName: 's' },
    format: { type: 'string', choices: ['text', 'json'], description: 'stdout: the run directory (text) or results.json (json).', valueName: 'fmt' },
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const timeoutS = options.timeout === undefined ? 600 : Number(options.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new InputError(`--timeout ${String(options.timeout)}: expected a positive number of seconds`);
    const read = await readSourceFile(resolve(io.cwd, file));
    const catalog = await loadProfiles();
    const v = read.ok ? validateTopology(read.text, { profiles: catalog.profiles }) : unreadableTopology(read.diagnostic);
    if (!v.valid || !read.ok) {
      for (const d of v.diagnostics.filter((x) => x.severity === 'error').slice(0, 10)) io.stderr.write(`${file}:${d.line}:${d.column}: error ${d.code}: ${d.message}\n`);
      io.stderr.write(`${file}: not a valid topology; see "nestbed validate ${file}"\n`);
      return v.malformed ? ExitCode.InvalidInput : ExitCode.CheckFailed;
    }
    const topology = v.valid;
    const outDir = resolve(io.cwd, (options.out as string | undefined) ?? join('runs', `${topology.name}-${stamp(new Date())}`));
    const quiet = options.quiet === true;
    const verbose = options.verbose === true;
    const { results, runDir } = await runTopology({
      topology,
      topologyText: read.text,
      topologyFile: file,
      outDir,
      cacheRoot: cacheRoot(io.env),
      ...(options.timing ? { timing: options.timing as 'fast' | 'deterministic' } : {}),
      timeoutS,
      signal: io.signal,
      onEvent: (e) => {
        if (quiet && e.type !== 'failure') return;
        const line = formatRunEvent(e, verbose);
        if (line) io.stderr.write(`${line}\n`);
      },
    });
    const shown = relative(io.cwd, runDir) || runDir;
    if (options.format === 'json') io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else io.stdout.write(`${shown}\n`);
    if (results.status !== 'ok') {
      const f = results.failure;
      io.stderr.write(`run ${results.status}: ${f?.message ?? 'unknown'}\n`);
      if (f && f.consoleTail.length > 0) io.stderr.write(`--- console tail${f.guest ? ` (${f.guest})` : f.level !== undefined ? ` (L${f.level})` : ''} ---\n${f.consoleTail.join('\n')}\n---\n`);
      io.stderr.write(`run directory: ${shown}; ${f?.reason === 'timeout' ? 'the stack was too slow or hung: check the console logs, raise --timeout, or close other CPU-heavy programs' : 'see the console logs there'}\n`);
      return ExitCode.Infrastructure;
    }
    if (!quiet) {
      const ready = results.allReadyMs !== undefined ? `${(results.allReadyMs / 1000).toFixed(1)} s to all guests ready, ` : '';
      io.stderr.write(`run ok: ${ready}${(results.wallMs / 1000).toFixed(1)} s total, host QEMU RSS ${Math.round(results.host.qemuRssMaxKiB / 1024)} MiB; ${shown}/results.json\n`);
    }
    return ExitCode.Ok;
  },
};
