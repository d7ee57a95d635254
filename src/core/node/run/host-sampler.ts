// The host side of a run: the emulator's resident memory (/proc/<pid>/status, once a second, as
// host-sample events; its peak for results.json) and the host's load average at start and end.
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { RunEvent } from '../../common/model/run-events.js';

/** How often the emulator is sampled, ms. */
export const HOST_SAMPLE_INTERVAL_MS = 1000;

/** VmHWM (peak) and VmRSS (current) of a /proc/<pid>/status text, KiB (0 where absent). */
export const parseProcStatus = (s: string): { readonly hwmKiB: number; readonly rssKiB: number } => ({
  hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0),
  rssKiB: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0),
});

const round2 = (xs: readonly number[]): number[] => xs.map((x) => Number(x.toFixed(2)));

/** The host figures of results.json's host block that the sampler owns. */
export interface HostFigures {
  readonly qemuRssMaxKiB: number;
  readonly loadAvgAtStart: number[];
  readonly loadAvgAtEnd: number[];
  readonly hostCpus: number;
}

export class HostSampler {
  private rssMaxKiB = 0;
  private readonly loadStart = loadavg();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    /** The emulator's pid (undefined until it runs). */
    private readonly pid: () => number | undefined,
    private readonly now: () => number,
    private readonly emit: (e: RunEvent) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), HOST_SAMPLE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const pid = this.pid();
    if (pid === undefined) return;
    readFile(`/proc/${pid}/status`, 'utf8')
      .then((s) => {
        const { hwmKiB, rssKiB } = parseProcStatus(s);
        this.rssMaxKiB = Math.max(this.rssMaxKiB, hwmKiB, rssKiB);
        this.emit({ type: 'host-sample', t: this.now(), qemuRssKiB: rssKiB, loadAvg1: loadavg()[0] ?? 0 });
      })
      .catch(() => undefined);
  }

  /** The peak RSS seen, the load average at construction and now, the host's CPU count. */
  figures(): HostFigures {
    return { qemuRssMaxKiB: this.rssMaxKiB, loadAvgAtStart: round2(this.loadStart), loadAvgAtEnd: round2(loadavg()), hostCpus: cpus().length };
  }
}
