// Data checks for the ECU profiles in ecu-profiles/ and the core reference files in ecu-profiles/cores/.
//
// Rules enforced here (they are the contract for anyone adding a profile):
//  - every profile parses with the strict profileSchema and lives in `<id>.yaml`;
//  - provenance: every key names a path that exists in the profile; every "[n]" cites an existing source;
//    every source is cited at least once; an "engineering:" entry gives a reason;
//  - coverage: every numeric leaf (outside `sources`/`provenance`), every list under `cpu`, `cpu.arch` and each
//    cluster's `core` has a provenance entry. A list of scalars (features, pageSizesKiB) is covered by the entry
//    for the list itself; a list of objects (clusters) needs an entry for the list and for each element's leaves;
//  - each cluster's core has ecu-profiles/cores/<core>.yaml (coreFeaturesSchema, file name `<core>.yaml`);
//  - features vs cores. Linux computes the arm64 hwcaps from the sanitised, system-wide ID registers (the
//    lowest safe value over all CPUs), so on a heterogeneous SoC /proc/cpuinfo shows the intersection. Hence:
//      allowed  = ∩ over the profile's cores of (features ∪ optional)   — profile features must be a subset;
//      required = ∩ over the profile's cores of features                — profile features must include them;
//    for a homogeneous SoC this is simply "core features ⊆ profile ⊆ core features + optional";
//  - arch: the profile's arch is the lowest arch of its cores (the ISA every CPU can run); for a homogeneous
//    SoC that is the core file's arch.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { profileSchema, coreFeaturesSchema, type EcuProfile, type CoreFeatures } from '../../../src/core/common/model/profile.js';

const PROFILES_DIR = fileURLToPath(new URL('../../../ecu-profiles/', import.meta.url));
const CORES_DIR = join(PROFILES_DIR, 'cores');

const REQUIRED_PROFILE_IDS = [
  'nxp-s32g3',
  'renesas-rcar-s4',
  'nvidia-drive-orin',
  'qualcomm-sa8775p',
  'nxp-imx95',
  'ti-tda4vm',
];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.yaml'))
    .map((e) => e.name)
    .sort();
}

function loadYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}

type PathToken = string | number;

/** "cpu.clusters[0].mhz" → ["cpu", "clusters", 0, "mhz"]; null when the syntax is not a plain path. */
function parsePath(path: string): PathToken[] | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/.test(path)) return null;
  const tokens: PathToken[] = [];
  for (const m of path.matchAll(/([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) tokens.push(m[1]);
    else if (m[2] !== undefined) tokens.push(Number(m[2]));
  }
  return tokens;
}

function pathExists(root: unknown, path: string): boolean {
  const tokens = parsePath(path);
  if (tokens === null) return false;
  let node: unknown = root;
  for (const t of tokens) {
    if (typeof t === 'number') {
      if (!Array.isArray(node) || t >= node.length) return false;
      node = node[t];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, t)) return false;
      node = (node as Record<string, unknown>)[t];
    }
  }
  return true;
}

