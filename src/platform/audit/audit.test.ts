import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { countRows, errorOf, freshDatabase, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { migrateToLatest } from '../db/migrator.js';
import { AuditAnchorError, chainHead, eventHash, GENESIS_HASH, readHeadAnchor, recordAudit, recordReadAudit, sealAuditEvents, verifyAuditChain } from './service.js';

let t: TestApp;
let admin: Client;
let auditor: Client;
let adminId: string;
beforeAll(async () => {
  t = await testApp();
  admin = await t.login('admin');
  auditor = await t.login('auditor');
  adminId = (await admin.get('/api/v1/auth/me')).json().user.id;
});
afterAll(async () => { await t?.close(); });

const LEAKY_PASSWORD = 'Leak#Secret2026';
const NEW_PASSWORD = 'Fresh#Pass2026x';
const events = () => t.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const shiftDay = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** Runs SQL as the database superuser with the append-only trigger disabled (test-only tampering). */
async function tamper(q: ReturnType<typeof sql>): Promise<void> {
  await sql`alter table audit_events disable trigger audit_events_append_only`.execute(t.db);
  try {
    await q.execute(t.db);
  } finally {
    await sql`alter table audit_events enable trigger audit_events_append_only`.execute(t.db);
  }
}

describe('audit events are written', () => {
  it('for logins, failed logins, logouts and writes, with actor, ip and entity', async () => {
    const before = (await events()).length;
    const c = await t.login('keyuan1');
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'keyuan1', password: LEAKY_PASSWORD } });
    const o = (await admin.post('/api/v1/calendar/overrides', { date: '2026-11-04', kind: 'holiday', note: '审计测试' })).json();
    expect((await c.post('/api/v1/auth/logout')).statusCode).toBe(204);
    const added = (await events()).slice(before);
    expect(added.map((e) => e.action)).toEqual(['auth.login', 'auth.login_failed', 'calendar.override_add', 'auth.logout']);
    expect(added[2]).toMatchObject({ actor_id: adminId, entity: 'calendar_override', entity_id: o.id, ip: '127.0.0.1' });
    expect(added[2]!.at).toBeInstanceOf(Date);
    expect(Math.abs(added[2]!.at.getTime() - Date.now())).toBeLessThan(60_000);
    // Unsealed until the sealer runs.
    expect(added.every((e) => e.hash === null && e.chain_pos === null)).toBe(true);
  });

  it('summaries carry no passwords, ID numbers or phone numbers', async () => {
    const c = await t.login('chuangkou1');
    expect((await c.post('/api/v1/auth/password', { currentPassword: 'Jiedao@2026', newPassword: NEW_PASSWORD })).statusCode).toBe(204);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'chuangkou1', password: LEAKY_PASSWORD } });
    const all = await events();
    expect(all.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.password_change', 'auth.login_failed']));
    for (const e of all) {
      const text = `${e.summary} ${e.actor_name ?? ''} ${e.entity_id ?? ''}`;
      expect(text).not.toContain(LEAKY_PASSWORD);
      expect(text).not.toContain(NEW_PASSWORD);
      expect(text).not.toContain('Jiedao@2026');
      // Entity ids are opaque hex (UUIDs, session-hash prefixes) and may hold digit runs by chance.
      const prose = `${e.summary} ${e.actor_name ?? ''}`;
      expect(prose).not.toMatch(/\d{17}[\dXx]/); // ID numbers
      expect(prose).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/); // mobile phones
    }
  });

  it('action names are <entity>.<verb>', async () => {
    for (const e of await events()) expect(e.action).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });
});

