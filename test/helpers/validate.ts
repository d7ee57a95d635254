// Test helpers: the shipped profile catalog, and validation of inline text or example files.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfiles } from '../../src/core/node/profiles.js';
import { validateTopology, type Validation } from '../../src/core/common/validate/validate-topology.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const examplePath = (name: string): string => join(repoRoot, 'examples', name);

const catalog = await loadProfiles(join(repoRoot, 'ecu-profiles'));
export const profiles = catalog.profiles;

export const validateText = (text: string, profileOverride?: string): Validation =>
  validateTopology(text, { profiles, ...(profileOverride ? { profileOverride } : {}) });

export const validateExample = (name: string): Validation => validateText(readFileSync(examplePath(name), 'utf8'));

/** code@line:col of every error and warning, for compact assertions. */
export const brief = (v: Validation): string[] => v.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}@${d.line}:${d.column}`);

/** A small valid topology as YAML, with optional replacement of the guests block. */
export const topologyYaml = (guests: string, extra = ''): string => `apiVersion: nestbed/v1
kind: Topology
name: t
host: { cpu: ampereone, cores: 2, memoryMiB: 4096 }
hypervisor: { kind: kvm, vcpus: 2, memoryMiB: 2048 }
guests:
${guests}${extra}`;
