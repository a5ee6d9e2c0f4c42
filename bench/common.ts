// Shared pieces of the benchmarks: latency statistics, a timed loop, and running one suite on its
// own (`node --import tsx bench/<suite>.ts`) against the configured database.
import { pathToFileURL } from 'node:url';
import type { Config } from '../src/server/config.js';
import type { Database } from '../src/platform/db/index.js';

export interface Session { cookie: string; csrf: string }
export type Stat = { n: number; p50: number; p95: number; max: number };

export const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
export const summary = (xs: number[]): Stat => ({ n: xs.length, p50: +pct(xs, 50).toFixed(2), p95: +pct(xs, 95).toFixed(2), max: +Math.max(...xs).toFixed(2) });

/**
 * Times `n` calls after `warmup` untimed ones. Warm-up calls get the indexes after the timed ones
 * (n, n+1, …), so a consuming benchmark never reuses an item and an index-picking one stays in range.
 */
export async function timed(n: number, fn: (i: number) => Promise<unknown>, warmup = 10): Promise<Stat> {
  for (let i = 0; i < warmup; i++) await fn(n + i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); out.push(performance.now() - t); }
  return summary(out);
}

export interface StandaloneContext { base: string; config: Config; database: Database; login: (username: string) => Promise<Session> }

/** When `moduleUrl` is the script being run: serves the API in-process and runs `suite` against it, then exits. */
export async function runStandalone(moduleUrl: string, suite: (ctx: StandaloneContext) => Promise<unknown>): Promise<void> {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  process.env.JIEDAO_DEMO ??= '1';
  process.env.LOG_LEVEL ??= 'silent';
  const { buildApp } = await import('../src/server/app.js');
  const { openForScript } = await import('../scripts/lib.js');
  const { DEMO_PASSWORD } = await import('../src/platform/org/demo/seed.js');
  const { config, database } = await openForScript({ prepare: true });
  const app = await buildApp({ ...config, trustProxy: true, logLevel: 'silent' }, database);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  let ip = 0;
  const login = async (username: string): Promise<Session> => {
    const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.8.${(ip >> 8) & 255}.${ip++ & 255}` }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
    return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
  };
  try {
    await suite({ base, config, database, login });
  } finally {
    await app.close();
    await database.close();
  }
  process.exit(0);
}
