import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readElfDeps } from '../../../src/core/node/image/elf.js';

describe('ELF dependency reader', () => {
  it('reads DT_NEEDED and PT_INTERP of a host binary', async () => {
    const deps = readElfDeps(await readFile(process.execPath));
    expect(deps.needed).toContain('libc.so.6');
    expect(deps.interp).toMatch(/ld-linux/);
  });
  it('rejects a non-ELF file', () => {
    expect(() => readElfDeps(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80)))).toThrowErrorMatchingInlineSnapshot(`[Error: not an ELF file]`);
  });
});
