// The run directory's logs and the console tails a failure quotes (src/core/node/run/run-logs.ts).
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleTails, RunLogs, srcKey, TAIL } from '../../../src/core/node/run/run-logs.js';

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('console tails', () => {
  it('keep the last 40 lines per source, and of all sources with the source named', () => {
    expect(TAIL).toBe(40);
    const t = new ConsoleTails();
    for (const l of lines('a', 50)) t.line('alpha', l);
    for (const l of lines('z', 3)) t.line('l1', l);
    expect(t.tail('alpha')).toEqual(lines('a', 50).slice(10));
    expect(t.tail('l1')).toEqual(['z0', 'z1', 'z2']);
    // all sources: the last 40 lines in arrival order, "<key>: <line>"
    expect(t.tail()).toEqual([...lines('a', 50).slice(13).map((l) => `alpha: ${l}`), 'l1: z0', 'l1: z1', 'l1: z2']);
    expect(t.tail()).toHaveLength(40);
  });

  it('fall back to all sources for a source that printed nothing; host stderr is in the overall tail only', () => {
    const t = new ConsoleTails();
    t.host('qemu-system-aarch64: oops');
    t.line('l0', 'boot');
    expect(t.tail('beta')).toEqual(['host: qemu-system-aarch64: oops', 'l0: boot']);
    expect(t.tail(undefined)).toEqual(t.tail('beta'));
    expect(t.tail('host-stderr')).toEqual(t.tail());
  });

  it('hand out copies', () => {
    const t = new ConsoleTails();
    t.line('l0', 'x');
    t.tail('l0').push('y');
    t.tail().push('y');
    expect([t.tail('l0'), t.tail()]).toEqual([['x'], ['l0: x']]);
  });
});

describe('run logs', () => {
  it('source keys: l0, l1, the guest\'s name at level 2', () => {
    expect([srcKey(0), srcKey(1, 'ignored'), srcKey(2, 'alpha'), srcKey(2)]).toEqual(['l0', 'l1', 'alpha', 'unknown-guest']);
  });

  it('one host-stamped console log per source, created on first line; events.jsonl; all closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nestbed-logs-'));
    const logs = new RunLogs(dir);
    logs.event({ type: 'state', t: 0, state: 'starting' });
    logs.console('l0', 1_234, 'Booting Linux');
    logs.console('alpha', 61_000.4, 'ready');
    logs.console('l0', 7_050, '@{"e":"init"}');
    logs.hostStderr(9, 'qemu-system-aarch64: warning: x');
    logs.event({ type: 'state', t: 70_000, state: 'running' });
    await logs.close();
    expect((await readdir(dir)).sort()).toEqual(['console-alpha.log', 'console-host-stderr.log', 'console-l0.log', 'events.jsonl']);
    expect(await readFile(join(dir, 'console-l0.log'), 'utf8')).toBe('[1.234] Booting Linux\n[7.050] @{"e":"init"}\n');
    expect(await readFile(join(dir, 'console-alpha.log'), 'utf8')).toBe('[61.000] ready\n');
    expect(await readFile(join(dir, 'console-host-stderr.log'), 'utf8')).toBe('[0.009] qemu-system-aarch64: warning: x\n');
    expect(await readFile(join(dir, 'events.jsonl'), 'utf8')).toBe('{"type":"state","t":0,"state":"starting"}\n{"type":"state","t":70000,"state":"running"}\n');
    expect(logs.tails.tail()).toEqual(['l0: Booting Linux', 'alpha: ready', 'l0: @{"e":"init"}', 'host: qemu-system-aarch64: warning: x']);
  });
});

describe('RunLogs after close', () => {
  it('drops what arrives after close instead of writing to an ended stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nestbed-logs-late-'));
    const logs = new RunLogs(dir);
    logs.event({ type: 'state', t: 0, state: 'starting' });
    await logs.close();
    expect(() => {
      logs.event({ type: 'state', t: 1, state: 'failed' });
      logs.console('l0', 2, 'late');
      logs.hostStderr(3, 'late');
    }).not.toThrow();
    expect((await readFile(join(dir, 'events.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
