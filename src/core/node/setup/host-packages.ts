// Host build tools installed with apt (root only), through a private apt configuration whose sources
// are the system's own (plus <codename>-backports). Shared by the emulator and the kernel builds.
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool } from '../process/tool.js';
import { aptGet, aptUpdate, hostAptConfig, readOsRelease, systemArchive } from './apt.js';

export const isInstalled = async (pkg: string): Promise<boolean> => {
  const r = await runTool('dpkg-query', ['dpkg-query', '-W', '-f', '${db:Status-Status}', pkg], { timeoutMs: 20_000, okCodes: [0, 1] }).catch(() => undefined);
  return r?.stdout.trim() === 'installed';
};

/** Installs `missing` (and `backports` from <codename>-backports); `what` names the build for the
 * message when not root. */
export const installHostPackages = async (
  c: { readonly aptHost: string; readonly log: (s: string) => void; readonly signal?: AbortSignal },
  what: string,
  missing: readonly string[],
  backports: readonly string[] = [],
): Promise<void> => {
  if (missing.length === 0 && backports.length === 0) return;
  if (process.getuid?.() !== 0) throw new InfrastructureError(`${what} needs ${[...missing, ...backports].join(', ')}; installing them needs root`, 'run "sudo nestbed setup" once');
  const os = await readOsRelease();
  const sys = await systemArchive(os.codename || 'bookworm');
  const cfg = await hostAptConfig(c.aptHost, sys.source, sys.text, sys.file, os.codename || 'bookworm');
  await aptUpdate(cfg, false, c.signal);
  const opts = { timeoutMs: 900_000, ...(c.signal ? { signal: c.signal } : {}) };
  if (missing.length > 0) {
    c.log(`installing build tools: ${missing.join(' ')}`);
    await aptGet(cfg, ['install', '-y', '--no-install-recommends', ...missing], opts);
  }
  if (backports.length > 0) {
    c.log(`installing build tools from ${os.codename}-backports: ${backports.join(' ')}`);
    await aptGet(cfg, ['install', '-y', '--no-install-recommends', ...backports.map((p) => `${p}/${os.codename}-backports`)], opts);
  }
};
