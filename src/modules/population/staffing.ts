import type { Actor } from '../../platform/auth/actor.js';
import type { Db } from '../../platform/db/index.js';
import type { Flag } from '../../platform/org/figures.js';
import { holdersOf } from '../../platform/org/holders.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { officeToday } from '../../platform/time.js';
import { populationPolicy, type PopulationPolicy } from './policy.js';

/**
 * Staffing rules of seed 000 (l.16, l.103, l.127): each grid has exactly one full-time assistant
 * (专职协管员, the `grid_worker` post held in the grid) and each community station exactly one
 * information entry clerk (信息录入员, the `station_clerk` post held in the community). The number
 * comes from the pack (`population.staffing`); a unit with fewer or more active holders is flagged.
 */
export type StaffingRule = 'grid_worker' | 'entry_clerk';
export interface StaffingRow {
  orgUnitId: string; name: string; kind: 'grid' | 'community'; communityId: string | null;
  rule: StaffingRule; post: 'grid_worker' | 'station_clerk'; required: number; count: number;
  holders: { userId: string; name: string }[]; flagged: boolean;
}

const RULES: { rule: StaffingRule; kind: 'grid' | 'community'; post: 'grid_worker' | 'station_clerk'; required: (p: PopulationPolicy) => number }[] = [
  { rule: 'grid_worker', kind: 'grid', post: 'grid_worker', required: (p) => p.staffing.gridWorkersPerGrid },
  { rule: 'entry_clerk', kind: 'community', post: 'station_clerk', required: (p) => p.staffing.entryClerksPerStation },
];

/** Every active grid and community in the caller's scope (or in the whole tree), with its holders on `day`. */
export async function staffingOf(db: Db, opts: { tree?: OrgTree; actor?: Actor; day?: string } = {}): Promise<StaffingRow[]> {
  const tree = opts.tree ?? await loadOrgTree(db);
  const day = opts.day ?? officeToday();
  const { rules } = await populationPolicy(db);
  const units = [...tree.units.values()].filter((u) => (u.kind === 'grid' || u.kind === 'community') && u.valid_from <= day && (u.valid_to === null || u.valid_to >= day)
    && (!opts.actor || scopeCovers(opts.actor.scope, u.id)));
  const holders = await holdersOf(db, { posts: RULES.map((r) => r.post), unitIds: units.map((u) => u.id), day });
  const names = new Map((holders.length ? await db.selectFrom('users').select(['id', 'name']).where('id', 'in', [...new Set(holders.map((h) => h.userId))]).execute() : []).map((u) => [u.id, u.name]));
  const out: StaffingRow[] = [];
  for (const u of units) {
    const r = RULES.find((x) => x.kind === u.kind)!;
    const here = [...new Set(holders.filter((h) => h.unitId === u.id && h.post === r.post).map((h) => h.userId))].map((id) => ({ userId: id, name: names.get(id) ?? '' }));
    const required = r.required(rules);
    out.push({
      orgUnitId: u.id, name: u.name, kind: r.kind, communityId: u.kind === 'grid' ? u.parent_id : u.id,
      rule: r.rule, post: r.post, required, count: here.length, holders: here, flagged: here.length !== required,
    });
  }
  return out.sort((a, b) => (tree.units.get(a.orgUnitId)!.sort_order - tree.units.get(b.orgUnitId)!.sort_order));
}

/** The flag a staffing row raises on the statistics page, or none. */
export function staffingFlag(row: StaffingRow): Flag | null {
  if (!row.flagged) return null;
  const who = row.rule === 'grid_worker' ? '专职协管员（网格员）' : '信息录入员';
  const where = row.rule === 'grid_worker' ? '本网格' : '本社区流管站';
  return row.count === 0
    ? { code: row.rule === 'grid_worker' ? 'STAFFING_GRID_WORKER_MISSING' : 'STAFFING_ENTRY_CLERK_MISSING', message: `${where}没有在岗的${who}（应配备 ${row.required} 名）。` }
    : { code: row.rule === 'grid_worker' ? 'STAFFING_GRID_WORKER_EXCESS' : 'STAFFING_ENTRY_CLERK_EXCESS', message: `${where}有 ${row.count} 名在岗的${who}（应配备 ${row.required} 名）：${row.holders.map((h) => h.name).join('、')}。` };
}

/** GET /population/staffing — the staffing of the caller's grids and stations; `flagged` keeps only those breaking the rule. */
export async function staffingList(db: Db, actor: Actor, q: { flagged?: boolean }) {
  const { rules } = await populationPolicy(db);
  const rows = await staffingOf(db, { actor });
  return {
    asOf: officeToday(),
    required: { gridWorkersPerGrid: rules.staffing.gridWorkersPerGrid, entryClerksPerStation: rules.staffing.entryClerksPerStation },
    flaggedCount: rows.filter((r) => r.flagged).length,
    items: q.flagged ? rows.filter((r) => r.flagged) : rows,
  };
}
