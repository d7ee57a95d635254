import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brief, examplePath, validateExample } from '../../helpers/validate.js';

describe('examples', () => {
  it('the realistic zonal controller is valid, with the hand-computed response times', () => {
    const v = validateExample('zonal-controller.yaml');
    expect(v.errors).toBe(0);
    expect(v.malformed).toBe(false);
    expect(v.valid).toBeDefined();
    expect(v.profile?.id).toBe('nvidia-drive-orin');
    const rows = v.schedulability.flatMap((s) => s.tasks.map((t) => `${s.guest}/${s.vcpu} ${s.supply.kind} ${t.name} R=${t.responseTimeUs} D=${t.deadlineUs}`));
    // safety: server Π=500 Θ=250, blackout 2(Π−Θ) = 500.
    //   brake-monitor  tbf(100) = 500 + 100 = 600
    //   torque-arbiter w = 600 + ⌈R/1000⌉·100 → tbf(800) = 500 + 3·500 + 50 = 2050 → tbf(900) = 2150 (fixed point)
    //   watchdog-kick  tbf(w) = (⌈w/250⌉ + 1)·250 + w; start tbf(750) = 1750;
//                  w = 50 + ⌈1750/1000⌉·100 + ⌈1750/5000⌉·600 = 850 → 2100; w = 950 → 2200; w = 950 (fixed point)
    // adas: server Π=1000 Θ=400, blackout 1200.
    //   lane-keeping   tbf(2000) = 1200 + 4·1000 + 400 = 5600
    //   object-fusion  tbf(6000) = 15600 → tbf(8000) = 20600 → tbf(10000) = 25600 (fixed point)
    expect(rows).toEqual([
      'safety/0 server brake-monitor R=600 D=1000',
      'safety/0 server torque-arbiter R=2150 D=4000',
      'safety/0 server watchdog-kick R=2200 D=10000',
      'adas/0 server lane-keeping R=5600 D=10000',
      'adas/0 server object-fusion R=25600 D=50000',
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
