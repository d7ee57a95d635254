// Cross-field rules of a schema-valid topology (spec/topology.md "Static validation"). Each rule is
// a function from the topology to diagnostics; positions come from the source map.
import { formatPath, type Diagnostic, type DiagnosticCode, type Severity } from '../model/diagnostic.js';
import { HYPERVISOR_BASE_MIB, L0_BASE_MIB, VMM_OVERHEAD_MIB } from '../model/overheads.js';
import type { EcuProfile } from '../model/profile.js';
import { AGENT_OS, isSafetyAsil, taskDeadline, taskVcpu, type Topology } from '../model/topology.js';
import type { SourceMap } from './parse-source.js';

export interface RuleContext {
  readonly topology: Topology;
  readonly sourceMap: SourceMap;
  readonly profile: EcuProfile | undefined;
  readonly report: (code: DiagnosticCode, severity: Severity, path: ReadonlyArray<PropertyKey>, message: string, options?: { key?: boolean }) => void;
  /** Checks a custom image file (absent where there is no file system, e.g. in a browser). */
  readonly files?: ImageFileInspector | undefined;
}

/** What a custom image file must be; the inspector answers with a problem, or undefined when fine. */
export type ImageFileRole = 'kernel' | 'initrd';
export type ImageFileInspector = (path: string, role: ImageFileRole) => string | undefined;

/** `os: custom` ⇔ `image`; workloads need the agent; the image files exist and look right. */
const customImages = ({ topology, report, files }: RuleContext): void => {
  topology.guests.forEach((g, gi) => {
    if (g.os === 'custom' && !g.image) report('NB1032', 'error', ['guests', gi, 'os'], `guest ${g.name} has os: custom but no image: give image.kernel (and optionally initrd, cmdline, readyLine)`);
    if (g.os !== 'custom' && g.image) report('NB1032', 'error', ['guests', gi, 'image'], `guest ${g.name} has an image but os: ${g.os}; an image is used only with os: custom`, { key: true });
    if (g.workload && !AGENT_OS.has(g.os)) {
      report('NB1033', 'error', ['guests', gi, 'workload'], `guest ${g.name} (os: ${g.os}) declares a workload, but workloads run through nestbed's agent, which only os: linux and linux-rt guests have`, { key: true });
    }
    if (g.os !== 'custom' || !g.image || !files) return;
    for (const role of ['kernel', 'initrd'] as const) {
      const p = g.image[role];
      const problem = p === undefined ? undefined : files(p, role);
      if (problem !== undefined) report('NB2011', 'error', ['guests', gi, 'image', role], `guest ${g.name} image.${role} "${p}": ${problem}`);
    }
  });
};

export const makeReporter = (sourceMap: SourceMap, out: Diagnostic[]): RuleContext['report'] => (code, severity, path, message, options) => {
  const p = sourceMap.locate(path, options);
  out.push({ code, severity, message, path: formatPath(path), line: p.line, column: p.column, endLine: p.endLine, endColumn: p.endColumn });
};

const pct = (num: number, den: number): string => `${((100 * num) / den).toFixed(1)} %`;

