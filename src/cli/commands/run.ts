// `nestbed run <topology | bundle.tar.gz>`: boot the topology (or a verified deployment bundle's
// topology and launcher) on the nested stack, write a run directory.
import { JOBS_PER_WINDOW, MAX_PHASE_S, MIN_PHASE_S } from '../../core/common/analysis/phases.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { TIMING_MODES } from '../../core/common/model/topology.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { runInSession, shownDir, timeoutSeconds } from '../run-support.js';


export const runCommand: CommandSpec = {
  name: 'run',
  summary: 'Boot the topology, or a deployment bundle (.tar.gz: verified first, its own launcher), as nested arm64 VMs (L0 → L1 → guests) and write a run directory with results.json.',
  positionals: ['<topology|bundle>'],
  options: {
    ...commonOptions,
    out: { type: 'string', description: 'Run directory (default: runs/<name>-<time>).', valueName: 'dir' },
    timing: { type: 'string', choices: [...TIMING_MODES], description: 'fast: MTTCG wall clock; deterministic: -icount shift=0,sleep=off with a fixed RNG seed and RTC (virtual time, reproducible). Overrides host.timing.', valueName: 'mode' },
    timeout: { type: 'string', description: 'Hard bound for the whole run, seconds (default 600).', valueName: 's' },
    format: { type: 'string', choices: ['text', 'json'], description: 'stdout: the run directory (text) or results.json (json).', valueName: 'fmt' },
    isolation: { type: 'boolean', description: `Isolation probes once every guest is ready: channel probes, then the QM guests idle and under their declared stress, each window long enough for ${JOBS_PER_WINDOW} safety jobs (${MIN_PHASE_S}–${MAX_PHASE_S} s) (the safety guest's latency in both, results.json isolation.interference).` },
    cold: { type: 'boolean', description: 'Boot L0 and L1 for this run instead of restoring the warm stack (a snapshot of them booted, made by the first run of the same stack shape and kept in the cache); makes no snapshot.' },
    'inject-panic': { type: 'string', description: 'Test hook: panic this Linux guest mid-run (after every guest is ready and the phases); the run goes on and records what the others did (results.json isolation.fault).', valueName: 'guest' },
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const quiet = options.quiet === true;
    const end = await runInSession(
      io,
      {
        mode: 'run',
        file,
        timeoutS: timeoutSeconds(options.timeout, 600),
        ...(options.out !== undefined ? { outDir: options.out as string } : {}),
        ...(options.timing ? { timing: options.timing as 'fast' | 'deterministic' } : {}),
        ...(options.isolation === true ? { isolation: true } : {}),
        ...(options.cold === true ? { warm: false } : {}),
        ...(typeof options['inject-panic'] === 'string' ? { injectPanic: options['inject-panic'] } : {}),
      },
      { quiet, verbose: options.verbose === true },
    );
    const { results, runDir } = end;
    if (!results || !runDir) return end.exitCode;
    const shown = shownDir(io, runDir);
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
