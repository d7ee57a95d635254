// The agents' event protocol (src/core/common/model/agent-events.ts): every event the guest-side
// scripts print has a schema with every field they write; the collector and the console router use
// the typed events, and a malformed one is a named warning instead of coerced data; the recorded
// transcript gives the same results as before the schemas.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_EVENT_NAMES, agentEventFields, parseAgentEvent, type AgentEventName } from '../../../src/core/common/model/agent-events.js';
import { MALFORMED_EVENT_WARNINGS, RunCollector } from '../../../src/core/node/run/collector.js';
import { ConsoleRouter } from '../../../src/core/node/run/console-router.js';
import { demuxLine } from '../../../src/core/node/run/demux.js';
import { TWO_GUEST_FIXTURE } from '../../helpers/topology.js';

const repo = new URL('../../../', import.meta.url);

interface Printed {
  readonly name: string;
  /** The keys written literally after the name (`\"k\":`); fields from helpers such as meminfo are not seen. */
  readonly fields: readonly string[];
  readonly where: string;
}

const literalKeys = (s: string): string[] => [...s.matchAll(/\\"([a-z][a-z0-9]*)\\":/g)].map((m) => m[1]!);

/**
 * Every event a guest-side script prints, found in its source: `ev <name> "<fields>"` in the shell
 * agents (guest/*.sh: init.sh and whatever it sources or hands over to), and literal event lines —
 * `@{\"e\":\"<name>\"…` in a shell or C string, `'@{"e":"<name>"'` in a case pattern — there and in the
 * guest tools (guest/tools/*.c). Comment lines are skipped.
 */
