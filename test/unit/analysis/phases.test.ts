import { describe, expect, it } from 'vitest';
import { isolationPhaseSeconds, moreMissesPValue, safetyJobsPerSecond } from '../../../src/core/common/analysis/phases.js';
import { validateExample } from '../../helpers/validate.js';

describe('isolation phase length', () => {
  it('the realistic example: 1000 + 200 + 100 jobs/s → 2000 jobs need 2 s per window', () => {
    const t = validateExample('zonal-controller.yaml').valid!;
    expect(safetyJobsPerSecond(t)).toBe(1300);
    expect(isolationPhaseSeconds(t)).toBe(2);
  });
  it('no rtos task set: the longest window (4 s)', () => {
    expect(isolationPhaseSeconds(validateExample('two-linux.yaml').valid!)).toBe(4);
  });
});

describe('more misses under stress than idle: exact one-sided binomial test', () => {
  it('no misses at all, or none under stress: p = 1', () => {
    expect(moreMissesPValue(0, 2600, 0, 2600)).toBe(1);
    expect(moreMissesPValue(4, 2600, 0, 2600)).toBe(1);
  });
  it('equal windows: P(X ≥ b) for X ~ Bin(a + b, 1/2)', () => {
    expect(moreMissesPValue(0, 1000, 7, 1000)).toBeCloseTo(1 / 128, 12);
    expect(moreMissesPValue(2, 1000, 5, 1000)).toBeCloseTo((21 + 7 + 1) / 128, 12);
  });
  it('a longer stress window makes the same count less surprising', () => {
    expect(moreMissesPValue(1, 1000, 6, 3000)).toBeGreaterThan(moreMissesPValue(1, 1000, 6, 1000));
  });
});
