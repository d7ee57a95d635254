// The channel path and the L1-orchestrated isolation probes, planned from a validated topology.
// Pure. Realisation (docs/emulation-notes.md "Channels"):
//   - every Linux guest of an orchestrated run gets a virtio-vsock device (vhost-vsock-pci in L1,
//     guest CID = 3 + guest index); rtos guests have no vsock;
//   - vhost-vsock only carries guest ↔ L1 traffic (packets to another guest's CID are dropped), so
//     the only path between guests is the relay in L1 (vsock-probe relay), which forwards a
//     connection arriving on port P from CID F to CID T:P only when F → T : P is declared;
//   - L1 also talks to each Linux guest's agent on CONTROL_PORT (outside the 16-bit range a
//     topology can declare) to sequence the run: probe, stress, panic, ping, end.
// Names never reach a guest: guests are indices and CIDs, ports are validated integers.
import { AGENT_OS, type ValidTopology } from '../../common/model/topology.js';

export const guestCid = (i: number): number => 3 + i;
/** The agents' control port: above 65535, so it can never collide with a declared channel port. */
export const CONTROL_PORT = 100_000;

export interface PlannedChannel {
  readonly k: number;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** guest: the `from` guest connects through the relay; l1-relay: `from` is an rtos guest (no
   * vsock), so L1 probes from the relay side to `to`; none: cannot be probed. */
  readonly probedFrom: 'guest' | 'l1-relay' | 'none';
  /** The relay answers for an rtos `to` guest (no vsock): the probe ends at L1. */
  readonly endsAtRelay: boolean;
  readonly note?: string;
}

export interface PlannedUndeclared {
  readonly u: number;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** relay: through L1 (CID 2), where the relay must refuse it; direct: to the other guest's CID. */
  readonly via: 'relay' | 'direct';
  readonly guest: number;
  readonly cid: number;
}

export interface ChannelPlan {
  readonly channels: readonly PlannedChannel[];
  readonly undeclared: readonly PlannedUndeclared[];
  /** Guest indices with a vsock device (all Linux guests of an orchestrated run). */
  readonly vsockGuests: readonly number[];
  /** Relay table: port, from CID, to CID (0: answered by the relay). */
  readonly relay: readonly { readonly port: number; readonly fromCid: number; readonly toCid: number }[];
  /** nb_* words for the L0 command line (forwarded to L1, which hands each guest its own). */
  readonly words: readonly string[];
}

export interface PhasePlan {
  /** Seconds (L1 time) with every QM guest idle, after the channel probes. */
  readonly idleS: number;
  /** Seconds with the QM guests running their declared stress. */
  readonly stressS: number;
  /** Guest index to panic after the stress window (test hook), or undefined. */
  readonly faultGuest?: number;
  /** Seconds the others are observed after the fault. */
  readonly afterFaultS: number;
  /** Guest index whose agent reads guest-physical memory outside its RAM (isolation (b)), or undefined. */
  readonly spatialGuest?: number;
}

const isLinux = (t: ValidTopology, i: number): boolean => { const os = t.guests[i]?.os; return os !== undefined && AGENT_OS.has(os); };

/** Whether L1 sequences the run (channels with a Linux end, or isolation phases requested). */
export const orchestrated = (t: ValidTopology, phases: PhasePlan | undefined): boolean =>
  phases !== undefined || (t.channels ?? []).some((c) => t.guests.some((g, i) => (g.name === c.from || g.name === c.to) && isLinux(t, i)));

/** Test-only fault injection: the relay answers the first undeclared attempt through it, as a
 * hypervisor whose policy let an undeclared connection through would (the channels check must fail). */
export interface ChannelTestHooks {
  readonly leakUndeclared?: boolean;
}

