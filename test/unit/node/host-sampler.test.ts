// The emulator's memory as /proc reports it (src/core/node/run/host-sampler.ts).
import { describe, expect, it } from 'vitest';
import { parseProcStatus } from '../../../src/core/node/run/host-sampler.js';

describe('parseProcStatus', () => {
  it('reads VmHWM and VmRSS in KiB, 0 where absent', () => {
    const status = 'Name:\tqemu-system-aar\nVmPeak:\t 4000000 kB\nVmHWM:\t  812344 kB\nVmRSS:\t  790120 kB\nThreads:\t9\n';
    expect(parseProcStatus(status)).toEqual({ hwmKiB: 812_344, rssKiB: 790_120 });
    // a zombie has no memory lines
    expect(parseProcStatus('Name:\tqemu\nState:\tZ (zombie)\n')).toEqual({ hwmKiB: 0, rssKiB: 0 });
  });
});
