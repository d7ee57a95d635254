// The kernel command line of the rtos guest (guest/rtos, docs/rtos.md "Parameters"): generated here
// from validated values only, and decoded by the same grammar for tests and diagnostics. Pure.
//
//   nb_tasks=<task>[,<task>...]   task = name:periodUs:wcetUs:[deadlineUs]:priority[:vcpu]
//   nb_runms=<1..1000000>         run length, ms of guest virtual time (default 1000, or nb_hold×1000)
//   nb_hbms=<0..60000>            heartbeat period, ms (default 250; 0 = none)
//   nb_panic_after_ms=<0..1000000> test hook: crash this many ms after the scheduler start
//   nb_panic=<0|1>                same as nb_panic_after_ms=0 (the runner's Linux-guest hook)
//   nb_panic_mode=hang|off|reset  what the crash does (default hang)
//   nb_hist=<0|1>                 also emit per-task response-time histograms
//   nb_idle=wfi|spin              idle by WFI (default) or by spinning (see docs/rtos.md)
//   nb_con_gate=<0|1>             console writes only in slack while the scheduler runs (default 1)
//   nb_con_delay_us=<0..100000>   test knob: each console character also busy-waits this long,
//                                 interrupts masked (simulates a trapping console)
import { InputError } from '../model/errors.js';
import { guestNamePattern } from '../model/topology.js';

/** Limits of the guest (guest/rtos/rtos.h). */
export const RTOS_LIMITS = {
  maxTasks: 256,
  /** Tasks may use guest vCPUs 0..maxVcpus-1. */
  maxVcpus: 8,
  maxTimeUs: 1_000_000_000,
  maxRunMs: 1_000_000,
  maxHeartbeatMs: 60_000,
  maxPanicAfterMs: 1_000_000,
  maxConsoleDelayUs: 100_000,
  /** Bytes of /chosen/bootargs the guest accepts (QEMU -append puts it there; no Linux limit). */
  maxCmdlineBytes: 32_767,
} as const;

export const PANIC_MODES = ['hang', 'off', 'reset'] as const;
export type PanicMode = (typeof PANIC_MODES)[number];
export const IDLE_MODES = ['wfi', 'spin'] as const;
export type IdleMode = (typeof IDLE_MODES)[number];

export interface RtosTask {
  readonly name: string;
  readonly periodUs: number;
  readonly wcetUs: number;
  /** Defaults to periodUs. */
  readonly deadlineUs?: number;
  readonly priority: number;
  /** Defaults to 0. */
  readonly vcpu?: number;
}

export interface RtosParams {
  readonly tasks: readonly RtosTask[];
  /** Guest virtual time the task set runs, ms. */
  readonly runMs: number;
  /** Heartbeat period, ms; 0 = none. Default 250. */
  readonly heartbeatMs?: number;
  readonly panicAfterMs?: number;
  readonly panicMode?: PanicMode;
  readonly histogram?: boolean;
  readonly idle?: IdleMode;
  /** Default true. */
  readonly consoleGate?: boolean;
  /** Test knob. */
  readonly consoleDelayUs?: number;
}

const int = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

/** The rtos guest's nb_* words. Throws InputError for values the guest would reject (the topology
 * schema is wider than this guest: vcpu ≤ 63, 256 tasks per guest but not per vCPU, …). */
