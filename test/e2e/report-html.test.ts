// The HTML report opened in headless Chromium: self-contained (no network), charts drawn, and a
// screenshot a person can look at (test-output/report-html.png).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeRun } from '../../src/core/common/checks/judge.js';
import { runResultsSchema } from '../../src/core/common/model/run-results.js';
import { formatCheckHtml } from '../../src/core/common/report/check-html.js';
import { launchChromium } from '../helpers/chromium.js';
import { repoRoot, validateText } from '../helpers/validate.js';

const fixture = join(repoRoot, 'test/fixtures/runs/two-linux-fast');
const out = join(repoRoot, 'test-output');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('HTML report', () => {
  it('renders offline with the verdict table, boot Gantt, memory bars, parity table and NV2 evidence', async () => {
    const results = runResultsSchema.parse(JSON.parse(readFileSync(join(fixture, 'results.json'), 'utf8')));
    const text = readFileSync(join(fixture, 'topology.yaml'), 'utf8').replace('memoryMiB: 256 }\n  - { name: two', 'memoryMiB: 256, budgets: { memoryMiB: 24 } }\n  - { name: two');
    const v = validateText(text, 'nvidia-drive-orin');
    const report = judgeRun({ topology: v.topology!, profile: v.profile, results, schedulability: v.schedulability, diagnostics: v.diagnostics, toolVersion: 't', command: 'report', runDir: 'test/fixtures/runs/two-linux-fast' });
    const html = formatCheckHtml(report, results);
    mkdirSync(out, { recursive: true });
    const file = join(out, 'report.html');
    writeFileSync(file, html);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    expect(await page.title()).toBe('nestbed report — two-linux');
    const rows = await page.locator('table.verdicts tbody tr').count();
    expect(rows).toBe(report.checks.length);
    expect(await page.locator('tr.fail').count()).toBe(report.summary.fail);
    // Gantt: one labelled row per level and guest, with phase rectangles of non-zero width.
    const gantt = page.locator('#boot-gantt');
    expect(await gantt.locator('text', { hasText: 'L1 hypervisor' }).count()).toBe(1);
    const widths = await gantt.locator('rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
    expect(widths.length).toBeGreaterThanOrEqual(8);
    expect(Math.min(...widths)).toBeGreaterThan(0);
    expect(await page.locator('#memory-bars rect').count()).toBe(3 * results.guests.length);
    expect(await page.locator('#memory-bars line').count()).toBe(1); // one guest has a memory budget
    expect(await page.locator('table.parity td.extra').count()).toBeGreaterThan(0); // v8.2+ features Orin's A78AE lacks
    expect(await page.locator('table.parity td.ok').count()).toBeGreaterThan(0);
    expect(await page.locator('pre', { hasText: 'VHE+NV2 mode initialized successfully' }).count()).toBe(1);
    expect(requests).toEqual([]);
    await page.screenshot({ path: join(out, 'report-html.png'), fullPage: true });
    await page.close();
  });
});
