// The rtos guest's console protocol (docs/rtos.md "Output"): one JSON object per line after "@",
// the same event framing as guest/init.sh ("@{"e":"<name>","u":<s>,...}"), so the runner's demux
// (src/core/node/run/demux.ts) passes these lines through unchanged. This module types them
// (zod, strict: a field the guest does not write is a protocol error) and folds a run into one
// result. Pure.
//
// Units: "u"/"u0" seconds of guest virtual time (the virtual counter, 0 at VM creation), 6
// decimals; rn/rx/rp µs, rounded up; jx/sx/lx/lp/g/w/sl ns; st bytes; mt/ma KiB.
import { z } from 'zod';
import { guestNamePattern } from '../model/topology.js';

const count = z.number().int().min(0);
const seconds = z.number().min(0);
const hex = z.string().regex(/^0x[0-9a-f]{1,16}$/);

export const rtosReadySchema = z.strictObject({
  e: z.literal('ready'),
  /** Scheduler start (t0), s. */
  u: seconds,
  /** First instruction of the guest, s. */
  u0: seconds,
  /** Tasks. */
  n: count,
  /** vCPUs running tasks. */
  v: count.min(1),
  /** CNTFRQ_EL0, Hz. */
  hz: count.min(1),
  /** Busy-loop guard, ns: each job executes [wcetUs − g, wcetUs]. */
  g: count,
  mt: count,
  ma: count,
});
export const rtosHeartbeatSchema = z.strictObject({
  e: z.literal('hb'),
  u: seconds,
  /** Sequence number, 1, 2, … (a gap means the background could not print in time). */
  n: count.min(1),
  /** Jobs completed so far, all tasks. */
  c: count,
  /** Deadline misses so far, all tasks. */
  m: count,
  /** Stolen time so far, ns (all vCPUs); absent in transcripts of older rtos builds. */
  sl: count.optional(),
  /** Worst timer-interrupt latency since the previous heartbeat, ns. */
  lw: count.optional(),
});
export const rtosTaskSchema = z.strictObject({
  e: z.literal('task'),
  u: seconds,
  n: z.string().regex(guestNamePattern),
  /** Jobs released. */
  k: count,
  /** Jobs completed. */
  c: count,
  /** Deadline misses. */
  m: count,
  /** Response time min / max / 99th percentile (histogram upper bound, ≤ max), µs rounded up. */
  rn: count,
  rx: count,
  rp: count,
  /** Release jitter max (timer-interrupt handling − nominal release), ns. */
  jx: count,
  /** Start latency max (first instruction of a job − nominal release), ns. */
  sx: count,
});
export const rtosHistogramSchema = z.strictObject({
  e: z.literal('hist'),
  u: seconds,
  n: z.string().regex(guestNamePattern),
  /** Bucket width, ns; bucket i = [i·w, (i+1)·w), bucket 128 = everything above. */
  w: count.min(1),
  h: z.array(z.tuple([count.max(128), count.min(1)])),
});
export const rtosByeSchema = z.strictObject({
  e: z.literal('bye'),
  u: seconds,
  c: count,
  m: count,
  /** Timer-interrupt latency max and p99 (CNTVCT at the handler − CNTV_CVAL), ns. */
  lx: count,
  lp: count,
  /** Timer-interrupt latency min, ns: the platform's interrupt path undisturbed (absent in
   * transcripts of rtos builds before it was added). */
  ln: count.optional(),
  /** Deepest stack use of any vCPU, bytes. */
  st: count,
  /** Stolen time, ns: virtual time during which the vCPU did not run (gaps in a job's busy loop,
   * late timer deliveries), not charged to any job. */
  sl: count,
  mt: count,
  ma: count,
});
export const rtosErrorSchema = z.strictObject({ e: z.literal('err'), u: seconds, m: z.string() });
export const rtosPanicSchema = z.strictObject({ e: z.literal('panic'), u: seconds, m: z.string() });
export const rtosFaultSchema = z.strictObject({ e: z.literal('fault'), u: seconds, k: count.max(15), esr: hex, elr: hex, far: hex });

export const rtosEventSchema = z.discriminatedUnion('e', [
  rtosReadySchema,
  rtosHeartbeatSchema,
  rtosTaskSchema,
  rtosHistogramSchema,
  rtosByeSchema,
  rtosErrorSchema,
  rtosPanicSchema,
  rtosFaultSchema,
]);
export type RtosEvent = z.infer<typeof rtosEventSchema>;
export type RtosEventName = RtosEvent['e'];
export const RTOS_EVENT_NAMES: readonly RtosEventName[] = ['ready', 'hb', 'task', 'hist', 'bye', 'err', 'panic', 'fault'];