/** Duplicate names and the "must satisfy" constraints of the format (input-class: exit 2). */
const formatConstraints = ({ topology, report }: RuleContext): void => {
  const guestSeen = new Map<string, number>();
  topology.guests.forEach((g, gi) => {
    const first = guestSeen.get(g.name);
    if (first !== undefined) report('NB1020', 'error', ['guests', gi, 'name'], `guest name "${g.name}" is already used by guests[${first}]`);
    else guestSeen.set(g.name, gi);
    if (g.vcpuServer && g.vcpuServer.budgetUs > g.vcpuServer.periodUs) {
      report('NB1030', 'error', ['guests', gi, 'vcpuServer', 'budgetUs'], `guests[${gi}] (${g.name}) vcpuServer.budgetUs = ${g.vcpuServer.budgetUs} exceeds periodUs = ${g.vcpuServer.periodUs}`);
    }
    const taskSeen = new Map<string, number>();
    g.tasks?.forEach((t, ti) => {
      const prev = taskSeen.get(t.name);
      if (prev !== undefined) report('NB1021', 'error', ['guests', gi, 'tasks', ti, 'name'], `task name "${t.name}" is already used by guests[${gi}].tasks[${prev}] in guest ${g.name}`);
      else taskSeen.set(t.name, ti);
      const d = taskDeadline(t);
      if (t.wcetUs > d) report('NB1031', 'error', ['guests', gi, 'tasks', ti, 'wcetUs'], `task ${g.name}/${t.name}: wcetUs = ${t.wcetUs} exceeds ${t.deadlineUs === undefined ? 'its deadline (= periodUs)' : 'deadlineUs'} = ${d}`);
      if (t.deadlineUs !== undefined && t.deadlineUs > t.periodUs) report('NB1031', 'error', ['guests', gi, 'tasks', ti, 'deadlineUs'], `task ${g.name}/${t.name}: deadlineUs = ${t.deadlineUs} exceeds periodUs = ${t.periodUs}`);
    });
  });
  const channelSeen = new Map<string, number>();
  topology.channels?.forEach((c, ci) => {
    const key = `${c.from}\u0000${c.to}\u0000${c.kind}\u0000${c.port}`;
    const prev = channelSeen.get(key);
    if (prev !== undefined) report('NB1022', 'error', ['channels', ci], `channel ${c.from} → ${c.to} (${c.kind} port ${c.port}) is already declared as channels[${prev}]`);
    else channelSeen.set(key, ci);
  });
};

const references = ({ topology, report, profile }: RuleContext): void => {
  const hv = topology.hypervisor.vcpus;
  const names = new Set(topology.guests.map((g) => g.name));
  topology.guests.forEach((g, gi) => {
    if (g.pin.length !== g.vcpus) {
      report('NB2003', 'error', ['guests', gi, 'pin'], `guest ${g.name} has vcpus = ${g.vcpus} but pin lists ${g.pin.length} hypervisor vCPU${g.pin.length === 1 ? '' : 's'} [${g.pin.join(', ')}]`);
    }
    const seenPin = new Map<number, number>();
    g.pin.forEach((h, k) => {
      if (h >= hv) report('NB2004', 'error', ['guests', gi, 'pin', k], `pin[${k}] = ${h}, but the hypervisor has ${hv} vCPU${hv === 1 ? '' : 's'} (0..${hv - 1})`);
      const prev = seenPin.get(h);
      if (prev !== undefined) report('NB2008', 'warning', ['guests', gi, 'pin', k], `guest ${g.name} pins vCPUs ${prev} and ${k} both to hypervisor vCPU ${h}: they share it, so neither has dedicated supply`);
      else seenPin.set(h, k);
    });
    const prio = new Map<string, number>();
    g.tasks?.forEach((t, ti) => {
      const v = taskVcpu(t);
      if (v >= g.vcpus) report('NB2005', 'error', ['guests', gi, 'tasks', ti, 'vcpu'], `task ${g.name}/${t.name} runs on vcpu ${v}, but guest ${g.name} has ${g.vcpus} vCPU${g.vcpus === 1 ? '' : 's'} (0..${g.vcpus - 1})`);
      const key = `${v}:${t.priority}`;
      const prev = prio.get(key);
      if (prev !== undefined) {
        report('NB2006', 'error', ['guests', gi, 'tasks', ti, 'priority'], `tasks ${g.tasks![prev]!.name} and ${t.name} of guest ${g.name} both have priority ${t.priority} on vcpu ${v}; fixed-priority analysis needs distinct priorities`);
      } else prio.set(key, ti);
    });
    if (profile && profile.budgets[g.role] === undefined && g.budgets === undefined) {
      report('NB2010', 'info', ['guests', gi, 'role'], `profile ${profile.id} has no budgets for role ${g.role}; guest ${g.name}'s boot, memory and latency are measured but not judged`);
    }
  });
  topology.channels?.forEach((c, ci) => {
    for (const end of ['from', 'to'] as const) {
      if (!names.has(c[end])) report('NB2002', 'error', ['channels', ci, end], `channels[${ci}].${end} = "${c[end]}" is not a guest (guests: ${[...names].join(', ')})`);
    }
    if (c.from === c.to) report('NB2007', 'warning', ['channels', ci], `channel ${c.from} → ${c.to} connects a guest to itself; it needs no channel`);
  });
};

