import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validationReportSchema } from '../../../src/core/common/model/validation-report.js';
import { formatValidationJunit, formatValidationSarif, formatValidationText } from '../../../src/core/common/report/validation-formats.js';
import { toValidationReport } from '../../../src/core/common/report/validation-report.js';
import { examplePath, validateExample } from '../../helpers/validate.js';

const report = (name: string) => toValidationReport(validateExample(name), `examples/${name}`, '0.0.0-test');

describe('text', () => {
  it('a diagnostic: file:line:col, severity, code, message, excerpt with caret; then the summary', () => {
    const r = report('broken/pin-out-of-range.yaml');
    expect(formatValidationText(r, { source: readFileSync(examplePath('broken/pin-out-of-range.yaml'), 'utf8') })).toMatchInlineSnapshot(`
      "examples/broken/pin-out-of-range.yaml:3:1: info NB2009: no ECU profile selected (set \`profile:\` or pass --profile): budgets come only from the topology
      examples/broken/pin-out-of-range.yaml:9:75: error NB2004: pin[0] = 3, but the hypervisor has 2 vCPUs (0..1) [guests[0].pin[0]]
         |
       9 |   - { name: ivi, role: infotainment, asil: QM, os: linux, vcpus: 1, pin: [3], memoryMiB: 256 }
         |                                                                           ^

      ✖ invalid: topology pin-out-of-range — 1 error, 0 warnings, 1 info
      "
    `);
  });

  it('the schedulability table of the shared-core example (server 150/250: blackout 2(Π−Θ) = 200 µs)', () => {
    expect(formatValidationText(report('shared-core.yaml'))).toMatchInlineSnapshot(`
      "examples/shared-core.yaml:13:10: info NB6004: host.cores = 2 = hypervisor.vcpus: L0's own work (its agent, the guest hypervisor VM's device emulation) shares the emulated cores with the hypervisor's vCPUs; one more core (host.cores: 3) takes it off them and lowers the real-time guest safety's interference, at some boot time [host.cores]
      examples/shared-core.yaml:49:11: info NB6001: hypervisor vCPU 0 multiplexes 2 guest vCPUs (adas, ivi); deterministic timing keeps this from stalling under emulation [guests[2].pin[0]]

      Schedulability (fixed-priority preemptive per guest vCPU; exact integer µs; interrupt path J = 5 µs per release from profile nvidia-drive-orin)
      guest   vcpu  hv  supply          task            prio  wcet  period  deadline  response  slack  verdict
      ------  ----  --  --------------  --------------  ----  ----  ------  --------  --------  -----  -------
      safety     0   1  dedicated       brake-monitor     90   100    1000      1000       110    890  ok
      safety     0   1  dedicated       torque-arbiter    80   600    5000      4000       710   3290  ok
      adas       0   0  server 150/250  lane-keeping      80  2000   10000     10000      3510   6490  ok
      adas       0   0  server 150/250  object-fusion     70  4000   50000     50000     13515  36485  ok

      ✔ valid: topology shared-core against profile nvidia-drive-orin — 0 errors, 0 warnings, 2 infos
      "
    `);
  });

  it('colour only when asked', () => {
    const r = report('broken/deadline-miss.yaml');
    expect(formatValidationText(r)).not.toContain('\u001b[');
    expect(formatValidationText(r, { color: true })).toContain('\u001b[31;1merror\u001b[0m');
  });
});

