// A supervised child process: spawned in its own process group (detached), stdout/stderr split into
// lines, explicit states, and killed as a whole group on request, on timeout, and when this Node
// process exits, so no emulator is ever left behind. On Linux the child also gets a parent-death
// signal (util-linux setpriv) so even a SIGKILLed nestbed does not orphan it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LineSplitter } from '../run/demux.js';

export type ProcessState = 'starting' | 'running' | 'stopping' | 'exited' | 'failed';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<SupervisedProcess>();
let hooked = false;
const hookExit = (): void => {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of live) p.killNow();
  });
};

const SETPRIV = '/usr/bin/setpriv';

export interface SupervisedOptions {
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  readonly onState?: (state: ProcessState) => void;
  readonly cwd?: string;
}

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private _state: ProcessState = 'starting';
  readonly exited: Promise<ProcessExit>;
  private resolveExit!: (e: ProcessExit) => void;
  killReason: string | undefined;

  constructor(
    readonly name: string,
    readonly argv: readonly string[],
    private readonly opts: SupervisedOptions,
  ) {
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  get state(): ProcessState {
    return this._state;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private setState(s: ProcessState): void {
    this._state = s;
    this.opts.onState?.(s);
  }

  /** The argv actually executed (with the parent-death wrapper when available). */
  get effectiveArgv(): readonly string[] {
    return existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGKILL', '--', ...this.argv] : this.argv;
  }

  start(): void {
    // killed before it started (a run cancelled while it was being set up): it never starts
    if (this.killReason !== undefined) {
      this.setState('failed');
      this.resolveExit({ code: null, signal: null });
      return;
    }
    hookExit();
    const [cmd, ...args] = this.effectiveArgv;
    if (!cmd) throw new Error('empty argv');
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}) });
    this.child = child;
    live.add(this);
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout?.setEncoding('utf8').on('data', (s: string) => out.push(s).forEach((l) => this.opts.onLine('stdout', l)));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => err.push(s).forEach((l) => this.opts.onLine('stderr', l)));
    child.on('spawn', () => this.setState('running'));
    child.on('error', (e) => {
      live.delete(this);
      this.killReason ??= `could not start ${this.name}: ${e.message}`;
      this.setState('failed');
      this.resolveExit({ code: null, signal: null });
    });
    child.on('close', (code, signal) => {
      out.flush().forEach((l) => this.opts.onLine('stdout', l));
      err.flush().forEach((l) => this.opts.onLine('stderr', l));
      live.delete(this);
      this.killNow(); // anything left in the group goes too
      this.setState(this.killReason === undefined && code === 0 ? 'exited' : 'failed');
      this.resolveExit({ code, signal });
    });
  }

  /** Kills the whole process group (SIGKILL: the emulator holds no state worth a clean shutdown). */
  kill(reason: string): void {
    this.killReason ??= reason;
    if (this._state === 'running') this.setState('stopping');
    this.killNow();
  }

  killNow(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
  }
}

/** Test helper: pids of running processes whose command name is `comm` (reads /proc). */
export const pidsByComm = async (comm: string): Promise<number[]> => {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const c = await readFile(`/proc/${d}/comm`, 'utf8').catch(() => '');
    if (c.trim() === comm.slice(0, 15)) out.push(Number(d));
  }
  return out;
};
