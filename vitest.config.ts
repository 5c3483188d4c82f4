import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every email the tests' SMTP servers take is scanned for personal data at the end of the run.
    globalSetup: ['test/global/mail-scan.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Browser tests start Chromium; two cores on CI, so keep parallelism modest.
    maxWorkers: 2,
  },
})
