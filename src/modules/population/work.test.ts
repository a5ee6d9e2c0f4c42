import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';
import { pop } from './schema.js';

/**
 * The street's work around the registry: three-level patrols (三级巡查), spot re-checks (倒查) and
 * the error reports they send to the police, the monthly ranking and reward, grid incidents and the
 * grid map — each test named after its rule.
 */
let t: TestApp;
let wg: Client; let zhan: Client; let liuguan: Client; let police: Client; let admin: Client;
let shGrid1: string;

const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const daysAgo = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const month = officeToday().slice(0, 7);

beforeAll(async () => {
  t = await testApp();
  [wg, zhan, liuguan, police, admin] = await Promise.all(['wangge-sh-1', 'zhan-sh', 'liuguan', 'paichusuo', 'admin'].map((u) => t.login(u)));
  shGrid1 = await unitId('蜀汉街社区第1网格');
});
afterAll(async () => { await t?.close(); });

const newRental = async () => (await wg.post('/api/v1/population/houses', { gridId: shGrid1, address: `蜀汉路${Math.floor(Math.random() * 1e6)}号`, ownerName: '贺志强', rental: true })).json();

describe('three-level patrols', () => {
  it('a rental house not patrolled within the pack interval (grid: 14 days) is due; a patrol clears it', async () => {
    const house = await newRental();
    const due = (await wg.get('/api/v1/population/patrols/due?level=grid')).json();
    expect(due.intervals).toEqual({ street: 7, station: 14, grid: 14 });
    expect(due.items.find((i: { houseId: string }) => i.houseId === house.id)).toMatchObject({ level: 'grid', lastPatrolledOn: null });
    const p = await wg.post('/api/v1/population/patrols', {
      level: 'grid', targetUnitId: shGrid1, houseId: house.id, patrolledOn: officeToday(), checked: '出租房屋登记、消防通道', findings: '新增租户 1 人', arrivalsFound: 1, departuresFound: 0,
    });
    expect(p.statusCode, p.body).toBe(201);
    const after = (await wg.get('/api/v1/population/patrols/due?level=grid')).json();
    expect(after.items.find((i: { houseId: string }) => i.houseId === house.id)).toBeUndefined();
  });

  it('a patrol is a written record: findings are required, and a grid worker patrol names a rental house of that grid', async () => {
    const house = await newRental();
    const base = { level: 'grid', targetUnitId: shGrid1, houseId: house.id, patrolledOn: officeToday(), checked: '登记情况' };
    expect((await wg.post('/api/v1/population/patrols', base)).statusCode).toBe(400);
    const { houseId: _h, ...noHouse } = base;
    expect(errorOf(await wg.post('/api/v1/population/patrols', { ...noHouse, findings: '无异常' })).code).toBe('HOUSE_REQUIRED');
    expect(errorOf(await wg.post('/api/v1/population/patrols', { ...base, findings: '无异常', patrolledOn: '2099-01-01' })).code).toBe('FUTURE_DATE');
    // A grid worker cannot record the street's patrol of a station.
    expect((await wg.post('/api/v1/population/patrols', { ...noHouse, level: 'street', targetUnitId: await unitId('蜀汉街社区'), findings: '—' })).statusCode).toBe(403);
  });

  it('the street patrols each community station weekly: a station last visited 8 days ago is overdue', async () => {
    const community = await unitId('蜀汉街社区');
    const p = await liuguan.post('/api/v1/population/patrols', { level: 'street', targetUnitId: community, patrolledOn: daysAgo(8), checked: '台账、例会记录', findings: '台账齐全' });
    expect(p.statusCode, p.body).toBe(201);
    const due = (await liuguan.get('/api/v1/population/patrols/due?level=street&overdueOnly=true')).json();
    expect(due.items.find((i: { targetUnitId: string }) => i.targetUnitId === community)).toMatchObject({ lastPatrolledOn: daysAgo(8), dueOn: daysAgo(1), overdue: true, overdueDays: 1 });
    await liuguan.post('/api/v1/population/patrols', { level: 'street', targetUnitId: community, patrolledOn: officeToday(), checked: '台账', findings: '无' });
    const now = (await liuguan.get('/api/v1/population/patrols/due?level=street&overdueOnly=true')).json();
    expect(now.items.find((i: { targetUnitId: string }) => i.targetUnitId === community)).toBeUndefined();
  });
});