describe('read audits (recordReadAudit)', () => {
  const entityId = () => `read-${Math.random().toString(36).slice(2)}`;
  it('a read event is in the table (unsealed, for the sealer) when the call returns, and its asynchronous commit never outlives its statement', async () => {
    const id = entityId();
    await recordReadAudit(t.db, { actorId: adminId, actorName: 'admin', action: 'person.search', entity: 'person', entityId: id, ip: '127.0.0.1', summary: { results: 0 } });
    const row = await t.db.selectFrom('audit_events').selectAll().where('entity_id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ action: 'person.search', actor_id: adminId, hash: null, chain_pos: null });
    // The setting was local to that statement's own transaction: the connection's next commits are synchronous again.
    const after = await t.db.connection().execute(async (c) => {
      await recordReadAudit(c, { actorId: adminId, action: 'person.read', entity: 'person', entityId: entityId() });
      return (await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(c)).rows[0]!.s;
    });
    expect(after).toBe('on');
  });

  it('inside a transaction a read event is a plain insert: the transaction (and the write it may carry) still commits synchronously, and a rollback takes the event with it', async () => {
    const id = entityId();
    const setting = await t.db.transaction().execute(async (tx) => {
      await recordReadAudit(tx, { actorId: adminId, action: 'person.read', entity: 'person', entityId: id });
      return (await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(tx)).rows[0]!.s;
    });
    expect(setting).toBe('on');
    const gone = entityId();
    await expect(t.db.transaction().execute(async (tx) => {
      await recordReadAudit(tx, { actorId: adminId, action: 'person.read', entity: 'person', entityId: gone });
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(await t.db.selectFrom('audit_events').select('seq').where('entity_id', 'in', [id, gone]).execute()).toHaveLength(1);
  });
});

describe('GET /api/v1/audit/events', () => {
  it('is for the audit admin only: the system admin and others get 403 FORBIDDEN', async () => {
    for (const c of [admin, await t.login('shuji'), await t.login('secadmin')]) {
      const res = await c.get('/api/v1/audit/events');
      expect(res.statusCode, c.username).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
      expect((await c.get('/api/v1/audit/verify')).statusCode, c.username).toBe(403);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit/events' })).statusCode).toBe(401);
  });

  it('the auditor gets the list envelope, newest first', async () => {
    const res = await auditor.get('/api/v1/audit/events');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const total = await countRows(t.db, 'audit_events');
    expect(body).toMatchObject({ total, page: 1, pageSize: 20 });
    expect(body.items).toHaveLength(Math.min(total, 20));
    const e = body.items[0];
    for (const k of ['at', 'actorId', 'action', 'entity', 'entityId', 'ip', 'summary']) expect(e).toHaveProperty(k);
    expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const seqs = body.items.map((i: { seq: string }) => Number(i.seq));
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
    const p2 = (await auditor.get('/api/v1/audit/events?page=2&pageSize=3')).json();
    expect(p2).toMatchObject({ total, page: 2, pageSize: 3 });
    expect(p2.items.map((i: { seq: string }) => Number(i.seq))).toEqual(seqs.slice(3, 6));
  });

  it('filters by actor, action, entity, entityId and date range (Asia/Shanghai days)', async () => {
    const byActor = (await auditor.get(`/api/v1/audit/events?actor=${adminId}&pageSize=200`)).json();
    expect(byActor.total).toBeGreaterThan(0);
    expect(byActor.items.every((i: { actorId: string }) => i.actorId === adminId)).toBe(true);
    const adminRows = await t.db.selectFrom('audit_events').select('seq').where('actor_id', '=', adminId).execute();
    expect(byActor.total).toBe(adminRows.length);

    const byAction = (await auditor.get('/api/v1/audit/events?action=auth.login_failed')).json();
    expect(byAction.total).toBeGreaterThanOrEqual(2);
    expect(byAction.items.every((i: { action: string }) => i.action === 'auth.login_failed')).toBe(true);

    const byEntity = (await auditor.get('/api/v1/audit/events?entity=calendar_override')).json();
    expect(byEntity.total).toBe(1);
    const id = byEntity.items[0].entityId;
    const byEntityId = (await auditor.get(`/api/v1/audit/events?entity=calendar_override&entityId=${id}`)).json();
    expect(byEntityId.items.map((i: { action: string }) => i.action)).toEqual(['calendar.override_add']);
    expect((await auditor.get('/api/v1/audit/events?entity=calendar_override&entityId=nothing')).json().total).toBe(0);

    const combined = (await auditor.get(`/api/v1/audit/events?actor=${adminId}&action=auth.login`)).json();
    expect(combined.total).toBe(1);

    const today = shanghaiToday();
    const total = await countRows(t.db, 'audit_events');
    expect((await auditor.get(`/api/v1/audit/events?from=${today}&to=${today}`)).json().total).toBe(total);
    expect((await auditor.get(`/api/v1/audit/events?from=${shiftDay(today, 1)}`)).json().total).toBe(0);
    expect((await auditor.get(`/api/v1/audit/events?to=${shiftDay(today, -1)}`)).json().total).toBe(0);
    expect((await auditor.get(`/api/v1/audit/events?from=${shiftDay(today, -1)}&to=${today}`)).json().total).toBe(total);
  });

  it('bad filters → 400 VALIDATION_FAILED', async () => {
    for (const q of ['actor=not-a-uuid', 'from=2026-02-30', 'to=2026/01/01', 'pageSize=201', 'user=x']) {
      const res = await auditor.get(`/api/v1/audit/events?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('append-only table', () => {
  it('the app connection can neither update nor delete an event, nor truncate the table', async () => {
    const row = (await events())[0]!;
    await expect(sql`update audit_events set summary = 'changed' where seq = ${row.seq}`.execute(t.db)).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('audit_events').set({ action: 'auth.nothing' }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.deleteFrom('audit_events').where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(t.db)).rejects.toThrow(/append-only/);
    // Setting a hash while changing the content is refused too.
    await expect(t.db.updateTable('audit_events').set({ hash: 'f'.repeat(64), chain_pos: '999999', summary: 'x' }).where('seq', '=', row.seq).execute())
      .rejects.toThrow(/append-only/);
    const after = await t.db.selectFrom('audit_events').selectAll().where('seq', '=', row.seq).executeTakeFirstOrThrow();
    expect(after).toEqual(row);
  });

  it('an event cannot be inserted already sealed: hash or chain_pos set on insert is refused', async () => {
    const before = await countRows(t.db, 'audit_events');
    const base = { at: new Date(), actor_id: null, actor_name: null, action: 'test.forged', entity: 'test', entity_id: null, ip: null, summary: '{}' };
    await expect(t.db.insertInto('audit_events').values({ ...base, hash: 'f'.repeat(64), chain_pos: '999999' }).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.insertInto('audit_events').values({ ...base, hash: 'f'.repeat(64) }).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.insertInto('audit_events').values({ ...base, chain_pos: '-1' }).execute()).rejects.toThrow(/append-only/);
    expect(await countRows(t.db, 'audit_events')).toBe(before);
    // The ordinary way in still works: unsealed.
    await recordAudit(t.db, { actorId: null, action: 'test.plain', entity: 'test' });
    expect(await countRows(t.db, 'audit_events')).toBe(before + 1);
  });

  it('the sealing update must set hash and chain_pos together: half-sealing an unsealed row is refused', async () => {
    const row = (await events()).find((e) => e.hash === null && e.chain_pos === null)!;
    await expect(t.db.updateTable('audit_events').set({ hash: 'x', chain_pos: null }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('audit_events').set({ hash: 'x' }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('audit_events').set({ chain_pos: '999999' }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    const after = await t.db.selectFrom('audit_events').selectAll().where('seq', '=', row.seq).executeTakeFirstOrThrow();
    expect(after).toEqual(row);
  });
});

describe('hash chain', () => {
  it('sealAuditEvents links every event once; verifyAuditChain then reports ok', async () => {
    const total = await countRows(t.db, 'audit_events');
    expect(await sealAuditEvents(t.db)).toBe(total);
    const rows = await events();
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash ?? ''))).toBe(true);
    expect(rows.map((r) => Number(r.chain_pos))).toEqual(rows.map((_, i) => i + 1));
    expect(await verifyAuditChain(t.db)).toEqual({
      ok: true, checked: total, unsealed: 0, firstBrokenSeq: null, headPos: total, headHash: rows.at(-1)!.hash,
    });
    // Nothing left: a second run seals nothing.
    expect(await sealAuditEvents(t.db)).toBe(0);
  });

  it('a sealed event cannot be re-sealed (the one-time hash update passes only once)', async () => {
    const row = (await events())[0]!;
    await expect(t.db.updateTable('audit_events').set({ hash: 'f'.repeat(64) }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('audit_events').set({ hash: null, chain_pos: null }).where('seq', '=', row.seq).execute()).rejects.toThrow(/append-only/);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('events written after sealing are sealed in later batches and the chain still verifies', async () => {
    const sealed = await countRows(t.db, 'audit_events');
    for (let i = 0; i < 5; i++) {
      await recordAudit(t.db, { actorId: adminId, actorName: '测试', action: 'test.batch', entity: 'test', entityId: String(i), ip: '10.0.0.1', summary: { i } });
    }
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed, unsealed: 5, firstBrokenSeq: null, headPos: sealed });
    expect(await sealAuditEvents(t.db, 2)).toBe(2);
    expect(await sealAuditEvents(t.db, 2)).toBe(2);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed + 4, unsealed: 1, firstBrokenSeq: null, headPos: sealed + 4 });
    expect(await sealAuditEvents(t.db, 2)).toBe(1);
    expect(await sealAuditEvents(t.db, 2)).toBe(0);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed + 5, unsealed: 0, firstBrokenSeq: null, headPos: sealed + 5 });
    // A write through the API after that: sealed by the next run too.
    expect((await admin.post('/api/v1/calendar/overrides', { date: '2026-11-11', kind: 'holiday', note: '再一条' })).statusCode).toBe(201);
    expect(await sealAuditEvents(t.db)).toBe(1);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('GET /api/v1/audit/verify (auditor) only reads: pending events stay unsealed and are reported as such', async () => {
    await sealAuditEvents(t.db);
    await t.login('zhuren'); // one more unsealed event
    const total = await countRows(t.db, 'audit_events');
    const unsealedRows = () => t.db.selectFrom('audit_events').select('seq').where('hash', 'is', null).execute();
    expect(await unsealedRows()).toHaveLength(1);
    const res = await auditor.get('/api/v1/audit/verify');
    expect(res.statusCode).toBe(200);
    // The verify request itself writes no event and seals nothing (the server's sealer does that).
    const head = await t.db.selectFrom('audit_events').select('hash').where('chain_pos', '=', String(total - 1)).executeTakeFirstOrThrow();
    expect(res.json()).toEqual({ ok: true, checked: total - 1, unsealed: 1, firstBrokenSeq: null, headPos: total - 1, headHash: head.hash });
    expect(await countRows(t.db, 'audit_events')).toBe(total);
    expect(await unsealedRows()).toHaveLength(1);
    const list = (await auditor.get('/api/v1/audit/events?pageSize=1')).json();
    expect(list.items[0].sealed).toBe(false);
    expect(await sealAuditEvents(t.db)).toBe(1);
    expect((await auditor.get('/api/v1/audit/verify')).json()).toMatchObject({ ok: true, checked: total, unsealed: 0 });
  });

  it('a half-sealed row (hash without chain_pos, or chain_pos without hash) makes the chain fail at that row', async () => {
    await recordAudit(t.db, { actorId: adminId, action: 'test.half', entity: 'test', summary: { half: true } });
    const row = (await events()).at(-1)!;
    expect(row).toMatchObject({ hash: null, chain_pos: null });
    const sealed = await countRows(t.db, 'audit_events') - 1;
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed, unsealed: 1 });

    await tamper(sql`update audit_events set hash = 'x' where seq = ${row.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(row.seq), checked: sealed, unsealed: 0 });
    // The sealer leaves such a row alone rather than failing on it.
    expect(await sealAuditEvents(t.db)).toBe(0);
    await tamper(sql`update audit_events set hash = null, chain_pos = ${String(sealed + 1)} where seq = ${row.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(row.seq) });
    await tamper(sql`update audit_events set chain_pos = 999999 where seq = ${row.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(row.seq) });

    await tamper(sql`update audit_events set hash = null, chain_pos = null where seq = ${row.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed, unsealed: 1 });
    expect(await sealAuditEvents(t.db)).toBe(1);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, checked: sealed + 1, unsealed: 0 });
  });

  it('a row sealed outside the chain (a position the walk never reaches) fails the count check', async () => {
    const sealed = await countRows(t.db, 'audit_events');
    await tamper(sql`insert into audit_events (at, action, entity, summary, chain_pos, hash)
      values (now(), 'test.stray', 'test', '{}', 0, ${'e'.repeat(64)})`);
    const stray = (await events()).at(-1)!;
    expect(stray.action).toBe('test.stray');
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, checked: sealed, unsealed: 0, firstBrokenSeq: String(stray.seq), headPos: null });
    await tamper(sql`delete from audit_events where seq = ${stray.seq}`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('altering a sealed row breaks the chain at that row; restoring it repairs the chain', async () => {
    const rows = await events();
    const victim = rows[Math.floor(rows.length / 2)]!;
    await tamper(sql`update audit_events set summary = ${'{"forged":true}'} where seq = ${victim.seq}`);
    expect((await t.db.selectFrom('audit_events').select('summary').where('seq', '=', victim.seq).executeTakeFirstOrThrow()).summary).toBe('{"forged":true}');
    // The trigger is back on.
    await expect(t.db.deleteFrom('audit_events').where('seq', '=', victim.seq).execute()).rejects.toThrow(/append-only/);

    const report = await verifyAuditChain(t.db);
    expect(report.ok).toBe(false);
    expect(report.firstBrokenSeq).toBe(String(victim.seq));
    expect(report.checked).toBe(rows.findIndex((r) => r.seq === victim.seq));
    const api = await auditor.get('/api/v1/audit/verify');
    expect(api.json()).toMatchObject({ ok: false, firstBrokenSeq: String(victim.seq) });

    await tamper(sql`update audit_events set summary = ${victim.summary} where seq = ${victim.seq}`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it('every column of an event is covered by its hash: changing any one of them (e.g. person.reveal → person.read) breaks the chain there', async () => {
    // The columns are read from the table itself, so a column added later without being hashed fails here.
    const columns = (await sql<{ column_name: string }>`select column_name from information_schema.columns
      where table_name = 'audit_events' and table_schema = current_schema() order by ordinal_position`.execute(t.db)).rows.map((r) => r.column_name);
    const chainColumns = ['seq', 'chain_pos', 'hash'];
    const changes: Record<string, (col: string) => ReturnType<typeof sql>> = {
      at: () => sql`at + interval '1 millisecond'`,
      actor_id: () => sql`${adminId}::uuid`,
      actor_name: () => sql`coalesce(actor_name, '') || '改'`,
      action: () => sql`'person.read'`,
      entity: () => sql`entity || '_x'`,
      entity_id: () => sql`coalesce(entity_id, '') || 'x'`,
      ip: () => sql`coalesce(ip, '') || '9'`,
      summary: () => sql`${'{"forged":true}'}`,
    };
    expect(columns.filter((c) => !chainColumns.includes(c)).sort()).toEqual(Object.keys(changes).sort());
    const rows = await events();
    const victim = rows.find((r) => r.actor_id !== null && r.actor_id !== adminId && r.entity_id !== null)!;
    for (const [col, value] of Object.entries(changes)) {
      const original = (await sql<Record<string, unknown>>`select ${sql.ref(col)} as v from audit_events where seq = ${victim.seq}`.execute(t.db)).rows[0]!.v;
      await tamper(sql`update audit_events set ${sql.ref(col)} = ${value(col)} where seq = ${victim.seq}`);
      expect(await verifyAuditChain(t.db), col).toMatchObject({ ok: false, firstBrokenSeq: String(victim.seq) });
      await tamper(sql`update audit_events set ${sql.ref(col)} = ${original} where seq = ${victim.seq}`);
      expect((await verifyAuditChain(t.db)).ok, `${col} restored`).toBe(true);
    }
  });

  it('other tampering is detected too: a changed timestamp, actor, or a deleted row', async () => {
    const rows = await events();
    const a = rows[3]!;
    await tamper(sql`update audit_events set at = at + interval '1 second' where seq = ${a.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(a.seq) });
    await tamper(sql`update audit_events set at = ${a.at} where seq = ${a.seq}`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    const b = rows.find((r) => r.actor_id !== null && r.actor_id !== adminId)!;
    await tamper(sql`update audit_events set actor_id = ${adminId} where seq = ${b.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(b.seq) });
    await tamper(sql`update audit_events set actor_id = ${b.actor_id} where seq = ${b.seq}`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // Deleting a row: the next one no longer links.
    const c = rows[7]!;
    const next = rows[8]!;
    await tamper(sql`delete from audit_events where seq = ${c.seq}`);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, firstBrokenSeq: String(next.seq) });
  });
});

describe('chain head', () => {
  let h: TestApp;
  beforeAll(async () => {
    h = await testApp();
    await h.login('admin');
    await h.login('auditor');
    for (let i = 0; i < 6; i++) await recordAudit(h.db, { actorId: null, action: 'test.head', entity: 'test', entityId: String(i), summary: { i } });
    await sealAuditEvents(h.db);
  });
  afterAll(async () => { await h?.close(); });
  const tamperH = async (q: ReturnType<typeof sql>) => {
    await sql`alter table audit_events disable trigger audit_events_append_only`.execute(h.db);
    try { await q.execute(h.db); } finally { await sql`alter table audit_events enable trigger audit_events_append_only`.execute(h.db); }
  };

  it('an empty chain has head 0 and no hash; the genesis matches it', async () => {
    const { database, drop } = await freshDatabase();
    try {
      await migrateToLatest(database.db);
      expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 0, unsealed: 0, firstBrokenSeq: null, headPos: 0, headHash: null });
      expect(await verifyAuditChain(database.db, { recordedHead: { pos: 0, hash: GENESIS_HASH } })).toMatchObject({ ok: true, headMatches: true });
    } finally {
      await drop();
    }
  });

  it('truncating the newest rows or recomputing the chain verifies on its own, but not against the recorded head', async () => {
    const report = await verifyAuditChain(h.db);
    expect(report).toMatchObject({ ok: true, unsealed: 0 });
    const head = { pos: report.headPos!, hash: report.headHash! };
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyAuditChain(h.db, { recordedHead: head })).toMatchObject({ ok: true, headMatches: true });
    const link3 = { pos: 3, hash: (await h.db.selectFrom('audit_events').select('hash').where('chain_pos', '=', '3').executeTakeFirstOrThrow()).hash! };
    expect(await verifyAuditChain(h.db, { recordedHead: link3 })).toMatchObject({ ok: true, headMatches: true });

    // Later events extend the chain; the recorded link is still in it.
    await recordAudit(h.db, { actorId: null, action: 'test.later', entity: 'test' });
    await sealAuditEvents(h.db);
    expect(await verifyAuditChain(h.db, { recordedHead: head })).toMatchObject({ ok: true, headPos: head.pos + 1, headMatches: true });

    // Deleting the newest events (down to before the recorded head) leaves a chain that verifies alone.
    await tamperH(sql`delete from audit_events where chain_pos >= ${String(head.pos)}`);
    expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true, headPos: head.pos - 1 });
    expect(await verifyAuditChain(h.db, { recordedHead: head })).toMatchObject({ ok: false, firstBrokenSeq: null, headMatches: false });

    // Recomputing: alter an early event, unseal everything and seal again — consistent, but a different head.
    await tamperH(sql`update audit_events set summary = '{"forged":true}' where chain_pos = 2`);
    await tamperH(sql`update audit_events set hash = null, chain_pos = null`);
    await sealAuditEvents(h.db);
    const recomputed = await verifyAuditChain(h.db);
    expect(recomputed).toMatchObject({ ok: true, unsealed: 0 });
    expect(await verifyAuditChain(h.db, { recordedHead: link3 })).toMatchObject({ ok: false, firstBrokenSeq: null, headMatches: false });
  });
});

describe('keyed chain and the signed head anchor', () => {
  let k: TestApp;
  let dir: string;
  beforeAll(async () => {
    k = await testApp();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-anchor-'));
    for (let i = 0; i < 6; i++) await recordAudit(k.db, { actorId: null, action: 'test.keyed', entity: 'test', entityId: String(i), summary: { i } });
    while ((await sealAuditEvents(k.db, 2000, { anchorDir: dir })) > 0);
  });
  afterAll(async () => { await k?.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  const tamperK = async (q: ReturnType<typeof sql>) => {
    await sql`alter table audit_events disable trigger audit_events_append_only`.execute(k.db);
    try { await q.execute(k.db); } finally { await sql`alter table audit_events enable trigger audit_events_append_only`.execute(k.db); }
  };
  const rowsInChain = () => k.db.selectFrom('audit_events').select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary', 'chain_pos', 'hash'])
    .where('chain_pos', 'is not', null).orderBy('chain_pos').execute();

  it('the chain is keyed: a forged row re-linked with the unkeyed SHA-256 formula, or with another key, still breaks the chain there', async () => {
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: true, anchorMatches: true });
    const rows = await rowsInChain();
    const victim = rows[rows.length - 3]!;
    const forged = { ...victim, summary: '{"forged":true}' };
    const prev = rows[rows.length - 4]!.hash!;
    for (const relink of [
      (p: string) => createHash('sha256').update(p).update('\n').update(JSON.stringify([forged.seq, new Date(forged.at).toISOString(), forged.actor_id, forged.actor_name, forged.action, forged.entity, forged.entity_id, forged.ip, forged.summary])).digest('hex'),
      (p: string) => eventHash(p, forged, Buffer.alloc(32, 7)),
    ]) {
      await tamperK(sql`update audit_events set summary = ${forged.summary}, hash = ${relink(prev)} where seq = ${victim.seq}`);
      expect(await verifyAuditChain(k.db), relink.toString().slice(0, 40)).toMatchObject({ ok: false, firstBrokenSeq: String(victim.seq) });
    }
    await tamperK(sql`update audit_events set summary = ${victim.summary}, hash = ${victim.hash} where seq = ${victim.seq}`);
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: true, anchorMatches: true });
  });

  it('rows cleared for re-sealing: the sealer refuses (the chain lost its anchored head) and verify says so; nothing is re-sealed', async () => {
    const anchored = readHeadAnchor(dir)!;
    const before = await rowsInChain();
    expect(anchored).toMatchObject({ pos: before.length, hash: before.at(-1)!.hash });
    const victim = before[before.length - 2]!;
    await tamperK(sql`update audit_events set summary = '{"forged":true}' where seq = ${victim.seq}`);
    await tamperK(sql`update audit_events set hash = null, chain_pos = null where seq >= ${victim.seq}`);
    await expect(sealAuditEvents(k.db, 2000, { anchorDir: dir })).rejects.toThrow(AuditAnchorError);
    expect((await rowsInChain()).length).toBe(before.length - 2);
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: false, anchorMatches: false, anchorPos: anchored.pos });
    // Put back as it was: the anchored head is in the chain again.
    for (const r of before.slice(-2)) await tamperK(sql`update audit_events set summary = ${r.summary}, hash = ${r.hash}, chain_pos = ${r.chain_pos} where seq = ${r.seq}`);
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: true, anchorMatches: true });
  });

  it('a changed anchor file (or a moved keying start) is refused, never trusted', async () => {
    const file = path.join(dir, 'audit-head.json');
    const original = fs.readFileSync(file, 'utf8');
    const doc = JSON.parse(original);
    fs.writeFileSync(file, JSON.stringify({ ...doc, pos: doc.pos - 1 }));
    const report = await verifyAuditChain(k.db, { anchorDir: dir });
    expect(report).toMatchObject({ ok: false, anchorMatches: false });
    expect(report.anchorError).toContain('签名不符');
    await expect(sealAuditEvents(k.db, 2000, { anchorDir: dir })).rejects.toThrow(AuditAnchorError);
    fs.writeFileSync(file, original);
    await k.db.updateTable('meta').set({ value: JSON.stringify(1000) }).where('key', '=', 'audit_chain_keyed_from').execute();
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: false, anchorMatches: false });
    await k.db.updateTable('meta').set({ value: JSON.stringify(1) }).where('key', '=', 'audit_chain_keyed_from').execute();
    expect(await verifyAuditChain(k.db, { anchorDir: dir })).toMatchObject({ ok: true });
  });

  it('links sealed before the chain was keyed verify as unkeyed SHA-256, and only before the keying start', async () => {
    const rows = await rowsInChain();
    // Pretend the first three links were sealed by the earlier, unkeyed sealer.
    let prev = GENESIS_HASH;
    const legacy = (p: string, r: typeof rows[number]) => createHash('sha256').update(p).update('\n')
      .update(JSON.stringify([r.seq, new Date(r.at).toISOString(), r.actor_id, r.actor_name, r.action, r.entity, r.entity_id, r.ip, r.summary])).digest('hex');
    const rehashed: string[] = [];
    for (const [i, r] of rows.entries()) { prev = i < 3 ? legacy(prev, r) : eventHash(prev, r); rehashed.push(prev); }
    for (const [i, r] of rows.entries()) await tamperK(sql`update audit_events set hash = ${rehashed[i]!} where seq = ${r.seq}`);
    await k.db.updateTable('meta').set({ value: JSON.stringify(4) }).where('key', '=', 'audit_chain_keyed_from').execute();
    expect(await verifyAuditChain(k.db)).toMatchObject({ ok: true, checked: rows.length });
    // The same links with the keying start at 3: position 3 is unkeyed where a keyed link is required.
    await k.db.updateTable('meta').set({ value: JSON.stringify(3) }).where('key', '=', 'audit_chain_keyed_from').execute();
    expect(await verifyAuditChain(k.db)).toMatchObject({ ok: false, firstBrokenSeq: String(rows[2]!.seq) });
  });

  it('/metrics shows the chain head (position and hash) for a scraper to record outside the database', async () => {
    await sealAuditEvents(k.db);
    const head = await chainHead(k.db);
    const res = await k.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain(`jiedao_audit_chain_head{hash="${head.hash}"} ${head.pos}`);
  });
});

