import type { Db } from '../db/index.js';
import { holdersOf, nearestHolders, staffLevel, streetOf, type StaffLevel } from '../org/holders.js';
import { postActiveOn } from '../org/profile.js';
import type { OrgTree } from '../org/tree.js';
import type { ApproverRule } from './chain.js';

/** Who asks: the unit their request belongs to (their primary post's), their street, level and rank. */
export interface Applicant {
  id: string;
  name: string;
  unitId: string;
  streetId: string;
  posts: string[];
  level: StaffLevel;
  rank: string | null;
}

export async function loadApplicant(db: Db, tree: OrgTree, userId: string, day: string): Promise<Applicant | null> {
  const user = await db.selectFrom('users').select(['id', 'name', 'rank', 'status']).where('id', '=', userId).executeTakeFirst();
  if (!user || user.status !== 'active') return null;
  const posts = await db.selectFrom('staff_posts as p').select(['p.org_unit_id', 'p.post', 'p.is_primary'])
    .where('p.user_id', '=', userId).where(postActiveOn(day)).orderBy('p.is_primary', 'desc').orderBy('p.valid_from').execute();
  if (posts.length === 0) return null;
  const unitId = posts[0]!.org_unit_id;
  const codes = posts.map((p) => p.post);
  return { id: user.id, name: user.name, unitId, streetId: streetOf(tree, unitId), posts: codes, level: staffLevel(codes), rank: user.rank };
}

const MAIN_POST = { director: 'director', party_secretary: 'party_secretary', any: 'main_leader' } as const;

/**
 * The people an approver rule names for this applicant on this day, never the applicant: when the
 * rule finds only the applicant (a section head asking under `section_head`), or nobody, its
 * `fallback` rule applies — the pack says which rule is "next up". `external` names nobody by design.
 */
export async function resolveRule(db: Db, tree: OrgTree, rule: ApproverRule, a: Applicant, day: string): Promise<string[]> {
  const found = (await resolveOne(db, tree, rule, a, day)).filter((id) => id !== a.id);
  if (found.length || rule.type === 'external') return [...new Set(found)];
  return rule.fallback ? resolveRule(db, tree, rule.fallback, a, day) : [];
}

async function resolveOne(db: Db, tree: OrgTree, rule: ApproverRule, a: Applicant, day: string): Promise<string[]> {
  const exclude = [a.id];
  const atStreet = async (posts: string[]) => (await holdersOf(db, { posts, unitIds: [a.streetId], day })).map((h) => h.userId);
  switch (rule.type) {
    case 'section_head':
      return (await nearestHolders(db, tree, { posts: ['section_head', 'station_head'], unitId: a.unitId, day, exclude })).userIds;
    case 'leader_in_charge':
      return (await nearestHolders(db, tree, { posts: ['leader_in_charge'], unitId: a.unitId, day, exclude })).userIds;
    case 'main_leader':
      return atStreet([MAIN_POST[rule.which]]);
    case 'other_main_leader':
      return (await atStreet(['main_leader'])).filter((id) => id !== a.id);
    case 'presiding_leader':
    case 'bureau_leader':
      return (await nearestHolders(db, tree, { posts: [rule.type], unitId: a.unitId, day, exclude })).userIds;
    case 'post': {
      let unitId = a.streetId;
      if (rule.unitCode) {
        const unit = [...tree.units.values()].find((u) => u.code === rule.unitCode && (u.valid_to === null || u.valid_to > day));
        if (!unit) return [];
        unitId = unit.id;
      }
      return (await holdersOf(db, { posts: [rule.post], unitIds: [unitId], day })).map((h) => h.userId);
    }
    case 'role': {
      const rows = await db.selectFrom('role_grants as g').innerJoin('users as u', 'u.id', 'g.user_id').select('g.user_id')
        .where('g.role', '=', rule.role).where('g.revoked_at', 'is', null).where('u.status', '=', 'active').orderBy('g.granted_at').execute();
      return rows.map((r) => r.user_id);
    }
    case 'collective_decision':
      return (await holdersOf(db, { posts: ['collective_decision'], unitIds: 'any', day })).map((h) => h.userId);
    case 'external':
      return [];
  }
}

/** The longest chain of out-of-office delegations followed (A → B → C …). */
export const MAX_DELEGATION_DEPTH = 5;

export interface Assignment { ownerId: string; assigneeId: string; onBehalfOfId: string | null }

/**
 * Applies out-of-office delegations (委托) valid on `day` for `kind`: A away, naming B, gives B the
 * task "on behalf of A"; B away naming C gives it to C, up to a bounded depth. A cycle stops at the
 * last person not yet seen, and a delegation never hands a task to the applicant (it stops before).
 */
export async function applyDelegations(db: Db, ownerId: string, kind: string, day: string, applicantId: string): Promise<Assignment> {
  let current = ownerId;
  const seen = new Set([ownerId]);
  for (let depth = 0; depth < MAX_DELEGATION_DEPTH; depth++) {
    const d = await db.selectFrom('delegations').select('to_user_id')
      .innerJoin('users as u', 'u.id', 'delegations.to_user_id')
      .where('from_user_id', '=', current).where('revoked_at', 'is', null)
      .where('valid_from', '<=', day).where('valid_to', '>', day).where('u.status', '=', 'active')
      .where((eb) => eb.or([eb('kinds', 'is', null), eb(eb.val(kind), '=', eb.fn.any('kinds'))]))
      .orderBy('delegations.created_at', 'desc').limit(1).executeTakeFirst();
    if (!d || d.to_user_id === applicantId || seen.has(d.to_user_id)) break;
    seen.add(d.to_user_id);
    current = d.to_user_id;
  }
  return { ownerId, assigneeId: current, onBehalfOfId: current === ownerId ? null : ownerId };
}
