// Hierarchical schedulability analysis — the exact rules of spec/topology.md, "Schedulability
// analysis". Per guest vCPU: fixed-priority preemptive tasks on a supply that is a Shin & Lee
// periodic resource (vcpuServer), a dedicated hypervisor vCPU, or nothing guaranteed.
//
// Runs on every keystroke in the editor, so the hot path (responseTime core) allocates nothing and
// reads tasks from flat scratch arrays.
//
// ── Arithmetic exactness ─────────────────────────────────────────────────────────────────────────
// Inputs are positive integers ≤ MAX_TIME_US = 1e9 < 2^30. We use plain IEEE doubles, which
// represent every integer ≤ 2^53 exactly and make +, −, × of such integers exact while the exact
// result stays ≤ 2^53. The only quantities that decide a verdict are compared with a bound
// D ≤ 1e9, and every one of them is a sum of non-negative terms:
//   • ceil(R / T_j) with R ≤ D < 2^30: Math.ceil of the correctly-rounded quotient is the exact
//     ceiling, because a non-integer R/T_j is at least 1/T_j away from an integer while the rounding
//     error is below (R/T_j)·2^-53, and (R/T_j)·2^-53 < 1/T_j ⇔ R < 2^53.
//   • w = C_i + Σ ceil(R/T_j)·C_j, and a server's tbf(w) = (k + 1)·(Π − Θ) + w.
// If the exact value is ≤ D, every term and every partial sum is ≤ D < 2^53 and so is computed
// exactly. If the exact value is > D, then either all intermediates are still < 2^53 (computed
// exactly, so also > D), or some term or partial sum reaches 2^53; rounding is monotone and 2^53 is
// representable, so the computed value is then ≥ 2^53 > D as well. Hence every computed response
// time that is reported (R ≤ D) is exact, and every "R > D" verdict is exact. We also stop summing
// as soon as a partial sum exceeds D (tbf(w) ≥ w, so R would exceed D), which keeps most
// intermediates small anyway.
//
// ── Complexity ───────────────────────────────────────────────────────────────────────────────────
// Response-time iteration is pseudo-polynomial: every iteration that does not terminate adds at
// least one higher-priority release, so it runs at most 1 + Σ_j ceil(D_i / T_j) times, each O(|hp|).
// Realistic task sets converge in a handful of iterations.

import type { Guest, Task, Topology } from '../model/topology.js';
import { taskDeadline, taskVcpu } from '../model/topology.js';

/** The CPU supply of one guest vCPU.
 * - `server`: Shin & Lee periodic resource Γ(Π = periodUs, Θ = budgetUs). A budget above the
 *   period (an invalid topology, diagnosed elsewhere) is analysed as Θ = Π — a vCPU never gets more
 *   than one CPU; a budget ≤ 0 supplies nothing.
 * - `dedicated`: sbf(t) = t.
 * - `none`: no guaranteed supply, sbf(t) = 0. */
export type Supply = { kind: 'server'; periodUs: number; budgetUs: number } | { kind: 'dedicated' } | { kind: 'none' };

/** The supply as reported in `validate --format json` (same shape as `Supply`; always a fresh
 * object, never an alias of the topology's `vcpuServer`). */
export type SupplyJson = Supply;

export type TaskResult = {
  name: string;
  priority: number;
  periodUs: number;
  wcetUs: number;
  deadlineUs: number;
  /** Worst-case response time, µs; null when the iteration exceeded the deadline or there is no
   * guaranteed supply. */
  responseTimeUs: number | null;
  schedulable: boolean;
  /** deadlineUs − responseTimeUs; null when not schedulable. */
  slackUs: number | null;
  reason?: 'deadline-miss' | 'no-guaranteed-supply';
};

export type VcpuSchedulability = {
  guest: string;
  vcpu: number;
  supply: SupplyJson;
  /** Platform interrupt path J, µs, included in the response times (0: none given). */
  interruptPathUs: number;
  tasks: TaskResult[];
};

// ── Supply bound / time bound functions ─────────────────────────────────────────────────────────

/** Effective budget of a server: clamped to [0, Π]. */
const effectiveBudget = (periodUs: number, budgetUs: number): number =>
  budgetUs > periodUs ? periodUs : budgetUs > 0 ? budgetUs : 0;

