import { ExitCode } from '../../core/common/model/exit-code.js';
import { jsonSchemaText, SCHEMA_KINDS, type SchemaKind } from '../../core/common/model/json-schema.js';
import { commonOptions, type CommandSpec } from '../command.js';
import { emit, outputFileOption } from '../output.js';

export const schemaCommand: CommandSpec = {
  name: 'schema',
  summary: 'Print the JSON Schema of the topology (or profile) format, generated from nestbed’s own schemas.',
  positionals: [],
  options: {
    kind: { type: 'string', short: 'k', description: `Which format: ${SCHEMA_KINDS.join(' | ')} (default topology).`, choices: SCHEMA_KINDS, valueName: 'kind' },
    'output-file': outputFileOption,
    ...commonOptions,
  },
  run: async ({ options }, io) => {
    await emit(io, jsonSchemaText((options['kind'] as SchemaKind | undefined) ?? 'topology'), options['output-file'] as string | undefined);
    return ExitCode.Ok;
  },
};