export type RtosLine =
  | { readonly kind: 'event'; readonly event: RtosEvent }
  /** Looked like an event ("@{…}") but is not a valid rtos event. */
  | { readonly kind: 'invalid'; readonly text: string; readonly problem: string }
  | { readonly kind: 'text'; readonly text: string };

/** Route prefixes added by the levels that relay a guest's console ("1|", "2.<i>|"). */
const ROUTE = /^(?:\d+(?:\.\d+)?\|)+/;

const issueText = (e: z.ZodError): string =>
  e.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

/** One demultiplexed event (name + payload, as src/core/node/run/demux.ts produces it). */
export const parseRtosEvent = (name: string, data: Readonly<Record<string, unknown>>): RtosLine => {
  const r = rtosEventSchema.safeParse({ e: name, ...data });
  if (r.success) return { kind: 'event', event: r.data };
  return { kind: 'invalid', text: JSON.stringify({ e: name, ...data }), problem: issueText(r.error) };
};

/** One console line; a route prefix is skipped, a trailing CR ignored. */
export const parseRtosLine = (raw: string): RtosLine => {
  const line = raw.replace(/\r$/, '').replace(ROUTE, '');
  if (!line.startsWith('@{')) return { kind: 'text', text: line };
  let data: unknown;
  try {
    data = JSON.parse(line.slice(1));
  } catch {
    return { kind: 'invalid', text: line, problem: 'not JSON (a cut or interleaved line)' };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { kind: 'invalid', text: line, problem: 'not a JSON object' };
  const r = rtosEventSchema.safeParse(data);
  if (r.success) return { kind: 'event', event: r.data };
  return { kind: 'invalid', text: line, problem: issueText(r.error) };
};

// ── one run, folded ─────────────────────────────────────────────────────────────────────────────

export interface RtosTaskResult {
  readonly name: string;
  readonly released: number;
  readonly completed: number;
  readonly deadlineMisses: number;
  /** Observed response times, µs of guest virtual time, rounded up. */
  readonly responseMinUs: number;
  readonly responseMaxUs: number;
  readonly responseP99Us: number;
  readonly releaseJitterMaxNs: number;
  readonly startLatencyMaxNs: number;
  /** When the guest was started with nb_hist=1. */
  readonly histogram?: { readonly bucketNs: number; readonly buckets: readonly (readonly [index: number, count: number])[] };
}

export type RtosOutcome =
  /** bye seen: the run completed and the guest powered off. */
  | 'completed'
  /** the guest rejected its parameters or its platform (err). */
  | 'error'
  /** the test hook fired (panic) or the guest took an unexpected exception (fault). */
  | 'crashed'
  /** the console ended before bye. */
  | 'incomplete';

export interface RtosRunResult {
  readonly outcome: RtosOutcome;
  readonly ready?: {
    readonly atS: number;
    readonly firstInstructionS: number;
    readonly tasks: number;
    readonly vcpus: number;
    readonly counterHz: number;
    readonly guardNs: number;
    readonly memTotalKiB: number;
    readonly memAvailableKiB: number;
  };
  readonly heartbeats: {
    readonly count: number;
    /** Sequence numbers not seen (the background was starved or output was lost). */
    readonly missingSeq: number;
    /** Largest interval between consecutive heartbeats, or from ready to the first one, s of guest time. */
    readonly maxGapS: number | null;
    readonly lastS: number | null;
  };
  readonly tasks: readonly RtosTaskResult[];
  readonly end?: {
    readonly atS: number;
    readonly completed: number;
    readonly deadlineMisses: number;
    readonly timerLatencyMaxNs: number;
    readonly timerLatencyP99Ns: number;
    readonly timerLatencyMinNs?: number;
    readonly stackMaxBytes: number;
    readonly stolenNs: number;
    readonly memTotalKiB: number;
    readonly memAvailableKiB: number;
  };
  readonly error?: string;
  readonly crash?: { readonly atS: number; readonly kind: 'panic' | 'fault'; readonly detail: string };
  /** Protocol problems (invalid lines, duplicates, events out of order); empty for a clean run. */
  readonly problems: readonly string[];
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Folds the rtos events of one guest, in console order, into its result. */
export const summarizeRtosRun = (events: readonly RtosEvent[], invalid: readonly string[] = []): RtosRunResult => {
  const problems = [...invalid];
  let ready: RtosRunResult['ready'];
  let end: RtosRunResult['end'];
  let error: string | undefined;
  let crash: RtosRunResult['crash'];
  const tasks = new Map<string, RtosTaskResult>();
  const hist = new Map<string, { bucketNs: number; buckets: [number, number][] }>();
  let hbCount = 0;
  let lastSeq = 0;
  let missing = 0;
  let lastHb: number | null = null;
  let maxGap: number | null = null;
  for (const ev of events) {
    switch (ev.e) {
      case 'ready':
        if (ready) problems.push('a second ready line');
        ready = { atS: ev.u, firstInstructionS: ev.u0, tasks: ev.n, vcpus: ev.v, counterHz: ev.hz, guardNs: ev.g, memTotalKiB: ev.mt, memAvailableKiB: ev.ma };
        break;
      case 'hb': {
        if (!ready) problems.push(`heartbeat ${ev.n} before ready`);
        if (ev.n <= lastSeq) problems.push(`heartbeat ${ev.n} after ${lastSeq}`);
        else missing += ev.n - lastSeq - 1;
        lastSeq = Math.max(lastSeq, ev.n);
        const prev = lastHb ?? ready?.atS;
        if (prev !== undefined) maxGap = round6(Math.max(maxGap ?? 0, ev.u - prev));
        lastHb = ev.u;
        hbCount++;
        break;
      }
      case 'task':
        if (tasks.has(ev.n)) problems.push(`a second summary for task ${ev.n}`);
        if (ev.c > ev.k) problems.push(`task ${ev.n}: ${ev.c} jobs completed of ${ev.k} released`);
        tasks.set(ev.n, {
          name: ev.n,
          released: ev.k,
          completed: ev.c,
          deadlineMisses: ev.m,
          responseMinUs: ev.rn,
          responseMaxUs: ev.rx,
          responseP99Us: ev.rp,
          releaseJitterMaxNs: ev.jx,
          startLatencyMaxNs: ev.sx,
        });
        break;
      case 'hist': {
        const h = hist.get(ev.n) ?? { bucketNs: ev.w, buckets: [] };
        h.buckets.push(...ev.h.map(([i, c]) => [i, c] as [number, number]));
        hist.set(ev.n, h);
        break;
      }
      case 'bye':
        end = { atS: ev.u, completed: ev.c, deadlineMisses: ev.m, timerLatencyMaxNs: ev.lx, timerLatencyP99Ns: ev.lp, ...(ev.ln !== undefined ? { timerLatencyMinNs: ev.ln } : {}), stackMaxBytes: ev.st, stolenNs: ev.sl, memTotalKiB: ev.mt, memAvailableKiB: ev.ma };
        break;
      case 'err':
        error = ev.m;
        break;
      case 'panic':
        crash = { atS: ev.u, kind: 'panic', detail: ev.m };
        break;
      case 'fault':
        crash = { atS: ev.u, kind: 'fault', detail: `exception vector ${ev.k}, ESR ${ev.esr}, ELR ${ev.elr}, FAR ${ev.far}` };
        break;
    }
  }
  const taskList = [...tasks.values()].map((t) => {
    const h = hist.get(t.name);
    return h ? { ...t, histogram: { bucketNs: h.bucketNs, buckets: h.buckets } } : t;
  });
  for (const name of hist.keys()) if (!tasks.has(name)) problems.push(`histogram for unknown task ${name}`);
  if (end && ready && taskList.length !== ready.tasks) problems.push(`${taskList.length} task summaries, ready announced ${ready.tasks}`);
  if (end) {
    const c = taskList.reduce((a, t) => a + t.completed, 0);
    const m = taskList.reduce((a, t) => a + t.deadlineMisses, 0);
    if (c !== end.completed || m !== end.deadlineMisses) problems.push(`bye totals (${end.completed} jobs, ${end.deadlineMisses} misses) differ from the task summaries (${c}, ${m})`);
  }
  const outcome: RtosOutcome = error !== undefined ? 'error' : crash ? 'crashed' : end ? 'completed' : 'incomplete';
  return {
    outcome,
    ...(ready ? { ready } : {}),
    heartbeats: { count: hbCount, missingSeq: missing, maxGapS: maxGap, lastS: lastHb },
    tasks: taskList,
    ...(end ? { end } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(crash ? { crash } : {}),
    problems,
  };
};

/** Parses a whole console transcript of one rtos guest (other text is skipped). */
export const parseRtosConsole = (text: string): { readonly events: readonly RtosEvent[]; readonly result: RtosRunResult } => {
  const events: RtosEvent[] = [];
  const invalid: string[] = [];
  for (const raw of text.split('\n')) {
    const l = parseRtosLine(raw);
    if (l.kind === 'event') events.push(l.event);
    else if (l.kind === 'invalid') invalid.push(`invalid line ${JSON.stringify(l.text.slice(0, 120))}: ${l.problem}`);
  }
  return { events, result: summarizeRtosRun(events, invalid) };
};
