// results.json from what a run gathered (src/core/node/run/assemble-results.ts): status and failure
// mapping, the host block, artifacts, os: custom guests' images.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runResultsSchema, type RunResults } from '../../../src/core/common/model/run-results.js';
import type { CustomImageRecord } from '../../../src/core/node/custom-image.js';
import { artifactRecords, assembleResults, runStatus, writeResults, type ResultsInput } from '../../../src/core/node/run/assemble-results.js';
import { RunCollector } from '../../../src/core/node/run/collector.js';
import { demuxLine } from '../../../src/core/node/run/demux.js';
import type { Manifest } from '../../../src/core/node/setup/manifest.js';
import { planChannels } from '../../../src/core/node/stack/channels.js';
import { asValidForTest } from '../../helpers/topology.js';

const t = asValidForTest({
  apiVersion: 'nestbed/v1',
  kind: 'Topology',
  name: 'res',
  host: { cpu: 'max', cores: 2, memoryMiB: 2048 },
  hypervisor: { kind: 'kvm', vcpus: 2, memoryMiB: 1024 },
  guests: [
    { name: 'alpha', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [0], memoryMiB: 256 },
    { name: 'beta', role: 'other', asil: 'QM', os: 'linux', vcpus: 1, pin: [1], memoryMiB: 256 },
  ],
  channels: [{ from: 'alpha', to: 'beta', kind: 'vsock', port: 5000 }],
});

const HOST = { qemuRssMaxKiB: 700_000, loadAvgAtStart: [0.5, 0.4, 0.3], loadAvgAtEnd: [1.5, 0.9, 0.4], hostCpus: 2 };
const EMULATOR = { path: '/usr/bin/qemu-system-aarch64', version: '9.2.0', perCore: false, snapshots: true } as const;

/** A run whose L0 and L1 reached init and alpha its ready marker. */
const collected = (): RunCollector => {
  const c = new RunCollector(t, false);
  const lines: [number, string][] = [
    [7_000, '@{"e":"init","u":3.2,"u0":3.1}'],
    [20_000, '1|@{"e":"init","u":9.1,"u0":8.0}'],
    [21_000, '1|@{"e":"vmstart","u":10,"g":0}'],
    [60_000, '1|2.0|@{"e":"init","u":2.1,"u0":2.0}'],
    [61_000, '1|2.0|@{"e":"ready","u":2.5,"mt":200000,"ma":150000}'],
  ];
  for (const [ms, l] of lines) c.feed(demuxLine(l), ms);
  return c;
};

const input = (over: Partial<ResultsInput> = {}): ResultsInput => ({
  topology: t,
  timing: 'fast',
  emulator: EMULATOR,
  plan: { cpuArg: 'max', cpuMask: { switches: [], hides: [] }, channels: planChannels(t, undefined) },
  phases: undefined,
  artifacts: {},
  customImages: [],
  collector: collected(),
  finalState: 'exited',
  failure: undefined,
  stages: [{ name: 'l0-init', atMs: 7_000, message: 'L0 init' }],
  startedAt: new Date('2025-01-02T03:04:05.000Z'),
  endMs: 90_000,
  host: HOST,
  ...over,
});

const tail = ['l0: a', 'l1: b'];

describe('results status and failure', () => {
  it('ok without a failure', () => {
    const r = assembleResults(input());
    expect([r.status, r.finalState, r.failure]).toEqual(['ok', 'exited', undefined]);
    expect('failure' in r).toBe(false);
    expect(runResultsSchema.parse(r)).toEqual(r);
  });

  it('cancelled for a cancel, failed for any other reason; the failure is kept as recorded', () => {
    const cancelled: RunResults['failure'] = { reason: 'cancelled', message: 'cancelled (signal)', consoleTail: tail };
    const r = assembleResults(input({ finalState: 'failed', failure: cancelled }));
    expect([r.status, r.finalState]).toEqual(['cancelled', 'failed']);
    expect(r.failure).toEqual(cancelled);
    // the channels say why no probe result came
    expect(r.channels.probes?.[0]?.detail).toBe('no probe result (the run cancelled)');
    for (const reason of ['kernel-panic', 'vmm-error', 'vm-exit', 'timeout', 'emulator-exit', 'infrastructure'] as const) {
      const failure: RunResults['failure'] = { reason, message: `m ${reason}`, level: 2, guest: 'alpha', consoleTail: tail };
      const f = assembleResults(input({ finalState: 'failed', failure }));
      expect([f.status, f.finalState, f.failure]).toEqual(['failed', 'failed', failure]);
      expect(f.channels.probes?.[0]?.detail).toBe('no probe result (the run failed)');
      expect(runResultsSchema.parse(f)).toEqual(f);
    }
    expect(assembleResults(input()).channels.probes?.[0]?.detail).toBe('no probe result');
    expect([runStatus(undefined), runStatus(cancelled), runStatus({ reason: 'timeout', message: '', consoleTail: [] })]).toEqual(['ok', 'cancelled', 'failed']);
  });
});

