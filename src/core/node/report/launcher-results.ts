// A launcher's results directory (format version 1) made into a run directory: the bundle's launcher
// (a POSIX sh script that starts the topology's guests on an arm64 KVM host exactly as the emulated L1
// does) writes
//   launcher.json  {"format":"nestbed-launcher-results","formatVersion":1,"timeBase":"hardware"|"emulated-l1",
//                   "startedAt":"<ISO-8601 or empty>","host":"<uname -a>","bundle":"<sha256 of manifest.json or empty>"}
//   console.log    its stdout, every line routed "1|" as the emulated L0 relays L1's: its own events
//                  `1|@{"e":…,"u":<host uptime s>,…}` (the first is `launch` {v,n}, the last `done`) and
//                  the guests' lines `1|2.<i>|…`. No per-line host time stamps. Inside the emulated L1
//                  (timeBase emulated-l1) L1's own agent events (init, cdisk, cunpack) come before `launch`.
//   topology.yaml  the bundle's topology; profile.json (optional) its ECU profile; plan.json its
//                  launch/plan.json; manifest.json (optional) the bundle's manifest.
// replayLauncherResults() validates all of it, feeds console.log through the demultiplexer into a
// RunCollector with times from the launcher's own clock — each launcher event's `u`, as ms since its
// first event; every other line takes the latest of those — and writes results.json (never over an
// existing one), after which `nestbed report` judges the directory like any run.
import { createHash } from 'node:crypto';
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseAgentEvent } from '../../common/model/agent-events.js';
import { InputError } from '../../common/model/errors.js';
import { profileSchema, type EcuProfile } from '../../common/model/profile.js';
import { HARDWARE_TIME_BASE, type GuestResult, type RunResults, type RunTiming } from '../../common/model/run-results.js';
import type { ValidTopology } from '../../common/model/topology.js';
import { validateTopology } from '../../common/validate/validate-topology.js';
import { bundleManifestSchema } from '../bundle/bundle-layout.js';
import { parseJsonFile } from './parse-json.js';
import { assembleResults, writeNewResults } from '../run/assemble-results.js';
import { RunCollector } from '../run/collector.js';
import { demuxLine, failureMarker, splitGluedLine, warningMarker } from '../run/demux.js';
import { ConsoleTails, srcKey } from '../run/run-logs.js';
import type { ChannelPlan } from '../stack/channels.js';

export const LAUNCHER_RESULTS_FORMAT = 'nestbed-launcher-results';
/** The format of the directory this nestbed reads; another version is refused, not guessed at. */
export const LAUNCHER_RESULTS_VERSION = 1;
/** The launcher protocol version (its `launch` event's `v`) this nestbed reads. */
export const LAUNCH_PROTOCOL_VERSION = 1;

export const LAUNCHER_FILES = {
  meta: 'launcher.json',
  console: 'console.log',
  topology: 'topology.yaml',
  profile: 'profile.json',
  plan: 'plan.json',
  manifest: 'manifest.json',
  results: 'results.json',
} as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 (64 lowercase hex digits)');

/** launcher.json, written by a shell script with printf: every key always present, empty when unknown. */
export const launcherMetaSchema = z.strictObject({
  format: z.literal(LAUNCHER_RESULTS_FORMAT),
  formatVersion: z.literal(LAUNCHER_RESULTS_VERSION),
  /** hardware: an arm64 host with /dev/kvm; emulated-l1: inside nestbed's emulated guest hypervisor. */
  timeBase: z.enum(['hardware', 'emulated-l1']),
  startedAt: z.union([z.literal(''), z.iso.datetime({ offset: true })]),
  /** `uname -a` of the host. */
  host: z.string(),
  /** SHA-256 of the bundle's manifest.json. */
  bundle: z.union([z.literal(''), sha256]),
});
export type LauncherMeta = z.infer<typeof launcherMetaSchema>;

