import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { testApp, type TestApp } from '../../../test/helpers/app.js';
import { residentId } from '../../../test/helpers/idnumbers.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { invalidateProfiles, loadProfile } from '../../platform/org/profile.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import type { Actor } from '../../platform/auth/actor.js';
import type { DataScopeKind } from '../../platform/org/roles.js';
import { AppError } from '../../platform/http/errors.js';
import { getPerson, listPersons, registerPerson } from './persons.js';
import { pop } from './schema.js';
import { createHouse, listEmployers, listHouses, createEmployer } from './houses.js';
import { listIncidents, reportIncident } from './incidents.js';
import { duePatrols, listPatrols, recordPatrol } from './patrols.js';
import { listMoves, requestMove } from './moves.js';
import { createLetter, listLetters } from './letters.js';
import { applyForPermit, listPermits } from './permits.js';
import { reviewQueue } from './review.js';
import { listPoints } from './collection-points.js';
import { populationStats } from './stats.js';

/**
 * Jurisdiction as a property (PRODUCT.md "Jurisdiction is the security boundary"): over generated
 * staff (a post at the street, a community or a grid; a population role; any data scope) and
 * persons registered in generated grids, every read of a record outside the caller's scope is 404,
 * every registration naming a grid outside it is 403, and lists return exactly the records in scope.
 * The expected answer is computed naively from the tree, independently of the scope helper.
 */
const SEED = 20_261_122;
let t: TestApp;
let tree: OrgTree;
let grids: string[];
let units: string[];
let street: Actor;
const MARK = '范围测试';

const ancestorsOrSelf = (id: string): string[] => {
  const out: string[] = [];
  for (let u: string | null = id; u; u = tree.units.get(u)?.parent_id ?? null) out.push(u);
  return out;
};
/** Naive reference: does a post at `postUnit` with `scope` cover grid `gridId`? */
function covers(postUnit: string, scope: DataScopeKind, custom: string[], gridId: string): boolean {
  switch (scope) {
    case 'all': return true;
    case 'unit': return postUnit === gridId;
    case 'unit_and_below': return ancestorsOrSelf(gridId).includes(postUnit);
    case 'custom': return custom.includes(gridId);
    case 'self': return false;
  }
}

let seq = 0;
async function makeActor(postUnit: string, role: string, scope: DataScopeKind, custom: string[]): Promise<Actor> {
  const id = uuidv7();
  await t.db.insertInto('users').values({ id, username: `scope-${seq++}`, name: '范围用户', password_hash: 'x', must_change_password: false, status: 'active', password_changed_at: null }).execute();
  await t.db.insertInto('staff_posts').values({ id: uuidv7(), user_id: id, org_unit_id: postUnit, post: 'staff', is_primary: true, valid_from: '2020-01-01', valid_to: null, created_by: null }).execute();
  await t.db.insertInto('role_grants').values({ id: uuidv7(), user_id: id, role, data_scope: scope, custom_unit_ids: custom, granted_by: null }).execute();
  invalidateProfiles(id);
  const p = (await loadProfile(t.db, id))!;
  return { ...p, session: { id: 'test', kind: 'bearer', csrfToken: '' } };
}

const status = async (fn: () => Promise<unknown>): Promise<number> => {
  try { await fn(); return 200; } catch (e) { if (e instanceof AppError) return e.status; throw e; }
};

