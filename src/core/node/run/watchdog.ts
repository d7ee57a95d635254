// Time bounds of a run (host wall time): one per stage, each counted from the end of the stage
// before it, plus the caller's hard bound for the whole run (--timeout). overdue() is the pure rule;
// startWatchdog() applies it four times a second until the run is over.
import type { ValidTopology } from '../../common/model/topology.js';

/** Per-stage time bounds (host wall s) in fast mode; deterministic mode doubles them. */
export const STAGE_TIMEOUTS_S = { l0Init: 60, l1Init: 120, guestsReadyBase: 150, guestsReadyPerGuest: 45, afterReady: 90, shutdown: 30 } as const;

/** How often the bounds are checked, ms. */
export const WATCHDOG_INTERVAL_MS = 250;

/** What the watchdog reads of the run's progress (a RunCollector is one). */
export interface WatchdogSnapshot {
  readonly l0: { readonly initMs?: number | undefined };
  readonly l1: { readonly initMs?: number | undefined; readonly vmStartMs?: number | undefined };
  readonly allReadyMs: number | undefined;
  readonly l0Done: boolean;
  /** One per guest of the topology, in its order. */
  readonly guests: readonly { readonly name: string; readonly boot: { readonly readyMs?: number | undefined } }[];
}

export interface WatchdogOptions {
  readonly deterministic: boolean;
  /** Test hook: multiplies every stage bound (not --timeout). */
  readonly stageTimeoutScale?: number | undefined;
  /** --timeout: hard bound for the whole run, s. */
  readonly timeoutS?: number | undefined;
  /** The hold time after the workloads (default 2 s). */
  readonly holdS?: number | undefined;
  /** Host time the guests' workloads may take, s (workSeconds). */
  readonly workS: number;
  /** An orchestrated run (channel probes / isolation phases, sequenced by L1)… */
  readonly orch: boolean;
  /** …and the length of its phases, s. */
  readonly phaseS: number;
}

export interface Overdue {
  /** What did not happen in time. */
  readonly what: string;
  /** The bound it had, s. */
  readonly limitS: number;
}

/** Host time the workloads may take, s: 3× the rtos guests' run (guest time) and 3× each cyclictest's
 * intervalUs × loops. */
export const workSeconds = (t: ValidTopology, rtosRunMs: number): number =>
  Math.max(
    0,
    ...(t.guests.some((g) => g.os === 'rtos') ? [(rtosRunMs / 1000) * 3] : []),
    ...t.guests.map((g) => (g.workload?.cyclictest ? (g.workload.cyclictest.intervalUs * g.workload.cyclictest.loops) / 1e6 : 0) * 3),
  );

/** The factor on every stage bound: ×2 in deterministic timing, times the test hook's scale. */
export const stageScale = (o: Pick<WatchdogOptions, 'deterministic' | 'stageTimeoutScale'>): number => (o.deterministic ? 2 : 1) * (o.stageTimeoutScale ?? 1);

/** The bound the run has overrun at host ms `nowMs`, if any: --timeout first, then the bound of the
 * stage the run is in (L0 init from the start; L1 init from L1's VM start, else L0's init; all guests
 * ready from L1's init; L0 done from all-ready). */
export const overdue = (c: WatchdogSnapshot, nowMs: number, o: WatchdogOptions): Overdue | undefined => {
  const S = STAGE_TIMEOUTS_S;
  const scale = stageScale(o);
  const hard = o.timeoutS;
  if (hard !== undefined && nowMs > hard * 1000) return { what: 'the whole run (--timeout) did not finish', limitS: hard };
  if (c.l0.initMs === undefined) {
    return nowMs > S.l0Init * 1000 * scale ? { what: 'L0 (emulated server) did not reach its init', limitS: S.l0Init * scale } : undefined;
  }
  if (c.l1.initMs === undefined) {
    const from = c.l1.vmStartMs ?? c.l0.initMs;
    return nowMs - from > S.l1Init * 1000 * scale ? { what: 'L1 (guest hypervisor) did not reach its init', limitS: S.l1Init * scale } : undefined;
  }
  if (c.allReadyMs === undefined) {
    const lim = (S.guestsReadyBase + S.guestsReadyPerGuest * (c.guests.length - 1)) * scale;
    if (nowMs - c.l1.initMs <= lim * 1000) return undefined;
    const missing = c.guests.filter((g) => g.boot.readyMs === undefined).map((g) => g.name);
    return { what: `guest(s) ${missing.join(', ')} did not reach their ready marker`, limitS: lim };
  }
  const lim = (S.afterReady + o.workS + (o.holdS ?? 2) + (o.orch ? 60 + o.phaseS : 0)) * scale;
  return !c.l0Done && nowMs - c.allReadyMs > lim * 1000 ? { what: 'the guests did not finish their workloads and power off', limitS: lim } : undefined;
};

/** The failure message of an overrun bound. */
export const timeoutMessage = (o: Overdue): string => `timeout: ${o.what} within ${o.limitS.toFixed(0)} s`;

export interface WatchdogDeps {
  readonly snapshot: WatchdogSnapshot;
  readonly now: () => number;
  /** The run has failed or exited: nothing to bound. */
  readonly over: () => boolean;
  readonly onOverdue: (o: Overdue) => void;
}

/** Checks the bounds every WATCHDOG_INTERVAL_MS; returns the stop function. */
export const startWatchdog = (d: WatchdogDeps, o: WatchdogOptions): (() => void) => {
  const timer = setInterval(() => {
    if (d.over()) return;
    const late = overdue(d.snapshot, d.now(), o);
    if (late) d.onOverdue(late);
  }, WATCHDOG_INTERVAL_MS);
  return () => clearInterval(timer);
};
