import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { officeToday } from '../../platform/time.js';

/**
 * 采集点联系人 (seed 000 l.12, R4 "各采集点确定1名联系人"): exactly one current contact per
 * collection point, dated history, station scope; points without a contact or overdue for the
 * station's patrol are flagged.
 */
let t: TestApp;
let zhan: Client; let liuguan: Client; let wg: Client;
let shPoint: string; let xmqPoint: string;
const P = '/api/v1/population/collection-points';
const daysAgo = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const current = async (pointId: string) => t.db.withTables<{ collection_point_contacts: { point_id: string; to_date: string | null; contact_name: string; phone_enc: string | null } }>()
  .selectFrom('collection_point_contacts').selectAll().where('point_id', '=', pointId).where('to_date', 'is', null).execute();
const auditCount = async (action: string) => Number((await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  t = await testApp();
  [zhan, liuguan, wg] = await Promise.all(['zhan-sh', 'liuguan', 'wangge-sh-1'].map((u) => t.login(u)));
  const points = await t.db.selectFrom('org_units as p').innerJoin('org_units as c', 'c.id', 'p.parent_id').select(['p.id', 'c.name'])
    .where('p.kind', '=', 'collection_point').orderBy('p.code').execute();
  shPoint = points.find((p) => p.name === '蜀汉街社区')!.id;
  xmqPoint = points.find((p) => p.name === '洗面桥社区')!.id;
});
afterAll(async () => { await t?.close(); });

describe('collection points (采集点)', () => {
  it('each collection point has exactly one contact person: replacing one closes the current and keeps the history', async () => {
    const list = (await zhan.get(P)).json();
    const point = list.items.find((i: { id: string }) => i.id === shPoint);
    expect(point.contact).toMatchObject({ name: expect.any(String), phoneMasked: expect.stringMatching(/^\d{3}\*{4}\d{4}$/) });
    expect(point.flags).not.toContain('NO_CONTACT');
    const before = await auditCount('collection_point.contact_change');

    const res = await zhan.post(`${P}/${shPoint}/contact`, { name: '测试联系人', phone: '139 0000 1111', fromDate: daysAgo(0), reason: '原联系人调离' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: '测试联系人', phoneMasked: '139****1111', replaced: expect.any(String) });
    const now = await current(shPoint);
    expect(now).toHaveLength(1);
    expect(now[0]!.contact_name).toBe('测试联系人');
    expect(now[0]!.phone_enc).not.toContain('13900001111'); // encrypted at rest
    const history = (await zhan.get(`${P}/${shPoint}/contacts`)).json().items;
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ name: '测试联系人', toDate: null });
    expect(history[1].toDate).not.toBeNull();
    expect(await auditCount('collection_point.contact_change')).toBe(before + 1);
  });

  it('a change needs a reason and may not start before the current contact; a malformed body is 400; nothing is written', async () => {
    const [was] = await current(shPoint);
    const noReason = await zhan.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '13900002222', fromDate: daysAgo(0) });
    expect(noReason.statusCode).toBe(422);
    expect(errorOf(noReason).code).toBe('REASON_REQUIRED');
    const early = await zhan.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '13900002222', fromDate: daysAgo(4000), reason: '补录' });
    expect(errorOf(early).code).toBe('BEFORE_CURRENT_CONTACT');
    const future = await zhan.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '13900002222', fromDate: '2099-01-01', reason: 'x' });
    expect(errorOf(future).code).toBe('FUTURE_DATE');
    const badPhone = await zhan.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '12345', fromDate: daysAgo(0), reason: 'x' });
    expect(errorOf(badPhone).code).toBe('INVALID_PHONE');
    const malformed = await zhan.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '13900002222', fromDate: '20260101', extra: 1 });
    expect(malformed.statusCode).toBe(400);
    expect(errorOf(malformed).code).toBe('VALIDATION_FAILED');
    expect(await current(shPoint)).toEqual([was]);
  });

  it('a station manages only its community\'s points (another community\'s point is 404); a grid worker may not name contacts (403)', async () => {
    const other = await zhan.post(`${P}/${xmqPoint}/contact`, { name: '某人', phone: '13900003333', fromDate: daysAgo(0), reason: 'x' });
    expect(other.statusCode).toBe(404);
    expect((await zhan.get(`${P}/${xmqPoint}/contacts`)).statusCode).toBe(404);
    const listed = (await zhan.get(P)).json().items.map((i: { id: string }) => i.id);
    expect(listed).toContain(shPoint);
    expect(listed).not.toContain(xmqPoint);
    expect((await wg.post(`${P}/${shPoint}/contact`, { name: '某人', phone: '13900003333', fromDate: daysAgo(0), reason: 'x' })).statusCode).toBe(403);
    // The street sees all of them.
    expect((await liuguan.get(P)).json().items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([shPoint, xmqPoint]));
    expect((await liuguan.get(`${P}/${xmqPoint}/contacts`)).statusCode).toBe(200);
  });

  it('a point without a contact is flagged NO_CONTACT; one not patrolled by the station within the pack\'s interval is flagged PATROL_OVERDUE', async () => {
    await t.db.withTables<{ collection_point_contacts: { point_id: string } }>().deleteFrom('collection_point_contacts').where('point_id', '=', xmqPoint).execute();
    const items = (await liuguan.get(`${P}?problems=true`)).json().items;
    const xmq = items.find((i: { id: string }) => i.id === xmqPoint);
    expect(xmq.flags).toContain('NO_CONTACT');
    expect(xmq.contact).toBeNull();
    // Patrolled today by its station: not overdue; the due date is today + the pack's station interval.
    const rec = await zhan.post('/api/v1/population/patrols', { level: 'station', targetUnitId: shPoint, patrolledOn: daysAgo(0), checked: '台账、登记表', findings: '无' });
    expect(rec.statusCode, rec.body).toBe(201);
    const all = (await liuguan.get(P)).json();
    const sh = all.items.find((i: { id: string }) => i.id === shPoint);
    expect(sh.flags).not.toContain('PATROL_OVERDUE');
    expect(sh.lastPatrolledOn).toBe(daysAgo(0));
    expect(sh.patrolDueOn).toBe(daysAgo(-all.patrolIntervalDays));
  });
});