export const rtosCommandLineWords = (p: RtosParams): string[] => {
  const L = RTOS_LIMITS;
  if (p.tasks.length > L.maxTasks) throw new InputError(`rtos guest: ${p.tasks.length} tasks, the guest supports at most ${L.maxTasks}`);
  const seen = new Set<string>();
  const enc = p.tasks.map((t, i) => {
    const where = `rtos task ${i} ("${t.name}")`;
    if (!guestNamePattern.test(t.name)) throw new InputError(`${where}: name must match ${guestNamePattern.source}`);
    if (seen.has(t.name)) throw new InputError(`${where}: duplicate task name`);
    seen.add(t.name);
    const d = t.deadlineUs ?? t.periodUs;
    const v = t.vcpu ?? 0;
    if (!int(t.periodUs, 1, L.maxTimeUs) || !int(t.wcetUs, 1, L.maxTimeUs) || !int(d, 1, L.maxTimeUs)) {
      throw new InputError(`${where}: periodUs, wcetUs and deadlineUs must be integers 1..${L.maxTimeUs}`);
    }
    if (!(t.wcetUs <= d && d <= t.periodUs)) throw new InputError(`${where}: needs wcetUs ${t.wcetUs} ≤ deadlineUs ${d} ≤ periodUs ${t.periodUs}`);
    if (!int(t.priority, 1, 99)) throw new InputError(`${where}: priority ${t.priority} is not 1..99`);
    if (!int(v, 0, L.maxVcpus - 1)) throw new InputError(`${where}: vcpu ${v}, but the rtos guest runs tasks on vCPUs 0..${L.maxVcpus - 1} only`);
    return `${t.name}:${t.periodUs}:${t.wcetUs}:${d === t.periodUs ? '' : d}:${t.priority}${v === 0 ? '' : `:${v}`}`;
  });
  if (!int(p.runMs, 1, L.maxRunMs)) throw new InputError(`rtos guest: runMs ${p.runMs} is not 1..${L.maxRunMs}`);
  const words = [`nb_tasks=${enc.join(',')}`, `nb_runms=${p.runMs}`];
  if (p.heartbeatMs !== undefined) {
    if (!int(p.heartbeatMs, 0, L.maxHeartbeatMs)) throw new InputError(`rtos guest: heartbeatMs ${p.heartbeatMs} is not 0..${L.maxHeartbeatMs}`);
    words.push(`nb_hbms=${p.heartbeatMs}`);
  }
  if (p.panicAfterMs !== undefined) {
    if (!int(p.panicAfterMs, 0, L.maxPanicAfterMs)) throw new InputError(`rtos guest: panicAfterMs ${p.panicAfterMs} is not 0..${L.maxPanicAfterMs}`);
    words.push(`nb_panic_after_ms=${p.panicAfterMs}`);
  }
  if (p.panicMode !== undefined) words.push(`nb_panic_mode=${p.panicMode}`);
  if (p.histogram) words.push('nb_hist=1');
  if (p.idle !== undefined) words.push(`nb_idle=${p.idle}`);
  if (p.consoleGate !== undefined) words.push(`nb_con_gate=${p.consoleGate ? 1 : 0}`);
  if (p.consoleDelayUs !== undefined) {
    if (!int(p.consoleDelayUs, 0, L.maxConsoleDelayUs)) throw new InputError(`rtos guest: consoleDelayUs ${p.consoleDelayUs} is not 0..${L.maxConsoleDelayUs}`);
    words.push(`nb_con_delay_us=${p.consoleDelayUs}`);
  }
  const bytes = words.join(' ').length;
  if (bytes > L.maxCmdlineBytes) throw new InputError(`rtos guest: the command line would be ${bytes} bytes, the guest accepts ${L.maxCmdlineBytes}`);
  return words;
};

// ── decoding (the guest's grammar, for tests and for reading recorded command lines) ─────────────

const TASK = /^([a-z][a-z0-9-]{0,31}):(\d{1,10}):(\d{1,10}):(\d{0,10}):(\d{1,10})(?::(\d{1,10}))?$/;
const NUM = /^\d{1,10}$/;

export interface DecodedRtosParams {
  readonly tasks: readonly Required<RtosTask>[];
  readonly runMs: number;
  readonly heartbeatMs: number;
  readonly panicAfterMs?: number;
  readonly panicMode: PanicMode;
  readonly histogram: boolean;
  readonly idle: IdleMode;
  readonly consoleGate: boolean;
  readonly consoleDelayUs: number;
}
export type DecodeResult = { readonly ok: true; readonly params: DecodedRtosParams } | { readonly ok: false; readonly message: string };

/** Decodes a command line exactly as guest/rtos/params.c does (same defaults, same errors where
 * it matters); words that are not ours are ignored, a later word wins. `guestVcpus`: /cpus count. */
