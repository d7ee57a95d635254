// Loading a finished run directory for `nestbed report`: results.json (validated against its
// versioned schema) and the topology copy the run was made from.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPath } from '../../common/model/diagnostic.js';
import { InputError } from '../../common/model/errors.js';
import { runResultsSchema, type RunResults } from '../../common/model/run-results.js';

export interface LoadedRun {
  readonly dir: string;
  readonly results: RunResults;
  readonly topologyText: string;
  readonly topologyFile: string;
}

export const loadRunDir = async (dir: string): Promise<LoadedRun> => {
  const resultsFile = join(dir, 'results.json');
  let raw: string;
  try {
    raw = await readFile(resultsFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${dir} is not a run directory: cannot read results.json (${code === 'ENOENT' ? 'no such file' : code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new InputError(`${resultsFile}: not JSON (${(e as Error).message})`);
  }
  const parsed = runResultsSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InputError(`${resultsFile}: not a nestbed results file of a supported version: ${formatPath(i.path) || 'the document'}: ${i.message}`);
  }
  const topologyFile = join(dir, 'topology.yaml');
  let topologyText: string;
  try {
    topologyText = await readFile(topologyFile, 'utf8');
  } catch {
    throw new InputError(`${dir}: the run directory has no topology.yaml (the topology the run was made from)`);
  }
  return { dir, results: parsed.data, topologyText, topologyFile };
};