const resources = ({ topology, report, profile }: RuleContext): void => {
  const { guests, hypervisor, host } = topology;
  const guestMem = guests.reduce((s, g) => s + g.memoryMiB, 0);
  const need = guestMem + guests.length * VMM_OVERHEAD_MIB + HYPERVISOR_BASE_MIB;
  if (need > hypervisor.memoryMiB) {
    report('NB3001', 'error', ['hypervisor', 'memoryMiB'],
      `hypervisor.memoryMiB = ${hypervisor.memoryMiB}, but the guests need ${need} MiB: ${guests.map((g) => `${g.name} ${g.memoryMiB}`).join(' + ')} + ${guests.length} × ${VMM_OVERHEAD_MIB} VMM overhead + ${HYPERVISOR_BASE_MIB} hypervisor base`);
  }
  if (hypervisor.memoryMiB + L0_BASE_MIB > host.memoryMiB) {
    report('NB3002', 'error', ['host', 'memoryMiB'], `host.memoryMiB = ${host.memoryMiB}, but the hypervisor VM needs ${hypervisor.memoryMiB} + ${L0_BASE_MIB} L0 base = ${hypervisor.memoryMiB + L0_BASE_MIB} MiB`);
  }
  if (hypervisor.vcpus > host.cores) {
    report('NB3003', 'warning', ['hypervisor', 'vcpus'], `hypervisor.vcpus = ${hypervisor.vcpus} exceeds host.cores = ${host.cores}: hypervisor vCPUs share emulated cores, so pinned guests do not get the CPU they were promised`);
  }
  if (profile && guestMem > profile.memoryMiB) {
    report('NB3004', 'warning', ['guests'], `the guests need ${guestMem} MiB, but ${profile.name} has ${profile.memoryMiB} MiB: this partitioning would not fit the ECU`);
  }
  guests.forEach((g, gi) => {
    if (g.budgets?.memoryMiB !== undefined && g.budgets.memoryMiB > g.memoryMiB) {
      report('NB3005', 'warning', ['guests', gi, 'budgets', 'memoryMiB'], `guest ${g.name}: budgets.memoryMiB = ${g.budgets.memoryMiB} exceeds its memoryMiB = ${g.memoryMiB}; the budget can never be exceeded`);
    }
  });
};

interface Sharer {
  readonly guest: number;
  readonly vcpu: number;
}

/** Guest vCPUs per hypervisor vCPU, in topology order. */
export const sharersByHypervisorVcpu = (topology: Topology): Map<number, Sharer[]> => {
  const map = new Map<number, Sharer[]>();
  topology.guests.forEach((g, gi) =>
    g.pin.forEach((h, k) => {
      if (k >= g.vcpus) return;
      let list = map.get(h);
      if (!list) map.set(h, (list = []));
      list.push({ guest: gi, vcpu: k });
    }),
  );
  return map;
};

