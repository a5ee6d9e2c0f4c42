import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { officeToday } from '../../platform/time.js';
import { shortfallSchedule } from './assessment.js';

/**
 * Seed 000 l.40: a community whose monthly entries (录入) fall below the standard, or which the
 * district deducts points from, gets a deduction item in its annual target assessment and the
 * funding-deduction flag (经费扣减). The standard and the points come from the pack.
 */
let t: TestApp;
let liuguan: Client; let admin: Client; let zhan: Client;
const P = '/api/v1/population';
const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
type Check = { orgUnitId: string; entries: number; standard: number; short: boolean; itemId: string | null };
type Community = { orgUnitId: string; name: string; totalPoints: number; fundingDeduction: boolean; deductions: { source: string; month: string | null; points: number }[] };

let sh: string; let xmq: string; let lsj: string;
/** Makes a community's entries of a month exactly `n`: its records entered that month move to July, then `n` move in. */
async function enterIn(communityId: string, month: string, n: number) {
  const next = `2026-${String(Number(month.slice(5)) + 1).padStart(2, '0')}`;
  await sql`update collection_records r set entered_at = '2026-07-20T10:00:00+08:00' from org_units g where g.id = r.grid_id and g.parent_id = ${communityId}
    and r.entered_at >= ${`${month}-01T00:00:00+08:00`}::timestamptz and r.entered_at < ${`${next}-01T00:00:00+08:00`}::timestamptz`.execute(t.db);
  if (n === 0) return;
  const ids = await sql<{ id: string }>`select r.id from collection_records r join org_units g on g.id = r.grid_id
    where g.parent_id = ${communityId} and r.entered_at is not null and r.entered_at >= '2026-07-01' order by r.id limit ${n}`.execute(t.db);
  expect(ids.rows).toHaveLength(n);
  await sql`update collection_records set entered_at = ${`${month}-15T10:00:00+08:00`}::timestamptz where id = any(${ids.rows.map((r) => r.id)}::uuid[])`.execute(t.db);
}
async function setStandard(entryStandard: { monthlyEntries: number; byCommunity: Record<string, number>; shortfallPoints: number }, ref: string) {
  const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
  doc.population.entryStandard = entryStandard;
  const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '测试录入标准', decisionRef: ref, effectiveFrom: officeToday() });
  expect(v.statusCode, v.body).toBe(201);
}
const check = async (c: Client, month: string, id: string): Promise<Check | undefined> => (await c.get(`${P}/assessment/entries?month=${month}`)).json().items.find((r: Check) => r.orgUnitId === id);
const community = async (c: Client, year: number, id: string): Promise<Community | undefined> => (await c.get(`${P}/assessment?year=${year}`)).json().items.find((r: Community) => r.orgUnitId === id);

beforeAll(async () => {
  t = await testApp();
  [liuguan, admin, zhan] = await Promise.all(['liuguan', 'admin', 'zhan-sh'].map((u) => t.login(u)));
  [sh, xmq, lsj] = await Promise.all(['蜀汉街社区', '洗面桥社区', '凉水井街社区'].map(unitId));
  await setStandard({ monthlyEntries: 3, byCommunity: { 凉水井街社区: 0 }, shortfallPoints: 2 }, '测试〔2026〕21号');
  await enterIn(sh, '2026-03', 3);
  await enterIn(sh, '2026-04', 2);
  await enterIn(sh, '2026-05', 0);
  await enterIn(xmq, '2026-03', 0);
  await enterIn(xmq, '2026-04', 0);
});
afterAll(async () => { await t?.close(); });

