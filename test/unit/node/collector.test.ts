// Replays a recorded host console transcript (test/fixtures/console-two-guests.log: "[host s] line")
// through the demultiplexer and the collector.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { asValidForTest, TWO_GUEST_FIXTURE } from '../../helpers/topology.js';
import { RunCollector } from '../../../src/core/node/run/collector.js';
import { demuxLine, failureMarker, LineSplitter } from '../../../src/core/node/run/demux.js';

const topo = TWO_GUEST_FIXTURE;

describe('console demultiplexer', () => {
  it('routes by the prefixes the parent levels add', () => {
    expect(demuxLine('@{"e":"init","u":3.2,"u0":3.1}\r')).toEqual({ kind: 'event', level: 0, name: 'init', data: { u: 3.2, u0: 3.1 } });
    expect(demuxLine('1|@{"e":"vmstart","u":4,"g":1}')).toEqual({ kind: 'event', level: 1, name: 'vmstart', data: { u: 4, g: 1 } });
    expect(demuxLine('1|2.1|[   25.5] reboot: Power down')).toEqual({ kind: 'text', level: 2, guest: 1, text: '[   25.5] reboot: Power down' });
    expect(demuxLine('1|2.0|@{"e":"ready","u":1')).toEqual({ kind: 'text', level: 2, guest: 0, text: '@{"e":"ready","u":1' });
    // an opaque guest (os: custom): event-shaped lines on its route stay text
    expect(demuxLine('1|2.1|@{"e":"ready","u":1}', (i) => i === 1)).toEqual({ kind: 'text', level: 2, guest: 1, text: '@{"e":"ready","u":1}' });
    expect(demuxLine('1|@{"e":"ready","u":1}', () => true)).toMatchObject({ kind: 'event', level: 1 });
  });
  it('spots failure markers', () => {
    expect(failureMarker('[ 12.1] Kernel panic - not syncing: sysrq triggered crash')?.reason).toBe('kernel-panic');
    expect(failureMarker('qemu-system-aarch64: -m 99999M: cannot set up guest memory')?.reason).toBe('vmm-error');
    expect(failureMarker('qemu-system-aarch64: warning: something harmless')).toBeUndefined();
  });
  it('splits chunks into lines', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\n')).toEqual(['bc']);
    expect(s.flush()).toEqual([]);
  });
});

describe('collector on a recorded two-guest transcript', () => {
  it('derives boot phases, NV2 evidence, memory and samples', async () => {
    const text = await readFile(new URL('../../fixtures/console-two-guests.log', import.meta.url), 'utf8');
    const c = new RunCollector(topo, false);
    for (const raw of text.replace(/\r/g, "").split("\n")) {
      const m = /^\[\s*([\d.]+)\] (.*)$/.exec(raw);
      if (m) c.feed(demuxLine(m[2]!), Math.round(Number(m[1]) * 1000));
    }
    expect(c.l0.nv2).toBe(true);
    expect(c.l0.ipaBits).toBe(48);
    expect(c.l1.kvmMode).toBe('VHE');
    expect(c.l0.initMs).toBe(7050);
    expect(c.l1.initMs).toBe(20840);
    expect(c.allReadyMs).toBe(70690);
    expect(c.guests.map((g) => [g.name, g.boot.vmStartMs, g.boot.initMs, g.boot.readyMs, g.boot.virtual.kernelToInitS])).toEqual([
      ['g-zero', 21150, 70250, 70690, 23.1],
      ['g-one', 21540, 66280, 67290, 21.39], // its vmstart line arrived at 21.81 s: dated by L1's clock
    ]);
    expect(c.guests[0]?.memory).toEqual({ totalKiB: 208140, availableKiB: 180128, usedKiB: 28012 });
    expect(c.l1Done && c.l0Done).toBe(true);
    const notes = c.drainNotes().map((n) => n.stage);
    expect(notes.filter((s) => s === 'all-ready')).toHaveLength(1);
  });
});

