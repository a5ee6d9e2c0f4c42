import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { freshDatabase } from '../../../test/helpers/app.js';
import { migrateToLatest } from '../db/migrator.js';
import type { Database } from '../db/index.js';
import type { OrgUnitRow } from '../db/schema.js';
import { buildTree, type OrgTree } from './tree.js';
import { resolveScope, scopeCovers, scopeFilter, scopeWithin, type DataScope, type ScopeGrant, type ScopePost } from './scope.js';
import { DATA_SCOPES, ORG_KINDS, type DataScopeKind } from './roles.js';

/**
 * Data scope (数据权限) as properties: over generated org trees, posts and grants of every kind,
 * `resolveScope` equals a naive reference, `scopeWithin` is subset semantics, and a query filtered
 * with `scopeFilter` returns exactly the rows in scope on the real database. Seeded: reproducible.
 */
const SEED = 20_260_101;

// ---------------------------------------------------------------- generated worlds

/** Deterministic UUIDs, so a failing case prints readably. */
const unitId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const userId = (i: number) => `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`;
/** Ids that name no unit of the tree (a post or custom unit that has since disappeared). */
const ghostId = (i: number) => `00000000-0000-4000-a000-${i.toString(16).padStart(12, '0')}`;

interface World {
  /** parents[i] is the index of unit i's parent, or null for a root. */
  parents: (number | null)[];
  kinds: string[];
}

/** A forest of 1–30 units: each unit hangs under the previous one (deep), any earlier one (bushy) or nothing (a new root). */
const worldArb: fc.Arbitrary<World> = fc.integer({ min: 1, max: 30 }).chain((n) =>
  fc.tuple(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.nat()), { minLength: n, maxLength: n }),
    fc.array(fc.constantFrom(...ORG_KINDS), { minLength: n, maxLength: n }),
  ).map(([choices, kinds]) => ({
    parents: choices.map(([k, r], i) => (i === 0 || k === 9 ? null : k < 4 ? i - 1 : r % i)),
    kinds,
  })));

function rowsOf(w: World): OrgUnitRow[] {
  return w.parents.map((p, i) => ({
    id: unitId(i), parent_id: p === null ? null : unitId(p), kind: w.kinds[i]!, code: `T${String(i).padStart(3, '0')}`,
    name: `单位${i}`, street_code: '510107999', sort_order: (i * 7) % 5, valid_from: '2026-01-01', valid_to: null,
    survey: null, key_designation: null, created_at: new Date(0),
  }));
}

/** A unit reference: usually a unit of the tree, sometimes one that is not in it. */
const unitRefArb = (n: number) => fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 0, max: n - 1 }).map(unitId) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map(ghostId) },
);

const grantArb = (n: number): fc.Arbitrary<ScopeGrant> => fc.record({
  dataScope: fc.constantFrom<DataScopeKind>(...DATA_SCOPES),
  customUnitIds: fc.array(unitRefArb(n), { maxLength: 6 }),
});

interface Person { posts: ScopePost[]; grants: ScopeGrant[] }
const personArb = (n: number): fc.Arbitrary<Person> => fc.record({
  posts: fc.array(unitRefArb(n).map((orgUnitId) => ({ orgUnitId })), { maxLength: 3 }),
  grants: fc.array(grantArb(n), { maxLength: 3 }),
});

// ---------------------------------------------------------------- the reference

/** Straightforward recursion over the raw rows (not the tree's indexes). */
function referenceScope(rows: OrgUnitRow[], uid: string, posts: ScopePost[], grants: ScopeGrant[]) {
  const exists = (id: string) => rows.some((r) => r.id === id);
  const subtree = (id: string): string[] => [id, ...rows.filter((r) => r.parent_id === id).flatMap((r) => subtree(r.id))];
  const units = new Set<string>();
  let all = false;
  let self = false;
  for (const g of grants) {
    if (g.dataScope === 'all') all = true;
    if (g.dataScope === 'self') self = true;
    if (g.dataScope === 'unit') for (const p of posts) if (exists(p.orgUnitId)) units.add(p.orgUnitId);
    if (g.dataScope === 'unit_and_below') for (const p of posts) if (exists(p.orgUnitId)) for (const id of subtree(p.orgUnitId)) units.add(id);
    if (g.dataScope === 'custom') for (const id of g.customUnitIds) if (exists(id)) units.add(id);
  }
  return { all, units: all ? new Set(rows.map((r) => r.id)) : units, selfUserId: self ? uid : null };
}

