// The IDE in a browser (`nestbed ui`), driven like a person would in Debian's Chromium: open the
// examples folder, edit a topology, see nestbed's diagnostics, completion from the schema, the topology
// drawing follow the text; and the server refusing anything but its own page with its token.
// (Running a topology from the UI boots the real stack: test/integration/ide-run.test.ts.)
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from '../helpers/chromium.js';
import { startUiOnExamples, type UiFixture } from '../helpers/ui.js';
import { repoRoot } from '../helpers/validate.js';
import { IdePage } from './pages/ide.js';

let browser: Browser;
let ui: UiFixture;
let page: Page;
let ide: IdePage;
const pageErrors: string[] = [];
const out = join(repoRoot, 'test-output');

beforeAll(async () => {
  ui = await startUiOnExamples();
  writeFileSync(join(ui.folder, 'new-topology.yaml'), 'apiVersion: nestbed/v1\nkind: Topology\n');
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // CSP violations and failed loads are reported as console errors. (monaco-yaml's worker also logs
  // completion errors on some half-typed documents; those are its own and not counted here.)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to|Failed to load/i.test(m.text())) pageErrors.push(m.text());
  });
  ide = new IdePage(page);
  await ide.goto(ui.server.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
});

describe('IDE in the browser', () => {
  it('opens the examples folder: explorer, editor, live validation, schedulability, drawing', async () => {
    await expect.poll(() => ide.explorer.root().locator('li[data-path]').allTextContents()).toEqual(expect.arrayContaining(['two-linux.yaml', 'zonal-controller.yaml', 'unknown-key.yaml']));
    await ide.explorer.open('zonal-controller.yaml');
    await expect.poll(() => ide.status().textContent()).toMatch(/✔ valid · zonal-controller vs nvidia-drive-orin/);
    await expect.poll(() => ide.topologyView().locator('#topology-diagram .nb-guest').count()).toBe(3);
    await ide.sideTab('schedulability').click();
    // the same exact analysis as `nestbed validate` (README: brake-monitor 110 µs with J = 5 µs)
    const rows = await ide.schedulability().locator('tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.some((r) => r.includes('brake-monitor'))).toBe(true);
    await ide.sideTab('topology').click();
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'ide-zonal.png') });
  });

  it('an error typed into the editor is squiggled and listed at its line; the quick fix clears it', async () => {
    await ide.explorer.open('two-linux.yaml');
    await expect.poll(() => ide.status().textContent()).toMatch(/✔ valid · two-linux/);
    await ide.editor.appendLine('chanels: []');
    // NB1013 unknown key, line 10 — the same code and position `nestbed validate` gives
    await expect.poll(() => ide.problems.entry('NB1013').count()).toBe(1);
    const entry = ide.problems.entry('NB1013');
    expect(await entry.getAttribute('data-line')).toBe('10');
    expect(await entry.textContent()).toContain('did you mean "channels"?');
    await expect.poll(() => ide.editor.squiggles('error').count()).toBeGreaterThan(0);
    expect(await ide.runButton().isDisabled()).toBe(true);
    await page.locator('.tab.active.dirty').waitFor();
    await page.screenshot({ path: join(out, 'ide-diagnostic.png') });

    // a click on the problem puts the caret on its line
    await ide.editor.root().locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await entry.click();
    await expect.poll(() => ide.editor.caret()).toEqual({ line: 10, column: 1 });

    // quick fix: "Change to "channels""
    await ide.editor.quickFix();
    await page.locator('.action-widget .monaco-list-row', { hasText: 'Change to "channels"' }).waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => ide.problems.entry('NB1013').count()).toBe(0);
    await expect.poll(() => ide.editor.squiggles('error').count()).toBe(0);
    // what is left is the file's own info: no ECU profile selected
    expect(await ide.problems.entries().evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toEqual(['NB2009']);
    await expect.poll(() => ide.status().textContent()).toMatch(/✔ valid/);
    expect(await ide.runButton().isDisabled()).toBe(false);
  });

  it('Ctrl+S saves the buffer to the file and clears the unsaved marker', async () => {
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.locator('.tab.active.dirty').count()).toBe(0);
    expect(readFileSync(join(ui.folder, 'two-linux.yaml'), 'utf8')).toMatch(/\nchannels: \[\]\s*$/);
  });

  it('completion offers the schema\'s keys', async () => {
    await ide.explorer.open('new-topology.yaml');
    await ide.editor.focusEnd();
    await ide.editor.triggerSuggest();
    await expect.poll(async () => (await ide.editor.suggestions().allTextContents()).join(' ')).toMatch(/hypervisor/);
    const offered = (await ide.editor.suggestions().allTextContents()).join(' ');
    for (const key of ['guests', 'host', 'name']) expect(offered).toContain(key);
    await page.keyboard.press('Escape');
  });

  it('the topology view follows an edit, and a click on a guest jumps to its line', async () => {
    await ide.explorer.open('minimal.yaml');
    await ide.sideTab('topology').click();
    await expect.poll(() => ide.topologyView().locator('.nb-guest').count()).toBe(1);
    await ide.editor.focusEnd(); // the empty line 9 after the file's last newline
    // the editor closes the brace itself
    await page.keyboard.type('  - { name: three, role: other, asil: QM, os: linux, vcpus: 1, pin: [0], memoryMiB: 128', { delay: 2 });
    await expect.poll(() => ide.topologyView().locator('.nb-guest').count()).toBe(2);
    const three = ide.topologyView().locator('.nb-guest[data-guest="three"]');
    expect(await three.getAttribute('data-line')).toBe('9');
    await ide.editor.root().locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await three.click();
    await expect.poll(async () => (await ide.editor.caret()).line).toBe(9);
  });

  it('the integrated terminal runs a shell in the workspace folder', async () => {
    await ide.bottomTab('terminal').click();
    const term = page.getByTestId('terminal');
    await term.locator('.xterm-rows').waitFor();
    await term.click();
    await page.keyboard.type('echo nestbed-$((6*7)) && pwd', { delay: 5 });
    await page.keyboard.press('Enter');
    await expect.poll(() => term.locator('.xterm-rows').textContent()).toContain('nestbed-42');
    expect(await term.locator('.xterm-rows').textContent()).toContain(ui.folder);
    await ide.bottomTab('problems').click();
  });

  it('opens a past run from the history with its results, and exports its report', async () => {
    // a recorded real run of the realistic example, put where the IDE keeps runs
    cpSync(join(repoRoot, 'test/fixtures/runs/zonal-per-core'), join(ui.folder, 'runs', 'zonal-per-core'), { recursive: true });
    await ide.explorer.open('zonal-controller.yaml');
    await ide.sideTab('history').click();
    const row = ide.history().locator('li[data-dir="runs/zonal-per-core"]');
    await row.click();
    await ide.results().waitFor();
    expect(await ide.results().locator('table.verdicts tbody tr').count()).toBeGreaterThan(10);
    expect(await ide.results().locator('section[data-section="scheduling"] tbody tr').count()).toBe(3);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-html').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('zonal-per-core-report.html');
    expect(readFileSync((await file.path())!, 'utf8')).toContain('<svg class="chart" id="boot-gantt"');
    // the run's deployment bundle, exported into bundles/ and verified from the same tab
    await page.getByTestId('export-bundle').click();
    await expect.poll(() => page.getByTestId('bundle-status').textContent()).toMatch(/^wrote bundles\/zonal-per-core-no-images\.tar\.gz/);
    expect(existsSync(join(ui.folder, 'bundles', 'zonal-per-core-no-images.tar.gz'))).toBe(true);
    await page.getByTestId('verify-bundle').click();
    await expect.poll(() => page.getByTestId('bundle-status').locator('[data-ok]').getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('bundle-status').textContent()).toMatch(/files intact, topology zonal-controller validates/);
    await page.screenshot({ path: join(out, 'ide-results.png') });
  });

  it('light and dark themes', async () => {
    await page.locator('header.toolbar button[title="Light / dark theme"]').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    await page.screenshot({ path: join(out, 'ide-light.png') });
    await page.locator('header.toolbar button[title="Light / dark theme"]').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  });

  it('the page ran without script errors under its Content-Security-Policy', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('browser mode server', () => {
  const connect = (url: string, origin: string | undefined): Promise<'open' | number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, origin ? { origin } : {});
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });

  it('binds 127.0.0.1 and serves its page only with the token, with a strict CSP', async () => {
    expect(ui.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const base = `http://127.0.0.1:${ui.server.port}`;
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    const ok = await fetch(ui.server.url);
    expect(ok.status).toBe(200);
    const csp = ok.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain(`connect-src ws://127.0.0.1:${ui.server.port}`);
    expect(ok.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    // a foreign Host (DNS rebinding) is refused even with the token
    const rebinding = await new Promise<number>((resolve) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port: ui.server.port, path: `/?token=${ui.server.token}`, headers: { Host: `evil.example:${ui.server.port}` } }, (res) => resolve(res.statusCode ?? 0));
        req.end();
      });
    });
    expect(rebinding).toBe(403);
    // a malformed path is a 400, and the server goes on
    expect((await fetch(`${base}/%E0%A4%A?token=${ui.server.token}`)).status).toBe(400);
    expect((await fetch(ui.server.url)).status).toBe(200);
    // path traversal stays inside the renderer
    expect((await fetch(`${base}/..%2f..%2fpackage.json?token=${ui.server.token}`)).status).toBe(403);
  });

  it('refuses a WebSocket without the token, with a wrong token, or from a foreign Origin', async () => {
    const origin = `http://127.0.0.1:${ui.server.port}`;
    const ws = `ws://127.0.0.1:${ui.server.port}/ws`;
    expect(await connect(`${ws}?token=${ui.server.token}`, origin)).toBe('open');
    expect(await connect(ws, origin)).toBe(403);
    expect(await connect(`${ws}?token=${ui.server.token.slice(1)}x`, origin)).toBe(403);
    expect(await connect(`${ws}?token=${ui.server.token}`, 'http://evil.example')).toBe(403);
    expect(await connect(`${ws}?token=${ui.server.token}`, `http://localhost:${ui.server.port}`)).toBe(403);
    expect(await connect(`${ws}?token=${ui.server.token}`, undefined)).toBe(403);
  });

  it('parses every request with the contract: a bad payload or a path outside the folder is refused', async () => {
    const sock = new WebSocket(`ws://127.0.0.1:${ui.server.port}/ws?token=${ui.server.token}`, { origin: `http://127.0.0.1:${ui.server.port}` });
    await new Promise((r) => sock.once('open', r));
    const ask = (msg: unknown) =>
      new Promise<{ ok: boolean; error?: { code: string; message: string } }>((resolve) => {
        sock.once('message', (d) => resolve(JSON.parse(d.toString())));
        sock.send(JSON.stringify(msg));
      });
    expect(await ask({ kind: 'request', id: 1, method: 'file.read', params: { path: '../../etc/passwd' } })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ask({ kind: 'request', id: 2, method: 'file.read', params: { path: '/etc/passwd' } })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await ask({ kind: 'request', id: 3, method: 'file.read', params: { path: 7 } })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await ask({ kind: 'request', id: 4, method: 'process.exec', params: {} })).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    expect(await ask({ kind: 'request', id: 5, method: 'run.start', params: { mode: 'run', path: 'two-linux.yaml', extra: 1 } })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    sock.close();
  });
});
