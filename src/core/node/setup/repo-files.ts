// Files shipped with nestbed next to the code (guest/init.sh), found relative to this module.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const shippedFile = (rel: string): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`shipped file ${rel} not found above ${fileURLToPath(import.meta.url)}`);
};