describe('re-checks and error reports', () => {
  it('a non-correct re-check result reaches the street and the police, who acknowledge it once', async () => {
    const p = (await wg.post('/api/v1/population/persons', { idNumber: nextResidentId(), name: '邓子涵', gridId: shGrid1, arrivedOn: daysAgo(3) })).json();
    // Collected by the grid worker, waiting for the station's entry (000:27).
    const record = (await zhan.get('/api/v1/population/records?status=collected&pageSize=200')).json().items.find((r: { personId: string }) => r.personId === p.id);
    const scheduled = await zhan.post('/api/v1/population/rechecks', { recordId: record.id, scheduledOn: officeToday() });
    expect(scheduled.statusCode, scheduled.body).toBe(201);
    expect(errorOf(await zhan.post(`/api/v1/population/rechecks/${scheduled.json().id}/result`, { doneOn: officeToday(), result: 'concealment' })).code).toBe('NOTES_REQUIRED');
    const done = await zhan.post(`/api/v1/population/rechecks/${scheduled.json().id}/result`, { doneOn: officeToday(), result: 'concealment', notes: '实际居住 3 人，登记 1 人' });
    expect(done.statusCode, done.body).toBe(200);
    for (const c of [liuguan, police]) {
      const reports = (await c.get('/api/v1/population/rechecks?problems=true&pageSize=200')).json();
      expect(reports.items.find((r: { id: string }) => r.id === scheduled.json().id)).toMatchObject({ result: 'concealment', policeAcknowledgedAt: null });
    }
    expect((await zhan.post(`/api/v1/population/rechecks/${scheduled.json().id}/acknowledge`, {})).statusCode).toBe(403);
    expect((await police.post(`/api/v1/population/rechecks/${scheduled.json().id}/acknowledge`, {})).statusCode).toBe(200);
    expect(errorOf(await police.post(`/api/v1/population/rechecks/${scheduled.json().id}/acknowledge`, {})).code).toBe('ALREADY_ACKNOWLEDGED');
  });
});

