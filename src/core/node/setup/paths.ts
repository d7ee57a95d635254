// Where nestbed keeps its private state: $NESTBED_CACHE_DIR, else $XDG_CACHE_HOME/nestbed, else
// ~/.cache/nestbed. Everything setup downloads or builds lives below this one directory.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CachePaths {
  readonly root: string;
  /** Private apt state for the arm64 guest packages (lists, archives, empty dpkg status). */
  readonly aptGuest: string;
  /** Private apt state for installing the host emulator (lists only; /etc/apt untouched). */
  readonly aptHost: string;
  /** Downloaded .deb files, verified by SHA-256 against the manifest. */
  readonly debs: string;
  /** Built artifacts (kernel images, initramfs archives). */
  readonly images: string;
  /** Scratch space for extraction while building; removed afterwards. */
  readonly staging: string;
  readonly manifest: string;
  /** The per-core-time emulator build: source tarballs, the built binaries, deb-src apt state. */
  readonly emulator: string;
  /** The lean L2 kernel build: the kernel source package and the built Images. */
  readonly kernels: string;
  readonly aptSource: string;
  /** The warm stack's snapshots (src/core/node/run/warm-stack.ts). */
  readonly snapshots: string;
}

export const cacheRoot = (env: NodeJS.ProcessEnv): string => {
  if (env.NESTBED_CACHE_DIR) return env.NESTBED_CACHE_DIR;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(env.HOME ?? homedir(), '.cache'), 'nestbed');
};

export const cachePaths = (root: string): CachePaths => ({
  root,
  aptGuest: join(root, 'apt-guest'),
  aptHost: join(root, 'apt-host'),
  debs: join(root, 'debs'),
  images: join(root, 'images'),
  staging: join(root, 'staging'),
  manifest: join(root, 'manifest.json'),
  emulator: join(root, 'emulator'),
  kernels: join(root, 'kernels'),
  aptSource: join(root, 'apt-source'),
  snapshots: join(root, 'snapshots'),
});
