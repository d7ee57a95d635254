// The core service every client uses (STYLE.md "leaves are thin"): validate a topology, run or check it
// on the nested stack, list and reopen runs. A run has an id and one event stream with any number of
// subscribers; a late subscriber first gets the history. Every outcome — including a topology that does
// not validate, a missing emulator and a bug — ends the stream as events ('rejected', 'finished'); the
// CLI, the desktop main process and the browser server only translate these for their medium.
import { randomUUID } from 'node:crypto';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isolationPhaseSeconds } from '../../common/analysis/phases.js';
import { judgeRun } from '../../common/checks/judge.js';
import type { CheckReport } from '../../common/model/check-report.js';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import { ExitCode } from '../../common/model/exit-code.js';
import type { RunResults } from '../../common/model/run-results.js';
import type { RunMode, RunOutcomeKind, SessionEvent } from '../../common/model/session-events.js';
import type { ValidTopology } from '../../common/model/topology.js';
import { formatCheckHtml } from '../../common/report/check-html.js';
import { unreadableTopology, validateTopology, type Validation } from '../../common/validate/validate-topology.js';
import { imageFileInspector } from '../custom-image.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { loadProfiles, type ProfileCatalog } from '../profiles.js';
import { openBundle, isBundlePath } from '../bundle/run-bundle.js';
import { runTopology, type IsolationOptions } from '../run/runner.js';
import { readSourceFile } from '../source-file.js';
import { toolVersion } from '../version.js';

export interface RunRequest {
  readonly mode: RunMode;
  /** The topology file (relative to the session's folder, or absolute). */
  readonly file: string;
  /** The text to run instead of the file's (an editor buffer); relative image paths still resolve
   * against the file's folder. */
  readonly text?: string;
  /** Run directory (default: runs/<name>-<UTC time> in the session's folder). */
  readonly outDir?: string;
  readonly timing?: 'fast' | 'deterministic';
  /** Hard bound, s (default 600 for run, 900 for check). */
  readonly timeoutS?: number;
  /** run: the isolation phases (idle, stress); check: on unless false. */
  readonly isolation?: boolean;
  /** run: panic this Linux guest mid-run (test hook). */
  readonly injectPanic?: string;
  /** false: boot L0 and L1 instead of restoring the warm stack (runner.ts RunOptions.warm). */
  readonly warm?: boolean;
  /** check: inconclusive verdicts fail. */
  readonly strict?: boolean;
  /** An ECU profile id overriding the topology's (the caller checked that it exists). */
  readonly profile?: string;
}

/** What a finished run leaves for an in-process client (remote clients reopen it with openRun). */
export interface RunEnd {
  readonly outcome: RunOutcomeKind;
  readonly exitCode: ExitCode;
  readonly runDir?: string;
  readonly results?: RunResults;
  readonly report?: CheckReport;
}

type Listener = (e: SessionEvent) => void;

interface RunRecord {
  readonly id: string;
  readonly request: RunRequest;
  readonly started: number;
  history: SessionEvent[];
  readonly listeners: Set<Listener>;
  readonly abort: AbortController;
  readonly done: Promise<RunEnd>;
  finished: boolean;
}

/** Console lines kept for late subscribers; older ones are dropped (the run directory keeps them all). */
const HISTORY_LIMIT = 200_000;

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

/** The guest `check` panics to test fault containment: the first QM Linux guest, if the topology has
 * one besides other guests (there must be someone left to keep running). */
export const faultVictim = (t: ValidTopology): string | undefined =>
  t.guests.length > 1 ? t.guests.find((g) => g.asil === 'QM' && g.os !== 'rtos')?.name : undefined;

const isolationFor = (req: RunRequest, t: ValidTopology): IsolationOptions | undefined => {
  const phaseS = isolationPhaseSeconds(t);
  if (req.mode === 'check') {
    if (req.isolation === false) return undefined;
    const victim = faultVictim(t);
    return { idleS: phaseS, stressS: phaseS, spatial: true, ...(victim ? { faultGuest: victim } : {}) };
  }
  if (req.isolation !== true && req.injectPanic === undefined) return undefined;
  return {
    idleS: req.isolation === true ? phaseS : 0,
    stressS: req.isolation === true ? phaseS : 0,
    ...(req.injectPanic !== undefined ? { faultGuest: req.injectPanic } : {}),
  };
};

export interface SessionOptions {
  /** The folder relative paths and the default runs/ directory are resolved against. */
  readonly cwd: string;
  readonly cacheRoot: string;
  readonly profilesDir?: string;
}

export class Session {
  private readonly runs = new Map<string, RunRecord>();
  private catalog: Promise<ProfileCatalog> | undefined;

  constructor(readonly options: SessionOptions) {}

  profiles(): Promise<ProfileCatalog> {
    this.catalog ??= loadProfiles(this.options.profilesDir);
    return this.catalog;
  }