describe('collector: os rtos guests', () => {
  const rt = asValidForTest({
    apiVersion: 'nestbed/v1',
    kind: 'Topology',
    name: 'fx-rtos',
    host: { cpu: 'max', cores: 2, memoryMiB: 2048 },
    hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
    guests: [
      {
        name: 'safety', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64,
        tasks: [{ name: 'brake-monitor', periodUs: 1000, wcetUs: 100, priority: 90 }, { name: 'arbiter', periodUs: 5000, wcetUs: 600, deadlineUs: 4000, priority: 80 }],
      },
    ],
  });
  // the relayed lines of a real deterministic run (guest/rtos through L1's relay)
  const lines = [
    '1|@{"e":"vmstart","u":1.31,"g":0}',
    '1|2.0|@{"e":"ready","u":0.068997,"u0":0.058346,"n":2,"v":1,"hz":1000000000,"g":196,"mt":65536,"ma":63712}',
    '1|2.0|@{"e":"hb","u":0.638853,"n":1,"c":671,"m":0}',
    '1|2.0|@{"e":"hb","u":1.638419,"n":3,"c":1998,"m":0}',
    '1|2.0|@{"e":"task","u":4.2,"n":"t0","k":4000,"c":4000,"m":0,"rn":100,"rx":700,"rp":101,"jx":44,"sx":489}',
    '1|2.0|@{"e":"task","u":4.2,"n":"t1","k":800,"c":800,"m":0,"rn":700,"rx":800,"rp":800,"jx":44,"sx":199}',
    '1|2.0|@{"e":"bye","u":4.241742,"c":4800,"m":0,"lx":44,"lp":44,"st":3440,"sl":0,"mt":65536,"ma":63712}',
    '1|2.0|@{"e":"vmexit","rc":0}',
  ];
  it('folds the rtos report into results with the topology task names', () => {
    const c = new RunCollector(rt, true, 4000);
    lines.forEach((l, i) => c.feed(demuxLine(l), 1000 + i * 100));
    const g = c.guests[0]!;
    expect(g.image).toBe('rtos');
    expect(g.boot.readyMs).toBe(1100);
    expect(g.boot.vmStartToReadyMs).toBe(100);
    expect(g.boot.virtual).toEqual({ l1VmStartUptimeS: 1.31, kernelToInitS: 0.058346, initToReadyS: 0.010651 });
    expect(c.allReadyMs).toBe(1100);
    expect(g.exitCode).toBe(0);
    expect(g.rtos?.outcome).toBe('completed');
    expect(g.rtos?.heartbeats).toEqual({ count: 2, missingSeq: 1, maxGapS: 0.999566, lastS: 1.638419, timesS: [0.638853, 1.638419] });
    expect(g.rtos?.tasks.map((t) => [t.name, t.responseMaxUs, t.deadlineMisses])).toEqual([['brake-monitor', 700, 0], ['arbiter', 800, 0]]);
    expect(g.rtos?.end?.timerLatencyMaxNs).toBe(44);
    expect(g.rtos?.timeBase).toBe('virtual (icount)');
    expect(g.rtos?.problems).toEqual([]);
  });
});

describe('lossy console lines', () => {
  it("takes a Linux guest's cpu diff from its bye line when the cpu line lost its start", () => {
    const c = new RunCollector(topo, false);
    // recorded in CI: the first 16 characters of a guest's 'cpu' line never arrived
    c.feed(demuxLine('1|2.1|17.02,"d":""}'), 1000);
    expect(c.guests[1]!.cpuFeaturesDiffVsL1).toBeUndefined();
    c.feed(demuxLine('1|2.1|@{"e":"bye","u":24.35,"mt":208144,"ma":180272,"d":"-paca -pacg"}'), 2000);
    expect(c.guests[1]!.cpuFeaturesDiffVsL1).toEqual({ removed: ['paca', 'pacg'], added: [] });
    // an intact cpu line wins
    c.feed(demuxLine('1|2.0|@{"e":"cpu","u":3,"d":""}'), 3000);
    c.feed(demuxLine('1|2.0|@{"e":"bye","u":9,"d":"+sve"}'), 4000);
    expect(c.guests[0]!.cpuFeaturesDiffVsL1).toEqual({ removed: [], added: [] });
  });
});

describe('warm stack: the payload wait', () => {
  it('notes stack-waiting once both L0 and L1 wait for the payload, in either order', () => {
    const c = new RunCollector(topo, false);
    c.feed(demuxLine('1|@{"e":"pwait","u":8.2}'), 30_000);
    expect(c.payloadWait).toEqual({ l0: false, l1: true });
    expect(c.drainNotes()).toEqual([]);
    c.feed(demuxLine('@{"e":"pwait","u":14.5}'), 30_100);
    expect(c.payloadWait).toEqual({ l0: true, l1: true });
    expect(c.drainNotes().map((n) => n.stage)).toEqual(['stack-waiting']);
    c.feed(demuxLine('@{"e":"cdisk","u":15.1,"ok":1,"n":20480}'), 33_000);
    expect(c.warnings).toEqual([]);
  });
});

