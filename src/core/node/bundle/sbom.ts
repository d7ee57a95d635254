// sbom.cdx.json: a CycloneDX 1.6 JSON SBOM of everything the bundle runs, made with the OWASP
// CycloneDX JavaScript library (@cyclonedx/cyclonedx-library, pinned; no dependencies of its own):
//   - the bundle (metadata.component): the topology, by name and SHA-256;
//   - nestbed (the tool that made it and plans the launch);
//   - the guest artifacts the launch plan boots (images/…, bundled or not) and the ones nested in them
//     (l1[-rt].cpio inside l0[-rt].cpio; l2.cpio, rtos.Image, the L2 kernels inside l1), with SHA-256;
//   - every Debian package the image set was built from, with the version and .deb SHA-256 recorded
//     in the cache manifest (purl pkg:deb/debian/…). The cache manifest does not record which package
//     went into which artifact, so the packages depend from the image set as a whole;
//   - the host emulator the emulated path uses, scope "excluded" (not in the bundle).
// Deterministic: fixed bom-refs, the bundle's epoch as timestamp, a serial number derived from the
// content, lists sorted by the serializer.
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { Manifest } from '../setup/manifest.js';
import type { BundleImage } from './bundle-layout.js';

export interface SbomInput {
  readonly nestbedVersion: string;
  readonly topology: { readonly name: string; readonly sha256: string };
  readonly profileId: string | null;
  readonly epochSeconds: number;
  /** The launch plan's images (images/…). */
  readonly images: readonly BundleImage[];
  readonly imagesIncluded: boolean;
  /** The cache manifest the images come from, when there is one. */
  readonly cache: Manifest | undefined;
}

/** Which cache artifacts are packed inside which (src/core/node/setup/guest-image.ts); `has` says
 * which artifacts the image set has: l1 carries the lean L2 kernels when setup built them, else the
 * generic ones. */
export const nestedArtifacts = (outer: string, has: (artifact: string) => boolean): string[] => {
  switch (outer) {
    case 'l0':
      return ['l1'];
    case 'l0-rt':
      return ['l1-rt'];
    case 'l1':
      return ['l2', 'rtos', 'Image-l2'];
    case 'l1-rt':
      return ['l2', 'rtos', 'Image-l2', has('Image-l2-rt') ? 'Image-l2-rt' : 'Image-rt'];
    default:
      return [];
  }
};

/** A name-based UUID (RFC 9562 version 8, "custom") from the content, so the serial is reproducible. */
export const contentUuid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
};

/** purl of a Debian binary package (github.com/package-url/purl-spec, type "deb"). */
export const debPurl = (name: string, version: string, arch: string): string => `pkg:deb/debian/${encodeURIComponent(name)}@${encodeURIComponent(version)}?arch=${encodeURIComponent(arch)}`;

const prop = (c: Models.Component, name: string, value: string): void => {
  c.properties.add(new Models.Property(name, value));
};

const withSha = (c: Models.Component, sha256: string | null | undefined): Models.Component => {
  if (sha256) c.hashes.set(Enums.HashAlgorithm['SHA-256'], sha256);
  return c;
};

export const buildSbom = (i: SbomInput): string => {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${contentUuid(['nestbed-bundle-sbom', i.nestbedVersion, i.topology.sha256, ...i.images.map((m) => `${m.path}:${m.sha256 ?? ''}`), ...(i.cache?.debs ?? []).map((d) => d.sha256)].join('\n'))}`;
  bom.metadata.timestamp = new Date(i.epochSeconds * 1000);

  const nestbed = new Models.Component(Enums.ComponentType.Application, 'nestbed', { bomRef: 'nestbed', version: i.nestbedVersion, description: 'Topology checker and nested-VM runner; made this bundle and its launch plan.' });
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'nestbed', { bomRef: 'tool:nestbed', version: i.nestbedVersion }));
  const root = new Models.Component(Enums.ComponentType.Platform, i.topology.name, { bomRef: 'bundle', version: `sha256:${i.topology.sha256}`, description: 'nestbed deployment bundle of this topology' });
  prop(root, 'nestbed:topology:sha256', i.topology.sha256);
  if (i.profileId) prop(root, 'nestbed:ecu-profile', i.profileId);
  bom.metadata.component = root;
  bom.components.add(nestbed);
  root.dependencies.add(nestbed.bomRef);

  const artifacts = i.cache?.artifacts ?? {};
  const added = new Map<string, Models.Component>();
  const has = (name: string): boolean => artifacts[name] !== undefined;
  const addArtifact = (name: string, parent: Models.Component, nestedIn: string | undefined): void => {
    if (added.has(name)) {
      parent.dependencies.add(added.get(name)!.bomRef);
      return;
    }
    const a = artifacts[name];
    if (!a) return;
    const c = withSha(new Models.Component(Enums.ComponentType.File, a.file, { bomRef: `artifact:${name}`, description: a.description }), a.sha256);
    prop(c, 'nestbed:artifact', name);
    prop(c, 'nestbed:size', String(a.size));
    if (nestedIn) prop(c, 'nestbed:nested-in', nestedIn);
    bom.components.add(c);
    added.set(name, c);
    parent.dependencies.add(c.bomRef);
    for (const inner of nestedArtifacts(name, has)) addArtifact(inner, c, a.file);
  };

  for (const img of i.images) {
    const c = withSha(new Models.Component(Enums.ComponentType.File, img.path, { bomRef: `image:${img.path}`, description: img.description }), img.sha256);
    prop(c, 'nestbed:artifact', img.artifact);
    prop(c, 'nestbed:role', img.role);
    prop(c, 'nestbed:bundled', String(i.imagesIncluded));
    if (img.size !== null) prop(c, 'nestbed:size', String(img.size));
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
    added.set(img.artifact, c);
    for (const inner of nestedArtifacts(img.artifact, has)) addArtifact(inner, c, img.path);
  }

  if (i.cache) {
    const imageSet = [...added.values()];
    for (const d of i.cache.debs) {
      const c = withSha(new Models.Component(Enums.ComponentType.Library, d.package, { bomRef: `deb:${d.package}:${d.arch}`, version: d.version, purl: debPurl(d.package, d.version, d.arch) }), d.sha256);
      prop(c, 'nestbed:deb-file', d.file);
      bom.components.add(c);
      for (const img of imageSet) img.dependencies.add(c.bomRef);
    }
    if (i.cache.rtos && added.has('rtos')) {
      const r = added.get('rtos')!;
      prop(r, 'nestbed:rtos:compiler', `${i.cache.rtos.gcc} ${i.cache.rtos.version}`);
      prop(r, 'nestbed:rtos:recipe', i.cache.rtos.recipe);
    }
    const q = new Models.Component(Enums.ComponentType.Application, 'qemu-system-aarch64', {
      bomRef: 'host:qemu',
      version: i.cache.hostQemu.version,
      scope: Enums.ComponentScope.Excluded,
      description: "The host's emulator for the emulated path (not in the bundle; launch/plan.json argv[0]).",
    });
    bom.components.add(q);
    root.dependencies.add(q.bomRef);
  }

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
};
