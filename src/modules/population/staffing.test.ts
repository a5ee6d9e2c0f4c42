import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { officeToday } from '../../platform/time.js';

/**
 * Seed 000 staffing rules (l.16, l.103, l.127): each grid has exactly one full-time assistant
 * (网格员 / 专职协管员) and each community station exactly one information entry clerk (信息录入员);
 * the number comes from the pack (population.staffing) and a unit with 0 or more than that is flagged,
 * in the staffing list and in the population statistics.
 */
let t: TestApp;
let liuguan: Client; let admin: Client; let zhan: Client; let wg: Client;
const P = '/api/v1/population';
const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
type Row = { orgUnitId: string; rule: string; count: number; required: number; flagged: boolean; holders: { name: string }[] };
const row = async (c: Client, id: string): Promise<Row | undefined> => (await c.get(`${P}/staffing`)).json().items.find((r: Row) => r.orgUnitId === id);

async function newStaff(username: string, name: string, orgUnitId: string, post: string) {
  const u = await admin.post('/api/v1/admin/users', { username, name });
  expect(u.statusCode, u.body).toBe(201);
  const p = await admin.post(`/api/v1/admin/users/${u.json().user.id}/posts`, { orgUnitId, post, primary: true, validFrom: officeToday() });
  expect(p.statusCode, p.body).toBe(201);
  return { userId: u.json().user.id as string, postId: p.json().id as string };
}

beforeAll(async () => {
  t = await testApp();
  [liuguan, admin, zhan, wg] = await Promise.all(['liuguan', 'admin', 'zhan-sh', 'wangge-sh-1'].map((u) => t.login(u)));
});
afterAll(async () => { await t?.close(); });

describe('staffing: one grid worker per grid, one entry clerk per station (000:16, 000:103)', () => {
  it('each grid must have exactly one active grid worker: a grid with one is not flagged, a grid with none is', async () => {
    const [g1, g3] = await Promise.all(['蜀汉街社区第1网格', '蜀汉街社区第3网格'].map(unitId));
    expect(await row(liuguan, g1)).toMatchObject({ rule: 'grid_worker', count: 1, required: 1, flagged: false, holders: [{ name: '张伟' }] });
    expect(await row(liuguan, g3)).toMatchObject({ rule: 'grid_worker', count: 0, required: 1, flagged: true });
    const flagged = (await liuguan.get(`${P}/staffing?flagged=true`)).json();
    expect(flagged.items.map((r: Row) => r.orgUnitId)).toContain(g3);
    expect(flagged.items.map((r: Row) => r.orgUnitId)).not.toContain(g1);
    expect(flagged.flaggedCount).toBe(flagged.items.length);
  });

  it('a grid with more than one active grid worker is flagged, and in the grid statistics', async () => {
    const g2 = await unitId('蜀汉街社区第2网格');
    const second = await newStaff('wangge-sh-2b', '邓晓东', g2, 'grid_worker');
    expect(await row(liuguan, g2)).toMatchObject({ count: 2, flagged: true });
    const stats = (await liuguan.get(`${P}/stats?orgUnitId=${g2}`)).json();
    expect(stats.flags).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'STAFFING_GRID_WORKER_EXCESS', message: expect.stringContaining('邓晓东') })]));
    // The post ended yesterday: the grid is back to one and the flag is gone.
    const yesterday = new Date(Date.parse(`${officeToday()}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await t.db.updateTable('staff_posts').set({ valid_from: yesterday }).where('id', '=', second.postId).execute();
    const end = await admin.post(`/api/v1/admin/users/${second.userId}/posts/${second.postId}/end`, { validTo: yesterday });
    expect(end.statusCode, end.body).toBe(200);
    expect(await row(liuguan, g2)).toMatchObject({ count: 1, flagged: false });
    expect((await liuguan.get(`${P}/stats?orgUnitId=${g2}`)).json().flags.map((f: { code: string }) => f.code)).not.toContain('STAFFING_GRID_WORKER_EXCESS');
  });

  it('each community station must have exactly one entry clerk: 0 or 2 are flagged, in the list and the community statistics', async () => {
    const [sh, xmq] = await Promise.all(['蜀汉街社区', '洗面桥社区'].map(unitId));
    expect(await row(liuguan, sh)).toMatchObject({ rule: 'entry_clerk', count: 1, flagged: false });
    expect(await row(liuguan, xmq)).toMatchObject({ rule: 'entry_clerk', count: 0, flagged: true });
    const street = (await liuguan.get(`${P}/stats`)).json();
    const xmqChild = street.children.find((c: { orgUnitId: string }) => c.orgUnitId === xmq);
    expect(xmqChild.flags.map((f: { code: string }) => f.code)).toContain('STAFFING_ENTRY_CLERK_MISSING');
    await newStaff('zhan-sh-b', '罗文静', sh, 'station_clerk');
    expect(await row(liuguan, sh)).toMatchObject({ count: 2, flagged: true });
    expect((await liuguan.get(`${P}/stats?orgUnitId=${sh}`)).json().flags.map((f: { code: string }) => f.code)).toContain('STAFFING_ENTRY_CLERK_EXCESS');
  });

  it('the required number comes from the pack: two grid workers per grid makes a grid with one flagged', async () => {
    const g1 = await unitId('蜀汉街社区第1网格');
    const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
    doc.population.staffing = { gridWorkersPerGrid: 2, entryClerksPerStation: 1 };
    const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '测试每网格两名协管员', decisionRef: '测试〔2026〕8号', effectiveFrom: officeToday() });
    expect(v.statusCode, v.body).toBe(201);
    expect(await row(liuguan, g1)).toMatchObject({ count: 1, required: 2, flagged: true });
    doc.population.staffing = { gridWorkersPerGrid: 1, entryClerksPerStation: 1 };
    expect((await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '恢复', decisionRef: '测试〔2026〕9号', effectiveFrom: officeToday() })).statusCode).toBe(201);
  });

  it('the staffing list is scope-filtered: a station sees its community and grids, a grid worker only its grid', async () => {
    const [sh, xmq, g1] = await Promise.all(['蜀汉街社区', '洗面桥社区', '蜀汉街社区第1网格'].map(unitId));
    const station = (await zhan.get(`${P}/staffing`)).json().items.map((r: Row) => r.orgUnitId);
    expect(station).toContain(sh);
    expect(station).not.toContain(xmq);
    expect(station).toHaveLength(8);
    expect((await wg.get(`${P}/staffing`)).json().items.map((r: Row) => r.orgUnitId)).toEqual([g1]);
  });
});
