// The lean L2 kernel's cache decisions (src/core/node/setup/lean-kernel.ts), without building one.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_BUILD_PACKAGES, LEAN_FRAGMENT, leanKernelKey, missingOptions, VARIANT_SPECS, verifyLeanKernel } from '../../../src/core/node/setup/lean-kernel.js';
import { leanKernelSchema, sha256File, type LeanKernel } from '../../../src/core/node/setup/manifest.js';
import { shippedFile } from '../../../src/core/node/setup/repo-files.js';

const built = async (dir: string, key: string, bytes = 'kernel'): Promise<LeanKernel> => {
  mkdirSync(join(dir, key), { recursive: true });
  writeFileSync(join(dir, key, 'Image'), bytes);
  return leanKernelSchema.parse({
    status: 'built',
    key,
    file: join(key, 'Image'),
    sha256: await sha256File(join(dir, key, 'Image')),
    size: bytes.length,
    source: { package: 'linux-source-7.3', version: '7.3.4-1~bpo13+1', file: 'linux-source-7.3_7.3.4-1~bpo13+1_all.deb', sha256: 'a'.repeat(64) },
    fragmentSha256: 'b'.repeat(64),
    compiler: 'aarch64-linux-gnu-gcc 12.2.0',
    buildMs: 1,
  });
};

describe('lean L2 kernel', () => {
  it('has a stable 16-hex key, and its fragment keeps what the agent and ISA parity need', async () => {
    const key = await leanKernelKey();
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(await leanKernelKey()).toBe(key);
    const fragment = readFileSync(shippedFile(LEAN_FRAGMENT), 'utf8');
    for (const opt of ['VIRTIO_VSOCKETS', 'DEVMEM', 'CPUSETS', 'SERIAL_AMBA_PL011_CONSOLE', 'ARM_GIC_V3', 'BLK_DEV_INITRD', 'ARM64_PTR_AUTH', 'ARM64_BTI', 'ARM_ARCH_TIMER_EVTSTREAM']) {
      expect(fragment, opt).toMatch(new RegExp(`^CONFIG_${opt}=y$`, 'm'));
    }
    expect(fragment).not.toMatch(/^CONFIG_MODULES=y$/m);
    // GCC cannot build it (Kconfig: depends on !CC_IS_GCC): listed, the build would refuse the config
    expect(fragment).not.toMatch(/^CONFIG_ARM64_BTI_KERNEL=y$/m);
    expect(KERNEL_BUILD_PACKAGES).toContain('bc');
  });

  it('has a PREEMPT_RT variant with its own key, whose build must end with PREEMPT_RT configured', async () => {
    const rt = await leanKernelKey('rt');
    expect(rt).toMatch(/^[0-9a-f]{16}$/);
    expect(rt).not.toBe(await leanKernelKey('generic'));
    expect(await leanKernelKey()).toBe(await leanKernelKey('generic'));
    expect(VARIANT_SPECS.rt.switches).toEqual(expect.arrayContaining(['PREEMPT_RT', 'EXPERT']));
    expect(VARIANT_SPECS.rt.requires).toContain('CONFIG_PREEMPT_RT=y');
    expect(VARIANT_SPECS.generic.switches).toEqual([]);
  });

  it('names the options a configuration dropped (Kconfig drops unmet ones silently)', () => {
    const config = '# comment\nCONFIG_SMP=y\nCONFIG_PREEMPT=y\n# CONFIG_PREEMPT_RT is not set\n';
    expect(missingOptions(config, ['CONFIG_SMP=y', 'CONFIG_PREEMPT_RT=y', 'CONFIG_VIRTIO_VSOCKETS=y'])).toEqual(['CONFIG_PREEMPT_RT=y', 'CONFIG_VIRTIO_VSOCKETS=y']);
    expect(missingOptions(config, ['CONFIG_SMP=y'])).toEqual([]);
  });

  it('is current only when recorded for this key with a matching file; a failure is not retried for the same key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestbed-kernels-'));
    const key = await leanKernelKey();
    expect(await verifyLeanKernel(dir, undefined, key)).toMatch(/has not been built/);
    const rec = await built(dir, key);
    expect(await verifyLeanKernel(dir, rec, key)).toBeUndefined();
    expect(await verifyLeanKernel(dir, rec, '0000000000000000')).toMatch(/out of date/);
    writeFileSync(join(dir, key, 'Image'), 'tampered');
    expect(await verifyLeanKernel(dir, rec, key)).toMatch(/does not match its SHA-256/);
    expect(await verifyLeanKernel(dir, { status: 'unavailable', key, reason: 'make failed' }, key)).toBeUndefined();
    expect(await verifyLeanKernel(dir, undefined, await leanKernelKey('rt'), 'rt')).toMatch(/PREEMPT_RT kernel has not been built/);
  });
});
