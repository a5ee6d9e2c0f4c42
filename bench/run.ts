// `npm run bench`: the platform benchmarks of ARCHITECTURE.md "Performance budgets", run against
// the configured database (PostgreSQL when DATABASE_URL is set — the budgets are for PostgreSQL).
// Starts the API in-process on a free port, drives it over HTTP, and records the results under the
// key `platform-<db>` in bench/results/<date>.json and as a section of <date>.md (bench/results.ts).
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { buildApp } from '../src/server/app.js';
import { openForScript } from '../scripts/lib.js';
import { uuidv7 } from '../src/platform/db/ids.js';
import { recordAudit } from '../src/platform/audit/service.js';
import { addDays } from '../src/platform/calendar/service.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { recordBenchResults } from './results.js';
import { timed } from './common.js';

process.env.JIEDAO_DEMO ??= '1';
process.env.LOG_LEVEL ??= 'silent';
const { config, database } = await openForScript({ prepare: true });
const db = database.db;
const app = await buildApp({ ...config, trustProxy: true, logLevel: 'silent' }, database);
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

let ipCounter = 0;
const nextIp = () => `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

async function login(username: string) {
  const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
}

const results: Record<string, unknown> = {};
const say = (k: string, v: unknown) => { results[k] = v; console.log(k, JSON.stringify(v)); };

const LOGIN_ACCOUNTS = ['keyuan1', 'chuangkou1', 'jigongwei', 'paichusuo'];
let loginClient = 0;
// 1. Login throughput (argon2id verification dominates) and authenticated read throughput.
{
  const r = await autocannon({
    // Each connection logs in as its own account: attempts are counted before the password check,
    // so one account logging in 5 times at the same instant would trip its own lockout.
    url: `${base}/api/v1/auth/login`, connections: 4, amount: 200, method: 'POST',
    headers: { 'content-type': 'application/json' },
    setupClient: (client: { setHeaders: (h: Record<string, string>) => void; setBody: (b: string) => void }) => {
      client.setHeaders({ 'content-type': 'application/json', 'x-forwarded-for': nextIp() });
      client.setBody(JSON.stringify({ username: LOGIN_ACCOUNTS[loginClient++ % LOGIN_ACCOUNTS.length], password: DEMO_PASSWORD }));
    },
  });
  say('login', { requests: r.requests.total, non2xx: r.non2xx, reqPerSec: +(r.requests.total / (r.duration)).toFixed(1), latencyP50: r.latency.p50, latencyP97_5: r.latency.p97_5 });
}
const shuji = await login('shuji');
{
  const r = await autocannon({ url: `${base}/api/v1/auth/me`, connections: 20, duration: 10, headers: { cookie: shuji.cookie } });
  say('authMeThroughput', { reqPerSec: r.requests.average, non2xx: r.non2xx, latencyP50: r.latency.p50, latencyP97_5: r.latency.p97_5, budget: '≥ 1500 req/s' });
}

// 2. Org-tree read latency, beside the same data read directly in SQL.
const grid = await db.selectFrom('org_units').select('id').where('kind', '=', 'grid').orderBy('code').limit(1).executeTakeFirstOrThrow();
const get = (url: string, c = shuji) => fetch(`${base}${url}`, { headers: { cookie: c.cookie } }).then(async (r) => { await r.arrayBuffer(); if (r.status !== 200) throw new Error(`${url}: ${r.status}`); });
say('orgTreeApi', await timed(300, () => get('/api/v1/org/tree')));
say('orgTreeSql', await timed(300, () => db.selectFrom('org_units').selectAll().execute()));
say('orgUnitDetailApi', await timed(300, () => get(`/api/v1/org/units/${grid.id}`)));
say('orgUnitDetailSql', await timed(300, () => Promise.all([
  db.selectFrom('org_units').selectAll().where('id', '=', grid.id).execute(),
  db.selectFrom('org_unit_links').selectAll().where((eb) => eb.or([eb('from_unit_id', '=', grid.id), eb('to_unit_id', '=', grid.id)])).execute(),
  db.selectFrom('staff_posts').selectAll().where('org_unit_id', '=', grid.id).execute(),
])));
const gridWorker = await login('wangge-sh-1');
say('orgTreeApiGridWorker', await timed(300, () => get('/api/v1/org/tree', gridWorker)));

// 3. The cost of audit writing on a write endpoint: the endpoint's latency, and the same business
// insert in SQL with and without its audit event in the transaction.
const admin = await login('admin');
let day = '2031-01-01';
const nextWeekday = () => { do { day = addDays(day, 1); } while ([0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay())); return day; };
say('writeEndpointWithAudit', await timed(200, async () => {
  const r = await fetch(`${base}/api/v1/calendar/overrides`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ date: nextWeekday(), kind: 'holiday', note: '基准测试' }) });
  if (r.status !== 201) throw new Error(`override: ${r.status} ${await r.text()}`);
}));
const insertOverride = (tx: typeof db) => tx.insertInto('calendar_overrides').values({ id: uuidv7(), date: nextWeekday(), kind: 'holiday', note: '基准测试', created_by: null }).execute();
say('writeSqlWithoutAudit', await timed(300, () => db.transaction().execute((tx) => insertOverride(tx))));
say('writeSqlWithAudit', await timed(300, () => db.transaction().execute(async (tx) => {
  await insertOverride(tx);
  await recordAudit(tx, { actorId: null, action: 'calendar.override_add', entity: 'calendar_override', entityId: 'bench', summary: { bench: true } });
})));
// Leave no benchmark rows in the calendar: withdraw would keep them; these are bench-only dates far ahead.
await sql`delete from calendar_overrides where note = '基准测试'`.execute(db);

const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, db: database.kind };
const date = new Date().toISOString().slice(0, 10);
const key = `platform-${database.kind}`;
const r = results as Record<string, { p50?: number; p95?: number; reqPerSec?: number }>;
const markdown = [
  `Platform benchmark, ${database.kind}. Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}.`, '',
  '| Work | Result | Budget |', '|---|---|---|',
  `| Login (argon2id), 4 connections | ${r.login?.reqPerSec} req/s | — |`,
  `| Authenticated read GET /auth/me, 20 connections | ${Math.round(r.authMeThroughput?.reqPerSec ?? 0)} req/s | ≥ 1,500 req/s |`,
  `| GET /org/tree (street leader) | p50 ${r.orgTreeApi?.p50} ms, p95 ${r.orgTreeApi?.p95} ms | — |`,
  `| same data in SQL | p50 ${r.orgTreeSql?.p50} ms, p95 ${r.orgTreeSql?.p95} ms | API p50 ≤ SQL p50 + 3 ms |`,
  `| GET /org/units/:id (grid with figures) | p50 ${r.orgUnitDetailApi?.p50} ms, p95 ${r.orgUnitDetailApi?.p95} ms | — |`,
  `| same data in SQL | p50 ${r.orgUnitDetailSql?.p50} ms, p95 ${r.orgUnitDetailSql?.p95} ms | API p50 ≤ SQL p50 + 3 ms |`,
  `| GET /org/tree (grid worker) | p50 ${r.orgTreeApiGridWorker?.p50} ms, p95 ${r.orgTreeApiGridWorker?.p95} ms | — |`,
  `| POST /calendar/overrides (write + audit) | p50 ${r.writeEndpointWithAudit?.p50} ms, p95 ${r.writeEndpointWithAudit?.p95} ms | — |`,
  `| SQL insert without / with audit event | p50 ${r.writeSqlWithoutAudit?.p50} / ${r.writeSqlWithAudit?.p50} ms | — |`,
].join('\n');
const written = recordBenchResults({ dir: path.resolve('bench/results'), date, key, entry: { date, machine, results }, markdown });
console.log(`结果已写入 ${written.json}（键 ${key}）和 ${written.md}`);
// Population (M2): lookups, search, statistics, import and export (bench/population.ts, key `population-<db>`).
const { runPopulationBench } = await import('./population.js');
await runPopulationBench({ base, db, kind: database.kind, dataDir: config.dataDir, login });
// Approval engine (inbox, decide, submit) over 100,000 approvals; the data set is generated when
// missing (bench/approvals.ts, key `approvals-<db>`).
const { runApprovalsBench } = await import('./approvals.js');
await runApprovalsBench({ base, db, kind: database.kind, login, approvals: 100_000 });
await app.close();
await database.close();
process.exit(0);
