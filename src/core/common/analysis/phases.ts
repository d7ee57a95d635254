// How long the isolation phases (idle, stress) run: long enough for the statistics the interference
// verdict needs, no longer (each virtual second costs ~13 s of host time on the realistic example).
// Pure.
import type { Topology } from '../model/topology.js';

/** Safety-guest jobs each window should hold: at a miss rate p the expected count is 2000·p, so a
 * rate of 1/1000 shows as ~2 misses and the exact binomial test of the interference check (which
 * needs ≥ 7 misses, all under stress, for p < 0.01) can separate rates that differ by a few per mille. */
export const JOBS_PER_WINDOW = 2000;
export const MIN_PHASE_S = 1;
/** Also the length for guests without periodic tasks (their latency is measured by cyclictest). */
export const MAX_PHASE_S = 4;

/** Jobs per second of the rtos guests' task sets (all guests with tasks that nestbed runs). */
export const safetyJobsPerSecond = (t: Topology): number =>
  t.guests.filter((g) => g.os === 'rtos').reduce((sum, g) => sum + (g.tasks ?? []).reduce((s, x) => s + 1_000_000 / x.periodUs, 0), 0);

/** Seconds of guest time per isolation phase: JOBS_PER_WINDOW jobs and at least ten periods of the
 * slowest task, within [MIN_PHASE_S, MAX_PHASE_S]. */
export const isolationPhaseSeconds = (t: Topology): number => {
  const rate = safetyJobsPerSecond(t);
  if (rate <= 0) return MAX_PHASE_S;
  const slowestS = Math.max(...t.guests.flatMap((g) => (g.os === 'rtos' ? (g.tasks ?? []).map((x) => x.periodUs / 1e6) : [0])));
  return Math.min(MAX_PHASE_S, Math.max(MIN_PHASE_S, Math.ceil(JOBS_PER_WINDOW / rate), Math.ceil(10 * slowestS)));
};

/** One-sided exact test that misses are more frequent in window b than in window a: given k = a + b
 * misses over na + nb jobs, P(X ≥ missesB) for X ~ Binomial(k, nb / (na + nb)). */
export const moreMissesPValue = (missesA: number, jobsA: number, missesB: number, jobsB: number): number => {
  const k = missesA + missesB;
  if (k === 0 || jobsA + jobsB === 0) return 1;
  const p = jobsB / (jobsA + jobsB);
  // log-space binomial terms (k is small in practice; stays exact enough for a 1 % threshold)
  let logC = 0; // log C(k, 0)
  const terms: number[] = [];
  for (let x = 0; x <= k; x++) {
    if (x > 0) logC += Math.log((k - x + 1) / x);
    terms.push(Math.exp(logC + x * Math.log(p) + (k - x) * Math.log1p(-p)));
  }
  return Math.min(1, terms.slice(missesB).reduce((s, v) => s + v, 0));
};