export const planChannels = (t: ValidTopology, phases: PhasePlan | undefined, hooks: ChannelTestHooks = {}): ChannelPlan => {
  const idx = new Map(t.guests.map((g, i) => [g.name, i]));
  const on = orchestrated(t, phases);
  const vsockGuests = on ? t.guests.flatMap((_, i) => (isLinux(t, i) ? [i] : [])) : [];
  const declared = t.channels ?? [];
  const isDeclared = (f: string, to: string, p: number): boolean => declared.some((c) => c.from === f && c.to === to && c.port === p);
  const relay: { port: number; fromCid: number; toCid: number }[] = [];
  const listen = new Map<number, Set<number>>();
  const connect = new Map<number, string[]>();
  const l1Probes: string[] = [];
  const channels: PlannedChannel[] = declared.map((c, k): PlannedChannel => {
    const f = idx.get(c.from) ?? -1;
    const to = idx.get(c.to) ?? -1;
    const fl = isLinux(t, f);
    const tl = isLinux(t, to);
    const base = { k, from: c.from, to: c.to, port: c.port };
    if (!on) return { ...base, probedFrom: 'none', endsAtRelay: false, note: 'no Linux guest at either end: nothing to probe' };
    if (tl) listen.set(to, (listen.get(to) ?? new Set()).add(c.port));
    if (fl) {
      const clash = relay.find((r) => r.port === c.port && r.fromCid === guestCid(f));
      if (clash) return { ...base, probedFrom: 'none', endsAtRelay: false, note: `not realised: the relay keys connections by (from, port), and ${c.from} already has port ${c.port} to another guest` };
      relay.push({ port: c.port, fromCid: guestCid(f), toCid: tl ? guestCid(to) : 0 });
      connect.set(f, [...(connect.get(f) ?? []), `${k}-${c.port}`]);
      return { ...base, probedFrom: 'guest', endsAtRelay: !tl, ...(tl ? {} : { note: `${c.to} is an rtos guest (no vsock): the L1 relay answers for it` }) };
    }
    if (tl) {
      l1Probes.push(`${k}-${guestCid(to)}-${c.port}`);
      return { ...base, probedFrom: 'l1-relay', endsAtRelay: false, note: `${c.from} is an rtos guest (no vsock): probed from L1's relay side to ${c.to}` };
    }
    return { ...base, probedFrom: 'none', endsAtRelay: false, note: 'both ends are rtos guests (no vsock): not probed' };
  });
  // one undeclared attempt per Linux guest through the relay (+ one direct one where a direct path
  // would reach a listening guest if it existed)
  const undeclared: PlannedUndeclared[] = [];
  for (const g of vsockGuests) {
    const name = t.guests[g]?.name ?? '';
    const inbound = declared.find((c) => c.to === name && c.from !== name && !isDeclared(name, c.from, c.port));
    const outbound = declared.find((c) => c.from === name && c.to !== name);
    if (inbound) {
      undeclared.push({ u: undeclared.length, from: name, to: inbound.from, port: inbound.port, via: 'relay', guest: g, cid: 2 });
    } else if (outbound) {
      let q = outbound.port < 65535 ? outbound.port + 1 : outbound.port - 1;
      while (declared.some((c) => c.from === name && c.port === q)) q = q < 65535 ? q + 1 : 1;
      undeclared.push({ u: undeclared.length, from: name, to: outbound.to, port: q, via: 'relay', guest: g, cid: 2 });
    }
    const direct = declared.find((c) => c.from === name && c.to !== name && isLinux(t, idx.get(c.to) ?? -1));
    if (direct) undeclared.push({ u: undeclared.length, from: name, to: direct.to, port: direct.port, via: 'direct', guest: g, cid: guestCid(idx.get(direct.to) ?? 0) });
  }
  const leak = hooks.leakUndeclared ? undeclared.find((x) => x.via === 'relay') : undefined;
  if (leak) relay.push({ port: leak.port, fromCid: guestCid(leak.guest), toCid: 0 });
  const words: string[] = [];
  if (on) {
    words.push(`nb_vs=${vsockGuests.join('.')}`);
    if (relay.length) words.push(`nb_rl=${relay.map((r) => `${r.port}.${r.fromCid}.${r.toCid}`).join(',')}`);
    if (l1Probes.length) words.push(`nb_vr=${l1Probes.join('.')}`);
    for (const g of vsockGuests) {
      const l = [...(listen.get(g) ?? [])].sort((a, b) => a - b);
      if (l.length) words.push(`nb_vl${g}=${l.join('.')}`);
      const c = connect.get(g);
      if (c?.length) words.push(`nb_vc${g}=${c.join('.')}`);
      const u = undeclared.filter((x) => x.guest === g).map((x) => `${x.u}-${x.cid}-${x.port}`);
      if (u.length) words.push(`nb_vu${g}=${u.join('.')}`);
    }
    const p = phases ?? { idleS: 0, stressS: 0, afterFaultS: 0 };
    words.push(`nb_ph=${[p.idleS, p.stressS, p.faultGuest ?? 'x', p.afterFaultS, p.spatialGuest ?? 'x'].map((x) => (typeof x === 'number' ? Math.max(0, Math.round(x)) : x)).join(',')}`);
  }
  for (const w of words) if (!/^nb_[a-z0-9]+=[0-9.,x-]*$/.test(w)) throw new Error(`unexpected channel word ${JSON.stringify(w)}`);
  return { channels, undeclared, vsockGuests, relay, words };
};

/** How long the rtos guests run their task set, host-side ms of guest time: the hold time + 2 s
 * (heartbeats meanwhile); in an orchestrated run they must outlive the Linux guests' boot, the probes
 * and every phase (`phaseS`). Guest time follows the host clock in fast mode; under icount it is L1's
 * time too, and measured (it-isolation, docs/emulation-notes.md) all guests were ready at rtos time
 * ≈ 5 s and the probes took ≈ 3.4 s. */
export const rtosRunMs = (t: ValidTopology, o: { readonly deterministic: boolean; readonly holdS: number; readonly orchestrated: boolean; readonly phaseS: number }): number => {
  const linuxGuests = t.guests.filter((g) => AGENT_OS.has(g.os)).length;
  const orchS = o.deterministic ? 2 + 2 * linuxGuests + 4 + o.phaseS : 25 + 12 * linuxGuests + o.phaseS;
  return Math.round((Math.max(0, o.holdS) + 2 + (o.orchestrated ? orchS : 0)) * 1000);
};
