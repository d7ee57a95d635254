// A supervised process killed before it started never starts (a run cancelled during its set-up
// must not leave an emulator behind).
import { describe, expect, it } from 'vitest';
import { SupervisedProcess } from '../../../src/core/node/process/supervised.js';

describe('SupervisedProcess', () => {
  it('kill before start: start spawns nothing and exited resolves at once', async () => {
    const lines: string[] = [];
    const p = new SupervisedProcess('test sleeper', ['/bin/sh', '-c', 'echo started; sleep 30'], { onLine: (_s, l) => lines.push(l) });
    p.kill('cancelled before start');
    const t0 = Date.now();
    p.start();
    expect(await p.exited).toEqual({ code: null, signal: null });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(p.pid).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
