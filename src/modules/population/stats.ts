import type { Actor } from '../../platform/auth/actor.js';
import type { Db } from '../../platform/db/index.js';
import type { SurveySnapshot } from '../../platform/db/schema.js';
import { forbidden, notFound } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { classifyGrid, ratiosOf, surveyFlags, type Flag } from '../../platform/org/figures.js';
import { officeToday } from '../../platform/time.js';
import { unitName } from './common.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { pop } from './schema.js';
import { staffingFlag, staffingOf } from './staffing.js';
import { fundingFlag, fundingFlagsOf } from './assessment.js';
import { leadsByReporter } from './crime-leads.js';

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
  const staffing = new Map((await staffingOf(db, { tree, actor })).map((r) => [r.orgUnitId, r]));
  const year = Number(officeToday().slice(0, 4));
  const funding = await fundingFlagsOf(db, year);
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
    const staffed = staffing.get(unitId);
    const staffFlag = staffed ? staffingFlag(staffed) : null;
    if (staffFlag) flags.push(staffFlag);
    const fundFlag = u.kind === 'community' ? fundingFlag(year, funding.get(unitId)) : null;
    if (fundFlag) flags.push(fundFlag);
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
    .where((eb) => eb.or([inScope(actor.scope, 'work_counters')(eb), eb('work_counters.user_id', '=', actor.userId)]))
    .execute();
  return rows.map((r) => ({ userId: r.user_id, name: r.name, gridId: r.grid_id, gridName: tree.units.get(r.grid_id)?.name ?? null, collected: r.collected, entered: r.entered, passed: r.passed }));
}

/**
 * 000:40 — the month's ranking (by passed, then entered, then collected) and the reward of the top N
 * at the pack's rates (0.5 / 1 / 1.5 yuan per collected / entered / passed record by default).
 * The pack's ranked level decides who is ranked: grid workers (default) — the holders of a 网格员
 * post in a grid in the caller's scope during the month, with no work counted as zero, and nobody
 * else (a station clerk or the 流管办 who collected records is not a grid worker) — communities
 * (every record collected in their grids) or the street as a whole. Nothing collected, no reward.
 */
export async function monthlyRanking(db: Db, actor: Actor, month: string) {
  const { rules, version } = await populationPolicy(db);
  const tree = await loadOrgTree(db);
  const level = rules.reward.rankedLevel;
  type Entry = { key: string; name: string; gridName: string | null; collected: number; entered: number; passed: number };
  const groups = new Map<string, Entry>();
  const entry = (key: string, name: string, gridName: string | null = null) => {
    const g = groups.get(key) ?? { key, name, gridName, collected: 0, entered: 0, passed: 0 };
    groups.set(key, g);
    return g;
  };
  const add = (g: Entry | undefined, w: { collected: number; entered: number; passed: number }) => {
    if (!g) return;
    g.collected += w.collected; g.entered += w.entered; g.passed += w.passed;
  };
  if (level === 'grid_worker') {
    const workers = await gridWorkersOf(db, tree, actor, month);
    for (const w of workers) entry(w.userId, w.name, unitName(tree, w.gridId));
    const counters = workers.length
      ? await pop(db).selectFrom('work_counters').select(['user_id', 'collected', 'entered', 'passed'])
        .where('month', '=', month).where('user_id', 'in', workers.map((w) => w.userId)).execute()
      : [];
    for (const c of counters) add(groups.get(c.user_id), c);
  } else {
    const counters = await workCounters(db, actor, month);
    if (level === 'community') {
      const [from, to] = monthBounds(month);
      for (const u of tree.units.values()) {
        if (u.kind === 'community' && scopeCovers(actor.scope, u.id) && u.valid_from <= to && (u.valid_to === null || u.valid_to >= from)) entry(u.id, u.name);
      }
      for (const c of counters) {
        const community = tree.units.get(c.gridId)?.parent_id;
        if (community && scopeCovers(actor.scope, c.gridId)) add(groups.get(community) ?? entry(community, unitName(tree, community) ?? community), c);
      }
    } else {
      const street = entry('street', '全街道');
      for (const c of counters) if (scopeCovers(actor.scope, c.gridId)) add(street, c);
    }
  }
  // 000:41 — crime leads are rewarded per lead at the pack's rate, whatever the rank (grid workers' ranking only).
  const leads = level === 'grid_worker' ? await leadsByReporter(db, month, [...groups.keys()]) : new Map<string, number>();
  const ranked = [...groups.values()].sort((a, b) => b.passed - a.passed || b.entered - a.entered || b.collected - a.collected || a.name.localeCompare(b.name, 'zh-CN'));
  let rank = 0;
  let prev: Entry | null = null;
  const items = ranked.map((e, i) => {
    if (!prev || prev.passed !== e.passed || prev.entered !== e.entered || prev.collected !== e.collected) rank = i + 1;
    prev = e;
    const rewarded = rank <= rules.reward.topN && e.collected + e.entered + e.passed > 0;
    const crimeLeads = leads.get(e.key) ?? 0;
    const crimeLeadRewardFen = crimeLeads * rules.reward.crimeLeadFen;
    const rewardFen = (rewarded ? e.collected * rules.reward.collectedFen + e.entered * rules.reward.enteredFen + e.passed * rules.reward.passedFen : 0) + crimeLeadRewardFen;
    return { rank, id: e.key, name: e.name, gridName: e.gridName, collected: e.collected, entered: e.entered, passed: e.passed, rewarded, crimeLeads, crimeLeadRewardFen, rewardFen };
  });
  return { month, level, rates: { collectedFen: rules.reward.collectedFen, enteredFen: rules.reward.enteredFen, passedFen: rules.reward.passedFen, topN: rules.reward.topN, crimeLeadFen: rules.reward.crimeLeadFen }, policyVersion: version, items };
}

/** The first and last day of a month `YYYY-MM`. */
function monthBounds(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, '0')}`];
}

/** Who held a 网格员 post in a grid of the caller's scope on some day of the month (one entry each, their first grid). */
async function gridWorkersOf(db: Db, tree: OrgTree, actor: Actor, month: string): Promise<{ userId: string; name: string; gridId: string }[]> {
  const [from, to] = monthBounds(month);
  const rows = await db.selectFrom('staff_posts as p').innerJoin('users as u', 'u.id', 'p.user_id')
    .select(['p.user_id', 'u.name', 'p.org_unit_id'])
    .where('p.post', '=', 'grid_worker')
    .where('p.valid_from', '<=', to)
    .where((eb) => eb.or([eb('p.valid_to', 'is', null), eb('p.valid_to', '>=', from)]))
    .orderBy('p.is_primary', 'desc').orderBy('p.valid_from').orderBy('p.user_id')
    .execute();
  const out = new Map<string, { userId: string; name: string; gridId: string }>();
  for (const r of rows) {
    if (out.has(r.user_id) || tree.units.get(r.org_unit_id)?.kind !== 'grid' || !scopeCovers(actor.scope, r.org_unit_id)) continue;
    out.set(r.user_id, { userId: r.user_id, name: r.name, gridId: r.org_unit_id });
  }
  return [...out.values()];
}
