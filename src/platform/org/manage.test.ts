import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { officeToday } from '../time.js';

let t: TestApp;
let admin: Client;
let sec: Client;
const unitByName = async (name: string) => {
  const r = await t.db.selectFrom('org_units').select(['id', 'parent_id']).where('name', '=', name).executeTakeFirstOrThrow();
  return r;
};
const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const MISSING = '00000000-0000-4000-8000-000000000000';
/** Creates a unit as the system admin (valid from 2026-01-01) and returns its id. */
async function createUnit(parentName: string, kind: string, code: string, name: string): Promise<string> {
  const res = await admin.post('/api/v1/org/units', { parentId: (await unitByName(parentName)).id, kind, code, name, validFrom: '2026-01-01' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
/** A new person with a post and a grant, logged in (the one-time password changed first). */
async function person(username: string, post: { unit: string; post: string }, role: { role: string; dataScope: string }): Promise<Client> {
  const created = await admin.post('/api/v1/admin/users', { username, name: '测试人员' });
  expect(created.statusCode, created.body).toBe(201);
  const { user, initialPassword } = created.json();
  const p = await admin.post(`/api/v1/admin/users/${user.id}/posts`, { orgUnitId: (await unitByName(post.unit)).id, post: post.post, primary: true, validFrom: '2026-01-01' });
  expect(p.statusCode, p.body).toBe(201);
  expect((await sec.post(`/api/v1/admin/users/${user.id}/grants`, role)).statusCode).toBe(201);
  const c = await t.login(username, initialPassword);
  expect((await c.post('/api/v1/auth/password', { currentPassword: initialPassword, newPassword: 'Xin-Mima-2026' })).statusCode).toBe(204);
  return c;
}
beforeAll(async () => { t = await testApp(); [admin, sec] = [await t.login('admin'), await t.login('secadmin')]; });
afterAll(async () => { await t?.close(); });

describe('org tree management', () => {
  it('moving a grid between communities keeps history and changes the scope of the station clerks at once', async () => {
    const grid = await unitByName('蜀汉街社区第7网格');
    const from = await unitByName('蜀汉街社区');
    const to = await unitByName('洗面桥社区');
    const zhan = await t.login('zhan-sh');
    expect((await zhan.get(`/api/v1/org/units/${grid.id}`)).statusCode).toBe(200);

    const res = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: to.id, effectiveFrom: '2026-11-01', reason: '按区划调整' });
    expect(res.statusCode).toBe(200);
    expect(res.json().history).toEqual([{ parentId: from.id, parentName: '蜀汉街社区', from: '2026-01-01', to: '2026-11-01', reason: '按区划调整' }]);
    expect((await unitByName('蜀汉街社区第7网格')).parent_id).toBe(to.id);
    // The station clerk of 蜀汉街 no longer sees it; existence does not leak (404).
    const after = await zhan.get(`/api/v1/org/units/${grid.id}`);
    expect(after.statusCode).toBe(404);
    expect(errorOf(after).code).toBe('NOT_FOUND');
    const history = await admin.get(`/api/v1/org/units/${grid.id}/history`);
    expect(history.json().items).toHaveLength(1);
  });

  it('a grid must belong to a community: moving it under a department or creating it under the street is refused (422), nothing written', async () => {
    const grid = await unitByName('蜀汉街社区第6网格');
    const dept = await unitByName('党政办');
    const street = await unitByName('浆洗街街道');
    const before = await countRows(t.db, 'audit_events');
    const moved = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: dept.id, effectiveFrom: '2026-11-01', reason: '错误操作' });
    expect(moved.statusCode).toBe(422);
    expect(errorOf(moved).code).toBe('INVALID_PARENT_KIND');
    const created = await admin.post('/api/v1/org/units', { parentId: street.id, kind: 'grid', code: 'X01', name: '错误网格', validFrom: '2026-11-01' });
    expect(created.statusCode).toBe(422);
    expect((await unitByName('蜀汉街社区第6网格')).parent_id).not.toBe(dept.id);
    expect(await countRows(t.db, 'audit_events')).toBe(before);
  });

  it('creates a grid in a community (audited) and refuses a duplicate code with 409', async () => {
    const community = await unitByName('凉水井街社区');
    const res = await admin.post('/api/v1/org/units', { parentId: community.id, kind: 'grid', code: '510107013005G08', name: '凉水井街社区第8网格', validFrom: '2026-12-01' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'grid', parentId: community.id, name: '凉水井街社区第8网格' });
    const again = await admin.post('/api/v1/org/units', { parentId: community.id, kind: 'grid', code: '510107013005G08', name: '重复', validFrom: '2026-12-01' });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('ORG_CODE_TAKEN');
    const ev = await t.db.selectFrom('audit_events').select('action').where('entity_id', '=', res.json().id).execute();
    expect(ev.map((e) => e.action)).toEqual(['org_unit.create']);
  });

  it('a unit with open children or staff cannot be closed; an empty one closes and stays in the tree as history', async () => {
    const community = await unitByName('大石东路社区');
    expect(errorOf(await admin.post(`/api/v1/org/units/${community.id}/close`, { validTo: '2026-12-31', reason: '撤并' })).code).toBe('UNIT_HAS_OPEN_CHILDREN');
    const grid = await unitByName('蜀汉街社区第1网格');
    expect(errorOf(await admin.post(`/api/v1/org/units/${grid.id}/close`, { validTo: '2026-12-31', reason: '撤并' })).code).toBe('UNIT_HAS_STAFF');
    const cp = await unitByName('大石东路社区第2采集点');
    const closed = await admin.post(`/api/v1/org/units/${cp.id}/close`, { validTo: '2026-12-31', reason: '采集点撤并' });
    expect(closed.statusCode).toBe(200);
    const detail = (await admin.get(`/api/v1/org/units/${cp.id}`)).json();
    expect(detail.validTo).toBe('2026-12-31');
  });

  it('key-grid designation (000:122): designating a grid key changes its classification; the reason is kept', async () => {
    const grid = await unitByName('洗面桥社区第7网格');
    const before = (await admin.get(`/api/v1/org/units/${grid.id}`)).json();
    expect(before.classification.kind).toBe('regular');
    expect(before.flags.map((f: { code: string }) => f.code)).toContain('REGULAR_CRITERION_NOT_MET');
    const res = await admin.post(`/api/v1/org/units/${grid.id}/designation`, { kind: 'key', reason: '流动人口聚居区', decidedOn: '2026-11-20', decisionRef: '浆街办〔2026〕30号' });
    expect(res.statusCode).toBe(200);
    const after = (await admin.get(`/api/v1/org/units/${grid.id}`)).json();
    expect(after.classification).toMatchObject({ kind: 'key', designated: true, reason: '流动人口聚居区' });
    expect(after.flags.map((f: { code: string }) => f.code)).not.toContain('REGULAR_CRITERION_NOT_MET');
    expect(errorOf(await admin.post(`/api/v1/org/units/${grid.id}/designation`, { kind: 'key', reason: '再次', decidedOn: '2026-11-21' })).code).toBe('DESIGNATION_UNCHANGED');
  });

  it('recording a survey snapshot replaces the figures and audits before/after; bad numbers are 400', async () => {
    const grid = await unitByName('凉水井街社区第5网格');
    const survey = { areaKm2: 0.03, streets: 1, residents: 800, migrants: 200, houses: 330, rentals: 70, shops: 2, employers: 1, asOf: '2026-10-31' };
    expect((await admin.post(`/api/v1/org/units/${grid.id}/survey`, survey)).statusCode).toBe(200);
    expect((await admin.get(`/api/v1/org/units/${grid.id}`)).json().survey).toEqual(survey);
    const bad = await admin.post(`/api/v1/org/units/${grid.id}/survey`, { ...survey, residents: -1 });
    expect(bad.statusCode).toBe(400);
    expect(errorOf(bad).details[0]!.path).toBe('body.residents');
  });

  it('only org:manage may change the tree (leaders and grid workers get 403)', async () => {
    const grid = await unitByName('蜀汉街社区第2网格');
    for (const who of ['shuji', 'wangge-sh-2', 'auditor']) {
      const c = await t.login(who);
      const res = await c.post(`/api/v1/org/units/${grid.id}/designation`, { kind: 'key', reason: 'x', decidedOn: '2026-11-20' });
      expect(res.statusCode).toBe(403);
    }
  });
});

