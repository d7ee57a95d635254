// os: custom — the file checks of `validate` (positions, codes), the archive a run packs, the plan.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { validateTopology } from '../../../src/core/common/validate/validate-topology.js';
import { customImageEntries, imageFileInspector, kernelFormat } from '../../../src/core/node/custom-image.js';
import { runPayload, writePayloadArchive } from '../../../src/core/node/run/payload.js';
import { planStack } from '../../../src/core/node/stack/plan.js';
import { brief, profiles, topologyYaml } from '../../helpers/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'nb-custom-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 64-byte arm64 Image header: "ARM\x64" at 0x38. */
const imageHeader = (): Buffer => {
  const b = Buffer.alloc(4096, 0x11);
  b.writeUInt32LE(0x644d5241, 0x38);
  return b;
};
const elf = (machine: number): Buffer => {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b.writeUInt16LE(machine, 18);
  return b;
};
writeFileSync(join(dir, 'Image'), imageHeader());
writeFileSync(join(dir, 'rootfs.cpio'), Buffer.from('070701 not really a cpio'));
writeFileSync(join(dir, 'notes.txt'), 'hello');
writeFileSync(join(dir, 'empty'), '');

const customGuest = (image: string): string => `  - name: ecu
    role: gateway
    asil: QM
    os: custom
    vcpus: 1
    pin: [0]
    memoryMiB: 128
${image}`;
const validate = (text: string) => validateTopology(text, { profiles, files: imageFileInspector(dir) });

describe('os: custom in validate', () => {
  it('accepts a kernel + initrd + command line + ready line next to the topology', () => {
    const v = validate(topologyYaml(customGuest('    image: { kernel: Image, initrd: rootfs.cpio, cmdline: "console=ttyAMA0 quiet", readyLine: "login:" }\n')));
    expect(v.errors).toBe(0);
    expect(v.valid?.guests[0]?.image).toEqual({ kernel: 'Image', initrd: 'rootfs.cpio', cmdline: 'console=ttyAMA0 quiet', readyLine: 'login:' });
  });

  it('NB2011 locates a missing, empty or non-kernel file at its value, as input errors (exit 2)', () => {
    const v = validate(topologyYaml(customGuest('    image:\n      kernel: notes.txt\n      initrd: missing.cpio\n')));
    expect(brief(v)).toEqual(['NB2011@15:15', 'NB2011@16:15']);
    expect(v.diagnostics.filter((d) => d.code === 'NB2011').map((d) => d.message)).toEqual([
      'guest ecu image.kernel "notes.txt": not an arm64 kernel: no arm64 Image header ("ARM\\x64" at offset 0x38), not gzip, not an AArch64 ELF',
      'guest ecu image.initrd "missing.cpio": cannot read it: no such file',
    ]);
    expect(v.malformed).toBe(true);
    const nb2011 = (image: string): string | undefined => validate(topologyYaml(customGuest(image))).diagnostics.find((d) => d.code === 'NB2011')?.message;
    expect(nb2011('    image: { kernel: empty }\n')).toBe('guest ecu image.kernel "empty": the file is empty');
    expect(nb2011(`    image: { kernel: ${dir} }\n`)).toMatch(/not a regular file|it is a directory/);
  });

  it('NB1032 ties os: custom to an image, NB1033 keeps workloads on agent guests', () => {
    expect(brief(validate(topologyYaml(customGuest(''))))).toEqual(['NB1032@10:9']);
    const onLinux = validate(topologyYaml('  - { name: a, role: other, asil: QM, os: linux, vcpus: 1, pin: [0], memoryMiB: 256, image: { kernel: Image } }\n'));
    expect(onLinux.diagnostics.find((d) => d.code === 'NB1032')?.message).toBe('guest a has an image but os: linux; an image is used only with os: custom');
    const work = validate(topologyYaml(customGuest('    image: { kernel: Image }\n    workload: { stress: { cpu: 1 } }\n')));
    expect(work.diagnostics.find((d) => d.code === 'NB1033')).toMatchObject({ severity: 'error', path: 'guests[0].workload' });
  });

  it('without a file system (the browser) the files are not looked at', () => {
    const v = validateTopology(topologyYaml(customGuest('    image: { kernel: nowhere/Image }\n')), { profiles });
    expect(v.errors).toBe(0);
  });

  it('rejects control characters in the command line', () => {
    const v = validate(topologyYaml(customGuest('    image: { kernel: Image, cmdline: "a\\nb" }\n')));
    expect(v.diagnostics.filter((d) => d.severity === 'error').map((d) => d.path)).toEqual(['guests[0].image.cmdline']);
  });
});