describe('work counters and ranking', () => {
  it('collected / passed are counted for the collector, entered for the clerk who entered it, per month; the top N get the pack rates (0.5 / 1 / 1.5 yuan)', async () => {
    const before = (await wg.get(`/api/v1/population/work-counters?month=${month}`)).json().items.find((i: { name: string }) => i.name)
      ?? { collected: 0, entered: 0, passed: 0 };
    const p = (await wg.post('/api/v1/population/persons', { idNumber: nextResidentId(), name: '韩雨桐', gridId: shGrid1, arrivedOn: daysAgo(1) })).json();
    const record = (await zhan.get('/api/v1/population/records?status=collected&pageSize=200')).json().items.find((r: { personId: string }) => r.personId === p.id);
    // 000:27 — the station enters what the grid worker collected: the entry is the clerk's work, not the collector's.
    expect((await zhan.post(`/api/v1/population/records/${record.id}/enter`, {})).statusCode).toBe(200);
    await zhan.post(`/api/v1/population/records/${record.id}/review`, { decision: 'pass' });
    const mine = (await wg.get(`/api/v1/population/work-counters?month=${month}`)).json().items;
    const me = mine.find((i: { gridId: string }) => i.gridId === shGrid1);
    expect(me.collected).toBe(before.collected + 1);
    expect(me.entered).toBe(before.entered);
    expect(me.passed).toBe(before.passed + 1);

    const ranking = (await liuguan.get(`/api/v1/population/ranking?month=${month}`)).json();
    expect(ranking.rates).toEqual({ collectedFen: 50, enteredFen: 100, passedFen: 150, topN: 3, crimeLeadFen: 0 });
    for (const i of ranking.items) {
      expect(i.rewardFen).toBe(i.rank <= 3 ? i.collected * 50 + i.entered * 100 + i.passed * 150 : 0);
    }
    const sorted = [...ranking.items].sort((a, b) => b.passed - a.passed || b.entered - a.entered || b.collected - a.collected);
    expect(ranking.items.map((i: { id: string }) => i.id)).toEqual(sorted.map((i) => i.id));
    expect((await wg.get(`/api/v1/population/ranking?month=${month}`)).statusCode).toBe(403);
  });

  it('the ranked level is the pack\'s: at grid_worker only holders of a 网格员 post are ranked (zero work included, no reward for it); at community, communities', async () => {
    // The station clerk and the 流管办 collect too this month: their work is counted, but they are not grid workers.
    const xmqGrid3 = await unitId('洗面桥社区第3网格');
    for (const [c, gridId, name] of [[zhan, shGrid1, '司马清'], [liuguan, xmqGrid3, '欧阳澈']] as const) {
      const p = await c.post('/api/v1/population/persons', { idNumber: nextResidentId(), name, gridId, arrivedOn: daysAgo(1) });
      expect(p.statusCode, p.body).toBe(201);
    }
    const users = await t.db.selectFrom('users').select(['id', 'username']).execute();
    const idOf = (u: string) => users.find((x) => x.username === u)!.id;
    const workers = new Set((await t.db.selectFrom('staff_posts').select('user_id').where('post', '=', 'grid_worker').execute()).map((p) => p.user_id));
    const ranking = (await liuguan.get(`/api/v1/population/ranking?month=${month}`)).json();
    expect(ranking.level).toBe('grid_worker');
    const ids = ranking.items.map((i: { id: string }) => i.id);
    expect(ids.every((id: string) => workers.has(id))).toBe(true);
    expect(ids).not.toContain(idOf('zhan-sh'));
    expect(ids).not.toContain(idOf('liuguan'));
    for (const u of ['wangge-sh-1', 'wangge-sh-2', 'wangge-xmq-1']) expect(ids).toContain(idOf(u));
    expect(ranking.items.find((i: { id: string }) => i.id === idOf('wangge-sh-2')).gridName).toBe('蜀汉街社区第2网格');
    // A month nobody has worked yet (the next one): every grid worker is listed with zeros, and nobody is paid.
    const [y, m] = month.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    const empty = (await liuguan.get(`/api/v1/population/ranking?month=${next}`)).json();
    expect(empty.items.map((i: { id: string }) => i.id).sort()).toEqual([...workers].sort());
    expect(empty.items.every((i: { rewarded: boolean; rewardFen: number }) => !i.rewarded && i.rewardFen === 0)).toBe(true);

    const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
    doc.population.reward.rankedLevel = 'community';
    const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '按社区排名', decisionRef: '测试〔2026〕9号', effectiveFrom: officeToday() });
    expect(v.statusCode, v.body).toBe(201);
    const byCommunity = (await liuguan.get(`/api/v1/population/ranking?month=${month}`)).json();
    expect(byCommunity.level).toBe('community');
    const communities = await t.db.selectFrom('org_units').select('id').where('kind', '=', 'community').execute();
    expect(byCommunity.items.map((i: { id: string }) => i.id).sort()).toEqual(communities.map((c) => c.id).sort());
    doc.population.reward.rankedLevel = 'grid_worker';
    await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '恢复按网格员排名', decisionRef: '测试〔2026〕10号', effectiveFrom: officeToday() });
  });
});