// The fields of launch/plan.json (src/core/node/bundle/launch-plan.ts LaunchPlan) the replay uses,
// checked for type; the rest of the plan is the emulated path's and is not read here.
const int = z.number().int().nonnegative();
const planSchema = z.object({
  planVersion: z.literal(1),
  topology: z.string(),
  timing: z.enum(['fast', 'deterministic']),
  guests: z.array(
    z.object({
      index: int,
      name: z.string(),
      reservation: z.object({ kind: z.enum(['deadline', 'cap', 'dedicated', 'other']), budgetUs: int, periodUs: int, scale: int }),
    }),
  ),
  channels: z.object({
    channels: z.array(z.object({ k: int, from: z.string(), to: z.string(), port: int, probedFrom: z.enum(['guest', 'l1-relay', 'none']), endsAtRelay: z.boolean(), note: z.string().optional() })),
    undeclared: z.array(z.object({ u: int, from: z.string(), to: z.string(), port: int, via: z.enum(['relay', 'direct']), guest: int, cid: int })),
    vsockGuests: z.array(int),
    relay: z.array(z.object({ port: int, fromCid: int, toCid: int })),
    words: z.array(z.string()),
  }),
  run: z.object({ rtosRunMs: int }),
});
type LauncherPlan = z.infer<typeof planSchema>;


/** A directory a launcher wrote: it has launcher.json (whose content replay checks). */
export const isLauncherResultsDir = async (dir: string): Promise<boolean> =>
  stat(join(dir, LAUNCHER_FILES.meta)).then(
    (s) => s.isFile(),
    () => false,
  );

