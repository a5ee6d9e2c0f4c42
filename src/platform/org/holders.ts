import type { Db } from '../db/index.js';
import { officeToday } from '../time.js';
import { postActiveOn } from './profile.js';
import { ancestorsOf, type OrgTree } from './tree.js';

/**
 * Who holds post P in unit U on day D (任职查询): the question approvers are resolved by. A post
 * counts on the days of its validity (a person who left the post is no longer found; a post filled
 * later is found from its first day). Users who are not active are never returned.
 */
export async function holdersOf(db: Db, q: { posts: readonly string[]; unitIds: readonly string[] | 'any'; day?: string }): Promise<{ userId: string; unitId: string; post: string }[]> {
  if (q.posts.length === 0 || q.unitIds.length === 0) return [];
  let query = db.selectFrom('staff_posts as p').innerJoin('users as u', 'u.id', 'p.user_id')
    .select(['p.user_id', 'p.org_unit_id', 'p.post'])
    .where('p.post', 'in', [...q.posts]);
  if (q.unitIds !== 'any') query = query.where('p.org_unit_id', 'in', [...q.unitIds]);
  const rows = await query
    .where('u.status', '=', 'active')
    .where(postActiveOn(q.day ?? officeToday()))
    .orderBy('p.is_primary', 'desc').orderBy('p.valid_from').orderBy('p.user_id').execute();
  return rows.map((r) => ({ userId: r.user_id, unitId: r.org_unit_id, post: r.post }));
}

/**
 * The holders of a post in the unit itself or, when it has none, in the nearest ancestor that has
 * (a grid worker's section head is the community's station head). Returns the unit where found.
 */
export async function nearestHolders(db: Db, tree: OrgTree, q: { posts: readonly string[]; unitId: string; day?: string; exclude?: readonly string[] }): Promise<{ unitId: string | null; userIds: string[] }> {
  const chain = [q.unitId, ...ancestorsOf(tree, q.unitId)];
  const found = await holdersOf(db, { posts: q.posts, unitIds: chain, day: q.day });
  const exclude = new Set(q.exclude ?? []);
  for (const unitId of chain) {
    const here = [...new Set(found.filter((h) => h.unitId === unitId && !exclude.has(h.userId)).map((h) => h.userId))];
    if (here.length) return { unitId, userIds: here };
  }
  return { unitId: null, userIds: [] };
}

/** The root (street) of a unit. */
export function streetOf(tree: OrgTree, unitId: string): string {
  const up = ancestorsOf(tree, unitId);
  return up.length ? up[up.length - 1]! : unitId;
}

/**
 * A staff member's level for approval chains, from their posts: 主要领导 (`main_leader`),
 * 副职/分管领导 (`deputy`), 科室负责人 (`section_head`) or 工作人员 (`staff`).
 */
export type StaffLevel = 'main_leader' | 'deputy' | 'section_head' | 'staff';
export function staffLevel(posts: readonly string[]): StaffLevel {
  if (posts.some((p) => p === 'main_leader' || p === 'party_secretary' || p === 'director')) return 'main_leader';
  if (posts.some((p) => p === 'leader_in_charge' || p === 'presiding_leader' || p === 'bureau_leader')) return 'deputy';
  if (posts.some((p) => p === 'section_head' || p === 'station_head')) return 'section_head';
  return 'staff';
}
