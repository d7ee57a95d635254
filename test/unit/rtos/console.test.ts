// The rtos console protocol: recorded transcripts (test/fixtures/rtos, from real boots; re-record
// with `npx tsx test/fixtures/rtos/record.ts`) parse into typed results; malformed and foreign
// lines are reported, never silently dropped or accepted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRtosConsole, parseRtosEvent, parseRtosLine, summarizeRtosRun } from '../../../src/core/common/rtos/console.js';
import { demuxLine } from '../../../src/core/node/run/demux.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/rtos', name), 'utf8');

describe('parseRtosConsole on recorded transcripts', () => {
  it('three tasks, deterministic: every task meets its deadline, histograms attached', () => {
    const { events, result } = parseRtosConsole(fixture('three-tasks.console.txt'));
    expect(events.map((e) => e.e)).toEqual(['ready', 'hb', 'hb', 'task', 'task', 'task', 'hist', 'hist', 'hist', 'bye']);
    expect(result.problems).toEqual([]);
    expect(result.outcome).toBe('completed');
    expect(result.ready).toEqual({ atS: 0.000172, firstInstructionS: 0, tasks: 3, vcpus: 1, counterHz: 1_000_000_000, guardNs: 196, memTotalKiB: 65536, memAvailableKiB: 63712 });
    expect(result.heartbeats).toEqual({ count: 2, missingSeq: 0, maxGapS: 0.100055, lastS: 0.200227 });
    expect(result.tasks.map((t) => [t.name, t.released, t.completed, t.deadlineMisses, t.responseMinUs, t.responseMaxUs, t.responseP99Us])).toEqual([
      ['brake-monitor', 300, 300, 0, 200, 200, 200],
      ['torque-arbiter', 150, 150, 0, 500, 500, 500],
      ['diag-logger', 60, 60, 0, 1900, 1900, 1900],
    ]);
    expect(result.tasks[0]).toMatchObject({ releaseJitterMaxNs: 44, startLatencyMaxNs: 489, histogram: { bucketNs: 7813, buckets: [[25, 300]] } });
    expect(result.end).toEqual({
      atS: 0.30031,
      completed: 510,
      deadlineMisses: 0,
      timerLatencyMaxNs: 44,
      timerLatencyP99Ns: 44,
      stackMaxBytes: 3104,
      stolenNs: 0,
      memTotalKiB: 65536,
      memAvailableKiB: 63712,
    });
  });

  it('a trapping console without the slack gate: late timer interrupts, stolen time, longer responses', () => {
    const { result } = parseRtosConsole(fixture('console-trap.console.txt'));
    expect(result.outcome).toBe('completed');
    const [brake, torque, diag] = result.tasks;
    // the two tasks released during a 100 µs character lose up to 100 µs of CPU each
    expect([brake?.responseMaxUs, torque?.responseMaxUs, diag?.responseMaxUs]).toEqual([300, 600, 1900]);
    expect(brake?.releaseJitterMaxNs).toBeGreaterThan(99_000);
    expect(result.end?.timerLatencyMaxNs).toBeGreaterThan(99_000);
    expect(result.end?.stolenNs).toBeGreaterThan(500_000);
  });

  it('the panic hook: ready, heartbeats, then the panic; no summary', () => {
    const { result } = parseRtosConsole(fixture('panic.console.txt'));
    expect(result.outcome).toBe('crashed');
    expect(result.crash).toEqual({ atS: 0.120228, kind: 'panic', detail: 'nb_panic_after_ms' });
    expect(result.heartbeats.count).toBe(2);
    expect(result.tasks).toEqual([]);
    expect(result.end).toBeUndefined();
  });

  it('a rejected parameter: the error line and nothing else', () => {
    const { result } = parseRtosConsole(fixture('error.console.txt'));
    expect(result).toMatchObject({ outcome: 'error', error: 'nb_tasks[0]: wcetUs > deadlineUs', tasks: [], problems: [] });
    expect(result.ready).toBeUndefined();
  });

  it('relayed through the nested stack: route prefixes, CRs and other text are handled', () => {
    const relayed = fixture('three-tasks.console.txt')
      .split('\n')
      .filter(Boolean)
      .map((l) => `1|2.0|${l}\r`)
      .join('\n');
    const { result } = parseRtosConsole(`booting\n1|some L1 text\n${relayed}\n1|@{"e":"done","u":3.2}\n`);
    expect(result.outcome).toBe('completed');
    expect(result.tasks).toHaveLength(3);
    // the L1 "done" event is not an rtos event
    expect(result.problems).toEqual([
      `invalid line "@{\\"e\\":\\"done\\",\\"u\\":3.2}": e: Invalid discriminator value. Expected 'ready' | 'hb' | 'task' | 'hist' | 'bye' | 'err' | 'panic' | 'fault'`,
    ]);
  });

  it("agrees with the runner's demux: its (name, data) pairs parse to the same events", () => {
    const lines = fixture('three-tasks.console.txt').split('\n').filter(Boolean);
    const viaDemux = lines.map((l) => {
      const d = demuxLine(`1|2.0|${l}`);
      if (d.kind !== 'event') throw new Error(`not an event: ${l}`);
      expect(d).toMatchObject({ level: 2, guest: 0 });
      return parseRtosEvent(d.name, d.data);
    });
    expect(viaDemux).toEqual(lines.map((l) => parseRtosLine(l)));
    expect(viaDemux.every((l) => l.kind === 'event')).toBe(true);
  });
});

