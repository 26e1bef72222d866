import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run the local host from its sources, as tsconfig.json type-checks them (no stale build).
    alias: {
      '@image-derivatives/devhost': fileURLToPath(new URL('packages/devhost/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // One Azurite and one Cosmos server for the app's tests and the local host's.
    globalSetup: ['packages/devhost/test/globalSetup.ts'],
    // Real servers and real pixels: generous per-test time, but the suite as a whole stays in minutes.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
