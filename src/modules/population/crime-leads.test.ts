import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';

/**
 * Seed 000 §7 #24 (l.41): a grid worker submits a crime lead (违法犯罪信息/犯罪嫌疑人) from a household
 * visit; it is routed to the police liaison of the grid's police area and marked reward-eligible; the
 * monthly reward pays the pack's rate per lead (0 by default: the seed names no figure). Names are fictional.
 */
let t: TestApp;
let wg: Client; let police: Client; let liuguan: Client; let admin: Client;
let grid: string; let xmqGrid: string; let policeId: string; let wgId: string;
const P = '/api/v1/population';
const month = officeToday().slice(0, 7);
const SUSPECT = '柯远山';

beforeAll(async () => {
  t = await testApp();
  [wg, police, liuguan, admin] = await Promise.all(['wangge-sh-1', 'paichusuo', 'liuguan', 'admin'].map((u) => t.login(u)));
  const unit = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  [grid, xmqGrid] = await Promise.all(['蜀汉街社区第1网格', '洗面桥社区第1网格'].map(unit));
  const user = async (u: string) => (await t.db.selectFrom('users').select('id').where('username', '=', u).executeTakeFirstOrThrow()).id;
  [policeId, wgId] = await Promise.all(['paichusuo', 'wangge-sh-1'].map(user));
});
afterAll(async () => { await t?.close(); });

const lead = (c: Client, extra: Record<string, unknown> = {}) => c.post(`${P}/crime-leads`, {
  gridId: grid, what: '出租屋内疑似存放大量来历不明的电动车电瓶', place: '蜀汉路88号2栋1单元402室', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), ...extra,
});

describe('crime leads (000:41)', () => {
  it('a crime lead is routed by notification to the police liaison of the grid’s police area and marked reward-eligible', async () => {
    const idNumber = nextResidentId();
    const res = await lead(wg, { suspectName: SUSPECT, suspectIdNumber: idNumber, suspectPhone: '13800002222' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ policeAreaName: '蜀汉街社区第1警务区', routedTo: [policeId], rewardEligible: true });
    const bell = (await police.get('/api/v1/notifications')).json();
    const note = bell.items.find((n: { link: string | null }) => n.link?.includes(res.json().id));
    expect(note?.title).toContain('违法犯罪线索');
    expect(JSON.stringify(note)).not.toContain(SUSPECT);
    // The police liaison reads it, the suspect masked; the grid worker sees their own.
    const listed = (await police.get(`${P}/crime-leads`)).json().items.find((i: { id: string }) => i.id === res.json().id);
    expect(listed).toMatchObject({ routed: true, rewardEligible: true, reporterName: '张伟', gridName: '蜀汉街社区第1网格' });
    expect(listed.suspectNameMasked).not.toBe(SUSPECT);
    expect(listed.suspectIdMasked).not.toBe(idNumber);
    expect((await wg.get(`${P}/crime-leads`)).json().items.map((i: { id: string }) => i.id)).toContain(res.json().id);
    // Personal data is sealed at rest like the person's own fields.
    const row = await t.db.selectFrom('crime_leads' as never).selectAll().where('id' as never, '=', res.json().id as never).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(SUSPECT);
    expect(JSON.stringify(row)).not.toContain(idNumber);
    expect(JSON.stringify(row)).not.toContain('13800002222');
    const audit = await t.db.selectFrom('audit_events').select(['actor_id', 'summary']).where('action', '=', 'crime_lead.report').where('entity_id', '=', res.json().id).executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(wgId);
  });

  it('a lead is checked: a grid outside the reporter’s scope is 403, a future time and a bad ID number 422; the police liaison only reads', async () => {
    expect((await lead(wg, { gridId: xmqGrid })).statusCode).toBe(403);
    expect((await lead(wg, { occurredAt: new Date(Date.now() + 86_400_000).toISOString() })).json().error.code).toBe('FUTURE_DATE');
    expect((await lead(wg, { suspectIdNumber: '510107199001011234' })).json().error.code).toBe('INVALID_ID_NUMBER');
    expect((await lead(police)).statusCode).toBe(403);
  });

  it('the monthly reward takes crime leads into account at the pack’s rate: 0 yuan by default, the rate once the pack sets one', async () => {
    const mine = async () => (await liuguan.get(`${P}/ranking?month=${month}`)).json();
    const before = await mine();
    expect(before.rates.crimeLeadFen).toBe(0);
    const me = before.items.find((i: { id: string }) => i.id === wgId);
    expect(me.crimeLeads).toBeGreaterThanOrEqual(1);
    expect(me.crimeLeadRewardFen).toBe(0);
    const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
    doc.population.reward.crimeLeadFen = 2000;
    const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '按派出所标准每条线索奖励20元', decisionRef: '测试〔2026〕11号', effectiveFrom: officeToday() });
    expect(v.statusCode, v.body).toBe(201);
    const after = (await mine()).items.find((i: { id: string }) => i.id === wgId);
    expect(after.crimeLeadRewardFen).toBe(after.crimeLeads * 2000);
    expect(after.rewardFen).toBe(me.rewardFen + after.crimeLeads * 2000);
  });
});
