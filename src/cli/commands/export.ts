// `nestbed export <topology> -o bundle.tar.gz`: the deployment bundle (docs/bundles.md). The pipeline
// is src/core/node/bundle/export.ts; this leaf prints: diagnostics of an invalid topology (exit 1/2,
// nothing written), what was written on stderr, the bundle's path on stdout.
import { relative, resolve } from 'node:path';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { InputError } from '../../core/common/model/errors.js';
import { formatValidationText } from '../../core/common/report/validation-formats.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { profileOption } from '../output.js';
import { unknownProfile } from './profiles.js';

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'Write a reproducible deployment bundle (.tar.gz): topology, profile, validation, launch plan, images, results, SBOM, attestation, signature.',
  positionals: ['<topology>'],
  options: {
    output: { type: 'string', short: 'o', description: 'The bundle to write (required), e.g. bundle.tar.gz.', valueName: 'bundle' },
    run: { type: 'string', description: "A finished run directory: its results.json, check.json and report.html go into results/.", valueName: 'dir' },
    'sign-key': { type: 'string', description: 'Sign manifest.json with this PEM Ed25519 private key (manifest.sig).', valueName: 'key.pem' },
    'no-images': { type: 'boolean', description: 'Leave the guest images out (recorded in the manifest); no `nestbed setup` needed.' },
    force: { type: 'boolean', description: 'Replace the bundle if it exists.' },
    profile: profileOption,
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const show = (p: string): string => {
      const r = relative(io.cwd, resolve(io.cwd, p));
      return r.startsWith('..') ? resolve(io.cwd, p) : r || p;
    };
    const shown = show(file);
    const output = options['output'] as string | undefined;
    if (output === undefined) throw new InputError('export needs -o <bundle.tar.gz>: the file to write');
    const profile = options['profile'] as string | undefined;
    if (profile !== undefined) {
      const { profiles } = await loadProfiles();
      if (!profiles.has(profile)) return unknownProfile(io, profile, profiles);
    }
    const quiet = options['quiet'] === true;
    // the bundle code loads when it is used: every other command starts ~0.15 s faster
    const { exportBundle } = await import('../../core/node/bundle/export.js');
    const { mib } = await import('../../core/node/bundle/verify-text.js');
    const outcome = await exportBundle({
      topologyFile: file,
      cwd: io.cwd,
      output,
      cacheRoot: cacheRoot(io.env),
      env: io.env,
      ...(profile !== undefined ? { profile } : {}),
      ...(typeof options['run'] === 'string' ? { runDir: options['run'] } : {}),
      ...(typeof options['sign-key'] === 'string' ? { signKeyFile: options['sign-key'] } : {}),
      images: options['no-images'] !== true,
      force: options['force'] === true,
      signal: io.signal,
    });
    if (outcome.kind === 'invalid') {
      const report = { ...outcome.report, file: shown };
      io.stderr.write(formatValidationText({ ...report, diagnostics: report.diagnostics.filter((d) => d.severity === 'error') }, { ...(outcome.text !== undefined ? { source: outcome.text } : {}) }));
      io.stderr.write(`${shown}: static validation failed; nothing was written (see "nestbed validate ${shown}")\n`);
      return outcome.validation.malformed ? ExitCode.InvalidInput : ExitCode.CheckFailed;
    }
    if (!quiet) {
      const m = outcome.manifest;
      const images = m.images.included ? `images ${m.images.artifacts.map((a) => a.path.replace(/^images\//, '')).join(', ')}` : 'no images (--no-images)';
      io.stderr.write(`exported ${m.topology.name} → ${show(outcome.path)}: ${mib(outcome.bytes)}, ${outcome.entries} entries (${images}${m.run ? ', results' : ''}${m.signature ? ', signed' : ''}), ${(outcome.ms / 1000).toFixed(1)} s\n`);
      for (const w of outcome.warnings) io.stderr.write(`warning: ${w}\n`);
    }
    io.stdout.write(`${outcome.path}\n`);
    return ExitCode.Ok;
  },
};
