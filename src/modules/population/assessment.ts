import type { Actor } from '../../platform/auth/actor.js';
import type { Flag } from '../../platform/org/figures.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { forbidden, unprocessable } from '../../platform/http/errors.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { inScope, unscopedRead } from '../../platform/org/scoped-tables.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { officeDayStart, officeToday } from '../../platform/time.js';
import { populationPolicy, type PopulationPolicy } from './policy.js';
import { pop, popTx, type PopTx } from './schema.js';

/**
 * 000:40 — 每月录入工作未达标或录入工作被区流管办扣分者，列入年度目标考核扣分项目同时扣除此项工作的部分经费.
 * Each month the records entered (录入, collection_records.entered_at) in a community's grids are
 * counted against the community's standard from the pack (`population.entryStandard`); a month short
 * of it adds one deduction item (扣分项目) to the community's annual target assessment and sets the
 * funding-deduction flag (经费扣减) for the year. A deduction by the district (区里扣分), recorded by
 * the street's 流管办, does the same. The month's evaluation runs on the scheduler for the month just
 * ended and may be run on demand; it adds at most one item per community and month.
 */
export const SHORTFALL_SCHEDULE = 'population.entry-shortfall';

const nextMonth = (month: string): string => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};
/** The office month before the one `now` falls in. */
export function previousMonth(now: Date): string {
  const [y, m] = officeToday(now.getTime()).slice(0, 7).split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** The standard of a community for a month: its own figure in the pack, else the default. */
export const standardOf = (rules: PopulationPolicy, communityName: string): number =>
  rules.entryStandard.byCommunity[communityName] ?? rules.entryStandard.monthlyEntries;

/** Communities that existed during the month, optionally only those in the actor's scope. */
function communitiesOf(tree: OrgTree, first: string, last: string, actor?: Actor) {
  return [...tree.units.values()]
    .filter((u) => u.kind === 'community' && u.valid_from < last && (u.valid_to === null || u.valid_to >= first) && (!actor || scopeCovers(actor.scope, u.id)))
    .sort((a, b) => a.sort_order - b.sort_order);
}

/** Records entered in each community's grids during the office month. */
async function entriesByCommunity(db: Db | PopTx, month: string): Promise<Map<string, number>> {
  const rows = await pop(db as Db).selectFrom('collection_records').innerJoin('org_units as g', 'g.id', 'collection_records.grid_id')
    .select(['g.parent_id as community_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('collection_records.entered_at', '>=', officeDayStart(`${month}-01`))
    .where('collection_records.entered_at', '<', officeDayStart(`${nextMonth(month)}-01`))
    .where(unscopedRead('entries of every community of the month: the rows shown are then limited to the communities in scope'))
    .groupBy('g.parent_id').execute();
  return new Map(rows.map((r) => [r.community_id as string, Number(r.n)]));
}

export interface EntryCheckRow {
  orgUnitId: string; name: string; entries: number; standard: number; short: boolean; shortfall: number;
  /** The deduction item this month added, once evaluated. */
  itemId: string | null;
}

async function entryCheckRows(db: Db, month: string, actor?: Actor): Promise<{ rows: EntryCheckRow[]; rules: PopulationPolicy; version: number }> {
  const [tree, { rules, version }, entries] = await Promise.all([loadOrgTree(db), populationPolicy(db), entriesByCommunity(db, month)]);
  const units = communitiesOf(tree, `${month}-01`, `${nextMonth(month)}-01`, actor);
  const items = units.length === 0 ? [] : await pop(db).selectFrom('assessment_items').select(['id', 'org_unit_id'])
    .where('source', '=', 'entry_shortfall').where('month', '=', month).where('org_unit_id', 'in', units.map((u) => u.id)).execute();
  const itemOf = new Map(items.map((i) => [i.org_unit_id, i.id]));
  const rows = units.map((u) => {
    const n = entries.get(u.id) ?? 0; const standard = standardOf(rules, u.name);
    return { orgUnitId: u.id, name: u.name, entries: n, standard, short: n < standard, shortfall: Math.max(0, standard - n), itemId: itemOf.get(u.id) ?? null };
  });
  return { rows, rules, version };
}

/** GET /population/assessment/entries?month= — each community in scope: entries of the month against its standard. */
export async function entryCheck(db: Db, actor: Actor, month: string) {
  const { rows, rules } = await entryCheckRows(db, month, actor);
  const over = month < officeToday().slice(0, 7);
  return { month, monthOver: over, defaultStandard: rules.entryStandard.monthlyEntries, shortfallPoints: rules.entryStandard.shortfallPoints, items: rows };
}

/** Adds an item and sets the year's funding flag if not yet set (inside the caller's transaction). */
async function addItem(tx: PopTx, item: { orgUnitId: string; year: number; month: string | null; source: 'entry_shortfall' | 'district'; points: number; reason: string; entries?: number; standard?: number; policyVersion?: number; createdBy: string | null }): Promise<string | null> {
  const id = uuidv7();
  const inserted = await tx.insertInto('assessment_items').values({
    id, org_unit_id: item.orgUnitId, year: item.year, month: item.month, source: item.source, points: item.points, reason: item.reason,
    entries: item.entries ?? null, standard: item.standard ?? null, policy_version: item.policyVersion ?? null, created_by: item.createdBy,
  }).onConflict((oc) => oc.columns(['org_unit_id', 'month']).where('source', '=', 'entry_shortfall').doNothing()).returning('id').executeTakeFirst();
  if (!inserted) return null;
  await tx.insertInto('funding_deduction_flags').values({ org_unit_id: item.orgUnitId, year: item.year, first_item_id: id })
    .onConflict((oc) => oc.columns(['org_unit_id', 'year']).doNothing()).execute();
  return id;
}

/**
 * Evaluates a month that is over: each community short of its standard gets one deduction item
 * (re-running adds none). Run by the scheduler for the month just ended, or on demand by the street.
 */
export async function evaluateMonth(db: Db, month: string, by: { actor: Actor; ip: string | null } | null): Promise<{ month: string; added: number; short: number }> {
  if (month >= officeToday().slice(0, 7)) throw unprocessable('MONTH_NOT_OVER', `${month} 尚未结束，月末后才能考核当月录入。`, [{ path: 'month', code: 'MONTH_NOT_OVER', message: '月份尚未结束' }]);
  const { rows, rules, version } = await entryCheckRows(db, month);
  const short = rows.filter((r) => r.short);
  const added = await inTransaction(db, async (t) => {
    const tx = popTx(t);
    let n = 0;
    for (const r of short) {
      const id = await addItem(tx, {
        orgUnitId: r.orgUnitId, year: Number(month.slice(0, 4)), month, source: 'entry_shortfall', points: rules.entryStandard.shortfallPoints,
        reason: `${month} 录入 ${r.entries} 条，未达标准 ${r.standard} 条`, entries: r.entries, standard: r.standard, policyVersion: version, createdBy: by?.actor.userId ?? null,
      });
      if (id) n += 1;
    }
    await recordAudit(t, {
      actorId: by?.actor.userId ?? null, actorName: by?.actor.name ?? null, action: 'assessment.evaluate', entity: 'assessment_item', entityId: null, ip: by?.ip ?? null,
      summary: { month, short: short.length, added: n },
    });
    return n;
  });
  return { month, added, short: short.length };
}

/** The scheduled run: evaluates the month before `now` (daily; only the first run of a month adds items). */
export const shortfallSchedule = { name: SHORTFALL_SCHEDULE, spec: { dailyAt: '01:30' } as const, run: async ({ db, now }: { db: Db; now: Date }) => { await evaluateMonth(db, previousMonth(now), null); } };

/** POST /population/assessment/deductions — a deduction by the district (区流管办扣分), recorded by the street. */
export async function addDistrictDeduction(db: Db, actor: Actor, input: { orgUnitId: string; year: number; points: number; reason: string }, ip: string | null) {
  const tree = await loadOrgTree(db);
  const unit = tree.units.get(input.orgUnitId);
  if (!actor.scope.all && !scopeCovers(actor.scope, input.orgUnitId)) throw forbidden('该社区不在您的管辖范围内。');
  if (!unit || unit.kind !== 'community') throw unprocessable('NOT_A_COMMUNITY', '扣分只能记在社区上。', [{ path: 'orgUnitId', code: 'NOT_A_COMMUNITY', message: '请选择社区' }]);
  const thisYear = Number(officeToday().slice(0, 4));
  if (input.year > thisYear) throw unprocessable('YEAR_IN_FUTURE', '考核年度不能晚于今年。', [{ path: 'year', code: 'YEAR_IN_FUTURE', message: '考核年度不能晚于今年' }]);
  return inTransaction(db, async (t) => {
    const id = (await addItem(popTx(t), { orgUnitId: input.orgUnitId, year: input.year, month: null, source: 'district', points: input.points, reason: input.reason, createdBy: actor.userId }))!;
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'assessment.deduct', entity: 'assessment_item', entityId: id, ip, summary: { orgUnitId: input.orgUnitId, year: input.year, points: input.points } });
    return { id };
  });
}

/** GET /population/assessment?year= — each community in scope: its deduction items of the year, their total and the funding flag. */
export async function assessmentList(db: Db, actor: Actor, year: number) {
  const tree = await loadOrgTree(db);
  const I = 'assessment_items';
  const [items, flags] = await Promise.all([
    pop(db).selectFrom(I).leftJoin('users', 'users.id', `${I}.created_by`).selectAll(I).select('users.name as created_by_name')
      .where(inScope(actor.scope, I)).where(`${I}.year`, '=', year).orderBy(`${I}.created_at`).orderBy(`${I}.id`).execute(),
    pop(db).selectFrom('funding_deduction_flags').selectAll().where(inScope(actor.scope, 'funding_deduction_flags')).where('year', '=', year).execute(),
  ]);
  const flagOf = new Map(flags.map((f) => [f.org_unit_id, f]));
  const units = communitiesOf(tree, `${year}-01-01`, `${year + 1}-01-01`, actor);
  return {
    year,
    items: units.map((u) => {
      const mine = items.filter((i) => i.org_unit_id === u.id);
      const flag = flagOf.get(u.id);
      return {
        orgUnitId: u.id, name: u.name,
        totalPoints: mine.reduce((s, i) => s + Number(i.points), 0),
        fundingDeduction: !!flag, fundingFlaggedAt: flag?.set_at ?? null,
        deductions: mine.map((i) => ({
          id: i.id, source: i.source, month: i.month, points: Number(i.points), reason: i.reason, entries: i.entries, standard: i.standard,
          createdBy: i.created_by_name ?? null, createdAt: i.created_at,
        })),
      };
    }),
  };
}

/** Communities flagged for a funding deduction (经费扣减) in `year`, with their points deducted — the statistics page's flag. */
export async function fundingFlagsOf(db: Db, year: number): Promise<Map<string, number>> {
  const rows = await pop(db).selectFrom('funding_deduction_flags as f').innerJoin('assessment_items as i', (j) => j.onRef('i.org_unit_id', '=', 'f.org_unit_id').onRef('i.year', '=', 'f.year'))
    .select(['f.org_unit_id', (eb) => eb.fn.sum<string>('i.points').as('points')]).where('f.year', '=', year).where(unscopedRead('the statistics flag: looked up for the units the statistics page already scoped'))
    .groupBy('f.org_unit_id').execute();
  return new Map(rows.map((r) => [r.org_unit_id, Number(r.points)]));
}

/** The statistics flag of a community with a funding deduction this year, or none. */
export const fundingFlag = (year: number, points: number | undefined): Flag | null => (points === undefined ? null
  : { code: 'FUNDING_DEDUCTION', message: `${year} 年度目标考核已扣 ${points} 分（录入未达标或区流管办扣分），扣减此项工作的部分经费。` });
