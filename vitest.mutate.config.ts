import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The tests StrykerJS runs for one group of rule files (scripts/mutate.mjs sets MUTATE_TESTS). */
export default defineConfig({
  test: { ...base.test, include: (process.env.MUTATE_TESTS ?? '').split(',').filter(Boolean) },
});
