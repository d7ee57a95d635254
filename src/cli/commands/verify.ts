// `nestbed verify <bundle> [--key pub.pem]`: integrity, signature and provenance of a bundle, and what it
// holds (src/core/node/bundle/verify.ts). Exit 0 verified, 1 a check failed (the message names the
// file), 2 a hostile or unreadable archive / a bad key / an unsupported format (nothing is written).
import { resolve } from 'node:path';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { formatOption } from '../output.js';

const FORMATS = ['text', 'json'] as const;

export const verifyCommand: CommandSpec = {
  name: 'verify',
  summary: "Check a bundle's integrity, signature and provenance without extracting it; print what it holds.",
  positionals: ['<bundle>'],
  options: {
    key: { type: 'string', short: 'k', description: 'PEM Ed25519 public key: the signature must verify with it.', valueName: 'pub.pem' },
    format: formatOption(FORMATS),
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    // the bundle code loads when it is used: every other command starts faster
    const { loadVerifyKey } = await import('../../core/node/bundle/signing.js');
    const { verifyBundle } = await import('../../core/node/bundle/verify.js');
    const { formatVerifyText } = await import('../../core/node/bundle/verify-text.js');
    const keyFile = options['key'] as string | undefined;
    const key = keyFile !== undefined ? { file: keyFile, key: await loadVerifyKey(resolve(io.cwd, keyFile)) } : undefined;
    const { profiles } = await loadProfiles();
    const report = await verifyBundle({ file: resolve(io.cwd, positionals[0]!), shown: positionals[0]!, ...(key ? { key } : {}), profiles });
    io.stdout.write(options['format'] === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyText(report));
    if (!report.ok) {
      const first = report.problems[0]!;
      io.stderr.write(`nestbed: ${positionals[0]!}: verification failed: ${first.file}: ${first.message}${report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : ''}\n`);
    }
    return report.ok ? ExitCode.Ok : ExitCode.CheckFailed;
  },
};
