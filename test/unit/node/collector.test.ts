// Replays a recorded host console transcript (test/fixtures/console-two-guests.log: "[host s] line")
// through the demultiplexer and the collector.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { topologySchema, type ValidTopology } from '../../../src/core/common/model/topology.js';
import { RunCollector } from '../../../src/core/node/run/collector.js';
import { demuxLine, failureMarker, LineSplitter } from '../../../src/core/node/run/demux.js';

const asValidForTest = (t: unknown): ValidTopology => topologySchema.parse(t) as ValidTopology;
const topo = asValidForTest({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'fx',
  host: { cpu: 'max', cores: 2, memoryMiB: 2048 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
  guests: [
    { name: 'g-zero', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 256 },
    { name: 'g-one', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [1], memoryMiB: 256 },
  ],
});

describe('console demultiplexer', () => {
  it('routes by the prefixes the parent levels add', () => {
    expect(demuxLine('@{"e":"init","u":3.2,"u0":3.1}\r')).toEqual({ kind: 'event', level: 0, name: 'init', data: { u: 3.2, u0: 3.1 } });
    expect(demuxLine('1|@{"e":"vmstart","u":4,"g":1}')).toEqual({ kind: 'event', level: 1, name: 'vmstart', data: { u: 4, g: 1 } });
    expect(demuxLine('1|2.1|[   25.5] reboot: Power down')).toEqual({ kind: 'text', level: 2, guest: 1, text: '[   25.5] reboot: Power down' });
    expect(demuxLine('1|2.0|@{"e":"ready","u":1')).toEqual({ kind: 'text', level: 2, guest: 0, text: '@{"e":"ready","u":1' });
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
      ['g-one', 21810, 66280, 67290, 21.39],
    ]);
    expect(c.guests[0]?.memory).toEqual({ totalKiB: 208140, availableKiB: 180128, usedKiB: 28012 });
    expect(c.l1Done && c.l0Done).toBe(true);
    const notes = c.drainNotes().map((n) => n.stage);
    expect(notes.filter((s) => s === 'all-ready')).toHaveLength(1);
  });
});
