// Observed rtos response times against the analytic bounds of the schedulability analysis.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { responseTime, type Supply } from '../../../src/core/common/analysis/schedulability.js';
import { compareWithBounds } from '../../../src/core/common/rtos/bounds.js';
import { parseRtosConsole } from '../../../src/core/common/rtos/console.js';

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/rtos', name), 'utf8');

// The recorded task set (test/fixtures/rtos/record.ts), highest priority first.
const set = [
  { name: 'brake-monitor', periodUs: 1000, wcetUs: 200, deadlineUs: 1000 },
  { name: 'torque-arbiter', periodUs: 2000, wcetUs: 300, deadlineUs: 1500 },
  { name: 'diag-logger', periodUs: 5000, wcetUs: 1200, deadlineUs: 5000 },
];
const analyse = (supply: Supply) => set.map((t, i) => ({ ...t, responseTimeUs: responseTime(t, set.slice(0, i), supply) }));

describe('compareWithBounds', () => {
  it('deterministic run on a dedicated vCPU: every observed maximum equals its bound (synchronous release is the critical instant)', () => {
    const rows = compareWithBounds(parseRtosConsole(fixture('three-tasks.console.txt')).result, analyse({ kind: 'dedicated' }));
    expect(rows.map((r) => [r.name, r.boundUs, r.observedMaxUs, r.marginUs, r.verdict])).toEqual([
      ['brake-monitor', 200, 200, 0, 'within'],
      ['torque-arbiter', 500, 500, 0, 'within'],
      ['diag-logger', 1900, 1900, 0, 'within'],
    ]);
  });

  it('console traps without the slack gate push responses past the bounds, and the verdict says so', () => {
    const rows = compareWithBounds(parseRtosConsole(fixture('console-trap.console.txt')).result, analyse({ kind: 'dedicated' }));
    expect(rows.map((r) => [r.name, r.observedMaxUs, r.marginUs, r.verdict])).toEqual([
      ['brake-monitor', 300, -100, 'exceeds'],
      ['torque-arbiter', 600, -100, 'exceeds'],
      ['diag-logger', 1900, 0, 'within'],
    ]);
  });

  it('no bound and nothing observed are verdicts of their own', () => {
    const rows = compareWithBounds(parseRtosConsole(fixture('three-tasks.console.txt')).result, [
      ...analyse({ kind: 'none' }).slice(0, 1),
      { name: 'not-run', deadlineUs: 10, responseTimeUs: 5 },
    ]);
    expect(rows.map((r) => r.verdict)).toEqual(['no-bound', 'not-observed']);
  });
});