  resolve(file: string): string {
    return isAbsolute(file) ? file : resolve(this.options.cwd, file);
  }

  /** Validates a topology text as the CLI does (profiles, custom image files next to `file`). */
  async validate(text: string, file: string, profileOverride?: string): Promise<Validation> {
    const { profiles } = await this.profiles();
    return validateTopology(text, { profiles, files: imageFileInspector(dirname(this.resolve(file))), ...(profileOverride ? { profileOverride } : {}) });
  }

  /** Reads and validates a file (an unreadable file is a validation with NB0001–NB0003). */
  async validateFile(file: string, profileOverride?: string): Promise<{ validation: Validation; text: string | undefined }> {
    const read = await readSourceFile(this.resolve(file));
    if (!read.ok) return { validation: unreadableTopology(read.diagnostic), text: undefined };
    return { validation: await this.validate(read.text, file, profileOverride), text: read.text };
  }

  /** Starts a run; its events begin at once (subscribe with the returned id). */
  start(request: RunRequest): { readonly id: string; readonly done: Promise<RunEnd> } {
    const id = randomUUID();
    const abort = new AbortController();
    const record: RunRecord = {
      id,
      request,
      started: Date.now(),
      history: [],
      listeners: new Set(),
      abort,
      finished: false,
      done: Promise.resolve().then(() => this.execute(record)),
    };
    this.runs.set(id, record);
    return { id, done: record.done };
  }

  /** Calls `listener` with every event so far, then with each new one; returns the unsubscribe. */
  subscribe(id: string, listener: Listener): () => void {
    const r = this.runs.get(id);
    if (!r) throw new InputError(`no run with id ${id}`);
    for (const e of [...r.history]) listener(e);
    if (r.finished) return () => undefined;
    r.listeners.add(listener);
    return () => r.listeners.delete(listener);
  }

  /** Stops a run: the stack is shut down (its process group killed), the run ends 'cancelled'. */
  cancel(id: string): boolean {
    const r = this.runs.get(id);
    if (!r || r.finished) return false;
    r.abort.abort();
    return true;
  }

  /** Runs of this session, newest first. */
  list(): ReadonlyArray<{ id: string; request: RunRequest; finished: boolean; started: number }> {
    return [...this.runs.values()].reverse().map((r) => ({ id: r.id, request: r.request, finished: r.finished, started: r.started }));
  }

  /** Stops every run that is still going (a client closing) and waits for them to end. */
  async dispose(): Promise<void> {
    const live = [...this.runs.values()].filter((r) => !r.finished);
    for (const r of live) r.abort.abort();
    await Promise.allSettled(live.map((r) => r.done));
  }

  private emit(r: RunRecord, e: SessionEvent): void {
    r.history.push(e);
    if (r.history.length > HISTORY_LIMIT) this.trimHistory(r);
    for (const l of r.listeners) {
      try {
        l(e);
      } catch {
        // a failing subscriber (a closed socket) must not stop the run or the others
        r.listeners.delete(l);
      }
    }
  }

  /** Drops the oldest console lines, a tenth of the limit at once (not one per event: a run past the
   * limit would otherwise rescan the history on every line); every other event is kept. */
  private trimHistory(r: RunRecord): void {
    let drop = HISTORY_LIMIT / 10;
    r.history = r.history.filter((e) => !(e.type === 'console' && drop-- > 0));
  }

  private finish(r: RunRecord, end: RunEnd, message: string): RunEnd {
    this.emit(r, { type: 'finished', t: Date.now() - r.started, outcome: end.outcome, exitCode: end.exitCode, ...(end.runDir ? { runDir: end.runDir } : {}), message });
    r.finished = true;
    r.listeners.clear();
    return end;
  }

