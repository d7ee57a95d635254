// Temporary directories for a test file, removed after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

export const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'nestbed-test-'));
  temps.push(d);
  return d;
};
