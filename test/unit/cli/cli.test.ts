// The CLI as a user meets it: real processes for exit codes and streams, in-process for the rest.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp.js';
import { runCliInProcess } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/validate.js';

const bin = join(repoRoot, 'bin', 'nestbed.js');
const nestbed = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const inProcess = (...args: string[]) => runCliInProcess(args);

describe('nestbed (real process)', () => {
  it('validate the realistic example: exit 0, readable report on stdout', () => {
    const r = nestbed('validate', 'examples/zonal-controller.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✔ valid: topology zonal-controller against profile nvidia-drive-orin');
    expect(r.stdout).toContain('brake-monitor');
    expect(r.stderr).toBe('');
  });

  it('a rule violation exits 1, malformed input exits 2 — never a stack trace', () => {
    const one = nestbed('validate', 'examples/broken/no-freedom-from-interference.yaml');
    expect(one.code).toBe(1);
    expect(one.stdout).toContain('examples/broken/no-freedom-from-interference.yaml:22:11: error NB4001');
    const two = nestbed('validate', 'examples/broken/syntax-error.json');
    expect(two.code).toBe(2);
    expect(`${two.stdout}${two.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('unknown option and unknown command exit 2 with usage', () => {
    const r = nestbed('validate', 'examples/minimal.yaml', '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--frobnicate'");
    expect(nestbed('launch-rockets').code).toBe(2);
  });
});

describe('nestbed (in process)', () => {
  it('--format json is the versioned results object', async () => {
    const r = await inProcess('validate', 'examples/zonal-controller.yaml', '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ schemaVersion: 1, command: 'validate', success: true, summary: { errors: 0 } });
  });

  it('--profile overrides, an unknown id is a usage error (exit 2) listing the known ones', async () => {
    const ok = await inProcess('validate', 'examples/minimal.yaml', '--profile', 'ti-tda4vm', '--format', 'json');
    expect(JSON.parse(ok.stdout).profile).toBe('ti-tda4vm');
    const bad = await inProcess('validate', 'examples/minimal.yaml', '--profile', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown profile "nope" (known: ');
  });

  it('--format must be one of the choices', async () => {
    const r = await inProcess('validate', 'examples/minimal.yaml', '--format', 'xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format xml: expected one of text, json, junit, sarif');
  });

  it('--output-file writes atomically; a failing command leaves nothing behind', async () => {
    const dir = tempDir();
    const out = join(dir, 'report.xml');
    const r = await inProcess('validate', 'examples/broken/deadline-miss.yaml', '--format', 'junit', '--output-file', out);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toContain('<testsuites');
    expect(r.stdout).toBe('');
    const missing = join(dir, 'never.json');
    const bad = await inProcess('validate', 'examples/minimal.yaml', '--profile', 'nope', '--output-file', missing);
    expect(bad.code).toBe(2);
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(dir)).toEqual(['report.xml']);
  });

  it('a missing file is exit 2 with the path', async () => {
    const r = await inProcess('validate', 'examples/does-not-exist.yaml');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('examples/does-not-exist.yaml:1:1: error NB0001: cannot read examples/does-not-exist.yaml: no such file');
  });

  it('profiles lists at least six ECUs; json for machines', async () => {
    const text = await inProcess('profiles');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/nxp-s32g3\s+NXP S32G3/);
    const json = JSON.parse((await inProcess('profiles', '--format', 'json')).stdout);
    expect(json.profiles.length).toBeGreaterThanOrEqual(6);
  });

  it('help is generated from the command table', async () => {
    const r = await inProcess('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/validate\s+Static validation/);
    const v = await inProcess('validate', '--help');
    expect(v.stdout).toContain('--output-file <path>');
  });
});