describe('custom image files', () => {
  it('recognises what QEMU -kernel boots on arm64', () => {
    expect(kernelFormat(imageHeader())).toBe('arm64-image');
    expect(kernelFormat(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('arm64-image-gzip');
    expect(kernelFormat(elf(183))).toBe('elf-aarch64');
    expect(kernelFormat(elf(62))).toBeUndefined(); // x86-64
    expect(kernelFormat(Buffer.from('#!/bin/sh\n'))).toBeUndefined();
  });

  it("packs every custom guest into the run's payload, one sector-aligned archive, and hashes the bytes packed", () => {
    const v = validate(topologyYaml(`  - { name: lin, role: other, asil: QM, os: linux, vcpus: 1, pin: [1], memoryMiB: 256 }\n${customGuest('    image: { kernel: Image, initrd: rootfs.cpio, cmdline: "console=ttyAMA0", readyLine: "up" }\n')}`));
    expect(v.errors).toBe(0);
    const out = join(dir, 'disk.cpio');
    const { records, entries } = customImageEntries(v.valid!.guests, dir);
    writePayloadArchive(runPayload(['nb_n=2'], entries), out);
    const [rec, ...rest] = records;
    expect(rest).toEqual([]);
    expect(rec).toMatchObject({ guest: 'ecu', index: 1, cmdline: 'console=ttyAMA0', readyLine: 'up', kernel: { path: 'Image', bytes: 4096, format: 'arm64-image' } });
    expect(rec?.kernel.sha256).toBe(createHash('sha256').update(imageHeader()).digest('hex'));
    const disk = readFileSync(out);
    expect(disk.length % 512).toBe(0);
    const names = [...disk.toString('latin1').matchAll(/070701[0-9a-f]{104}([^\0]+)\0/gi)].map((m) => m[1]);
    expect(names).toEqual(['c1', 'c1/cmdline', 'c1/initrd', 'c1/kernel', 'c1/ready', 'launch.sh', 'lib.sh', 'run-on-host.sh', 'words', 'TRAILER!!!']);
  });

  it('plans the payload archive for L0 and the u letter for the guest; channels to a custom guest are refused', () => {
    const v = validate(topologyYaml(customGuest('    image: { kernel: Image }\n')));
    const opts = { timing: 'fast', holdS: 2, rtosRunMs: 4000, sampleIntervalS: 3, kernel: '/c/Image', initrd: '/c/l0.cpio', qemu: '/q', payloadArchive: '/tmp/x/payload.cpio' } as const;
    const p = planStack(v.valid!, opts);
    expect(p.argv.join(' ')).toContain('-fw_cfg name=opt/nestbed/payload,file=/tmp/x/payload.cpio');
    expect(p.launcherWords.join(' ')).toMatch(/nb_g0=1,128,0,u,/);
    const withChannel = validate(topologyYaml(`${customGuest('    image: { kernel: Image }\n')}  - { name: lin, role: other, asil: QM, os: linux, vcpus: 1, pin: [1], memoryMiB: 256 }\n`, 'channels:\n  - { from: lin, to: ecu, kind: vsock, port: 7 }\n'));
    expect(() => planStack(withChannel.valid!, opts)).toThrow(/ecu is an os: custom guest; the runner does not realise channels to or from custom images yet/);
  });
});
