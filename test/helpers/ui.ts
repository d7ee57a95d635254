// The browser mode for tests: the renderer built (once, when its sources are newer than the build),
// a session and the UI server on a copy of the examples folder, Debian's Chromium.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../../src/core/node/session/session.js';
import { cacheRoot } from '../../src/core/node/setup/paths.js';
import { startUiServer, type UiServer } from '../../src/core/node/web/ui-server.js';
import { repoRoot } from './validate.js';

const newest = (dir: string): number => {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};

/** Builds dist/renderer unless it is newer than every source it is built from. */
export const ensureRendererBuilt = (): void => {
  const index = join(repoRoot, 'dist/renderer/index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(newest(join(repoRoot, 'src/renderer')), newest(join(repoRoot, 'src/core/common')));
  if (built > sources) return;
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(repoRoot, 'src/renderer/vite.config.ts'), '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit', timeout: 300_000 });
};

export interface UiFixture {
  readonly folder: string;
  readonly session: Session;
  readonly server: UiServer;
  close(): Promise<void>;
}

/** `nestbed ui` on a scratch copy of examples/ (edits and runs stay out of the repository). */
export const startUiOnExamples = async (): Promise<UiFixture> => {
  ensureRendererBuilt();
  const folder = mkdtempSync(join(tmpdir(), 'nestbed-ui-'));
  cpSync(join(repoRoot, 'examples'), folder, { recursive: true });
  const session = new Session({ cwd: folder, cacheRoot: cacheRoot(process.env) });
  const server = await startUiServer({ session, folder });
  return {
    folder,
    session,
    server,
    close: async () => {
      await session.dispose();
      await server.close();
    },
  };
};
