import type { LightMyRequestResponse } from 'fastify';
import { openDatabase, type Database, type Db } from '../../src/platform/db/index.js';
import { buildApp, type App } from '../../src/server/app.js';
import { prepareDatabase } from '../../src/server/bootstrap.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import { DEMO_PASSWORD } from '../../src/platform/org/demo/seed.js';
import { resetIpRateLimits } from '../../src/platform/auth/service.js';
import { scratchPostgres } from './server-process.js';
import { invalidatePolicyCache } from '../../src/platform/policy/service.js';
import { invalidateOrgTree } from '../../src/platform/org/tree.js';
import { invalidateProfiles } from '../../src/platform/org/profile.js';
import { invalidateCalendar } from '../../src/platform/calendar/service.js';
import { ScopeGuard } from './scope-guard.js';

/** A fixed key for tests; never used outside them. */
export const TEST_DATA_KEY = 'a1'.repeat(32);
export const onPostgres = (): boolean => Boolean(process.env.DATABASE_URL);

/**
 * A fresh database for one test file: an in-memory PGlite, or — when DATABASE_URL is set — a new
 * PostgreSQL database created for the file and dropped afterwards. Same migrations on both.
 */
export async function freshDatabase(): Promise<{ database: Database; drop: () => Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { database, drop: () => database.close() };
  }
  const scratch = await scratchPostgres('jiedao_t');
  const database = await openDatabase({ databaseUrl: scratch.url, poolSize: 5 });
  return { database, drop: async () => { await database.close(); await scratch.drop(); } };
}

export interface Client {
  username: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  patch(url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export interface TestApp {
  app: App;
  db: Db;
  config: Config;
  /** Logs in through the API (cookie session) and returns a client that sends cookie and CSRF token. */
  login(username: string, password?: string): Promise<Client>;
  /** Queries on scoped tables that did not go through inScope (each also failed when sent). */
  scopeGuard: ScopeGuard;
  /** Closes the app and drops the database; throws when the scope guard saw a bypass. */
  close(): Promise<void>;
}

/** `webDir`: a built web app to serve at `/` (default: none, as in most API tests). */
export async function testApp(opts: { demo?: boolean; webDir?: string } = {}): Promise<TestApp> {
  const { database, drop } = await freshDatabase();
  const config: Config = { ...loadConfig({}), demo: opts.demo ?? true, dataKey: TEST_DATA_KEY, logLevel: 'silent', dataDir: `/tmp/jiedao-test-${process.pid}`, webDir: opts.webDir ?? '/nonexistent' };
  // Caches are per process: a new database starts clean.
  invalidatePolicyCache(); invalidateOrgTree(); invalidateProfiles(); invalidateCalendar(); resetIpRateLimits();
  await prepareDatabase(database.db, config);
  // From here on every application query on a scoped table must go through inScope (scope-guard.ts).
  const guard = new ScopeGuard();
  const db = database.db.withPlugin(guard);
  const app = await buildApp(config, { kind: database.kind, db, close: () => database.close() });
  await app.ready();

  const login = async (username: string, password = DEMO_PASSWORD): Promise<Client> => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'jiedao_sid')!.value;
    const csrf = res.json().csrfToken as string;
    return {
      username, csrf,
      get: (url) => app.inject({ method: 'GET', url, cookies: { jiedao_sid: cookie } }),
      post: (url, body, headers = {}) => app.inject({
        method: 'POST', url, cookies: { jiedao_sid: cookie }, headers: { 'x-csrf-token': csrf, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
      patch: (url, body, headers = {}) => app.inject({
        method: 'PATCH', url, cookies: { jiedao_sid: cookie }, headers: { 'x-csrf-token': csrf, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    };
  };
  return {
    app, db, config, login, scopeGuard: guard,
    close: async () => {
      await app.close(); await drop();
      if (guard.violations.length) throw new Error(`scope guard: ${guard.violations.length} queries bypassed inScope:\n${guard.violations.map((v) => `${v.tables.join(', ')} at ${v.caller}`).join('\n')}`);
    },
  };
}

/** Asserts the standard error shape and returns the error. */
export function errorOf(res: LightMyRequestResponse): { code: string; message: string; details: { path: string; code: string; message: string }[] } {
  const body = res.json();
  if (!body?.error?.code || typeof body.error.message !== 'string' || !Array.isArray(body.error.details)) {
    throw new Error(`not the standard error shape: ${res.body}`);
  }
  return body.error;
}

export async function countRows(db: Db, table: 'audit_events' | 'users' | 'staff_posts' | 'role_grants' | 'calendar_overrides' | 'policy_versions' | 'sessions' | 'idempotency_keys' | 'org_units'): Promise<number> {
  const r = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}