/** Supply bound function: the least CPU time the supply guarantees in any interval of length t.
 * Server (Shin & Lee, RTSS 2003): 0 for t < Π − Θ, else
 * y·Θ + max(0, t − 2(Π − Θ) − y·Π) with y = floor((t − (Π − Θ)) / Π). */
export function sbf(supply: Supply, t: number): number {
  if (supply.kind === 'dedicated') return t > 0 ? t : 0;
  if (supply.kind === 'none') return 0;
  const period = supply.periodUs;
  const budget = effectiveBudget(period, supply.budgetUs);
  if (budget <= 0) return 0;
  const blackout = period - budget; // Π − Θ
  if (t < blackout || t <= 0) return 0;
  const y = Math.floor((t - blackout) / period);
  const tail = t - 2 * blackout - y * period;
  return y * budget + (tail > 0 ? tail : 0);
}

/** Time bound function: the least t with sbf(t) ≥ w. tbf(w ≤ 0) = 0; dedicated: w; none: Infinity.
 * Server: 2(Π − Θ) + (k − 1)·Π + (w − (k − 1)·Θ) with k = ceil(w / Θ), computed as the equal
 * (k + 1)·(Π − Θ) + w — a sum of non-negative terms (see the exactness note at the top). */
export function tbf(supply: Supply, w: number): number {
  if (w <= 0) return 0;
  if (supply.kind === 'dedicated') return w;
  if (supply.kind === 'none') return Infinity;
  const period = supply.periodUs;
  const budget = effectiveBudget(period, supply.budgetUs);
  if (budget <= 0) return Infinity;
  return serverTbf(period, budget, w);
}

/** (k + 1)(Π − Θ) + w, k = ceil(w / Θ); requires w > 0, 0 < Θ ≤ Π. */
function serverTbf(period: number, budget: number, w: number): number {
  const k = Math.ceil(w / budget);
  return (k + 1) * (period - budget) + w;
}

// ── Response-time analysis ──────────────────────────────────────────────────────────────────────

// Supply, decoded once per vCPU into plain numbers for the inner loop.
const KIND_DEDICATED = 0;
const KIND_SERVER = 1;
const KIND_NONE = 2;

/** The response-time core. hp(i) = indices [0, n) of `periods`/`wcets` except `skip` (−1: none).
 * Returns the least fixed point R ≤ bound, or −1 as soon as R > bound. Allocation-free.
 * With a platform interrupt path J > 0 (docs/schedulability.md, "Platform overhead") every release
 * reaches its job J late (release jitter) and costs the vCPU J of CPU time: R = J + w with
 * w = tbf(C_i + Σ_{j ∈ hp} ⌈(w + J)/T_j⌉·(C_j + J) + Σ_{j ∈ lp} ⌈(w + J)/T_j⌉·J), where lp = the
 * indices [n, nAll) (the vCPU's lower-priority tasks, whose release interrupts still preempt).
 * J = 0 is the classic analysis, term for term. */
function rtaCore(
  wcet: number,
  bound: number,
  periods: ArrayLike<number>,
  wcets: ArrayLike<number>,
  n: number,
  skip: number,
  kind: number,
  period: number,
  budget: number,
  jitter = 0,
  nAll = n,
): number {
  if (kind === KIND_NONE) return -1;
  if (jitter > 0) return rtaJitter(wcet, bound, periods, wcets, n, skip, kind, period, budget, jitter, nAll);
  const blackout = period - budget;
  // Start: R = tbf(Σ_{hp ∪ {i}} C_j).
  let w = wcet;
  if (w > bound) return -1;
  for (let j = 0; j < n; j++) {
    if (j === skip) continue;
    w += wcets[j]!;
    if (w > bound) return -1; // tbf(w) ≥ w > D
  }
  let r = kind === KIND_SERVER ? (Math.ceil(w / budget) + 1) * blackout + w : w;
  if (r > bound) return -1;
  for (;;) {
    w = wcet;
    for (let j = 0; j < n; j++) {
      if (j === skip) continue;
      w += Math.ceil(r / periods[j]!) * wcets[j]!;
      if (w > bound) return -1;
    }
    const next = kind === KIND_SERVER ? (Math.ceil(w / budget) + 1) * blackout + w : w;
    if (next > bound) return -1;
    // The iteration is non-decreasing (monotone function, started below its least fixed point);
    // `<=` rather than `===` only guarantees termination on nonsensical (non-integer) input.
    if (next <= r) return r;
    r = next;
  }
}

