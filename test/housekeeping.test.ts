import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createRequire } from 'node:module';
import { testApp, type TestApp } from './helpers/app.js';

// semver comes with npm's own tooling (no types installed): the two functions used here.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

/** Issue 11, item 14: small things a new user trips over. */
const root = path.resolve(import.meta.dirname, '..');
const readJson = (p: string) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8')) as Record<string, unknown>;

describe('installed packages run on the Node version the project supports', () => {
  it('every package in the lock file accepts the lowest Node of package.json engines (no EBADENGINE on npm install)', () => {
    const floor = semver.minVersion(String((readJson('package.json').engines as { node: string }).node))!.version;
    const packages = readJson('package-lock.json').packages as Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    const refused = Object.entries(packages)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.satisfies(floor, p.engines.node))
      .map(([name, p]) => `${name}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refused).toEqual([]);
  });
});

describe('health probes do not fill the log', () => {
  let t: TestApp;
  let chunks: string[] = [];
  beforeAll(async () => {
    t = await testApp({ demo: false });
    const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
    (t.app.log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = stream;
    t.app.log.level = 'info';
  });
  afterAll(async () => { await t?.close(); });

  it('GET /api/v1/health is not logged at info level; other requests still are', async () => {
    chunks = [];
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
    expect(chunks.join('')).not.toContain('/api/v1/health');
    await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
    expect(chunks.join('')).toContain('/api/v1/auth/me');
  });
});

describe('the README uses the words of the UI', () => {
  it('the policy page is 制度参数 (the menu\'s name), never 策略参数', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const zh = fs.readFileSync(path.join(root, 'web/src/app/i18n/zh-CN.ts'), 'utf8');
    const nav = /'nav\.policy':\s*'([^']+)'/.exec(zh)![1]!;
    expect(nav).toBe('制度参数');
    expect(readme).toContain(nav);
    expect(readme).not.toContain('策略参数');
  });
});