/** Paths that must carry a provenance entry (see the rules at the top of this file). */
function requiredProvenancePaths(profile: EcuProfile): string[] {
  const out: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number') {
      out.push(path);
    } else if (Array.isArray(value)) {
      if (path === 'cpu' || path.startsWith('cpu.') || path.startsWith('cpu[')) out.push(path);
      value.forEach((item, i) => {
        if (item !== null && typeof item === 'object') walk(item, `${path}[${i}]`);
        // scalar elements are covered by the list's own entry
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (path === '' && (key === 'sources' || key === 'provenance')) continue; // metadata, not figures
        walk(child, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  walk(profile, '');
  out.push('cpu.arch');
  profile.cpu.clusters.forEach((_, i) => out.push(`cpu.clusters[${i}].core`));
  return out;
}

/** The source numbers cited as "[n]" in a provenance value (not "[0]"-style indices inside words/paths). */
function citations(text: string): number[] {
  return [...text.matchAll(/(?<![\w\]])\[(\d+)\]/g)].map((m) => Number(m[1]));
}

function archRank(arch: string): number {
  const m = /^armv(\d+)\.(\d+)-a$/.exec(arch);
  if (!m) throw new Error(`bad arch ${arch}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

function intersect(sets: Set<string>[]): Set<string> {
  const [first, ...rest] = sets;
  if (!first) return new Set();
  return new Set([...first].filter((x) => rest.every((s) => s.has(x))));
}

// ---- load everything once -------------------------------------------------------------------------

const profileFiles = yamlFiles(PROFILES_DIR);
const coreFiles = yamlFiles(CORES_DIR);

const cores = new Map<string, CoreFeatures>();
for (const file of coreFiles) {
  const parsed = coreFeaturesSchema.safeParse(loadYaml(join(CORES_DIR, file)));
  if (parsed.success) cores.set(file.replace(/\.yaml$/, ''), parsed.data);
}

// ---- tests ----------------------------------------------------------------------------------------

describe('ECU profile set', () => {
  it('has at least 6 profiles', () => {
    expect(profileFiles.length).toBeGreaterThanOrEqual(6);
  });

  it('includes the reference automotive SoCs', () => {
    const ids = profileFiles.map((f) => f.replace(/\.yaml$/, ''));
    for (const id of REQUIRED_PROFILE_IDS) expect(ids, `missing ecu-profiles/${id}.yaml`).toContain(id);
  });
});

describe('core reference files (ecu-profiles/cores)', () => {
  it('exist', () => {
    expect(coreFiles.length).toBeGreaterThan(0);
  });

  for (const file of coreFiles) {
    describe(file, () => {
      const raw = loadYaml(join(CORES_DIR, file));

      it('parses with coreFeaturesSchema', () => {
        const r = coreFeaturesSchema.safeParse(raw);
        expect(r.success, r.success ? '' : JSON.stringify(r.error.issues, null, 2)).toBe(true);
      });

      it('is named <core>.yaml', () => {
        const r = coreFeaturesSchema.safeParse(raw);
        expect(r.success && `${r.data.core}.yaml`).toBe(file);
      });

      it('lists each feature once, and never as both mandatory and optional', () => {
        const c = coreFeaturesSchema.parse(raw);
        expect(new Set(c.features).size).toBe(c.features.length);
        expect(new Set(c.optional).size).toBe(c.optional.length);
        expect(c.optional.filter((f) => c.features.includes(f))).toEqual([]);
      });
    });
  }
});

describe('ECU profiles', () => {
  for (const file of profileFiles) {
    describe(file, () => {
      const raw = loadYaml(join(PROFILES_DIR, file));
      const parsed = profileSchema.safeParse(raw);

      it('parses with profileSchema (strict)', () => {
        expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues, null, 2)).toBe(true);
      });
      if (!parsed.success) return;
      const p = parsed.data;

      it('is named <id>.yaml', () => {
        expect(`${p.id}.yaml`).toBe(file);
      });

      it('has provenance keys that name existing paths', () => {
        const bad = Object.keys(p.provenance).filter((k) => !pathExists(p, k));
        expect(bad, `provenance keys with no such path: ${bad.join(', ')}`).toEqual([]);
      });

      it('cites only existing sources, and cites every source', () => {
        const cited = new Set<number>();
        const bad: string[] = [];
        for (const [key, text] of Object.entries(p.provenance)) {
          for (const n of citations(text)) {
            cited.add(n);
            if (n < 1 || n > p.sources.length) bad.push(`${key}: [${n}]`);
          }
          if (text.startsWith('[')) expect(citations(text).length, `${key} must start with a valid [n]`).toBeGreaterThan(0);
        }
        expect(bad, `citations of missing sources (there are ${p.sources.length})`).toEqual([]);
        const uncited = p.sources.map((_, i) => i + 1).filter((n) => !cited.has(n));
        expect(uncited, 'sources never cited').toEqual([]);
      });

      it('gives a reason for every engineering choice', () => {
        for (const [key, text] of Object.entries(p.provenance)) {
          if (!text.startsWith('engineering:')) continue;
          expect(text.slice('engineering:'.length).trim().length, `${key} has no reason`).toBeGreaterThanOrEqual(10);
        }
      });

      it('has a provenance entry for every numeric figure and every cpu list', () => {
        const missing = requiredProvenancePaths(p).filter((path) => !Object.hasOwn(p.provenance, path));
        expect(missing, `figures without provenance: ${missing.join(', ')}`).toEqual([]);
      });

      it('has a core reference file for every cluster core', () => {
        for (const c of p.cpu.clusters) {
          expect(existsSync(join(CORES_DIR, `${c.core}.yaml`)), `missing ecu-profiles/cores/${c.core}.yaml`).toBe(true);
          expect(cores.has(c.core), `cores/${c.core}.yaml does not parse`).toBe(true);
        }
      });

      it('reports exactly the ISA features its cores allow (intersection rule for heterogeneous SoCs)', () => {
        const coreDefs = [...new Set(p.cpu.clusters.map((c) => c.core))].map((name) => cores.get(name));
        if (coreDefs.some((c) => c === undefined)) return; // reported by the previous test
        const defs = coreDefs as CoreFeatures[];
        const allowed = intersect(defs.map((c) => new Set([...c.features, ...c.optional])));
        const required = intersect(defs.map((c) => new Set(c.features)));
        const have = new Set(p.cpu.features);

        expect(have.size, 'duplicate features').toBe(p.cpu.features.length);
        expect(p.cpu.features.filter((f) => !allowed.has(f)), 'features its cores cannot provide').toEqual([]);
        expect([...required].filter((f) => !have.has(f)), 'mandatory core features missing').toEqual([]);
      });

      it('declares the lowest arch of its cores', () => {
        const archs = p.cpu.clusters.map((c) => cores.get(c.core)?.arch).filter((a): a is string => a !== undefined);
        if (archs.length !== p.cpu.clusters.length) return; // reported by the core-file test
        const lowest = archs.reduce((a, b) => (archRank(b) < archRank(a) ? b : a));
        expect(p.cpu.arch).toBe(lowest);
      });

      it('keeps the role budgets within the ECU memory', () => {
        const total = Object.values(p.budgets).reduce((sum, b) => sum + (b?.memoryMiB ?? 0), 0);
        expect(total).toBeLessThanOrEqual(p.memoryMiB);
      });
    });
  }
});