/** rtaCore with a platform interrupt path J > 0 (see there). Same exactness argument: every term
 * is a non-negative integer sum compared with the bound. */
function rtaJitter(
  wcet: number,
  bound: number,
  periods: ArrayLike<number>,
  wcets: ArrayLike<number>,
  n: number,
  skip: number,
  kind: number,
  period: number,
  budget: number,
  jitter: number,
  nAll: number,
): number {
  const limit = bound - jitter; // R = J + w ≤ bound ⇔ w ≤ bound − J
  if (limit < wcet) return -1;
  let w = wcet;
  for (;;) {
    let demand = wcet;
    for (let j = 0; j < nAll; j++) {
      if (j === skip) continue;
      const releases = Math.ceil((w + jitter) / periods[j]!);
      demand += releases * (j < n ? wcets[j]! + jitter : jitter);
      if (demand > limit) return -1;
    }
    const next = kind === KIND_SERVER ? serverTbf(period, budget, demand) : demand;
    if (next > limit) return -1;
    if (next <= w) return w + jitter;
    w = next;
  }
}

/** Decodes a supply into [kind, Π, Θ] for rtaCore. A server without budget is `none`. */
function decodeSupply(supply: Supply, out: { kind: number; period: number; budget: number }): void {
  if (supply.kind === 'dedicated') {
    out.kind = KIND_DEDICATED;
    out.period = 0;
    out.budget = 0;
  } else if (supply.kind === 'none') {
    out.kind = KIND_NONE;
    out.period = 0;
    out.budget = 0;
  } else {
    const budget = effectiveBudget(supply.periodUs, supply.budgetUs);
    out.kind = budget > 0 ? KIND_SERVER : KIND_NONE;
    out.period = supply.periodUs;
    out.budget = budget;
  }
}

/** Worst-case response time of a task under fixed-priority preemptive scheduling on `supply`:
 * the least fixed point of R = tbf(C_i + Σ_{j ∈ higher} ceil(R / T_j)·C_j), starting at
 * R = tbf(Σ_{higher ∪ {i}} C_j). Returns null as soon as R > D_i, and for supply `none`.
 * (Exact for constrained deadlines D_i ≤ T_i.) */
export function responseTime(
  task: { wcetUs: number; deadlineUs: number },
  higher: ReadonlyArray<{ periodUs: number; wcetUs: number }>,
  supply: Supply,
  platform: { readonly interruptPathUs: number; readonly lower?: ReadonlyArray<{ periodUs: number }> } = { interruptPathUs: 0 },
): number | null {
  const lower = platform.lower ?? [];
  const n = higher.length;
  const all = n + lower.length;
  const periods = new Array<number>(all);
  const wcets = new Array<number>(all);
  for (let j = 0; j < n; j++) {
    const h = higher[j]!;
    periods[j] = h.periodUs;
    wcets[j] = h.wcetUs;
  }
  for (let j = 0; j < lower.length; j++) {
    periods[n + j] = lower[j]!.periodUs;
    wcets[n + j] = 0;
  }
  const s = { kind: 0, period: 0, budget: 0 };
  decodeSupply(supply, s);
  const r = rtaCore(task.wcetUs, task.deadlineUs, periods, wcets, n, -1, s.kind, s.period, s.budget, platform.interruptPathUs, all);
  return r < 0 ? null : r;
}

// ── Supply of a guest vCPU ──────────────────────────────────────────────────────────────────────

const isVcpuIndex = (guest: Guest, vcpu: number): boolean => Number.isInteger(vcpu) && vcpu >= 0 && vcpu < guest.vcpus;

/** Supply of guest vCPU `vcpu` of `topology.guests[guestIndex]`, per spec:
 * - the guest has a `vcpuServer` → that server;
 * - else its hypervisor vCPU `pin[vcpu]` carries no other guest vCPU (of this or any other guest)
 *   → dedicated;
 * - else → none.
 * Invalid topologies (diagnosed elsewhere) are handled conservatively: a non-existent guest or
 * vCPU, a vCPU without a `pin` entry (pin shorter than vcpus) and a pin to a non-existent
 * hypervisor vCPU all give `none` unless the guest has a server (the server is the guest's
 * reservation wherever it runs). Every `pin` entry counts as a vCPU placed on that hypervisor
 * vCPU, including entries beyond `vcpus` (pin longer than vcpus). */
