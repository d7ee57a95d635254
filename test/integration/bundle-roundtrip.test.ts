// The deployment bundle's round trip on the real nested stack: export the realistic example with its
// images → verify → run the bundle (the emulated L1 runs the bundle's own launcher from its payload) →
// judge the launcher's results directory, as an integrator would judge a hardware run's.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReportSchema } from '../../src/core/common/model/check-report.js';
import { runResultsSchema } from '../../src/core/common/model/run-results.js';
import { runCliInProcess } from '../helpers/cli.js';
import { repoRoot } from '../helpers/validate.js';
import { beforeRealStacks, CACHE, liveEmulators, MIN, tempRunDir } from './helpers.js';

const zonal = join(repoRoot, 'examples', 'zonal-controller.yaml');

describe.sequential('bundle round trip (real nested stack)', () => {
  beforeRealStacks();

  it('export → verify → run the bundle → report of the launcher results directory judges every check', async () => {
    const env = { NESTBED_CACHE_DIR: CACHE };
    const dir = await tempRunDir('bundle');
    const bundle = `${dir}.tar.gz`;
    const exported = await runCliInProcess(['export', zonal, '-o', bundle], { env });
    expect(exported.stderr).toMatch(/exported zonal-controller → .*: [\d.]+ MiB, \d+ entries/);
    expect(exported.code).toBe(0);
    const verified = await runCliInProcess(['verify', bundle, '--format', 'json'], { env });
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, images: { included: true } });

    const runDir = join(dir, 'run');
    const run = await runCliInProcess(['run', bundle, '--out', runDir, '--quiet'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = runResultsSchema.parse(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')));
    expect(results.status).toBe('ok');
    expect(results.guests.map((g) => [g.name, g.boot.readyMs !== undefined])).toEqual([
      ['safety', true],
      ['adas', true],
      ['ivi', true],
    ]);
    // L1 ran the bundle's launcher: its first event, and the words file it read
    const launcher = join(runDir, 'launcher');
    const log = await readFile(join(launcher, 'console.log'), 'utf8');
    expect(log).toMatch(/^1\|@\{"e":"launch","u":[\d.]+,"v":1,"n":3\}$/m);
    expect(log.split('\n').filter(Boolean).every((l) => l.startsWith('1|'))).toBe(true);
    expect(JSON.parse(await readFile(join(launcher, 'launcher.json'), 'utf8'))).toMatchObject({ format: 'nestbed-launcher-results', formatVersion: 1, timeBase: 'emulated-l1' });
    const cmd = JSON.parse(await readFile(join(runDir, 'command-line.json'), 'utf8'));
    const plan = JSON.parse(await readFile(join(launcher, 'plan.json'), 'utf8'));
    expect(cmd.launcherWords).toEqual(plan.launcher.words);

    // the launcher's results directory, judged like any run
    const report = await runCliInProcess(['report', launcher, '--format', 'json'], { env });
    expect([0, 1]).toContain(report.code);
    const judged = checkReportSchema.parse(JSON.parse(report.stdout));
    const direct = checkReportSchema.parse(JSON.parse((await runCliInProcess(['report', runDir, '--format', 'json'], { env })).stdout));
    // every check the emulated run is judged by is judged on the launcher's log too
    expect(judged.checks.map((c) => `${c.id}:${c.guest ?? ''}`).sort()).toEqual(direct.checks.map((c) => `${c.id}:${c.guest ?? ''}`).sort());
    for (const c of judged.checks) expect(['pass', 'fail', 'warn', 'inconclusive', 'skipped']).toContain(c.verdict);
    // the launcher's log stands alone: L1 reports its full cpu feature list, so ISA parity is judged too
    const verdicts = (r: typeof judged, id: string): string[] => r.checks.filter((c) => c.id === id).map((c) => `${c.guest}:${c.verdict}`);
    expect(verdicts(judged, 'parity.isa')).toEqual(verdicts(direct, 'parity.isa'));
    expect(verdicts(judged, 'parity.isa').some((v) => v.endsWith(':skipped'))).toBe(false);
    const boot = judged.checks.filter((c) => c.id === 'boot');
    expect(boot.length).toBe(3);
    expect(boot.every((c) => c.verdict !== 'skipped')).toBe(true);
    expect((await stat(join(launcher, 'results.json'))).isFile()).toBe(true);
    expect(await readdir(launcher)).toEqual(expect.arrayContaining(['console.log', 'launcher.json', 'plan.json', 'profile.json', 'results.json', 'topology.yaml']));
    expect(await liveEmulators()).toEqual([]);
  }, 20 * MIN);
});
