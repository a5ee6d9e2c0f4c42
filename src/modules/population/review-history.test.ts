import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';
import { pop } from './schema.js';

/**
 * Issue 7, item 16: a record returned by the station and reported again keeps its history — the
 * time of collection, the time of the first report, the late flag of that report (seed 000 §7
 * #10) — the return stays in the review history and the resubmission joins the person's history.
 * Names are fictional.
 */
let t: TestApp;
let wg: Client; let zhan: Client;
let grid: string;
const P = '/api/v1/population';
const daysAgo = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

interface QueueItem { id: string; personId: string; collectedAt: string; reportedAt: string; late: boolean; reportingHours: number; reviewStatus: string }

beforeAll(async () => {
  t = await testApp();
  [wg, zhan] = await Promise.all(['wangge-sh-1', 'zhan-sh'].map((u) => t.login(u)));
  grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
});
afterAll(async () => { await t?.close(); });

async function registeredRecord(name: string, collectedAt?: string): Promise<QueueItem> {
  const p = await wg.post(`${P}/persons`, { name, gridId: grid, arrivedOn: daysAgo(3), idNumber: nextResidentId(), ...(collectedAt ? { collectedAt } : {}) });
  expect(p.statusCode, p.body).toBe(201);
  // Collected by the grid worker, entered by the station (000:27).
  const collected = (await zhan.get(`${P}/records?personId=${p.json().id}&pageSize=200`)).json().items[0];
  expect((await zhan.post(`${P}/records/${collected.id}/enter`, {})).statusCode).toBe(200);
  const queue = (await zhan.get(`${P}/records?personId=${p.json().id}&pageSize=200`)).json();
  return queue.items[0];
}
const recordNow = async (id: string) => (await pop(t.db).selectFrom('collection_records').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
const returnAndResubmit = async (id: string) => {
  expect((await zhan.post(`${P}/records/${id}/review`, { decision: 'return', reasons: '缺少联系电话' })).statusCode).toBe(200);
  const res = await wg.post(`${P}/records/${id}/resubmit`, { note: '已补录电话' });
  expect(res.statusCode, res.body).toBe(200);
  return res;
};

describe('a resubmitted record keeps its history', () => {
  it('a late report stays late: collection time, first report time and the late flag survive the return and the resubmission', async () => {
    const collectedAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    const record = await registeredRecord('闵书遥', collectedAt);
    expect(record.late).toBe(true);
    const before = await recordNow(record.id);
    await returnAndResubmit(record.id);
    const after = await recordNow(record.id);
    expect(after.review_status).toBe('reported');
    expect(new Date(after.collected_at).toISOString()).toBe(new Date(before.collected_at).toISOString());
    expect(new Date(after.reported_at).toISOString()).toBe(new Date(before.reported_at).toISOString());
    expect(after.late).toBe(true);
    const late = (await zhan.get(`${P}/records?status=reported&late=true&pageSize=200`)).json().items as QueueItem[];
    const listed = late.find((r) => r.id === record.id)!;
    expect(listed, 'still in the late filter').toBeDefined();
    expect(listed.reportingHours).toBeGreaterThanOrEqual(29.9);
  });

  it('an on-time report is not made late by a slow correction, and the return and the resubmission stay in the history', async () => {
    const record = await registeredRecord('闵书禾');
    expect(record.late).toBe(false);
    // Collected and reported three days ago, on time; returned; corrected only now.
    const threeDaysAgo = new Date(Date.now() - 72 * 3_600_000);
    await pop(t.db).updateTable('collection_records').set({ collected_at: threeDaysAgo, reported_at: new Date(threeDaysAgo.getTime() + 3_600_000) }).where('id', '=', record.id).execute();
    await returnAndResubmit(record.id);
    const after = await recordNow(record.id);
    expect(new Date(after.collected_at).toISOString()).toBe(threeDaysAgo.toISOString());
    expect(new Date(after.reported_at).toISOString()).toBe(new Date(threeDaysAgo.getTime() + 3_600_000).toISOString());
    expect(after.late).toBe(false);
    const reviews = await pop(t.db).selectFrom('collection_reviews').select(['decision', 'reasons']).where('record_id', '=', record.id).execute();
    expect(reviews).toEqual([{ decision: 'return', reasons: '缺少联系电话' }]);
    const person = (await zhan.get(`${P}/persons/${record.personId}`)).json();
    const event = person.events.find((e: { kind: string }) => e.kind === 'record_resubmitted');
    expect(event?.data).toMatchObject({ recordId: record.id, returnReasons: '缺少联系电话', note: '已补录电话' });
    expect(person.reviewStatus).toBe('reported');
    // The station can then pass it as any reported record.
    expect((await zhan.post(`${P}/records/${record.id}/review`, { decision: 'pass' })).json().reviewStatus).toBe('passed');
    expect((await recordNow(record.id)).review_status).toBe('passed');
  });
});

describe('the audit log carries the review decision', () => {
  it('a pass and a return are audited with the decision, the return reasons, the record kind, the grid and the late flag', async () => {
    const returned = await registeredRecord('岑望舒');
    const passed = await registeredRecord('岑望晴');
    expect((await zhan.post(`${P}/records/${returned.id}/review`, { decision: 'return', reasons: '  现住址门牌号与房屋登记不一致  ' })).statusCode).toBe(200);
    expect((await zhan.post(`${P}/records/${passed.id}/review`, { decision: 'pass' })).statusCode).toBe(200);
    const summaryOf = async (action: string, id: string) => {
      const e = await t.db.selectFrom('audit_events').select(['summary', 'ip']).where('action', '=', action).where('entity_id', '=', id).executeTakeFirstOrThrow();
      expect(e.ip).toBe('127.0.0.1');
      return JSON.parse(e.summary) as Record<string, unknown>;
    };
    expect(await summaryOf('record.return', returned.id)).toEqual({ decision: 'return', reasons: '现住址门牌号与房屋登记不一致', recordKind: 'arrival', gridId: grid, late: false });
    expect(await summaryOf('record.pass', passed.id)).toEqual({ decision: 'pass', recordKind: 'arrival', gridId: grid, late: false });
  });
});
