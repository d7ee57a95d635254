// Folds what the agents reported about channels, phases, the planned fault and the safety guest's
// heartbeats into results.json's `channels` and `isolation`. Pure.
import type { ChannelsResult, IsolationResult, PhaseWindow } from '../../common/model/run-results.js';
import type { ValidTopology } from '../../common/model/topology.js';
import type { ChannelPlan, PhasePlan } from '../stack/channels.js';
import type { IsolationRecord, ProbeRecord } from './collector.js';

const describe = (p: ProbeRecord): string => {
  switch (p.status) {
    case 'echo':
      return `answered (echo) after ${p.attempts} attempt(s), ${p.ms} ms`;
    case 'closed':
      return 'connection closed before any answer (refused by the relay)';
    case 'reset':
      return 'connection reset (nothing listens on that port)';
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return `no answer within the time limit (${p.ms} ms): packets dropped`;
    default:
      return `${p.status} after ${p.attempts} attempt(s), ${p.ms} ms`;
  }
};

export const channelResults = (t: ValidTopology, plan: ChannelPlan, rec: IsolationRecord, status: 'ok' | 'failed' | 'cancelled'): ChannelsResult => {
  const declared = (t.channels ?? []).map((c) => `${c.from}→${c.to}:${c.port} (${c.kind})`);
  if (plan.vsockGuests.length === 0 && plan.channels.every((c) => c.probedFrom === 'none')) {
    return {
      declared,
      realised: false,
      note: declared.length
        ? 'no channel has a Linux guest at either end (rtos guests have no vsock): nothing was realised'
        : 'no channels declared: guests have no network or vsock device at all (-nodefaults -net none)',
    };
  }
  const probes = plan.channels.map((c) => {
    const r = rec.probes.get(c.k);
    const base = { from: c.from, to: c.to, port: c.port, probedFrom: c.probedFrom, endsAtRelay: c.endsAtRelay };
    if (c.probedFrom === 'none') return { ...base, ok: false, detail: c.note ?? 'not probed' };
    if (!r) return { ...base, ok: false, detail: `no probe result${status !== 'ok' ? ` (the run ${status})` : ''}${c.note ? `; ${c.note}` : ''}` };
    return { ...base, ok: r.status === 'echo', attempts: r.attempts, ms: r.ms, detail: `${describe(r)}${c.note ? `; ${c.note}` : ''}` };
  });
  const undeclared = plan.undeclared.map((a) => {
    const r = rec.undeclared.get(a.u);
    const base = { from: a.from, to: a.to, port: a.port, via: a.via };
    if (!r) return { ...base, refused: false, detail: 'not attempted (no result)' };
    return { ...base, refused: r.status !== 'echo', detail: `${describe(r)}${a.via === 'direct' ? ` (direct to ${a.to}'s CID: vhost-vsock carries only guest ↔ L1 traffic)` : ' (through L1, CID 2)'}` };
  });
  return {
    declared,
    realised: true,
    note: `virtio-vsock per Linux guest (vhost-vsock-pci in L1, guest CID 3 + index; L1 modules loaded: ${rec.l1VsockModules ?? '?'}/5, /dev/vhost-vsock ${rec.l1VhostDevice ? 'present' : 'missing'}); the L1 relay forwards only declared from→to:port; rtos guests have no vsock, so their channels are probed up to the L1 relay side`,
    mechanism: 'vhost-vsock (guest ↔ L1 only) + vsock-probe relay in L1 keyed by (peer CID, port)',
    probes,
    undeclared,
    relayLog: rec.relayLog,
  };
};

interface Hb {
  u: number;
  n: number;
  c: number;
  m: number;
  /** Stolen time so far, ns; worst timer delivery since the previous heartbeat, ns (newer rtos). */
  sl?: number;
  lw?: number;
  atMs: number;
}

const window = (hbs: readonly Hb[], fromMs: number, toMs: number): PhaseWindow => {
  const inside = hbs.filter((h) => h.atMs >= fromMs && h.atMs < toMs);
  const before = [...hbs].reverse().find((h) => h.atMs < fromMs);
  const seq = before ? [before, ...inside] : inside;
  const gaps = seq.slice(1).map((h, i) => h.u - (seq[i]?.u ?? h.u));
  const last = inside.at(-1);
  const first = before ?? inside[0];
  return {
    fromMs,
    toMs,
    heartbeats: inside.length,
    maxIntervalS: gaps.length ? Number(Math.max(...gaps).toFixed(6)) : null,
    meanIntervalS: gaps.length ? Number((gaps.reduce((a, b) => a + b, 0) / gaps.length).toFixed(6)) : null,
    jobs: last && first ? last.c - first.c : 0,
    deadlineMisses: last && first ? last.m - first.m : 0,
    ...(last?.sl !== undefined && first?.sl !== undefined ? { stolenNs: last.sl - first.sl, guestS: Number((last.u - first.u).toFixed(6)) } : {}),
    ...(inside.some((h) => h.lw !== undefined) ? { timerLatencyMaxNs: Math.max(...inside.map((h) => h.lw ?? 0)) } : {}),
  };
};

/** The safety rtos's figures per phase window: from its first heartbeat to L1's first phase
 * marker (`boot`: the other guests booting and being pinned), then one window per phase marker. */
export const safetyWindows = (hbs: readonly Hb[], phases: readonly { name: string; atMs: number }[], endMs: number): (PhaseWindow & { phase: string })[] => {
  if (hbs.length === 0) return [];
  const marks = [{ name: 'boot', atMs: hbs[0]!.atMs }, ...phases.filter((p) => p.atMs > hbs[0]!.atMs)];
  return marks.map((m, k) => ({ phase: m.name, ...window(hbs, m.atMs, marks[k + 1]?.atMs ?? endMs + 1) }));
};

export interface IsolationInputs {
  readonly topology: ValidTopology;
  readonly phases: PhasePlan;
  readonly rec: IsolationRecord;
  readonly timeBase: string;
  /** Host ms of the run's end (closes the last window). */
  readonly endMs: number;
  /** The victim's VMM exit as L1 relayed it. */
  readonly victimExit?: { code: number; atMs: number };
}

export const isolationResults = (i: IsolationInputs): IsolationResult => {
  const { topology: t, rec } = i;
  const notes: string[] = [];
  const at = (name: string): number | undefined => rec.phases.find((p) => p.name === name)?.atMs;
  const out: { -readonly [K in keyof IsolationResult]: IsolationResult[K] } = { phases: rec.phases.map((p) => ({ name: p.name, atMs: p.atMs, ...(p.l1UptimeS !== undefined ? { l1UptimeS: p.l1UptimeS } : {}) })), notes };
  // the safety guest: the rtos guest with the highest ASIL
  const rank = (a: string): number => 'QMABCD'.indexOf(a === 'QM' ? 'Q' : a);
  const safetyIdx = t.guests
    .map((g, idx) => ({ g, idx }))
    .filter((x) => x.g.os === 'rtos')
    .sort((a, b) => rank(b.g.asil) - rank(a.g.asil))[0]?.idx;
  const idleAt = at('idle');
  const stressAt = at('stress');
  const afterStress = at('spatial') ?? at('fault') ?? at('end') ?? i.endMs;
  if (safetyIdx !== undefined && idleAt !== undefined && stressAt !== undefined) {
    const hbs = rec.heartbeats.get(safetyIdx) ?? [];
    const idle = window(hbs, idleAt, stressAt);
    const stress = window(hbs, stressAt, afterStress);
    const per = (w: PhaseWindow): number | null => (w.jobs > 0 ? Number(((w.deadlineMisses * 1000) / w.jobs).toFixed(3)) : null);
    out.interference = {
      guest: t.guests[safetyIdx]?.name ?? '?',
      metric: 'the safety rtos guest\'s heartbeat interval (a timer-driven activity, nominally the heartbeat period) and its deadline misses per 1000 jobs, over the idle window vs the stress window; windows are assigned by the heartbeat lines\' host arrival time, intervals are guest time',
      timeBase: i.timeBase,
      stressGuests: t.guests.filter((g) => (g.workload?.stress?.cpu ?? 0) > 0 && g.os !== 'rtos').map((g) => g.name),
      idle,
      stress,
      maxIntervalRatio: idle.maxIntervalS && stress.maxIntervalS !== null ? Number((stress.maxIntervalS / idle.maxIntervalS).toFixed(3)) : null,
      missesPerKJobs: { idle: per(idle), stress: per(stress) },
      missRateRatio: per(idle) && per(stress) !== null ? Number(((per(stress) ?? 0) / (per(idle) ?? 1)).toFixed(3)) : null,
    };
    out.safetyWindows = safetyWindows(hbs, rec.phases, i.endMs);
    if (idle.heartbeats === 0 || stress.heartbeats === 0) notes.push('interference: a window holds no heartbeat of the safety guest (its run ended or the window is shorter than the heartbeat period)');
  } else if (i.phases.stressS > 0 || i.phases.idleS > 0) {
    notes.push(safetyIdx === undefined ? 'interference: no rtos safety guest; a Linux safety guest (cyclictest split by phase) is not implemented' : 'interference: the idle/stress phases were not reached');
  }
  const sg = i.phases.spatialGuest;
  const sp = rec.spatial;
  if (sg !== undefined && sp && sp.guest === sg) {
    const after = (idx: number): number | undefined => (rec.guestEventMs.get(idx) ?? []).find((ms) => ms > sp.atMs);
    const hbAfter = (idx: number): number => (rec.heartbeats.get(idx) ?? []).filter((h) => h.atMs > sp.atMs).length;
    out.spatial = {
      guest: t.guests[sg]?.name ?? '?',
      address: sp.address,
      exitCode: sp.exitCode,
      value: sp.value,
      outcome: sp.exitCode === 0 ? `the read completed inside the guest (value ${sp.value || '?'}): no memory slot backs the address, the VMM answered the access` : sp.exitCode === 135 ? 'the probe was killed by SIGBUS inside the guest' : `the probe failed inside the guest (exit ${sp.exitCode})`,
      atMs: sp.atMs,
      guestAliveAfter: after(sg) !== undefined,
      others: t.guests.flatMap((g, idx) => {
        if (idx === sg || idx === i.phases.faultGuest) return [];
        if (g.os === 'rtos') {
          const n = hbAfter(idx);
          return [{ guest: g.name, keptRunning: n > 0, evidence: `${n} heartbeat(s) after the probe` }];
        }
        const a = after(idx);
        return [{ guest: g.name, keptRunning: a !== undefined, evidence: a !== undefined ? `agent event at ${a} ms` : 'no agent event after the probe' }];
      }),
    };
  } else if (sg !== undefined) {
    notes.push(`spatial: no report from ${t.guests[sg]?.name ?? '?'}`);
  }
  const fg = i.phases.faultGuest;
  const faultAt = at('fault');
  if (fg !== undefined) {
    const victim = t.guests[fg]?.name ?? '?';
    if (faultAt === undefined) {
      notes.push(`fault: the injection into ${victim} was not reached`);
    } else {
      const winEnd = at('end') ?? i.endMs;
      const panic = rec.panicLines.get(fg);
      out.fault = {
        guest: victim,
        injectedAtMs: faultAt,
        ...(rec.phases.find((p) => p.name === 'fault')?.l1UptimeS !== undefined ? { injectedL1UptimeS: rec.phases.find((p) => p.name === 'fault')?.l1UptimeS } : {}),
        panicSeen: panic !== undefined,
        ...(panic ? { panicAtMs: panic.atMs, panicLine: panic.line } : {}),
        vmmExit: i.victimExit ?? null,
        windowS: i.phases.afterFaultS,
        others: t.guests.flatMap((g, idx): NonNullable<IsolationResult['fault']>['others'] => {
          if (idx === fg) return [];
          if (g.os === 'rtos') {
            const hbs = rec.heartbeats.get(idx) ?? [];
            const w = window(hbs, faultAt, winEnd);
            const after = hbs.filter((h) => h.atMs > faultAt).length;
            return [{ guest: g.name, os: g.os, keptRunning: after > 0, evidence: after > 0 ? `${after} heartbeat(s) after the injection, ${w.heartbeats} in the window` : 'no heartbeat after the injection', heartbeatsInWindow: w.heartbeats, heartbeatMaxGapS: w.maxIntervalS }];
          }
          const later = (rec.guestEventMs.get(idx) ?? []).find((ms) => ms > (panic?.atMs ?? faultAt));
          return [{ guest: g.name, os: g.os, keptRunning: later !== undefined, evidence: later !== undefined ? `agent event at ${later} ms, after the victim's panic` : 'no agent event after the injection', ...(later !== undefined ? { eventAfterFaultMs: later } : {}) }];
        }),
      };
    }
  }
  return out;
};
