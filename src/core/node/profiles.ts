// The ECU profile catalog: ecu-profiles/*.yaml, each validated by its own schema.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPath } from '../common/model/diagnostic.js';
import { InputError } from '../common/model/errors.js';
import { profileSchema, type EcuProfile } from '../common/model/profile.js';
import { parseSource } from '../common/validate/parse-source.js';

/** The profiles shipped with nestbed (repository root / ecu-profiles). NESTBED_PROFILES_DIR overrides. */
export const defaultProfilesDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env['NESTBED_PROFILES_DIR'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../ecu-profiles');

export interface ProfileCatalog {
  readonly dir: string;
  readonly profiles: ReadonlyMap<string, EcuProfile>;
}

/** Loads and validates every profile; a broken profile is an input error naming the file. */
export const loadProfiles = async (dir = defaultProfilesDir()): Promise<ProfileCatalog> => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  const profiles = new Map<string, EcuProfile>();
  for (const name of names) {
    const file = join(dir, name);
    const parsed = parseSource(await readFile(file, 'utf8'));
    const first = parsed.diagnostics[0];
    if (first) throw new InputError(`${file}:${first.line}:${first.column}: ${first.code}: ${first.message}`);
    const r = profileSchema.safeParse(parsed.value);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const p = parsed.sourceMap.locate(issue.path);
      throw new InputError(`${file}:${p.line}:${p.column}: invalid ECU profile: ${formatPath(issue.path)}: ${issue.message}`);
    }
    if (`${r.data.id}.yaml` !== name) throw new InputError(`${file}: profile id "${r.data.id}" does not match its file name`);
    profiles.set(r.data.id, r.data);
  }
  return { dir, profiles };
};
