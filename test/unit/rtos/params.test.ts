// The rtos kernel command line: generated from validated values, decoded by the guest's grammar.
// (The guest's C parser is exercised against the same strings in test/integration/rtos-boot.test.ts.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRtosCommandLine, RTOS_LIMITS, rtosCommandLineWords, type RtosTask } from '../../../src/core/common/rtos/params.js';

const tasks: RtosTask[] = [
  { name: 'brake-monitor', periodUs: 1000, wcetUs: 100, priority: 90 },
  { name: 'torque-arbiter', periodUs: 5000, wcetUs: 600, deadlineUs: 4000, priority: 80, vcpu: 1 },
];

describe('rtosCommandLineWords', () => {
  it('encodes compactly: default deadline and vcpu are left out', () => {
    expect(rtosCommandLineWords({ tasks, runMs: 2000 })).toEqual(['nb_tasks=brake-monitor:1000:100::90,torque-arbiter:5000:600:4000:80:1', 'nb_runms=2000']);
    expect(rtosCommandLineWords({ tasks: [], runMs: 1, heartbeatMs: 0, panicAfterMs: 50, panicMode: 'off', histogram: true, idle: 'spin', consoleGate: false, consoleDelayUs: 300 })).toEqual([
      'nb_tasks=',
      'nb_runms=1',
      'nb_hbms=0',
      'nb_panic_after_ms=50',
      'nb_panic_mode=off',
      'nb_hist=1',
      'nb_idle=spin',
      'nb_con_gate=0',
      'nb_con_delay_us=300',
    ]);
  });

  it('refuses what the guest would refuse, naming the task and the values', () => {
    const one = (t: Partial<RtosTask>): (() => string[]) => () => rtosCommandLineWords({ tasks: [{ ...tasks[0]!, ...t }], runMs: 10 });
    expect(one({ vcpu: 8 })).toThrow('rtos task 0 ("brake-monitor"): vcpu 8, but the rtos guest runs tasks on vCPUs 0..7 only');
    expect(one({ wcetUs: 2000 })).toThrow('rtos task 0 ("brake-monitor"): needs wcetUs 2000 ≤ deadlineUs 1000 ≤ periodUs 1000');
    expect(one({ name: 'Brake' })).toThrow('rtos task 0 ("Brake"): name must match ^[a-z][a-z0-9-]{0,31}$');
    expect(one({ priority: 100 })).toThrow('rtos task 0 ("brake-monitor"): priority 100 is not 1..99');
    expect(one({ periodUs: 1.5 })).toThrow(/must be integers 1\.\.1000000000/);
    expect(() => rtosCommandLineWords({ tasks: [tasks[0]!, tasks[0]!], runMs: 10 })).toThrow('rtos task 1 ("brake-monitor"): duplicate task name');
    expect(() => rtosCommandLineWords({ tasks, runMs: 0 })).toThrow('rtos guest: runMs 0 is not 1..1000000');
    const many = Array.from({ length: 257 }, (_, i) => ({ name: `t${i}`, periodUs: 1000, wcetUs: 1, priority: 1 }));
    expect(() => rtosCommandLineWords({ tasks: many, runMs: 10 })).toThrow('rtos guest: 257 tasks, the guest supports at most 256');
  });

  it('256 tasks with long names and large numbers still fit the guest command line', () => {
    const big = Array.from({ length: 256 }, (_, i) => ({
      name: `t${String(i).padStart(3, '0')}-${'x'.repeat(27)}`,
      periodUs: 1_000_000_000,
      wcetUs: 999_999_999,
      deadlineUs: 999_999_999,
      priority: 99,
      vcpu: 7,
    }));
    const line = rtosCommandLineWords({ tasks: big, runMs: 1_000_000 }).join(' ');
    expect(line.length).toBeLessThanOrEqual(RTOS_LIMITS.maxCmdlineBytes);
  });
});

describe('decodeRtosCommandLine', () => {
  it('round-trips every valid parameter set', () => {
    const task = fc
      .record({
        periodUs: fc.integer({ min: 1, max: 1_000_000_000 }),
        a: fc.double({ min: 0, max: 1, noNaN: true }),
        b: fc.double({ min: 0, max: 1, noNaN: true }),
        priority: fc.integer({ min: 1, max: 99 }),
        vcpu: fc.integer({ min: 0, max: 7 }),
      })
      .map(({ periodUs, a, b, priority, vcpu }) => {
        const deadlineUs = Math.max(1, Math.floor(periodUs * a));
        const wcetUs = Math.max(1, Math.floor(deadlineUs * b));
        return { periodUs, deadlineUs, wcetUs, priority, vcpu };
      });
    fc.assert(
      fc.property(fc.array(task, { maxLength: 20 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 60_000 }), (ts, runMs, heartbeatMs) => {
        const named = ts.map((t, i) => ({ name: `task-${i}`, ...t }));
        const d = decodeRtosCommandLine(['console=ttyAMA0', 'quiet', ...rtosCommandLineWords({ tasks: named, runMs, heartbeatMs }), 'nb_lv=2'].join(' '), 8);
        expect(d).toEqual({ ok: true, params: { tasks: named, runMs, heartbeatMs, panicMode: 'hang', histogram: false, idle: 'wfi', consoleGate: true, consoleDelayUs: 0 } });
      }),
    );
  });

  it('applies the defaults and the runner-compatible words', () => {
    expect(decodeRtosCommandLine('console=ttyAMA0 nb_lv=2 nb_id=0 nb_hold=3 nb_panic=1 nb_pf=fp,asimd')).toEqual({
      ok: true,
      params: { tasks: [], runMs: 3000, heartbeatMs: 250, panicAfterMs: 0, panicMode: 'hang', histogram: false, idle: 'wfi', consoleGate: true, consoleDelayUs: 0 },
    });
    expect(decodeRtosCommandLine('nb_hold=3 nb_runms=20')).toMatchObject({ ok: true, params: { runMs: 20 } });
    expect(decodeRtosCommandLine('')).toMatchObject({ ok: true, params: { runMs: 1000 } });
  });

  it('reports what the guest reports', () => {
    expect(decodeRtosCommandLine('nb_tasks=a:1000:200:100:90')).toEqual({ ok: false, message: 'nb_tasks[0]: wcetUs > deadlineUs' });
    expect(decodeRtosCommandLine('nb_tasks=a:1000:200::90:1')).toEqual({ ok: false, message: 'nb_tasks[0]: vcpu 1 but the guest has 1 usable vCPU(s)' });
    expect(decodeRtosCommandLine('nb_tasks=a:1:1::1,a:2:1::1')).toEqual({ ok: false, message: 'nb_tasks[1]: duplicate task name' });
    expect(decodeRtosCommandLine('nb_runms=0')).toEqual({ ok: false, message: 'nb_runms must be an integer 1..1000000' });
    expect(decodeRtosCommandLine('nb_panic_mode=explode')).toEqual({ ok: false, message: 'nb_panic_mode must be hang, off or reset' });
  });
});
