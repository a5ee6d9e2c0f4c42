import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import { descendantsOf, type OrgTree } from './tree.js';
import type { DataScopeKind } from './roles.js';

/**
 * Data scope (数据权限): what part of the org tree a person's grants cover. Resolved once per
 * request to a set of unit ids; every query on a scoped table filters through `scopeFilter`
 * (an indexed `unit_id = ANY($set)`), so moving a grid rewrites no rows.
 */
export interface ScopeGrant {
  dataScope: DataScopeKind;
  customUnitIds: string[];
}
export interface ScopePost { orgUnitId: string }

export interface DataScope {
  /** The whole tree (全部). */
  all: boolean;
  /** Units covered when not `all`. */
  unitIds: ReadonlySet<string>;
  /** 仅本人: rows the person created or owns. */
  selfUserId: string | null;
}

export function resolveScope(tree: OrgTree, userId: string, posts: ScopePost[], grants: ScopeGrant[]): DataScope {
  const units = new Set<string>();
  let all = false;
  let self = false;
  for (const g of grants) {
    switch (g.dataScope) {
      case 'all': all = true; break;
      case 'unit_and_below':
        for (const p of posts) for (const id of descendantsOf(tree, p.orgUnitId)) units.add(id);
        break;
      case 'unit':
        for (const p of posts) if (tree.units.has(p.orgUnitId)) units.add(p.orgUnitId);
        break;
      case 'custom':
        for (const id of g.customUnitIds) if (tree.units.has(id)) units.add(id);
        break;
      case 'self': self = true; break;
    }
  }
  return { all, unitIds: all ? new Set(tree.units.keys()) : units, selfUserId: self ? userId : null };
}

/** The union of several scopes (a person's grants; a route open to any of several permissions), as resolveScope would give it. */
export function unionScopes(scopes: DataScope[]): DataScope {
  const selfUserId = scopes.find((s) => s.selfUserId)?.selfUserId ?? null;
  const all = scopes.find((s) => s.all);
  if (all) return { ...all, selfUserId };
  const unitIds = new Set<string>();
  for (const s of scopes) for (const id of s.unitIds) unitIds.add(id);
  return { all: false, unitIds, selfUserId };
}

/** Does the scope cover this unit? */
export function scopeCovers(scope: DataScope, unitId: string): boolean {
  return scope.all || scope.unitIds.has(unitId);
}

/** Is `inner` entirely inside `outer`? (Used to refuse grants wider than the granter's own.) */
export function scopeWithin(inner: DataScope, outer: DataScope): boolean {
  if (outer.all) return true;
  if (inner.all) return false;
  for (const id of inner.unitIds) if (!outer.unitIds.has(id)) return false;
  return true;
}

/**
 * The one filter every scoped query uses: `column = ANY(scope units)`, or the owner column for
 * 仅本人 rows. An empty scope matches nothing. The result fits any query's `where` (the columns
 * are named as the query names them, e.g. `p.org_unit_id` inside a subquery).
 */
export function scopeFilter(
  scope: DataScope,
  unitColumn: string,
  ownerColumn?: string,
): <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>) => Expression<SqlBool> {
  return (eb) => {
    if (scope.all) return sql<SqlBool>`true`;
    const ors: Expression<SqlBool>[] = [];
    if (scope.unitIds.size === 1) {
      // One unit (a grid worker's grid): a plain equality, which every plan handles best.
      ors.push(sql<SqlBool>`${sql.ref(unitColumn)} = ${[...scope.unitIds][0]!}::uuid`);
    } else if (scope.unitIds.size > 1) {
      ors.push(sql<SqlBool>`${sql.ref(unitColumn)} = any(${[...scope.unitIds]}::uuid[])`);
    }
    if (ownerColumn && scope.selfUserId) ors.push(sql<SqlBool>`${sql.ref(ownerColumn)} = ${scope.selfUserId}`);
    if (ors.length === 0) return sql<SqlBool>`false`;
    return eb.or(ors);
  };
}
