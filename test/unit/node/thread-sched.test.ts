import { describe, expect, it } from 'vitest';
import { parseThreadSched } from '../../../src/core/node/run/collector.js';

describe('nb-sched get output', () => {
  it('parses policy, priority and the deadline parameters in µs', () => {
    expect(parseThreadSched('deadline 0 600 1000 1000')).toEqual({ policy: 'deadline', priority: 0, runtimeUs: 600, deadlineUs: 1000, periodUs: 1000 });
    expect(parseThreadSched('fifo 50 0 0 0\n')).toEqual({ policy: 'fifo', priority: 50, runtimeUs: 0, deadlineUs: 0, periodUs: 0 });
  });
  it('rejects anything else (an error code, a truncated line)', () => {
    expect(parseThreadSched('err3')).toBeUndefined();
    expect(parseThreadSched('fifo 50')).toBeUndefined();
    expect(parseThreadSched('')).toBeUndefined();
  });
});