const exists = async (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

const readText = async (dir: string, name: string, what: string): Promise<string> => {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${join(dir, name)}: cannot read ${what} (${code === 'ENOENT' ? 'no such file' : code})`);
  }
};

const readOptional = async (dir: string, name: string): Promise<string | undefined> => ((await exists(join(dir, name))) ? readText(dir, name, name) : undefined);

/** JSON text parsed with `schema`; any problem is an InputError naming the file and the field. */
export const parseLauncherMeta = (file: string, text: string): LauncherMeta => {
  // another format version is refused by name, before its fields are judged
  let probe: unknown;
  try {
    probe = JSON.parse(text);
  } catch {
    probe = undefined;
  }
  const p = probe as { format?: unknown; formatVersion?: unknown } | undefined;
  if (p && typeof p === 'object' && p.format === LAUNCHER_RESULTS_FORMAT && p.formatVersion !== LAUNCHER_RESULTS_VERSION) {
    throw new InputError(`${file}: launcher results format version ${JSON.stringify(p.formatVersion)} is not supported (this nestbed reads version ${LAUNCHER_RESULTS_VERSION})`);
  }
  return parseJsonFile(file, text, launcherMetaSchema, `a launcher results file (format "${LAUNCHER_RESULTS_FORMAT}", version ${LAUNCHER_RESULTS_VERSION})`);
};

export interface ReplayOptions {
  /** The ECU profile catalog (the topology is validated the way the CLI validates it); profile.json,
   * when present, takes the place of the catalog's profile of the same id. */
  readonly profiles: ReadonlyMap<string, EcuProfile>;
}

type Failure = NonNullable<RunResults['failure']>;

/** What the console log gave: the collector's figures, the stages, the first failure, the launcher's clock. */
export interface ConsoleReplay {
  readonly collector: RunCollector;
  readonly stages: RunResults['stages'];
  readonly failure: Failure | undefined;
  /** ms of the launcher's clock at its last event. */
  readonly endMs: number;
  /** Lines without the launcher's "1|" route (not from the launcher): skipped. */
  readonly unrouted: number;
}

/** The launcher's first event (guest/launch.sh `ev launch`) at line `n` of `file`: its protocol
 * version and the number of guests it starts, checked against this nestbed and the topology. */
const checkLaunch = (file: string, n: number, data: Record<string, unknown>, topology: ValidTopology): { readonly v: number; readonly n: number } => {
  const l = parseAgentEvent('launch', data);
  if (!l.ok || l.event.e !== 'launch') throw new InputError(`${file}:${n}: malformed launch event: ${l.ok ? 'not a launch event' : l.reason}`);
  const { v, n: guests } = l.event;
  if (v !== LAUNCH_PROTOCOL_VERSION) throw new InputError(`${file}:${n}: launcher protocol version ${v} is not supported (this nestbed reads version ${LAUNCH_PROTOCOL_VERSION})`);
  if (guests !== topology.guests.length) throw new InputError(`${file}:${n}: the launcher started ${guests} guest(s), but the topology ${topology.name} has ${topology.guests.length}: not a run of this topology`);
  return { v, n: guests };
};

/**
 * Replays a launcher's console log: every line through the demultiplexer (split where two arrived
 * glued), events into the collector, console text watched for the failure and warning markers a live
 * run watches for. Host time: a level-1 event's `u` (the launcher's uptime; inside the emulated L1,
 * L1's) as ms since the first level-1 event; any other line inherits the latest such time (there are
 * no per-line time stamps). The first failure wins; a log without the launcher's final `done` event
 * is a failed run ("incomplete launcher log").
 */
export const replayConsoleLog = (text: string, topology: ValidTopology, plan: { readonly channels: ChannelPlan; readonly run: { readonly rtosRunMs: number } }, deterministic: boolean, file: string = LAUNCHER_FILES.console): ConsoleReplay => {
  const collector = new RunCollector(topology, deterministic, plan.run.rtosRunMs, plan.channels);
  const opaque = (i: number): boolean => topology.guests[i]?.os === 'custom';
  const stages: RunResults['stages'] = [];
  const tails = new ConsoleTails();
  let failure: Failure | undefined;
  const fail = (reason: string, message: string, level: number, guest: string | undefined): void => {
    failure ??= { reason, message, level, ...(guest !== undefined ? { guest } : {}), consoleTail: tails.tail(srcKey(level, guest)) };
  };
  let firstU: number | undefined;
  let clockMs = 0;
  let launched = false;
  /** The launcher's final event, after its launch event. */
  let done = false;
  let unrouted = 0;
  let last: { name: string; atMs: number } | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, n) => {
    for (const part of splitGluedLine(raw)) {
      const d = demuxLine(part, opaque);
      if (d.level === 0) {
        if (part.trim() !== '') unrouted++;
        continue;
      }
      let tMs = clockMs;
      if (d.kind === 'event' && d.level === 1) {
        const u = d.data['u'];
        if (typeof u === 'number' && Number.isFinite(u)) {
          firstU ??= u;
          tMs = Math.max(0, Math.round((u - firstU) * 1000));
          clockMs = Math.max(clockMs, tMs);
        }
        last = { name: d.name, atMs: tMs };
        if (d.name === 'launch') {
          if (launched) throw new InputError(`${file}:${n + 1}: a second launch event: two launchers' output in one log`);
          const l = checkLaunch(file, n + 1, d.data, topology);
          launched = true;
          stages.push({ name: 'launch', atMs: tMs, message: `launcher started (protocol ${l.v}): ${l.n} guest(s)` });
        }
        if (d.name === 'done' && launched) done = true;
      }
      const guest = collector.guestName(d.guest);
      const key = srcKey(d.level, guest);
      const where = d.level === 1 ? 'the launcher' : `guest ${key}`;
      if (d.kind === 'text') {
        tails.line(key, d.text);
        const f = failureMarker(d.text);
        if (f) fail(f.reason, `${f.reason === 'kernel-panic' ? 'kernel panic' : 'VMM error'} in ${where}: ${f.message}`, d.level, guest);
        const w = warningMarker(d.text);
        if (w) collector.warnings.push(`${key}: ${w}`);
        continue;
      }
      tails.line(key, part.replace(/\r/g, '').replace(/^(?:1\|)?(?:2\.\d+\|)?/, ''));
      collector.feed(d, tMs);
      if (d.level === 2 && topology.guests[d.guest ?? -1]?.os === 'rtos') {
        // the rtos guest's own failure lines (docs/rtos.md), as a live run treats them
        if (d.name === 'panic' || d.name === 'fault') fail('kernel-panic', `rtos ${d.name} in guest ${key}: ${JSON.stringify(d.data)}`, 2, guest);
        if (d.name === 'err') fail('infrastructure', `rtos guest ${key} rejected its parameters or platform: ${String(d.data['m'])}`, 2, guest);
      }
      const rc = d.data['rc'];
      if (d.name === 'vmexit' && typeof rc === 'number' && rc !== 0) fail('vm-exit', `${d.level === 2 ? `guest ${key}` : 'the launcher'} VMM exited with code ${rc}`, d.level, guest);
      for (const note of collector.drainNotes()) stages.push({ name: note.stage, atMs: tMs, message: note.message });
    }
  });
  if (!done) {
    const ready = `${collector.readyCount} of ${topology.guests.length} guest(s) ready`;
    const seen = last ? `its last event is "${last.name}" at ${(last.atMs / 1000).toFixed(1)} s` : 'it holds no launcher event';
    const what = launched ? `ends without the launcher's final "done" event (${seen}; ${ready}) — the launcher was stopped or its output cut short` : `has no "launch" event (${seen}; ${ready}) — the launcher never started`;
    fail('incomplete-launcher-log', `incomplete launcher log: ${file} ${what}`, 1, undefined);
  }
  return { collector, stages, failure, endMs: clockMs, unrouted };
};

