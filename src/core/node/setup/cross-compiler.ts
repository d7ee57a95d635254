// The cross compiler for the project's own guest code (the bare-metal rtos, guest/rtos): Debian's
// gcc-aarch64-linux-gnu. Found on PATH, or installed with the system apt when setup runs as root
// (like the host emulator); `--check` only reports.
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool } from '../process/tool.js';
import { CROSS_PACKAGE, findCrossCompiler } from '../rtos/build.js';
import { readOsRelease } from './apt.js';

export interface CrossCompiler {
  readonly gcc: string;
  readonly version: string;
}

export const crossInstallHint = `run "sudo nestbed setup" once (it installs ${CROSS_PACKAGE} with apt-get), or install ${CROSS_PACKAGE} yourself`;

export const ensureCrossCompiler = async (opts: { check: boolean; log: (s: string) => void; signal?: AbortSignal }): Promise<CrossCompiler> => {
  const found = await findCrossCompiler();
  if (found) return found;
  const what = `the arm64 cross compiler (aarch64-linux-gnu-gcc, package ${CROSS_PACKAGE}) is not installed`;
  if (opts.check) throw new InfrastructureError(what, crossInstallHint);
  const os = await readOsRelease();
  if (os.id !== 'debian' || process.getuid?.() !== 0) throw new InfrastructureError(`${what}; installing it needs root on Debian`, crossInstallHint);
  opts.log(`installing ${CROSS_PACKAGE}`);
  await runTool('apt-get', ['apt-get', 'install', '-y', '--no-install-recommends', CROSS_PACKAGE], {
    timeoutMs: 900_000,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const after = await findCrossCompiler();
  if (!after) throw new InfrastructureError(`installed ${CROSS_PACKAGE}, but aarch64-linux-gnu-gcc is still missing`, crossInstallHint);
  return after;
};