describe('grid incidents', () => {
  it('an incident is reported, dispatched by the station, handled and closed with a resolution; each step is kept', async () => {
    const inc = await wg.post('/api/v1/population/incidents', { gridId: shGrid1, category: 'place', title: '楼道堆放杂物', description: '3 栋 2 单元楼道堆放纸箱，影响消防通道', location: '蜀汉路 3 栋', lat: 30.65, lng: 104.04 });
    expect(inc.statusCode, inc.body).toBe(201);
    const id = inc.json().id;
    expect((await wg.post(`/api/v1/population/incidents/${id}/dispatch`, { assigneeId: inc.json().reportedBy })).statusCode).toBe(403);
    const wgUser = inc.json().reportedBy;
    expect((await zhan.post(`/api/v1/population/incidents/${id}/dispatch`, { assigneeId: wgUser })).json().status).toBe('dispatched');
    expect((await wg.post(`/api/v1/population/incidents/${id}/handle`, { note: '已联系物业清理' })).json().status).toBe('handling');
    expect(errorOf(await zhan.post(`/api/v1/population/incidents/${id}/close`, {})).code).toBe('RESOLUTION_REQUIRED');
    expect((await zhan.post(`/api/v1/population/incidents/${id}/close`, { resolution: '杂物已清理' })).json().status).toBe('closed');
    expect(errorOf(await zhan.post(`/api/v1/population/incidents/${id}/close`, { resolution: '再次' })).code).toBe('INVALID_STATE');
    const detail = (await wg.get(`/api/v1/population/incidents/${id}`)).json();
    expect(detail.actions.map((a: { action: string }) => a.action)).toEqual(['report', 'dispatch', 'handle', 'close']);
    const rates = (await zhan.get('/api/v1/population/incidents/rates')).json().items;
    expect(rates.find((r: { gridId: string }) => r.gridId === shGrid1).closed).toBeGreaterThanOrEqual(1);
  });

  it('the station dispatches to someone it may choose (the grid worker, the station, itself), named in the list; the grid worker handles it', async () => {
    const P = '/api/v1/population/incidents';
    const id = (await wg.post(P, { gridId: shGrid1, category: 'object', title: '路灯不亮', description: '蜀汉路 12 号门前路灯不亮' })).json().id;
    expect((await wg.get(`${P}/${id}/assignees`)).statusCode).toBe(403);
    const assignees = (await zhan.get(`${P}/${id}/assignees`)).json().items as { userId: string; name: string; post: string; unitName: string | null }[];
    expect(assignees[0]).toMatchObject({ name: '张伟', post: 'grid_worker', unitName: '蜀汉街社区第1网格' });
    expect(assignees.map((a) => a.name)).toContain('刘婷');
    expect(assignees.map((a) => a.name)).not.toContain('林芳'); // 洗面桥's grid worker
    const wgId = assignees[0]!.userId;
    const listed = () => wg.get(`${P}?gridId=${shGrid1}&pageSize=100`).then((r) => r.json().items.find((i: { id: string }) => i.id === id));
    expect(await listed()).toMatchObject({ status: 'reported', reporterName: '张伟', assigneeName: null });
    expect((await zhan.post(`${P}/${id}/dispatch`, { assigneeId: wgId, note: '请今日处理' })).json()).toMatchObject({ status: 'dispatched', assigneeName: '张伟' });
    expect(await listed()).toMatchObject({ status: 'dispatched', assigneeName: '张伟' });
    expect((await wg.post(`${P}/${id}/handle`, { note: '已报修' })).json().status).toBe('handling');
    expect((await zhan.post(`${P}/${id}/close`, { resolution: '路灯已修复' })).json()).toMatchObject({ status: 'closed', resolution: '路灯已修复' });
    const detail = (await zhan.get(`${P}/${id}`)).json();
    expect(detail.actions.map((a: { action: string; actorName: string; note: string | null }) => [a.action, a.actorName, a.note]))
      .toEqual([['report', '张伟', null], ['dispatch', '刘婷', '请今日处理'], ['handle', '张伟', '已报修'], ['close', '刘婷', '路灯已修复']]);
  });
});

