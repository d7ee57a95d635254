import { describe, expect, it } from 'vitest';
import { asValidForTest } from '../../helpers/topology.js';
import { RunCollector } from '../../../src/core/node/run/collector.js';
import { demuxLine } from '../../../src/core/node/run/demux.js';
import { channelResults, isolationResults } from '../../../src/core/node/run/isolation.js';
import { planChannels, type PhasePlan } from '../../../src/core/node/stack/channels.js';

const t = asValidForTest({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'iso',
  host: { cpu: 'ampereone', cores: 2, memoryMiB: 3072 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1536 },
  guests: [
    { name: 'safety', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64, tasks: [{ name: 'bm', periodUs: 1000, wcetUs: 100, priority: 90 }] },
    { name: 'ivi', role: 'infotainment', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 192, workload: { stress: { cpu: 1 } } },
    { name: 'gw', role: 'gateway', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 192 },
  ],
  channels: [
    { from: 'ivi', to: 'gw', kind: 'vsock', port: 5000 },
    { from: 'safety', to: 'ivi', kind: 'vsock', port: 5001 },
  ],
});
const phases: PhasePlan = { idleS: 5, stressS: 5, faultGuest: 2, afterFaultS: 5 };

/** A transcript as the host sees it: [host ms, raw console line]. */
const transcript: [number, string][] = [
  [1000, '1|2.0|@{"e":"ready","u":0.069,"u0":0.058,"n":1,"v":1,"hz":62500000,"g":200,"mt":65536,"ma":63000}'],
  [1500, '1|@{"e":"rly","a":"up","p":1,"f":0,"t":0}'],
  [30000, '1|@{"e":"ph","u":20.1,"p":"probe"}'],
  [31000, '1|2.1|@{"e":"ch","u":9.1,"k":0,"r":"echo","n":1,"ms":40}'],
  [31100, '1|2.2|@{"e":"ch","u":9.1,"k":0,"r":"closed","n":1,"ms":40}'], // gw may not report ivi's channel
  [31200, '1|@{"e":"rly","u":21,"a":"fwd","p":5000,"f":4,"t":5}'],
  [31500, '1|2.1|@{"e":"ux","u":9.5,"i":0,"r":"reset","ms":3}'],
  [31600, '1|@{"e":"ch","u":21.5,"k":1,"r":"echo","n":2,"ms":600}'],
  [32000, '1|@{"e":"ph","u":22,"p":"idle"}'],
  [32500, '1|2.0|@{"e":"hb","u":31.0,"n":62,"c":31000,"m":0}'],
  [33000, '1|2.0|@{"e":"hb","u":31.5,"n":63,"c":31500,"m":0}'],
  [37000, '1|@{"e":"ph","u":27,"p":"stress"}'],
  [37600, '1|2.0|@{"e":"hb","u":36.5,"n":73,"c":36500,"m":0}'],
  [38500, '1|2.0|@{"e":"hb","u":37.25,"n":74,"c":37200,"m":3}'],
  [42000, '1|@{"e":"ph","u":32,"p":"fault","g":2}'],
  [42500, '1|2.2|[   40.1] Kernel panic - not syncing: sysrq triggered crash'],
  [43000, '1|2.0|@{"e":"hb","u":42.0,"n":84,"c":42000,"m":3}'],
  [43200, '1|2.2|@{"e":"vmexit","rc":0}'],
  [47000, '1|2.1|@{"e":"alive","u":25}'],
  [47500, '1|@{"e":"ph","u":37,"p":"end"}'],
];

