// The backend side of the bridge, shared by the Electron main process and the browser server: one
// connection per window/socket. Every request is parsed with the contract's zod schemas before any
// service runs; paths are confined to the workspace folder; the answers and events go back through
// `send`. The leaves (src/main, src/server) only move these messages over their medium.
import { lstat, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  BRIDGE_EVENTS,
  BRIDGE_METHODS,
  requestMessageSchema,
  type BackendMessage,
  type BridgeEvent,
  type BridgeEventPayload,
  type BridgeMethod,
  type RunSummaryView,
} from '../../common/bridge/contract.js';
import { InfrastructureError, InputError } from '../../common/model/errors.js';
import type { SessionEvent } from '../../common/model/session-events.js';
import { topologyDiagramSvg } from '../../common/report/topology-diagram.js';
import { exportBundle } from '../bundle/export.js';
import { verifyBundle } from '../bundle/verify.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { listRuns, openRun } from '../session/run-store.js';
import type { Session } from '../session/session.js';
import { TerminalHost } from '../terminal/terminal-host.js';
import { toolVersion } from '../version.js';

/** A refused request: the message goes back to the client with this code. */
export class BridgeRefusal extends Error {
  constructor(
    readonly code: 'bad-request' | 'unknown-method' | 'not-found' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

const MAX_FILE_BYTES = 1_048_576;
const MAX_FILES = 2000;
const SKIP_DIRS = new Set(['node_modules', 'runs', 'dist', 'coverage']);
const TOPOLOGY_EXT = /\.(ya?ml|json)$/i;
/** Console events held for a client whose socket is this far behind are dropped (and counted). */
const BACKLOG_LIMIT = 8 * 1024 * 1024;

export interface BridgeHostOptions {
  readonly session: Session;
  /** The workspace folder (absolute). */
  readonly folder: string;
  readonly shell: 'browser' | 'desktop';
  /** Bytes the medium has not yet delivered (WebSocket bufferedAmount); 0 when unknown. */
  readonly backlog?: () => number;
}

/** The workspace-relative path as an absolute path inside the folder; symbolic links that lead
 * outside are refused too. `mustExist`: the file itself (else its parent) is resolved. */
export const confine = async (folder: string, path: string, mustExist: boolean): Promise<string> => {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) throw new BridgeRefusal('forbidden', `${path}: outside the workspace folder`);
  const full = resolve(folder, path);
  const root = await realpath(folder);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  let real: string;
  try {
    real = await realpath(mustExist ? full : resolve(full, '..'));
  } catch {
    throw new BridgeRefusal('not-found', `${path}: no such file`);
  }
  if (!inside(real)) throw new BridgeRefusal('forbidden', `${path}: outside the workspace folder`);
  return full;
};

const listTopologyFiles = async (folder: string): Promise<{ files: Array<{ path: string; size: number }>; truncated: boolean }> => {
  const files: Array<{ path: string; size: number }> = [];
  const walk = async (dir: string, depth: number): Promise<boolean> => {
    const entries = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 6 && !SKIP_DIRS.has(e.name) && !(await walk(full, depth + 1))) return false;
      } else if (e.isFile() && TOPOLOGY_EXT.test(e.name)) {
        if (files.length >= MAX_FILES) return false;
        files.push({ path: relative(folder, full).split(sep).join('/'), size: (await stat(full)).size });
      }
    }
    return true;
  };
  const complete = await walk(folder, 0);
  return { files, truncated: !complete };
};