const mixedCriticality = ({ topology, report }: RuleContext): void => {
  const { guests } = topology;
  for (const [h, sharers] of sharersByHypervisorVcpu(topology)) {
    const guestIdx = [...new Set(sharers.map((s) => s.guest))];
    if (guestIdx.length >= 2) {
      const asil = guestIdx.filter((gi) => isSafetyAsil(guests[gi]!.asil));
      if (asil.length > 0) {
        const desc = guestIdx.map((gi) => `${guests[gi]!.name} (${guests[gi]!.asil === 'QM' ? 'QM' : `ASIL ${guests[gi]!.asil}`})`).join(', ');
        for (const gi of guestIdx) {
          const g = guests[gi]!;
          if (g.vcpuServer) continue;
          const k = sharers.find((s) => s.guest === gi)!.vcpu;
          report('NB4001', 'error', ['guests', gi, 'pin', k], `hypervisor vCPU ${h} is shared by ${desc}, but ${g.name} has no vcpuServer: no freedom from interference for the ASIL guest`);
        }
      }
    }
    // Σ Θ/Π ≤ 1, exactly: accumulate the fraction with BigInt.
    const servers = sharers.filter((s) => guests[s.guest]!.vcpuServer);
    if (servers.length > 0) {
      let num = 0n;
      let den = 1n;
      for (const s of servers) {
        const { budgetUs, periodUs } = guests[s.guest]!.vcpuServer!;
        num = num * BigInt(periodUs) + BigInt(budgetUs) * den;
        den *= BigInt(periodUs);
      }
      if (num > den) {
        const parts = servers.map((s) => {
          const g = guests[s.guest]!;
          return `${pct(g.vcpuServer!.budgetUs, g.vcpuServer!.periodUs)} (${g.name}${g.vcpus > 1 ? ` vcpu ${s.vcpu}` : ''})`;
        });
        const total = servers.reduce((acc, s) => acc + guests[s.guest]!.vcpuServer!.budgetUs / guests[s.guest]!.vcpuServer!.periodUs, 0);
        const last = servers[servers.length - 1]!;
        report('NB4002', 'error', ['guests', last.guest, 'vcpuServer'], `the vcpuServers on hypervisor vCPU ${h} need ${parts.join(' + ')} = ${(100 * total).toFixed(1)} % > 100 % of it`);
      }
    }
  }
};

/** A server with period Π and budget Θ can withhold the CPU for 2(Π − Θ) (Shin & Lee's worst case:
 * budget spent at the start of one period, next budget at the end of the next). A latency budget
 * below that cannot be guaranteed whatever the guest does. */
const latencyVsServer = ({ topology, report, profile }: RuleContext): void => {
  topology.guests.forEach((g, gi) => {
    const s = g.vcpuServer;
    const latency = g.budgets?.latencyUs ?? profile?.budgets[g.role]?.latencyUs;
    if (!s || latency === undefined) return;
    const blackout = 2 * (s.periodUs - s.budgetUs);
    if (latency < blackout) {
      const from = g.budgets?.latencyUs !== undefined ? 'its budgets.latencyUs' : `profile ${profile!.id}'s ${g.role} latencyUs`;
      report('NB4004', 'warning', ['guests', gi, 'vcpuServer'], `${g.name}: ${from} is ${latency} µs, but its vcpuServer ${s.budgetUs}/${s.periodUs} µs can withhold the CPU for up to 2 × (${s.periodUs} − ${s.budgetUs}) = ${blackout} µs: the latency budget cannot be guaranteed (shorten the period or raise the budget)`);
    }
  });
};

/** The ECU's own interrupt path (profile platform.interruptPathUs) is the least latency any
 * configuration can reach: a budget below it is unreachable (and `check` fails it). */
const latencyVsPlatform = ({ topology, report, profile }: RuleContext): void => {
  const path = profile?.platform?.interruptPathUs;
  if (path === undefined) return;
  topology.guests.forEach((g, gi) => {
    const own = g.budgets?.latencyUs;
    const latency = own ?? profile?.budgets[g.role]?.latencyUs;
    if (latency === undefined || latency >= path) return;
    const where: (string | number)[] = own !== undefined ? ['guests', gi, 'budgets', 'latencyUs'] : ['guests', gi, 'role'];
    const from = own !== undefined ? 'budgets.latencyUs' : `profile ${profile!.id}'s ${g.role} latencyUs`;
    report('NB4006', 'warning', where, `${g.name}: ${from} = ${latency} µs is below the ECU's own interrupt path of ${path} µs (profile ${profile!.id} platform.interruptPathUs): no hypervisor configuration can meet it`);
  });
};

const channels = ({ topology, report }: RuleContext): void => {
  const byName = new Map(topology.guests.map((g) => [g.name, g]));
  topology.channels?.forEach((c, ci) => {
    const from = byName.get(c.from);
    const to = byName.get(c.to);
    if (from && to && from.asil === 'QM' && (to.asil === 'C' || to.asil === 'D')) {
      report('NB4003', 'warning', ['channels', ci], `channel ${c.from} (QM) → ${c.to} (ASIL ${to.asil}): data from a QM guest enters an ASIL ${to.asil} guest; the receiver must treat it as untrusted (ISO 26262-6 freedom from interference)`);
    }
    const custom = [from, to].find((g) => g?.os === 'custom');
    if (custom) {
      report('NB4005', 'warning', ['channels', ci], `channel ${c.from} → ${c.to}: ${custom.name} is an os: custom guest; nestbed run does not realise channels to or from custom images yet (it refuses to run this topology)`);
    }
  });
};