describe('isolation results', () => {
  const plan = planChannels(t, phases);
  const c = new RunCollector(t, false, 90_000, plan);
  for (const [ms, line] of transcript) {
    const d = demuxLine(line);
    c.feed(d, ms);
    if (d.kind === 'text' && d.level === 2 && d.guest === 2 && /Kernel panic/.test(d.text)) c.iso.panicLines.set(2, { line: d.text, atMs: ms });
  }

  it('channels: a guest reports only its own channels; the relay log and the undeclared attempt are kept', () => {
    const r = channelResults(t, plan, c.iso, 'ok');
    expect(r.probes?.map((p) => [p.from, p.to, p.ok, p.probedFrom])).toEqual([
      ['ivi', 'gw', true, 'guest'],
      ['safety', 'ivi', true, 'l1-relay'],
    ]);
    expect(r.undeclared?.[0]).toMatchObject({ from: 'ivi', to: 'safety', port: 5001, via: 'relay', refused: true });
    expect(r.undeclared?.[1]).toMatchObject({ from: 'ivi', via: 'direct', refused: false, detail: 'not attempted (no result)' });
    expect(r.relayLog).toEqual([{ action: 'fwd', port: 5000, fromCid: 4, toCid: 5, atMs: 31200 }]);
  });

  it('fault and interference: windows by host arrival, intervals in guest time', () => {
    const r = isolationResults({ topology: t, phases, rec: c.iso, timeBase: 'x', endMs: 50_000, victimExit: { code: 0, atMs: 43200 } });
    expect(r.fault).toMatchObject({ guest: 'gw', injectedAtMs: 42000, panicSeen: true, panicAtMs: 42500, vmmExit: { code: 0, atMs: 43200 }, windowS: 5 });
    expect(r.fault?.others).toEqual([
      { guest: 'safety', os: 'rtos', keptRunning: true, evidence: '1 heartbeat(s) after the injection, 1 in the window', heartbeatsInWindow: 1, heartbeatMaxGapS: 4.75 },
      { guest: 'ivi', os: 'linux', keptRunning: true, evidence: 'agent event at 47000 ms, after the victim\'s panic', eventAfterFaultMs: 47000 },
    ]);
    expect(r.interference?.idle).toEqual({ fromMs: 32000, toMs: 37000, heartbeats: 2, maxIntervalS: 0.5, meanIntervalS: 0.5, jobs: 500, deadlineMisses: 0 });
    expect(r.interference?.stress).toMatchObject({ heartbeats: 2, maxIntervalS: 5, jobs: 5700, deadlineMisses: 3 });
    expect(r.interference?.maxIntervalRatio).toBe(10);
    expect(r.interference?.missesPerKJobs).toEqual({ idle: 0, stress: 0.526 });
    expect(r.interference?.missRateRatio).toBeNull(); // no miss while idle: no finite ratio
  });
});

describe('the safety rtos per phase window', () => {
  // heartbeats of a newer rtos: stolen time so far (sl) and the worst delivery since the last one (lw)
  const lines: [number, string][] = [
    [1000, '1|2.0|@{"e":"ready","u":0.069,"u0":0.058,"n":1,"v":1,"hz":1000000000,"g":200,"mt":65536,"ma":63000}'],
    [2000, '1|2.0|@{"e":"hb","u":0.5,"n":1,"c":500,"m":0,"sl":80000000,"lw":210000}'],
    [3000, '1|2.0|@{"e":"hb","u":1.0,"n":2,"c":1000,"m":3,"sl":170000000,"lw":2790000}'],
    [30000, '1|@{"e":"ph","u":20.1,"p":"probe"}'],
    [31000, '1|2.0|@{"e":"hb","u":1.5,"n":3,"c":1500,"m":3,"sl":250000000,"lw":430000}'],
    [32000, '1|@{"e":"ph","u":22,"p":"idle"}'],
    [33000, '1|2.0|@{"e":"hb","u":2.0,"n":4,"c":2000,"m":3,"sl":330000000,"lw":339000}'],
    [37000, '1|@{"e":"ph","u":27,"p":"stress"}'],
    [38000, '1|2.0|@{"e":"hb","u":2.5,"n":5,"c":2500,"m":3,"sl":412000000,"lw":440000}'],
    [42000, '1|@{"e":"ph","u":32,"p":"end"}'],
  ];
  const c = new RunCollector(t, true, 90_000, planChannels(t, { idleS: 2, stressS: 2, afterFaultS: 0 }));
  for (const [ms, line] of lines) c.feed(demuxLine(line), ms);

  it('boot (the others starting), then one window per phase: misses, stolen time over guest time, worst delivery', () => {
    const r = isolationResults({ topology: t, phases: { idleS: 2, stressS: 2, afterFaultS: 0 }, rec: c.iso, timeBase: 'virtual (icount)', endMs: 45_000 });
    expect(r.safetyWindows?.map((w) => [w.phase, w.heartbeats, w.jobs, w.deadlineMisses, w.stolenNs, w.guestS, w.timerLatencyMaxNs])).toEqual([
      ['boot', 2, 500, 3, 90_000_000, 0.5, 2_790_000],
      ['probe', 1, 500, 0, 80_000_000, 0.5, 430_000],
      ['idle', 1, 500, 0, 80_000_000, 0.5, 339_000],
      ['stress', 1, 500, 0, 82_000_000, 0.5, 440_000],
      ['end', 0, 0, 0, undefined, undefined, undefined],
    ]);
  });
});
