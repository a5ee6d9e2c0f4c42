import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';

/**
 * Seed 000 §7 #11, #12 (l.27, l.40): records move collected (采集) → entered (录入) → reviewed; only
 * community-station users enter records into the registry, grid workers submit what they collected;
 * each step is stamped with a user and a time; the work counters credit the collection to the
 * collector and the entry to the clerk who entered it. Names are fictional.
 */
let t: TestApp;
let wg: Client; let zhan: Client; let liuguan: Client;
let grid: string;
let wgId: string; let zhanId: string;
const P = '/api/v1/population';
const month = officeToday().slice(0, 7);
const daysAgo = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const userId = async (username: string) => (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
type Item = { id: string; personId: string; reviewStatus: string; entererName: string | null; enteredAt: string | null; late: boolean; collectedAt: string; reportedAt: string };

beforeAll(async () => {
  t = await testApp();
  [wg, zhan, liuguan] = await Promise.all(['wangge-sh-1', 'zhan-sh', 'liuguan'].map((u) => t.login(u)));
  grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
  [wgId, zhanId] = await Promise.all(['wangge-sh-1', 'zhan-sh'].map(userId));
});
afterAll(async () => { await t?.close(); });

async function register(c: Client, name: string, extra: Record<string, unknown> = {}) {
  const p = await c.post(`${P}/persons`, { name, gridId: grid, arrivedOn: daysAgo(1), idNumber: nextResidentId(), ...extra });
  expect(p.statusCode, p.body).toBe(201);
  const items = (await zhan.get(`${P}/records?personId=${p.json().id}&pageSize=200`)).json().items as Item[];
  return { personId: p.json().id as string, record: items[0]! };
}
const counters = async (c: Client, userIdOf: string) =>
  (await c.get(`${P}/work-counters?month=${month}`)).json().items.find((i: { userId: string }) => i.userId === userIdOf) ?? { collected: 0, entered: 0, passed: 0 };

describe('collect → enter → review (000:27)', () => {
  it('only station users enter records: a grid worker’s registration is collected (待录入), not entered, and cannot be reviewed yet', async () => {
    const { record } = await register(wg, '蒲晨阳');
    expect(record).toMatchObject({ reviewStatus: 'collected', entererName: null, enteredAt: null });
    expect((await zhan.get(`${P}/records?status=collected&pageSize=200`)).json().items.map((i: Item) => i.id)).toContain(record.id);
    expect((await zhan.get(`${P}/records?status=reported&pageSize=200`)).json().items.map((i: Item) => i.id)).not.toContain(record.id);
    expect(errorOf(await zhan.post(`${P}/records/${record.id}/review`, { decision: 'pass' })).code).toBe('NOT_ENTERED');
    // The grid worker submits; entering is the station's.
    expect((await wg.post(`${P}/records/${record.id}/enter`, {})).statusCode).toBe(403);
  });

  it('each transition is stamped with a user and a time: entered by the station clerk, in the record and the person’s history, then reviewed', async () => {
    const { personId, record } = await register(wg, '蒲晨曦');
    const before = Date.now();
    const entered = await zhan.post(`${P}/records/${record.id}/enter`, {});
    expect(entered.statusCode, entered.body).toBe(200);
    expect(entered.json()).toMatchObject({ reviewStatus: 'reported', enteredBy: zhanId });
    expect(errorOf(await zhan.post(`${P}/records/${record.id}/enter`, {})).code).toBe('ALREADY_ENTERED');
    const person = (await zhan.get(`${P}/persons/${personId}`)).json();
    const r = person.records.find((x: { id: string }) => x.id === record.id);
    expect(r).toMatchObject({ collectedBy: wgId, enteredBy: zhanId, reviewStatus: 'reported' });
    expect(Date.parse(r.enteredAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(person.events.find((e: { kind: string }) => e.kind === 'record_entered')).toMatchObject({ actorId: zhanId, data: { recordId: record.id } });
    const queued = (await zhan.get(`${P}/records?status=reported&personId=${personId}`)).json().items[0] as Item;
    expect(queued).toMatchObject({ id: record.id, entererName: '刘婷' });
    // Reviewed as before: the station clerk who entered it may review it (only the collector may not).
    expect((await zhan.post(`${P}/records/${record.id}/review`, { decision: 'pass' })).json().reviewStatus).toBe('passed');
    const audit = await t.db.selectFrom('audit_events').select(['actor_id']).where('action', '=', 'record.enter').where('entity_id', '=', record.id).executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(zhanId);
  });

  it('work counters credit the collection to the collector and the entry to the clerk, not both to the grid worker', async () => {
    const wgBefore = await counters(wg, wgId);
    const zhanBefore = await counters(zhan, zhanId);
    const { record } = await register(wg, '蒲晨星');
    expect(await counters(wg, wgId)).toMatchObject({ collected: wgBefore.collected + 1, entered: wgBefore.entered, passed: wgBefore.passed });
    await zhan.post(`${P}/records/${record.id}/enter`, {});
    await zhan.post(`${P}/records/${record.id}/review`, { decision: 'pass' });
    expect(await counters(wg, wgId)).toMatchObject({ collected: wgBefore.collected + 1, entered: wgBefore.entered, passed: wgBefore.passed + 1 });
    expect(await counters(zhan, zhanId)).toMatchObject({ entered: zhanBefore.entered + 1 });
  });

  it('a station user’s own registration is collected and entered at once (by them), and another reviews it', async () => {
    const zhanBefore = await counters(zhan, zhanId);
    const { record } = await register(zhan, '蒲晨露');
    expect(record).toMatchObject({ reviewStatus: 'reported', entererName: '刘婷' });
    expect(await counters(zhan, zhanId)).toMatchObject({ collected: zhanBefore.collected + 1, entered: zhanBefore.entered + 1 });
    expect(errorOf(await zhan.post(`${P}/records/${record.id}/review`, { decision: 'pass' })).code).toBe('OWN_RECORD');
    expect((await liuguan.post(`${P}/records/${record.id}/review`, { decision: 'pass' })).json().reviewStatus).toBe('passed');
  });

  it('the 24-hour reporting rule is about the report after collection: entering later neither makes it late nor clears it', async () => {
    const late = await register(wg, '蒲晨霜', { collectedAt: new Date(Date.now() - 30 * 3_600_000).toISOString() });
    const onTime = await register(wg, '蒲晨雨');
    expect([late.record.late, onTime.record.late]).toEqual([true, false]);
    for (const r of [late.record, onTime.record]) expect((await zhan.post(`${P}/records/${r.id}/enter`, {})).statusCode).toBe(200);
    const after = (await zhan.get(`${P}/records?status=reported&pageSize=200`)).json().items as Item[];
    expect(after.find((i) => i.id === late.record.id)).toMatchObject({ late: true, reportedAt: late.record.reportedAt });
    expect(after.find((i) => i.id === onTime.record.id)).toMatchObject({ late: false });
  });
});