describe('grid map', () => {
  it('the schematic keeps the communities in their relative places, each grid a named cell inside its community, with its live migrant count', async () => {
    const map = (await liuguan.get('/api/v1/population/map')).json();
    expect(map.source).toBe('schematic');
    type Box = { x: number; y: number; w: number; h: number };
    type Grid = Box & { id: string; name: string; migrants: number };
    const communities = map.schematic.communities as (Box & { name: string; grids: Grid[] })[];
    const byName = new Map(communities.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['凉水井街社区', '大石东路社区', '洗面桥横街社区', '洗面桥社区', '蜀汉街社区']);
    const [sh, lsj, dsdl, xmq, xmqhj] = ['蜀汉街社区', '凉水井街社区', '大石东路社区', '洗面桥社区', '洗面桥横街社区'].map((n) => byName.get(n)!);
    // The stored places: 蜀汉街 and 凉水井街 north, 大石东路 south-west, 洗面桥 south, 洗面桥横街 east.
    expect(sh!.y + sh!.h).toBeLessThanOrEqual(dsdl!.y);
    expect(sh!.x + sh!.w).toBeLessThanOrEqual(lsj!.x);
    expect(lsj!.y + lsj!.h).toBeLessThanOrEqual(xmq!.y);
    for (const c of [sh, lsj, dsdl, xmq]) expect(c!.x + c!.w).toBeLessThanOrEqual(xmqhj!.x);
    for (const c of communities) {
      expect(c.grids).toHaveLength(7);
      for (const g of c.grids) {
        expect(g.name.startsWith(c.name)).toBe(true);
        expect(g.x).toBeGreaterThanOrEqual(c.x);
        expect(g.y).toBeGreaterThanOrEqual(c.y);
        expect(g.x + g.w).toBeLessThanOrEqual(c.x + c.w + 1e-9);
        expect(g.y + g.h).toBeLessThanOrEqual(c.y + c.h + 1e-9);
      }
      // No two cells of a community overlap.
      for (const [i, a] of c.grids.entries()) for (const b of c.grids.slice(i + 1)) {
        expect(a.x + a.w <= b.x + 1e-9 || b.x + b.w <= a.x + 1e-9 || a.y + a.h <= b.y + 1e-9 || b.y + b.h <= a.y + 1e-9, `${a.name} / ${b.name}`).toBe(true);
      }
    }
    const live = await pop(t.db).selectFrom('population_counters').select(['grid_id', 'migrants']).execute();
    const g1 = sh!.grids.find((g) => g.name === '蜀汉街社区第1网格')!;
    expect(g1.migrants).toBe(live.find((r) => r.grid_id === g1.id)?.migrants ?? 0);
    // A grid worker sees only their own community, with only their own grid.
    const mine = (await wg.get('/api/v1/population/map')).json().schematic.communities;
    expect(mine.map((c: { name: string; grids: Grid[] }) => [c.name, c.grids.map((g) => g.name)])).toEqual([['蜀汉街社区', ['蜀汉街社区第1网格']]]);
  });

  it('the schematic map has one feature per grid in scope; an uploaded GeoJSON must name known grids', async () => {
    const street = (await liuguan.get('/api/v1/population/map')).json();
    expect(street.source).toBe('schematic');
    expect(street.geojson.features).toHaveLength(35);
    expect((await wg.get('/api/v1/population/map')).json().geojson.features).toHaveLength(1);
    const bad = await liuguan.post('/api/v1/population/map', { geojson: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'nope' }, geometry: { type: 'Polygon', coordinates: [] } }] } });
    expect(errorOf(bad).code).toBe('INVALID_GEOJSON');
    const f = street.geojson.features[0];
    const ok = await liuguan.post('/api/v1/population/map', { geojson: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: f.properties.code }, geometry: f.geometry }] }, note: '测绘成果' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect((await liuguan.get('/api/v1/population/map')).json()).toMatchObject({ source: 'uploaded', note: '测绘成果', schematic: null });
    expect((await zhan.post('/api/v1/population/map', { geojson: { type: 'FeatureCollection', features: [] } })).statusCode).toBe(403);
    void admin;
  });
});

