// Turns demultiplexed agent events (with host arrival times) into results and stage events. Pure:
// fed from the live console in a run and from recorded transcripts in tests. Each agent event is
// typed once by its schema (src/core/common/model/agent-events.ts); a malformed one is a warning.
import type { Guest, ValidTopology } from '../../common/model/topology.js';
import { threadSchedText, type GuestResult, type LevelResult, type RtosGuestResult, type ThreadSched } from '../../common/model/run-results.js';
import { assertNever } from '../../common/model/errors.js';
import { parseAgentEvent, type AgentEvent } from '../../common/model/agent-events.js';
import { parseRtosEvent, summarizeRtosRun, type RtosEvent } from '../../common/rtos/console.js';
import type { DemuxedLine } from './demux.js';
import { reservationOf, RTOS_HEARTBEAT_MS, rtosTaskName, type Reservation } from '../stack/plan.js';
import type { ChannelPlan } from '../stack/channels.js';

/** Probe outcome as the agent printed it: vsock-probe's status, attempts and ms. */
export interface ProbeRecord {
  readonly status: string;
  readonly attempts: number;
  readonly ms: number;
  readonly atMs: number;
}
export interface IsolationRecord {
  readonly phases: { name: string; atMs: number; l1UptimeS?: number; guest?: number }[];
  readonly relayLog: { action: string; port: number; fromCid: number; toCid: number; atMs: number }[];
  /** channel index → result (from the `from` guest, or from L1 for an rtos `from`). */
  readonly probes: Map<number, ProbeRecord>;
  readonly undeclared: Map<number, ProbeRecord>;
  /** guest index → host ms of each of its agent events. */
  readonly guestEventMs: Map<number, number[]>;
  /** rtos guest index → heartbeats with host arrival. */
  readonly heartbeats: Map<number, { u: number; n: number; c: number; m: number; sl?: number; lw?: number; atMs: number }[]>;
  /** guest index → first panic line seen on its console (host ms). */
  readonly panicLines: Map<number, { line: string; atMs: number }>;
  /** The spatial probe's report (isolation (b)). */
  spatial?: { guest: number; address: string; exitCode: number; value: string; atMs: number };
  l1VsockModules?: number;
  l1VhostDevice?: boolean;
}

/** Event names of the rtos guest's protocol (docs/rtos.md "Output"). */
const RTOS_EVENTS = new Set(['ready', 'hb', 'task', 'hist', 'bye', 'err', 'panic', 'fault']);

/** The agent's short KVM counter keys (guest/init.sh) → debugfs names. */
export const KVM_KEYS: Readonly<Record<string, string>> = {
  x: 'exits',
  mu: 'mmio_exit_user',
  mk: 'mmio_exit_kernel',
  wi: 'wfi_exit_stat',
  we: 'wfe_exit_stat',
  hv: 'hvc_exit_stat',
  sg: 'signal_exits',
  hw: 'halt_wakeup',
};

export interface StageNote {
  readonly stage: string;
  readonly level: 0 | 1 | 2;
  readonly guest?: string;
  readonly uptimeS?: number;
  readonly message: string;
}

/** Malformed agent events listed one by one in the warnings; past that, one line counts the rest. */
export const MALFORMED_EVENT_WARNINGS = 20;

const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean);
const diff = (d: string | undefined): { removed: string[]; added: string[] } => ({
  removed: words(d).filter((w) => w.startsWith('-')).map((w) => w.slice(1)),
  added: words(d).filter((w) => w.startsWith('+')).map((w) => w.slice(1)),
});
const s1 = (x: number): string => x.toFixed(1);

const newLevel = (level: 0 | 1): LevelResult => ({ level, virtual: {}, kvmLog: [], nv2: false, cpuFeatures: [], kvmSamples: [], vmmRssMaxKiB: [] });

type MutableGuest = { -readonly [K in keyof GuestResult]: GuestResult[K] };

