import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let shuji: Client;
/** Every unit of the demo street by name (shuji sees all of it). */
const unitByName = new Map<string, Unit>();

interface Unit { id: string; parentId: string | null; kind: string; code: string; name: string; children: Unit[] }
const flatten = (nodes: Unit[]): Unit[] => nodes.flatMap((n) => [n, ...flatten(n.children)]);
const idOf = (name: string): string => {
  const u = unitByName.get(name);
  if (!u) throw new Error(`no unit ${name}`);
  return u.id;
};
const COMMUNITIES = ['蜀汉街社区', '洗面桥社区', '洗面桥横街社区', '大石东路社区', '凉水井街社区'];
const KEY_GRIDS = ['洗面桥社区第6网格', '大石东路社区第1网格', '凉水井街社区第2网格'];

beforeAll(async () => {
  t = await testApp();
  shuji = await t.login('shuji');
  const tree = (await shuji.get('/api/v1/org/tree')).json().items as Unit[];
  for (const u of flatten(tree)) unitByName.set(u.name, u);
});
afterAll(async () => { await t?.close(); });

const detail = async (c: Client, name: string) => {
  const res = await c.get(`/api/v1/org/units/${idOf(name)}`);
  expect(res.statusCode).toBe(200);
  return res.json();
};
const flagCodes = (d: { flags: { code: string }[] }) => d.flags.map((f) => f.code);

describe('visible org tree per role', () => {
  it('the party secretary sees the whole street: 5 communities, 35 grids, 11 police areas, 7 departments, the service hall, 10 collection points', async () => {
    const tree = (await shuji.get('/api/v1/org/tree')).json().items as Unit[];
    expect(tree).toHaveLength(1);
    expect(tree[0]).toMatchObject({ kind: 'street', name: '浆洗街街道', parentId: null, code: '510107013' });
    const all = flatten(tree);
    const count = (kind: string) => all.filter((u) => u.kind === kind).length;
    expect(count('community')).toBe(5);
    expect(count('grid')).toBe(35);
    expect(count('police_area')).toBe(11);
    expect(count('department')).toBe(7);
    expect(count('service_hall')).toBe(1);
    expect(count('collection_point')).toBe(10);
    expect(all).toHaveLength(1 + 5 + 35 + 11 + 7 + 1 + 10);
    expect(tree[0]!.children.filter((c) => c.kind === 'community').map((c) => c.name)).toEqual(COMMUNITIES);
    expect(tree[0]!.children.filter((c) => c.kind === 'department').map((c) => c.name))
      .toEqual(['党政办', '财政所', '流管办', '社区建设科', '城管科', '社会事务科', '纪工委']);
    // Grids are children of communities, 7 each; every node's parentId is its parent in the nesting.
    for (const c of tree[0]!.children.filter((u) => u.kind === 'community')) {
      expect(c.children.filter((g) => g.kind === 'grid').map((g) => g.name)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `${c.name}第${i}网格`));
    }
    const check = (n: Unit) => { for (const ch of n.children) { expect(ch.parentId).toBe(n.id); check(ch); } };
    check(tree[0]!);
  });

  it('a grid worker sees only the path street → 蜀汉街社区 → own grid', async () => {
    const c = await t.login('wangge-sh-1');
    const tree = (await c.get('/api/v1/org/tree')).json().items as Unit[];
    expect(tree.map((u) => u.name)).toEqual(['浆洗街街道']);
    expect(tree[0]!.children.map((u) => u.name)).toEqual(['蜀汉街社区']);
    expect(tree[0]!.children[0]!.children.map((u) => u.name)).toEqual(['蜀汉街社区第1网格']);
    expect(tree[0]!.children[0]!.children[0]!.children).toEqual([]);
    expect(flatten(tree)).toHaveLength(3);
  });

  it('a community station clerk sees 蜀汉街社区 with its 7 grids (and its police areas and collection points), no other community', async () => {
    const c = await t.login('zhan-sh');
    const tree = (await c.get('/api/v1/org/tree')).json().items as Unit[];
    expect(tree.map((u) => u.name)).toEqual(['浆洗街街道']);
    expect(tree[0]!.children.map((u) => u.name)).toEqual(['蜀汉街社区']);
    const sh = tree[0]!.children[0]!;
    expect(sh.children.filter((u) => u.kind === 'grid').map((u) => u.name)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `蜀汉街社区第${i}网格`));
    expect(sh.children.filter((u) => u.kind === 'police_area').map((u) => u.name)).toEqual(['蜀汉街社区第1警务区', '蜀汉街社区第2警务区']);
    expect(sh.children.filter((u) => u.kind === 'collection_point')).toHaveLength(2);
    expect(flatten(tree)).toHaveLength(1 + 1 + 7 + 2 + 2);
  });

  it('the tree needs a login: 401 UNAUTHENTICATED', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/org/tree' });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).code).toBe('UNAUTHENTICATED');
  });
});

