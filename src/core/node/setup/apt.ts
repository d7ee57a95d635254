// apt-get wrappers over nestbed's private apt state. The system's /etc/apt, lists and caches are
// never written: sources, lists, archives and (for arm64) the dpkg status all live in the cache.
import { mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool, type ToolResult } from '../process/tool.js';
import { mainArchive, parseDeb822, parseOneLine, renderSources, type DebianSource } from './apt-sources.js';

export const SYSTEM_DEB822 = '/etc/apt/sources.list.d/debian.sources';
export const SYSTEM_ONELINE = '/etc/apt/sources.list';

export interface OsRelease {
  readonly id: string;
  readonly codename: string;
}

export const readOsRelease = async (): Promise<OsRelease> => {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const get = (k: string): string => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { id: get('ID'), codename: get('VERSION_CODENAME') };
};

/** The machine's own main Debian archive, read from its sources files at run time. */
export const systemArchive = async (codename: string): Promise<{ source: DebianSource; text: string; file: string }> => {
  for (const [file, parse] of [
    [SYSTEM_DEB822, parseDeb822],
    [SYSTEM_ONELINE, parseOneLine],
  ] as const) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const source = mainArchive(parse(text), codename);
    if (source) return { source, text, file };
  }
  throw new InfrastructureError(
    `no Debian archive for "${codename}" found in ${SYSTEM_DEB822} or ${SYSTEM_ONELINE}`,
    'nestbed derives its package sources from the system sources; configure apt for the Debian archive first',
  );
};

export interface AptConfig {
  readonly name: string;
  readonly dir: string;
  /** The -o options that redirect apt to the private state. */
  readonly options: readonly string[];
}

/** The options every private apt configuration shares: lists and archives in `dir`, no caches. */
export const commonOpts = (dir: string): string[] => [
  '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
  '-o', `Dir::Cache::Archives=${join(dir, 'archives')}`,
  '-o', `Dir::Cache::pkgcache=`,
  '-o', `Dir::Cache::srcpkgcache=`,
  '-o', 'Acquire::Languages=none',
  '-o', 'APT::Get::AllowUnauthenticated=false',
];

/** Private config for the arm64 guest packages (trixie + trixie-backports), empty dpkg status. */
export const guestAptConfig = async (dir: string, main: DebianSource): Promise<AptConfig> => {
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(dir, 'archives', 'partial'), { recursive: true });
  await writeFile(join(dir, 'guest.sources'), renderSources(main, ['trixie', 'trixie-backports'], ['arm64']));
  await writeFile(join(dir, 'empty-status'), '');
  return {
    name: 'apt (arm64 guest packages)',
    dir,
    options: [
      '-o', 'Dir::Etc::SourceList=/dev/null',
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::Etc::sourcelist=${join(dir, 'guest.sources')}`,
      '-o', `Dir::State::status=${join(dir, 'empty-status')}`,
      '-o', 'APT::Architecture=arm64',
      '-o', 'APT::Architectures::=arm64',
      ...commonOpts(dir),
    ],
  };
};

/** Private config for installing the host emulator: the system sources plus <codename>-backports. */
export const hostAptConfig = async (dir: string, main: DebianSource, systemText: string, systemFile: string, codename: string): Promise<AptConfig> => {
  const parts = join(dir, 'parts');
  await mkdir(parts, { recursive: true });
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(dir, 'archives', 'partial'), { recursive: true });
  if (systemFile.endsWith('.sources')) await writeFile(join(parts, 'system.sources'), systemText);
  else await writeFile(join(parts, 'system.list'), systemText);
  const arch = (await runTool('dpkg', ['dpkg', '--print-architecture'], { timeoutMs: 10_000 })).stdout.trim();
  await writeFile(join(parts, 'backports.sources'), renderSources(main, [`${codename}-backports`], [arch]));
  return {
    name: 'apt (host emulator)',
    dir,
    options: ['-o', 'Dir::Etc::SourceList=/dev/null', '-o', `Dir::Etc::SourceParts=${parts}`, ...commonOpts(dir)],
  };
};

const listsPresent = async (cfg: AptConfig): Promise<boolean> =>
  (await readdir(join(cfg.dir, 'lists')).catch(() => [] as string[])).some((f) => f.endsWith('_Packages'));

export const aptGet = (cfg: AptConfig, args: readonly string[], opts: { cwd?: string; timeoutMs: number; signal?: AbortSignal }): Promise<ToolResult> =>
  runTool('apt-get', ['apt-get', ...cfg.options, ...args], {
    timeoutMs: opts.timeoutMs,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    env: { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
  }).catch((e: unknown) => {
    throw new InfrastructureError(
      `${cfg.name}: apt-get ${args.slice(0, 3).join(' ')} failed: ${e instanceof Error ? e.message : String(e)}`,
      'check network access to the Debian archive (setup needs it once; runs do not)',
      { cause: e },
    );
  });

/** apt-get update into the private lists (skipped when lists exist, unless forced). */
export const aptUpdate = async (cfg: AptConfig, force: boolean, signal?: AbortSignal): Promise<boolean> => {
  if (!force && (await listsPresent(cfg))) return false;
  await aptGet(cfg, ['update'], { timeoutMs: 300_000, ...(signal ? { signal } : {}) });
  return true;
};

/** Simulated install against the empty status: the full dependency closure as name=version. */
export const resolveClosure = async (cfg: AptConfig, pkgs: readonly string[], targetRelease: string, signal?: AbortSignal): Promise<string[]> => {
  const r = await aptGet(cfg, ['-s', 'install', '--no-install-recommends', '-t', targetRelease, ...pkgs], { timeoutMs: 120_000, ...(signal ? { signal } : {}) });
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^Inst (\S+) \(([^ )]+)/.exec(line);
    if (m?.[1] && m[2]) out.push(`${m[1].replace(/:arm64$/, '')}=${m[2]}`);
  }
  if (out.length === 0) throw new InfrastructureError(`apt resolved no packages for ${pkgs.join(' ')}`);
  return out.sort();
};
