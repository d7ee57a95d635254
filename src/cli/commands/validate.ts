import { dirname, relative, resolve } from 'node:path';
import { imageFileInspector } from '../../core/node/custom-image.js';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { toValidationReport } from '../../core/common/report/validation-report.js';
import { formatValidationJunit, formatValidationSarif, formatValidationText } from '../../core/common/report/validation-formats.js';
import { unreadableTopology, validateTopology } from '../../core/common/validate/validate-topology.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { readSourceFile } from '../../core/node/source-file.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption, profileOption, useColor } from '../output.js';
import { toolVersion } from '../../core/node/version.js';
import { unknownProfile } from './profiles.js';

const FORMATS = ['text', 'json', 'junit', 'sarif'] as const;

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'Static validation and schedulability analysis of a topology (no emulator needed).',
  positionals: ['<topology>'],
  options: { format: formatOption(FORMATS), 'output-file': outputFileOption, profile: profileOption, ...commonOptions },
  run: async ({ positionals, options }, io) => {
    const file = positionals[0]!;
    const shown = relative(io.cwd, file).startsWith('..') ? file : relative(io.cwd, file) || file;
    const format = (options['format'] as (typeof FORMATS)[number] | undefined) ?? 'text';
    const catalog = await loadProfiles();
    const profileOverride = options['profile'] as string | undefined;
    if (profileOverride !== undefined && !catalog.profiles.has(profileOverride)) return unknownProfile(io, profileOverride, catalog.profiles);

    const read = await readSourceFile(file);
    const source = read.ok ? read.text : undefined;
    const validation = read.ok
      ? validateTopology(read.text, { profiles: catalog.profiles, files: imageFileInspector(dirname(resolve(io.cwd, file))), ...(profileOverride ? { profileOverride } : {}) })
      : unreadableTopology(read.diagnostic);
    const report = toValidationReport(validation, shown, toolVersion());
    const outputFile = options['output-file'] as string | undefined;
    let text: string;
    switch (format) {
      case 'text':
        text = formatValidationText(report, { ...(source !== undefined ? { source } : {}), color: outputFile === undefined && useColor(io) });
        break;
      case 'json':
        text = `${JSON.stringify(report, null, 2)}\n`;
        break;
      case 'junit':
        text = formatValidationJunit(report);
        break;
      case 'sarif':
        text = formatValidationSarif(report, toolVersion());
        break;
    }
    await emit(io, text, outputFile);
    if (outputFile !== undefined && !options['quiet']) {
      io.stderr.write(`${report.success ? 'valid' : 'invalid'}: ${shown} — ${report.summary.errors} errors, ${report.summary.warnings} warnings; ${format} report written to ${outputFile}\n`);
    }
    return validation.malformed ? ExitCode.InvalidInput : report.success ? ExitCode.Ok : ExitCode.CheckFailed;
  },
};