export class RunCollector {
  readonly l0: LevelResult = newLevel(0);
  readonly l1: LevelResult = newLevel(1);
  readonly guests: MutableGuest[];
  readonly warnings: string[] = [];
  allReadyMs: number | undefined;
  l0Done = false;
  l1Done = false;
  /** L0 and L1 booted and wait for the run's payload (the 'pwait' events; the warm stack's
   * snapshot moment). */
  readonly payloadWait = { l0: false, l1: false };
  private readonly notes: StageNote[] = [];
  private readonly initUptime = new Map<number, number>();
  /** L1's uptime at its init line (anchors L1-clock datings in fast timing). */
  private l1InitUptime: number | undefined;
  private readonly rtosEvents = new Map<number, { events: RtosEvent[]; invalid: string[] }>();
  /** Malformed agent events seen, and where the warning that counts those past the listed ones is. */
  private malformedCount = 0;
  private malformedMoreAt: number | undefined;
  /** os: custom guests: how each VMM ended (L1's cexit event). */
  readonly customExit = new Map<number, { code: number; stoppedByHypervisor: boolean }>();
  /** Isolation data (src/core/node/run/isolation.ts folds it into results). */
  readonly iso: IsolationRecord = { phases: [], relayLog: [], probes: new Map(), undeclared: new Map(), guestEventMs: new Map(), heartbeats: new Map(), panicLines: new Map() };

  constructor(
    readonly topology: ValidTopology,
    readonly deterministic: boolean,
    /** Run length the rtos guests were started with, ms of guest time. */
    readonly rtosRunMs = 0,
    /** The channel plan of the run (guest ↔ channel/attempt ownership of probe lines). */
    readonly channelPlan?: ChannelPlan,
  ) {
    this.guests = topology.guests.map((g: Guest, index): MutableGuest => ({
      name: g.name,
      index,
      os: g.os,
      image: g.os === 'linux' ? 'linux' : g.os,
      vcpus: g.vcpus,
      memoryMiB: g.memoryMiB,
      pin: [...g.pin],
      reservation: describeReservation(g, reservationOf(topology, g, deterministic ? 'deterministic' : 'fast')),
      boot: { virtual: {} },
    }));
  }

  /** Stage notes produced since the last call. */
  drainNotes(): StageNote[] {
    return this.notes.splice(0);
  }

  get readyCount(): number {
    return this.guests.filter((g) => g.boot.readyMs !== undefined).length;
  }

  guestName(i: number | undefined): string | undefined {
    return i === undefined ? undefined : this.guests[i]?.name;
  }

  private note(n: StageNote): void {
    this.notes.push(n);
  }

  private sample(lv: LevelResult, tMs: number, ev: Extract<AgentEvent, { e: 's' }>): void {
    const counters: Record<string, number> = {};
    for (const [key, v] of Object.entries(ev.k)) counters[KVM_KEYS[key] ?? key] = v;
    const r = [...ev.r];
    lv.kvmSamples.push({ tMs, uptimeS: ev.u, counters, vmmRssKiB: r });
    r.forEach((v, i) => {
      lv.vmmRssMaxKiB[i] = Math.max(lv.vmmRssMaxKiB[i] ?? 0, v);
    });
    if (lv.level === 1) r.forEach((v, i) => this.guestRss(i, v));
  }

  /** 0 = the VMM was gone when sampled: not a measurement. */
  private guestRss(i: number, kib: number): void {
    const g = this.guests[i];
    if (g && kib > 0) g.vmmRssMaxKiB = Math.max(g.vmmRssMaxKiB ?? 0, kib);
  }