  private reject(r: RunRecord, e: unknown): RunEnd {
    const t = Date.now() - r.started;
    if (e instanceof InputError) {
      this.emit(r, { type: 'rejected', t, reason: 'input', message: e.message });
      return this.finish(r, { outcome: 'rejected', exitCode: ExitCode.InvalidInput }, e.message);
    }
    if (e instanceof InfrastructureError) {
      this.emit(r, { type: 'rejected', t, reason: 'infrastructure', message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
      return this.finish(r, { outcome: 'rejected', exitCode: ExitCode.Infrastructure }, e.message);
    }
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.emit(r, { type: 'rejected', t, reason: 'internal', message });
    return this.finish(r, { outcome: 'rejected', exitCode: ExitCode.Internal }, 'internal error (a bug)');
  }

  private async execute(r: RunRecord): Promise<RunEnd> {
    try {
      return await this.runChecked(r);
    } catch (e) {
      return this.reject(r, e);
    }
  }

  private async runChecked(r: RunRecord): Promise<RunEnd> {
    const req = r.request;
    const file = this.resolve(req.file);
    const { profiles } = await this.profiles();
    if (req.profile !== undefined && !profiles.has(req.profile)) throw new InputError(`profile "${req.profile}" is not an ECU profile (known: ${[...profiles.keys()].sort().join(', ')})`);
    // a deployment bundle (src/core/node/bundle/run-bundle.ts): its topology, profile and payload
    const bundle = isBundlePath(file) ? await openBundle(file, req.file, profiles) : undefined;
    let text = req.text ?? bundle?.topologyText;
    let v: Validation;
    if (bundle) {
      if (req.profile !== undefined) throw new InputError('--profile: a bundle runs against the profile it was validated with');
      if (req.mode === 'check') throw new InputError(`${req.file}: a bundle's launcher is planned for a plain run (launch/plan.json); run it with "nestbed run ${req.file}" and judge the run directory with "nestbed report"`);
      if (req.timing !== undefined) throw new InputError(`--timing: a bundle runs with the timing it was planned for (launch/plan.json)`);
      v = await this.validate(text!, file, bundle.profileOverride);
      if (v.valid?.guests.some((g) => g.os === 'custom')) throw new InputError(`${req.file}: running a bundle with os: custom guests is not supported yet (validation looks for their files next to the topology, the bundle has them in payload/); run the topology itself`);
    } else if (text === undefined) {
      const read = await this.validateFile(file, req.profile);
      v = read.validation;
      text = read.text;
    } else v = await this.validate(text, file, req.profile);
    if (!v.valid || text === undefined) {
      const errors = v.diagnostics.filter((d) => d.severity === 'error');
      this.emit(r, { type: 'rejected', t: Date.now() - r.started, reason: 'invalid-topology', message: `static validation failed (${errors.length} error${errors.length === 1 ? '' : 's'}); nothing was run`, diagnostics: [...errors], malformed: v.malformed });
      return this.finish(r, { outcome: 'rejected', exitCode: v.malformed ? ExitCode.InvalidInput : ExitCode.CheckFailed }, 'static validation failed; nothing was run');
    }
    const t = v.valid;
    const timing = req.timing ?? (req.mode === 'check' ? 'deterministic' : t.host.timing);
    const outDir = req.outDir !== undefined ? this.resolve(req.outDir) : join(this.options.cwd, 'runs', `${t.name}-${stamp(new Date())}`);
    this.emit(r, { type: 'accepted', t: Date.now() - r.started, runId: r.id, mode: req.mode, topologyFile: file, topologyName: t.name, runDir: outDir, timing, guests: t.guests.map((g) => g.name) });
    const isolation = isolationFor(req, t);
    const { results, runDir } = await runTopology({
      topology: t,
      topologyText: text,
      topologyFile: req.file,
      topologyDir: dirname(file),
      ...(v.profile ? { profile: v.profile } : {}),
      outDir,
      cacheRoot: this.options.cacheRoot,
      timing,
      timeoutS: req.timeoutS ?? (req.mode === 'check' ? 900 : 600),
      ...(isolation ? { isolation } : {}),
      ...(bundle ? { bundle } : {}),
      ...(req.warm === false ? { warm: false } : {}),
      signal: r.abort.signal,
      onEvent: (e) => this.emit(r, e),
    });
    if (results.status === 'cancelled') return this.finish(r, { outcome: 'cancelled', exitCode: ExitCode.Infrastructure, runDir, results }, `${req.mode} cancelled; partial run directory: ${runDir}`);
    // A run's panicked guest is still judged by check (containment); any other failure has no verdict.
    const judged = req.mode === 'check' && (results.status === 'ok' || results.failure?.reason === 'kernel-panic');
    if (!judged) {
      if (results.status !== 'ok') return this.finish(r, { outcome: 'failed', exitCode: ExitCode.Infrastructure, runDir, results }, `the run ${results.status}: ${results.failure?.message ?? 'unknown'}`);
      return this.finish(r, { outcome: 'ok', exitCode: ExitCode.Ok, runDir, results }, 'run ok');
    }
    const report = judgeRun({
      topology: t,
      profile: v.profile,
      results,
      schedulability: v.schedulability,
      diagnostics: v.diagnostics,
      toolVersion: toolVersion(),
      command: 'check',
      file: req.file,
      runDir: relative(this.options.cwd, runDir) || runDir,
      strict: req.strict === true,
    });
    // The HTML report always lands in the run directory, for people; check.json for tools and the IDE.
    const reportFile = join(runDir, 'report.html');
    await writeFileAtomic(reportFile, formatCheckHtml(report, results));
    await writeFileAtomic(join(runDir, 'check.json'), `${JSON.stringify(report, null, 2)}\n`);
    this.emit(r, { type: 'verdict', t: Date.now() - r.started, report, reportFile });
    return this.finish(r, { outcome: report.success ? 'ok' : 'check-failed', exitCode: report.success ? ExitCode.Ok : ExitCode.CheckFailed, runDir, results, report }, report.success ? 'check passed' : 'check FAILED');
  }
}