export function supplyForGuestVcpu(topology: Topology, guestIndex: number, vcpu: number): Supply {
  const guest = topology.guests[guestIndex];
  if (guest === undefined || !isVcpuIndex(guest, vcpu)) return { kind: 'none' };
  if (guest.vcpuServer !== undefined) {
    return { kind: 'server', periodUs: guest.vcpuServer.periodUs, budgetUs: guest.vcpuServer.budgetUs };
  }
  const hv = guest.pin[vcpu];
  if (hv === undefined || !isHypervisorVcpu(topology, hv)) return { kind: 'none' };
  const guests = topology.guests;
  for (let g = 0; g < guests.length; g++) {
    const pin = guests[g]!.pin;
    for (let v = 0; v < pin.length; v++) {
      if (pin[v] === hv && (g !== guestIndex || v !== vcpu)) return { kind: 'none' };
    }
  }
  return { kind: 'dedicated' };
}

const isHypervisorVcpu = (topology: Topology, hv: number): boolean =>
  Number.isInteger(hv) && hv >= 0 && hv < topology.hypervisor.vcpus;

/** Same decision as supplyForGuestVcpu, with the per-hypervisor-vCPU pin counts precomputed. */
function supplyWithCounts(topology: Topology, guest: Guest, vcpu: number, pinCounts: Map<number, number>): Supply {
  if (guest.vcpuServer !== undefined) {
    return { kind: 'server', periodUs: guest.vcpuServer.periodUs, budgetUs: guest.vcpuServer.budgetUs };
  }
  const hv = guest.pin[vcpu];
  if (hv === undefined || !isHypervisorVcpu(topology, hv)) return { kind: 'none' };
  return pinCounts.get(hv) === 1 ? { kind: 'dedicated' } : { kind: 'none' };
}

// ── Whole-topology analysis ─────────────────────────────────────────────────────────────────────

