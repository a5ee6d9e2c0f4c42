// `npm run mutate [group …]`: StrykerJS over each group of rule files of stryker.config.mjs, with
// that group's tests, then the scores in bench/results/mutation-<date>.md (reports in reports/mutation/).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { groups } from '../stryker.config.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const names = wanted.length ? wanted : Object.keys(groups);
for (const n of names) if (!groups[n]) { console.error(`unknown group ${n}; one of ${Object.keys(groups).join(', ')}`); process.exit(2); }

const rows = [];
let status = 0;
for (const name of names) {
  console.log(`\n== mutation: ${name} (${groups[name].mutate.join(', ')}) ==`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run'], {
    cwd: root, stdio: 'inherit', env: { ...process.env, MUTATE_GROUP: name, MUTATE_TESTS: groups[name].tests.join(',') },
  });
  if (r.status !== 0) status = r.status ?? 1;
  const report = path.join(root, 'reports/mutation', `${name}.json`);
  if (!fs.existsSync(report)) { rows.push(`| ${name} | — | — | — | — | failed |`); continue; }
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  for (const f of Object.values(JSON.parse(fs.readFileSync(report, 'utf8')).files)) for (const m of f.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  const score = valid ? (100 * detected / valid).toFixed(1) : '—';
  rows.push(`| ${name} | ${groups[name].mutate.join(', ')} | ${detected} | ${counts.Survived} | ${counts.NoCoverage} | ${score} % | ${Math.round((Date.now() - started) / 1000)} s |`);
}
const table = ['| group | rule files | killed (incl. timeout) | survived | no coverage | score | time |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
// The scores are a result to keep: bench/results/mutation-<date>.md (a group re-run replaces its row).
const date = new Date().toISOString().slice(0, 10);
const out = path.join(root, 'bench/results', `mutation-${date}.md`);
const kept = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter((l) => /^\| [a-z-]+ \| src/.test(l) && !names.includes(l.split(' | ')[0].slice(2))) : [];
const all = [...kept, ...rows].sort();
const header = `# Mutation scores ${date}\n\nStrykerJS (\`npm run mutate\`), each group's rule files against the tests that state their rules (stryker.config.mjs). Machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}. Timeouts count as killed.\n\n`;
fs.writeFileSync(out, `${header}| group | rule files | killed (incl. timeout) | survived | no coverage | score | time |\n|---|---|---|---|---|---|---|\n${all.join('\n')}\n`);
console.log(`\n${table}`);
process.exit(status);