describe('never-patrolled rental houses', () => {
  it('a rental house never patrolled is due one interval after it was added (从未巡查), not overdue at once; overdue ones come first', async () => {
    const fresh = await newRental();
    const old = await newRental();
    const patrolledLongAgo = await newRental();
    // Registered 20 days ago and never patrolled: due 6 days ago.
    await t.db.updateTable('houses' as never).set({ created_at: new Date(Date.parse(`${daysAgo(20)}T04:00:00Z`)) } as never).where('id' as never, '=', old.id).execute();
    await wg.post('/api/v1/population/patrols', { level: 'grid', targetUnitId: shGrid1, houseId: patrolledLongAgo.id, patrolledOn: daysAgo(20), checked: '登记情况', findings: '无异常' });
    const due = (await wg.get('/api/v1/population/patrols/due?level=grid')).json();
    const find = (id: string) => due.items.findIndex((i: { houseId: string }) => i.houseId === id);
    expect(due.items[find(fresh.id)]).toMatchObject({ neverPatrolled: true, lastPatrolledOn: null, since: officeToday(), dueOn: daysAgo(-14), overdue: false, overdueDays: 0 });
    expect(due.items[find(old.id)]).toMatchObject({ neverPatrolled: true, since: daysAgo(20), dueOn: daysAgo(6), overdue: true, overdueDays: 6 });
    expect(due.items[find(patrolledLongAgo.id)]).toMatchObject({ neverPatrolled: false, lastPatrolledOn: daysAgo(20), dueOn: daysAgo(6), overdue: true, overdueDays: 6 });
    // Overdue first, then by due date.
    const flags = due.items.map((i: { overdue: boolean }) => i.overdue);
    expect(flags.indexOf(false) === -1 || flags.lastIndexOf(true) < flags.indexOf(false)).toBe(true);
    expect(find(old.id)).toBeLessThan(find(fresh.id));
    const overdueOnly = (await wg.get('/api/v1/population/patrols/due?level=grid&overdueOnly=true')).json();
    expect(overdueOnly.items.some((i: { houseId: string }) => i.houseId === fresh.id)).toBe(false);
    expect(overdueOnly.items.some((i: { houseId: string }) => i.houseId === old.id)).toBe(true);
  });
});

describe('re-check lookback', () => {
  it('the queue tells which period a re-check samples (policy recheckLookbackDays); an older record is not re-checkable', async () => {
    const recent = (await wg.post('/api/v1/population/persons', { idNumber: nextResidentId(), name: '令狐安', gridId: shGrid1, arrivedOn: daysAgo(3) })).json();
    const oldOne = (await wg.post('/api/v1/population/persons', {
      idNumber: nextResidentId(), name: '令狐旧', gridId: shGrid1, arrivedOn: daysAgo(120), collectedAt: new Date(Date.parse(`${daysAgo(100)}T04:00:00Z`)).toISOString(),
    })).json();
    const queue = (await zhan.get('/api/v1/population/records?status=collected&pageSize=200')).json();
    expect(queue).toMatchObject({ recheckLookbackDays: 90, recheckFrom: daysAgo(90) });
    const rec = (id: string) => queue.items.find((r: { personId: string }) => r.personId === id);
    expect(rec(recent.id).recheckable).toBe(true);
    expect(rec(oldOne.id).recheckable).toBe(false);
    const tooOld = await zhan.post('/api/v1/population/rechecks', { recordId: rec(oldOne.id).id, scheduledOn: officeToday() });
    expect(errorOf(tooOld).code).toBe('RECORD_TOO_OLD');
    expect(errorOf(tooOld).message).toContain(daysAgo(90));
    const rechecks = (await zhan.get('/api/v1/population/rechecks')).json();
    expect(rechecks).toMatchObject({ lookbackDays: 90, lookbackFrom: daysAgo(90) });
  });
});
