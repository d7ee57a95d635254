// The desktop shell's small state files in userData (window state, recent folders): read through a
// zod schema (a missing, unreadable or foreign file is `undefined`, never an exception: the app starts
// with defaults), written atomically (temporary file, then rename) and synchronously, so a write
// issued while the app quits is complete before the process ends.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';

export const readJsonFile = <T>(file: string, schema: z.ZodType<T>): T | undefined => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
};

export const writeJsonFile = (file: string, value: unknown): void => {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
};
