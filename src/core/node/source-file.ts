// Reading user files for validation: bounded size, strict UTF-8, errors as diagnostics.
import { open } from 'node:fs/promises';
import type { Diagnostic } from '../common/model/diagnostic.js';
import { MAX_SOURCE_BYTES } from '../common/validate/parse-source.js';

export type SourceRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostic: Diagnostic };

const fail = (code: Diagnostic['code'], message: string): SourceRead => ({ ok: false, diagnostic: { code, severity: 'error', message, path: '', line: 1, column: 1 } });

export const readSourceFile = async (path: string): Promise<SourceRead> => {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'it is a directory' : (err.code ?? err.message);
    return fail('NB0001', `cannot read ${path}: ${why}`);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) return fail('NB0001', `cannot read ${path}: it is a directory`);
    if (!st.isFile()) return fail('NB0001', `cannot read ${path}: not a regular file`);
    if (st.size > MAX_SOURCE_BYTES) {
      return fail('NB0002', `${path} is ${(st.size / 1048576).toFixed(1)} MiB; topology files are limited to ${MAX_SOURCE_BYTES / 1048576} MiB`);
    }
    const buf = await handle.readFile();
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf);
      return { ok: true, text };
    } catch {
      return fail('NB0003', `${path} is not UTF-8 text (topologies are YAML or JSON)`);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EISDIR') return fail('NB0001', `cannot read ${path}: it is a directory`);
    return fail('NB0001', `cannot read ${path}: ${err.code ?? err.message}`);
  } finally {
    await handle.close();
  }
};
