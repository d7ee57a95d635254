// Per-core virtual time (emulator/qemu-per-core-time.patch), on the real emulator that `nestbed setup`
// builds from Debian's source: the rtos guest booted directly (one level) with two vCPUs, its task
// set on vCPU 0 and a neighbour on vCPU 1 that is nearly idle or nearly always busy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RtosEvent } from '../../src/core/common/rtos/console.js';
import { rtosCommandLineWords, type RtosTask } from '../../src/core/common/rtos/params.js';
import { bootRtos, type RtosBootResult } from '../../src/core/node/rtos/boot.js';
import { buildRtosImage, type RtosImage } from '../../src/core/node/rtos/build.js';
import { findHostQemu } from '../../src/core/node/setup/host-qemu.js';
import { readManifest } from '../../src/core/node/setup/manifest.js';
import { cachePaths } from '../../src/core/node/setup/paths.js';
import { perCoreIcountArg } from '../../src/core/node/setup/per-core-qemu.js';
import { runTool, ToolError } from '../../src/core/node/process/tool.js';
import { beforeRealStacks, CACHE } from './helpers.js';

const SAFETY: RtosTask[] = [
  { name: 'brake-monitor', periodUs: 1000, wcetUs: 200, priority: 90, vcpu: 0 },
  { name: 'torque-arbiter', periodUs: 2000, wcetUs: 300, deadlineUs: 1500, priority: 80, vcpu: 0 },
];
/** The neighbour on vCPU 1: nearly idle, or busy 95 % of the time. */
const neighbour = (busy: boolean): RtosTask => ({ name: 'neighbour', periodUs: 1000, wcetUs: busy ? 950 : 10, priority: 50, vcpu: 1 });

/** vCPU 0's task lines (the figures the neighbour must not change), without the time they were
 * printed at (vCPU 0's background prints them once vCPU 1 has finished too). */
const vcpu0Tasks = (events: readonly RtosEvent[]) => events.filter((e) => e.e === 'task' && e.n !== 'neighbour').map((e) => ({ ...e, u: 0 }));

describe.sequential('per-core virtual time (the emulator setup builds)', () => {
  beforeRealStacks();
  let dir: string;
  let image: RtosImage;
  let qemu: string;

  beforeAll(async () => {
    const m = await readManifest(cachePaths(CACHE).manifest);
    const rec = m?.perCoreQemu;
    // on this machine kind the build must work: a missing emulator is a failure, not a skip
    expect(rec?.status, rec?.status === 'unavailable' ? rec.reason : 'no record').toBe('built');
    if (rec?.status !== 'built') return;
    qemu = join(cachePaths(CACHE).emulator, rec.file);
    dir = await mkdtemp(join(tmpdir(), 'nb-percore-it-'));
    image = await buildRtosImage({ outDir: dir });
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const boot = (busy: boolean, o: { icount?: string; qemu?: string } = {}): Promise<RtosBootResult> =>
    bootRtos({
      image: image.path,
      append: rtosCommandLineWords({ tasks: [...SAFETY, neighbour(busy)], runMs: 200, heartbeatMs: 0 }).join(' '),
      timing: 'deterministic',
      vcpus: 2,
      qemu: o.qemu ?? qemu,
      icount: o.icount ?? perCoreIcountArg(),
      timeoutMs: 60_000,
    });

  it('a busy neighbour does not change a core\'s figures; with one shared clock it does', async () => {
    const idle = await boot(false);
    const busy = await boot(true);
    for (const r of [idle, busy]) {
      expect(r.result.outcome).toBe('completed');
      expect(r.result.problems).toEqual([]);
    }
    expect(busy.result.tasks.find((t) => t.name === 'neighbour')).toMatchObject({ released: 200, completed: 200 });
    // vCPU 0: the same jobs, the same response times and release jitter, no stolen time
    expect(vcpu0Tasks(busy.events)).toEqual(vcpu0Tasks(idle.events));
    expect([idle.result.end?.stolenNs, busy.result.end?.stolenNs]).toEqual([0, 0]);
    expect(idle.result.tasks.filter((t) => t.name !== 'neighbour').map((t) => [t.name, t.completed, t.deadlineMisses, t.responseMaxUs])).toEqual([
      ['brake-monitor', 200, 0, 200],
      ['torque-arbiter', 100, 0, 500],
    ]);
    // the stock emulator, one shared clock: the busy neighbour's instructions advance vCPU 0's time
    const stock = await findHostQemu();
    const sIdle = await boot(false, { qemu: stock!.path, icount: 'shift=0,sleep=off' });
    const sBusy = await boot(true, { qemu: stock!.path, icount: 'shift=0,sleep=off' });
    const worst = (r: RtosBootResult): number => Math.max(...r.result.tasks.filter((t) => t.name !== 'neighbour').map((t) => t.responseMaxUs));
    console.log(`vCPU 0 worst response, µs virtual: per-core ${worst(idle)} idle / ${worst(busy)} busy neighbour; shared clock ${worst(sIdle)} / ${worst(sBusy)}; stolen ns per-core ${idle.result.end?.stolenNs} / ${busy.result.end?.stolenNs}, shared ${sIdle.result.end?.stolenNs} / ${sBusy.result.end?.stolenNs}`);
    expect(worst(sBusy)).toBeGreaterThan(worst(sIdle));
    expect(vcpu0Tasks(sBusy.events)).not.toEqual(vcpu0Tasks(sIdle.events));
  });

  it('reproduces exactly: two runs give the same console output', async () => {
    const a = await boot(true);
    const b = await boot(true);
    expect(a.stdout.length).toBeGreaterThan(3);
    expect(b.stdout).toEqual(a.stdout);
  });

  it.each([
    ['shift=auto,sleep=off,quantum=10000', 'quantum needs a fixed shift, not shift=auto'],
    ['shift=0,quantum=10000', 'quantum needs sleep=off'],
    ['shift=0,sleep=off,quantum=0', 'quantum must be between 1 and 2147483647'],
    ['shift=0,sleep=off,quantum=3000000000', 'quantum must be between 1 and 2147483647'],
    ['sleep=off,quantum=10000', 'quantum needs a fixed shift (e.g. shift=0)'],
    ['shift=0,sleep=off,quantum=10000,rr=record,rrfile=/dev/null', 'quantum cannot be combined with record/replay'],
  ])('refuses -icount %s', async (icount, message) => {
    const e = await runTool('emulator', [qemu, '-M', 'virt', '-nodefaults', '-display', 'none', '-icount', icount, '-S'], { timeoutMs: 20_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolError);
    expect((e as ToolError).code).toBe(1);
    expect((e as ToolError).stderrTail).toContain(message);
  });
});