/** Orders tasks of one guest by vcpu ascending, then priority descending, then name (code units). */
const byVcpuPriorityName = (a: Task, b: Task): number => {
  const va = taskVcpu(a);
  const vb = taskVcpu(b);
  if (va !== vb) return va - vb;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

/** Analyses every guest vCPU that has tasks; ordered by guest order then vcpu ascending, tasks by
 * priority descending then name.
 * - hp(i) = the other tasks on the same guest vCPU with priority ≥ p_i. Equal priorities are an
 *   error diagnosed elsewhere; here they are treated pessimistically: each interferes with the
 *   other (both are analysed as if they were the lower one).
 * - Tasks whose `vcpu` is not a vCPU of their guest are skipped (diagnosed elsewhere).
 * - The deadline checked is D_i = deadlineUs ?? periodUs. A deadline above the period (invalid,
 *   diagnosed elsewhere) is checked against min(D_i, T_i): the single-job analysis is only sound
 *   when each job completes before its successor is released. */
export function analyseSchedulability(topology: Topology, platform: { readonly interruptPathUs: number } = { interruptPathUs: 0 }): VcpuSchedulability[] {
  const jitter = platform.interruptPathUs;
  const out: VcpuSchedulability[] = [];
  const guests = topology.guests;

  let maxTasks = 0;
  let anyTasks = false;
  for (const guest of guests) {
    const count = guest.tasks?.length ?? 0;
    if (count > 0) anyTasks = true;
    if (count > maxTasks) maxTasks = count;
  }
  if (!anyTasks) return out;

  const pinCounts = new Map<number, number>();
  for (const guest of guests) {
    for (const hv of guest.pin) pinCounts.set(hv, (pinCounts.get(hv) ?? 0) + 1);
  }

  // Scratch arrays shared by every vCPU of this call: hp periods/wcets in priority order.
  const periods = new Float64Array(maxTasks);
  const wcets = new Float64Array(maxTasks);
  const decoded = { kind: 0, period: 0, budget: 0 };

  for (const guest of guests) {
    const tasks = guest.tasks;
    if (tasks === undefined || tasks.length === 0) continue;
    const sorted: Task[] = [];
    for (const task of tasks) if (isVcpuIndex(guest, taskVcpu(task))) sorted.push(task);
    if (sorted.length === 0) continue;
    sorted.sort(byVcpuPriorityName);

    let start = 0;
    while (start < sorted.length) {
      const vcpu = taskVcpu(sorted[start]!);
      let end = start + 1;
      while (end < sorted.length && taskVcpu(sorted[end]!) === vcpu) end++;
      const n = end - start;

      const supply = supplyWithCounts(topology, guest, vcpu, pinCounts);
      decodeSupply(supply, decoded);
      for (let j = 0; j < n; j++) {
        const t = sorted[start + j]!;
        periods[j] = t.periodUs;
        wcets[j] = t.wcetUs;
      }

      const results: TaskResult[] = new Array<TaskResult>(n);
      let groupEnd = 0; // end (exclusive) of the current equal-priority group
      for (let i = 0; i < n; i++) {
        const task = sorted[start + i]!;
        if (i >= groupEnd) {
          groupEnd = i + 1;
          while (groupEnd < n && sorted[start + groupEnd]!.priority === task.priority) groupEnd++;
        }
        const deadline = taskDeadline(task);
        const bound = deadline < task.periodUs ? deadline : task.periodUs;
        let responseTimeUs: number | null = null;
        let reason: TaskResult['reason'];
        if (decoded.kind === KIND_NONE) {
          reason = 'no-guaranteed-supply';
        } else {
          const r = rtaCore(task.wcetUs, bound, periods, wcets, groupEnd, i, decoded.kind, decoded.period, decoded.budget, jitter, n);
          if (r < 0) reason = 'deadline-miss';
          else responseTimeUs = r;
        }
        const result: TaskResult = {
          name: task.name,
          priority: task.priority,
          periodUs: task.periodUs,
          wcetUs: task.wcetUs,
          deadlineUs: deadline,
          responseTimeUs,
          schedulable: responseTimeUs !== null,
          slackUs: responseTimeUs === null ? null : deadline - responseTimeUs,
        };
        if (reason !== undefined) result.reason = reason;
        results[i] = result;
      }
      out.push({ guest: guest.name, vcpu, supply, interruptPathUs: jitter, tasks: results });
      start = end;
    }
  }
  return out;
}

// ── Attribution ─────────────────────────────────────────────────────────────────────────────────

/** What a worst-case response time consists of (same fixed point as `responseTime`, µs). */
export type ResponseTerms = {
  responseTimeUs: number;
  /** The task's own WCET. */
  executionUs: number;
  /** Higher-priority jobs released in the window. */
  interferenceUs: number;
  /** The platform's interrupt path: the job's own release delay J plus J per other release in the window. */
  platformUs: number;
  /** Time the supply withholds the CPU (server blackout); 0 on a dedicated vCPU. */
  supplyDelayUs: number;
};

/** `responseTime` with its terms, without the deadline cut-off: the fixed point up to `limitUs`
 * (null beyond it, or without guaranteed supply). Not on the editor's hot path. */
export function responseTimeTerms(
  task: { wcetUs: number },
  higher: ReadonlyArray<{ periodUs: number; wcetUs: number }>,
  supply: Supply,
  platform: { readonly interruptPathUs: number; readonly lower?: ReadonlyArray<{ periodUs: number }> },
  limitUs: number,
): ResponseTerms | null {
  if (supply.kind === 'none') return null;
  const j = platform.interruptPathUs;
  const lower = platform.lower ?? [];
  let w = task.wcetUs;
  for (;;) {
    let interference = 0;
    let releases = 0;
    for (const h of higher) {
      const k = Math.ceil((w + j) / h.periodUs);
      interference += k * h.wcetUs;
      releases += k;
    }
    for (const l of lower) releases += Math.ceil((w + j) / l.periodUs);
    const demand = task.wcetUs + interference + releases * j;
    const next = tbf(supply, demand);
    if (!Number.isFinite(next) || next + j > limitUs) return null;
    if (next <= w) {
      return { responseTimeUs: w + j, executionUs: task.wcetUs, interferenceUs: interference, platformUs: j + releases * j, supplyDelayUs: w - demand };
    }
    w = next;
  }
}