beforeAll(async () => {
  t = await testApp();
  tree = await loadOrgTree(t.db);
  grids = [...tree.units.values()].filter((u) => u.kind === 'grid').map((u) => u.id).sort();
  units = [...tree.units.values()].filter((u) => ['street', 'community', 'grid'].includes(u.kind)).map((u) => u.id).sort();
  const liuguanId = (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id;
  street = { ...(await loadProfile(t.db, liuguanId))!, session: { id: 'test', kind: 'bearer', csrfToken: '' } };
});
afterAll(async () => { await t?.close(); });

describe('data scope over the registry', () => {
  it('reads outside scope are 404, registrations naming a grid outside scope are 403, lists return exactly the records in scope', async () => {
    // Persons spread over generated grids, registered by the street.
    const placed = new Map<string, string>();
    const rnd = fc.sample(fc.integer({ min: 0, max: grids.length - 1 }), { seed: SEED, numRuns: 40 });
    for (const [i, g] of rnd.entries()) {
      const p = await registerPerson(t.db, street, { idNumber: residentId('510107', '19800101', 100 + i * 2), name: `${MARK}${i}`, gridId: grids[g]!, arrivedOn: '2026-01-05' }, null);
      placed.set(p.id, grids[g]!);
    }
    const staffArb = fc.record({
      postUnit: fc.constantFrom(...units),
      role: fc.constantFrom('grid_worker', 'station', 'population_office', 'police_liaison'),
      scope: fc.constantFrom<DataScopeKind>('all', 'unit_and_below', 'unit', 'custom', 'self'),
      custom: fc.subarray(grids, { maxLength: 4 }),
      target: fc.constantFrom(...grids),
    });
    await fc.assert(fc.asyncProperty(staffArb, async (s) => {
      const actor = await makeActor(s.postUnit, s.role, s.scope, s.custom);
      const expected = [...placed].filter(([, g]) => covers(s.postUnit, s.scope, s.custom, g)).map(([id]) => id).sort();
      const listed = await listPersons(t.db, actor, { name: MARK, page: 1, pageSize: 200 }, null);
      expect(listed.items.map((p) => p.id).sort()).toEqual(expected);
      expect(listed.total).toBe(expected.length);
      for (const [id, g] of [...placed].slice(0, 8)) {
        expect(await status(() => getPerson(t.db, actor, id, { reveal: false }, null))).toBe(covers(s.postUnit, s.scope, s.custom, g) ? 200 : 404);
      }
      if (actor.permissions.has('person:write')) {
        const allowed = covers(s.postUnit, s.scope, s.custom, s.target);
        const code = await status(() => registerPerson(t.db, actor, { idType: 'none', name: '越界测试', gridId: s.target, arrivedOn: '2026-01-05' }, null));
        expect(code).toBe(allowed ? 200 : 403);
      }
    }), { seed: SEED, numRuns: 40 });
  });
});

describe('mixed grants: each permission acts in the scope of the grants that give it (HTTP)', () => {
  it('a grid worker who also holds a wider read-only grant reads in the wider scope but registers only in their own grid', async () => {
    const { hashPassword } = await import('../../platform/auth/passwords.js');
    const hash = await hashPassword('Mixed#Grant2026');
    const home = grids[0]!;
    const readerArb = fc.record({
      scope: fc.constantFrom<DataScopeKind>('all', 'custom', 'unit_and_below'),
      custom: fc.subarray(grids, { minLength: 1, maxLength: 6 }),
      target: fc.constantFrom(...grids),
    });
    let n = 0;
    await fc.assert(fc.asyncProperty(readerArb, async (s) => {
      const id = uuidv7();
      const username = `mixed-${n++}`;
      await t.db.insertInto('users').values({ id, username, name: '混合授权', password_hash: hash, must_change_password: false, status: 'active', password_changed_at: null }).execute();
      await t.db.insertInto('staff_posts').values({ id: uuidv7(), user_id: id, org_unit_id: home, post: 'grid_worker', is_primary: true, valid_from: '2020-01-01', valid_to: null, created_by: null }).execute();
      await t.db.insertInto('role_grants').values({ id: uuidv7(), user_id: id, role: 'grid_worker', data_scope: 'unit', custom_unit_ids: [], granted_by: null }).execute();
      await t.db.insertInto('role_grants').values({ id: uuidv7(), user_id: id, role: 'police_liaison', data_scope: s.scope, custom_unit_ids: s.scope === 'custom' ? s.custom : [], granted_by: null }).execute();
      invalidateProfiles(id);
      const c = await t.login(username, 'Mixed#Grant2026');
      // Reading (person:read comes from both grants): the union of both scopes.
      const readable = (g: string) => g === home || covers(home, s.scope, s.custom, g);
      const listed = (await c.get(`/api/v1/population/persons?name=${encodeURIComponent(MARK)}&pageSize=200`)).json();
      const placedHere = await pop(t.db).selectFrom('persons').select(['id', 'grid_id']).where('name', 'like', `${MARK}%`).execute();
      expect((listed.items as { id: string }[]).map((p) => p.id).sort()).toEqual(placedHere.filter((p) => readable(p.grid_id)).map((p) => p.id).sort());
      // Writing (person:write comes from the grid-worker grant alone): the home grid only.
      const res = await c.post('/api/v1/population/persons', { idType: 'none', name: '混合授权登记', gridId: s.target, arrivedOn: '2026-01-05' });
      expect(res.statusCode, res.body).toBe(s.target === home ? 201 : 403);
    }), { seed: SEED, numRuns: 12 });
  });
});

describe('data scope over every list of the population module', () => {
  /**
   * Rows of each kind are placed in generated grids by the street (all scope, every permission);
   * then for generated staff (role × data scope × post unit) each list returns, among the placed
   * rows, exactly those whose grid is in scope: none outside ever appears, every one inside does.
   * Moves are listed by the grid they go to (incoming) and come from (outgoing).
   */
  it('houses, employers, incidents, patrols, due patrols, moves, letters, permits, review queue, collection points and stats show exactly the rows in scope', async () => {
    const LIST = '列表范围';
    const god: Actor = { ...street, permissions: new Set([...street.permissions, 'patrol:grid', 'permit:write', 'letter:write', 'incident:report', 'person:write']) };
    const pick = fc.sample(fc.integer({ min: 0, max: grids.length - 1 }), { seed: SEED + 1, numRuns: 24 }).map((i) => grids[i]!);
    const placed = { houses: new Map<string, string>(), due: new Map<string, string>(), employers: new Map<string, string>(), incidents: new Map<string, string>(),
      patrols: new Map<string, string>(), letters: new Map<string, string>(), permits: new Map<string, string>(), records: new Map<string, string>(),
      movesTo: new Map<string, string>(), movesFrom: new Map<string, string>() };
    const today = new Date().toISOString().slice(0, 10);
    for (const [i, g] of pick.entries()) {
      const house = await createHouse(t.db, god, { gridId: g, address: `${LIST}路${i}号`, ownerName: '房东', rental: true }, null);
      placed.houses.set(house.id, g);
      if (i % 2 === 0) {
        const patrol = await recordPatrol(t.db, god, { level: 'grid', targetUnitId: g, houseId: house.id, patrolledOn: today, checked: '出租房屋', findings: '无' }, null);
        placed.patrols.set(patrol.id, g);
      } else placed.due.set(house.id, g);
      const employer = await createEmployer(t.db, god, { gridId: g, name: `${LIST}公司${i}`, address: `${LIST}路${i}号`, employees: 3 }, null);
      placed.employers.set(employer.id, g);
      const incident = await reportIncident(t.db, god, { gridId: g, category: 'event', title: `${LIST}${i}`, description: '测试' }, null);
      placed.incidents.set(incident.id, g);
      const letter = await createLetter(t.db, god, { partyKind: 'landlord', houseId: house.id, signedOn: '2026-01-05', termFrom: '2026-01-05', termTo: '2027-01-04' }, null);
      placed.letters.set(letter.id, g);
      const idNumber = residentId('510107', '19900101', 400 + i * 2);
      const person = await registerPerson(t.db, god, { idNumber, name: `${LIST}${i}`, gridId: g, arrivedOn: '2025-01-06' }, null);
      placed.records.set(person.id, g);
      const permit = await applyForPermit(t.db, god, person.id, { appliedOn: '2026-02-01' }, null);
      placed.permits.set(permit.id, g);
      const to = pick[(i + 5) % pick.length]!;
      if (to !== g) {
        const move = await requestMove(t.db, god, { idNumber, toGridId: to, arrivedOn: '2026-03-01' }, null);
        placed.movesTo.set(move.id, to);
        placed.movesFrom.set(move.id, g);
      }
    }
    const points = [...tree.units.values()].filter((u) => u.kind === 'collection_point' && u.valid_to === null).map((u) => u.id);
    const all = { page: 1, pageSize: 500 };
    const staffArb = fc.record({
      postUnit: fc.constantFrom(...units),
      role: fc.constantFrom('grid_worker', 'station', 'community_admin', 'population_office', 'police_liaison', 'leader'),
      scope: fc.constantFrom<DataScopeKind>('all', 'unit_and_below', 'unit', 'custom', 'self'),
      custom: fc.subarray([...grids, ...points], { maxLength: 5 }),
      unit: fc.constantFrom(...units),
    });
    await fc.assert(fc.asyncProperty(staffArb, async (s) => {
      const actor = await makeActor(s.postUnit, s.role, s.scope, s.custom);
      const inScope = (g: string) => covers(s.postUnit, s.scope, s.custom, g);
      const expect_ = (what: string, rows: Map<string, string>, listed: string[]) => {
        const mine = new Set(rows.keys());
        expect(listed.filter((id) => mine.has(id)).sort(), what).toEqual([...rows].filter(([, g]) => inScope(g)).map(([id]) => id).sort());
      };
      const ids = (r: { items: { id: string }[] }) => r.items.map((i) => i.id);
      expect_('houses', placed.houses, ids(await listHouses(t.db, actor, all)));
      expect_('employers', placed.employers, ids(await listEmployers(t.db, actor, all)));
      expect_('incidents', placed.incidents, ids(await listIncidents(t.db, actor, all)));
      expect_('patrols', placed.patrols, ids(await listPatrols(t.db, actor, { level: 'grid', ...all })));
      expect_('due patrols', placed.due, (await duePatrols(t.db, actor, { level: 'grid' })).items.flatMap((d) => (d.houseId ? [d.houseId] : [])));
      expect_('moves in', placed.movesTo, ids(await listMoves(t.db, actor, { box: 'incoming', ...all })));
      expect_('moves out', placed.movesFrom, ids(await listMoves(t.db, actor, { box: 'outgoing', ...all })));
      expect_('letters', placed.letters, ids(await listLetters(t.db, actor, all)));
      expect_('permits', placed.permits, ids(await listPermits(t.db, actor, all)));
      expect_('review queue', placed.records, (await reviewQueue(t.db, actor, { q: LIST, ...all })).items.map((r) => r.personId!).filter(Boolean));
      expect((await listPoints(t.db, actor, {})).items.map((p) => p.id).sort(), 'collection points').toEqual(points.filter(inScope).sort());
      expect(await status(() => populationStats(t.db, actor, s.unit)), 'stats').toBe(inScope(s.unit) ? 200 : 404);
    }), { seed: SEED + 1, numRuns: 30 });
  });
});