const printedEvents = (): Printed[] => {
  const files = [
    ...readdirSync(new URL('guest/', repo)).filter((f) => f.endsWith('.sh')).map((f) => `guest/${f}`),
    ...readdirSync(new URL('guest/tools/', repo)).filter((f) => f.endsWith('.c')).map((f) => `guest/tools/${f}`),
  ];
  return files.flatMap((file) =>
    readFileSync(new URL(file, repo), 'utf8')
      .split('\n')
      .flatMap((line, i): Printed[] => {
        if (/^\s*(#|\/\/|\*|\/\*)/.test(line)) return [];
        const where = `${file}:${i + 1}`;
        const evs = [...line.matchAll(/(?<![\w-])ev ([a-z][a-z0-9]*)\b(.*?)(?=(?<![\w-])ev [a-z]|$)/g)].map((m) => ({ name: m[1]!, fields: literalKeys(m[2]!), where }));
        const literals = [...line.matchAll(/@\{\\?"e\\?":\\?"([a-z][a-z0-9]*)\\?"(.*)$/g)].map((m) => ({ name: m[1]!, fields: literalKeys(m[2]!), where }));
        return [...evs, ...literals];
      }),
  );
};

/** One well-formed payload of each event, as the agents print them (recorded where one was). */
const EXAMPLES: Record<AgentEventName, Record<string, unknown>> = {
  init: { u: 4.78, u0: 4.66 },
  ready: { u: 5.33, mt: 2006248, ma: 1595960, n: 2 },
  cpu: { u: 9.4, d: '-sme -smei16i64' },
  vmstart: { u: 7.39, g: 0 },
  vmexit: { rc: 0 },
  done: { u: 58.01 },
  kvm: { u: 5.13, m: 'kvm [1]: VHE+NV2 mode initialized successfully' },
  kvmdev: { u: 5.14, ok: 1 },
  hk: { u: 5.2, c: '2-3' },
  l1pin: { u: 5.3, m: { '0': '1', '1': '2' } },
  s: { u: 12, k: { x: 123456, mu: 10, wi: 7 }, r: [180000, 0] },
  cdisk: { u: 3.1, ok: 1, n: 20480 },
  pwait: { u: 9.4 },
  payload: { u: 6.95, ok: 0 },
  launch: { u: 6.9, v: 1, n: 2 },
  part: { u: 7, c: 1, st: 'root' },
  vsk: { u: 7.1, m: 5, dev: 1 },
  ph: { u: 32, p: 'fault', g: 2 },
  ctlerr: { u: 33, g: 1, c: 'ping' },
  pin: { u: 12.36, g: 1, m: { '0': '2' }, s: { '0': 'deadline 0 300 1000 1000' }, k: 'd', ok: 1, r: 180000 },
  cunpack: { u: 6, n: 2 },
  cready: { u: 5.25, g: 1 },
  cexit: { u: 9, g: 1, rc: 137, st: 1 },
  rly: { a: 'fwd', p: 5000, f: 4, t: 5 },
  ch: { u: 9.1, k: 0, r: 'echo', n: 1, ms: 40 },
  ux: { u: 9.5, i: 0, r: 'reset', ms: 3 },
  chd: { u: 9.6 },
  sp: { u: 20, a: '0x11000001', rc: 1, v: '' },
  stress: { u: 8, c: 1, m: 64 },
  cyc0: { u: 8.1 },
  cyc: { u: 30, rc: 0, min: 12, avg: 40, max: 2100, of: 0, h: [[16, 3], [64, 1200]] },
  panicking: { u: 40 },
  alive: { u: 25 },
  bye: { u: 24.46, mt: 208140, ma: 181808, d: '' },
};

describe('agent event schemas', () => {
  const printed = printedEvents();

  it('every event the guest-side scripts print has a schema, with every field they write', () => {
    expect(printed.length).toBeGreaterThan(40);
    const problems = printed.flatMap((p) => {
      const fields = agentEventFields(p.name);
      if (!fields) return [`${p.where}: "${p.name}" has no schema in src/core/common/model/agent-events.ts`];
      return p.fields.filter((k) => !fields.includes(k)).map((k) => `${p.where}: "${p.name}" prints field "${k}", which its schema lacks`);
    });
    expect(problems).toEqual([]);
  });

  it('every schema is an event a script prints (launch and payload: once L1 runs guest/launch.sh)', () => {
    const names = new Set(printed.map((p) => p.name));
    for (const n of ['init', 'ready', 'vmexit', 'rly', 'pin', 'cyc']) expect(names).toContain(n);
    const unprinted = AGENT_EVENT_NAMES.filter((n) => !names.has(n));
    expect(unprinted).toEqual(existsSync(new URL('guest/launch.sh', repo)) ? [] : ['payload', 'launch']);
  });

  it('parses one agent-shaped payload of each event into its typed form', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...AGENT_EVENT_NAMES].sort());
    for (const [name, data] of Object.entries(EXAMPLES)) expect(parseAgentEvent(name, data)).toEqual({ ok: true, event: { e: name, ...data } });
  });

  it('accepts what the agent legitimately leaves out', () => {
    const ok = (name: string, data: Record<string, unknown>): boolean => parseAgentEvent(name, data).ok;
    expect(ok('cpu', { u: 5.25, f: 'fp asimd' })).toBe(true); // L0: the full list
    expect(ok('cpu', { u: 23.62, d: '' })).toBe(true); // a deeper level: no difference
    expect(ok('ready', { u: 22.46, mt: 208140, ma: 181976 })).toBe(true); // a Linux guest without vsock
    expect(ok('ready', { u: 22.46, mt: 208140, ma: 181976, vs: 3 })).toBe(true);
    expect(ok('vmstart', { u: 5 })).toBe(true); // L0's start of L1
    expect(ok('ph', { u: 20.1, p: 'probe' })).toBe(true);
    expect(ok('cyc', { u: 30, rc: 1, min: 0 })).toBe(true); // no histogram file: min alone
    expect(ok('pin', { u: 12, g: 0, m: { '0': '3' }, s: { '0': 'other 0 0 0 0' }, k: 'c', ok: 1, q: '600000 1000000', r: 1 })).toBe(true);
    expect(ok('pin', { u: 12.36, g: 1, m: { '0': '2' } })).toBe(true); // older agent builds (the recorded transcript)
    expect(ok('bye', { u: 24.46, mt: 208140, ma: 181808 })).toBe(true); // older agent builds
    expect(ok('rly', { u: 21, a: 'fwd', p: 5000, f: 4, t: 5 })).toBe(true);
  });

  it('names the event and the field when it rejects one', () => {
    const reason = (name: string, data: Record<string, unknown>): string => {
      const r = parseAgentEvent(name, data);
      return r.ok ? 'accepted' : r.reason;
    };
    expect(reason('pin', { u: 12, g: 0, m: { '0': '1' }, ok: 'yes' })).toBe('pin: field "ok" = "yes": expected one of 0|1');
    expect(reason('ready', { u: 22.4, ma: 181976 })).toBe('ready: field "mt" is missing');
    expect(reason('vmexit', { rc: '0' })).toBe('vmexit: field "rc" = "0": expected number');
    expect(reason('init', { u0: 4.66 })).toBe('init: field "u" is missing');
    expect(reason('ch', { u: 9, k: 0.5, r: 'echo', n: 1, ms: 40 })).toBe('ch: field "k" = 0.5: expected int');
    expect(reason('s', { u: 12, k: { x: 'lots' }, r: [1, -2] })).toBe('s: field "k.x" = "lots": expected number; field "r.1" = -2: expected number to be >=0');
    expect(reason('l1pin', { u: 5, m: { first: '1' } })).toBe('l1pin: field "m" has an invalid key "first"');
    expect(reason('ph', { u: 32, p: 'reboot' })).toBe('ph: field "p" = "reboot": expected one of "probe"|"idle"|"stress"|"spatial"|"fault"|"end"');
    expect(reason('cpu', { u: 5, f: 'fp', d: '-sve' })).toBe('cpu: exactly one of the fields "f" (feature list) and "d" (difference) must be present');
    expect(reason('kvmdev', { u: 5, ok: 1, extra: 2 })).toBe('kvmdev: unexpected field "extra"');
    expect(reason('hb', { u: 1, n: 1, c: 1, m: 0 })).toBe('hb: unknown event'); // an rtos event: src/core/common/rtos/console.ts
  });
});