export const decodeRtosCommandLine = (cmdline: string, guestVcpus = 1): DecodeResult => {
  const L = RTOS_LIMITS;
  let tasksText: string | undefined;
  let runMs: number | undefined;
  let holdS = 0;
  let heartbeatMs = 250;
  let panicAfterMs: number | undefined;
  let panicMode: PanicMode = 'hang';
  let histogram = false;
  let idle: IdleMode = 'wfi';
  let consoleGate = true;
  let consoleDelayUs = 0;
  const bad = (message: string): DecodeResult => ({ ok: false, message });
  for (const w of cmdline.split(/[ \t\r\n]+/)) {
    const eq = w.indexOf('=');
    if (eq < 0) continue;
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    const n = NUM.test(v) ? Number(v) : NaN;
    switch (k) {
      case 'nb_tasks':
        tasksText = v;
        break;
      case 'nb_runms':
        if (!int(n, 1, L.maxRunMs)) return bad('nb_runms must be an integer 1..1000000');
        runMs = n;
        break;
      case 'nb_hold':
        if (int(n, 0, 1000)) holdS = n;
        break;
      case 'nb_hbms':
        if (!int(n, 0, L.maxHeartbeatMs)) return bad('nb_hbms must be an integer 0..60000');
        heartbeatMs = n;
        break;
      case 'nb_panic_after_ms':
        if (!int(n, 0, L.maxPanicAfterMs)) return bad('nb_panic_after_ms must be an integer 0..1000000');
        panicAfterMs = n;
        break;
      case 'nb_panic':
        if (!int(n, 0, 1)) return bad('nb_panic must be 0 or 1');
        panicAfterMs = n === 1 ? 0 : undefined;
        break;
      case 'nb_panic_mode':
        if (!(PANIC_MODES as readonly string[]).includes(v)) return bad('nb_panic_mode must be hang, off or reset');
        panicMode = v as PanicMode;
        break;
      case 'nb_hist':
        if (!int(n, 0, 1)) return bad('nb_hist must be 0 or 1');
        histogram = n === 1;
        break;
      case 'nb_idle':
        if (!(IDLE_MODES as readonly string[]).includes(v)) return bad('nb_idle must be wfi or spin');
        idle = v as IdleMode;
        break;
      case 'nb_con_gate':
        if (!int(n, 0, 1)) return bad('nb_con_gate must be 0 or 1');
        consoleGate = n === 1;
        break;
      case 'nb_con_delay_us':
        if (!int(n, 0, L.maxConsoleDelayUs)) return bad('nb_con_delay_us must be an integer 0..100000');
        consoleDelayUs = n;
        break;
      default:
        break;
    }
  }
  const tasks: Required<RtosTask>[] = [];
  const usable = Math.min(guestVcpus, L.maxVcpus);
  if (tasksText) {
    for (const [i, t] of tasksText.split(',').entries()) {
      if (i >= L.maxTasks) return bad('nb_tasks: more than 256 tasks');
      const m = TASK.exec(t);
      if (!m) return bad(`nb_tasks[${i}]: expected name:periodUs:wcetUs:[deadlineUs]:priority[:vcpu]`);
      const [, name, T, C, D, P, V] = m as unknown as [string, string, string, string, string, string, string | undefined];
      const period = Number(T);
      const wcet = Number(C);
      const deadline = D === '' ? period : Number(D);
      const prio = Number(P);
      const vcpu = V === undefined ? 0 : Number(V);
      if (!int(period, 1, L.maxTimeUs) || !int(wcet, 1, L.maxTimeUs) || !int(deadline, 1, L.maxTimeUs)) return bad(`nb_tasks[${i}]: times must be integers 1..1000000000`);
      if (!int(prio, 1, 99)) return bad(`nb_tasks[${i}]: priority must be an integer 1..99`);
      if (wcet > deadline) return bad(`nb_tasks[${i}]: wcetUs > deadlineUs`);
      if (deadline > period) return bad(`nb_tasks[${i}]: deadlineUs > periodUs`);
      if (vcpu >= usable) return bad(`nb_tasks[${i}]: vcpu ${vcpu} but the guest has ${usable} usable vCPU(s)`);
      if (tasks.some((x) => x.name === name)) return bad(`nb_tasks[${i}]: duplicate task name`);
      tasks.push({ name, periodUs: period, wcetUs: wcet, deadlineUs: deadline, priority: prio, vcpu });
    }
  }
  return {
    ok: true,
    params: {
      tasks,
      runMs: runMs ?? (holdS > 0 ? holdS * 1000 : 1000),
      heartbeatMs,
      ...(panicAfterMs !== undefined ? { panicAfterMs } : {}),
      panicMode,
      histogram,
      idle,
      consoleGate,
      consoleDelayUs,
    },
  };
};
