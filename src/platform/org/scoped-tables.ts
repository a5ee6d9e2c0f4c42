import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { scopeFilter, type DataScope } from './scope.js';

/**
 * The one declaration of data-scoped tables (ARCHITECTURE.md "Data scope"): each table whose rows
 * belong to an org unit names the column that says which (`grid_id`, `org_unit_id` …). Modules
 * contribute theirs through their manifest (`JiedaoModule.scopedTables`); every query on a scoped
 * table filters through `inScope` (or reads one row by a declared key and checks it with
 * `scopeCovers`), and a test (scope-guard) fails any query that does neither.
 * Tables that carry a unit but are not data-scoped are listed in `unscopedTables` with the reason.
 */
export interface ScopedTable {
  /** The unit column(s); the first is the default. A move has two (from and to grid). */
  unit: string | readonly [string, ...string[]];
  /** The owner column a 仅本人 grant reads by (rows the person created). */
  owner?: string;
  /**
   * Columns that pick out one row or one owner's rows (default `id`): a query pinned by one of them
   * to given values reads rows the caller then checks one by one (`requireInScope`).
   */
  keys?: readonly string[];
}

const scoped = new Map<string, ScopedTable & { module: string }>();
const unscoped = new Map<string, { module: string; reason: string }>();

/** Platform tables that carry an org unit and are not data-scoped records. */
export const PLATFORM_UNSCOPED: Record<string, string> = {
  org_units: 'the org tree itself: read whole into the cached tree; scope is a set of its ids',
  org_unit_links: 'links between units (police area ↔ grid): part of the cached org tree',
  org_unit_parent_history: 'the dated history of the tree\'s parent links: read with the tree, never listed per scope',
  staff_posts: 'who holds which post: read by profile loading and holdersOf with the post\'s validity; the admin lists posts through scopeFilter',
  approvals: 'approval cases are read by their parties (applicant, approvers, cc) — the approval engine\'s own rule, not unit scope',
};

export function declareScopedTables(module: string, tables: Readonly<Record<string, ScopedTable>>): void {
  for (const [table, decl] of Object.entries(tables)) {
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`scoped table name ${table}`);
    scoped.set(table, { ...decl, module });
  }
}
export function declareUnscopedTables(module: string, tables: Readonly<Record<string, string>>): void {
  for (const [table, reason] of Object.entries(tables)) unscoped.set(table, { module, reason });
}
declareUnscopedTables('platform', PLATFORM_UNSCOPED);

/** Every scoped table with its declaration and the module that declared it. */
export const scopedTables = (): ReadonlyMap<string, ScopedTable & { module: string }> => scoped;
/** Every table with a unit column that is deliberately not scoped, with the reason. */
export const unscopedTables = (): ReadonlyMap<string, { module: string; reason: string }> => unscoped;

export const unitColumnsOf = (decl: ScopedTable): readonly string[] => (typeof decl.unit === 'string' ? [decl.unit] : decl.unit);
export const keyColumnsOf = (decl: ScopedTable): readonly string[] => decl.keys ?? ['id'];

/** The marker the scope guard looks for: an SQL comment beside the filter, naming the table. */
export const SCOPE_MARK = 'in scope:';
export const UNSCOPED_MARK = 'unscoped:';

/**
 * The scope filter of a declared table: `unit column = ANY(scope units)` (and the owner column for
 * 仅本人), with the table's marker. `as`: the table's alias in the query; `column`: another declared
 * unit column (a move's `from_grid_id`); `owner: false` ignores a 仅本人 grant.
 */
export function inScope(scope: DataScope, table: string, opts: { as?: string; column?: string; owner?: boolean } = {}):
  <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>) => Expression<SqlBool> {
  const decl = scoped.get(table);
  if (!decl) throw new Error(`${table} is not a declared scoped table`);
  const columns = unitColumnsOf(decl);
  const column = opts.column ?? columns[0]!;
  if (!columns.includes(column)) throw new Error(`${table}.${column} is not a declared unit column`);
  const prefix = opts.as ?? table;
  const owner = opts.owner !== false && decl.owner ? `${prefix}.${decl.owner}` : undefined;
  const filter = scopeFilter(scope, `${prefix}.${column}`, owner);
  const mark = sql.raw(`/* ${SCOPE_MARK}${table} */`);
  return (eb) => sql<SqlBool>`(${filter(eb)} ${mark})`;
}

/**
 * A deliberate read of a scoped table across scopes (a duplicate check over the whole registry,
 * a scheduled job), stated with the reason. Adds `true` to the query; the marker tells the guard.
 */
export function unscopedRead(reason: string): Expression<SqlBool> {
  if (!reason.trim()) throw new Error('an unscoped read needs a reason');
  return sql<SqlBool>`(true ${sql.raw(`/* ${UNSCOPED_MARK}${reason.replace(/\*\//g, '')} */`)})`;
}