describe('parseRtosLine', () => {
  it('types a valid line', () => {
    expect(parseRtosLine('@{"e":"hb","u":0.5,"n":3,"c":10,"m":1}')).toEqual({ kind: 'event', event: { e: 'hb', u: 0.5, n: 3, c: 10, m: 1 } });
  });
  it('reports a cut line, an unknown field, a wrong type, a bad name', () => {
    expect(parseRtosLine('@{"e":"hb","u":0.5,"n":3,"c"')).toMatchObject({ kind: 'invalid', problem: 'not JSON (a cut or interleaved line)' });
    expect(parseRtosLine('@{"e":"hb","u":0.5,"n":3,"c":10,"m":1,"x":2}')).toMatchObject({ kind: 'invalid', problem: expect.stringMatching(/Unrecognized key.*"x"/) });
    expect(parseRtosLine('@{"e":"hb","u":0.5,"n":"3","c":10,"m":1}')).toMatchObject({ kind: 'invalid', problem: expect.stringMatching(/^n: /) });
    expect(parseRtosLine('@{"e":"task","u":1,"n":"Bad","k":1,"c":1,"m":0,"rn":1,"rx":1,"rp":1,"jx":1,"sx":1}')).toMatchObject({
      kind: 'invalid',
      problem: expect.stringMatching(/^n: /),
    });
    expect(parseRtosLine('@{"x":1}')).toMatchObject({ kind: 'invalid', problem: expect.stringMatching(/^e: /) });
  });
  it('passes other console text through', () => {
    expect(parseRtosLine('2.1|[    0.000000] Booting Linux')).toEqual({ kind: 'text', text: '[    0.000000] Booting Linux' });
  });
});

describe('summarizeRtosRun', () => {
  const ready = { e: 'ready', u: 0.001, u0: 0, n: 1, v: 1, hz: 1e9, g: 100, mt: 1024, ma: 512 } as const;
  it('sees heartbeat gaps, an incomplete run and inconsistent totals', () => {
    const r = summarizeRtosRun([
      ready,
      { e: 'hb', u: 0.101, n: 1, c: 1, m: 0 },
      { e: 'hb', u: 0.401, n: 4, c: 1, m: 0 },
    ]);
    expect(r.outcome).toBe('incomplete');
    expect(r.heartbeats).toEqual({ count: 2, missingSeq: 2, maxGapS: 0.3, lastS: 0.401 });
    const done = summarizeRtosRun([
      ready,
      { e: 'task', u: 1, n: 'a', k: 5, c: 4, m: 1, rn: 1, rx: 2, rp: 2, jx: 1, sx: 1 },
      { e: 'bye', u: 1, c: 5, m: 1, lx: 1, lp: 1, st: 1, sl: 0, mt: 1024, ma: 512 },
    ]);
    expect(done.outcome).toBe('completed');
    expect(done.problems).toEqual(['bye totals (5 jobs, 1 misses) differ from the task summaries (4, 1)']);
  });
});