describe('unit detail and data scope', () => {
  it('a grid outside the caller\'s scope is 404 NOT_FOUND, indistinguishable from a unit that does not exist', async () => {
    const c = await t.login('wangge-sh-1');
    const outside = await c.get(`/api/v1/org/units/${idOf('蜀汉街社区第2网格')}`);
    expect(outside.statusCode).toBe(404);
    const missing = await c.get('/api/v1/org/units/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(errorOf(outside)).toEqual(errorOf(missing));
    expect(errorOf(outside).code).toBe('NOT_FOUND');
    expect(outside.body).not.toContain('蜀汉街社区第2网格');
    // Another community's grid and a police area of the own community are just as absent.
    expect((await c.get(`/api/v1/org/units/${idOf('洗面桥社区第1网格')}`)).statusCode).toBe(404);
    expect((await c.get(`/api/v1/org/units/${idOf('蜀汉街社区第1警务区')}`)).statusCode).toBe(404);
  });

  it('the own grid answers with its figures, parent and staff', async () => {
    const c = await t.login('wangge-sh-1');
    const d = await detail(c, '蜀汉街社区第1网格');
    expect(d).toMatchObject({ kind: 'grid', name: '蜀汉街社区第1网格', parentId: idOf('蜀汉街社区'), parentName: '蜀汉街社区' });
    expect(d.survey).toMatchObject({ residents: 2259, migrants: 1287, houses: 826, rentals: 135 });
    expect(d.staff).toEqual([expect.objectContaining({ name: '张伟', post: 'grid_worker', primary: true })]);
  });

  it('an ancestor shown for context reveals no staff', async () => {
    const c = await t.login('wangge-sh-1');
    const community = await detail(c, '蜀汉街社区');
    expect(community.staff).toEqual([]);
    // The same unit, seen by someone whose scope covers it, lists its staff.
    const full = await detail(shuji, '蜀汉街社区');
    expect(full.staff.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['刘婷', '孙海燕']));
  });

  it('an ancestor visible only as context shows id, kind, code, name, parent and validity — no figures, flags, links or staff', async () => {
    // inScope: false lets the page say why there is nothing here (not an empty 暂无数据).
    const context = { inScope: false, survey: null, ratios: null, classification: null, flags: [], links: [], staff: [] };
    const keys = ['classification', 'code', 'flags', 'id', 'inScope', 'kind', 'links', 'name', 'parentId', 'parentName', 'ratios', 'staff', 'survey', 'validFrom', 'validTo'];
    const wangge = await t.login('wangge-sh-1');
    const zhan = await t.login('zhan-sh');
    // The street is context for both; 蜀汉街社区 is context for the grid worker only.
    const street = { id: idOf('浆洗街街道'), kind: 'street', code: '510107013', name: '浆洗街街道', parentId: null, parentName: null };
    const community = { id: idOf('蜀汉街社区'), kind: 'community', code: unitByName.get('蜀汉街社区')!.code, name: '蜀汉街社区', parentId: street.id, parentName: '浆洗街街道' };
    for (const [c, unit] of [[wangge, street], [wangge, community], [zhan, street]] as const) {
      const d = await detail(c, unit.name);
      expect(d, `${c.username} ${unit.name}`).toEqual({ ...context, ...unit, validFrom: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), validTo: null });
      expect(Object.keys(d).sort()).toEqual(keys);
    }
    // No CHILD_SUMS_DIFFER summing communities outside the station clerk's scope; the street's figures stay with those who cover it.
    expect(flagCodes(await detail(shuji, '浆洗街街道'))).toContain('CHILD_SUMS_DIFFER');
    expect((await detail(shuji, '浆洗街街道')).survey).not.toBeNull();
    // Units inside the scope keep their figures.
    const own = await detail(zhan, '蜀汉街社区');
    expect(own.survey).not.toBeNull();
    expect(own.ratios).not.toBeNull();
    expect((await detail(wangge, '蜀汉街社区第1网格')).classification).toMatchObject({ kind: 'regular' });
  });

  it('links list only units the caller may see: a grid worker (本单位) sees no police area; the station clerk sees it', async () => {
    const wangge = await t.login('wangge-sh-1');
    expect((await detail(wangge, '蜀汉街社区第1网格')).links).toEqual([]);
    const zhan = await t.login('zhan-sh');
    expect((await detail(zhan, '蜀汉街社区第1网格')).links.map((l: { name: string }) => l.name)).toEqual(['蜀汉街社区第1警务区']);
    expect((await detail(zhan, '蜀汉街社区第1警务区')).links.map((l: { name: string }) => l.name)).toEqual([1, 2, 3, 4].map((i) => `蜀汉街社区第${i}网格`));
  });

  it('GET /org/units/:id/history: a unit outside the caller\'s scope → 404, indistinguishable from an unknown id', async () => {
    const wangge = await t.login('wangge-sh-1');
    const missing = await wangge.get('/api/v1/org/units/00000000-0000-4000-8000-000000000000/history');
    expect(missing.statusCode).toBe(404);
    // Another grid of the own community, another community's grid, and an ancestor shown only as context.
    for (const name of ['蜀汉街社区第2网格', '洗面桥社区第1网格', '蜀汉街社区', '浆洗街街道']) {
      const res = await wangge.get(`/api/v1/org/units/${idOf(name)}/history`);
      expect(res.statusCode, name).toBe(404);
      expect(errorOf(res)).toEqual(errorOf(missing));
    }
    expect((await wangge.get(`/api/v1/org/units/${idOf('蜀汉街社区第1网格')}/history`)).json()).toEqual({ items: [] });
    const zhan = await t.login('zhan-sh');
    expect((await zhan.get(`/api/v1/org/units/${idOf('洗面桥社区第1网格')}/history`)).statusCode).toBe(404);
    expect((await zhan.get(`/api/v1/org/units/${idOf('蜀汉街社区第2网格')}/history`)).statusCode).toBe(200);
    expect((await shuji.get('/api/v1/org/units/00000000-0000-4000-8000-000000000000/history')).statusCode).toBe(404);
  });

  it('seed figures: 蜀汉街社区第1网格 has 2259 residents, 1287 migrants, 826 houses, 135 rentals as of 2011-07-31', async () => {
    const d = await detail(shuji, '蜀汉街社区第1网格');
    expect(d.survey).toEqual({ areaKm2: 0.051, streets: 3, residents: 2259, migrants: 1287, houses: 826, rentals: 135, shops: 36, employers: 8, asOf: '2011-07-31' });
    expect(d.ratios.migrantShare).toBeCloseTo(1287 / (2259 + 1287), 10);
    expect(d.ratios.rentalShare).toBeCloseTo(135 / 826, 10);
    const street = await detail(shuji, '浆洗街街道');
    expect(street.survey).toMatchObject({ residents: 43861, migrants: 18916, houses: 21426, rentals: 4174, asOf: '2011-07-31' });
    expect(street.classification).toBeNull();
  });

  it('the 3 designated key grids are classified key with a reason; the other 32 grids are regular', async () => {
    const grids = [...unitByName.values()].filter((u) => u.kind === 'grid');
    expect(grids).toHaveLength(35);
    for (const g of grids) {
      const d = await detail(shuji, g.name);
      if (KEY_GRIDS.includes(g.name)) {
        expect(d.classification).toMatchObject({ kind: 'key', designated: true });
        expect(d.classification.reason).toMatch(/\S{4,}/);
      } else {
        expect(d.classification, g.name).toMatchObject({ kind: 'regular', designated: false });
        expect(d.classification.reason).toBeUndefined();
      }
    }
  });

  it('flag RENTALS_EXCEED_HOUSES on 洗面桥横街社区第3网格 and 第4网格, not on a grid with fewer rentals than houses', async () => {
    for (const name of ['洗面桥横街社区第3网格', '洗面桥横街社区第4网格']) {
      const d = await detail(shuji, name);
      expect(d.survey.rentals).toBeGreaterThan(d.survey.houses);
      expect(flagCodes(d)).toContain('RENTALS_EXCEED_HOUSES');
    }
    expect(flagCodes(await detail(shuji, '洗面桥横街社区第2网格'))).not.toContain('RENTALS_EXCEED_HOUSES');
  });

  it('flag CHILD_SUMS_DIFFER on 洗面桥社区, whose grids do not add up to the community figures', async () => {
    const d = await detail(shuji, '洗面桥社区');
    expect(flagCodes(d)).toContain('CHILD_SUMS_DIFFER');
    const flag = d.flags.find((f: { code: string }) => f.code === 'CHILD_SUMS_DIFFER');
    expect(flag.message).toContain('常住人口 下级合计 8560 ≠ 本级 8738');
    expect(d.classification).toBeNull();
  });

  it('凉水井街社区第7网格 (0 residents, 496 migrants, 0 houses) carries ZERO_HOUSES but not ZERO_POPULATION', async () => {
    const d = await detail(shuji, '凉水井街社区第7网格');
    expect(d.survey).toMatchObject({ residents: 0, migrants: 496, houses: 0, rentals: 0 });
    expect(flagCodes(d)).toContain('ZERO_HOUSES');
    expect(flagCodes(d)).not.toContain('ZERO_POPULATION');
    expect(d.ratios).toEqual({ migrantShare: 1, rentalShare: null });
  });

  it('a non-key grid failing the regular criterion carries REGULAR_CRITERION_NOT_MET (洗面桥社区第7网格: migrants 75 %, rentals 61 %)', async () => {
    const d = await detail(shuji, '洗面桥社区第7网格');
    expect(d.ratios.migrantShare).toBeCloseTo(2895 / (983 + 2895), 6);
    expect(d.ratios.rentalShare).toBeCloseTo(1561 / 2572, 6);
    expect(d.classification).toMatchObject({ kind: 'regular', designated: false, meetsRegularCriterion: false });
    expect(flagCodes(d)).toContain('REGULAR_CRITERION_NOT_MET');
  });

  it('police areas link to their grids and grids back to their police area', async () => {
    const grid = await detail(shuji, '蜀汉街社区第1网格');
    expect(grid.links).toEqual([expect.objectContaining({ id: idOf('蜀汉街社区第1警务区'), kind: 'police_area', name: '蜀汉街社区第1警务区' })]);
    const area = await detail(shuji, '蜀汉街社区第1警务区');
    expect(area.links.map((l: { name: string }) => l.name)).toEqual([1, 2, 3, 4].map((i) => `蜀汉街社区第${i}网格`));
    expect(area.links.every((l: { kind: string }) => l.kind === 'grid')).toBe(true);
    const area2 = await detail(shuji, '蜀汉街社区第2警务区');
    expect(area2.links.map((l: { name: string }) => l.name)).toEqual([5, 6, 7].map((i) => `蜀汉街社区第${i}网格`));
  });
});

