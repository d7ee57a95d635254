// Debian's Chromium driven by playwright-core (Playwright cannot download its own browsers here).
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['NESTBED_CHROMIUM'] ?? '/usr/bin/chromium';

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 60_000,
  });
