// The runs of a workspace (runs/*/ in the session's folder, or any run directory): listed with their
// summary, reopened with their results and verdicts. A run made by `run` (no check.json) is judged on
// opening, exactly as `nestbed report` would.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { judgeRun } from '../../common/checks/judge.js';
import { checkReportSchema, type CheckReport } from '../../common/model/check-report.js';
import type { RunResults } from '../../common/model/run-results.js';
import { validateTopology } from '../../common/validate/validate-topology.js';
import type { ProfileCatalog } from '../profiles.js';
import { loadRunDir } from '../report/load-run.js';
import { toolVersion } from '../version.js';

export interface RunSummary {
  readonly dir: string;
  readonly name: string;
  readonly topology: string;
  /** Host wall clock, ISO 8601. */
  readonly startedAt: string;
  readonly status: RunResults['status'];
  readonly timing: RunResults['timing'];
  readonly allReadyMs?: number;
  readonly wallMs: number;
  /** From check.json when the run was checked. */
  readonly success?: boolean;
  readonly summary?: CheckReport['summary'];
}

export interface OpenedRun {
  readonly dir: string;
  readonly results: RunResults;
  readonly report: CheckReport | undefined;
  /** Where the report came from: check.json of `check`, or judged now (a `run`). */
  readonly reportSource: 'check.json' | 'judged' | 'none';
  readonly topologyText: string;
}

const readCheck = async (dir: string): Promise<CheckReport | undefined> => {
  try {
    const parsed = checkReportSchema.safeParse(JSON.parse(await readFile(join(dir, 'check.json'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/** Run directories below `runsDir`, newest first; `topology` filters by topology name. Directories
 * that are not (complete) runs are skipped. */
export const listRuns = async (runsDir: string, topology?: string): Promise<RunSummary[]> => {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const out: RunSummary[] = [];
  for (const name of names) {
    const dir = join(runsDir, name);
    try {
      const run = await loadRunDir(dir);
      if (topology !== undefined && run.results.topology.name !== topology) continue;
      const check = await readCheck(dir);
      out.push({
        dir,
        name,
        topology: run.results.topology.name,
        startedAt: run.results.startedAt,
        status: run.results.status,
        timing: run.results.timing,
        ...(run.results.allReadyMs !== undefined ? { allReadyMs: run.results.allReadyMs } : {}),
        wallMs: run.results.wallMs,
        ...(check ? { success: check.success, summary: check.summary } : {}),
      });
    } catch {
      // not a run directory (yet): a run in progress has no results.json
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
};

/** A run directory with its verdicts (check.json, or judged now against the catalog). */
export const openRun = async (dir: string, catalog: ProfileCatalog): Promise<OpenedRun> => {
  const run = await loadRunDir(dir);
  const check = await readCheck(dir);
  if (check) return { dir, results: run.results, report: check, reportSource: 'check.json', topologyText: run.topologyText };
  const v = validateTopology(run.topologyText, { profiles: catalog.profiles });
  if (!v.topology) return { dir, results: run.results, report: undefined, reportSource: 'none', topologyText: run.topologyText };
  const report = judgeRun({
    topology: v.topology,
    profile: v.profile,
    results: run.results,
    schedulability: v.schedulability,
    diagnostics: v.diagnostics,
    toolVersion: toolVersion(),
    command: 'report',
    file: run.results.topology.file ?? run.topologyFile,
    runDir: dir,
    strict: false,
  });
  return { dir, results: run.results, report, reportSource: 'judged', topologyText: run.topologyText };
};
