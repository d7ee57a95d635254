// Each emulator line's way through a run (src/core/node/run/console-router.ts): logs, events, the
// collector, failures (and the planned fault that is not one), stage notes and state moves.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventSource, RunEvent, RunState } from '../../../src/core/common/model/run-events.js';
import { RunCollector } from '../../../src/core/node/run/collector.js';
import { ConsoleRouter, FAILURE_GRACE_MS } from '../../../src/core/node/run/console-router.js';
import type { FailureReason } from '../../../src/core/node/run/run-lifecycle.js';
import { asValidForTest } from '../../helpers/topology.js';

const t = asValidForTest({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'route',
  host: { cpu: 'max', cores: 2, memoryMiB: 3072 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1536 },
  guests: [
    { name: 'alpha', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 192 },
    { name: 'beta', role: 'gateway', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 192 },
    { name: 'safety', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64, tasks: [{ name: 'bm', periodUs: 1000, wcetUs: 100, priority: 90 }] },
    { name: 'ecu', role: 'gateway', asil: 'QM', os: 'custom', vcpus: 1, pin: [1], memoryMiB: 64, image: { kernel: 'my.Image', readyLine: 'up' } },
  ],
});

interface Call {
  readonly fail?: { reason: FailureReason; message: string; src?: EventSource };
  readonly state?: { s: RunState; detail?: string };
}

