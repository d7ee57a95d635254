// nestbed CLI entry: argv → command table → exit code. Expected failures print one clear message;
// only bugs print a stack trace (exit 4).
import { parseArgs } from 'node:util';
import { ExitCode } from '../core/common/model/exit-code.js';
import { InfrastructureError, InputError } from '../core/common/model/errors.js';
import { type CommandIO, type CommandSpec, type OptionSpec } from './command.js';
import { COMMANDS } from './commands.js';
import { toolVersion } from '../core/node/version.js';

class UsageError extends InputError {}

const optionUsage = (name: string, o: OptionSpec): string => {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
  return `  ${flag.padEnd(30)} ${o.description}`;
};

export const commandHelp = (c: CommandSpec): string =>
  [`Usage: nestbed ${c.name}${c.positionals.length ? ` ${c.positionals.join(' ')}` : ''} [options]`, '', c.summary, '', 'Options:', ...Object.entries(c.options).map(([n, o]) => optionUsage(n, o)), optionUsage('help', { type: 'boolean', short: 'h', description: 'Show this help.' }), ''].join('\n');

export const mainHelp = (): string =>
  [
    'nestbed — check and run vehicle domain-controller topologies as nested arm64 VMs',
    '',
    'Usage: nestbed <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Exit codes: 0 ok · 1 a check failed · 2 invalid input or usage · 3 environment/infrastructure · 4 internal error',
    "Run 'nestbed <command> --help' for a command's options.",
    '',
  ].join('\n');

const parse = (c: CommandSpec, argv: readonly string[]) => {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(c.options)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\n\n${commandHelp(c)}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const [name, o] of Object.entries(c.options)) {
    const v = values[name];
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) throw new UsageError(`--${name} ${v}: expected one of ${o.choices.join(', ')}`);
  }
  const required = c.positionals.filter((p) => p.startsWith('<')).length;
  if (!values['help'] && (parsed.positionals.length < required || parsed.positionals.length > c.positionals.length)) {
    throw new UsageError(`${c.name} expects ${c.positionals.join(' ') || 'no arguments'}, got ${parsed.positionals.length ? parsed.positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}\n\n${commandHelp(c)}`);
  }
  return { positionals: parsed.positionals, options: values };
};

export const runCli = async (argv: readonly string[], io: CommandIO): Promise<ExitCode> => {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      const target = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      io.stdout.write(target ? commandHelp(target) : mainHelp());
      return first === undefined ? ExitCode.InvalidInput : ExitCode.Ok;
    }
    if (first === '--version' || first === '-V') {
      io.stdout.write(`${toolVersion()}\n`);
      return ExitCode.Ok;
    }
    const command = COMMANDS.find((c) => c.name === first);
    if (!command) throw new UsageError(`unknown command "${first}"\n\n${mainHelp()}`);
    const args = parse(command, rest);
    if (args.options['help']) {
      io.stdout.write(commandHelp(command));
      return ExitCode.Ok;
    }
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof InputError) {
      io.stderr.write(`nestbed: ${e.message}\n`);
      return ExitCode.InvalidInput;
    }
    if (e instanceof InfrastructureError) {
      io.stderr.write(`nestbed: ${e.message}\n${e.hint ? `  what to do: ${e.hint}\n` : ''}`);
      return ExitCode.Infrastructure;
    }
    io.stderr.write(`nestbed: internal error (a bug — please report it with this trace):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return ExitCode.Internal;
  }
};


