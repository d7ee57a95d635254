// `nestbed ui [folder]`: the IDE in a browser — the same renderer as the desktop app, served to this
// machine only (127.0.0.1, a session token, Origin-checked WebSocket). Runs until Ctrl-C; runs still
// going are stopped with their emulators.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExitCode } from '../../core/common/model/exit-code.js';
import { InputError } from '../../core/common/model/errors.js';
import { Session } from '../../core/node/session/session.js';
import { cacheRoot } from '../../core/node/setup/paths.js';
import { startUiServer } from '../../core/node/web/ui-server.js';
import { commonOptions, type CommandSpec } from '../command.js';

export const uiCommand: CommandSpec = {
  name: 'ui',
  summary: 'Open the IDE in a browser: serves it on 127.0.0.1 and prints the URL with its session token.',
  positionals: ['[folder]'],
  options: {
    port: { type: 'string', description: 'Port on 127.0.0.1 (default: a free one).', valueName: 'n' },
    ...commonOptions,
  },
  run: async ({ positionals, options }, io) => {
    const folder = resolve(io.cwd, positionals[0] ?? '.');
    const st = await stat(folder).catch(() => undefined);
    if (!st?.isDirectory()) throw new InputError(`${positionals[0] ?? '.'}: not a folder`);
    const port = options['port'] === undefined ? 0 : Number(options['port']);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port ${String(options['port'])}: expected 0..65535`);
    const session = new Session({ cwd: folder, cacheRoot: cacheRoot(io.env) });
    const server = await startUiServer({ session, folder, port }).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new InputError(`--port ${port}: already in use`);
      throw e;
    });
    io.stdout.write(`${server.url}\n`);
    if (options['quiet'] !== true) io.stderr.write(`nestbed ui: serving ${folder} on 127.0.0.1:${server.port} (this machine only); Ctrl-C stops it and any run still going\n`);
    await new Promise<void>((done) => {
      if (io.signal.aborted) done();
      io.signal.addEventListener('abort', () => done(), { once: true });
    });
    await session.dispose();
    await server.close();
    return ExitCode.Ok;
  },
};