  /** An event of L0 or L1 (and the L1 events about a guest that l1Guest did not take). */
  private levelEvent(lv: LevelResult, tMs: number, ev: AgentEvent): void {
    const L = lv.level;
    switch (ev.e) {
      case 'init':
        lv.initMs = tMs;
        lv.virtual.kernelToInitS = ev.u0;
        if (ev.k !== undefined) lv.kernelRelease = ev.k;
        if (L === 1) this.l1InitUptime = ev.u;
        this.note({ stage: `l${L}-init`, level: L, uptimeS: ev.u, message: `L${L} init (kernel→init ${s1(ev.u0)} s guest time)` });
        break;
      case 'vmstart':
        if (ev.g === undefined && L === 0) {
          this.l1.vmStartMs = tMs;
          this.note({ stage: 'l1-vmstart', level: 0, message: 'L0 started the guest hypervisor VM (L1)' });
        }
        break;
      case 'kvm': {
        const m = ev.m;
        lv.kvmLog.push(m);
        if (/VHE\+NV2 mode initialized successfully/.test(m)) lv.nv2 = true;
        const mode = /kvm \[\d+\]: (\S+) mode initialized successfully/.exec(m)?.[1];
        if (mode) lv.kvmMode = mode;
        const ipa = /IPA Size Limit: (\d+)/.exec(m)?.[1];
        if (ipa) lv.ipaBits = Number(ipa);
        break;
      }
      case 'kvmdev':
        lv.kvmDevice = ev.ok === 1;
        break;
      case 'cpu':
        if (ev.f !== undefined) {
          lv.cpuFeatures = words(ev.f);
          // L1's launcher reports its full list (its log must stand alone: a launcher results
          // directory has no L0); its difference to L0's list is computed here
          if (L === 1 && this.l0.cpuFeatures.length > 0) {
            const l0 = new Set(this.l0.cpuFeatures);
            const l1 = new Set(lv.cpuFeatures);
            lv.cpuFeaturesDiff = { removed: this.l0.cpuFeatures.filter((f) => !l1.has(f)), added: lv.cpuFeatures.filter((f) => !l0.has(f)) };
          }
        }
        if (ev.d !== undefined) {
          lv.cpuFeaturesDiff = diff(ev.d);
          const parent = L === 1 ? this.l0.cpuFeatures : [];
          const dd = lv.cpuFeaturesDiff;
          lv.cpuFeatures = [...parent.filter((f) => !dd.removed.includes(f)), ...dd.added];
        }
        break;
      case 'ready':
        lv.readyMs = tMs;
        lv.virtual.uptimeAtReadyS = ev.u;
        lv.memory = { totalKiB: ev.mt, availableKiB: ev.ma };
        if (ev.n !== undefined) lv.vcpus = ev.n;
        if (L === 0) this.note({ stage: 'l0-ready', level: 0, message: `L0 KVM ${lv.kvmMode ?? '?'}${lv.nv2 ? ' (NV2)' : ''}, IPA ${lv.ipaBits ?? '?'} bits` });
        break;
      case 's':
        this.sample(lv, tMs, ev);
        break;
      case 'ph':
        if (L === 1) {
          this.iso.phases.push({ name: ev.p, atMs: tMs, l1UptimeS: ev.u, ...(ev.g !== undefined ? { guest: ev.g } : {}) });
          this.note({ stage: 'isolation-phase', level: 1, uptimeS: ev.u, message: `L1: phase ${ev.p}${ev.g !== undefined ? ` (guest ${this.guestName(ev.g) ?? '?'})` : ''}` });
        }
        break;
      case 'rly':
        if (L === 1 && ev.a !== 'up') this.iso.relayLog.push({ action: ev.a, port: ev.p, fromCid: ev.f, toCid: ev.t, atMs: tMs });
        break;
      case 'ch': {
        // L1's own probe: only for channels whose `from` is an rtos guest
        const c = this.channelPlan?.channels[ev.k];
        if (L === 1 && c?.probedFrom === 'l1-relay') this.iso.probes.set(ev.k, { status: ev.r, attempts: ev.n, ms: ev.ms, atMs: tMs });
        break;
      }
      case 'l1pin':
        if (L === 0) this.l1.vcpuAffinityInL0 = { ...ev.m };
        break;
      case 'hk':
        if (L === 0) lv.housekeepingCpus = ev.c;
        break;
      case 'part':
        if (L === 1) (lv.cpuPartitions ??= []).push({ cpu: ev.c, state: ev.st });
        break;
      case 'vsk':
        if (L === 1) {
          this.iso.l1VsockModules = ev.m;
          this.iso.l1VhostDevice = ev.dev === 1;
        }
        break;
      case 'pwait':
        this.payloadWait[L === 0 ? 'l0' : 'l1'] = true;
        if (this.payloadWait.l0 && this.payloadWait.l1) this.note({ stage: 'stack-waiting', level: L, uptimeS: ev.u, message: 'L0 and L1 booted, waiting for the run\'s payload' });
        break;
      case 'done':
        if (L === 0) this.l0Done = true;
        else this.l1Done = true;
        this.note({ stage: `l${L}-done`, level: L, message: `L${L} agent done` });
        break;
      case 'vmexit':
        // relayed by the level above: level 1 'vmexit' = L1's VMM exited inside L0
        this.note({ stage: `l${L}-vmexit`, level: L, message: `L${L} VMM exited rc=${ev.rc}` });
        break;
      // not (yet) part of the results at this level: the launcher's first line, L1's control errors,
      // the custom-image disk, events about a guest that is not in the topology, and the guests' own
      case 'launch':
      case 'payload':
      case 'ctlerr':
      case 'cdisk':
      case 'cunpack':
      case 'pin':
      case 'cready':
      case 'cexit':
      case 'ux':
      case 'chd':
      case 'sp':
      case 'stress':
      case 'cyc0':
      case 'cyc':
      case 'panicking':
      case 'alive':
      case 'bye':
        break;
      default:
        assertNever(ev, 'agent event');
    }
  }

