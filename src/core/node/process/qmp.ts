// A QMP client (the QEMU Machine Protocol) over a unix socket: the host emulator's control channel
// for the warm stack (src/core/node/run/warm-stack.ts): stop, migrate to a file, restore, cont.
// One JSON object per line; each command carries an id, its reply is matched by it; asynchronous
// events are kept for waitEvent(). Every wait is time-bounded; close() ends the connection.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { InfrastructureError } from '../../common/model/errors.js';

type Json = Record<string, unknown>;

interface Pending {
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

export class QmpClient {
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly events: Json[] = [];
  private readonly eventWaiters = new Set<() => void>();
  private closedWith: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    const end = (why: string): void => this.fail(new InfrastructureError(`QMP connection ${why}`));
    sock.on('close', () => end('closed'));
    sock.on('error', (e) => end(`error: ${e.message}`));
  }

  /** Connects to the emulator's QMP socket (retried until it exists or `timeoutMs` passes, or
   * `alive()` says the emulator is gone) and leaves capabilities negotiation mode. */
  static async connect(path: string, timeoutMs: number, alive: () => boolean = () => true): Promise<QmpClient> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const sock = await new Promise<Socket | Error>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', (e) => resolve(e));
      });
      if (!(sock instanceof Error)) {
        const c = new QmpClient(sock);
        await c.greeting(Math.max(1000, until - Date.now()));
        await c.execute('qmp_capabilities');
        return c;
      }
      if (Date.now() > until || !alive()) throw new InfrastructureError(`the emulator's QMP socket ${path} did not answer: ${sock.message}`);
      await sleep(50);
    }
  }

  private greetingSeen = false;
  private async greeting(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.greetingSeen) {
      if (this.closedWith) throw this.closedWith;
      if (Date.now() > until) throw new InfrastructureError('the emulator sent no QMP greeting');
      await sleep(20);
    }
  }

  private onData(d: string): void {
    this.buf += d;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Json;
      try {
        msg = JSON.parse(line) as Json;
      } catch {
        continue;
      }
      if ('QMP' in msg) this.greetingSeen = true;
      else if ('event' in msg) {
        this.events.push(msg);
        for (const w of this.eventWaiters) w();
      } else if (typeof msg.id === 'string') {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) continue;
        const err = msg.error as { desc?: string } | undefined;
        if (err) p.reject(new InfrastructureError(`QMP: ${err.desc ?? JSON.stringify(err)}`));
        else p.resolve(msg.return);
      }
    }
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const w of this.eventWaiters) w();
  }

  /** Runs one command; rejects with QEMU's error description. */
  execute(command: string, args?: Json): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `nb${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  /** Waits for an event that `match` accepts (also one that arrived before the call). */
  async waitEvent(match: (e: Json) => boolean, timeoutMs: number, what: string): Promise<Json> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(match);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      if (this.closedWith) throw this.closedWith;
      const left = until - Date.now();
      if (left <= 0) throw new InfrastructureError(`timeout: ${what} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((r) => {
        const t = setTimeout(done, Math.min(left, 500));
        function done(): void {
          clearTimeout(t);
          r();
        }
        this.eventWaiters.add(done);
      });
      this.eventWaiters.clear();
    }
  }

  /** Polls query-migrate until the migration completed (resolves) or failed (rejects). */
  async migrationDone(timeoutMs: number, what: string): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = (await this.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (r.status === 'completed') return;
      if (r.status === 'failed' || r.status === 'cancelled') throw new InfrastructureError(`${what} ${r.status}${r['error-desc'] ? `: ${r['error-desc']}` : ''}`);
      if (Date.now() > until) throw new InfrastructureError(`timeout: ${what} did not complete within ${Math.round(timeoutMs / 1000)} s (status ${r.status ?? '?'})`);
      await sleep(100);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
