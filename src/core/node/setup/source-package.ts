// Debian source packages through nestbed's private apt state: a deb-src configuration derived at run
// time from the machine's own sources (no archive host name in the repository), the package's
// index entry (apt verifies the index against the archive's signed InRelease), and the upstream
// tarball fetched and checked against the SHA-256 that index gives.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InfrastructureError } from '../../common/model/errors.js';
import { commonOpts, type AptConfig } from './apt.js';
import { deb822Stanzas, renderSources, type DebianSource } from './apt-sources.js';
import { sha256File } from './manifest.js';
import { runTool } from '../process/tool.js';

export interface SourceFile {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

export interface SourceEntry {
  readonly package: string;
  readonly version: string;
  /** Pool directory below the archive URI, e.g. "pool/main/q/qemu". */
  readonly directory: string;
  readonly files: readonly SourceFile[];
}

/** Parses the stanzas `apt-cache showsrc` prints (deb822 Sources entries). Pure. */
export const parseSourceEntries = (text: string): SourceEntry[] => {
  const out: SourceEntry[] = [];
  for (const fields of deb822Stanzas(text, '\n')) {
    const pkg = fields.get('package')?.trim();
    const version = fields.get('version')?.trim();
    const directory = fields.get('directory')?.trim();
    if (!pkg || !version || !directory) continue;
    const files: SourceFile[] = [];
    for (const line of (fields.get('checksums-sha256') ?? '').split('\n')) {
      const f = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
      if (f?.[1] && f[2] && f[3]) files.push({ sha256: f[1], size: Number(f[2]), name: f[3] });
    }
    out.push({ package: pkg, version, directory, files });
  }
  return out;
};

/** The upstream tarball of a source entry ("<pkg>_<upstream>.orig.tar.<xz|gz|bz2>"). */
export const origTarball = (e: SourceEntry): SourceFile | undefined => e.files.find((f) => /\.orig\.tar\.(?:xz|gz|bz2)$/.test(f.name));

/** Private deb-src configuration: the main archive's URI and key, the release and its backports. */
export const sourceAptConfig = async (dir: string, main: DebianSource, codename: string): Promise<AptConfig> => {
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(dir, 'archives', 'partial'), { recursive: true });
  await writeFile(join(dir, 'source.sources'), renderSources(main, [codename, `${codename}-backports`], [], 'deb-src'));
  return {
    name: 'apt (source packages)',
    dir,
    options: [
      '-o', 'Dir::Etc::SourceList=/dev/null',
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::Etc::sourcelist=${join(dir, 'source.sources')}`,
      ...commonOpts(dir),
    ],
  };
};

/** The index entry of `pkg` at exactly `version` (lists must be current: aptUpdate first). */
export const findSourceEntry = async (cfg: AptConfig, pkg: string, version: string, signal?: AbortSignal): Promise<SourceEntry> => {
  const r = await runTool('apt-cache', ['apt-cache', ...cfg.options, 'showsrc', pkg], {
    timeoutMs: 60_000,
    okCodes: [0, 100],
    env: { LC_ALL: 'C' },
    ...(signal ? { signal } : {}),
  });
  const entries = parseSourceEntries(r.stdout).filter((e) => e.package === pkg);
  const e = entries.find((x) => x.version === version);
  if (!e) {
    throw new InfrastructureError(
      `source package ${pkg} ${version} is not in the archive's source index (found: ${entries.map((x) => x.version).join(', ') || 'none'})`,
      'the per-core emulator is built from the source of the QEMU version in use; update the host emulator with "nestbed setup" or check the archive',
    );
  }
  return e;
};

/** Downloads `file` of `entry` into `dir` (kept when its SHA-256 already matches); returns its path. */
export const fetchSourceFile = async (main: DebianSource, entry: SourceEntry, file: SourceFile, dir: string, signal?: AbortSignal): Promise<string> => {
  await mkdir(dir, { recursive: true });
  const dest = join(dir, file.name);
  if ((await sha256File(dest).catch(() => '')) === file.sha256) return dest;
  const base = (main.uris[0] ?? '').replace(/\/+$/, '');
  const url = `${base}/${entry.directory}/${encodeURIComponent(file.name)}`;
  const tmp = `${dest}.part-${process.pid}`;
  try {
    const res = await fetch(url, signal ? { signal } : {});
    if (!res.ok || !res.body) throw new InfrastructureError(`download of ${file.name} failed: HTTP ${res.status}`, 'check network access to the Debian archive');
    const h = createHash('sha256');
    const body = Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]);
    body.on('data', (b: Buffer) => h.update(b));
    await pipeline(body, createWriteStream(tmp));
    const got = h.digest('hex');
    if (got !== file.sha256) throw new InfrastructureError(`${file.name}: SHA-256 ${got} does not match the signed source index (${file.sha256})`, 'a proxy or mirror altered the file; try again later');
    await rename(tmp, dest);
    return dest;
  } finally {
    await rm(tmp, { force: true });
  }
};