describe('the regular-grid rule of 000:122 comes from the policy pack', () => {
  it('is "or": 蜀汉街社区第5网格 (migrants ≥ 40 %, rentals < 30 %) is regular; with combine "and" it is flagged, and the key grid flag follows too', async () => {
    const before = await detail(shuji, '蜀汉街社区第5网格');
    expect(before.ratios.migrantShare).toBeGreaterThanOrEqual(0.4);
    expect(before.ratios.rentalShare).toBeLessThan(0.3);
    expect(before.classification.meetsRegularCriterion).toBe(true);
    expect(flagCodes(before)).not.toContain('REGULAR_CRITERION_NOT_MET');
    // 洗面桥社区第6网格 is designated key but meets the "or" criterion (migrants 21 %), and says so.
    const keyBefore = await detail(shuji, '洗面桥社区第6网格');
    expect(flagCodes(keyBefore)).toContain('KEY_GRID_MEETS_REGULAR_CRITERION');

    const admin = await t.login('admin');
    const setCombine = async (combine: 'or' | 'and') => {
      const pack = (await admin.get('/api/v1/policy/packs/street')).json();
      const document = { ...pack.document, grid: { ...pack.document.grid, regular: { ...pack.document.grid.regular, combine } } };
      const res = await admin.post('/api/v1/policy/packs/street/versions', {
        document, reason: `网格分类标准改为 ${combine}`, decisionRef: '浆街办〔2026〕1号', effectiveFrom: '2026-01-01',
      });
      expect(res.statusCode).toBe(201);
    };
    await setCombine('and');
    try {
      const after = await detail(shuji, '蜀汉街社区第5网格');
      expect(after.classification).toMatchObject({ kind: 'regular', meetsRegularCriterion: false });
      expect(flagCodes(after)).toContain('REGULAR_CRITERION_NOT_MET');
      const keyAfter = await detail(shuji, '洗面桥社区第6网格');
      expect(keyAfter.classification).toMatchObject({ kind: 'key', designated: true, meetsRegularCriterion: false });
      expect(flagCodes(keyAfter)).not.toContain('KEY_GRID_MEETS_REGULAR_CRITERION');
      // A grid under both thresholds is regular either way.
      const low = await detail(shuji, '蜀汉街社区第1网格');
      expect(low.classification.meetsRegularCriterion).toBe(true);
    } finally {
      await setCombine('or');
    }
    expect(flagCodes(await detail(shuji, '蜀汉街社区第5网格'))).not.toContain('REGULAR_CRITERION_NOT_MET');
  });
});

