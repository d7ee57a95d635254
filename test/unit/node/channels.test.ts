import { describe, expect, it } from 'vitest';
import { asValidForTest } from '../../helpers/topology.js';
import type { ValidTopology } from '../../../src/core/common/model/topology.js';
import { CONTROL_PORT, guestCid, orchestrated, planChannels } from '../../../src/core/node/stack/channels.js';
import { planStack } from '../../../src/core/node/stack/plan.js';


const guest = (name: string, os: 'linux' | 'rtos', pin: number, extra: object = {}): object => ({
  name,
  role: 'other',
  asil: os === 'rtos' ? 'D' : 'QM',
  os,
  vcpus: 1,
  pin: [pin],
  memoryMiB: os === 'rtos' ? 64 : 256,
  ...extra,
});
const topo = (guests: object[], channels: object[]): ValidTopology =>
  asValidForTest({
    apiVersion: 'nestbed/v1',
    kind: 'Topology',
    name: 'c',
    host: { cpu: 'ampereone', cores: 2, memoryMiB: 2048 },
    hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
    guests,
    channels,
  });

describe('channel plan', () => {
  const t = topo(
    [guest('safety', 'rtos', 1), guest('ivi', 'linux', 0, { workload: { stress: { cpu: 1 } } }), guest('gw', 'linux', 1)],
    [
      { from: 'ivi', to: 'gw', kind: 'vsock', port: 5000 },
      { from: 'safety', to: 'ivi', kind: 'vsock', port: 5001 },
      { from: 'gw', to: 'safety', kind: 'vsock', port: 5002 },
    ],
  );

  it('gives every Linux guest a vsock device, the relay only the declared pairs, and names no guest', () => {
    const p = planChannels(t, undefined);
    expect(p.vsockGuests).toEqual([1, 2]);
    expect(p.relay).toEqual([
      { port: 5000, fromCid: guestCid(1), toCid: guestCid(2) },
      { port: 5002, fromCid: guestCid(2), toCid: 0 },
    ]);
    expect(p.words).toMatchInlineSnapshot(`
      [
        "nb_vs=1.2",
        "nb_rl=5000.4.5,5002.5.0",
        "nb_vr=1-4-5001",
        "nb_vl1=5001",
        "nb_vc1=0-5000",
        "nb_vu1=0-2-5001.1-5-5000",
        "nb_vl2=5000",
        "nb_vc2=2-5002",
        "nb_vu2=2-2-5000",
        "nb_ph=0,0,x,0,x",
      ]
    `);
    expect(p.words.join(' ')).not.toMatch(/safety|ivi|gw/);
    expect(p.channels.map((c) => [c.k, c.probedFrom, c.endsAtRelay])).toEqual([
      [0, 'guest', false],
      [1, 'l1-relay', false],
      [2, 'guest', true],
    ]);
  });

  it('plans one refused attempt per Linux guest: the reverse of an inbound channel, else an undeclared port, plus a direct one', () => {
    const p = planChannels(t, undefined);
    expect(p.undeclared.map((u) => `${u.from}→${u.to}:${u.port} ${u.via}`)).toEqual(['ivi→safety:5001 relay', 'ivi→gw:5000 direct', 'gw→ivi:5000 relay']);
  });

  it('phases and the fault victim travel as numbers; the control port is outside every declared port', () => {
    const p = planChannels(t, { idleS: 6, stressS: 6, faultGuest: 2, afterFaultS: 5 });
    expect(p.words.at(-1)).toBe('nb_ph=6,6,2,5,x');
    expect(CONTROL_PORT).toBeGreaterThan(65535);
  });

  it('does not orchestrate a run without channels or phases, and refuses an rtos fault victim', () => {
    const plain = topo([guest('a', 'linux', 0), guest('b', 'linux', 1)], []);
    expect(orchestrated(plain, undefined)).toBe(false);
    expect(planChannels(plain, undefined).words).toEqual([]);
    const opts = { timing: 'fast', holdS: 1, rtosRunMs: 3000, sampleIntervalS: 3, kernel: '/k', initrd: '/i', qemu: '/q', payloadArchive: '/p' } as const;
    expect(() => planStack(t, { ...opts, phases: { idleS: 0, stressS: 0, faultGuest: 0, afterFaultS: 5 } })).toThrowErrorMatchingInlineSnapshot(
      `[InputError: guest "safety" is an rtos guest: the planned fault is injected into a Linux guest through its agent; choose a Linux (QM) guest]`,
    );
    expect(planStack(t, { ...opts, phases: { idleS: 0, stressS: 0, faultGuest: 1, afterFaultS: 5 } }).launcherWords).toContain('nb_ph=0,0,1,5,x');
  });

  it('does not realise a second channel with the same from and port (the relay keys by both)', () => {
    const d = topo([guest('a', 'linux', 0), guest('b', 'linux', 1), guest('c', 'linux', 1)], [
      { from: 'a', to: 'b', kind: 'vsock', port: 7 },
      { from: 'a', to: 'c', kind: 'vsock', port: 7 },
    ]);
    const p = planChannels(d, undefined);
    expect(p.relay).toHaveLength(1);
    expect(p.channels[1]?.probedFrom).toBe('none');
    expect(p.channels[1]?.note).toMatch(/already has port 7/);
  });
});
