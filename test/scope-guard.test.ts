import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import '../src/modules/index.js';
import { freshDatabase } from './helpers/app.js';
import { scopeBypass } from './helpers/scope-guard.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import type { Database } from '../src/platform/db/index.js';
import { inScope, scopedTables, unitColumnsOf, unscopedRead, unscopedTables } from '../src/platform/org/scoped-tables.js';
import type { DataScope } from '../src/platform/org/scope.js';

/**
 * ARCHITECTURE.md "Data scope": one declaration of the scoped tables, one helper every query on
 * them goes through, and a test that enumerates them. The guard itself is installed on every test
 * app (test/helpers/app.ts), so each API suite fails on a bypass; here it is shown to catch one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const q = new Kysely<any>({
  dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() },
});
const grid: DataScope = { all: false, unitIds: new Set(['0190a000-0000-7000-8000-000000000001']), selfUserId: null };
const everything: DataScope = { all: true, unitIds: new Set(), selfUserId: null };

describe('the scope guard, over each declared scoped table', () => {
  it('fails a list query on a scoped table without inScope, passes it with inScope (any scope), by a declared key, or as a stated unscoped read', () => {
    expect(scopedTables().size).toBeGreaterThanOrEqual(14);
    for (const [table, decl] of scopedTables()) {
      const list = q.selectFrom(table).selectAll().where('created_at', '>', '2026-01-01');
      expect(scopeBypass(list.toOperationNode()), `${table}: bare list`).toEqual([table]);
      expect(scopeBypass(q.updateTable(table).set({ note: 'x' }).where('created_at', '>', '2026-01-01').toOperationNode()), `${table}: bare update`).toEqual([table]);
      for (const scope of [grid, everything]) {
        for (const column of unitColumnsOf(decl)) {
          expect(scopeBypass(list.where(inScope(scope, table, { column })).toOperationNode()), `${table}.${column}`).toEqual([]);
        }
        // Aliased, inside a join, and only in a subquery of the statement: still seen.
        const aliased = q.selectFrom(`${table} as x`).innerJoin('users as u', 'u.id', 'x.created_by').selectAll('x').where(inScope(scope, table, { as: 'x' }));
        expect(scopeBypass(aliased.toOperationNode()), `${table} as x`).toEqual([]);
      }
      expect(scopeBypass(q.selectFrom(table).selectAll().where((decl.keys ?? ['id'])[0]!, '=', 'k').toOperationNode()), `${table} by key`).toEqual([]);
      expect(scopeBypass(q.selectFrom(table).selectAll().where((decl.keys ?? ['id'])[0]!, 'in', ['a', 'b']).toOperationNode()), `${table} by keys`).toEqual([]);
      expect(scopeBypass(list.where(unscopedRead('a scheduled job over every unit')).toOperationNode())).toEqual([]);
    }
  });

  it('a key compared to another column (a join) or a non-key column pinned to a value does not count as a lookup', () => {
    expect(scopeBypass(q.selectFrom('persons').innerJoin('houses', 'houses.id', 'persons.house_id').selectAll('persons').toOperationNode())).toEqual(['persons', 'houses']);
    expect(scopeBypass(q.selectFrom('persons').selectAll().where('house_id', '=', 'h').toOperationNode())).toEqual(['persons']);
    // Another table's key does not pin this one.
    expect(scopeBypass(q.selectFrom('persons as p').innerJoin('users as u', 'u.id', 'p.created_by').selectAll('p').where('u.id', '=', 'x').toOperationNode())).toEqual(['persons']);
    // The marker of an undeclared comment text does not count.
    expect(scopeBypass(q.selectFrom('houses').selectAll().where(sql<boolean>`true /* scope houses */`).toOperationNode())).toEqual(['houses']);
  });

  it('inScope refuses an undeclared table or column (so a typo cannot silently filter nothing)', () => {
    expect(() => inScope(grid, 'no_such_table')).toThrow(/not a declared scoped table/);
    expect(() => inScope(grid, 'houses', { column: 'created_by' })).toThrow(/not a declared unit column/);
  });
});

describe('every table with a unit column is declared', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => { ({ database, drop } = await freshDatabase()); await migrateToLatest(database.db); }, 600_000);
  afterAll(async () => { await drop?.(); });

  it('each table carrying grid_id / org_unit_id (or another *_unit_id, *grid_id column) is a declared scoped table or listed unscoped with a reason', async () => {
    const rows = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and (column_name like '%grid_id' or column_name like '%unit_id')`.execute(database.db);
    const withUnit = [...new Set(rows.rows.map((r) => r.table_name))].sort();
    expect(withUnit).toContain('persons');
    expect(withUnit).toContain('leave_requests');
    const undeclared = withUnit.filter((t) => !scopedTables().has(t) && !unscopedTables().has(t));
    expect(undeclared, 'declare these in the module manifest (scopedTables) or list them in unscopedTables with the reason').toEqual([]);
    for (const [table, u] of unscopedTables()) expect(u.reason.length, table).toBeGreaterThan(20);
    // A declared unit column exists on its table.
    const columns = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = current_schema()`.execute(database.db);
    for (const [table, decl] of scopedTables()) {
      for (const c of unitColumnsOf(decl)) expect(columns.rows.some((r) => r.table_name === table && r.column_name === c), `${table}.${c}`).toBe(true);
    }
  });
});
