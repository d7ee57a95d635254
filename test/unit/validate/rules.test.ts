// One test per rule: the code, severity, location and a message that names the values.
import { describe, expect, it } from 'vitest';
import { brief, topologyYaml, validateText } from '../../helpers/validate.js';

/** A guest as a flow mapping; `fields` ("key: value, …") override the defaults. */
const guest = (fields: string) => {
  const map = new Map([['role', 'other'], ['asil', 'QM'], ['os', 'linux'], ['vcpus', '1'], ['memoryMiB', '256']]);
  for (const part of fields.split(/, (?=[a-zA-Z]+:)/)) {
    const i = part.indexOf(':');
    map.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return `  - { ${[...map].map(([k, v]) => `${k}: ${v}`).join(', ')} }\n`;
};
const only = (text: string, code: string) => validateText(text).diagnostics.filter((d) => d.code === code);

describe('references', () => {
  it('NB2003 pin length must equal vcpus', () => {
    const [d] = only(topologyYaml(guest('name: a, vcpus: 2, pin: [0]')), 'NB2003');
    expect(d?.message).toBe('guest a has vcpus = 2 but pin lists 1 hypervisor vCPU [0]');
    expect(d?.path).toBe('guests[0].pin');
  });

  it('NB2004 names the index and the valid range', () => {
    const [d] = only(topologyYaml(guest('name: a, pin: [2]')), 'NB2004');
    expect(d).toMatchObject({ severity: 'error', path: 'guests[0].pin[0]', message: 'pin[0] = 2, but the hypervisor has 2 vCPUs (0..1)' });
  });

  it('NB2005 task on a vCPU the guest lacks, NB2006 duplicate priority', () => {
    const text = topologyYaml(`  - name: a
    role: safety
    asil: B
    os: rtos
    vcpus: 1
    pin: [0]
    memoryMiB: 64
    tasks:
      - { name: t1, periodUs: 1000, wcetUs: 10, priority: 50 }
      - { name: t2, periodUs: 1000, wcetUs: 10, priority: 50 }
      - { name: t3, periodUs: 1000, wcetUs: 10, priority: 40, vcpu: 1 }
`);
    const v = validateText(text);
    expect(brief(v)).toContain('NB2006@16:59');
    expect(brief(v)).toContain('NB2005@17:69');
    expect(v.diagnostics.find((d) => d.code === 'NB2006')?.message).toBe('tasks t1 and t2 of guest a both have priority 50 on vcpu 0; fixed-priority analysis needs distinct priorities');
  });

  it('NB2002 unknown channel end lists the guests; NB2007 self channel is a warning', () => {
    const v = validateText(topologyYaml(guest('name: a, pin: [0]'), 'channels:\n  - { from: a, to: b, kind: vsock, port: 1 }\n  - { from: a, to: a, kind: vsock, port: 2 }\n'));
    expect(v.diagnostics.find((d) => d.code === 'NB2002')?.message).toBe('channels[0].to = "b" is not a guest (guests: a)');
    expect(v.diagnostics.find((d) => d.code === 'NB2007')?.severity).toBe('warning');
  });

  it('NB2010 info when the profile has no budget for a role', () => {
    const v = validateText(topologyYaml(guest('name: a, pin: [0]'), 'profile: nxp-s32g3\n'));
    expect(v.diagnostics.filter((d) => d.code === 'NB2010').map((d) => d.severity)).toEqual(['info']);
  });
});

describe('resources', () => {
  it('NB3001 spells out the sum', () => {
    const text = topologyYaml(guest('name: a, pin: [0], memoryMiB: 1024') + guest('name: b, pin: [1], memoryMiB: 768'));
    const [d] = only(text, 'NB3001');
    expect(d?.message).toBe('hypervisor.memoryMiB = 2048, but the guests need 2304 MiB: a 1024 + b 768 + 2 × 64 VMM overhead + 384 hypervisor base');
    expect(d?.path).toBe('hypervisor.memoryMiB');
  });

  it('NB3002 host memory, NB3003 vCPUs > cores (warning)', () => {
    const text = `apiVersion: nestbed/v1
kind: Topology
name: t
host: { cpu: max, cores: 1, memoryMiB: 2048 }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 2048 }
guests:
${guest('name: a, pin: [0]')}`;
    const v = validateText(text);
    expect(v.diagnostics.find((d) => d.code === 'NB3002')?.message).toBe('host.memoryMiB = 2048, but the hypervisor VM needs 2048 + 512 L0 base = 2560 MiB');
    expect(v.diagnostics.find((d) => d.code === 'NB3003')?.severity).toBe('warning');
  });
});

describe('mixed criticality', () => {
  const safety = '  - { name: s, role: safety, asil: D, os: rtos, vcpus: 1, pin: [0], memoryMiB: 64, vcpuServer: { periodUs: 1000, budgetUs: 500 } }\n';

  it('NB4001 an ASIL guest sharing without servers on every sharer', () => {
    const [d] = only(topologyYaml(safety + guest('name: q, pin: [0]')), 'NB4001');
    expect(d?.message).toBe('hypervisor vCPU 0 is shared by s (ASIL D), q (QM), but q has no vcpuServer: no freedom from interference for the ASIL guest');
    expect(d?.path).toBe('guests[1].pin[0]');
  });

  it('sharing is fine when every sharer has a server; QM-only sharing needs none', () => {
    expect(only(topologyYaml(safety + guest('name: q, pin: [0], vcpuServer: { periodUs: 1000, budgetUs: 400 }')), 'NB4001')).toEqual([]);
    expect(only(topologyYaml(guest('name: a, pin: [0]') + guest('name: b, pin: [0]')), 'NB4001')).toEqual([]);
  });

  it('NB4002 Σ budget/period > 1 exactly (1/3 + 2/3 = 1 is fine)', () => {
    const s = (name: string, p: number, b: number) => guest(`name: ${name}, pin: [0], vcpuServer: { periodUs: ${p}, budgetUs: ${b} }`);
    expect(only(topologyYaml(s('a', 3, 1) + s('b', 3, 2)), 'NB4002')).toEqual([]);
    const [d] = only(topologyYaml(s('a', 1000, 600) + s('b', 2000, 1000)), 'NB4002');
    expect(d?.message).toBe('the vcpuServers on hypervisor vCPU 0 need 60.0 % (a) + 50.0 % (b) = 110.0 % > 100 % of it');
  });

  it('NB4004 a latency budget below the server blackout 2(Π − Θ) is a warning; equal is fine', () => {
    const s = (p: number, b: number, latency: number) => guest(`name: a, pin: [0], vcpuServer: { periodUs: ${p}, budgetUs: ${b} }, budgets: { latencyUs: ${latency} }`);
    expect(only(topologyYaml(s(250, 150, 200)), 'NB4004')).toEqual([]);
    const [d] = only(topologyYaml(s(1000, 600, 200)), 'NB4004');
    expect(d).toMatchObject({ severity: 'warning', path: 'guests[0].vcpuServer' });
    expect(d?.message).toBe('a: its budgets.latencyUs is 200 µs, but its vcpuServer 600/1000 µs can withhold the CPU for up to 2 × (1000 − 600) = 800 µs: the latency budget cannot be guaranteed (shorten the period or raise the budget)');
  });

  it("NB4006 a latency budget below the ECU's own interrupt path is a warning at the budget (Orin: 5 µs)", () => {
    const withBudget = (latency: number) => topologyYaml(guest(`name: a, pin: [0], budgets: { latencyUs: ${latency} }`), 'profile: nvidia-drive-orin\n');
    expect(validateText(withBudget(5)).diagnostics.filter((d) => d.code === 'NB4006')).toEqual([]);
    const [d] = validateText(withBudget(2)).diagnostics.filter((d) => d.code === 'NB4006');
    expect(d).toMatchObject({ severity: 'warning', path: 'guests[0].budgets.latencyUs' });
    expect(d?.message).toBe("a: budgets.latencyUs = 2 µs is below the ECU's own interrupt path of 5 µs (profile nvidia-drive-orin platform.interruptPathUs): no hypervisor configuration can meet it");
    // no profile: nothing to compare with
    expect(only(topologyYaml(guest('name: a, pin: [0], budgets: { latencyUs: 2 }')), 'NB4006')).toEqual([]);
  });

  it('NB6003 servers above the 95 % SCHED_DEADLINE admission of one vCPU (but ≤ 100 %) are a warning', () => {
    const s = (name: string, p: number, b: number) => guest(`name: ${name}, pin: [0], vcpuServer: { periodUs: ${p}, budgetUs: ${b} }`);
    expect(only(topologyYaml(s('a', 1000, 600) + s('b', 1000, 350)), 'NB6003')).toEqual([]);
    const [d] = only(topologyYaml(s('a', 1000, 600) + s('b', 1000, 370)), 'NB6003');
    expect(d).toMatchObject({ severity: 'warning', path: 'guests[1].vcpuServer' });
    expect(d?.message).toContain('add up to 97.0 %');
  });

  it('NB4003 channel from QM into ASIL C/D is a warning', () => {
    const v = validateText(topologyYaml(safety + guest('name: q, pin: [1]'), 'channels:\n  - { from: q, to: s, kind: vsock, port: 7 }\n'));
    const d = v.diagnostics.find((x) => x.code === 'NB4003');
    expect(d).toMatchObject({ severity: 'warning', path: 'channels[0]', line: 10, column: 5 });
  });
});

describe('schedulability diagnostics', () => {
  const tasks = (asil: string, server: string) => `  - name: g
    role: safety
    asil: ${asil}
    os: rtos
    vcpus: 1
    pin: [0]
    memoryMiB: 64
${server}    tasks:
      - { name: fast, periodUs: 1000, wcetUs: 100, priority: 90 }
`;
  it('a miss is an error for ASIL A–D, a warning for QM', () => {
    const server = '    vcpuServer: { periodUs: 1000, budgetUs: 500 }\n';
    expect(only(topologyYaml(tasks('D', server)), 'NB5001').map((d) => d.severity)).toEqual(['error']);
    expect(only(topologyYaml(tasks('QM', server)), 'NB5001').map((d) => d.severity)).toEqual(['warning']);
  });
  it('NB5002 no guaranteed supply on a shared vCPU without server', () => {
    const v = validateText(topologyYaml(tasks('QM', '') + guest('name: other, pin: [0]')));
    expect(v.diagnostics.find((d) => d.code === 'NB5002')?.message).toBe('guest g vcpu 0 shares hypervisor vCPU 0 with other guest vCPUs and has no vcpuServer: its 1 task (fast) have no guaranteed supply');
    expect(v.schedulability[0]?.supply).toEqual({ kind: 'none' });
  });
});

describe('emulation', () => {
  it('NB6001 warns in fast timing and informs in deterministic timing', () => {
    const two = guest('name: a, pin: [0]') + guest('name: b, pin: [0]');
    expect(only(topologyYaml(two), 'NB6001').map((d) => d.severity)).toEqual(['warning']);
    const det = topologyYaml(two).replace('memoryMiB: 4096 }', 'memoryMiB: 4096, timing: deterministic }');
    expect(only(det, 'NB6001').map((d) => d.severity)).toEqual(['info']);
  });
});

describe('ordering and profile override', () => {
  it('diagnostics are sorted by position', () => {
    const v = validateText(topologyYaml(guest('name: a, pin: [5]') + guest('name: b, vcpus: 2, pin: [7]')));
    const pos = v.diagnostics.map((d) => d.line * 1000 + d.column);
    expect(pos).toEqual([...pos].sort((a, b) => a - b));
  });
  it('an override replaces the file’s profile', () => {
    const text = topologyYaml(guest('name: a, pin: [0]'), 'profile: nxp-s32g3\n');
    expect(validateText(text, 'ti-tda4vm').profile?.id).toBe('ti-tda4vm');
  });
});

describe('runner-related hints', () => {
  it('NB4005 warns at a channel to an os: custom guest (the runner refuses it)', () => {
    const v = validateText(topologyYaml(`${guest('name: a, pin: [0]')}${guest('name: c, pin: [1], os: custom, image: { kernel: k.Image }')}`, 'channels:\n  - { from: a, to: c, kind: vsock, port: 7 }\n'));
    expect(v.diagnostics.find((d) => d.code === 'NB4005')).toMatchObject({ severity: 'warning', path: 'channels[0]', message: 'channel a → c: c is an os: custom guest; nestbed run does not realise channels to or from custom images yet (it refuses to run this topology)' });
  });

  it('NB6004 suggests a housekeeping core when a safety guest has tasks and host.cores = hypervisor.vcpus', () => {
    const rt = guest('name: s, asil: D, os: rtos, memoryMiB: 64, pin: [1], tasks: [{ name: t, periodUs: 1000, wcetUs: 10, priority: 9 }]');
    expect(only(topologyYaml(`${guest('name: a, pin: [0]')}${rt}`), 'NB6004').map((d) => [d.severity, d.path])).toEqual([['info', 'host.cores']]);
    expect(only(topologyYaml(`${guest('name: a, pin: [0]')}${rt}`).replace('cores: 2', 'cores: 3'), 'NB6004')).toEqual([]);
  });
});
