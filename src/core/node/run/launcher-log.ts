// The launcher results directory of a bundle run (docs/bundles.md): what payload/run-on-host.sh
// writes on an arm64 KVM host, written here from the emulated L1's side of the console —
//   launcher/console.log    every line L0 relayed from L1 ("1|..."), byte for byte: the launcher's
//                           events and its guests' routed lines, what run-on-host.sh tees
//   launcher/launcher.json  format, time base "emulated-l1", start, host, the bundle's manifest digest
//   launcher/topology.yaml, plan.json, profile.json, manifest.json   from the bundle
// `nestbed report <run>/launcher` judges it as it would a hardware run's.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, release } from 'node:os';
import { join } from 'node:path';
import type { OpenedBundle } from '../bundle/run-bundle.js';

export const LAUNCHER_DIR = 'launcher';

export class LauncherLog {
  private constructor(private readonly out: WriteStream) {}

  static async open(runDir: string, bundle: OpenedBundle): Promise<LauncherLog> {
    const dir = join(runDir, LAUNCHER_DIR);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'topology.yaml'), bundle.topologyText);
    await writeFile(join(dir, 'plan.json'), bundle.plan);
    await writeFile(join(dir, 'manifest.json'), bundle.manifest);
    if (bundle.profile) await writeFile(join(dir, 'profile.json'), bundle.profile);
    const meta = {
      format: 'nestbed-launcher-results',
      formatVersion: 1,
      timeBase: 'emulated-l1',
      startedAt: new Date().toISOString(),
      host: `emulated L1 (nestbed run on ${hostname()}, Linux ${release()})`,
      bundle: bundle.manifestSha256,
    };
    await writeFile(join(dir, 'launcher.json'), `${JSON.stringify(meta)}\n`);
    return new LauncherLog(createWriteStream(join(dir, 'console.log')));
  }

  /** One line of the emulator's output: kept when L0 relayed it from L1. */
  line(stream: 'stdout' | 'stderr', raw: string): void {
    if (stream !== 'stdout') return;
    const l = raw.replace(/\r/g, '');
    if (l.startsWith('1|')) this.out.write(`${l}\n`);
  }

  close(): Promise<void> {
    return new Promise((res) => this.out.end(() => res()));
  }
}
