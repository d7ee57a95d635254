// Where machine output goes: stdout, or --output-file written atomically.
import { resolve } from 'node:path';
import { writeFileAtomic } from '../core/node/fs-atomic.js';
import type { CommandIO } from './command.js';

export const emit = async (io: CommandIO, text: string, outputFile: string | undefined): Promise<void> => {
  if (outputFile === undefined) {
    io.stdout.write(text);
    return;
  }
  await writeFileAtomic(resolve(io.cwd, outputFile), text);
};

export const formatOption = (choices: readonly string[]) =>
  ({ type: 'string', short: 'f', description: `Output format: ${choices.join(' | ')} (default ${choices[0]}).`, choices, valueName: 'format' }) as const;

export const outputFileOption = { type: 'string', short: 'o', description: 'Write the result to this file (atomically) instead of stdout.', valueName: 'path' } as const;

export const profileOption = { type: 'string', short: 'p', description: 'ECU profile id (overrides the topology’s `profile`). See `nestbed profiles`.', valueName: 'id' } as const;

export const useColor = (io: CommandIO): boolean => io.stdoutIsTTY && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
