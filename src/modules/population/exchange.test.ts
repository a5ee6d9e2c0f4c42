import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { runPendingJobs } from '../../platform/jobs/index.js';
import { configureFileStore } from '../../platform/files/index.js';
import { officeToday } from '../../platform/time.js';
import { reveal } from './identity.js';
import { EXCHANGE_HEADERS } from './exchange.js';
import { pop } from './schema.js';

/**
 * Seed 000 l.43: the street supplies its data to 成都市流动人口服务及综合管理信息系统 through an
 * exchange file; each synchronisation is logged. The first file carries everything active, the next
 * only what changed since the last successful sync; full ID numbers only in the (encrypted) file.
 */
let t: TestApp;
let liuguan: Client; let police: Client; let zhan: Client; let wg: Client;
const P = '/api/v1/population/exchange/syncs';
type Sync = { id: string; status: string; persons: number; houses: number; since: string | null; until: string; fileId: string | null; mayDownload: boolean };

async function sync(): Promise<Sync> {
  const r = await liuguan.post(P, {});
  expect(r.statusCode, r.body).toBe(202);
  await runPendingJobs(t.db);
  return (await liuguan.get(P)).json().items.find((s: Sync) => s.id === r.json().syncId);
}
/** The file's data rows (header checked), parsed from the quoted CSV. */
async function rows(c: Client, fileId: string): Promise<string[][]> {
  const res = await c.get(`/api/v1/files/${fileId}`);
  expect(res.statusCode).toBe(200);
  const raw = res.rawPayload;
  expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = raw.subarray(3).toString('utf8').split('\r\n').filter((l) => l !== '');
  const parse = (l: string) => l.slice(1, -1).split('","').map((f) => f.replace(/""/g, '"'));
  expect(parse(lines[0]!)).toEqual([...EXCHANGE_HEADERS]);
  return lines.slice(1).map(parse);
}
const count = async (q: string) => Number((await sql<{ n: string }>`${sql.raw(q)}`.execute(t.db)).rows[0]!.n);

beforeAll(async () => {
  t = await testApp();
  configureFileStore(t.config.dataDir);
  [liuguan, police, zhan, wg] = await Promise.all(['liuguan', 'paichusuo', 'zhan-sh', 'wangge-sh-1'].map((u) => t.login(u)));
});
afterAll(async () => { await t?.close(); });

describe('municipal exchange file and sync log (000:43)', () => {
  let first: Sync;
  let firstRows: string[][];

  it('the first sync carries every active person and house, with full ID numbers', async () => {
    first = await sync();
    const [persons, houses] = [await count("select count(*) n from persons where status = 'active'"), await count("select count(*) n from houses where status = 'active'")];
    expect(first).toMatchObject({ status: 'done', persons, houses, since: null, mayDownload: true });
    firstRows = await rows(liuguan, first.fileId!);
    expect(firstRows).toHaveLength(persons + houses);
    const someone = await pop(t.db).selectFrom('persons').select(['id', 'id_enc']).where('status', '=', 'active').where('id_enc', 'is not', null).executeTakeFirstOrThrow();
    const row = firstRows.find((r) => r[2] === someone.id)!;
    expect(row.slice(0, 2)).toEqual(['RY', 'I']);
    expect(row[7]).toBe(reveal(someone.id_enc!));
  });

  it('the next sync carries only what changed since the last one: a new arrival (I) and a departure (D)', async () => {
    const grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    const created = await wg.post('/api/v1/population/persons', { name: '柏青禾', gridId: grid, arrivedOn: officeToday(), idNumber: nextResidentId() });
    expect(created.statusCode, created.body).toBe(201);
    const leaving = (await pop(t.db).selectFrom('persons').select('id').where('grid_id', '=', grid).where('status', '=', 'active').where('id', '!=', created.json().id).executeTakeFirstOrThrow()).id;
    const left = await wg.post(`/api/v1/population/persons/${leaving}/depart`, { leftOn: officeToday(), reason: '返乡' });
    expect(left.statusCode, left.body).toBe(200);
    const second = await sync();
    expect(second).toMatchObject({ status: 'done', persons: 2, houses: 0, since: first.until });
    const got = await rows(liuguan, second.fileId!);
    expect(got.map((r) => [r[2], r[1]]).sort()).toEqual([[created.json().id, 'I'], [leaving, 'D']].sort());
    // Nothing changed since: the third file is empty.
    expect(await sync()).toMatchObject({ persons: 0, houses: 0 });
  });

  it('the sync log records each sync, newest first', async () => {
    const log = (await liuguan.get(P)).json();
    expect(log.total).toBe(3);
    expect(log.items.map((s: Sync) => s.status)).toEqual(['done', 'done', 'done']);
    expect(log.items[2].id).toBe(first.id);
  });

  it('only 流管办 (exchange and reveal) produces or lists syncs; nobody else downloads the file', async () => {
    expect((await zhan.post(P, {})).statusCode).toBe(403);
    expect((await police.post(P, {})).statusCode).toBe(403);
    expect((await zhan.get(P)).statusCode).toBe(403);
    expect((await police.get(`/api/v1/files/${first.fileId}`)).statusCode).toBe(404);
  });

  it('one sync at a time: a second request while one is running is refused (409 EXCHANGE_RUNNING)', async () => {
    expect((await liuguan.post(P, {})).statusCode).toBe(202);
    const again = await liuguan.post(P, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('EXCHANGE_RUNNING');
    await runPendingJobs(t.db);
  });

  it('each download is audited, and no ID number reaches the audit log or the job record', async () => {
    const downloads = await t.db.selectFrom('audit_events').select('entity_id').where('action', '=', 'file.download').where('entity_id', '=', first.fileId!).execute();
    expect(downloads.length).toBeGreaterThanOrEqual(1);
    expect(await count("select count(*) n from audit_events where action = 'population.exchange'")).toBe(4);
    const numbers = firstRows.map((r) => r[7]!).filter((n) => n.length >= 15);
    expect(numbers.length).toBeGreaterThan(0);
    const audit = (await sql<{ s: string }>`select string_agg(summary::text, ' ') s from audit_events`.execute(t.db)).rows[0]!.s;
    const jobs = (await sql<{ s: string }>`select string_agg(coalesce(result::text, '') || coalesce(error, '') || params::text, ' ') s from jobs`.execute(t.db)).rows[0]!.s;
    for (const n of numbers) {
      expect(audit.includes(n)).toBe(false);
      expect(jobs.includes(n)).toBe(false);
    }
  });
});
