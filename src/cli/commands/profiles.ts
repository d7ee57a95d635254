import { ExitCode } from '../../core/common/model/exit-code.js';
import type { EcuProfile } from '../../core/common/model/profile.js';
import { GUEST_ROLES } from '../../core/common/model/topology.js';
import { textTable } from '../../core/common/report/text-table.js';
import { loadProfiles } from '../../core/node/profiles.js';
import { commonOptions, type CommandIO, type CommandSpec } from '../command.js';
import { emit, formatOption, outputFileOption } from '../output.js';

const FORMATS = ['text', 'json'] as const;

/** Usage error for an unknown --profile id (exit 2), listing the known ones. */
export const unknownProfile = (io: CommandIO, id: string, profiles: ReadonlyMap<string, EcuProfile>): ExitCode => {
  io.stderr.write(`nestbed: unknown profile "${id}" (known: ${[...profiles.keys()].sort().join(', ')}); see \`nestbed profiles\`\n`);
  return ExitCode.InvalidInput;
};

/** "12× cortex-a78ae @ 2201 MHz (3 clusters)": identical clusters are summed. */
const cores = (p: EcuProfile): string => {
  const groups = new Map<string, { count: number; clusters: number }>();
  for (const c of p.cpu.clusters) {
    const key = `${c.core} @ ${c.mhz} MHz`;
    const g = groups.get(key) ?? { count: 0, clusters: 0 };
    groups.set(key, { count: g.count + c.count, clusters: g.clusters + 1 });
  }
  return [...groups].map(([key, g]) => `${g.count}× ${key}${g.clusters > 1 ? ` (${g.clusters} clusters)` : ''}`).join(' + ');
};

export const profilesCommand: CommandSpec = {
  name: 'profiles',
  summary: 'List the ECU profiles (native-parity targets) in ecu-profiles/.',
  positionals: [],
  options: { format: formatOption(FORMATS), 'output-file': outputFileOption, ...commonOptions },
  run: async ({ options }, io) => {
    const { dir, profiles } = await loadProfiles();
    const list = [...profiles.values()].sort((a, b) => a.id.localeCompare(b.id));
    const format = (options['format'] as (typeof FORMATS)[number] | undefined) ?? 'text';
    let text: string;
    if (format === 'json') {
      text = `${JSON.stringify({ schemaVersion: 1, dir, profiles: list }, null, 2)}\n`;
    } else {
      const rows = list.map((p) => [p.id, p.name, cores(p), p.cpu.arch, `${p.memoryMiB}`, GUEST_ROLES.filter((r) => p.budgets[r]).join(',')]);
      text = `${textTable(['id', 'name', 'application cores', 'arch', 'MiB', 'budgets for roles'], rows, new Set([4]))}\n\n${list.length} profiles in ${dir}\n`;
    }
    await emit(io, text, options['output-file'] as string | undefined);
    return ExitCode.Ok;
  },
};
