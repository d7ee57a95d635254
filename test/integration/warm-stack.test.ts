// The warm stack on the real nested stack: a run restored from the snapshot of the booted L0 + L1
// gives the deterministic figures of the run that made it; a corrupted snapshot is detected, removed
// and made again by a fresh boot; no emulator is left behind.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/core/common/model/run-results.js';
import { runTopology } from '../../src/core/node/run/runner.js';
import { beforeRealStacks, CACHE, liveEmulators, LINUX_AND_RTOS, MIN, tempRunDir, validTopology } from './helpers.js';
import { virtualFigures } from './figures.js';

/** Overwrites 1 MiB in the middle of the snapshot's state file (its size stays the same). */
const corrupt = async (key: string): Promise<void> => {
  const file = join(CACHE, 'snapshots', key, 'state.bin');
  const { size } = await stat(file);
  const fh = await open(file, 'r+');
  try {
    await fh.write(Buffer.alloc(1 << 20, 0xa5), 0, 1 << 20, Math.floor(size / 2));
  } finally {
    await fh.close();
  }
};

describe.sequential('warm stack (real nested stack)', () => {
  beforeRealStacks();

  it('runs from one snapshot reproduce the deterministic figures exactly; a corrupted snapshot is detected and made again', async () => {
    const topology = await validTopology(LINUX_AND_RTOS);
    const run = async (name: string): Promise<RunResults> => {
      const { results } = await runTopology({ topology, outDir: await tempRunDir(name), cacheRoot: CACHE, holdS: 1 });
      expect(results.failure).toBeUndefined();
      expect(results.status).toBe('ok');
      expect(await liveEmulators()).toEqual([]);
      return results;
    };
    const first = await run('warm-1');
    const w1 = first.host.warmStack!;
    expect(['made', 'restored']).toContain(w1.snapshot);
    const key = w1.key!;
    // the second run restores the snapshot the first one used (or made)
    const second = await run('warm-2');
    expect(second.host.warmStack).toMatchObject({ snapshot: 'restored', key });
    expect(second.host.warmStack?.restoreMs).toBeGreaterThan(0);
    // the restored run's results still carry L0's and L1's boot (replayed from the snapshot's boot)
    expect(second.l0.nv2).toBe(true);
    expect(second.l1.virtual.kernelToInitS).toBeGreaterThan(0);
    expect(second.stages.map((s) => s.name)).toEqual(expect.arrayContaining(['l0-init', 'l1-init', 'stack-waiting', 'warm-stack', 'all-ready']));
    // a corrupted state file (same size): detected, removed, booted and made again, and the run is fine
    await corrupt(key);
    const third = await run('warm-3');
    expect(third.host.warmStack).toMatchObject({ snapshot: 'made', key });
    expect(third.host.warmStack?.rebuilt).toMatch(/SHA-256|restor|migration|load/i);
    const figures = [first, second, third].map(virtualFigures);
    process.stderr.write(`warm stack figures (${[first, second, third].map((r) => r.host.warmStack?.snapshot).join(' / ')}):\n${Object.keys(figures[0]!).map((k) => `  ${k}: ${figures.map((f) => f[k]).join(' / ')}`).join('\n')}\n`);
    expect(Object.values(figures[0]!).every((x) => x !== undefined)).toBe(true);
    // runs from the same snapshot execute the same instructions after it
    expect(figures[1]).toEqual(figures[0]);
    // a snapshot made again (a fresh boot of the stack to the same pause) does not always give the same
    // figures: two makings differed in about half of the pairs measured (docs/emulation-notes.md), so
    // only the rebuild is asserted here
    expect(Object.values(figures[2]!).every((x) => x !== undefined)).toBe(true);
  }, 15 * MIN);
});