describe('collector with an os: custom guest', () => {
  const t = asValidForTest({
    ...topo,
    guests: [
      { name: 'lin', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 256 },
      { name: 'ecu', role: 'gateway', asil: 'QM', os: 'custom', vcpus: 1, pin: [1], memoryMiB: 64, image: { kernel: 'Image', readyLine: 'up' } },
    ],
  });
  it('takes its ready marker and exit from L1, and nothing the image prints as an event', () => {
    const c = new RunCollector(t, true);
    // the runner's demultiplexer: guest 1 is opaque (os: custom)
    const feed = (line: string, ms: number): void => c.feed(demuxLine(line, (i) => t.guests[i]?.os === 'custom'), ms);
    feed('1|@{"e":"vmstart","u":4.5,"g":1}', 1000);
    // the image prints something shaped like an agent event: it must not count
    feed('1|2.1|@{"e":"ready","u":0.1,"mt":1,"ma":1}', 1500);
    feed('1|2.1|@{"e":"cpu","d":"-aes"}', 1600);
    expect(c.guests[1]?.boot.readyMs).toBeUndefined();
    expect(c.guests[1]?.cpuFeaturesDiffVsL1).toBeUndefined();
    // a cready for a Linux guest is ignored too
    feed('1|@{"e":"cready","u":5.0,"g":0}', 1900);
    expect(c.guests[0]?.boot.readyMs).toBeUndefined();
    feed('1|@{"e":"cready","u":5.25,"g":1}', 2000);
    expect(c.guests[1]?.boot).toMatchObject({ vmStartMs: 1000, readyMs: 2000, vmStartToReadyMs: 1000, virtual: { l1VmStartUptimeS: 4.5, l1VmStartToReadyS: 0.75 } });
    expect(c.guests[1]?.image).toBe('custom');
    feed('1|@{"e":"cexit","u":9,"g":1,"rc":137,"st":1}', 5000);
    expect(c.customExit.get(1)).toEqual({ code: 137, stoppedByHypervisor: true });
    expect(c.drainNotes().map((n) => n.message)).toContain('ecu: stopped by L1 after its hold time');
  });
});

describe('dating a guest VM start when L1\'s console lags', () => {
  it('fast timing: from L1\'s init line plus L1 time; deterministic: the arrival time', () => {
    // recorded (two-linux, fast): L1 init at host 17.587 s, L1 uptime 4.46 s; guest two's vmstart,
    // printed at L1 uptime 5.15 s, arrived at host 47.418 s
    const feed = (c: RunCollector): void => {
      c.feed(demuxLine('1|@{"e":"init","u":4.46,"u0":4.26}'), 17_587);
      c.feed(demuxLine('1|@{"e":"vmstart","u":4.96,"g":0}'), 17_990);
      c.feed(demuxLine('1|@{"e":"vmstart","u":5.15,"g":1}'), 47_418);
    };
    const fast = new RunCollector(topo, false);
    feed(fast);
    expect(fast.guests.map((g) => g.boot.vmStartMs)).toEqual([17_990, 18_277]);
    expect(fast.drainNotes().map((n) => n.message)).toContain("g-one: VM started by L1 (at 18.3 s by L1's clock; its console lagged)");
    const det = new RunCollector(topo, true);
    feed(det);
    expect(det.guests.map((g) => g.boot.vmStartMs)).toEqual([17_990, 47_418]);
  });
});

describe('kernel releases', () => {
  it("records the release each level's and guest's agent reports on init (older agents: none)", () => {
    const c = new RunCollector(topo, false);
    c.feed(demuxLine('@{"e":"init","u":3.2,"u0":3.1,"k":"7.3.4+deb13-arm64"}'), 1000);
    c.feed(demuxLine('1|@{"e":"init","u":4.46,"u0":4.26,"k":"7.3.4+deb13-arm64"}'), 2000);
    c.feed(demuxLine('1|2.0|@{"e":"init","u":2.1,"u0":2.0,"k":"7.3.4-lean"}'), 3000);
    c.feed(demuxLine('1|2.1|@{"e":"init","u":2.1,"u0":2.0}'), 3000);
    expect([c.l0.kernelRelease, c.l1.kernelRelease]).toEqual(['7.3.4+deb13-arm64', '7.3.4+deb13-arm64']);
    expect(c.guests.map((g) => g.boot.kernelRelease)).toEqual(['7.3.4-lean', undefined]);
    // not a release: the event does not parse (a guest cannot write arbitrary text into results)
    const d = new RunCollector(topo, false);
    d.feed(demuxLine('1|2.0|@{"e":"init","u":2.1,"u0":2.0,"k":"7.3 <b>"}'), 3000);
    expect(d.guests[0]?.boot.kernelRelease).toBeUndefined();
  });
});

describe("L1's cpu features", () => {
  it("takes the launcher's full list and computes its difference to L0's (the old difference form still reads)", () => {
    const c = new RunCollector(topo, false);
    c.feed(demuxLine('@{"e":"cpu","u":1,"f":"fp asimd paca pacg sve"}'), 1000);
    c.feed(demuxLine('1|@{"e":"cpu","u":2,"f":"fp asimd sve bti"}'), 2000);
    expect(c.l1.cpuFeatures).toEqual(['fp', 'asimd', 'sve', 'bti']);
    expect(c.l1.cpuFeaturesDiff).toEqual({ removed: ['paca', 'pacg'], added: ['bti'] });
    const old = new RunCollector(topo, false);
    old.feed(demuxLine('@{"e":"cpu","u":1,"f":"fp asimd paca pacg"}'), 1000);
    old.feed(demuxLine('1|@{"e":"cpu","u":2,"d":"-paca -pacg"}'), 2000);
    expect(old.l1.cpuFeatures).toEqual(['fp', 'asimd']);
  });
});
