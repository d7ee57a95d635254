// The integrated terminal's backend: a shell in the workspace folder on a pseudo-terminal (node-pty,
// an optional dependency: without it the terminal says why and everything else works). Flow control as
// xterm.js recommends: the pty is paused while the client has more than HIGH bytes not yet drawn
// (acknowledged), resumed below LOW — a `yes` in the terminal cannot flood the UI. Each shell is the
// leader of its own process group; closing the terminal (or the client) kills the whole group.
import { createRequire } from 'node:module';

interface Pty {
  readonly pid: number;
  onData(cb: (data: string) => void): void;
  onExit(cb: (e: { exitCode: number }) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: string): void;
}
interface PtyModule {
  spawn(file: string, args: string[], options: { name: string; cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv }): Pty;
}

const HIGH = 512 * 1024;
const LOW = 64 * 1024;

let loaded: { module?: PtyModule; reason?: string } | undefined;
const loadPty = (): { module?: PtyModule; reason?: string } => {
  if (!loaded) {
    try {
      loaded = { module: createRequire(import.meta.url)('node-pty') as PtyModule };
    } catch (e) {
      loaded = { reason: `node-pty is not installed or not built for this platform (${(e as Error).message.split('\n')[0]})` };
    }
  }
  return loaded;
};

interface Terminal {
  readonly pty: Pty;
  unacked: number;
  paused: boolean;
}

export interface TerminalEvents {
  data(id: number, data: string): void;
  exit(id: number, exitCode: number): void;
}

export class TerminalHost {
  private readonly terminals = new Map<number, Terminal>();
  private next = 1;

  constructor(
    private readonly cwd: string,
    private readonly events: TerminalEvents,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  static availability(): { available: boolean; reason?: string } {
    const p = loadPty();
    return p.module ? { available: true } : { available: false, ...(p.reason ? { reason: p.reason } : {}) };
  }

  open(cols: number, rows: number): number {
    const p = loadPty();
    if (!p.module) throw new Error(p.reason ?? 'no terminal');
    const shell = this.env['SHELL'] && this.env['SHELL'].startsWith('/') ? this.env['SHELL'] : '/bin/sh';
    const env = { ...this.env, TERM: 'xterm-256color', COLORTERM: 'truecolor' };
    const pty = p.module.spawn(shell, [], { name: 'xterm-256color', cols, rows, cwd: this.cwd, env });
    const id = this.next++;
    const term: Terminal = { pty, unacked: 0, paused: false };
    this.terminals.set(id, term);
    pty.onData((data) => {
      term.unacked += data.length;
      if (!term.paused && term.unacked > HIGH) {
        term.paused = true;
        pty.pause();
      }
      this.events.data(id, data);
    });
    pty.onExit(({ exitCode }) => {
      this.terminals.delete(id);
      this.events.exit(id, exitCode);
    });
    return id;
  }

  private get(id: number): Terminal {
    const t = this.terminals.get(id);
    if (!t) throw new Error(`no terminal ${id}`);
    return t;
  }

  input(id: number, data: string): void {
    this.get(id).pty.write(data);
  }

  resize(id: number, cols: number, rows: number): void {
    this.get(id).pty.resize(cols, rows);
  }

  ack(id: number, bytes: number): void {
    const t = this.terminals.get(id);
    if (!t) return;
    t.unacked = Math.max(0, t.unacked - bytes);
    if (t.paused && t.unacked < LOW) {
      t.paused = false;
      t.pty.resume();
    }
  }

  close(id: number): void {
    const t = this.terminals.get(id);
    if (!t) return;
    this.terminals.delete(id);
    try {
      process.kill(-t.pty.pid, 'SIGHUP');
    } catch {
      // already gone
    }
    try {
      t.pty.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  dispose(): void {
    for (const id of [...this.terminals.keys()]) this.close(id);
  }
}