/** A router over a real collector, with the planned victim beta (index 1) and recording fakes. */
const harness = ({ victim }: { victim: number | undefined } = { victim: 1 }) => {
  const events: RunEvent[] = [];
  const calls: Call[] = [];
  const logged: string[] = [];
  let nowMs = 0;
  const collector = new RunCollector(t, false);
  const router = new ConsoleRouter({
    topology: t,
    collector,
    logs: { console: (key, tm, shown) => logged.push(`${key}@${tm}: ${shown}`), hostStderr: (tm, line) => logged.push(`host-stderr@${tm}: ${line}`) },
    lifecycle: {
      fail: (reason, message, src) => calls.push({ fail: { reason, message, ...(src ? { src } : {}) } }),
      setState: (s, detail) => calls.push({ state: { s, ...(detail ? { detail } : {}) } }),
    },
    emit: (e) => events.push(e),
    now: () => nowMs,
    victim,
  });
  const line = (ms: number, raw: string, stream: 'stdout' | 'stderr' = 'stdout'): void => {
    nowMs = ms;
    router.onLine(stream, raw);
  };
  return { router, collector, events, calls, logged, line };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('console router', () => {
  it('host stderr: logged; a QEMU error fails the run at once, a warning does not', () => {
    const h = harness();
    h.line(5, 'qemu-system-aarch64: warning: x\r', 'stderr');
    h.line(6, 'qemu-system-aarch64: cannot set up guest memory', 'stderr');
    expect(h.logged).toEqual(['host-stderr@5: qemu-system-aarch64: warning: x', 'host-stderr@6: qemu-system-aarch64: cannot set up guest memory']);
    expect(h.calls).toEqual([{ fail: { reason: 'vmm-error', message: 'host emulator: qemu-system-aarch64: cannot set up guest memory' } }]);
    expect(h.events).toEqual([]);
  });

  it('console text and agent events: logged without the route, emitted with their source; glued lines split', () => {
    const h = harness();
    h.line(1_000, '1|2.0|[    1.5] Booting\r');
    h.line(7_050, '@{"e":"init","u":3.2,"u0":3.1}[    3.3] after');
    expect(h.logged).toEqual(['alpha@1000: [    1.5] Booting', 'l0@7050: @{"e":"init","u":3.2,"u0":3.1}', 'l0@7050: [    3.3] after']);
    expect(h.events.map((e) => e.type)).toEqual(['console', 'agent', 'stage', 'console']);
    expect(h.events[0]).toEqual({ type: 'console', t: 1_000, source: { level: 2, guest: 'alpha' }, line: '[    1.5] Booting' });
    expect(h.events[1]).toEqual({ type: 'agent', t: 7_050, source: { level: 0 }, name: 'init', data: { u: 3.2, u0: 3.1 } });
    expect(h.collector.l0.initMs).toBe(7_050);
  });

  it('stage notes: recorded, emitted, and they move the state', () => {
    const h = harness();
    h.line(20_000, '1|@{"e":"init","u":9.1,"u0":8.0}');
    h.line(90_000, '1|@{"e":"done","u":80}');
    expect(h.router.stages).toEqual([
      { name: 'l1-init', atMs: 20_000, message: 'L1 init (kernel→init 8.0 s guest time)' },
      { name: 'l1-done', atMs: 90_000, message: 'L1 agent done' },
    ]);
    expect(h.events.filter((e) => e.type === 'stage')).toEqual([
      { type: 'stage', t: 20_000, stage: 'l1-init', source: { level: 1 }, uptimeS: 9.1, message: 'L1 init (kernel→init 8.0 s guest time)' },
      { type: 'stage', t: 90_000, stage: 'l1-done', source: { level: 1 }, message: 'L1 agent done' },
    ]);
    expect(h.calls).toEqual([{ state: { s: 'booted', detail: 'guest hypervisor up' } }, { state: { s: 'stopping' } }]);
  });

  it('a kernel panic fails the run after the grace period, with its source', () => {
    vi.useFakeTimers();
    const h = harness();
    h.line(61_000, '1|2.0|[   25.0] Kernel panic - not syncing: sysrq triggered crash');
    expect(h.calls).toEqual([]);
    vi.advanceTimersByTime(FAILURE_GRACE_MS - 1);
    expect(h.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(h.calls).toEqual([{ fail: { reason: 'kernel-panic', message: 'kernel panic in guest alpha: [   25.0] Kernel panic - not syncing: sysrq triggered crash', src: { level: 2, guest: 'alpha' } } }]);
    h.line(62_000, '1|[ 30.0] Internal error: Oops: 1');
    vi.advanceTimersByTime(FAILURE_GRACE_MS);
    expect(h.calls[1]?.fail?.message).toBe('kernel panic in L1: [ 30.0] Internal error: Oops: 1');
  });

  it('the planned victim\'s panic and VMM exit after the injection are recorded, not failures', () => {
    vi.useFakeTimers();
    const h = harness();
    h.line(70_000, '1|@{"e":"ph","u":40,"p":"fault","g":1}');
    h.line(70_500, '1|2.1|[   30.1] Kernel panic - not syncing: sysrq triggered crash');
    h.line(70_600, '1|2.1|[   30.2] Kernel panic - not syncing: again');
    h.line(71_000, '1|2.1|@{"e":"vmexit","rc":137}');
    vi.advanceTimersByTime(1_000);
    expect(h.calls.filter((c) => c.fail)).toEqual([]);
    expect(h.collector.iso.panicLines.get(1)).toEqual({ line: '[   30.1] Kernel panic - not syncing: sysrq triggered crash', atMs: 70_500 });
    expect(h.router.victimExit).toEqual({ code: 137, atMs: 71_000 });
    // another guest's VMM exit still fails the run
    h.line(72_000, '1|2.0|@{"e":"vmexit","rc":1}');
    expect(h.calls.filter((c) => c.fail)).toEqual([{ fail: { reason: 'vm-exit', message: 'guest alpha VMM exited with code 1', src: { level: 2, guest: 'alpha' } } }]);
  });

  it('before the injection (or without a planned fault) the victim\'s panic and VMM exit are failures', () => {
    vi.useFakeTimers();
    const h = harness();
    h.line(60_000, '1|2.1|@{"e":"vmexit","rc":2}');
    h.line(60_100, '1|@{"e":"vmexit","rc":0}');
    h.line(60_200, '1|@{"e":"vmexit","rc":3}');
    expect(h.router.victimExit).toBeUndefined();
    expect(h.calls.filter((c) => c.fail).map((c) => c.fail?.message)).toEqual(['guest beta VMM exited with code 2', 'L1 VMM exited with code 3']);
    const n = harness({ victim: undefined });
    n.line(70_000, '1|@{"e":"ph","u":40,"p":"fault","g":1}');
    n.line(70_500, '1|2.1|[   30.1] Kernel panic - not syncing: x');
    vi.advanceTimersByTime(FAILURE_GRACE_MS);
    expect(n.calls.filter((c) => c.fail).map((c) => c.fail?.reason)).toEqual(['kernel-panic']);
  });

  it('an rtos guest\'s panic, fault and err lines fail the run', () => {
    const h = harness();
    h.line(1, '1|2.2|@{"e":"panic","m":"assert"}');
    h.line(2, '1|2.2|@{"e":"err","m":"bad tasks"}');
    expect(h.calls.filter((c) => c.fail).map((c) => [c.fail?.reason, c.fail?.message])).toEqual([
      ['kernel-panic', 'rtos panic in guest safety: {"m":"assert"}'],
      ['infrastructure', 'rtos guest safety rejected its parameters or platform: bad tasks'],
    ]);
  });

  it('a custom guest\'s event-shaped lines are console text; warnings are collected', () => {
    const h = harness();
    h.line(1, '1|2.3|@{"e":"panic","m":"x"}');
    h.line(2, '1|2.0|[ 9.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!');
    expect(h.events.map((e) => e.type)).toEqual(['console', 'console']);
    expect(h.calls).toEqual([]);
    expect(h.collector.warnings).toEqual(['alpha: [ 9.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!']);
  });
});
