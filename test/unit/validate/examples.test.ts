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
    // every partition on a hypervisor vCPU of its own: dedicated supply, R = Σ wcet of hp(i) ∪ {i}
    expect(rows).toEqual([
      'safety/0 dedicated brake-monitor R=100 D=1000',
      'safety/0 dedicated torque-arbiter R=700 D=4000',
      'safety/0 dedicated watchdog-kick R=750 D=10000',
      'adas/0 dedicated lane-keeping R=2000 D=10000',
      'adas/0 dedicated object-fusion R=6000 D=50000',
    ]);
  });
  it('the shared-core controller is valid, with the hand-computed server response times', () => {
    const v = validateExample('shared-core.yaml');
    expect(v.errors).toBe(0);
    const rows = responseRows(v);
    // adas: server Π=250 Θ=150, blackout 2(Π−Θ) = 200; tbf(w) = 200 + (k−1)·250 + (w − (k−1)·150), k = ⌈w/150⌉
    //   lane-keeping   tbf(2000): k = 14 → 200 + 3250 + 50 = 3500
    //   object-fusion  start tbf(6000): k = 40 → 200 + 9750 + 150 = 10100; w = 4000 + ⌈10100/10000⌉·2000 = 8000
    //                  → tbf(8000): k = 54 → 200 + 13250 + 50 = 13500; w = 4000 + 2·2000 = 8000 (fixed point)
    expect(rows).toEqual([
      'safety/0 dedicated brake-monitor R=100 D=1000',
      'safety/0 dedicated torque-arbiter R=700 D=4000',
      'adas/0 server lane-keeping R=3500 D=10000',
      'adas/0 server object-fusion R=13500 D=50000',
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
