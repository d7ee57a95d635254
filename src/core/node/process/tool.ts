// One wrapper for every external tool run to completion (apt-get, dpkg-deb, readelf, xz, ...):
// a name for logs and timing, an argv array (never a shell string), expected exit codes, a time
// bound, and a typed error carrying the args, exit code and stderr tail.
import { spawn } from 'node:child_process';

export interface ToolOptions {
  /** Working directory. */
  readonly cwd?: string;
  /** Extra environment (merged over process.env). */
  readonly env?: Readonly<Record<string, string>>;
  /** Hard time bound; the whole process group is killed when it expires. */
  readonly timeoutMs: number;
  /** Exit codes that count as success (default [0]). */
  readonly okCodes?: readonly number[];
  readonly signal?: AbortSignal;
  /** Keep stdout as a Buffer (binary); default true, capped at maxStdoutBytes. */
  readonly maxStdoutBytes?: number;
  /** Each complete stdout line as it arrives (progress of long builds). */
  readonly onLine?: (line: string) => void;
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly tool: string,
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stderrTail: string,
    reason: string,
  ) {
    super(`${tool} failed (${reason}): ${argv.join(' ')}${stderrTail ? `\n${stderrTail}` : ''}`);
  }
}

const tail = (s: string, n = 1500): string => (s.length > n ? `…${s.slice(-n)}` : s).trim();

/** Runs `argv` to completion. Spawned detached so that a timeout or abort kills the whole group. */
export const runTool = (name: string, argv: readonly string[], opts: ToolOptions): Promise<ToolResult> =>
  new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('runTool: empty argv');
    const started = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const max = opts.maxStdoutBytes ?? 64 * 1024 * 1024;
    const out: Buffer[] = [];
    let outLen = 0;
    let err = '';
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b);
      outLen += b.length;
      if (opts.onLine) {
        const lines = (partial + b.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-8192);
    });
    let reason: string | undefined;
    const killGroup = (why: string): void => {
      reason ??= why;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    const timer = setTimeout(() => killGroup(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    const onAbort = (): void => killGroup('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    child.on('error', (e) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new ToolError(name, argv, null, '', e.message));
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stdout = Buffer.concat(out).toString('utf8');
      const okCodes = opts.okCodes ?? [0];
      if (reason !== undefined) return reject(new ToolError(name, argv, code, tail(err), reason));
      if (code === null) return reject(new ToolError(name, argv, null, tail(err), `killed by ${sig ?? 'signal'}`));
      if (!okCodes.includes(code)) return reject(new ToolError(name, argv, code, tail(err), `exit ${code}`));
      resolve({ code, stdout, stderr: err, ms: Date.now() - started });
    });
  });