/** The time base text of the guests' own figures, on hardware. */
const onHardware = (g: GuestResult): GuestResult => ({
  ...g,
  ...(g.workload?.cyclictest ? { workload: { ...g.workload, cyclictest: { ...g.workload.cyclictest, timeBase: HARDWARE_TIME_BASE } } } : {}),
  ...(g.rtos ? { rtos: { ...g.rtos, timeBase: HARDWARE_TIME_BASE } } : {}),
});

/** The reservation the launcher applied: the plan's (planned with the bundle's timing), where the
 * collector's differs. */
const planReservation = (g: GuestResult, t: ValidTopology, plan: LauncherPlan): GuestResult => {
  const p = plan.guests[g.index]?.reservation;
  const r = g.reservation;
  if (!p || (r.kind !== 'deadline' && r.kind !== 'cap') || (r.budgetUs === p.budgetUs && r.periodUs === p.periodUs)) return g;
  const s = t.guests[g.index]?.vcpuServer;
  const declared = s ? `${s.budgetUs}/${s.periodUs} µs per vCPU` : '';
  const stretched = p.scale > 1 ? ` (applied as ${p.budgetUs}/${p.periodUs} µs: same bandwidth, period stretched to ≥ 100 ms by the bundle's ${plan.timing} timing)` : '';
  return { ...g, reservation: { ...r, budgetUs: p.budgetUs, periodUs: p.periodUs, requested: `${declared}${stretched}` } };
};

/** The topology of the directory, validated as `nestbed validate` does (rules and all); refused with
 * its first error. */
const validTopology = (file: string, text: string, profiles: ReadonlyMap<string, EcuProfile>): ValidTopology => {
  const v = validateTopology(text, { profiles });
  if (v.valid) return v.valid;
  const d = v.diagnostics.find((x) => x.severity === 'error');
  throw new InputError(`${file}:${d?.line ?? 1}:${d?.column ?? 1}: ${d ? `${d.code} ${d.message}` : 'not a valid topology'} (the launcher's topology must validate)`);
};

/** Everything of a launcher results directory but its console log, checked: launcher.json, the
 * topology (validated), the plan (of that topology), the bundle's manifest when present (of that
 * bundle and topology: its artifacts). */
interface LauncherInputs {
  readonly meta: LauncherMeta;
  readonly topology: ValidTopology;
  readonly topologyText: string;
  readonly plan: LauncherPlan;
  readonly artifacts: RunResults['artifacts'];
}

const readLauncherInputs = async (dir: string, o: ReplayOptions): Promise<LauncherInputs> => {
  const meta = parseLauncherMeta(join(dir, LAUNCHER_FILES.meta), await readText(dir, LAUNCHER_FILES.meta, 'the launcher results file'));

  const profiles = new Map(o.profiles);
  const profileText = await readOptional(dir, LAUNCHER_FILES.profile);
  if (profileText !== undefined) {
    const p = parseJsonFile(join(dir, LAUNCHER_FILES.profile), profileText, profileSchema, 'an ECU profile');
    profiles.set(p.id, p);
  }
  const topologyFile = join(dir, LAUNCHER_FILES.topology);
  const topologyText = await readText(dir, LAUNCHER_FILES.topology, "the launcher's topology");
  const topology = validTopology(topologyFile, topologyText, profiles);

  const planFile = join(dir, LAUNCHER_FILES.plan);
  const plan = parseJsonFile(planFile, await readText(dir, LAUNCHER_FILES.plan, "the bundle's launch plan"), planSchema, 'a launch plan (launch/plan.json, version 1)');
  const names = (xs: readonly { name: string }[]): string => xs.map((x) => x.name).join(', ');
  if (plan.topology !== topology.name) throw new InputError(`${planFile}: the plan is of topology "${plan.topology}", ${topologyFile} is "${topology.name}"`);
  if (names(plan.guests) !== names(topology.guests)) throw new InputError(`${planFile}: the plan's guests (${names(plan.guests)}) are not the topology's (${names(topology.guests)})`);

  const manifestFile = join(dir, LAUNCHER_FILES.manifest);
  const manifestText = await readOptional(dir, LAUNCHER_FILES.manifest);
  if (manifestText === undefined) return { meta, topology, topologyText, plan, artifacts: {} };
  const m = parseJsonFile(manifestFile, manifestText, bundleManifestSchema, 'a bundle manifest of a supported version');
  const digest = createHash('sha256').update(manifestText).digest('hex');
  if (meta.bundle !== '' && digest !== meta.bundle) throw new InputError(`${manifestFile}: its SHA-256 is ${digest}, but ${LAUNCHER_FILES.meta} says the launcher ran bundle ${meta.bundle}`);
  const topologySha = createHash('sha256').update(topologyText).digest('hex');
  if (m.topology.sha256 !== topologySha) throw new InputError(`${topologyFile}: its SHA-256 is ${topologySha}, but the bundle's manifest records ${m.topology.sha256}`);
  const artifacts = Object.fromEntries(m.images.artifacts.flatMap((a) => (a.sha256 !== null ? [[a.artifact, { file: a.path, sha256: a.sha256 }]] : [])));
  return { meta, topology, topologyText, plan, artifacts };
};

