// The events the guest agents print on their consoles (guest/init.sh at every level, the run's
// launcher, vsock-probe's relay in L1): one line `@{"e":"<name>","u":<uptime s>,...}`, which
// src/core/node/run/demux.ts turns into a name and a payload. This module is the protocol's source of
// truth (docs/architecture.md "Agent events"): one zod schema per event name, strict on types and on
// keys; a field is optional only where the agent legitimately leaves it out (`${x:+...}` in the
// shell, a level that does not print it, or transcripts of older agent builds). The rtos guest's own
// events (ready, hb, task, hist, bye, err, panic, fault on an os: rtos guest's route) are typed by
// src/core/common/rtos/console.ts, not here. Pure.
//
// Units: "u" seconds of the printing level's uptime (/proc/uptime); mt/ma/r KiB; ms milliseconds;
// cyclictest figures µs. Guest indexes (g, and the k/i of channel probes) index the topology's guests
// and the channel plan (src/core/node/stack/channels.ts).
import { z } from 'zod';

const count = z.number().int().min(0);
const seconds = z.number().min(0);
/** The printing level's uptime at the event, s (`ev` in guest/init.sh prints it on every event). */
const u = seconds;
/** 1 = yes, 0 = no (shell tests). */
const flag = z.literal([0, 1]);
/** A process exit status ($?). */
const exitCode = count.max(255);
/** Index of a guest in the topology (L1 numbers its guests 0..n-1). */
const guest = count;
/** vCPU index → a string (taskset's affinity mask in hex, nb-sched's policy line). */
const perVcpu = z.record(z.string().regex(/^\d+$/), z.string());

// ── every level ────────────────────────────────────────────────────────────────────────────────

/** First line of every agent (L0, L1, each Linux guest). */
export const initEventSchema = z.strictObject({
  e: z.literal('init'),
  u,
  /** Uptime when /init started: kernel start → init, s. */
  u0: seconds,
  /** The kernel's release (/proc/sys/kernel/osrelease), e.g. 7.3.4-lean; absent in older agents. */
  k: z.string().regex(/^[\w.+~-]{1,64}$/).optional(),
});
/** L0 and L1 after their evidence (with n), a Linux guest when its agent is up (with vs in
 * orchestrated runs). */
export const readyEventSchema = z.strictObject({
  e: z.literal('ready'),
  u,
  /** MemTotal, MemAvailable, KiB. */
  mt: count,
  ma: count,
  /** L2, orchestrated runs: vsock modules loaded (of 3). */
  vs: count.optional(),
  /** L0, L1: CPUs. */
  n: count.min(1).optional(),
});
/** The CPU features: the full list (L0, or a level without its parent's list) or the difference to
 * the parent level's list ("+x" added, "-y" removed, space-separated). Exactly one of f, d. */
export const cpuEventSchema = z
  .strictObject({ e: z.literal('cpu'), u, f: z.string().optional(), d: z.string().optional() })
  .refine((v) => (v.f === undefined) !== (v.d === undefined), { message: 'exactly one of the fields "f" (feature list) and "d" (difference) must be present' });
/** A VMM was started: L0's for L1 (no g), L1's for guest g. */
export const vmstartEventSchema = z.strictObject({ e: z.literal('vmstart'), u, g: guest.optional() });
/** A VMM exited, printed by the level that started it (a literal echo: no uptime), relayed on the
 * route of the VM it ran: level 1 = L1's VMM, level 2 = that guest's. */
export const vmexitEventSchema = z.strictObject({ e: z.literal('vmexit'), rc: exitCode });
/** L0, L1: the agent is done (its VMs exited). */
export const doneEventSchema = z.strictObject({ e: z.literal('done'), u });

// ── L0 and L1: evidence, housekeeping, samples ──────────────────────────────────────────────────

/** One KVM line of dmesg (quotes and backslashes removed). */
export const kvmEventSchema = z.strictObject({ e: z.literal('kvm'), u, m: z.string() });
/** Whether /dev/kvm exists. */
export const kvmdevEventSchema = z.strictObject({ e: z.literal('kvmdev'), u, ok: flag });
/** L0: the CPUs of its housekeeping ("all", or a cpuset list such as "2-3" or "0,2"). */
export const hkEventSchema = z.strictObject({ e: z.literal('hk'), u, c: z.string() });
/** L0: the affinity of each of L1's vCPU threads after pinning. */
export const l1pinEventSchema = z.strictObject({ e: z.literal('l1pin'), u, m: perVcpu });
/** A periodic sample: KVM exit counters under short keys (collector.ts KVM_KEYS) and the RSS of the
 * VMMs below (L0: L1's; L1: each guest's, by index; 0 = gone). */
export const sampleEventSchema = z.strictObject({ e: z.literal('s'), u, k: z.record(z.string(), count), r: z.array(count) });
/** The run's payload arrived: at L0 from its fw_cfg file (n: bytes, copied onto L1's disk), at L1 on
 * that disk (ok 0: L1 has no disk, the run stops). */