const topo = TWO_GUEST_FIXTURE;

describe('malformed agent events in a run', () => {
  it('each is one warning naming the source, the event and the field, and is otherwise ignored', () => {
    const c = new RunCollector(topo, false);
    c.feed(demuxLine('1|@{"e":"init","u":6.94,"u0":6.44}'), 20_000);
    c.feed(demuxLine('1|@{"e":"pin","u":12.36,"g":1,"m":{"0":"2"},"ok":"1"}'), 26_600);
    c.feed(demuxLine('1|2.0|@{"e":"ready","u":24.93,"ma":180128}'), 70_690);
    c.feed(demuxLine('@{"e":"kvmdev","u":5.14,"ok":true}'), 7_390);
    c.feed(demuxLine('1|2.1|@{"e":"reddy","u":1}'), 71_000);
    expect(c.warnings).toEqual([
      'l1: malformed agent event ignored: pin: field "ok" = "1": expected one of 0|1',
      'g-zero: malformed agent event ignored: ready: field "mt" is missing',
      'l0: malformed agent event ignored: kvmdev: field "ok" = true: expected one of 0|1',
      'g-one: malformed agent event ignored: reddy: unknown event',
    ]);
    // nothing coerced: no pins, no ready marker, no memory, no /dev/kvm verdict
    expect(c.guests[1]?.pinApplied).toBeUndefined();
    expect(c.guests[1]?.reservation.error).toBeUndefined();
    expect(c.guests[0]?.boot.readyMs).toBeUndefined();
    expect(c.guests[0]?.memory).toBeUndefined();
    expect(c.l0.kvmDevice).toBeUndefined();
    // the well-formed event went through, and feedEvent hands back its typed form
    expect(c.l1.initMs).toBe(20_000);
    expect(c.feedEvent(demuxLine('1|2.0|@{"e":"vmexit","rc":0}'), 72_000)).toEqual({ e: 'vmexit', rc: 0 });
    expect(c.feedEvent(demuxLine('1|2.0|@{"e":"vmexit","rc":-1}'), 72_000)).toBeUndefined();
  });

  it(`lists the first ${MALFORMED_EVENT_WARNINGS}, then counts the rest in one line`, () => {
    const c = new RunCollector(topo, false);
    for (let i = 0; i < MALFORMED_EVENT_WARNINGS + 5; i++) {
      c.feed(demuxLine(`1|2.0|@{"e":"alive","u":"${i}"}`), i);
      if (i === MALFORMED_EVENT_WARNINGS) c.warnings.push('g-zero: [ 9.0] watchdog: BUG: soft lockup'); // a console warning in between
    }
    expect(c.warnings).toHaveLength(MALFORMED_EVENT_WARNINGS + 2);
    expect(c.warnings[0]).toBe('g-zero: malformed agent event ignored: alive: field "u" = "0": expected number');
    expect(c.warnings.slice(MALFORMED_EVENT_WARNINGS)).toEqual(['5 more malformed agent event(s) ignored, not listed', 'g-zero: [ 9.0] watchdog: BUG: soft lockup']);
  });

  it('the console router fails the run on a well-formed non-zero VMM exit only', () => {
    const c = new RunCollector(topo, false);
    const fails: string[] = [];
    const r = new ConsoleRouter({
      topology: topo,
      collector: c,
      logs: { console: () => undefined, hostStderr: () => undefined },
      lifecycle: { fail: (_reason, message) => fails.push(message), setState: () => undefined },
      emit: () => undefined,
      now: () => 1_000,
      victim: undefined,
    });
    r.onLine('stdout', '1|2.0|@{"e":"vmexit","rc":"1"}');
    expect(fails).toEqual([]);
    expect(c.warnings).toEqual(['g-zero: malformed agent event ignored: vmexit: field "rc" = "1": expected number']);
    r.onLine('stdout', '1|2.1|@{"e":"vmexit","rc":1}');
    expect(fails).toEqual(['guest g-one VMM exited with code 1']);
  });
});

