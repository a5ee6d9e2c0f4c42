import fs from 'node:fs';
import path from 'node:path';

/**
 * Benchmark results of one day (API.md: `bench/results/<date>.json` and a readable summary).
 * Several suites and engines share a day: each writes its own key (`platform-postgres`,
 * `population-pglite`, …) into `<date>.json` and its own `## <key>` section into `<date>.md`,
 * keeping what the others wrote.
 */
export interface BenchEntry {
  date: string;
  machine: Record<string, unknown>;
  results: Record<string, unknown>;
}

export function recordBenchResults(opts: { dir: string; date: string; key: string; entry: BenchEntry; markdown: string }): { json: string; md: string } {
  const { dir, date, key, entry } = opts;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`bad date ${date}`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(key)) throw new Error(`bad suite key ${key}`);
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${date}.json`);
  const md = path.join(dir, `${date}.md`);

  // An unreadable file is an error, never silently replaced: it holds other suites' results.
  const all: Record<string, unknown> = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : {};
  if (typeof all !== 'object' || all === null || Array.isArray(all)) throw new Error(`${json}: not a results object`);
  all[key] = entry;
  fs.writeFileSync(json, `${JSON.stringify(all, null, 2)}\n`);

  const sections = new Map<string, string>();
  if (fs.existsSync(md)) {
    let current: string | null = null;
    let lines: string[] = [];
    const flush = () => { if (current !== null) sections.set(current, lines.join('\n').trim()); };
    for (const line of fs.readFileSync(md, 'utf8').split('\n')) {
      const h = /^## (\S+)\s*$/.exec(line);
      if (h) { flush(); current = h[1]!; lines = []; } else if (current !== null) lines.push(line);
    }
    flush();
  }
  sections.set(key, opts.markdown.trim());
  const body = [`# Benchmarks ${date}`, '', `Machine-readable results: \`${date}.json\` (one key per suite and engine).`, ''];
  for (const [k, text] of sections) body.push(`## ${k}`, '', text, '');
  fs.writeFileSync(md, body.join('\n'));
  return { json, md };
}
