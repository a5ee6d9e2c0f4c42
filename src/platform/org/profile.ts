import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../db/index.js';
import { officeToday } from '../time.js';
import type { ActorGrant, ActorPost } from '../auth/actor.js';
import { getRole, type DataScopeKind } from './roles.js';
import { loadOrgTree } from './tree.js';
import { resolveScope, unionScopes, type DataScope } from './scope.js';
import { nowAndAfterCommit } from '../db/request-scope.js';

/** A person's active posts, grants, permissions and data scope: what an Actor is built from. */
export interface Profile {
  userId: string;
  username: string;
  name: string;
  status: string;
  mustChangePassword: boolean;
  posts: ActorPost[];
  grants: ActorGrant[];
  roles: string[];
  permissions: Set<string>;
  /** The union of every grant's scope (what the person may see of the org at all). */
  scope: DataScope;
  /**
   * Each permission's own scope: the union of the scopes of the grants whose role gives it. A
   * grid-worker grant plus a street-wide read-only grant gives street-wide reading and grid-wide
   * writing, never street-wide writing.
   */
  scopeByPermission: Map<string, DataScope>;
}

/**
 * The one rule for "post running on `day`" (an office date, `YYYY-MM-DD`; see time.ts): started on
 * or before the day and not ended before it — fixed-term posts included. Every query on posts
 * (a person's posts, a unit's staff, the staff list) uses it, with `officeToday()` passed as a
 * parameter, never the database's `current_date` (UTC).
 */
export function postActiveOn(day: string, alias = 'p'): Expression<SqlBool> {
  const from = sql.ref(`${alias}.valid_from`);
  const to = sql.ref(`${alias}.valid_to`);
  return sql<SqlBool>`(${from} <= ${day}::date and (${to} is null or ${to} >= ${day}::date))`;
}

/** Posts running on `day` (default: the office's today), the primary post first. */
export async function activePosts(db: Db, userIds: string[], day = officeToday()): Promise<(ActorPost & { userId: string })[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('staff_posts as p').innerJoin('org_units as u', 'u.id', 'p.org_unit_id')
    .select(['p.id', 'p.user_id', 'p.org_unit_id', 'u.name as unit_name', 'u.kind as unit_kind', 'p.post', 'p.is_primary', 'p.valid_from', 'p.valid_to'])
    .where('p.user_id', 'in', userIds)
    .where(postActiveOn(day))
    .orderBy('p.is_primary', 'desc').orderBy('p.valid_from').execute();
  return rows.map((r) => ({
    userId: r.user_id, id: r.id, orgUnitId: r.org_unit_id, orgUnitName: r.unit_name, orgUnitKind: r.unit_kind,
    post: r.post, primary: r.is_primary, validFrom: r.valid_from, validTo: r.valid_to,
  }));
}

export async function activeGrants(db: Db, userIds: string[]): Promise<(ActorGrant & { userId: string })[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('role_grants').select(['id', 'user_id', 'role', 'data_scope', 'custom_unit_ids'])
    .where('user_id', 'in', userIds).where('revoked_at', 'is', null).orderBy('granted_at').execute();
  return rows.map((r) => ({ userId: r.user_id, id: r.id, role: r.role, dataScope: r.data_scope, customUnitIds: r.custom_unit_ids ?? [] }));
}

export function permissionsOf(grants: ActorGrant[]): Set<string> {
  const perms = new Set<string>();
  for (const g of grants) for (const p of getRole(g.role)?.permissions ?? []) perms.add(p);
  return perms;
}

const cache = new Map<string, { at: number; profile: Profile }>();
/** Posts and grants change rarely; other processes' changes are seen within this time. */
const MAX_AGE_MS = 3000;

export function invalidateProfiles(userId?: string): void {
  nowAndAfterCommit(() => {
    if (userId) cache.delete(userId);
    else cache.clear();
  });
}

export async function loadProfile(db: Db, userId: string): Promise<Profile | null> {
  const hit = cache.get(userId);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.profile;
  const user = await db.selectFrom('users').select(['id', 'username', 'name', 'status', 'must_change_password'])
    .where('id', '=', userId).executeTakeFirst();
  if (!user) return null;
  const [posts, grants, tree] = await Promise.all([activePosts(db, [userId]), activeGrants(db, [userId]), loadOrgTree(db)]);
  // Each grant's scope is resolved once; a permission's scope is the union over the grants giving it.
  const grantScopes = grants.map((g) => ({ role: g.role, scope: resolveScope(tree, userId, posts, [{ dataScope: g.dataScope as DataScopeKind, customUnitIds: g.customUnitIds }]) }));
  const scope = unionScopes(grantScopes.map((g) => g.scope));
  const scopeByPermission = new Map<string, DataScope>();
  for (const permission of permissionsOf(grants)) {
    scopeByPermission.set(permission, unionScopes(grantScopes.filter((g) => getRole(g.role)?.permissions.includes(permission)).map((g) => g.scope)));
  }
  const profile: Profile = {
    userId, username: user.username, name: user.name, status: user.status, mustChangePassword: user.must_change_password,
    posts: posts.map(({ userId: _u, ...p }) => p), grants: grants.map(({ userId: _u, ...g }) => g),
    roles: [...new Set(grants.map((g) => g.role))], permissions: permissionsOf(grants), scope, scopeByPermission,
  };
  cache.set(userId, { at: Date.now(), profile });
  return profile;
}
