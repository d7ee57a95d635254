// A launcher's results directory replayed into a run directory, from the recorded two-guest transcript
// (test/fixtures/console-two-guests.log): its "1|" lines are exactly what a launcher prints under the
// emulated L0's relay. The transcript was recorded from examples/two-linux.yaml with `cpu: max` (L0
// reports sve/sme, which the ampereone preset switches off; 2 cores and 2048 MiB at L0, 2 vCPUs and
// 1024 MiB at L1, two 1-vCPU 256 MiB Linux guests pinned to L1 CPUs 0 and 1: affinity masks 1 and 2).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeRun } from '../../../../src/core/common/checks/judge.js';
import { VERDICTS } from '../../../../src/core/common/model/check-report.js';
import { InputError } from '../../../../src/core/common/model/errors.js';
import { runResultsSchema, type RunResults } from '../../../../src/core/common/model/run-results.js';
import { reportSections } from '../../../../src/core/common/report/check-html.js';
import { launchPlan } from '../../../../src/core/node/bundle/launch-plan.js';
import { isLauncherResultsDir, replayConsoleLog, replayLauncherResults } from '../../../../src/core/node/report/launcher-results.js';
import { runCliInProcess } from '../../../helpers/cli.js';
import { tempDir } from '../../../helpers/temp.js';
import { profiles, repoRoot, validateText } from '../../../helpers/validate.js';

const topologyText = readFileSync(join(repoRoot, 'examples/two-linux.yaml'), 'utf8').replace('cpu: ampereone', 'cpu: max');
const topology = validateText(topologyText).valid!;
// the image paths of the emulated path (the replay does not read them)
const images = { kernel: 'images/Image', initrd: 'images/l0.cpio', payloadArchive: 'payload.cpio' };
const plan = launchPlan(topology, undefined, images);

/** The transcript's "1|" lines (its "[host s] " stamps dropped: a launcher prints none). */
const recorded = readFileSync(join(repoRoot, 'test/fixtures/console-two-guests.log'), 'utf8')
  .replace(/\r/g, '')
  .split('\n')
  .map((l) => l.replace(/^\[\s*[\d.]+\] /, ''))
  .filter((l) => l.startsWith('1|'));
/** The launcher's first event, which the recording (made by an emulated L1's agent) has not: its
 * uptime just before the first recorded L1 event. */
const LAUNCH = '1|@{"e":"launch","u":6.90,"v":1,"n":2}';
/** The recorded pin events predate the fields the launcher prints now (guest/launch.sh guard: the
 * policy read back, the reservation kind, whether it was applied); without `ok` the reservation counts
 * as not applied. */
const current = (l: string): string => l.replace(/("e":"pin",.*"m":\{"0":"\d"\})\}$/, '$1,"s":{"0":"other 0 0 0 0"},"k":"p","ok":1}');
const transcript = [LAUNCH, ...recorded.map(current)];

const META = { format: 'nestbed-launcher-results', formatVersion: 1, timeBase: 'hardware', startedAt: '2026-12-05T10:00:00Z', host: 'Linux board 6.12.0 #1 SMP PREEMPT aarch64 GNU/Linux', bundle: '' };

const launcherDir = (o: { lines?: readonly string[]; meta?: unknown; metaText?: string; topology?: string; skip?: readonly string[] } = {}): string => {
  const dir = tempDir();
  const files: Record<string, string> = {
    'launcher.json': o.metaText ?? `${JSON.stringify(o.meta ?? META)}\n`,
    'console.log': `${(o.lines ?? transcript).join('\n')}\n`,
    'topology.yaml': o.topology ?? topologyText,
    'plan.json': `${JSON.stringify(plan, null, 2)}\n`,
  };
  for (const [name, text] of Object.entries(files)) if (!o.skip?.includes(name)) writeFileSync(join(dir, name), text);
  return dir;
};

const judge = (results: RunResults, profile?: string) => {
  const v = validateText(topologyText, profile);
  return judgeRun({ topology: v.topology!, profile: v.profile, results, schedulability: v.schedulability, diagnostics: v.diagnostics, toolVersion: 't', command: 'report' });
};

