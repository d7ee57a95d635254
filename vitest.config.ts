import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      // Browser tests: Debian's Chromium through playwright-core.
      // expect.poll waits up to 15 s: a busy 2-core machine (a QEMU build, a nested stack) slows the UI.
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000, expect: { poll: { timeout: 15_000 } } } },
      // Integration tests boot the real nested stack: one at a time on a 2-core machine.
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node', fileParallelism: false, testTimeout: 600_000, hookTimeout: 900_000, expect: { poll: { timeout: 15_000 } } } },
    ],
  },
});
