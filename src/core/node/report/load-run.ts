// Loading a finished run directory for `nestbed report`: results.json (validated against its
// versioned schema) and the topology copy the run was made from.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../common/model/errors.js';
import { runResultsSchema, type RunResults } from '../../common/model/run-results.js';
import { parseJsonFile } from './parse-json.js';

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
  const results = parseJsonFile(resultsFile, raw, runResultsSchema, 'a nestbed results file of a supported version');
  const topologyFile = join(dir, 'topology.yaml');
  let topologyText: string;
  try {
    topologyText = await readFile(topologyFile, 'utf8');
  } catch {
    throw new InputError(`${dir}: the run directory has no topology.yaml (the topology the run was made from)`);
  }
  return { dir, results, topologyText, topologyFile };
};
