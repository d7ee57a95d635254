// Running a topology from the IDE (browser mode, Debian's Chromium) on the real nested stack: the
// consoles stream, the results fill in with the run's own figures, Stop ends the stack with no
// emulator left, and two runs compare side by side.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultsSchema } from '../../src/core/common/model/run-results.js';
import { IdePage } from '../e2e/pages/ide.js';
import { launchChromium } from '../helpers/chromium.js';
import { startUiOnExamples, type UiFixture } from '../helpers/ui.js';
import { repoRoot } from '../helpers/validate.js';
import { beforeRealStacks, liveEmulators, MIN } from './helpers.js';

beforeRealStacks();

let browser: Browser;
let ui: UiFixture;
let page: Page;
let ide: IdePage;

beforeAll(async () => {
  ui = await startUiOnExamples();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  ide = new IdePage(page);
  await ide.goto(ui.server.url);
}, 5 * MIN);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  expect(await liveEmulators()).toEqual([]);
});

const outcome = () => ide.stage().getAttribute('data-outcome');

describe('IDE run on the real stack', () => {
  it('runs two-linux from the UI: each console streams and the results show the run\'s own figures', async () => {
    await ide.explorer.open('two-linux.yaml');
    await expect.poll(() => ide.status().textContent()).toMatch(/✔ valid/);
    await ide.timing().selectOption('fast');
    await ide.runButton().click();
    await expect.poll(() => ide.stopButton().isDisabled()).toBe(false);
    await expect.poll(outcome, { timeout: 8 * MIN, interval: 1000 }).toBe('ok');
    await ide.results().waitFor();

    // one console per level and guest, each with every line of that source's log in the run directory
    const dir = await ide.results().getAttribute('data-run');
    for (const [key, log] of [['L0', 'l0'], ['L1', 'l1'], ['guest:one', 'one'], ['guest:two', 'two']] as const) {
      const logged = readFileSync(join(ui.folder, dir!, `console-${log}.log`), 'utf8').split('\n').filter(Boolean).length;
      expect(logged, key).toBeGreaterThan(3);
      expect(Number(await ide.consoleTab(key).getAttribute('data-lines')), key).toBe(logged);
    }
    await ide.consoleTab('guest:two').click();
    await expect.poll(() => ide.page.locator('.console-host > div.active .xterm-rows').textContent()).toMatch(/\S/);

    // the results tab opened by itself, with the run directory's figures
    const results = runResultsSchema.parse(JSON.parse(readFileSync(join(ui.folder, dir!, 'results.json'), 'utf8')));
    expect(results.status).toBe('ok');
    expect(results.timing).toBe('fast');
    const meta = await ide.results().locator('.meta').textContent();
    expect(meta).toContain(`all ready ${(results.allReadyMs! / 1000).toFixed(1)} s`);
    expect(meta).toContain(`host QEMU RSS ${Math.round(results.host.qemuRssMaxKiB / 1024)} MiB`);
    expect(await ide.results().locator('#boot-gantt').count()).toBe(1);
    expect(await ide.results().locator('table.verdicts tbody tr').count()).toBeGreaterThan(3);
    await ide.page.screenshot({ path: join(repoRoot, 'test-output', 'ide-run.png') });

    // and it is in the topology's history
    await ide.sideTab('history').click();
    await expect.poll(() => ide.history().locator(`li[data-dir="${dir}"]`).count()).toBe(1);
  }, 10 * MIN);

  it('Stop ends the stack: the run ends cancelled and no emulator is left', async () => {
    await ide.explorer.open('two-linux.yaml');
    await ide.runButton().click();
    await expect.poll(() => ide.stopButton().isDisabled()).toBe(false);
    // wait until the guest hypervisor is booting: the emulator is really there
    await expect.poll(async () => Number(await ide.consoleTab('L1').getAttribute('data-lines')), { timeout: 4 * MIN, interval: 500 }).toBeGreaterThan(0);
    expect((await liveEmulators()).length).toBe(1);
    await ide.stopButton().click();
    await expect.poll(outcome, { timeout: 2 * MIN, interval: 500 }).toBe('cancelled');
    expect(await liveEmulators()).toEqual([]);
    expect(await ide.runButton().isDisabled()).toBe(false);
  }, 8 * MIN);

  it('compares two runs side by side with the differences classified', async () => {
    await ide.sideTab('history').click();
    const rows = ide.history().locator('li[data-dir]');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    await rows.nth(0).locator('input[type=checkbox]').click();
    await rows.nth(1).locator('input[type=checkbox]').click();
    await ide.page.getByTestId('compare').click();
    const view = ide.page.getByTestId('compare-view');
    await view.waitFor();
    // the older run (ok) is A, the stopped one B: its status row reads as a regression
    const status = view.locator('table.comparison tr', { hasText: 'run status' });
    expect(await status.getAttribute('class')).toContain('regressed');
  });
});
