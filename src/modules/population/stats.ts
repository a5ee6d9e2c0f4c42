import type { Actor } from '../../platform/auth/actor.js';
import type { Db } from '../../platform/db/index.js';
import type { SurveySnapshot } from '../../platform/db/schema.js';
import { forbidden, notFound } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers, scopeFilter } from '../../platform/org/scope.js';
import { classifyGrid, ratiosOf, surveyFlags, type Flag } from '../../platform/org/figures.js';
import { officeToday } from '../../platform/time.js';
import { populationPolicy } from './policy.js';
import { pop } from './schema.js';

/**
 * Statistics street → community → grid: the recorded survey snapshot beside live counts from the
 * registry (summed from the per-grid counters kept in each write's transaction — never a count over
 * a million rows), the grid classification and the flags of PRODUCT.md M2.
 */
export interface Live { migrants: number; houses: number; rentals: number; employers: number }
const ZERO: Live = { migrants: 0, houses: 0, rentals: 0, employers: 0 };

const gridsUnder = (tree: OrgTree, unitId: string): string[] => {
  const u = tree.units.get(unitId);
  if (!u) return [];
  if (u.kind === 'grid') return [unitId];
  return (tree.children.get(unitId) ?? []).flatMap((c) => gridsUnder(tree, c));
};

/** The caller's widest unit: the highest unit of the tree they cover. */
export function widestUnit(tree: OrgTree, actor: Actor): string | null {
  let best: { id: string; depth: number } | null = null;
  for (const id of actor.scope.unitIds) {
    const u = tree.units.get(id);
    if (!u || !['street', 'community', 'grid'].includes(u.kind)) continue;
    let depth = 0;
    for (let p = u.parent_id; p; p = tree.units.get(p)?.parent_id ?? null) depth++;
    if (!best || depth < best.depth) best = { id, depth };
  }
  return best?.id ?? null;
}

export async function populationStats(db: Db, actor: Actor, orgUnitId?: string) {
  const tree = await loadOrgTree(db);
  const id = orgUnitId ?? widestUnit(tree, actor);
  if (!id) throw forbidden('您的岗位没有可统计的辖区。');
  const unit = tree.units.get(id);
  if (!unit || !scopeCovers(actor.scope, id)) throw notFound('未找到该单位。');
  if (!['street', 'community', 'grid'].includes(unit.kind)) throw notFound('只能统计街道、社区或网格。');
  const { grid: gridRules } = await populationPolicy(db);
  const counters = await pop(db).selectFrom('population_counters').selectAll().where('grid_id', 'in', gridsUnder(tree, id).concat(['00000000-0000-0000-0000-000000000000'])).execute();
  const byGrid = new Map(counters.map((c) => [c.grid_id, c]));
  const liveOf = (unitId: string): Live => gridsUnder(tree, unitId).reduce((acc, g) => {
    const c = byGrid.get(g);
    return c ? { migrants: acc.migrants + c.migrants, houses: acc.houses + c.houses, rentals: acc.rentals + c.rentals, employers: acc.employers + c.employers } : acc;
  }, { ...ZERO });
  const figures = (unitId: string) => {
    const u = tree.units.get(unitId)!;
    const survey = (u.survey as SurveySnapshot | null) ?? null;
    const childKind = u.kind === 'street' ? 'community' : u.kind === 'community' ? 'grid' : null;
    const children = childKind ? (tree.children.get(unitId) ?? []).map((c) => tree.units.get(c)!).filter((c) => c.kind === childKind && c.valid_to === null) : [];
    const live = liveOf(unitId);
    const flags: Flag[] = survey ? surveyFlags(survey, children.filter((c) => c.survey).map((c) => c.survey as SurveySnapshot)) : [];
    if (live.rentals > live.houses) flags.push({ code: 'LIVE_RENTALS_EXCEED_HOUSES', message: `登记的出租房屋（${live.rentals}）多于登记的房屋（${live.houses}）。` });
    let classification = null;
    if (u.kind === 'grid') {
      const c = classifyGrid(survey, u.key_designation, gridRules);
      classification = c.classification.kind;
      flags.push(...c.flags);
    }
    return {
      orgUnitId: unitId, name: u.name, kind: u.kind,
      survey: survey ? { residents: survey.residents, migrants: survey.migrants, houses: survey.houses, rentals: survey.rentals, shops: survey.shops, employers: survey.employers, asOf: survey.asOf } : null,
      ratios: survey ? ratiosOf(survey) : null,
      live,
      ...(u.kind === 'grid' ? { classification, keyReason: u.key_designation?.reason ?? null } : {}),
      flags,
      childIds: children.map((c) => c.id),
    };
  };
  const top = figures(id);
  const children = top.childIds.filter((c) => scopeCovers(actor.scope, c)).map((c) => {
    const { childIds: _omit, ...rest } = figures(c);
    return rest;
  });
  const { childIds: _omit, ...head } = top;
  return { ...head, asOf: officeToday(), children };
}