  /** L1's events about one of the topology's guests (g); false for any other event. */
  private l1Guest(tMs: number, ev: AgentEvent): boolean {
    switch (ev.e) {
      case 'vmstart': {
        const g = ev.g !== undefined ? this.guests[ev.g] : undefined;
        if (!g) return false;
        // While guest VMMs start, L1's console can lag tens of seconds behind (measured: a vmstart line
        // printed at L1 uptime 5.15 s arrived 29 s late), so the host arrival time of this line is
        // not when the VM started. In fast timing L1's clock follows the host's: the start is dated
        // from L1's init line (which arrives on time) plus the L1 time between the two.
        const u = ev.u;
        const i0 = this.l1.initMs;
        const u0 = this.l1InitUptime;
        const est = !this.deterministic && i0 !== undefined && u0 !== undefined ? Math.round(i0 + (u - u0) * 1000) : undefined;
        g.boot.vmStartMs = est !== undefined ? Math.min(tMs, Math.max(i0!, est)) : tMs;
        g.boot.virtual.l1VmStartUptimeS = u;
        this.note({ stage: 'guest-vmstart', level: 1, guest: g.name, message: `${g.name}: VM started by L1${g.boot.vmStartMs < tMs - 1000 ? ` (at ${(g.boot.vmStartMs / 1000).toFixed(1)} s by L1's clock; its console lagged)` : ''}` });
        return true;
      }
      case 'pin': {
        const g = this.guests[ev.g];
        if (!g) return false;
        g.pinApplied = { ...ev.m };
        const sched = Object.entries(ev.s ?? {}).flatMap(([k, v]) => {
          const t = parseThreadSched(v);
          return t ? [[k, t] as const] : [];
        });
        g.schedApplied = Object.fromEntries(sched);
        if (ev.r !== undefined) this.guestRss(g.index, ev.r);
        const r = g.reservation;
        if (ev.ok === 1) r.applied = appliedText(r.kind, g.schedApplied, ev.q);
        else r.error = reservationError(r.kind, ev.q);
        return true;
      }
      case 'cready': {
        // an os: custom guest's ready marker, seen by L1 on its console (guest/init.sh crelay)
        const g = this.guests[ev.g];
        if (!g) return false;
        if (g.os !== 'custom' || g.boot.readyMs !== undefined) return true;
        g.boot.readyMs = tMs;
        if (g.boot.vmStartMs !== undefined) g.boot.vmStartToReadyMs = tMs - g.boot.vmStartMs;
        const u0 = g.boot.virtual.l1VmStartUptimeS;
        if (u0 !== undefined) g.boot.virtual.l1VmStartToReadyS = Number(Math.max(0, ev.u - u0).toFixed(3));
        this.note({ stage: 'guest-ready', level: 2, guest: g.name, uptimeS: ev.u, message: `${g.name}: custom image ready${g.boot.vmStartToReadyMs !== undefined ? ` (${s1(g.boot.vmStartToReadyMs / 1000)} s after its VM start)` : ''}` });
        this.checkAllReady(tMs);
        return true;
      }
      case 'cexit': {
        const g = this.guests[ev.g];
        if (!g) return false;
        if (g.os !== 'custom') return true;
        const stopped = ev.st === 1;
        g.exitCode = ev.rc;
        this.customExit.set(g.index, { code: ev.rc, stoppedByHypervisor: stopped });
        this.note({ stage: 'guest-exit', level: 2, guest: g.name, message: `${g.name}: ${stopped ? 'stopped by L1 after its hold time' : `VM exited rc=${ev.rc}`}` });
        return true;
      }
      default:
        return false;
    }
  }

  /** An event of a Linux guest's agent (or, for any guest, its VMM's exit as L1 relayed it). */
  private guestEvent(g: MutableGuest, tMs: number, ev: AgentEvent): void {
    switch (ev.e) {
      case 'init': {
        g.boot.initMs = tMs;
        g.boot.virtual.kernelToInitS = ev.u0;
        if (ev.k !== undefined) g.boot.kernelRelease = ev.k;
        this.initUptime.set(g.index, ev.u);
        if (!this.deterministic) g.boot.kernelStartMs = Math.max(0, tMs - ev.u0 * 1000);
        this.note({ stage: 'guest-init', level: 2, guest: g.name, uptimeS: ev.u, message: `${g.name}: init (kernel→init ${s1(ev.u0)} s guest time)` });
        break;
      }
      case 'ready': {
        g.boot.readyMs = tMs;
        if (g.boot.vmStartMs !== undefined) g.boot.vmStartToReadyMs = tMs - g.boot.vmStartMs;
        const ui = this.initUptime.get(g.index);
        if (ui !== undefined) g.boot.virtual.initToReadyS = Number(Math.max(0, ev.u - ui).toFixed(3));
        const { mt, ma } = ev;
        g.memory = { totalKiB: mt, availableKiB: ma, usedKiB: Math.max(0, mt - ma) };
        this.note({ stage: 'guest-ready', level: 2, guest: g.name, uptimeS: ev.u, message: `${g.name}: ready${g.boot.vmStartToReadyMs !== undefined ? ` (${s1(g.boot.vmStartToReadyMs / 1000)} s after its VM start)` : ''}, ${Math.round((mt - ma) / 1024)} MiB in use` });
        this.checkAllReady(tMs);
        break;
      }
      case 'cpu':
        g.cpuFeaturesDiffVsL1 = diff(ev.d);
        break;
      case 'stress':
        g.workload = { ...g.workload, stress: { cpu: ev.c, memoryMiB: ev.m, mechanism: 'busybox shell busy loops, at nice 19 where the nice applet exists (+ a tmpfs write loop for memory)' } };
        break;
      case 'cyc0':
        this.note({ stage: 'guest-workload', level: 2, guest: g.name, message: `${g.name}: cyclictest started` });
        break;
      case 'cyc': {
        const spec = this.topology.guests[g.index]?.workload?.cyclictest;
        g.workload = {
          ...g.workload,
          cyclictest: {
            intervalUs: spec?.intervalUs ?? 0,
            loops: spec?.loops ?? 0,
            exitCode: ev.rc,
            minUs: ev.min,
            avgUs: ev.avg ?? 0,
            maxUs: ev.max ?? 0,
            overflows: ev.of ?? 0,
            histogramLog2: ev.h ?? [],
            timeBase: this.deterministic ? 'virtual (icount)' : 'wall-clock (MTTCG, not meaningful as RT latency)',
          },
        };
        this.note({ stage: 'guest-workload', level: 2, guest: g.name, message: `${g.name}: cyclictest max ${ev.max ?? '?'} µs` });
        break;
      }
      case 'bye':
        // repeats the cpu diff (console lines can lose characters)
        if (ev.d !== undefined && g.cpuFeaturesDiffVsL1 === undefined) g.cpuFeaturesDiffVsL1 = diff(ev.d);
        break;
      case 'vmexit':
        g.exitCode = ev.rc;
        this.note({ stage: 'guest-exit', level: 2, guest: g.name, message: `${g.name}: VM exited rc=${ev.rc}` });
        break;
      case 'ch': {
        // a guest reports only its own channels (the plan says which guest is each channel's `from`)
        const c = this.channelPlan?.channels[ev.k];
        if (c?.probedFrom === 'guest' && c.from === g.name) this.iso.probes.set(ev.k, { status: ev.r, attempts: ev.n, ms: ev.ms, atMs: tMs });
        break;
      }
      case 'ux': {
        const a = this.channelPlan?.undeclared[ev.i];
        if (a?.guest === g.index) this.iso.undeclared.set(ev.i, { status: ev.r, attempts: 1, ms: ev.ms, atMs: tMs });
        break;
      }
      case 'sp':
        if (this.channelPlan !== undefined) this.iso.spatial = { guest: g.index, address: ev.a, exitCode: ev.rc, value: ev.v, atMs: tMs };
        break;
      case 'chd':
        this.note({ stage: 'isolation-probes', level: 2, guest: g.name, message: `${g.name}: channel probes done` });
        break;
      // the agent's liveness answers (isolation.ts dates them through guestEventMs), and events of
      // other levels that a guest does not print
      case 'panicking':
      case 'alive':
      case 'vmstart':
      case 'done':
      case 'kvm':
      case 'kvmdev':
      case 'hk':
      case 'l1pin':
      case 's':
      case 'cdisk':
      case 'pwait':
      case 'payload':
      case 'launch':
      case 'part':
      case 'vsk':
      case 'ph':
      case 'ctlerr':
      case 'pin':
      case 'cunpack':
      case 'cready':
      case 'cexit':
      case 'rly':
        break;
      default:
        assertNever(ev, 'agent event');
    }
  }

  /** An rtos guest's protocol line: typed by parseRtosEvent, folded by summarizeRtosRun (task names
   * t<k> mapped back to the topology's); its ready line is also the guest's boot marker. */
  private rtosEvent(g: MutableGuest, tMs: number, name: string, d: Record<string, unknown>): void {
    const st = this.rtosEvents.get(g.index) ?? { events: [], invalid: [] };
    this.rtosEvents.set(g.index, st);
    const l = parseRtosEvent(name, d);
    if (l.kind === 'event') st.events.push(l.event);
    else if (l.kind === 'invalid') st.invalid.push(`invalid line ${JSON.stringify(l.text.slice(0, 120))}: ${l.problem}`);
    const r = summarizeRtosRun(st.events, st.invalid);
    const spec = this.topology.guests[g.index]?.tasks ?? [];
    const realName = (n: string): string => spec.find((_, k) => rtosTaskName(k) === n)?.name ?? n;
    const rtos: RtosGuestResult = {
      runMs: this.rtosRunMs,
      heartbeatMs: RTOS_HEARTBEAT_MS,
      timeBase: this.deterministic ? 'virtual (icount)' : 'guest counter (follows the host clock: indicative)',
      outcome: r.outcome,
      ...(r.ready ? { ready: r.ready } : {}),
      heartbeats: { ...r.heartbeats, timesS: st.events.flatMap((e) => (e.e === 'hb' ? [e.u] : [])) },
      tasks: r.tasks.map((t) => ({
        name: realName(t.name),
        released: t.released,
        completed: t.completed,
        deadlineMisses: t.deadlineMisses,
        responseMinUs: t.responseMinUs,
        responseMaxUs: t.responseMaxUs,
        responseP99Us: t.responseP99Us,
        releaseJitterMaxNs: t.releaseJitterMaxNs,
        startLatencyMaxNs: t.startLatencyMaxNs,
      })),
      ...(r.end ? { end: r.end } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.crash ? { crash: r.crash } : {}),
      problems: [...r.problems],
    };
    g.rtos = rtos;
    if (l.kind !== 'event') return;
    const ev = l.event;
    if (ev.e === 'hb') {
      const hb = this.iso.heartbeats.get(g.index) ?? [];
      hb.push({ u: ev.u, n: ev.n, c: ev.c, m: ev.m, ...(ev.sl !== undefined ? { sl: ev.sl } : {}), ...(ev.lw !== undefined ? { lw: ev.lw } : {}), atMs: tMs });
      this.iso.heartbeats.set(g.index, hb);
    }
    switch (ev.e) {
      case 'ready': {
        g.boot.initMs = tMs;
        g.boot.readyMs = tMs;
        if (g.boot.vmStartMs !== undefined) g.boot.vmStartToReadyMs = tMs - g.boot.vmStartMs;
        // VM creation → first instruction, and first instruction → ready line (no kernel, no init)
        g.boot.virtual.kernelToInitS = ev.u0;
        g.boot.virtual.initToReadyS = Number(Math.max(0, ev.u - ev.u0).toFixed(6));
        g.memory = { totalKiB: ev.mt, availableKiB: ev.ma, usedKiB: Math.max(0, ev.mt - ev.ma) };
        this.note({ stage: 'guest-ready', level: 2, guest: g.name, uptimeS: ev.u, message: `${g.name}: rtos ready (${s1((g.boot.vmStartToReadyMs ?? 0) / 1000)} s after its VM start, ${ev.n} tasks, guest time ${(ev.u * 1000).toFixed(3)} ms)` });
        this.checkAllReady(tMs);
        break;
      }
      case 'bye':
        this.note({ stage: 'guest-workload', level: 2, guest: g.name, message: `${g.name}: rtos run done: ${ev.c} jobs, ${ev.m} deadline misses, timer latency max ${ev.lx} ns` });
        break;
      default:
        break;
    }
  }

  private checkAllReady(tMs: number): void {
    if (this.allReadyMs === undefined && this.readyCount === this.guests.length) {
      this.allReadyMs = tMs;
      this.note({ stage: 'all-ready', level: 2, message: `all ${this.guests.length} guests ready` });
    }
  }

  /** A malformed or unknown agent event: one warning (the first MALFORMED_EVENT_WARNINGS, then a
   * count of the rest), otherwise ignored. */
  private malformed(line: Extract<DemuxedLine, { kind: 'event' }>, reason: string): void {
    this.malformedCount++;
    const where = line.level === 2 ? (this.guestName(line.guest) ?? `guest ${line.guest ?? '?'}`) : `l${line.level}`;
    if (this.malformedCount <= MALFORMED_EVENT_WARNINGS) {
      this.warnings.push(`${where}: malformed agent event ignored: ${reason}`);
      return;
    }
    const more = `${this.malformedCount - MALFORMED_EVENT_WARNINGS} more malformed agent event(s) ignored, not listed`;
    if (this.malformedMoreAt === undefined) this.malformedMoreAt = this.warnings.push(more) - 1;
    else this.warnings[this.malformedMoreAt] = more;
  }

  /** Feeds one demultiplexed line received at host time tMs. */
  feed(line: DemuxedLine, tMs: number): void {
    this.feedEvent(line, tMs);
  }

  /**
   * feed, returning the agent event as typed here, once (parseAgentEvent); undefined for text, for a
   * malformed event (a warning, otherwise ignored) and for an rtos guest's own events (typed by its
   * protocol's parser, rtosEvent).
   */
  feedEvent(line: DemuxedLine, tMs: number): AgentEvent | undefined {
    if (line.kind !== 'event') return undefined;
    const g = line.level === 2 && line.guest !== undefined ? this.guests[line.guest] : undefined;
    if (g) this.iso.guestEventMs.set(g.index, [...(this.iso.guestEventMs.get(g.index) ?? []), tMs]);
    if (g?.os === 'rtos' && RTOS_EVENTS.has(line.name)) {
      this.rtosEvent(g, tMs, line.name, line.data);
      return undefined;
    }
    const parsed = parseAgentEvent(line.name, line.data);
    if (!parsed.ok) {
      this.malformed(line, parsed.reason);
      return undefined;
    }
    const ev = parsed.event;
    if (line.level === 2) {
      if (g) this.guestEvent(g, tMs, ev);
    } else if (!(line.level === 1 && this.l1Guest(tMs, ev))) this.levelEvent(line.level === 0 ? this.l0 : this.l1, tMs, ev);
    return ev;
  }
}

const describeReservation = (g: Guest, r: Reservation): GuestResult['reservation'] => {
  const declared = g.vcpuServer ? `${g.vcpuServer.budgetUs}/${g.vcpuServer.periodUs} µs per vCPU` : undefined;
  const stretched = r.scale > 1 ? ` (applied as ${r.budgetUs}/${r.periodUs} µs: same bandwidth, period stretched to ≥ 100 ms in fast timing)` : '';
  switch (r.kind) {
    case 'deadline':
      return { kind: r.kind, budgetUs: r.budgetUs, periodUs: r.periodUs, requested: `${declared ?? ''}${stretched}`, mechanism: 'SCHED_DEADLINE (constant-bandwidth server) on each vCPU thread in L1, runtime = budget, deadline = period; the VMM in a single-CPU cpuset partition (its own root domain); HRTICK_DL; from the guest ready marker on' };
    case 'cap':
      return { kind: r.kind, budgetUs: r.budgetUs, periodUs: r.periodUs, requested: `${declared ?? ''}${stretched}`, mechanism: 'cgroup v2 cpu.max (CFS bandwidth cap, not a guarantee) on the guest vCPU threads in L1: vcpus × budget per period, from the guest ready marker on (the vCPUs sit on several hypervisor CPUs, so no single-CPU deadline partition)' };
    case 'dedicated':
      return { kind: r.kind, requested: 'dedicated hypervisor CPU (no server, no other guest vCPU on it)', mechanism: "the guest's VMM runs in its CPU's cpuset partition in L1 (none of L1's own tasks run there), default policy; on the CPU L1 keeps for itself it shares with L1's own tasks" };
    case 'other':
      return { kind: r.kind, requested: 'none (shared hypervisor CPU without a server: no guaranteed supply)', mechanism: 'default Linux scheduling (SCHED_OTHER) in L1' };
    default:
      return assertNever(r.kind, 'reservation kind');
  }
};

/** nb-sched get: "<policy> <prio> <runtime_us> <deadline_us> <period_us>". */
export const parseThreadSched = (line: string): ThreadSched | undefined => {
  const m = /^([a-z]+) (\d+) (\d+) (\d+) (\d+)$/.exec(line.trim());
  if (!m) return undefined;
  return { policy: m[1]!, priority: Number(m[2]), runtimeUs: Number(m[3]), deadlineUs: Number(m[4]), periodUs: Number(m[5]) };
};

const appliedText = (kind: Reservation['kind'], sched: Record<string, ThreadSched>, cpuMax: string | undefined): string => {
  if (kind === 'cap') return `cpu.max ${cpuMax ?? '?'} on the vCPU threads (threaded cgroup)`;
  const per = Object.entries(sched).map(([k, t]) => `vCPU ${k}: ${threadSchedText(t)}`);
  return per.join(', ') || 'no vCPU thread found';
};

const reservationError = (kind: Reservation['kind'], detail: string | undefined): string => {
  switch (kind) {
    case 'deadline':
      return `L1 refused SCHED_DEADLINE on a vCPU thread (${detail ?? 'unknown error'}${detail === 'err16' ? ': EBUSY, the deadline bandwidth of that CPU (95 % by default) is exhausted' : ''})`;
    case 'cap':
      return 'could not set cpu.max on the guest vCPU threads (cgroup v2 cpu controller unavailable or value below 1000 µs)';
    default:
      return `reservation failed (${detail ?? 'unknown error'})`;
  }
};
