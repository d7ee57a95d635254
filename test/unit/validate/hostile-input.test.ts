// Hostile input: every case ends in a clear diagnostic, bounded time, no exception.
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp.js';
import { readSourceFile } from '../../../src/core/node/source-file.js';
import { brief, topologyYaml, validateText } from '../../helpers/validate.js';

const timed = <T>(f: () => T): { value: T; ms: number } => {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
};

describe('hostile input', () => {
  it('empty file → NB0004', () => {
    expect(brief(validateText(''))).toEqual(['NB0004@1:1']);
    expect(brief(validateText('# only a comment\n'))).toEqual(['NB0004@1:1']);
  });

  it('binary garbage → NB0003 with the offending byte', () => {
    const v = validateText('apiVersion: nestbed/v1\n\u0000\u0001\u0002\u00ff');
    expect(brief(v)).toEqual(['NB0003@2:1']);
    expect(v.diagnostics[0]!.message).toContain('0x00');
    expect(v.malformed).toBe(true);
  });

  it('invalid UTF-8 bytes in a file → NB0003', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28, 0xff, 0xfe]));
    const r = await readSourceFile(join(dir, 'bin.yaml'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.diagnostic.code).toBe('NB0003');
  });

  it('a 50 MB file is refused from its size, without reading it', async () => {
    const dir = tempDir();
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, '');
    truncateSync(file, 50 * 1024 * 1024);
    const { value, ms } = await (async () => {
      const t0 = performance.now();
      const v = await readSourceFile(file);
      return { value: v, ms: performance.now() - t0 };
    })();
    expect(value.ok).toBe(false);
    expect(!value.ok && value.diagnostic.code).toBe('NB0002');
    expect(!value.ok && value.diagnostic.message).toContain('50.0 MiB');
    expect(ms).toBeLessThan(1000);
  });

  it('a 50 MB string (editor paste) is refused without parsing', () => {
    const { value, ms } = timed(() => validateText(`a: "${'x'.repeat(50 * 1024 * 1024)}"`));
    expect(brief(value)).toEqual(['NB0002@1:1']);
    expect(ms).toBeLessThan(1000);
  });

  it('billion laughs → NB1003, quickly', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    }
    const { value, ms } = timed(() => validateText(lines.join('\n')));
    expect(brief(value)).toEqual(['NB1003@1:1']);
    expect(ms).toBeLessThan(1000);
  });

  it('a few aliases are fine (anchors for shared budgets)', () => {
    const guests = `  - { name: a, role: other, asil: QM, os: linux, vcpus: 1, pin: [0], memoryMiB: 256, budgets: &b { bootMs: 3000 } }
  - { name: b, role: other, asil: QM, os: linux, vcpus: 1, pin: [1], memoryMiB: 256, budgets: *b }
`;
    const v = validateText(topologyYaml(guests));
    expect(v.errors).toBe(0);
    expect(v.topology?.guests[1]?.budgets?.bootMs).toBe(3000);
  });

  it.each([
    ['flow', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'NB1004@1:65'],
    ['flow mappings', `${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}`, 'NB1004@1:257'],
    // 10,000 levels of block indentation are ≥ 50 MB of spaces: the size limit refuses them first.
    ['block', Array.from({ length: 10_000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'NB0002@1:1'],
    ['block, 1,000 deep', Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'NB1004@258:257'],
    ['sequence, 1,000 deep', Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n'), 'NB1004@129:257'],
  ])('10,000-deep nesting (%s) → NB1004 in bounded time', (_, text, expected) => {
    const { value, ms } = timed(() => validateText(text));
    expect(brief(value)).toEqual([expected]);
    expect(ms).toBeLessThan(200);
  });

  it('huge integers are range errors naming the value', () => {
    const guests = `  - { name: a, role: other, asil: QM, os: linux, vcpus: 1, pin: [0], memoryMiB: 123456789012345678901234567890 }
  - { name: b, role: other, asil: QM, os: linux, vcpus: 1e400, pin: [1], memoryMiB: 256 }
`;
    const v = validateText(topologyYaml(guests));
    expect(brief(v)).toEqual(['NB1011@7:81', 'NB1011@8:57']);
    expect(v.diagnostics[0]!.message).toBe('guests[0].memoryMiB = 1.2345678901234568e+29 is far too large');
    expect(v.diagnostics[1]!.message).toBe('guests[1].vcpus = infinity (too large to represent); expected a number');
  });

  it.each(['../../etc/passwd', 'a/b', 'x; rm -rf /', '$(reboot)', '`id`', 'a b', 'UPPER'])('guest name %j is a pattern error', (name) => {
    const guests = `  - { name: ${JSON.stringify(name)}, role: other, asil: QM, os: linux, vcpus: 1, pin: [0], memoryMiB: 256 }\n`;
    const v = validateText(topologyYaml(guests));
    expect(brief(v)).toEqual(['NB1012@7:13']);
    expect(v.malformed).toBe(true);
    expect(v.diagnostics[0]!.message).toContain(JSON.stringify(name));
  });

  it('a top-level list, a scalar and multiple documents are clear errors', () => {
    expect(brief(validateText('- a\n- b\n'))).toEqual(['NB1010@1:1']);
    expect(brief(validateText('42\n'))).toEqual(['NB1010@1:1']);
    expect(brief(validateText('a: 1\n---\nb: 2\n'))).toEqual(['NB1005@2:1']);
  });

  it('duplicate keys in flow mappings are located', () => {
    const guests = `  - { name: a, role: other, asil: QM, os: linux, vcpus: 1, vcpus: 2, pin: [0], memoryMiB: 256 }\n`;
    expect(brief(validateText(topologyYaml(guests)))).toEqual(['NB1002@7:60']);
  });
});