describe('the recorded two-guest transcript (test/fixtures/console-two-guests.log)', () => {
  const replay = (): { c: RunCollector; events: { name: string; data: Record<string, unknown> }[] } => {
    const text = readFileSync(new URL('test/fixtures/console-two-guests.log', repo), 'utf8');
    const c = new RunCollector(topo, false);
    const events: { name: string; data: Record<string, unknown> }[] = [];
    for (const raw of text.replace(/\r/g, '').split('\n')) {
      const m = /^\[\s*([\d.]+)\] (.*)$/.exec(raw);
      if (!m) continue;
      const d = demuxLine(m[2]!);
      if (d.kind === 'event') events.push({ name: d.name, data: d.data });
      c.feed(d, Math.round(Number(m[1]) * 1000));
    }
    return { c, events };
  };

  it('holds only well-formed events', () => {
    const { c, events } = replay();
    expect(events).toHaveLength(33);
    expect(events.map((e) => parseAgentEvent(e.name, e.data)).filter((r) => !r.ok)).toEqual([]);
    expect(c.warnings).toEqual([]);
  });

  it('gives the results it gave before the events had schemas', () => {
    const { c } = replay();
    const { cpuFeatures: f0, ...l0 } = c.l0;
    const { cpuFeatures: f1, ...l1 } = c.l1;
    expect([f0.length, f1.length, f1.includes('sme'), f0.includes('sme')]).toEqual([64, 56, false, true]);
    expect(l0).toEqual({
      level: 0, virtual: { kernelToInitS: 4.66, uptimeAtReadyS: 5.33 },
      kvmLog: ['CPU: All CPU(s) started at EL2', 'CPU features: detected: Nested Virtualization Support', 'kvm [1]: IPA Size Limit: 48 bits', 'kvm [1]: VHE+NV2 mode initialized successfully'],
      nv2: true, kvmSamples: [], vmmRssMaxKiB: [], initMs: 7050, ipaBits: 48, kvmMode: 'VHE+NV2', kvmDevice: true, readyMs: 7580,
      memory: { totalKiB: 2006248, availableKiB: 1595960 }, vcpus: 2,
    });
    expect(l1).toEqual({
      level: 1, virtual: { kernelToInitS: 6.44, uptimeAtReadyS: 10.16 },
      kvmLog: ['CPU: All CPU(s) started at EL2', 'kvm [1]: IPA Size Limit: 48 bits', 'kvm [1]: VHE mode initialized successfully'],
      nv2: false, kvmSamples: [], vmmRssMaxKiB: [], vmStartMs: 7250, initMs: 20840, ipaBits: 48, kvmMode: 'VHE', kvmDevice: true,
      cpuFeaturesDiff: { removed: ['sme', 'smei16i64', 'smef64f64', 'smei8i32', 'smef16f32', 'smeb16f32', 'smef32f32', 'smefa64'], added: [] },
      readyMs: 25820, memory: { totalKiB: 978680, availableKiB: 759272 }, vcpus: 2,
    });
    expect(c.guests.map(({ reservation, ...g }) => ({ ...g, reservationError: reservation.error }))).toEqual([
      {
        name: 'g-zero', index: 0, os: 'linux', image: 'linux', vcpus: 1, memoryMiB: 256, pin: [0],
        boot: { virtual: { l1VmStartUptimeS: 7.39, kernelToInitS: 23.1, initToReadyS: 0.88 }, vmStartMs: 21150, initMs: 70250, kernelStartMs: 47150, readyMs: 70690, vmStartToReadyMs: 49540 },
        // an older agent's pin line (no reservation read back): pinned, reservation reported as failed
        pinApplied: { '0': '1' }, schedApplied: {}, reservationError: 'reservation failed (unknown error)',
        memory: { totalKiB: 208140, availableKiB: 180128, usedKiB: 28012 }, cpuFeaturesDiffVsL1: { removed: [], added: [] }, exitCode: 0,
      },
      {
        name: 'g-one', index: 1, os: 'linux', image: 'linux', vcpus: 1, memoryMiB: 256, pin: [1],
        boot: { virtual: { l1VmStartUptimeS: 7.64, kernelToInitS: 21.39, initToReadyS: 0.68 }, vmStartMs: 21540, initMs: 66280, kernelStartMs: 44890, readyMs: 67290, vmStartToReadyMs: 45750 },
        pinApplied: { '0': '2' }, schedApplied: {}, reservationError: 'reservation failed (unknown error)',
        memory: { totalKiB: 208140, availableKiB: 181976, usedKiB: 26164 }, cpuFeaturesDiffVsL1: { removed: [], added: [] }, exitCode: 0,
      },
    ]);
    expect([c.allReadyMs, c.l0Done, c.l1Done]).toEqual([70690, true, true]);
    expect(c.drainNotes().map((n) => `${n.stage}: ${n.message}`)).toEqual([
      'l0-init: L0 init (kernel→init 4.7 s guest time)',
      'l1-vmstart: L0 started the guest hypervisor VM (L1)',
      'l0-ready: L0 KVM VHE+NV2 (NV2), IPA 48 bits',
      'l1-init: L1 init (kernel→init 6.4 s guest time)',
      'guest-vmstart: g-zero: VM started by L1',
      'guest-vmstart: g-one: VM started by L1',
      'guest-init: g-one: init (kernel→init 21.4 s guest time)',
      'guest-ready: g-one: ready (45.8 s after its VM start), 26 MiB in use',
      'guest-exit: g-one: VM exited rc=0',
      'guest-init: g-zero: init (kernel→init 23.1 s guest time)',
      'guest-ready: g-zero: ready (49.5 s after its VM start), 27 MiB in use',
      'all-ready: all 2 guests ready',
      'guest-exit: g-zero: VM exited rc=0',
      'l1-done: L1 agent done',
      'l1-vmexit: L1 VMM exited rc=0',
      'l0-done: L0 agent done',
    ]);
  });
});
