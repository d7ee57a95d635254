// Boots the rtos image directly in the host emulator (one level, no nesting): the guest's own
// self-test and the reference for what it prints. Time-bounded; the QEMU process group is killed
// on timeout, on abort, on an early stop and when Node exits (SupervisedProcess).
import { parseRtosLine, summarizeRtosRun, type RtosEvent, type RtosLine, type RtosRunResult } from '../../common/rtos/console.js';
import { SupervisedProcess, type ProcessExit } from '../process/supervised.js';

export type RtosTiming =
  /** -icount shift=0,sleep=off: 1 instruction = 1 ns of virtual time, idle time skipped; runs are
   * reproducible. (`sleep=on`, QEMU's default, lets idle time pass at host speed: not reproducible.) */
  | 'deterministic'
  /** plain TCG: the virtual counter follows the host clock; figures are indicative only. */
  | 'fast';

export interface RtosBootOptions {
  readonly image: string;
  /** Kernel command line (the nb_* words of src/core/common/rtos/params.ts). */
  readonly append: string;
  readonly timing: RtosTiming;
  /** Replaces the -icount argument of `deterministic` (experiments, e.g. "shift=0"). */
  readonly icount?: string;
  readonly qemu?: string;
  readonly vcpus?: number;
  readonly memoryMiB?: number;
  /** Enter at EL2 (virtualization=on), as a guest hypervisor would see it. */
  readonly el2?: boolean;
  /** Hard bound on the QEMU process, wall clock. */
  readonly timeoutMs: number;
  /** Kill QEMU once this returns true for a console line (e.g. a panic in hang mode). */
  readonly stopWhen?: (line: RtosLine) => boolean;
  readonly signal?: AbortSignal;
}

export interface RtosBootResult {
  readonly argv: readonly string[];
  readonly pid?: number;
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
  readonly exit: ProcessExit;
  /** Why nestbed killed QEMU (timeout, stop condition, abort); undefined when it exited by itself. */
  readonly killed?: string;
  readonly wallMs: number;
  /** Host wall time from spawn to the ready line. */
  readonly wallToReadyMs?: number;
  readonly events: readonly RtosEvent[];
  readonly result: RtosRunResult;
}

export const rtosQemuArgv = (o: Omit<RtosBootOptions, 'timeoutMs' | 'stopWhen' | 'signal'>): string[] => [
  o.qemu ?? 'qemu-system-aarch64',
  '-M', `virt,gic-version=3${o.el2 ? ',virtualization=on' : ''}`,
  '-cpu', 'max',
  '-smp', String(o.vcpus ?? 1),
  '-m', String(o.memoryMiB ?? 64),
  ...(o.timing === 'deterministic' ? ['-icount', o.icount ?? 'shift=0,sleep=off'] : []),
  '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-net', 'none',
  '-serial', 'stdio',
  '-kernel', o.image,
  '-append', o.append,
];

export interface RtosBootHandle {
  readonly process: SupervisedProcess;
  readonly done: Promise<RtosBootResult>;
}

export const startRtosBoot = (o: RtosBootOptions): RtosBootHandle => {
  const argv = rtosQemuArgv(o);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const events: RtosEvent[] = [];
  const invalid: string[] = [];
  const started = Date.now();
  let wallToReadyMs: number | undefined;
  const proc: SupervisedProcess = new SupervisedProcess('qemu-rtos', argv, {
    onLine: (stream, line) => {
      if (stream === 'stderr') {
        stderr.push(line);
        return;
      }
      stdout.push(line);
      const l = parseRtosLine(line);
      if (l.kind === 'event') {
        events.push(l.event);
        if (l.event.e === 'ready') wallToReadyMs ??= Date.now() - started;
      } else if (l.kind === 'invalid') invalid.push(`invalid line ${JSON.stringify(l.text.slice(0, 120))}: ${l.problem}`);
      if (o.stopWhen?.(l)) proc.kill('stop condition met');
    },
  });
  const onAbort = (): void => proc.kill('aborted');
  const done = (async (): Promise<RtosBootResult> => {
    proc.start();
    const timer = setTimeout(() => proc.kill(`timed out after ${o.timeoutMs} ms`), o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    try {
      const exit = await proc.exited;
      return {
        argv,
        ...(proc.pid !== undefined ? { pid: proc.pid } : {}),
        stdout,
        stderr,
        exit,
        ...(proc.killReason !== undefined ? { killed: proc.killReason } : {}),
        wallMs: Date.now() - started,
        ...(wallToReadyMs !== undefined ? { wallToReadyMs } : {}),
        events,
        result: summarizeRtosRun(events, invalid),
      };
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  })();
  return { process: proc, done };
};

export const bootRtos = (o: RtosBootOptions): Promise<RtosBootResult> => startRtosBoot(o).done;
