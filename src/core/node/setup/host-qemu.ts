// The host emulator: qemu-system-aarch64 ≥ 9 (FEAT_NV2). Found on PATH, or on Debian 12 installed
// from bookworm-backports through a private apt configuration derived from the system sources.
import { access, constants } from 'node:fs/promises';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool } from '../process/tool.js';
import { aptGet, aptUpdate, hostAptConfig, readOsRelease, systemArchive } from './apt.js';

export const MIN_QEMU_MAJOR = 9;
export const HOST_QEMU = 'qemu-system-aarch64';

export interface HostQemu {
  readonly path: string;
  readonly version: string;
  readonly major: number;
}

export const parseQemuVersion = (text: string): { version: string; major: number } | undefined => {
  const m = /QEMU emulator version (\d+)\.(\d+)\.(\d+)\S*(?: \(([^)]*)\))?/.exec(text);
  if (!m?.[1]) return undefined;
  return { version: `${m[1]}.${m[2]}.${m[3]}${m[4] ? ` (${m[4]})` : ''}`, major: Number(m[1]) };
};

const which = async (name: string): Promise<string | undefined> => {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = `${dir}/${name}`;
    if (await access(p, constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
};

export const findHostQemu = async (): Promise<HostQemu | undefined> => {
  const path = await which(HOST_QEMU);
  if (!path) return undefined;
  const r = await runTool(HOST_QEMU, [path, '--version'], { timeoutMs: 20_000 }).catch(() => undefined);
  const v = r && parseQemuVersion(r.stdout);
  return v ? { path, ...v } : undefined;
};

export const installHint = `on Debian 12 run "sudo nestbed setup" (installs qemu-system-arm from bookworm-backports); elsewhere install QEMU ≥ ${MIN_QEMU_MAJOR} so that ${HOST_QEMU} is on PATH`;

/** Ensures a suitable host emulator; installs it on Debian 12 when running as root. */
export const ensureHostQemu = async (aptDir: string, opts: { check: boolean; log: (s: string) => void; signal?: AbortSignal }): Promise<HostQemu> => {
  const found = await findHostQemu();
  if (found && found.major >= MIN_QEMU_MAJOR) return found;
  const what = found ? `${HOST_QEMU} ${found.version} is too old (FEAT_NV2 needs QEMU ≥ ${MIN_QEMU_MAJOR})` : `${HOST_QEMU} not found`;
  if (opts.check) throw new InfrastructureError(what, installHint);
  const os = await readOsRelease();
  if (os.id !== 'debian' || os.codename !== 'bookworm') throw new InfrastructureError(what, installHint);
  if (process.getuid?.() !== 0) {
    throw new InfrastructureError(
      `${what}; installing it needs root`,
      'run "sudo nestbed setup" once (it installs qemu-system-arm from bookworm-backports through a private apt configuration; /etc/apt is not changed)',
    );
  }
  const sys = await systemArchive(os.codename);
  const cfg = await hostAptConfig(aptDir, sys.source, sys.text, sys.file, os.codename);
  opts.log(`installing qemu-system-arm from ${os.codename}-backports`);
  await aptUpdate(cfg, true, opts.signal);
  await aptGet(cfg, ['install', '-y', '--no-install-recommends', '-t', `${os.codename}-backports`, 'qemu-system-arm'], {
    timeoutMs: 900_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const after = await findHostQemu();
  if (!after || after.major < MIN_QEMU_MAJOR) throw new InfrastructureError(`installed qemu-system-arm, but ${HOST_QEMU} is still ${after?.version ?? 'missing'}`, installHint);
  return after;
};