/**
 * What a scope covers, as a plain set: its units, plus — for 全部 only — a token standing for every
 * unit not yet in the tree (a later community, a row whose unit is unknown), which no unit list covers.
 */
const EVERYTHING_ELSE = 'units-added-later';
const covered = (s: DataScope): Set<string> => new Set(s.all ? [...s.unitIds, EVERYTHING_ELSE] : s.unitIds);
const isSubset = (a: Set<string>, b: Set<string>) => [...a].every((x) => b.has(x));
const sorted = (s: Iterable<string>) => [...s].sort();

// ---------------------------------------------------------------- (a) pure properties

describe('data scope, resolved in memory', () => {
  it('resolveScope equals the naive reference for every scope kind', () => {
    fc.assert(fc.property(
      worldArb.chain((w) => fc.tuple(fc.constant(w), personArb(w.parents.length))),
      ([w, person]) => {
        const rows = rowsOf(w);
        const tree = buildTree(rows);
        const got = resolveScope(tree, userId(1), person.posts, person.grants);
        const want = referenceScope(rows, userId(1), person.posts, person.grants);
        expect(got.all).toBe(want.all);
        expect(sorted(got.unitIds)).toEqual(sorted(want.units));
        expect(got.selfUserId).toBe(want.selfUserId);
        // scopeCovers agrees with the set, for every unit and for ids outside the tree.
        for (const r of rows) expect(scopeCovers(got, r.id)).toBe(want.units.has(r.id));
        expect(scopeCovers(got, ghostId(0))).toBe(want.all);
      },
    ), { seed: SEED, numRuns: 300 });
  });

  it('scopeWithin(a, b) holds exactly when what a covers is a subset of what b covers', () => {
    fc.assert(fc.property(
      worldArb.chain((w) => fc.tuple(fc.constant(w), personArb(w.parents.length), personArb(w.parents.length))),
      ([w, pa, pb]) => {
        const tree = buildTree(rowsOf(w));
        const a = resolveScope(tree, userId(1), pa.posts, pa.grants);
        const b = resolveScope(tree, userId(2), pb.posts, pb.grants);
        expect(scopeWithin(a, b)).toBe(isSubset(covered(a), covered(b)));
        expect(scopeWithin(b, a)).toBe(isSubset(covered(b), covered(a)));
        expect(scopeWithin(a, a)).toBe(true);
      },
    ), { seed: SEED + 1, numRuns: 300 });
  });

  it('scopeWithin is transitive, and fewer grants never give a wider scope', () => {
    fc.assert(fc.property(
      worldArb.chain((w) => fc.tuple(fc.constant(w), personArb(w.parents.length), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))),
      ([w, p, keep]) => {
        const tree = buildTree(rowsOf(w));
        const full = resolveScope(tree, userId(1), p.posts, p.grants);
        const some = resolveScope(tree, userId(1), p.posts, p.grants.filter((_g, i) => keep[i]));
        const none = resolveScope(tree, userId(1), p.posts, []);
        expect(scopeWithin(some, full)).toBe(true);
        expect(scopeWithin(none, some)).toBe(true);
        expect(scopeWithin(none, full)).toBe(true);
        // The same grants as 本单位 sit inside 本单位及下级, which sit inside 全部.
        const asKind = (k: DataScopeKind) => resolveScope(tree, userId(1), p.posts, [{ dataScope: k, customUnitIds: [] }]);
        expect(scopeWithin(asKind('unit'), asKind('unit_and_below'))).toBe(true);
        expect(scopeWithin(asKind('unit_and_below'), asKind('all'))).toBe(true);
        expect(scopeWithin(asKind('all'), asKind('unit_and_below'))).toBe(false);
      },
    ), { seed: SEED + 2, numRuns: 200 });
  });

  it('全部 is wider than any list of units, even one naming every unit of today\'s tree', () => {
    const tree: OrgTree = buildTree(rowsOf({ parents: [null, 0, 0], kinds: ['street', 'community', 'community'] }));
    const all = resolveScope(tree, userId(1), [], [{ dataScope: 'all', customUnitIds: [] }]);
    const everyUnit = resolveScope(tree, userId(1), [], [{ dataScope: 'custom', customUnitIds: [unitId(0), unitId(1), unitId(2)] }]);
    expect(sorted(everyUnit.unitIds)).toEqual(sorted(all.unitIds));
    expect(scopeWithin(everyUnit, all)).toBe(true);
    expect(scopeWithin(all, everyUnit)).toBe(false);
  });
});

