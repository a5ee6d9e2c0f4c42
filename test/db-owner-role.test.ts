import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/platform/db/index.js';
import { prepareDatabase } from '../src/server/bootstrap.js';
import { RuntimeRoleError } from '../src/platform/db/owner.js';
import { recordAudit, sealAuditEvents, verifyAuditChain } from '../src/platform/audit/service.js';
import { TEST_DATA_KEY } from './helpers/app.js';
import { scratchPostgres } from './helpers/server-process.js';

/**
 * Migrations as an owner role distinct from the runtime role (README `DATABASE_URL_OWNER`): the
 * runtime role works normally but cannot switch off the audit table's append-only trigger, rewrite
 * an audit row or move where the keyed chain starts. PostgreSQL only: PGlite has a single role.
 */
const onPostgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

async function asSuperuser(q: string): Promise<void> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try { await c.query(q); } finally { await c.end(); }
}

/** A scratch database (owned by the superuser of DATABASE_URL) and a new ordinary login role. */
async function setUp(opts: { runtimeMayCreate?: boolean } = {}) {
  const scratch = await scratchPostgres('jiedao_owner');
  const role = `jiedao_rt_${randomBytes(4).toString('hex')}`;
  await asSuperuser(`create role ${role} login`);
  cleanups.push(async () => { await scratch.drop(); await asSuperuser(`drop role if exists ${role}`); });
  if (opts.runtimeMayCreate) {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    // What an installation that migrates as its runtime role has (pg_trgm needs CREATE on the database).
    await c.query(`grant create on schema public to ${role}`);
    await c.query(`grant create on database ${new URL(scratch.url).pathname.slice(1)} to ${role}`);
    await c.end();
  }
  const u = new URL(scratch.url);
  u.username = role;
  const runtime = await openDatabase({ databaseUrl: u.toString(), poolSize: 2 });
  cleanups.push(() => runtime.close());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-owner-'));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  return { ownerUrl: scratch.url, runtime, dataDir, role };
}

const config = (dataDir: string, databaseOwnerUrl?: string) => ({ demo: true, dataDir, dataKey: TEST_DATA_KEY, databaseOwnerUrl });
const refusal = (p: Promise<unknown>) => p.then(() => 'allowed', (e: Error) => e.message);

describe.skipIf(!onPostgres)('migrations as an owner role (DATABASE_URL_OWNER)', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let runtime: Database;

  it('the runtime role prepares the demo street and seals and verifies the audit chain', async () => {
    env = await setUp();
    runtime = env.runtime;
    await prepareDatabase(runtime.db, config(env.dataDir, env.ownerUrl));
    const users = await runtime.db.selectFrom('users').select(({ fn }) => fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(users.n)).toBeGreaterThan(10);
    await recordAudit(runtime.db, { actorId: null, actorName: '测试', action: 'auth.login', entity: 'user', entityId: null, ip: '127.0.0.1', summary: {} });
    expect(await sealAuditEvents(runtime.db, 2000, { anchorDir: env.dataDir })).toBeGreaterThan(0);
    const report = await verifyAuditChain(runtime.db, { anchorDir: env.dataDir });
    expect(report.ok).toBe(true);
  });

  it('the runtime role cannot disable the append-only trigger, rewrite a sealed row, or move the keyed start', async () => {
    expect(await refusal(sql`alter table audit_events disable trigger audit_events_append_only`.execute(runtime.db))).toMatch(/must be owner/);
    expect(await refusal(sql`update audit_events set action = 'person.read' where chain_pos = 1`.execute(runtime.db))).toMatch(/permission denied/);
    expect(await refusal(sql`delete from audit_events`.execute(runtime.db))).toMatch(/permission denied/);
    expect(await refusal(sql`update meta set value = '1000' where key = 'audit_chain_keyed_from'`.execute(runtime.db))).toMatch(/permission denied/);
    expect(await refusal(sql`delete from kysely_migration`.execute(runtime.db))).toMatch(/permission denied/);
    expect(await refusal(sql`drop table users cascade`.execute(runtime.db))).toMatch(/must be owner/);
  });

  it('a restart renews the grants and applies nothing twice', async () => {
    await prepareDatabase(runtime.db, config(env.dataDir, env.ownerUrl));
    const owners = await sql<{ owner: string }>`select distinct tableowner as owner from pg_tables where schemaname = 'public'`.execute(runtime.db);
    expect(owners.rows.map((r) => r.owner)).not.toContain(env.role);
  });

  it('without an owner role, the runtime role that migrated owns the audit table and can disable its trigger (why the owner role exists)', async () => {
    const plain = await setUp({ runtimeMayCreate: true });
    await prepareDatabase(plain.runtime.db, config(plain.dataDir));
    expect(await refusal(sql`alter table audit_events disable trigger audit_events_append_only`.execute(plain.runtime.db))).toBe('allowed');
  });

  it('an installation that migrated as the runtime role is taken over by the owner role on the next start', async () => {
    const legacy = await setUp({ runtimeMayCreate: true });
    await prepareDatabase(legacy.runtime.db, config(legacy.dataDir));
    await prepareDatabase(legacy.runtime.db, config(legacy.dataDir, legacy.ownerUrl));
    expect(await refusal(sql`alter table audit_events disable trigger audit_events_append_only`.execute(legacy.runtime.db))).toMatch(/must be owner/);
  });

  it('refuses an owner URL of the same role as the runtime, and a superuser runtime role', async () => {
    const same = await setUp();
    const u = new URL(same.ownerUrl);
    u.username = same.role;
    await expect(prepareDatabase(same.runtime.db, config(same.dataDir, u.toString()))).rejects.toBeInstanceOf(RuntimeRoleError);
    const superRuntime = await openDatabase({ databaseUrl: same.ownerUrl, poolSize: 1 });
    cleanups.push(() => superRuntime.close());
    const other = new URL(same.ownerUrl);
    other.username = same.role;
    await expect(prepareDatabase(superRuntime.db, config(same.dataDir, other.toString()))).rejects.toThrow(/超级用户/);
  });
});
