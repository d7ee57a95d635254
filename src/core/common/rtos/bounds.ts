// Observed rtos response times against the analytic worst case of `validate` (spec/topology.md,
// "Schedulability analysis"). Pure. An observed maximum above its bound means the model or the
// isolation is broken (issue 4): the verdict says so instead of hiding it in a number.
import type { RtosRunResult } from './console.js';

export type BoundVerdict =
  /** observed max ≤ analytic bound */
  | 'within'
  /** observed max > analytic bound: the model or the isolation is broken */
  | 'exceeds'
  /** the analysis found no bound (unschedulable or no guaranteed supply) */
  | 'no-bound'
  /** no summary for this task, or no job completed */
  | 'not-observed';

export interface BoundRow {
  readonly name: string;
  readonly deadlineUs: number;
  readonly boundUs: number | null;
  readonly observedMaxUs: number | null;
  readonly observedP99Us: number | null;
  readonly deadlineMisses: number | null;
  readonly jobs: number | null;
  /** bound − observed max, µs (negative when exceeded). */
  readonly marginUs: number | null;
  readonly verdict: BoundVerdict;
}

/** One row per analysed task, in the analysis' order. Observed figures are µs rounded up, so
 * "observed ≤ bound" is exact against the integer bound. */
export const compareWithBounds = (
  run: Pick<RtosRunResult, 'tasks'>,
  analysed: readonly { readonly name: string; readonly deadlineUs: number; readonly responseTimeUs: number | null }[],
): BoundRow[] =>
  analysed.map((a) => {
    const t = run.tasks.find((x) => x.name === a.name);
    const observed = t && t.completed > 0 ? t.responseMaxUs : null;
    const verdict: BoundVerdict =
      observed === null ? 'not-observed' : a.responseTimeUs === null ? 'no-bound' : observed <= a.responseTimeUs ? 'within' : 'exceeds';
    return {
      name: a.name,
      deadlineUs: a.deadlineUs,
      boundUs: a.responseTimeUs,
      observedMaxUs: observed,
      observedP99Us: t && t.completed > 0 ? t.responseP99Us : null,
      deadlineMisses: t ? t.deadlineMisses : null,
      jobs: t ? t.completed : null,
      marginUs: observed !== null && a.responseTimeUs !== null ? a.responseTimeUs - observed : null,
      verdict,
    };
  });
