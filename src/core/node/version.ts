// nestbed's own version (package.json), recorded in reports and bundles.
import { readFileSync } from 'node:fs';

let cached: string | undefined;
/** nestbed's version, from package.json. */
export const toolVersion = (): string => {
  cached ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
};