/** Checks the launcher results directory `dir` and writes its results.json. Nothing is written when
 * anything is wrong (InputError naming the file), and never over an existing results.json. */
export const replayLauncherResults = async (dir: string, o: ReplayOptions): Promise<RunResults> => {
  const resultsFile = join(dir, LAUNCHER_FILES.results);
  if (await exists(resultsFile)) throw new InputError(`${resultsFile} exists: this directory is a run directory already; nothing was replayed`);
  const { meta, topology: t, topologyText, plan, artifacts } = await readLauncherInputs(dir, o);
  const consoleFile = join(dir, LAUNCHER_FILES.console);
  const consoleText = await readText(dir, LAUNCHER_FILES.console, "the launcher's console log");
  // on hardware the launcher's clock is real time (dated as fast timing dates the host's); inside the
  // emulated L1 it is that run's clock, of the plan's timing
  const timing: RunTiming = meta.timeBase === 'hardware' ? 'hardware' : plan.timing;
  const replay = replayConsoleLog(consoleText, t, plan, timing === 'deterministic', consoleFile);
  const { collector } = replay;
  if (replay.unrouted > 0) collector.warnings.push(`${LAUNCHER_FILES.console}: ${replay.unrouted} line(s) without the launcher's "1|" route were skipped`);
  let startedAt = new Date(meta.startedAt);
  if (meta.startedAt === '') {
    startedAt = new Date(Math.max(0, (await stat(consoleFile)).mtimeMs - replay.endMs));
    collector.warnings.push(`${LAUNCHER_FILES.meta} has no startedAt: the start is estimated as ${LAUNCHER_FILES.console}'s modification time minus the launcher's run time`);
  }
  const assembled = assembleResults({
    topology: t,
    topologyText,
    timing,
    // no host emulator: its figures are empty
    emulator: { path: '', version: '', perCore: false, snapshots: 'no host emulator' },
    plan: { cpuArg: '', cpuMask: { switches: [], hides: [] }, channels: plan.channels },
    phases: undefined,
    artifacts,
    customImages: [],
    collector,
    finalState: replay.failure ? 'failed' : 'exited',
    failure: replay.failure,
    stages: replay.stages,
    startedAt,
    endMs: replay.endMs,
    host: { qemuRssMaxKiB: 0, loadAvgAtStart: [], loadAvgAtEnd: [], hostCpus: 0 },
    launcher: { timeBase: meta.timeBase, host: meta.host, bundle: meta.bundle === '' ? null : meta.bundle },
  });
  const results: RunResults = {
    ...assembled,
    guests: assembled.guests.map((g) => {
      const planned = planReservation(g, t, plan);
      return timing === 'hardware' ? onHardware(planned) : planned;
    }),
  };
  if (!(await writeNewResults(dir, results))) throw new InputError(`${resultsFile} appeared while the launcher's results were replayed; nothing was replaced`);
  return results;
};

/** `nestbed report DIR`'s first step: a launcher results directory without results.json is replayed
 * into one (true); any other directory is left as it is (false). */
export const replayIfLauncherResults = async (dir: string, o: ReplayOptions): Promise<boolean> => {
  if (await exists(join(dir, LAUNCHER_FILES.results))) return false;
  if (!(await isLauncherResultsDir(dir))) return false;
  await replayLauncherResults(dir, o);
  return true;
};
