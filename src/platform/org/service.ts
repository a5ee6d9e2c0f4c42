import type { Db } from '../db/index.js';
import type { OrgUnitRow, SurveySnapshot } from '../db/schema.js';
import type { Actor } from '../auth/actor.js';
import { notFound } from '../http/errors.js';
import { activePolicy } from '../policy/service.js';
import { officeToday } from '../time.js';
import { postActiveOn } from './profile.js';
import { ancestorsOf, loadOrgTree, type OrgTree } from './tree.js';
import { scopeCovers } from './scope.js';
import { classifyGrid, ratiosOf, surveyFlags } from './figures.js';

export interface OrgNode {
  id: string; parentId: string | null; kind: string; code: string; name: string;
  validFrom: string; validTo: string | null; children: OrgNode[];
}

export const unitDto = (u: OrgUnitRow) => ({
  id: u.id, parentId: u.parent_id, kind: u.kind, code: u.code, name: u.name, validFrom: u.valid_from, validTo: u.valid_to,
});

/** Units the actor may see: those in scope plus their ancestors (so the tree stays connected). */
function visibleUnits(tree: OrgTree, actor: Actor): Set<string> {
  if (actor.scope.all) return new Set(tree.units.keys());
  const out = new Set<string>();
  for (const id of actor.scope.unitIds) {
    out.add(id);
    for (const a of ancestorsOf(tree, id)) out.add(a);
  }
  return out;
}

export async function visibleTree(db: Db, actor: Actor): Promise<OrgNode[]> {
  const tree = await loadOrgTree(db);
  const visible = visibleUnits(tree, actor);
  const build = (id: string): OrgNode => ({
    ...unitDto(tree.units.get(id)!),
    children: (tree.children.get(id) ?? []).filter((c) => visible.has(c)).map(build),
  });
  return (tree.children.get(null) ?? []).filter((id) => visible.has(id)).map(build);
}

export async function listUnits(db: Db, actor: Actor, q: { parentId?: string; kind?: string; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  const visible = visibleUnits(tree, actor);
  const all = [...tree.units.values()]
    .filter((u) => visible.has(u.id) && (q.parentId === undefined || u.parent_id === q.parentId) && (!q.kind || u.kind === q.kind))
    .sort((a, b) => a.sort_order - b.sort_order || a.code.localeCompare(b.code));
  return { items: all.slice((q.page - 1) * q.pageSize, q.page * q.pageSize).map(unitDto), total: all.length };
}

/**
 * One unit with its survey figures, classification, flags, linked units and staff. A unit the
 * caller sees only as context — an ancestor on the path to their own units, not covered by their
 * scope — shows what the tree shows (id, kind, code, name, parent, validity) and nothing more:
 * no figures, no flags (which sum children outside the scope), no links, no staff.
 */
export async function unitDetail(db: Db, actor: Actor, id: string, today = officeToday()) {
  const tree = await loadOrgTree(db);
  const u = tree.units.get(id);
  if (!u || !visibleUnits(tree, actor).has(id)) throw notFound('未找到该单位。');
  const parent = u.parent_id ? tree.units.get(u.parent_id) : undefined;
  const head = { ...unitDto(u), parentName: parent?.name ?? null };
  // An ancestor of the caller's units is visible to place them in the tree, but its data is not theirs:
  // `inScope: false` lets the page say so instead of showing empty figures and an empty staff list.
  if (!scopeCovers(actor.scope, id)) {
    return { ...head, inScope: false, survey: null, ratios: null, classification: null, flags: [], links: [], staff: [] };
  }
  const { pack } = await activePolicy(db);
  const survey = u.survey as SurveySnapshot | null;
  const childSurveys = (tree.children.get(id) ?? []).map((c) => tree.units.get(c)!)
    .filter((c) => c.kind === (u.kind === 'street' ? 'community' : 'grid') && c.survey).map((c) => c.survey as SurveySnapshot);
  const flags = survey ? surveyFlags(survey, u.kind === 'grid' ? [] : childSurveys) : [];
  let classification = null;
  if (u.kind === 'grid') {
    const c = classifyGrid(survey, u.key_designation, pack.grid);
    classification = c.classification;
    flags.push(...c.flags);
  }
  const linkRows = await db.selectFrom('org_unit_links').select(['from_unit_id', 'to_unit_id'])
    .where((eb) => eb.or([eb('from_unit_id', '=', id), eb('to_unit_id', '=', id)]))
    .where('valid_to', 'is', null).execute();
  // Only linked units the caller may see themselves (a grid worker's police area is outside a 本单位 scope).
  const links = linkRows.map((l) => (l.from_unit_id === id ? l.to_unit_id : l.from_unit_id))
    .filter((other) => scopeCovers(actor.scope, other)).map((other) => tree.units.get(other))
    .filter((l): l is OrgUnitRow => l !== undefined).sort((a, b) => a.code.localeCompare(b.code));
  // Posts running on the office's today (fixed-term posts included), as in a person's own list of active posts.
  const staffRows = await db.selectFrom('staff_posts as p').innerJoin('users as s', 's.id', 'p.user_id')
    .select(['s.id', 's.name', 'p.post', 'p.is_primary']).where('p.org_unit_id', '=', id)
    .where(postActiveOn(today)).orderBy('p.post').execute();
  return {
    ...head,
    inScope: true,
    survey,
    ratios: survey ? ratiosOf(survey) : null,
    classification,
    flags,
    links: links.map((l) => ({ id: l.id, kind: l.kind, code: l.code, name: l.name })),
    staff: staffRows.map((s) => ({ userId: s.id, name: s.name, post: s.post, primary: s.is_primary })),
  };
}