describe('org management respects scope', () => {
  it('writing a unit outside the caller\'s scope → 404 (like an unknown id); a parent outside it → 403 FORBIDDEN; nothing written', async () => {
    // A system admin for 蜀汉街社区 only (本单位及下级).
    const scoped = await person('xitong-sh', { unit: '蜀汉街社区', post: 'system_admin' }, { role: 'system_admin', dataScope: 'unit_and_below' });
    const outside = (await unitByName('洗面桥社区第3网格')).id;
    const inside = (await unitByName('蜀汉街社区第3网格')).id;
    const survey = { areaKm2: 0.05, streets: 2, residents: 1000, migrants: 300, houses: 400, rentals: 90, shops: 5, employers: 2, asOf: '2026-10-31' };
    const writes: [string, unknown][] = [
      ['move', { parentId: (await unitByName('蜀汉街社区')).id, effectiveFrom: '2026-11-01', reason: '越权调整' }],
      ['close', { validTo: '2026-12-31', reason: '越权撤销' }],
      ['survey', survey],
      ['designation', { kind: 'key', reason: '越权指定', decidedOn: '2026-11-20' }],
    ];
    const before = await countRows(t.db, 'audit_events');
    for (const [verb, body] of writes) {
      const missing = await scoped.post(`/api/v1/org/units/${MISSING}/${verb}`, body);
      expect(missing.statusCode, verb).toBe(404);
      const res = await scoped.post(`/api/v1/org/units/${outside}/${verb}`, body);
      expect(res.statusCode, verb).toBe(404);
      expect(errorOf(res)).toEqual(errorOf(missing));
    }
    // Parents named in the body: another community, the street (context only), none (a new street), an unknown id.
    const parents: (string | null)[] = [(await unitByName('洗面桥社区')).id, (await unitByName('浆洗街街道')).id, null, MISSING];
    for (const parentId of parents) {
      const created = await scoped.post('/api/v1/org/units', { parentId, kind: 'grid', code: 'SH0X1', name: '越权网格', validFrom: '2026-01-01' });
      expect(created.statusCode, String(parentId)).toBe(403);
      expect(errorOf(created).code).toBe('FORBIDDEN');
    }
    const moved = await scoped.post(`/api/v1/org/units/${inside}/move`, { parentId: (await unitByName('洗面桥社区')).id, effectiveFrom: '2026-11-01', reason: '越权调整' });
    expect(moved.statusCode).toBe(403);
    expect(errorOf(moved).code).toBe('FORBIDDEN');
    expect(await countRows(t.db, 'audit_events')).toBe(before);
    expect((await unitByName('洗面桥社区第3网格')).parent_id).toBe((await unitByName('洗面桥社区')).id);
    expect((await unitByName('蜀汉街社区第3网格')).parent_id).toBe((await unitByName('蜀汉街社区')).id);
    // Inside the scope the same writes work.
    expect((await scoped.post(`/api/v1/org/units/${inside}/survey`, survey)).statusCode).toBe(200);
    const ok = await scoped.post('/api/v1/org/units', { parentId: (await unitByName('蜀汉街社区')).id, kind: 'grid', code: 'SH0X2', name: '蜀汉街社区第8网格', validFrom: '2026-01-01' });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});

describe('org management respects validity', () => {
  it('moving a unit under a closed parent → 422 PARENT_CLOSED, nothing written', async () => {
    const closed = await createUnit('浆洗街街道', 'community', 'CLOSEDC1', '已撤销社区');
    expect((await admin.post(`/api/v1/org/units/${closed}/close`, { validTo: '2026-06-30', reason: '撤并' })).statusCode).toBe(200);
    const grid = await unitByName('凉水井街社区第3网格');
    const before = await countRows(t.db, 'audit_events');
    const res = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: closed, effectiveFrom: '2026-07-01', reason: '并入' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('PARENT_CLOSED');
    expect((await unitByName('凉水井街社区第3网格')).parent_id).toBe(grid.parent_id);
    expect(await countRows(t.db, 'audit_events')).toBe(before);
    expect((await admin.get(`/api/v1/org/units/${grid.id}/history`)).json().items).toEqual([]);
  });

  it('a move effective after the office\'s today → 422 INVALID_PERIOD (moves are recorded on or after the day); today is accepted; not before the previous move', async () => {
    const grid = await unitByName('凉水井街社区第6网格');
    const to = await unitByName('大石东路社区');
    const today = officeToday();
    const before = await countRows(t.db, 'audit_events');
    const early = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: to.id, effectiveFrom: addDays(today, 1), reason: '提前登记' });
    expect(early.statusCode).toBe(422);
    expect(errorOf(early).code).toBe('INVALID_PERIOD');
    expect(errorOf(early).details[0]).toMatchObject({ path: 'effectiveFrom', code: 'INVALID_PERIOD' });
    expect(await countRows(t.db, 'audit_events')).toBe(before);
    expect((await unitByName('凉水井街社区第6网格')).parent_id).toBe(grid.parent_id);

    const ok = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: to.id, effectiveFrom: today, reason: '按区划调整' });
    expect(ok.statusCode, ok.body).toBe(200);
    const back = await admin.post(`/api/v1/org/units/${grid.id}/move`, { parentId: grid.parent_id!, effectiveFrom: addDays(today, -1), reason: '回退' });
    expect(back.statusCode).toBe(422);
    expect(errorOf(back).code).toBe('INVALID_PERIOD');
    expect((await admin.get(`/api/v1/org/units/${grid.id}/history`)).json().items).toHaveLength(1);
  });

  it('closing a unit counts posts still running on the close date (open-ended or ending on or after it) as staff → 409 UNIT_HAS_STAFF', async () => {
    const user = await admin.post('/api/v1/admin/users', { username: 'jiediao-close', name: '借调人员' });
    expect(user.statusCode).toBe(201);
    const uid = user.json().user.id;
    const post = (unit: string, validTo: string) => admin.post(`/api/v1/admin/users/${uid}/posts`, { orgUnitId: unit, post: 'staff', validFrom: '2026-01-01', validTo });
    // A fixed-term post to 2099 and one ending on the close date itself: both still running.
    const running = await createUnit('浆洗街街道', 'department', 'TMPDEPT1', '临时专班甲');
    expect((await post(running, '2099-12-31')).statusCode).toBe(201);
    const lastDay = await createUnit('浆洗街街道', 'department', 'TMPDEPT2', '临时专班乙');
    expect((await post(lastDay, '2026-12-31')).statusCode).toBe(201);
    for (const id of [running, lastDay]) {
      const res = await admin.post(`/api/v1/org/units/${id}/close`, { validTo: '2026-12-31', reason: '专班撤销' });
      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('UNIT_HAS_STAFF');
      expect((await admin.get(`/api/v1/org/units/${id}`)).json().validTo).toBeNull();
    }
    // A post that ended before the close date does not hold the unit open.
    const ended = await createUnit('浆洗街街道', 'department', 'TMPDEPT3', '临时专班丙');
    expect((await post(ended, '2026-06-30')).statusCode).toBe(201);
    expect((await admin.post(`/api/v1/org/units/${ended}/close`, { validTo: '2026-12-31', reason: '专班撤销' })).statusCode).toBe(200);
  });

  it('a post in a unit closed before the post starts → 422 UNIT_CLOSED, nothing written', async () => {
    const dept = await createUnit('浆洗街街道', 'department', 'TMPDEPT4', '临时专班丁');
    expect((await admin.post(`/api/v1/org/units/${dept}/close`, { validTo: '2026-06-30', reason: '专班撤销' })).statusCode).toBe(200);
    const user = await admin.post('/api/v1/admin/users', { username: 'zhuanban-1', name: '专班人员' });
    const uid = user.json().user.id;
    const before = await countRows(t.db, 'staff_posts');
    const res = await admin.post(`/api/v1/admin/users/${uid}/posts`, { orgUnitId: dept, post: 'staff', validFrom: '2026-07-01' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('UNIT_CLOSED');
    expect(await countRows(t.db, 'staff_posts')).toBe(before);
    // While the unit still ran, a post could start there.
    expect((await admin.post(`/api/v1/admin/users/${uid}/posts`, { orgUnitId: dept, post: 'staff', validFrom: '2026-03-01', validTo: '2026-06-30' })).statusCode).toBe(201);
  });
});

describe('concurrent org writes', () => {
  it('two concurrent creates of the same unit code → one 201, one 409 ORG_CODE_TAKEN (never 500), one unit written', async () => {
    const community = await unitByName('洗面桥横街社区');
    const before = await countRows(t.db, 'org_units');
    const body = { parentId: community.id, kind: 'grid', code: '510107013003G08', name: '洗面桥横街社区第8网格', validFrom: '2026-01-01' };
    const results = await Promise.all([admin.post('/api/v1/org/units', body), admin.post('/api/v1/org/units', body)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(errorOf(results.find((r) => r.statusCode === 409)!).code).toBe('ORG_CODE_TAKEN');
    expect(await countRows(t.db, 'org_units')).toBe(before + 1);
  });
});
