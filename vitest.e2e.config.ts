import { defineConfig } from 'vitest/config';

/** Browser flows: run by scripts/test.mjs against a server it starts (JIEDAO_E2E_URL). */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    setupFiles: ['test/e2e/setup.ts'],
    environment: 'node',
    testTimeout: 90_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
