// `nestbed ui` as a user starts it: it prints the URL with its token, serves the page there and not
// without the token, and Ctrl-C (SIGINT) stops it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../helpers/ui.js';
import { repoRoot } from '../helpers/validate.js';

describe('nestbed ui', () => {
  it('prints http://127.0.0.1:PORT/?token=…, serves the IDE there, and stops on SIGINT', async () => {
    ensureRendererBuilt();
    const child = spawn(process.execPath, [join(repoRoot, 'bin/nestbed.js'), 'ui', 'examples'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
        setTimeout(() => reject(new Error(`no URL in 60 s: ${out}`)), 60_000);
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app"');
      expect((await fetch(url.replace(/\?token=.*$/, ''))).status).toBe(403);
      const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      child.kill('SIGINT');
      expect(await code).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a folder that does not exist (exit 2)', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/nestbed.js'), 'ui', 'no/such/folder'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(err).toContain('no/such/folder: not a folder');
  });
});
