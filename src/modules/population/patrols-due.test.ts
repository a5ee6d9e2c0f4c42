import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { officeToday } from '../../platform/time.js';
import { DUE_HOUSES_LISTED } from './patrols.js';
import { pop } from './schema.js';

/**
 * Issue 7, item 15: the street's list of rental houses due for a patrol lists the most overdue
 * ones, however many houses are due, and its counts are the real ones (it used to take the first
 * 2,000 houses by grid before sorting, and counted only what it listed). Owners are fictional.
 */
let t: TestApp;
let liuguan: Client;
let firstGrid: string; let lastGrid: string;
const P = '/api/v1/population';
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);

interface Due { items: { houseId: string | null; level: string; overdue: boolean; overdueDays: number; dueOn: string }[]; total: number; truncated: boolean; byLevel: Record<string, { due: number; overdue: number }> }

beforeAll(async () => {
  t = await testApp();
  liuguan = await t.login('liuguan');
  const grids = await t.db.selectFrom('org_units').select('id').where('kind', '=', 'grid').where('valid_to', 'is', null).orderBy('id').execute();
  firstGrid = grids[0]!.id;
  lastGrid = grids[grids.length - 1]!.id;
  // More never-patrolled houses than one answer lists, all registered today (due in 14 days), in
  // the grid that sorts first; then one house registered 100 days ago in the grid that sorts last.
  const fresh = Array.from({ length: DUE_HOUSES_LISTED + 100 }, (_, i) => ({
    id: uuidv7(), grid_id: firstGrid, address: `测试巷${i + 1}号`, owner_name: '尤测试', rental: true, status: 'active' as const,
  }));
  for (let i = 0; i < fresh.length; i += 500) await pop(t.db).insertInto('houses').values(fresh.slice(i, i + 500)).execute();
});
afterAll(async () => { await t?.close(); });

/** Due rental houses, counted independently: not patrolled within 14 days (the street pack's grid interval). */
async function dueHouses(overdueOnly: boolean): Promise<number> {
  const cutoff = new Date(Date.parse(`${officeToday()}T00:00:00Z`) - 14 * 86_400_000).toISOString().slice(0, 10);
  const rows = await pop(t.db).selectFrom('houses').select(['id', 'created_at'])
    .select((eb) => eb.selectFrom('patrols').whereRef('patrols.house_id', '=', 'houses.id').select((e) => e.fn.max('patrolled_on').as('d')).as('last'))
    .where('rental', '=', true).where('status', '=', 'active').execute();
  return rows.filter((r) => {
    const last = (r.last as string | null) ?? new Date(new Date(r.created_at).getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    return overdueOnly ? last < cutoff : last <= cutoff || r.last === null;
  }).length;
}

describe('duePatrols at street level', () => {
  it('an overdue house in the last grid is listed first although thousands of houses in other grids are due; total counts them all', async () => {
    const overdueId = uuidv7();
    await pop(t.db).insertInto('houses').values({ id: overdueId, grid_id: lastGrid, address: '末巷1号', owner_name: '尤久候', rental: true, status: 'active', created_at: daysAgo(100) }).execute();
    const res = await liuguan.get(`${P}/patrols/due?level=grid`);
    expect(res.statusCode, res.body).toBe(200);
    const due = res.json() as Due;
    const mine = due.items.find((i) => i.houseId === overdueId);
    expect(mine, 'the overdue house is listed').toMatchObject({ overdue: true, overdueDays: 86 });
    // Most overdue first: nothing listed is more urgent than what was left out.
    expect(due.items.findIndex((i) => i.houseId === overdueId)).toBeLessThan(due.items.filter((i) => i.overdueDays > 86).length + 1);
    expect(due.items.length).toBe(DUE_HOUSES_LISTED);
    expect(due.total).toBe(await dueHouses(false));
    expect(due.total).toBeGreaterThan(DUE_HOUSES_LISTED + 100);
    expect(due.truncated).toBe(true);
    expect(due.byLevel.grid).toEqual({ due: due.total, overdue: await dueHouses(true) });
    const dates = due.items.map((i) => i.dueOn);
    expect(dates).toEqual([...dates].sort());
  });

  it('overdueOnly lists every overdue house and counts exactly those; the summary counts per level are not capped by the list', async () => {
    const overdue = (await liuguan.get(`${P}/patrols/due?overdueOnly=true`)).json() as Due;
    expect(overdue.items.every((i) => i.overdue)).toBe(true);
    expect(overdue.byLevel.grid.due).toBe(await dueHouses(true));
    expect(overdue.byLevel.grid.overdue).toBe(overdue.byLevel.grid.due);
    expect(overdue.total).toBe(overdue.byLevel.street.due + overdue.byLevel.station.due + overdue.byLevel.grid.due);
    expect(overdue.items.filter((i) => i.level === 'street').length).toBe(overdue.byLevel.street.due);
    const all = (await liuguan.get(`${P}/patrols/due`)).json() as Due;
    expect(all.byLevel.grid.due).toBe(await dueHouses(false));
    expect(all.byLevel.grid.overdue).toBe(overdue.byLevel.grid.due);
    expect(all.truncated).toBe(true);
  });

  it('a patrol today takes the house off the list and out of the counts', async () => {
    const before = (await liuguan.get(`${P}/patrols/due?level=grid`)).json() as Due;
    const house = (await pop(t.db).selectFrom('houses').select('id').where('address', '=', '末巷1号').executeTakeFirstOrThrow()).id;
    const user = (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id;
    await pop(t.db).insertInto('patrols').values({
      id: uuidv7(), level: 'grid', target_unit_id: lastGrid, house_id: house, patrolled_on: officeToday(), patroller_id: user,
      checked: '登记情况', findings: '无异常', arrivals_found: 0, departures_found: 0, rentals_counted: null, migrants_counted: null,
    }).execute();
    const after = (await liuguan.get(`${P}/patrols/due?level=grid`)).json() as Due;
    expect(after.items.find((i) => i.houseId === house)).toBeUndefined();
    expect(after.total).toBe(before.total - 1);
    expect(after.byLevel.grid.overdue).toBe(before.byLevel.grid.overdue - 1);
  });
});