/** Linux admits SCHED_DEADLINE threads up to sched_rt_runtime_us / sched_rt_period_us = 95 % per CPU. */
const DEADLINE_ADMISSION_PCT = 95;

const emulation = ({ topology, report }: RuleContext): void => {
  for (const [h, sharers] of sharersByHypervisorVcpu(topology)) {
    const servers = sharers.filter((x) => topology.guests[x.guest]!.vcpuServer);
    const pctSum = servers.reduce((acc, x) => acc + (100 * topology.guests[x.guest]!.vcpuServer!.budgetUs) / topology.guests[x.guest]!.vcpuServer!.periodUs, 0);
    if (pctSum > DEADLINE_ADMISSION_PCT && pctSum <= 100) {
      const last = servers[servers.length - 1]!;
      report('NB6003', 'warning', ['guests', last.guest, 'vcpuServer'], `the vcpuServers on hypervisor vCPU ${h} add up to ${pctSum.toFixed(1)} %: valid, but the hypervisor applies them as SCHED_DEADLINE reservations, which Linux admits only up to ${DEADLINE_ADMISSION_PCT} % per CPU, so nestbed run cannot apply the last one`);
    }
    if (sharers.length < 2) continue;
    const names = sharers.map((s) => `${topology.guests[s.guest]!.name}${topology.guests[s.guest]!.vcpus > 1 ? `/vcpu${s.vcpu}` : ''}`);
    const s = sharers[sharers.length - 1]!;
    // Measured (spec/emulation.md): with wall-clock timing one L1 vCPU multiplexing two L2 vCPUs
    // collapses (41–75 s boots instead of ~20 s); with instruction counting it does not.
    if (topology.host.timing === 'deterministic') {
      report('NB6001', 'info', ['guests', s.guest, 'pin', s.vcpu],
        `hypervisor vCPU ${h} multiplexes ${sharers.length} guest vCPUs (${names.join(', ')}); deterministic timing keeps this from stalling under emulation`);
    } else {
      report('NB6001', 'warning', ['guests', s.guest, 'pin', s.vcpu],
        `hypervisor vCPU ${h} multiplexes ${sharers.length} guest vCPUs (${names.join(', ')}): with fast timing every switch between them is a nested world switch under emulation, and boots slow down from ~20 s to 40–75 s; give the hypervisor one vCPU per guest vCPU, or use host.timing: deterministic`);
    }
  }
  // Measured (docs/emulation-notes.md): a spare emulated core for L0's own work cuts the safety
  // guest's deadline misses by ~2.7× (930 → 338 of 4800 jobs), with nohz_full by 6.4× (→ 146)
  const safety = topology.guests.findIndex((g) => isSafetyAsil(g.asil) && g.tasks?.length);
  if (safety >= 0 && topology.host.cores <= topology.hypervisor.vcpus) {
    report('NB6004', 'info', ['host', 'cores'], `host.cores = ${topology.host.cores} = hypervisor.vcpus: L0's own work (its agent, the guest hypervisor VM's device emulation) shares the emulated cores with the hypervisor's vCPUs; one more core (host.cores: ${topology.hypervisor.vcpus + 1}) takes it off them and lowers the real-time guest ${topology.guests[safety]!.name}'s interference, at some boot time`);
  }
  if (topology.host.memoryMiB > 16384) {
    report('NB6002', 'info', ['host', 'memoryMiB'], `host.memoryMiB = ${topology.host.memoryMiB}: emulated memory is backed by the machine running nestbed; large sizes cost host RSS and boot time`);
  }
};

/** Rules in the order of spec/topology.md. `formatConstraints` comes first: its errors are input-class. */
export const RULES: ReadonlyArray<(ctx: RuleContext) => void> = [formatConstraints, customImages, references, resources, mixedCriticality, latencyVsServer, latencyVsPlatform, channels, emulation];
