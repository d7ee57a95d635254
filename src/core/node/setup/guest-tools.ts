// The project's own small guest programs (guest/tools) and the kernel modules the channel path needs.
//   vsock-probe   AF_VSOCK echo server / client / L1 relay / control (busybox has no AF_VSOCK)
//   nb-sched      L1: SCHED_DEADLINE / SCHED_FIFO on a guest's vCPU threads, and the policy read back
//   nb-fwcfg      L0: the run's payload from fw_cfg by DMA (the driver's reads are byte-wise, quadratic)
//                 (busybox chrt has no SCHED_DEADLINE)
//   Both are freestanding (raw system calls, no libc: guest/tools/nb-rt.h), so Debian's
//   gcc-aarch64-linux-gnu alone builds them, statically; reproducible flags like the rtos
//   (src/core/node/rtos/build.ts).
//   *.ko          vsock (L2: virtio transport; L1: vhost-vsock) from linux-modules-<abi>[-rt]-arm64,
//                 decompressed here (busybox insmod loads plain .ko files)
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool } from '../process/tool.js';
import { DEFAULT_CROSS_PREFIX, RTOS_BUILD_ENV } from '../rtos/build.js';
import { shippedFile } from './repo-files.js';

export const TOOL_CFLAGS = [
  '-std=gnu11',
  '-O2',
  '-march=armv8-a',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-tree-loop-distribute-patterns',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-ident',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-nostdlib',
  '-static',
  '-no-pie',
  '-Wl,--build-id=none',
] as const;

/** Guest modules in load order (each after its dependencies, from the modules' own depends= lists). */
export const GUEST_VSOCK_MODULES = ['vsock', 'vmw_vsock_virtio_transport_common', 'vmw_vsock_virtio_transport'] as const;
export const L1_VHOST_MODULES = ['vsock', 'vmw_vsock_virtio_transport_common', 'vhost_iotlb', 'vhost', 'vhost_vsock'] as const;
/** The disk that carries `os: custom` images from the host through L0 to L1 (src/core/node/custom-image.ts). */
/** How the run's payload arrives (guest/init.sh): L0 reads it from fw_cfg, L1 from L0's virtio disk;
 * a warm stack's L0 waits for the power button (gpio-keys, read through evdev). */
export const L0_PAYLOAD_MODULES = ['qemu_fw_cfg', 'evdev', 'gpio_keys'] as const;
export const L1_PAYLOAD_MODULES = ['virtio_blk'] as const;
const MODULE_DIRS: Readonly<Record<string, string>> = {
  vsock: 'kernel/net/vmw_vsock',
  vmw_vsock_virtio_transport_common: 'kernel/net/vmw_vsock',
  vmw_vsock_virtio_transport: 'kernel/net/vmw_vsock',
  vhost_iotlb: 'kernel/drivers/vhost',
  vhost: 'kernel/drivers/vhost',
  vhost_vsock: 'kernel/drivers/vhost',
  qemu_fw_cfg: 'kernel/drivers/firmware',
  evdev: 'kernel/drivers/input',
  gpio_keys: 'kernel/drivers/input/keyboard',
  virtio_blk: 'kernel/drivers/block',
};

export const GUEST_TOOLS = ['vsock-probe', 'nb-sched', 'nb-fwcfg'] as const;
export type GuestTool = (typeof GUEST_TOOLS)[number];
const TOOL_SOURCES = ['nb-rt.h', ...GUEST_TOOLS.map((t) => `${t}.c`)];

export const guestToolsRecipe = async (): Promise<string> => {
  const h = createHash('sha256');
  for (const f of TOOL_SOURCES) h.update(f).update('\0').update(await readFile(shippedFile(`guest/tools/${f}`))).update('\0');
  return h.update(JSON.stringify({ TOOL_CFLAGS, GUEST_VSOCK_MODULES, L1_VHOST_MODULES, L0_PAYLOAD_MODULES, L1_PAYLOAD_MODULES })).digest('hex');
};

/** Builds every guest tool into outDir; returns tool → path. */
export const buildGuestTools = async (outDir: string, signal?: AbortSignal): Promise<Record<GuestTool, string>> => {
  await mkdir(outDir, { recursive: true });
  const gcc = `${DEFAULT_CROSS_PREFIX}gcc`;
  const src = shippedFile('guest/tools');
  const out = {} as Record<GuestTool, string>;
  for (const tool of GUEST_TOOLS) {
    out[tool] = join(outDir, tool);
    await runTool(gcc, [gcc, ...TOOL_CFLAGS, '-ffile-prefix-map=' + src + '=guest/tools', `${tool}.c`, '-o', out[tool]], {
      cwd: src,
      env: RTOS_BUILD_ENV,
      timeoutMs: 120_000,
      ...(signal ? { signal } : {}),
    });
  }
  return out;
};

/** Decompresses the named modules of kernel `abi` (e.g. 7.3.4+deb13-arm64) from the unpacked
 * packages in `root` into outDir/<abi>/<name>.ko; returns name → path. */
export const extractModules = async (root: string, abi: string, names: readonly string[], outDir: string, signal?: AbortSignal): Promise<Map<string, string>> => {
  const dir = join(outDir, abi);
  await mkdir(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const n of names) {
    const sub = MODULE_DIRS[n];
    if (!sub) throw new InfrastructureError(`no location known for kernel module ${n}`);
    const xz = join(root, 'usr/lib/modules', abi, sub, `${n}.ko.xz`);
    // in place, next to the .xz in the staging tree (runTool's stdout is text, not bytes)
    await runTool('xz', ['xz', '-dkf', xz], { timeoutMs: 60_000, ...(signal ? { signal } : {}) }).catch((e: unknown) => {
      throw new InfrastructureError(`kernel module ${n} (${abi}) could not be decompressed from ${xz}: ${e instanceof Error ? e.message : String(e)}`, 'run "nestbed setup" again (the linux-modules package may be missing)', { cause: e });
    });
    const p = join(dir, `${n}.ko`);
    await copyFile(xz.slice(0, -3), p);
    out.set(n, p);
  }
  return out;
};