describe('entry shortfall: a month below the standard adds a deduction item and the funding flag (000:40)', () => {
  it('entries equal to the standard are no shortfall: no deduction item, no funding flag', async () => {
    expect(await check(liuguan, '2026-03', sh)).toMatchObject({ entries: 3, standard: 3, short: false, itemId: null });
    const r = await liuguan.post(`${P}/assessment/evaluate`, { month: '2026-03' });
    expect(r.statusCode, r.body).toBe(200);
    expect(await check(liuguan, '2026-03', sh)).toMatchObject({ short: false, itemId: null });
    // 洗面桥 entered nothing that month: it is short and flagged.
    expect(await check(liuguan, '2026-03', xmq)).toMatchObject({ entries: 0, short: true, itemId: expect.any(String) });
    expect(await community(liuguan, 2026, sh)).toMatchObject({ totalPoints: 0, fundingDeduction: false, deductions: [] });
  });

  it('one entry below the standard adds a deduction of the pack\'s points and sets the funding flag for the year', async () => {
    expect(await check(liuguan, '2026-04', sh)).toMatchObject({ entries: 2, standard: 3, short: true, itemId: null });
    const r = await liuguan.post(`${P}/assessment/evaluate`, { month: '2026-04' });
    expect(r.statusCode, r.body).toBe(200);
    expect((await check(liuguan, '2026-04', sh))?.itemId).toEqual(expect.any(String));
    expect(await community(liuguan, 2026, sh)).toMatchObject({
      totalPoints: 2, fundingDeduction: true, deductions: [{ source: 'entry_shortfall', month: '2026-04', points: 2 }],
    });
  });

  it('re-running a month (on demand or by the scheduler) adds no second item', async () => {
    const again = await liuguan.post(`${P}/assessment/evaluate`, { month: '2026-04' });
    expect(again.json()).toMatchObject({ added: 0 });
    await shortfallSchedule.run({ db: t.db, now: new Date('2026-05-02T01:30:00+08:00') });
    const items = await sql<{ n: string }>`select count(*) n from assessment_items where org_unit_id = ${sh} and month = '2026-04'`.execute(t.db);
    expect(Number(items.rows[0]!.n)).toBe(1);
  });

  it('the scheduled run evaluates the month just ended', async () => {
    await shortfallSchedule.run({ db: t.db, now: new Date('2026-06-01T01:30:00+08:00') });
    expect((await community(liuguan, 2026, sh))?.deductions.map((d) => d.month)).toContain('2026-05');
  });

  it('the standard comes from the pack: a community\'s own figure overrides the default', async () => {
    await setStandard({ monthlyEntries: 3, byCommunity: { 蜀汉街社区: 2, 凉水井街社区: 0 }, shortfallPoints: 2 }, '测试〔2026〕22号');
    expect(await check(liuguan, '2026-04', sh)).toMatchObject({ entries: 2, standard: 2, short: false });
    expect(await check(liuguan, '2026-04', xmq)).toMatchObject({ standard: 3, short: true });
    await setStandard({ monthlyEntries: 3, byCommunity: { 凉水井街社区: 0 }, shortfallPoints: 2 }, '测试〔2026〕23号');
  });

  it('a month not yet over cannot be evaluated (422 MONTH_NOT_OVER)', async () => {
    const r = await liuguan.post(`${P}/assessment/evaluate`, { month: officeToday().slice(0, 7) });
    expect(r.statusCode).toBe(422);
    expect(r.json().error.code).toBe('MONTH_NOT_OVER');
    expect((await liuguan.post(`${P}/assessment/evaluate`, { month: '2026-13' })).statusCode).toBe(400);
  });
});

describe('district deduction (区流管办扣分) recorded by the street (000:40)', () => {
  it('adds a deduction item and sets the funding flag of the community and year, audited', async () => {
    // 凉水井街社区's standard is 0 in this pack: its months are never short.
    expect(await community(liuguan, 2026, lsj)).toMatchObject({ totalPoints: 0, fundingDeduction: false });
    const r = await liuguan.post(`${P}/assessment/deductions`, { orgUnitId: lsj, year: 2026, points: 1.5, reason: '区流管办通报：录入信息不完整' });
    expect(r.statusCode, r.body).toBe(201);
    expect(await community(liuguan, 2026, lsj)).toMatchObject({ totalPoints: 1.5, fundingDeduction: true, deductions: [{ source: 'district', month: null, points: 1.5 }] });
    const audit = await t.db.selectFrom('audit_events').select(['action', 'entity_id']).where('action', '=', 'assessment.deduct').execute();
    expect(audit).toEqual([expect.objectContaining({ entity_id: r.json().id })]);
    // The community's statistics carry the flag (for the current year).
    if (officeToday().startsWith('2026')) {
      const stats = (await zhan.get(`${P}/stats?orgUnitId=${sh}`)).json();
      expect(stats.flags.map((f: { code: string }) => f.code)).toContain('FUNDING_DEDUCTION');
      const street = (await liuguan.get(`${P}/stats`)).json();
      expect(street.children.find((c: { orgUnitId: string }) => c.orgUnitId === lsj).flags.map((f: { code: string }) => f.code)).toContain('FUNDING_DEDUCTION');
    }
  });

  it('only the street records a deduction; a grid is not a community; bad points are refused', async () => {
    expect((await zhan.post(`${P}/assessment/deductions`, { orgUnitId: sh, year: 2026, points: 1, reason: '自扣' })).statusCode).toBe(403);
    const grid = await unitId('蜀汉街社区第1网格');
    const g = await liuguan.post(`${P}/assessment/deductions`, { orgUnitId: grid, year: 2026, points: 1, reason: '网格' });
    expect(g.statusCode).toBe(422);
    expect(g.json().error.code).toBe('NOT_A_COMMUNITY');
    expect((await liuguan.post(`${P}/assessment/deductions`, { orgUnitId: sh, year: 2026, points: 0, reason: '零分' })).statusCode).toBe(400);
  });
});

describe('assessment scope', () => {
  it('a station sees only its own community, in the assessment and the monthly entries', async () => {
    const year = (await zhan.get(`${P}/assessment?year=2026`)).json().items.map((c: Community) => c.orgUnitId);
    expect(year).toEqual([sh]);
    const month = (await zhan.get(`${P}/assessment/entries?month=2026-04`)).json().items.map((c: Check) => c.orgUnitId);
    expect(month).toEqual([sh]);
    expect((await liuguan.get(`${P}/assessment?year=2026`)).json().items.map((c: Community) => c.orgUnitId)).toEqual(expect.arrayContaining([sh, xmq]));
  });
});