export class BridgeConnection {
  private readonly unsubscribe = new Set<() => void>();
  private readonly terminals: TerminalHost;
  private dropped = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly o: BridgeHostOptions,
    private readonly send: (m: BackendMessage) => void,
  ) {
    this.terminals = new TerminalHost(o.folder, { data: (id, data) => this.emit('terminal.data', { id, data }), exit: (id, exitCode) => this.emit('terminal.exit', { id, exitCode }) });
  }

  private emit<E extends BridgeEvent>(event: E, payload: BridgeEventPayload<E>): void {
    if (!this.closed) this.send({ kind: 'event', event, payload: BRIDGE_EVENTS[event].parse(payload) });
  }

  /** One wire message from the client (already JSON-decoded). Never throws. */
  async handle(raw: unknown): Promise<void> {
    const req = requestMessageSchema.safeParse(raw);
    if (!req.success) {
      const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : 0;
      this.send({ kind: 'response', id, ok: false, error: { code: 'bad-request', message: 'not a bridge request' } });
      return;
    }
    const { id, method, params } = req.data;
    try {
      if (!Object.hasOwn(BRIDGE_METHODS, method)) throw new BridgeRefusal('unknown-method', `unknown method ${method}`);
      const spec = BRIDGE_METHODS[method as BridgeMethod];
      const parsed = spec.params.safeParse(params);
      if (!parsed.success) throw new BridgeRefusal('bad-request', `${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`);
      const result = await this.call(method as BridgeMethod, parsed.data as Record<string, unknown>);
      this.send({ kind: 'response', id, ok: true, result });
    } catch (e) {
      const error =
        e instanceof BridgeRefusal ? { code: e.code, message: e.message }
        : e instanceof InputError ? { code: 'input' as const, message: e.message }
        : e instanceof InfrastructureError ? { code: 'infrastructure' as const, message: `${e.message}${e.hint ? ` (${e.hint})` : ''}` }
        : { code: 'internal' as const, message: e instanceof Error ? e.message : String(e) };
      this.send({ kind: 'response', id, ok: false, error });
    }
  }

  /** The client went away: its subscriptions end and its terminals are killed (runs go on). */
  close(): void {
    this.closed = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe.clear();
    this.terminals.dispose();
  }

  private async call(method: BridgeMethod, p: Record<string, unknown>): Promise<unknown> {
    const { session, folder } = this.o;
    switch (method) {
      case 'app.info': {
        const { profiles } = await session.profiles();
        const t = TerminalHost.availability();
        return {
          version: toolVersion(),
          folder,
          shell: this.o.shell,
          terminal: t.available,
          ...(t.reason ? { terminalReason: t.reason } : {}),
          profiles: [...profiles.values()].map((x) => ({ id: x.id, name: x.name })).sort((a, b) => a.id.localeCompare(b.id)),
        };
      }
      case 'workspace.files':
        return { folder, ...(await listTopologyFiles(folder)) };
      case 'file.read': {
        const full = await confine(folder, p['path'] as string, true);
        const st = await lstat(full);
        if (!st.isFile()) throw new BridgeRefusal('not-found', `${p['path'] as string}: not a file`);
        if (st.size > MAX_FILE_BYTES) throw new InputError(`${p['path'] as string}: ${st.size} bytes, larger than the editor's limit (${MAX_FILE_BYTES})`);
        return { text: await readFile(full, 'utf8') };
      }
      case 'file.write':
        await writeFileAtomic(await confine(folder, p['path'] as string, false), p['text'] as string);
        return { ok: true };
      case 'topology.validate': {
        const started = performance.now();
        const path = await confine(folder, p['path'] as string, false);
        const v = await session.validate(p['text'] as string, path, p['profile'] as string | undefined);
        const diagram = v.topology ? topologyDiagramSvg(v.topology, (q) => v.sourceMap.locate(q)) : undefined;
        return {
          seq: p['seq'] as number,
          diagnostics: v.diagnostics.map((d) => ({ ...d })),
          errors: v.errors,
          warnings: v.warnings,
          valid: v.valid !== undefined,
          malformed: v.malformed,
          ...(v.topology ? { name: v.topology.name } : {}),
          ...(v.profile ? { profile: v.profile.id } : {}),
          schedulability: v.schedulability,
          ...(diagram !== undefined ? { diagram } : {}),
          ms: performance.now() - started,
        };
      }
      case 'run.start': {
        const path = await confine(folder, p['path'] as string, true);
        const run = session.start({
          mode: p['mode'] as 'run' | 'check',
          file: path,
          ...(p['text'] !== undefined ? { text: p['text'] as string } : {}),
          ...(p['timing'] !== undefined ? { timing: p['timing'] as 'fast' | 'deterministic' } : {}),
          ...(p['isolation'] !== undefined ? { isolation: p['isolation'] as boolean } : {}),
          ...(p['strict'] !== undefined ? { strict: p['strict'] as boolean } : {}),
          ...(p['timeoutS'] !== undefined ? { timeoutS: p['timeoutS'] as number } : {}),
        });
        void run.done.catch(() => undefined);
        return { runId: run.id };
      }
      case 'run.subscribe': {
        const runId = p['runId'] as string;
        let unsub: (() => void) | undefined;
        try {
          unsub = session.subscribe(runId, (event) => this.forward(runId, event));
        } catch (e) {
          throw e instanceof InputError ? new BridgeRefusal('not-found', e.message) : e;
        }
        this.unsubscribe.add(unsub);
        return { ok: true };
      }
      case 'run.cancel':
        return { cancelled: session.cancel(p['runId'] as string) };
      case 'runs.list': {
        const runs = await listRuns(join(folder, 'runs'), p['topology'] as string | undefined);
        return { runs: runs.map((r): RunSummaryView => ({ ...r, dir: relative(folder, r.dir).split(sep).join('/') })) };
      }
      case 'runs.open': {
        const dir = await confine(folder, p['dir'] as string, true);
        const run = await openRun(dir, await session.profiles());
        return { dir: p['dir'] as string, results: run.results, ...(run.report ? { report: run.report } : {}), reportSource: run.reportSource };
      }
      case 'bundle.export': {
        const dir = await confine(folder, p['dir'] as string, true);
        const output = join(folder, 'bundles', `${basename(dir)}${p['images'] ? '' : '-no-images'}.tar.gz`);
        await mkdir(join(folder, 'bundles'), { recursive: true });
        const out = await exportBundle({ topologyFile: join(dir, 'topology.yaml'), cwd: folder, output, cacheRoot: session.options.cacheRoot, env: process.env, runDir: dir, images: p['images'] as boolean, force: true });
        if (out.kind === 'invalid') throw new InputError(`the run's topology no longer validates: ${out.validation.diagnostics.find((d) => d.severity === 'error')?.message ?? 'invalid'}`);
        return { path: relative(folder, out.path).split(sep).join('/'), bytes: out.bytes, entries: out.entries, ms: out.ms, warnings: [...out.warnings] };
      }
      case 'bundle.verify': {
        const file = await confine(folder, p['path'] as string, true);
        const r = await verifyBundle({ file, shown: p['path'] as string, profiles: (await session.profiles()).profiles });
        return {
          ok: r.ok,
          problems: r.problems.map((x) => ({ file: x.file, message: x.message })),
          files: r.archive.files,
          compressedBytes: r.archive.compressedBytes,
          ...(r.topology ? { topology: r.topology.name } : {}),
          signature: r.signature.state,
          imagesIncluded: r.images?.included ?? false,
        };
      }
      case 'terminal.open': {
        const t = TerminalHost.availability();
        if (!t.available) throw new InfrastructureError(t.reason ?? 'no terminal');
        return { id: this.terminals.open(p['cols'] as number, p['rows'] as number) };
      }
      case 'terminal.input':
        this.terminals.input(p['id'] as number, p['data'] as string);
        return { ok: true };
      case 'terminal.resize':
        this.terminals.resize(p['id'] as number, p['cols'] as number, p['rows'] as number);
        return { ok: true };
      case 'terminal.ack':
        this.terminals.ack(p['id'] as number, p['bytes'] as number);
        return { ok: true };
      case 'terminal.close':
        this.terminals.close(p['id'] as number);
        return { ok: true };
    }
  }

  /** A run event to this client. Console lines are dropped (and counted, then reported as one line)
   * while the medium is far behind: a chatty guest cannot make the backend hoard memory for a slow
   * window; the run directory's console logs keep every line. */
  private forward(runId: string, event: SessionEvent): void {
    if (event.type === 'console') {
      const key = `${runId}/${event.source.level}/${event.source.guest ?? ''}`;
      if ((this.o.backlog?.() ?? 0) > BACKLOG_LIMIT) {
        this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
        return;
      }
      const n = this.dropped.get(key);
      if (n) {
        this.dropped.delete(key);
        this.emit('run.event', { runId, event: { type: 'console', t: event.t, source: event.source, line: `[nestbed: ${n} console lines not shown here (the window fell behind); the run directory's console log has them all]` } });
      }
    }
    this.emit('run.event', { runId, event });
  }
}