describe('results content', () => {
  it('topology, times, host block and the collector\'s figures', () => {
    const text = 'name: res\n';
    const r = assembleResults(input({ topologyFile: 'res.yaml', topologyText: text }));
    expect(r.topology).toEqual({ name: 'res', file: 'res.yaml', sha256: createHash('sha256').update(text).digest('hex') });
    expect(assembleResults(input()).topology).toEqual({ name: 'res' });
    expect([r.kind, r.timing, r.startedAt, r.wallMs, r.allReadyMs]).toEqual(['nestbed-run', 'fast', '2025-01-02T03:04:05.000Z', 90_000, undefined]);
    expect(r.stages).toEqual([{ name: 'l0-init', atMs: 7_000, message: 'L0 init' }]);
    expect(r.host).toEqual({ qemu: { path: EMULATOR.path, version: '9.2.0' }, cpuPreset: 'max', cpuArg: 'max', cores: 2, memoryMiB: 2048, ...HOST });
    expect([r.l0.vmStartMs, r.l0.initMs, r.l1.initMs]).toEqual([0, 7_000, 20_000]);
    expect(r.guests.map((g) => [g.name, g.boot.readyMs])).toEqual([
      ['alpha', 61_000],
      ['beta', undefined],
    ]);
    expect(r.isolation).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('deterministic timing records the clock; a profile records the CPU mask; the emulator\'s warning comes first', () => {
    const perCore = assembleResults(input({ timing: 'deterministic', emulator: { ...EMULATOR, perCore: true, quantum: 10_000 } }));
    expect(perCore.host.clock).toEqual({ perCore: true, quantum: 10_000 });
    const shared = assembleResults(input({ timing: 'deterministic', emulator: { ...EMULATOR, warning: 'shared clock' } }));
    expect(shared.host.clock).toEqual({ perCore: false, reason: 'shared clock' });
    expect(shared.warnings).toEqual(['shared clock']);
    const c = collected();
    c.warnings.push('l1: a warning');
    const profile = { id: 'ecu-x' } as unknown as NonNullable<ResultsInput['profile']>;
    const masked = assembleResults(input({ collector: c, profile, plan: { cpuArg: 'max,sve=off', cpuMask: { switches: ['sve=off'], hides: ['sve'] }, channels: planChannels(t, undefined) }, emulator: { ...EMULATOR, warning: 'w' } }));
    expect(masked.host.cpuMask).toEqual({ profile: 'ecu-x', switches: ['sve=off'], hides: ['sve'] });
    expect(masked.warnings).toEqual(['w', 'l1: a warning']);
  });

  it('artifacts: the manifest entries booted, then os: custom guests\' files; the custom image per guest', () => {
    const sha = (c: string): string => c.repeat(64);
    const art = (file: string, c: string): Manifest['artifacts'][string] => ({ file, sha256: sha(c), size: 1, description: file });
    const manifest = { artifacts: { Image: art('Image', 'a'), l0: art('l0.cpio', 'b'), l1: art('l1.cpio', 'c'), l2: art('l2.cpio', 'd'), 'l0-rt': art('l0-rt.cpio', 'e'), rtos: art('rtos.Image', 'f') } } as unknown as Manifest;
    const customT = asValidForTest({
      ...t,
      channels: [],
      guests: [t.guests[0], { name: 'ecu', role: 'gateway', asil: 'QM', os: 'custom', vcpus: 1, pin: [1], memoryMiB: 64, image: { kernel: 'my.Image', readyLine: 'up' } }],
    });
    const custom: CustomImageRecord = { guest: 'ecu', index: 1, kernel: { path: 'my.Image', resolved: '/top/my.Image', bytes: 10, sha256: sha('9'), format: 'arm64-image' }, cmdline: 'console=ttyAMA0', readyLine: 'up' };
    const artifacts = artifactRecords(manifest, ['Image', 'l0'], false, customT, [custom]);
    expect(artifacts).toEqual({
      Image: { file: 'Image', sha256: sha('a') },
      l0: { file: 'l0.cpio', sha256: sha('b') },
      l1: { file: 'l1.cpio', sha256: sha('c') },
      l2: { file: 'l2.cpio', sha256: sha('d') },
      'custom:ecu:kernel': { file: '/top/my.Image', sha256: sha('9') },
    });
    // an rt stack with an rtos guest: l1-rt and Image-rt (absent here: skipped), rtos
    const rtT = asValidForTest({ ...t, channels: [], guests: [t.guests[0], { name: 'safety', role: 'safety', asil: 'D', os: 'rtos', vcpus: 1, pin: [1], memoryMiB: 64, tasks: [{ name: 'bm', periodUs: 1000, wcetUs: 100, priority: 90 }] }] });
    expect(Object.keys(artifactRecords(manifest, ['Image', 'l0-rt'], true, rtT, []))).toEqual(['Image', 'l0-rt', 'l2', 'rtos']);
    // with the lean kernels setup built, the rt stack names the lean PREEMPT_RT kernel it booted, not Debian's
    const lean: Manifest = { ...manifest, artifacts: { ...manifest.artifacts, 'Image-l2': art('Image-l2', 'e'), 'Image-rt': art('Image-rt', 'f'), 'Image-l2-rt': art('Image-l2-rt', '7') } };
    expect(Object.keys(artifactRecords(lean, ['Image', 'l0-rt'], true, rtT, []))).toEqual(['Image', 'l0-rt', 'l2', 'Image-l2', 'Image-l2-rt', 'rtos']);
    const noLeanRt: Manifest = { ...lean, artifacts: Object.fromEntries(Object.entries(lean.artifacts).filter(([k]) => k !== 'Image-l2-rt')) };
    expect(Object.keys(artifactRecords(noLeanRt, ['Image', 'l0-rt'], true, rtT, []))).toContain('Image-rt');

    const c = new RunCollector(customT, false);
    c.customExit.set(1, { code: 0, stoppedByHypervisor: true });
    const r = assembleResults(input({ topology: customT, collector: c, customImages: [custom], artifacts, plan: { cpuArg: 'max', cpuMask: { switches: [], hides: [] }, channels: planChannels(customT, undefined) } }));
    expect(r.artifacts).toBe(artifacts);
    expect(r.guests[0]?.customImage).toBeUndefined();
    expect(r.guests[1]?.customImage).toEqual({ kernel: { path: 'my.Image', bytes: 10, sha256: sha('9'), format: 'arm64-image' }, cmdline: 'console=ttyAMA0', readyLine: 'up', exit: { code: 0, stoppedByHypervisor: true } });
  });

  it('isolation runs: the isolation block, with the victim\'s VMM exit', () => {
    const phases = { idleS: 0, stressS: 0, faultGuest: 1, afterFaultS: 2 };
    expect(assembleResults(input({ phases })).isolation?.notes).toEqual(['fault: the injection into beta was not reached']);
    const c = collected();
    c.iso.phases.push({ name: 'fault', atMs: 75_000, guest: 1 });
    const r = assembleResults(input({ collector: c, phases, victimExit: { code: 137, atMs: 80_000 } }));
    expect(r.isolation?.fault).toMatchObject({ guest: 'beta', injectedAtMs: 75_000, panicSeen: false, vmmExit: { code: 137, atMs: 80_000 } });
    expect(assembleResults(input({ collector: c, phases })).isolation?.fault?.vmmExit).toBeNull();
  });
});

describe('writeResults', () => {
  it('writes results.json and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nestbed-results-'));
    const r = assembleResults(input());
    await writeResults(dir, r);
    expect(await readdir(dir)).toEqual(['results.json']);
    const text = await readFile(join(dir, 'results.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
  });
});