describe('GET /org/units', () => {
  it('lists 35 grids for the party secretary and 1 for a grid worker, in the list envelope', async () => {
    const all = await shuji.get('/api/v1/org/units?kind=grid&pageSize=100');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ total: 35, page: 1, pageSize: 100 });
    expect(all.json().items).toHaveLength(35);
    expect(Object.keys(all.json().items[0]).sort()).toEqual(['code', 'id', 'kind', 'name', 'parentId', 'validFrom', 'validTo']);
    const c = await t.login('wangge-sh-1');
    const mine = (await c.get('/api/v1/org/units?kind=grid&pageSize=100')).json();
    expect(mine.total).toBe(1);
    expect(mine.items.map((u: Unit) => u.name)).toEqual(['蜀汉街社区第1网格']);
  });

  it('pages and filters by parent', async () => {
    const p1 = (await shuji.get('/api/v1/org/units?kind=grid&pageSize=20')).json();
    const p2 = (await shuji.get('/api/v1/org/units?kind=grid&pageSize=20&page=2')).json();
    expect(p1.items).toHaveLength(20);
    expect(p2.items).toHaveLength(15);
    expect(new Set([...p1.items, ...p2.items].map((u: Unit) => u.id)).size).toBe(35);
    const zhan = await t.login('zhan-sh');
    const sh = (await zhan.get(`/api/v1/org/units?parentId=${idOf('蜀汉街社区')}&kind=grid`)).json();
    expect(sh.total).toBe(7);
    expect(sh.items.every((u: Unit) => u.parentId === idOf('蜀汉街社区'))).toBe(true);
    const other = (await zhan.get(`/api/v1/org/units?parentId=${idOf('洗面桥社区')}`)).json();
    expect(other).toMatchObject({ items: [], total: 0 });
  });

  it('pageSize above 200, an unknown query parameter, an unknown kind or a non-UUID id → 400 VALIDATION_FAILED', async () => {
    for (const url of [
      '/api/v1/org/units?pageSize=100000',
      '/api/v1/org/units?pageSize=201',
      '/api/v1/org/units?pageSize=0',
      '/api/v1/org/units?color=red',
      '/api/v1/org/units?kind=village',
      '/api/v1/org/units?parentId=not-a-uuid',
      '/api/v1/org/units/not-a-uuid',
      '/api/v1/org/units/123',
      '/api/v1/org/tree?depth=2',
    ]) {
      const res = await shuji.get(url);
      expect(res.statusCode, url).toBe(400);
      expect(errorOf(res).code, url).toBe('VALIDATION_FAILED');
    }
  });
});
