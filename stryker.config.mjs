// Mutation testing (`npm run mutate`, scripts/mutate.mjs): StrykerJS changes the rule files one
// small edit at a time (a `>` into `>=`, a constant, a condition) and runs the tests of that rule
// file; a mutant no test notices ("survived") is a rule no test holds. Each group pairs rule files
// with the tests that state their rules — running the whole suite per mutant would take days on
// two cores. Add a module's rule files as a group when the module lands.
// Reports: reports/mutation/<group>.html and .json; the scores in bench/results/mutation-<date>.md.
export const groups = {
  idnumber: { mutate: ['src/modules/population/idnumber.ts'], tests: ['src/modules/population/idnumber.test.ts'] },
  'audit-chain': { mutate: ['src/platform/audit/service.ts'], tests: ['src/platform/audit/audit.test.ts'] },
  scope: { mutate: ['src/platform/org/scope.ts'], tests: ['src/platform/org/scope.property.test.ts'] },
  review: { mutate: ['src/modules/population/review.ts'], tests: ['src/modules/population/review-history.test.ts', 'src/modules/population/population.test.ts'] },
  patrols: { mutate: ['src/modules/population/patrols.ts'], tests: ['src/modules/population/patrols-due.test.ts', 'src/modules/population/population.test.ts'] },
  'work-and-stats': { mutate: ['src/modules/population/stats.ts'], tests: ['src/modules/population/work.test.ts'] },
};

const group = groups[process.env.MUTATE_GROUP ?? 'idnumber'];
if (!group) throw new Error(`unknown MUTATE_GROUP ${process.env.MUTATE_GROUP}; one of ${Object.keys(groups).join(', ')}`);
const name = process.env.MUTATE_GROUP ?? 'idnumber';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: group.mutate,
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  concurrency: 2,
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 20,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 80, low: 60, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
