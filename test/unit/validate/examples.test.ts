import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brief, examplePath, validateExample } from '../../helpers/validate.js';

/** One line per task: guest/vcpu, supply kind, task, response time and deadline. */
const responseRows = (v: ReturnType<typeof validateExample>): string[] =>
  v.schedulability.flatMap((s) => s.tasks.map((t) => `${s.guest}/${s.vcpu} ${s.supply.kind} ${t.name} R=${t.responseTimeUs} D=${t.deadlineUs}`));

describe('examples', () => {
  it('the realistic zonal controller is valid, with the hand-computed response times', () => {
    const v = validateExample('zonal-controller.yaml');
    expect(v.errors).toBe(0);
    expect(v.malformed).toBe(false);
    expect(v.valid).toBeDefined();
    expect(v.profile?.id).toBe('nvidia-drive-orin');
    const rows = responseRows(v);
    // every partition on a hypervisor vCPU of its own: dedicated supply; the profile's interrupt path
    // J = 5 µs: R = J + w, w = C_i + Σ_hp ⌈(w+J)/T_j⌉(C_j + J) + Σ_lp ⌈(w+J)/T_j⌉·J
    //   brake-monitor  w = 100 + 5 (torque) + 5 (watchdog) = 110 → R = 115
    //   torque-arbiter w = 600 + 1·(100+5) + 5 = 710 → R = 715
    //   watchdog-kick  w = 50 + 1·105 + 1·605 = 760 → R = 765
    //   lane-keeping   w = 2000 + 5 = 2005 → R = 2010; object-fusion w = 4000 + 1·2005 = 6005 → R = 6010
    expect(rows).toEqual([
      'safety/0 dedicated brake-monitor R=115 D=1000',
      'safety/0 dedicated torque-arbiter R=715 D=4000',
      'safety/0 dedicated watchdog-kick R=765 D=10000',
      'adas/0 dedicated lane-keeping R=2010 D=10000',
      'adas/0 dedicated object-fusion R=6010 D=50000',
    ]);
    expect(v.schedulability.every((s) => s.interruptPathUs === 5)).toBe(true);
  });
  it('the shared-core controller is valid, with the hand-computed server response times', () => {
    const v = validateExample('shared-core.yaml');
    expect(v.errors).toBe(0);
    const rows = responseRows(v);
    // Orin's interrupt path J = 5 µs, R = J + w (see the zonal example); safety dedicated:
    //   brake-monitor  w = 100 + 5 = 105 → R = 110; torque-arbiter w = 600 + 1·105 = 705 → R = 710
    // adas: server Π=250 Θ=150, blackout Π−Θ = 100; tbf(d) = (k+1)·100 + d, k = ⌈d/150⌉
    //   lane-keeping   demand 2000 + 5 = 2005: k = 14 → 1500 + 2005 = 3505 → R = 3510
    //   object-fusion  demand 4000 + 1·2005 = 6005: k = 41 → 4200 + 6005 = 10205;
    //                  demand 4000 + ⌈10210/10000⌉·2005 = 8010: k = 54 → 5500 + 8010 = 13510 (fixed point) → R = 13515
    expect(rows).toEqual([
      'safety/0 dedicated brake-monitor R=110 D=1000',
      'safety/0 dedicated torque-arbiter R=710 D=4000',
      'adas/0 server lane-keeping R=3510 D=10000',
      'adas/0 server object-fusion R=13515 D=50000',
    ]);
  });

  it.each(['minimal.yaml', 'two-linux.yaml'])('%s is valid without warnings', (name) => {
    const v = validateExample(name);
    expect(brief(v)).toEqual([]);
    expect(v.valid).toBeDefined();
  });

  // Each broken example states what it must produce in its header comment; JSON cannot hold one.
  const broken = readdirSync(examplePath('broken')).sort();
  const expectations: Record<string, string> = { 'syntax-error.json': 'exit 2, NB1001 at 6:43' };
  it('there is a broken example for every rule family', () => {
    expect(broken.length).toBeGreaterThanOrEqual(12);
  });
  it.each(broken)('broken/%s produces its expected diagnostic', (name) => {
    const text = readFileSync(examplePath(`broken/${name}`), 'utf8');
    const header = expectations[name] ?? /^# expect: (.*)$/m.exec(text)?.[1];
    expect(header, `${name} has no "# expect:" line`).toBeDefined();
    const m = /^exit ([12]), (NB\d{4}) at (\d+):(\d+)$/.exec(header!)!;
    expect(m).not.toBeNull();
    const [, exit, code, line, column] = m;
    const v = validateExample(`broken/${name}`);
    const d = v.diagnostics.find((x) => x.code === code);
    expect(d, `${name}: ${brief(v).join(' ')}`).toBeDefined();
    expect(d!.severity).toBe('error');
    expect(`${d!.line}:${d!.column}`).toBe(`${line}:${column}`);
    expect(v.malformed ? 2 : v.errors > 0 ? 1 : 0).toBe(Number(exit));
    expect(v.valid).toBeUndefined();
  });
});