// ------------------------------------------------------------ work counters and ranking

/** Monthly counters (采集 / 录入 / 审核合格) of the collectors the caller may see. */
export async function workCounters(db: Db, actor: Actor, month: string) {
  const tree = await loadOrgTree(db);
  const rows = await pop(db).selectFrom('work_counters').innerJoin('users', 'users.id', 'work_counters.user_id')
    .select(['work_counters.user_id', 'users.name', 'work_counters.grid_id', 'collected', 'entered', 'passed'])
    .where('month', '=', month)
    .where((eb) => eb.or([scopeFilter(actor.scope, 'work_counters.grid_id')(eb), eb('work_counters.user_id', '=', actor.userId)]))
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: r.name, gridId: r.grid_id, gridName: tree.units.get(r.grid_id)?.name ?? null, collected: r.collected, entered: r.entered, passed: r.passed }));
}

/**
 * 000:40 — the month's ranking (by passed, then entered, then collected) and the reward of the top N
 * at the pack's rates (0.5 / 1 / 1.5 yuan per collected / entered / passed record by default).
 * The ranked level is the pack's: grid workers (default), communities or the street as a whole.
 */
export async function monthlyRanking(db: Db, actor: Actor, month: string) {
  const { rules, version } = await populationPolicy(db);
  const tree = await loadOrgTree(db);
  const workers = await workCounters(db, actor, month);
  const level = rules.reward.rankedLevel;
  type Entry = { key: string; name: string; collected: number; entered: number; passed: number };
  const groups = new Map<string, Entry>();
  for (const w of workers) {
    const key = level === 'grid_worker' ? w.userId : level === 'community' ? (tree.units.get(w.gridId)?.parent_id ?? w.gridId) : 'street';
    const name = level === 'grid_worker' ? w.name : level === 'community' ? (tree.units.get(key)?.name ?? key) : '全街道';
    const g = groups.get(key) ?? { key, name, collected: 0, entered: 0, passed: 0 };
    g.collected += w.collected; g.entered += w.entered; g.passed += w.passed;
    groups.set(key, g);
  }
  const ranked = [...groups.values()].sort((a, b) => b.passed - a.passed || b.entered - a.entered || b.collected - a.collected || a.name.localeCompare(b.name, 'zh-CN'));
  let rank = 0;
  let prev: Entry | null = null;
  const items = ranked.map((e, i) => {
    if (!prev || prev.passed !== e.passed || prev.entered !== e.entered || prev.collected !== e.collected) rank = i + 1;
    prev = e;
    const rewarded = rank <= rules.reward.topN;
    const rewardFen = rewarded ? e.collected * rules.reward.collectedFen + e.entered * rules.reward.enteredFen + e.passed * rules.reward.passedFen : 0;
    return { rank, id: e.key, name: e.name, collected: e.collected, entered: e.entered, passed: e.passed, rewarded, rewardFen };
  });
  return { month, level, rates: { collectedFen: rules.reward.collectedFen, enteredFen: rules.reward.enteredFen, passedFen: rules.reward.passedFen, topN: rules.reward.topN }, policyVersion: version, items };
}