export const cdiskEventSchema = z.strictObject({ e: z.literal('cdisk'), u, ok: flag, n: count.optional() });
/** L0 and L1 are booted and wait for the run's payload: the moment a warm stack is snapshotted
 * (src/core/node/run/warm-stack.ts). */
export const pwaitEventSchema = z.strictObject({ e: z.literal('pwait'), u });

// ── L1 (the guest hypervisor, or the launcher that runs its part) ──────────────────────────────

/** L1 found no payload (the launcher and the guests' images) on its disk, and stops. */
export const payloadEventSchema = z.strictObject({ e: z.literal('payload'), u, ok: flag });
/** First line of the run's launcher. */
export const launchEventSchema = z.strictObject({
  e: z.literal('launch'),
  u,
  /** Launcher protocol version. */
  v: count.min(1),
  /** Guests it starts. */
  n: count,
});
/** A reserved CPU made a cpuset partition: its state as read back ("root", or why not). */
export const partEventSchema = z.strictObject({ e: z.literal('part'), u, c: count, st: z.string() });
/** Orchestrated runs: vsock/vhost modules loaded and whether /dev/vhost-vsock exists. */
export const vskEventSchema = z.strictObject({ e: z.literal('vsk'), u, m: count, dev: flag });
/** A phase of an orchestrated run begins; g = the guest of the spatial probe or the planned fault. */
export const phaseEventSchema = z.strictObject({
  e: z.literal('ph'),
  u,
  p: z.enum(['probe', 'idle', 'stress', 'spatial', 'fault', 'end']),
  g: guest.optional(),
});
/** A control word that guest g did not acknowledge. */
export const ctlerrEventSchema = z.strictObject({ e: z.literal('ctlerr'), u, g: guest, c: z.string() });
/** Guest g's vCPU threads pinned and its reservation applied, read back. */
export const pinEventSchema = z.strictObject({
  e: z.literal('pin'),
  u,
  g: guest,
  /** vCPU → affinity mask (hex). */
  m: perVcpu,
  /** vCPU → nb-sched get ("<policy> <prio> <runtime_us> <deadline_us> <period_us>"). Optional with
   * k, ok and r: absent in transcripts of older agent builds (test/fixtures/console-two-guests.log). */
  s: perVcpu.optional(),
  /** Reservation kind: d deadline, c cpu.max cap, p dedicated partition, o none. */
  k: z.enum(['d', 'c', 'p', 'o']).optional(),
  /** Whether the reservation was applied. */
  ok: flag.optional(),
  /** d: nb-sched's error; c: cpu.max as read back. Only when not empty. */
  q: z.string().optional(),
  /** The guest VMM's RSS, KiB (0 = gone). */
  r: count.optional(),
});
/** os: custom guests: the archive unpacked into /c (entries at its top). */
export const cunpackEventSchema = z.strictObject({ e: z.literal('cunpack'), u, n: count });
/** os: custom guest g printed its ready line. */
export const creadyEventSchema = z.strictObject({ e: z.literal('cready'), u, g: guest });
/** os: custom guest g's VMM exited; st = L1 stopped it after its hold time. */
export const cexitEventSchema = z.strictObject({ e: z.literal('cexit'), u, g: guest, rc: exitCode, st: flag });
/** vsock-probe's relay in L1 (guest/tools/vsock-probe.c), one per connection: a = up (p = number of
 * forwarding rules), nolisten, deny, end, fail, fwd (p = port, f = from CID, t = to CID). Printed by
 * the C tool, not by `ev`: no uptime (accepted when present). */
export const relayEventSchema = z.strictObject({
  e: z.literal('rly'),
  u: u.optional(),
  a: z.enum(['up', 'nolisten', 'deny', 'end', 'fail', 'fwd']),
  p: count,
  f: count,
  t: count,
});

// ── L1 and L2: channel probes ────────────────────────────────────────────────────────────────────

/** A declared channel probed (by its from guest, or by L1 for an rtos from): k = channel index,
 * r = vsock-probe's status (echo, closed, reset, refused, timeout, mismatch, err<errno>; empty when
 * the tool printed nothing), n = attempts, ms = time taken. */
export const channelEventSchema = z.strictObject({ e: z.literal('ch'), u, k: count, r: z.string(), n: count, ms: count });

// ── L2 (a Linux guest's agent) ─────────────────────────────────────────────────────────────────

/** An undeclared connection attempted directly (i = attempt index in the channel plan). */
export const undeclaredEventSchema = z.strictObject({ e: z.literal('ux'), u, i: count, r: z.string(), ms: count });
/** The guest's channel probes are done. */
export const channelsDoneEventSchema = z.strictObject({ e: z.literal('chd'), u });
/** The spatial probe: a read of an unbacked guest-physical address (a, hex) through /dev/mem. */
export const spatialEventSchema = z.strictObject({ e: z.literal('sp'), u, a: z.string(), rc: exitCode, v: z.string() });
/** The stress load started: c busy loops, m MiB written in a loop. */
export const stressEventSchema = z.strictObject({ e: z.literal('stress'), u, c: count, m: count });
/** cyclictest started. */
export const cyclictestStartEventSchema = z.strictObject({ e: z.literal('cyc0'), u });
/** cyclictest's figures, µs; h = [bucket upper bound (a power of 2), samples]. Only min is certain:
 * when the histogram file cannot be read the agent prints `"min":0` alone. */
