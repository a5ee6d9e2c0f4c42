import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordBenchResults } from '../bench/results.js';

/** API.md: `npm run bench` writes bench/results/<date>.json and a readable summary; suites share a day. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-bench-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const entry = (n: number) => ({ date: '2026-11-22', machine: { cpus: 2 }, results: { orgTreeApi: { p50: n } } });

describe('bench results of a day', () => {
  it('are written to <date>.json under the suite key and to <date>.md as a section', () => {
    const out = recordBenchResults({ dir, date: '2026-11-22', key: 'platform-postgres', entry: entry(1), markdown: '| a | 1 |' });
    expect(out).toEqual({ json: path.join(dir, '2026-11-22.json'), md: path.join(dir, '2026-11-22.md') });
    expect(fs.readdirSync(dir).sort()).toEqual(['2026-11-22.json', '2026-11-22.md']);
    expect(JSON.parse(fs.readFileSync(out.json, 'utf8'))).toEqual({ 'platform-postgres': entry(1) });
    const md = fs.readFileSync(out.md, 'utf8');
    expect(md).toMatch(/^# Benchmarks 2026-11-22\n/);
    expect(md).toContain('## platform-postgres\n\n| a | 1 |\n');
  });

  it('another suite or engine on the same day is merged in; a rerun replaces only its own key and section', () => {
    recordBenchResults({ dir, date: '2026-11-22', key: 'population-pglite', entry: entry(2), markdown: '| b | 2 |' });
    recordBenchResults({ dir, date: '2026-11-22', key: 'platform-postgres', entry: entry(3), markdown: '| a | 3 |' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, '2026-11-22.json'), 'utf8'))).toEqual({
      'platform-postgres': entry(3), 'population-pglite': entry(2),
    });
    const md = fs.readFileSync(path.join(dir, '2026-11-22.md'), 'utf8');
    expect(md.match(/^## /gm)).toHaveLength(2);
    expect(md).toContain('## platform-postgres\n\n| a | 3 |\n');
    expect(md).toContain('## population-pglite\n\n| b | 2 |\n');
    expect(md).not.toContain('| a | 1 |');
  });

  it('an unreadable results file is never overwritten', () => {
    const file = path.join(dir, '2026-11-23.json');
    fs.writeFileSync(file, '{ not json');
    expect(() => recordBenchResults({ dir, date: '2026-11-23', key: 'platform-postgres', entry: entry(4), markdown: 'x' })).toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('{ not json');
  });

  it('the recorded results of 2026-11-22 are in that shape', () => {
    const recorded = JSON.parse(fs.readFileSync('bench/results/2026-11-22.json', 'utf8'));
    expect(recorded['platform-postgres']).toMatchObject({ date: '2026-11-22', machine: { db: 'postgres' }, results: { authMeThroughput: expect.any(Object) } });
    expect(fs.readFileSync('bench/results/2026-11-22.md', 'utf8')).toContain('## platform-postgres');
    expect(fs.readdirSync('bench/results').filter((f) => !/^(mutation-)?\d{4}-\d{2}-\d{2}\.(json|md)$/.test(f))).toEqual([]);
  });
});
