// The run's explicit states (STYLE.md "Supervise processes with explicit states"):
//   starting → booted (L1 up) → running (all guests ready) → stopping → exited | failed
// exited and failed are final: once there, nothing moves the run again. The first failure wins: it is
// recorded with the console tail of its source, emitted, moves the run to failed and kills the stack;
// later failures (the kill's own fallout) are dropped. A cancel (abort signal) is a failure too.
import type { EventSource, RunEvent, RunState } from '../../common/model/run-events.js';
import type { RunResults } from '../../common/model/run-results.js';
import type { ProcessExit } from '../process/supervised.js';
import { srcKey } from './run-logs.js';

export type FailureReason = Extract<RunEvent, { type: 'failure' }>['reason'];
export type RunFailure = NonNullable<RunResults['failure']>;

export interface LifecycleDeps {
  /** Host ms since the run started. */
  readonly now: () => number;
  readonly emit: (e: RunEvent) => void;
  /** The console tail of a source key (undefined: of all sources). */
  readonly tail: (key?: string) => string[];
  /** Kills the whole stack. */
  readonly kill: (reason: string) => void;
}

export class RunLifecycle {
  private _state: RunState = 'starting';
  private _failure: RunFailure | undefined;

  constructor(private readonly d: LifecycleDeps) {}

  get state(): RunState {
    return this._state;
  }

  get failure(): RunFailure | undefined {
    return this._failure;
  }

  /** Failed, or exited cleanly: no bound applies any more. */
  get over(): boolean {
    return this._failure !== undefined || this._state === 'exited';
  }

  /** Moves to `s` and emits it; a repeat of the current state, or any move out of a final state, is
   * ignored. */
  setState(s: RunState, detail?: string): void {
    if (this._state === s || this._state === 'failed' || this._state === 'exited') return;
    this._state = s;
    this.d.emit({ type: 'state', t: this.d.now(), state: s, ...(detail ? { detail } : {}) });
  }

  /** The run failed (first failure wins): recorded with its source's console tail, emitted, the run
   * moves to failed and the stack is killed. */
  fail(reason: FailureReason, message: string, src?: EventSource): void {
    if (this._failure) return;
    const key = src ? srcKey(src.level, src.guest) : undefined;
    const consoleTail = this.d.tail(key);
    this._failure = { reason, message, ...(src ? { level: src.level } : {}), ...(src?.guest ? { guest: src.guest } : {}), consoleTail };
    this.d.emit({ type: 'failure', t: this.d.now(), reason, message, ...(src ? { source: src } : {}), consoleTail });
    this.setState('failed', message);
    this.d.kill(message);
  }

  /** Cancelled by the caller (abort signal): a failure with the overall console tail. */
  cancel(): void {
    if (this._failure) return;
    this._failure = { reason: 'cancelled', message: 'cancelled (signal)', consoleTail: this.d.tail() };
    this.d.emit({ type: 'failure', t: this.d.now(), reason: 'cancelled', message: 'cancelled', consoleTail: this._failure.consoleTail });
    this.setState('failed', 'cancelled');
    this.d.kill('cancelled');
  }

  /** Cancels on `signal` (also when it was aborted before start() was reached); returns the detach. */
  cancelOn(signal: AbortSignal | undefined): { readonly checkAborted: () => void; readonly detach: () => void } {
    const onAbort = (): void => this.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    return {
      checkAborted: () => {
        if (signal?.aborted) onAbort();
      },
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
  }

  /** The host emulator has exited: a clean end when it exited 0 after L0 reported done (`completed`),
   * otherwise the run failed (unless it already had). Always leaves a final state. */
  settle(exit: ProcessExit, completed: boolean): void {
    if (!this._failure) {
      if (exit.code === 0 && completed) this.setState('exited');
      else this.fail('emulator-exit', `the host emulator exited (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) before the run completed`);
    }
    if (this._state !== 'failed') this._state = 'exited';
  }
}