// ---------------------------------------------------------------- (b) against the database

interface Scratch { scoped_rows: { id: string; unit_id: string; owner_id: string | null } }

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ database, drop } = await freshDatabase());
  await migrateToLatest(database.db);
  await sql`create table scoped_rows (id uuid primary key, unit_id uuid not null, owner_id uuid)`.execute(database.db);
});
afterAll(async () => { await drop?.(); });

const rowId = (i: number) => `00000000-0000-4000-b000-${i.toString(16).padStart(12, '0')}`;
const USERS = 6;

describe('data scope, applied by scopeFilter on the database', () => {
  it('a query filtered with scopeFilter returns exactly the rows whose unit is in scope, or that the user owns under 仅本人', async () => {
    const caseArb = worldArb.chain((w) => {
      const n = w.parents.length;
      return fc.record({
        world: fc.constant(w),
        // Rows in units of the tree, and a few in units the tree does not know (only 全部 sees those).
        rows: fc.array(fc.record({
          unit: unitRefArb(n),
          owner: fc.option(fc.integer({ min: 0, max: USERS - 1 }).map(userId), { nil: null }),
        }), { maxLength: 60 }),
        people: fc.array(personArb(n), { minLength: USERS, maxLength: USERS }),
      });
    });
    const db = database.db;
    const scratch = db as unknown as Kysely<Scratch>;
    let nonTrivial = 0;
    await fc.assert(fc.asyncProperty(caseArb, async ({ world, rows, people }) => {
      await scratch.deleteFrom('scoped_rows').execute();
      await db.deleteFrom('org_units').execute();
      const units = rowsOf(world);
      await db.insertInto('org_units').values(units.map(({ created_at: _c, ...u }) => ({ ...u, survey: null, key_designation: null }))).execute();
      if (rows.length) {
        await scratch.insertInto('scoped_rows').values(rows.map((r, i) => ({ id: rowId(i), unit_id: r.unit, owner_id: r.owner }))).execute();
      }
      const tree = buildTree(await db.selectFrom('org_units').selectAll().execute());
      for (const [u, person] of people.entries()) {
        const uid = userId(u);
        const scope = resolveScope(tree, uid, person.posts, person.grants);
        const got = await scratch.selectFrom('scoped_rows').select('id').where(scopeFilter(scope, 'unit_id', 'owner_id')).execute();
        const ref = referenceScope(units, uid, person.posts, person.grants);
        const want = rows.flatMap((r, i) => (ref.all || ref.units.has(r.unit) || (ref.selfUserId !== null && r.owner === ref.selfUserId) ? [rowId(i)] : []));
        expect(sorted(got.map((g) => g.id))).toEqual(sorted(want));
        if (want.length > 0 && want.length < rows.length) nonTrivial++;
        // Without an owner column, 仅本人 rows are not matched: only units count.
        const byUnit = await scratch.selectFrom('scoped_rows').select('id').where(scopeFilter(scope, 'unit_id')).execute();
        const wantByUnit = rows.flatMap((r, i) => (ref.all || ref.units.has(r.unit) ? [rowId(i)] : []));
        expect(sorted(byUnit.map((g) => g.id))).toEqual(sorted(wantByUnit));
      }
    }), { seed: SEED + 3, numRuns: 40 });
    // The generated cases exercise partial scopes, not only "everything" and "nothing".
    expect(nonTrivial).toBeGreaterThan(40);
  });
});