export const cyclictestEventSchema = z.strictObject({
  e: z.literal('cyc'),
  u,
  rc: exitCode,
  min: count,
  avg: count.optional(),
  max: count.optional(),
  of: count.optional(),
  h: z.array(z.tuple([count, count])).optional(),
});
/** The planned fault: the guest is about to panic. */
export const panickingEventSchema = z.strictObject({ e: z.literal('panicking'), u });
/** Answer to L1's ping. */
export const aliveEventSchema = z.strictObject({ e: z.literal('alive'), u });
/** Last line before power-off: memory again and the CPU-feature difference again (a console line
 * can lose its start). d: absent in transcripts of older agent builds. */
export const byeEventSchema = z.strictObject({ e: z.literal('bye'), u, mt: count, ma: count, d: z.string().optional() });

export const agentEventSchema = z.discriminatedUnion('e', [
  initEventSchema,
  readyEventSchema,
  cpuEventSchema,
  vmstartEventSchema,
  vmexitEventSchema,
  doneEventSchema,
  kvmEventSchema,
  kvmdevEventSchema,
  hkEventSchema,
  l1pinEventSchema,
  sampleEventSchema,
  cdiskEventSchema,
  pwaitEventSchema,
  payloadEventSchema,
  launchEventSchema,
  partEventSchema,
  vskEventSchema,
  phaseEventSchema,
  ctlerrEventSchema,
  pinEventSchema,
  cunpackEventSchema,
  creadyEventSchema,
  cexitEventSchema,
  relayEventSchema,
  channelEventSchema,
  undeclaredEventSchema,
  channelsDoneEventSchema,
  spatialEventSchema,
  stressEventSchema,
  cyclictestStartEventSchema,
  cyclictestEventSchema,
  panickingEventSchema,
  aliveEventSchema,
  byeEventSchema,
]);
export type AgentEvent = z.infer<typeof agentEventSchema>;
export type AgentEventName = AgentEvent['e'];

type AgentEventSchema = (typeof agentEventSchema.options)[number];
const BY_NAME: ReadonlyMap<string, AgentEventSchema> = new Map(agentEventSchema.options.map((s) => [s.shape.e.value, s]));

export const AGENT_EVENT_NAMES: readonly AgentEventName[] = agentEventSchema.options.map((s) => s.shape.e.value);

/** The fields an event may carry (besides e), or undefined for a name that is not an agent event. */
export const agentEventFields = (name: string): readonly string[] | undefined => {
  const s = BY_NAME.get(name);
  return s ? Object.keys(s.shape).filter((k) => k !== 'e') : undefined;
};

export type AgentEventParse = { readonly ok: true; readonly event: AgentEvent } | { readonly ok: false; readonly reason: string };

const shown = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
};

const at = (data: Readonly<Record<string, unknown>>, path: readonly PropertyKey[]): unknown =>
  path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), data);

/** One zod issue as `field "x" = 2: expected …`, `field "x" is missing`, `unexpected field "y"`. */
const issueText = (i: z.core.$ZodIssue, data: Readonly<Record<string, unknown>>): string => {
  if (i.code === 'unrecognized_keys') return `unexpected field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${[...i.path, k].join('.')}"`).join(', ')}`;
  if (i.path.length === 0) return i.message;
  const name = (path: readonly PropertyKey[]): string => `field "${path.map(String).join('.')}"`;
  if (i.code === 'invalid_key') return `${name(i.path.slice(0, -1))} has an invalid key ${shown(i.path[i.path.length - 1])}`;
  const v = at(data, i.path);
  if (v === undefined) return `${name(i.path)} is missing`;
  return `${name(i.path)} = ${shown(v)}: ${i.message.replace(/^(Invalid (input|option)|Too (small|big)): /, '').replace(/, received \w+$/, '')}`;
};

/**
 * One demultiplexed agent event (name + payload without "e", as src/core/node/run/demux.ts gives
 * it), typed; or why not, naming the event and the field: "pin: field "ok" = 2: expected one of
 * 0|1", "ready: field "mt" is missing", "zz: unknown event".
 */
export const parseAgentEvent = (name: string, data: Readonly<Record<string, unknown>>): AgentEventParse => {
  const schema = BY_NAME.get(name);
  if (!schema) return { ok: false, reason: `${name.length > 40 ? `${name.slice(0, 39)}…` : name}: unknown event` };
  const r = schema.safeParse({ ...data, e: name });
  if (r.success) return { ok: true, event: r.data };
  const problems = r.error.issues.slice(0, 3).map((i) => issueText(i, data));
  const more = r.error.issues.length > 3 ? `; and ${r.error.issues.length - 3} more` : '';
  return { ok: false, reason: `${name}: ${problems.join('; ')}${more}` };
};
