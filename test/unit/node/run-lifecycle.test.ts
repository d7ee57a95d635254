// The run's state machine (src/core/node/run/run-lifecycle.ts): state moves, first failure wins,
// cancel, the end of the emulator.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/core/common/model/run-events.js';
import { RunLifecycle } from '../../../src/core/node/run/run-lifecycle.js';

const harness = (): { lc: RunLifecycle; events: RunEvent[]; kills: string[]; setNow: (ms: number) => void } => {
  const events: RunEvent[] = [];
  const kills: string[] = [];
  let nowMs = 0;
  const tails: Record<string, string[]> = { alpha: ['a1', 'a2'] };
  const lc = new RunLifecycle({
    now: () => nowMs,
    emit: (e) => events.push(e),
    tail: (key) => [...((key ? tails[key] : undefined) ?? ['all: x'])],
    kill: (r) => kills.push(r),
  });
  return { lc, events, kills, setNow: (ms) => (nowMs = ms) };
};

describe('run lifecycle', () => {
  it('moves through its states, emitting each once', () => {
    const { lc, events, setNow } = harness();
    expect(lc.state).toBe('starting');
    setNow(20_000);
    lc.setState('booted', 'guest hypervisor up');
    lc.setState('booted', 'again');
    setNow(70_000);
    lc.setState('running', 'all guests ready');
    lc.setState('stopping');
    lc.settle({ code: 0, signal: null }, true);
    expect(events).toEqual([
      { type: 'state', t: 20_000, state: 'booted', detail: 'guest hypervisor up' },
      { type: 'state', t: 70_000, state: 'running', detail: 'all guests ready' },
      { type: 'state', t: 70_000, state: 'stopping' },
      { type: 'state', t: 70_000, state: 'exited' },
    ]);
    expect([lc.state, lc.failure, lc.over]).toEqual(['exited', undefined, true]);
    lc.setState('running');
    lc.fail('timeout', 'late');
    expect(lc.state).toBe('exited');
  });

  it('the first failure wins, with its source\'s console tail; the stack is killed once', () => {
    const { lc, events, kills, setNow } = harness();
    setNow(61_000);
    lc.fail('kernel-panic', 'kernel panic in guest alpha: boom', { level: 2, guest: 'alpha' });
    lc.fail('emulator-exit', 'later');
    lc.cancel();
    lc.setState('running');
    expect(lc.failure).toEqual({ reason: 'kernel-panic', message: 'kernel panic in guest alpha: boom', level: 2, guest: 'alpha', consoleTail: ['a1', 'a2'] });
    expect(events).toEqual([
      { type: 'failure', t: 61_000, reason: 'kernel-panic', message: 'kernel panic in guest alpha: boom', source: { level: 2, guest: 'alpha' }, consoleTail: ['a1', 'a2'] },
      { type: 'state', t: 61_000, state: 'failed', detail: 'kernel panic in guest alpha: boom' },
    ]);
    expect(kills).toEqual(['kernel panic in guest alpha: boom']);
    expect([lc.state, lc.over]).toEqual(['failed', true]);
    lc.settle({ code: null, signal: 'SIGKILL' }, false);
    expect(events).toHaveLength(2);
    expect(lc.state).toBe('failed');
  });

  it('a failure without a source quotes all sources', () => {
    const { lc } = harness();
    lc.fail('timeout', 'timeout: x');
    expect(lc.failure).toEqual({ reason: 'timeout', message: 'timeout: x', consoleTail: ['all: x'] });
  });

  it('cancel: a failure recorded as "cancelled (signal)", emitted as "cancelled"', () => {
    const { lc, events, kills } = harness();
    lc.cancel();
    expect(lc.failure).toEqual({ reason: 'cancelled', message: 'cancelled (signal)', consoleTail: ['all: x'] });
    expect(events).toEqual([
      { type: 'failure', t: 0, reason: 'cancelled', message: 'cancelled', consoleTail: ['all: x'] },
      { type: 'state', t: 0, state: 'failed', detail: 'cancelled' },
    ]);
    expect(kills).toEqual(['cancelled']);
  });

  it('cancels on the abort signal, also when it was aborted before; detaches', () => {
    const a = harness();
    const ac = new AbortController();
    const watch = a.lc.cancelOn(ac.signal);
    watch.checkAborted();
    expect(a.lc.failure).toBeUndefined();
    ac.abort();
    expect(a.lc.failure?.reason).toBe('cancelled');

    const b = harness();
    const early = new AbortController();
    early.abort();
    const w = b.lc.cancelOn(early.signal);
    expect(b.lc.failure).toBeUndefined();
    w.checkAborted();
    expect(b.lc.failure?.reason).toBe('cancelled');

    const c = harness();
    const late = new AbortController();
    c.lc.cancelOn(late.signal).detach();
    late.abort();
    expect(c.lc.failure).toBeUndefined();
    expect(() => c.lc.cancelOn(undefined).checkAborted()).not.toThrow();
  });

  it('the emulator ending before L0 was done, or with a non-zero code, fails the run', () => {
    const a = harness();
    a.lc.setState('running');
    a.lc.settle({ code: 0, signal: null }, false);
    expect(a.lc.failure).toMatchObject({ reason: 'emulator-exit', message: 'the host emulator exited (code 0, signal none) before the run completed' });
    expect(a.lc.state).toBe('failed');
    const b = harness();
    b.lc.settle({ code: null, signal: 'SIGSEGV' }, true);
    expect(b.lc.failure?.message).toBe('the host emulator exited (code none, signal SIGSEGV) before the run completed');
  });
});