describe('json', () => {
  it('matches the versioned schema and the spec’s field names', () => {
    const r = report('shared-core.yaml');
    expect(validationReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(r).toMatchObject({ schemaVersion: 1, tool: 'nestbed', command: 'validate', topology: 'shared-core', profile: 'nvidia-drive-orin', success: true });
    expect(r.schedulability[0]).toMatchObject({ guest: 'safety', vcpu: 0, supply: { kind: 'dedicated' } });
    expect(r.schedulability[1]).toMatchObject({ guest: 'adas', vcpu: 0, supply: { kind: 'server', periodUs: 250, budgetUs: 150 } });
    // hand-computed with Orin's interrupt path J = 5 µs: demand 2000 + 5, tbf(2005) = 15·100 + 2005 = 3505, R = 3505 + J = 3510
    expect(r.schedulability[1]).toMatchObject({ interruptPathUs: 5 });
    expect(r.schedulability[1]!.tasks[0]).toMatchObject({ name: 'lane-keeping', deadlineUs: 10000, responseTimeUs: 3510, schedulable: true });
  });
});

describe('junit', () => {
  it('one testcase per rule family and per task; failures carry the message', () => {
    const xml = formatValidationJunit(report('broken/deadline-miss.yaml'));
    expect(xml).toMatchInlineSnapshot(`
      "<?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="nestbed validate" tests="9" failures="2">
        <testsuite name="deadline-miss" tests="9" failures="2" errors="0" skipped="0">
          <testcase classname="deadline-miss.rules" name="input" file="examples/broken/deadline-miss.yaml"></testcase>
          <testcase classname="deadline-miss.rules" name="schema" file="examples/broken/deadline-miss.yaml"></testcase>
          <testcase classname="deadline-miss.rules" name="references" file="examples/broken/deadline-miss.yaml">
            <system-out>examples/broken/deadline-miss.yaml:3:1: info NB2009: no ECU profile selected (set \`profile:\` or pass --profile): budgets come only from the topology</system-out>
          </testcase>
          <testcase classname="deadline-miss.rules" name="resources" file="examples/broken/deadline-miss.yaml"></testcase>
          <testcase classname="deadline-miss.rules" name="mixed-criticality" file="examples/broken/deadline-miss.yaml"></testcase>
          <testcase classname="deadline-miss.rules" name="channels" file="examples/broken/deadline-miss.yaml"></testcase>
          <testcase classname="deadline-miss.rules" name="schedulability" file="examples/broken/deadline-miss.yaml" line="18">
            <failure message="1 error(s): NB5001 task safety/brake-monitor can miss its deadline: worst-case response time ≥ 1100 µs &gt; deadlineUs = 1000 (wcetUs 100, priority 90, on a server of 500 µs every 1000 µs, blackout 1000 µs)" type="NB5001">examples/broken/deadline-miss.yaml:18:9: error NB5001: task safety/brake-monitor can miss its deadline: worst-case response time ≥ 1100 µs &gt; deadlineUs = 1000 (wcetUs 100, priority 90, on a server of 500 µs every 1000 µs, blackout 1000 µs)</failure>
          </testcase>
          <testcase classname="deadline-miss.rules" name="emulation" file="examples/broken/deadline-miss.yaml">
            <system-out>examples/broken/deadline-miss.yaml:6:32: info NB6004: host.cores = 2 = hypervisor.vcpus: L0&apos;s own work (its agent, the guest hypervisor VM&apos;s device emulation) shares the emulated cores with the hypervisor&apos;s vCPUs; one more core (host.cores: 3) takes it off them and lowers the real-time guest safety&apos;s interference, at some boot time</system-out>
          </testcase>
          <testcase classname="deadline-miss.schedulability" name="safety/vcpu0/brake-monitor">
            <failure message="worst-case response time exceeds deadline 1000 us" type="deadline-miss">safety/vcpu0/brake-monitor: wcet 100 us, period 1000 us, priority 90: worst-case response time exceeds deadline 1000 us</failure>
          </testcase>
        </testsuite>
      </testsuites>
      "
    `);
  });
});

describe('sarif', () => {
  it('SARIF 2.1.0: one rule per code, results located in the topology file', () => {
    const sarif = JSON.parse(formatValidationSarif(report('broken/no-freedom-from-interference.yaml'), '0.0.0-test'));
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('NB4001');
    const result = run.results.find((x: { ruleId: string }) => x.ruleId === 'NB4001');
    expect(result.level).toBe('error');
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe('NB4001');
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'examples/broken/no-freedom-from-interference.yaml', index: 0 },
      region: { startLine: 22, startColumn: 11, endLine: 22, endColumn: 12 },
    });
  });
});
