// The session service without booting anything: every way a run ends before the stack starts is an
// event, subscribers (early and late) see the same stream, and the run store lists and reopens runs.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/core/common/model/session-events.js';
import { sessionEventSchema } from '../../../src/core/common/model/session-events.js';
import { listRuns, openRun } from '../../../src/core/node/session/run-store.js';
import { Session } from '../../../src/core/node/session/session.js';
import { repoRoot } from '../../helpers/validate.js';

const folder = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nestbed-session-'));
  cpSync(join(repoRoot, 'examples'), dir, { recursive: true });
  return dir;
};
/** A cache with nothing in it: any run is refused for want of an image set. */
const emptyCache = (): string => mkdtempSync(join(tmpdir(), 'nestbed-empty-cache-'));

const collect = (session: Session, id: string): SessionEvent[] => {
  const seen: SessionEvent[] = [];
  session.subscribe(id, (e) => seen.push(sessionEventSchema.parse(e)));
  return seen;
};

describe('Session', () => {
  it('an invalid topology ends as events: rejected with the diagnostics, finished with exit 1', async () => {
    const session = new Session({ cwd: folder(), cacheRoot: emptyCache() });
    const run = session.start({ mode: 'check', file: 'broken/no-freedom-from-interference.yaml' });
    const seen = collect(session, run.id);
    const end = await run.done;
    expect(end).toMatchObject({ outcome: 'rejected', exitCode: 1 });
    expect(seen.map((e) => e.type)).toEqual(['rejected', 'finished']);
    const rejected = seen[0] as Extract<SessionEvent, { type: 'rejected' }>;
    expect(rejected.reason).toBe('invalid-topology');
    expect(rejected.malformed).toBe(false);
    expect(rejected.diagnostics?.map((d) => `${d.code}@${d.line}:${d.column}`)).toEqual(['NB4001@22:11']);
  });

  it('a malformed file is exit 2, an unreadable one too', async () => {
    const session = new Session({ cwd: folder(), cacheRoot: emptyCache() });
    expect((await session.start({ mode: 'run', file: 'broken/syntax-error.json' }).done).exitCode).toBe(2);
    expect((await session.start({ mode: 'run', file: 'no-such-file.yaml' }).done).exitCode).toBe(2);
  });

  it('editor text is validated instead of the file', async () => {
    const session = new Session({ cwd: folder(), cacheRoot: emptyCache() });
    const run = session.start({ mode: 'run', file: 'two-linux.yaml', text: 'apiVersion: nestbed/v1\nkind: Topology\nname: x\nbogus: 1\n' });
    const seen = collect(session, run.id);
    await run.done;
    expect((seen[0] as Extract<SessionEvent, { type: 'rejected' }>).diagnostics?.some((d) => d.code === 'NB1013' && d.line === 4)).toBe(true);
  });

  it('a missing image set is an infrastructure rejection with what to do (exit 3), after acceptance', async () => {
    const session = new Session({ cwd: folder(), cacheRoot: emptyCache() });
    const run = session.start({ mode: 'run', file: 'two-linux.yaml' });
    const early = collect(session, run.id);
    const end = await run.done;
    expect(end.exitCode).toBe(3);
    expect(early.map((e) => e.type)).toEqual(['accepted', 'rejected', 'finished']);
    const rejected = early[1] as Extract<SessionEvent, { type: 'rejected' }>;
    expect(rejected.reason).toBe('infrastructure');
    expect(rejected.hint ?? rejected.message).toMatch(/setup/);
    // a subscriber joining after the end gets the whole history
    const late = collect(session, run.id);
    expect(late).toEqual(early);
  });

  it('an unknown profile override and an unknown run id are input errors', async () => {
    const session = new Session({ cwd: folder(), cacheRoot: emptyCache() });
    const end = await session.start({ mode: 'check', file: 'two-linux.yaml', profile: 'no-such-ecu' }).done;
    expect(end).toMatchObject({ outcome: 'rejected', exitCode: 2 });
    expect(() => session.subscribe('00000000-0000-4000-8000-000000000000', () => undefined)).toThrow(/no run with id/);
    expect(session.cancel('00000000-0000-4000-8000-000000000000')).toBe(false);
  });
});

describe('run store', () => {
  it('lists run directories newest first, filtered by topology, and reopens them with their verdicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestbed-runs-'));
    cpSync(join(repoRoot, 'test/fixtures/runs/zonal-per-core'), join(dir, 'zonal-a'), { recursive: true });
    cpSync(join(repoRoot, 'test/fixtures/runs/two-linux-fast'), join(dir, 'two-b'), { recursive: true });
    writeFileSync(join(dir, 'not-a-run.txt'), 'x');
    cpSync(join(repoRoot, 'examples'), join(dir, 'half-made'), { recursive: true }); // no results.json: skipped
    const all = await listRuns(dir);
    expect(all.map((r) => r.name).sort()).toEqual(['two-b', 'zonal-a']);
    expect(all[0]!.startedAt >= all[1]!.startedAt).toBe(true);
    const zonal = await listRuns(dir, 'zonal-controller');
    expect(zonal).toHaveLength(1);
    expect(zonal[0]).toMatchObject({ name: 'zonal-a', success: true });
    const session = new Session({ cwd: dir, cacheRoot: emptyCache() });
    const opened = await openRun(join(dir, 'zonal-a'), await session.profiles());
    expect(opened.reportSource).toBe('check.json');
    // a run without check.json is judged on opening, as `nestbed report` would
    const judged = await openRun(join(dir, 'two-b'), await session.profiles());
    expect(judged.reportSource).toBe('judged');
    expect(judged.report?.checks.length).toBeGreaterThan(3);
  });
});