describe('replayLauncherResults on the recorded transcript', () => {
  it('writes results.json with timing hardware, the launcher recorded, every guest ready with its boot figures, no L0', async () => {
    const dir = launcherDir();
    expect(await isLauncherResultsDir(dir)).toBe(true);
    const r = await replayLauncherResults(dir, { profiles });
    const written = runResultsSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    expect(written).toEqual(r);
    expect(r).toMatchObject({ status: 'ok', finalState: 'exited', timing: 'hardware', startedAt: '2026-12-05T10:00:00.000Z', launcher: { timeBase: 'hardware', host: META.host, bundle: null } });
    expect(r.topology).toEqual({ name: 'two-linux', sha256: createHash('sha256').update(topologyText).digest('hex') });
    // ms of the launcher's clock since its launch event (u 6.90): done at u 58.01
    expect(r.wallMs).toBe(51110);
    expect(r.stages[0]).toEqual({ name: 'launch', atMs: 0, message: 'launcher started (protocol 1): 2 guest(s)' });
    expect(r.guests.map((g) => [g.name, g.boot.vmStartMs, g.boot.readyMs, g.boot.vmStartToReadyMs, g.boot.virtual.kernelToInitS, g.boot.virtual.initToReadyS, g.memory?.usedKiB])).toEqual([
      ['one', 490, 5610, 5120, 23.1, 0.88, 28012],
      // guest lines carry no host time: they take the latest launcher event's (pin of one, u 12.51)
      ['two', 740, 5610, 4870, 21.39, 0.68, 26164],
    ]);
    expect(r.allReadyMs).toBe(5610);
    expect(r.guests.map((g) => g.pinApplied)).toEqual([{ '0': '1' }, { '0': '2' }]);
    // no emulated L0, no host emulator
    expect(r.l0).toEqual({ level: 0, virtual: {}, kvmLog: [], nv2: false, cpuFeatures: [], kvmSamples: [], vmmRssMaxKiB: [] });
    expect(r.host).toMatchObject({ qemu: { path: '', version: '' }, qemuRssMaxKiB: 0, hostCpus: 0 });
    expect(r.host.clock).toBeUndefined();
    expect(r.l1.kvmMode).toBe('VHE');
    expect(r.artifacts).toEqual({});
    expect(r.warnings).toEqual([]);
  });

  it('the judge gives every check a verdict: what needs the emulated L0 is skipped as not applying on hardware, never failed', async () => {
    const dir = launcherDir();
    const r = await replayLauncherResults(dir, { profiles });
    const report = judge(r);
    expect(report.timing).toBe('hardware');
    expect(report.timingModel).toMatch(/^hardware \(host clock\): /);
    expect(report.checks.every((c) => VERDICTS.includes(c.verdict))).toBe(true);
    expect(report.checks.map((c) => [c.id, c.guest ?? '-', c.verdict, c.measured ? `${c.measured.value} ${c.measured.unit} ${c.measured.timeBase ?? ''}`.trim() : '-'])).toEqual([
      ['stack.nv2', '-', 'skipped', '-'],
      ['boot', 'one', 'skipped', '23980 ms hardware'],
      ['memory', 'one', 'skipped', '27.4 MiB'],
      ['latency', 'one', 'skipped', '-'],
      ['parity.isa', 'one', 'skipped', '-'],
      ['boot', 'two', 'skipped', '22070 ms hardware'],
      ['memory', 'two', 'skipped', '25.6 MiB'],
      ['latency', 'two', 'skipped', '-'],
      ['parity.isa', 'two', 'skipped', '-'],
      ['isolation.fault-containment', '-', 'skipped', '-'],
      ['isolation.spatial', '-', 'skipped', '-'],
      ['isolation.channels', '-', 'skipped', '-'],
      ['isolation.pinning', '-', 'pass', '-'],
      ['isolation.interference', '-', 'skipped', '-'],
    ]);
    expect(report.checks[0]!.message).toBe("L0's VHE+NV2 evidence: does not apply on hardware — the launcher ran the guests under the host's own KVM, there is no emulated L0 (the launcher's host reported KVM in VHE mode)");
    expect(report.success).toBe(true);
    // against an ECU profile: the emulated core preset does not apply either
    const orin = judge(r, 'nvidia-drive-orin');
    expect(orin.checks.filter((c) => c.verdict === 'fail')).toEqual([]);
    const arch = orin.checks.find((c) => c.id === 'parity.arch' && c.guest === 'one')!;
    expect(arch).toMatchObject({ verdict: 'skipped', message: 'emulated core max (armv9.2-a) against nvidia-drive-orin (armv8.2-a): does not apply on hardware — the launcher ran the guests under the host\'s own KVM, there is no emulated L0' });
    // the HTML report: no emulated L0 row, the launcher's clock as the axis
    const html = reportSections(report, r).bootTimeline;
    expect(html).not.toContain('L0 server');
    expect(html).toContain('class="lbl">launcher</text>');
    expect(html).toContain("the launcher's clock since its first event (timing: hardware)");
  });

  it('a log without the launcher\'s final "done" is a failed run: incomplete launcher log', async () => {
    const cut = transcript.slice(0, transcript.findIndex((l) => l.includes('"e":"done"')));
    const r = await replayLauncherResults(launcherDir({ lines: cut }), { profiles });
    expect(r).toMatchObject({ status: 'failed', finalState: 'failed', failure: { reason: 'incomplete-launcher-log', level: 1 } });
    expect(r.failure!.message).toMatch(/^incomplete launcher log: .*console\.log ends without the launcher's final "done" event \(its last event is "pin" at 5\.6 s; 2 of 2 guest\(s\) ready\) — the launcher was stopped or its output cut short$/);
    // the launcher's own tail (its last line: the pin event of guest one)
    expect(r.failure!.consoleTail.at(-1)).toMatch(/^@\{"e":"pin","u":12\.51,"g":0,/);
    expect(judge(r).checks.find((c) => c.id === 'run')).toMatchObject({ verdict: 'fail', message: expect.stringContaining('the run failed: incomplete launcher log') });
    // an empty log: the launcher printed nothing at all
    const none = await replayLauncherResults(launcherDir({ lines: [] }), { profiles });
    expect(none.failure!.message).toMatch(/console\.log has no "launch" event \(it holds no launcher event; 0 of 2 guest\(s\) ready\) — the launcher never started$/);
    // the transcript as the emulated L1's agent printed it, before there was a launcher: its "done" is not the launcher's
    const noLaunch = await replayLauncherResults(launcherDir({ lines: recorded }), { profiles });
    expect(noLaunch).toMatchObject({ status: 'failed', failure: { reason: 'incomplete-launcher-log' } });
    expect(noLaunch.failure!.message).toContain('has no "launch" event (its last event is "vmexit" at 51.1 s; 2 of 2 guest(s) ready) — the launcher never started');
  });

  it("a guest's kernel panic fails the run even though the launcher finished", async () => {
    const lines = [...transcript];
    lines.splice(lines.findIndex((l) => l.startsWith('1|2.0|@{"e":"ready"')) + 1, 0, '1|2.0|[   25.01] Kernel panic - not syncing: Attempted to kill init!');
    const r = await replayLauncherResults(launcherDir({ lines }), { profiles });
    expect(r.failure).toMatchObject({ reason: 'kernel-panic', level: 2, guest: 'one', message: 'kernel panic in guest one: [   25.01] Kernel panic - not syncing: Attempted to kill init!' });
  });

  it('inside the emulated L1 (timeBase emulated-l1) the times are that run\'s clock: the plan\'s timing, and no L0 observed', async () => {
    // L1's own agent prints its init event before it runs the launcher; the clock starts there
    const lines = [recorded[0]!, LAUNCH.replace('6.90', '6.95'), ...recorded.slice(1).map(current)];
    const r = await replayLauncherResults(launcherDir({ lines, meta: { ...META, timeBase: 'emulated-l1' } }), { profiles });
    expect(r).toMatchObject({ status: 'ok', timing: 'fast', launcher: { timeBase: 'emulated-l1' } });
    expect(r.wallMs).toBe(51070);
    expect(r.stages.slice(0, 2)).toEqual([
      { name: 'l1-init', atMs: 0, message: 'L1 init (kernel→init 6.4 s guest time)' },
      { name: 'launch', atMs: 10, message: 'launcher started (protocol 1): 2 guest(s)' },
    ]);
    expect(r.guests[0]!.reservation.requested).toBe('dedicated hypervisor CPU (no server, no other guest vCPU on it)');
    const nv2 = judge(r).checks[0]!;
    expect(nv2).toMatchObject({ id: 'stack.nv2', verdict: 'skipped' });
    expect(nv2.message).toContain('not observed — the launcher ran inside the emulated L1 and saw no L0');
  });

  it("a CPU reservation is recorded as the plan applied it (planned with the bundle's timing), not as fast timing would stretch it", async () => {
    const text = topologyText
      .replace('memoryMiB: 2048 }', 'memoryMiB: 2048, timing: deterministic }')
      .replace('pin: [0], memoryMiB: 256 }', 'pin: [0], memoryMiB: 256, vcpuServer: { periodUs: 1000, budgetUs: 300 } }');
    const t = validateText(text).valid!;
    const deterministicPlan = launchPlan(t, undefined, images);
    expect(deterministicPlan.guests[0]!.reservation).toEqual({ kind: 'deadline', budgetUs: 300, periodUs: 1000, scale: 1 });
    const dir = launcherDir({ topology: text });
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(deterministicPlan));
    const r = await replayLauncherResults(dir, { profiles });
    expect(r.guests[0]!.reservation).toMatchObject({ kind: 'deadline', budgetUs: 300, periodUs: 1000, requested: '300/1000 µs per vCPU' });
  });

  it('without startedAt the start is estimated from the console log, and said so', async () => {
    const dir = launcherDir({ meta: { ...META, startedAt: '' } });
    const mtime = statSync(join(dir, 'console.log')).mtimeMs;
    const r = await replayLauncherResults(dir, { profiles });
    expect(r.startedAt).toBe(new Date(mtime - 51110).toISOString());
    expect(r.warnings).toEqual(["launcher.json has no startedAt: the start is estimated as console.log's modification time minus the launcher's run time"]);
  });

  it('a bundle manifest beside it: its artifacts are recorded; one of another bundle or topology is refused', async () => {
    const dir = launcherDir();
    const manifest = {
      format: 'nestbed-bundle',
      formatVersion: 1,
      nestbedVersion: '0.1.0',
      sourceDateEpoch: 315532800,
      epochSource: 'fixed',
      topology: { name: 'two-linux', file: 'topology.yaml', sha256: createHash('sha256').update(topologyText).digest('hex'), sourceFile: 'two-linux.yaml' },
      profile: null,
      images: { included: false, omitted: '--no-images', artifacts: [{ artifact: 'Image', role: 'l0-kernel', path: 'images/Image', sha256: 'a'.repeat(64), size: 1, description: "L0's kernel" }] },
      run: null,
      signature: null,
      files: [],
    };
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(join(dir, 'manifest.json'), text);
    const digest = createHash('sha256').update(text).digest('hex');
    writeFileSync(join(dir, 'launcher.json'), JSON.stringify({ ...META, bundle: digest }));
    const r = await replayLauncherResults(dir, { profiles });
    expect(r.artifacts).toEqual({ Image: { file: 'images/Image', sha256: 'a'.repeat(64) } });
    expect(r.launcher!.bundle).toBe(digest);

    const other = launcherDir({ meta: { ...META, bundle: 'b'.repeat(64) } });
    writeFileSync(join(other, 'manifest.json'), text);
    await expect(replayLauncherResults(other, { profiles })).rejects.toThrow(`manifest.json: its SHA-256 is ${digest}, but launcher.json says the launcher ran bundle ${'b'.repeat(64)}`);
    expect(existsSync(join(other, 'results.json'))).toBe(false);
  });

  it('never overwrites results.json, and refuses a log of another topology, protocol version or of two launchers', async () => {
    const dir = launcherDir();
    writeFileSync(join(dir, 'results.json'), '{"mine":true}\n');
    await expect(replayLauncherResults(dir, { profiles })).rejects.toThrow(InputError);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{"mine":true}\n');

    const three = launcherDir({ lines: ['1|@{"e":"launch","u":1,"v":1,"n":3}', ...recorded] });
    await expect(replayLauncherResults(three, { profiles })).rejects.toThrow(/console\.log:1: the launcher started 3 guest\(s\), but the topology two-linux has 2: not a run of this topology$/);
    const v2 = launcherDir({ lines: ['1|@{"e":"launch","u":1,"v":2,"n":2}'] });
    await expect(replayLauncherResults(v2, { profiles })).rejects.toThrow('launcher protocol version 2 is not supported (this nestbed reads version 1)');
    const malformed = launcherDir({ lines: ['1|@{"e":"launch","u":1,"v":1}'] });
    await expect(replayLauncherResults(malformed, { profiles })).rejects.toThrow(/console\.log:1: malformed launch event: launch: field "n" is missing$/);
    const twice = launcherDir({ lines: [LAUNCH, LAUNCH] });
    await expect(replayLauncherResults(twice, { profiles })).rejects.toThrow(/console\.log:2: a second launch event: two launchers' output in one log$/);
    for (const d of [three, v2, malformed, twice]) expect(readdirSync(d).sort()).toEqual(['console.log', 'launcher.json', 'plan.json', 'topology.yaml']);
  });
});

describe('replayConsoleLog: the launcher clock', () => {
  it("a launcher event is at its uptime since the first one; every other line at the latest launcher time; lines without the route are skipped", () => {
    const r = replayConsoleLog(
      [
        '1|@{"e":"launch","u":100.25,"v":1,"n":2}',
        '1|@{"e":"vmstart","u":100.5,"g":0}',
        '1|@{"e":"vmstart","u":100.75,"g":1}',
        'stray shell noise',
        '1|2.0|@{"e":"init","u":0.31,"u0":0.2}',
        '1|2.0|@{"e":"ready","u":0.52,"mt":208140,"ma":180000}',
        '1|@{"e":"pin","u":101.125,"g":0,"m":{"0":"1"},"k":"p","ok":1}',
        '1|2.1|@{"e":"init","u":0.4,"u0":0.3}',
        '1|2.1|@{"e":"ready","u":0.6,"mt":208140,"ma":181000}',
        '1|@{"e":"pin","u":101.0,"g":1,"m":{"0":"2"},"k":"p","ok":1}',
        '1|@{"e":"done","u":103}',
      ].join('\n'),
      topology,
      plan,
      false,
    );
    expect(r.failure).toBeUndefined();
    expect(r.unrouted).toBe(1);
    expect(r.endMs).toBe(2750);
    const g = r.collector.guests;
    expect(g.map((x) => [x.boot.vmStartMs, x.boot.initMs, x.boot.readyMs])).toEqual([
      [250, 500, 500],
      // a launcher event whose uptime is earlier than the clock keeps its own time; the clock does not go back
      [500, 875, 875],
    ]);
    expect(r.stages.find((s) => s.name === 'all-ready')?.atMs).toBe(875);
  });
});

describe('nestbed report on a launcher results directory', () => {
  it('replays first (saying so on stderr), then reports as usual; a second report reads the results.json it wrote', async () => {
    const dir = launcherDir();
    const first = await runCliInProcess(['report', dir, '--format', 'json']);
    expect(first.stderr).toBe(`nestbed: replayed the launcher's console log into results.json (${join(dir, 'results.json')})\n`);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ command: 'report', timing: 'hardware', success: true, summary: { pass: 1, fail: 0, skipped: 13 } });
    const written = readFileSync(join(dir, 'results.json'));
    const mtime = statSync(join(dir, 'results.json')).mtimeMs;
    const second = await runCliInProcess(['report', dir]);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('nestbed report: topology two-linux, timing hardware');
    expect(readFileSync(join(dir, 'results.json'))).toEqual(written);
    expect(statSync(join(dir, 'results.json')).mtimeMs).toBe(mtime);
  });

  it('an incomplete log: the report fails (exit 1) with the run check', async () => {
    const dir = launcherDir({ lines: transcript.slice(0, 12) });
    const r = await runCliInProcess(['report', dir, '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL run: the run failed: incomplete launcher log: /);
  });

  it('bad input is exit 2 naming the file, with nothing written', async () => {
    const cases: Array<[string, Parameters<typeof launcherDir>[0], RegExp]> = [
      ['malformed launcher.json', { metaText: '{"format":"nestbed-launcher-results",' }, /launcher\.json: not JSON/],
      ['launcher.json without a field', { meta: { ...META, host: undefined } }, /launcher\.json: not a launcher results file \(format "nestbed-launcher-results", version 1\): host: /],
      ['launcher.json with a wrong field', { meta: { ...META, timeBase: 'board' } }, /launcher\.json: not a launcher results file .*: timeBase: /],
      ['launcher.json with an unknown key', { meta: { ...META, extra: 1 } }, /launcher\.json: not a launcher results file .*: the document: Unrecognized key: "extra"/],
      ['launcher.json of another version', { meta: { ...META, formatVersion: 2 } }, /launcher\.json: launcher results format version 2 is not supported \(this nestbed reads version 1\)/],
      ['a bad start time', { meta: { ...META, startedAt: 'yesterday' } }, /launcher\.json: not a launcher results file .*: startedAt: /],
      ['no console.log', { skip: ['console.log'] }, /console\.log: cannot read the launcher's console log \(no such file\)/],
      ['an invalid topology', { topology: topologyText.replace('pin: [1]', 'pin: [7]') }, /topology\.yaml:\d+:\d+: NB\d{4} .*\(the launcher's topology must validate\)/],
      ['no plan.json', { skip: ['plan.json'] }, /plan\.json: cannot read the bundle's launch plan \(no such file\)/],
    ];
    for (const [what, o, message] of cases) {
      const dir = launcherDir(o);
      const before = readdirSync(dir).sort();
      const r = await runCliInProcess(['report', dir]);
      expect({ what, code: r.code, stdout: r.stdout }).toEqual({ what, code: 2, stdout: '' });
      expect(r.stderr, what).toMatch(message);
      expect(r.stderr.startsWith(`nestbed: ${dir}/`), what).toBe(true);
      expect(readdirSync(dir).sort(), what).toEqual(before);
    }
  });
});
