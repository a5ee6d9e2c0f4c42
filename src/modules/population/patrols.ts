import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { forbidden, unprocessable } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { addDays, daysBetween, notInFuture, officeDateOf, todayOffice, unitName } from './common.js';
import { formatHouseAddress } from './address.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { pop, popTx } from './schema.js';

/**
 * 三级巡查 (000:38): the street's 流管办 visits each community station, each station visits its
 * collection points, each grid worker patrols the rental houses of the grid; intervals (natural
 * days) come from the pack. A patrol is a written record: who, when, what was checked, findings.
 */
export type PatrolLevel = 'street' | 'station' | 'grid';
const TARGET_KIND: Record<PatrolLevel, string> = { street: 'community', station: 'collection_point', grid: 'grid' };
const LEVEL_PERMISSION: Record<PatrolLevel, string> = { street: 'patrol:street', station: 'patrol:station', grid: 'patrol:grid' };

export interface PatrolInput {
  level: PatrolLevel; targetUnitId: string; houseId?: string; patrolledOn: string; checked: string; findings: string;
  arrivalsFound?: number; departuresFound?: number; rentalsCounted?: number; migrantsCounted?: number;
}

export async function recordPatrol(db: Db, actor: Actor, input: PatrolInput, ip: string | null) {
  if (!actor.permissions.has(LEVEL_PERMISSION[input.level])) throw forbidden('您的岗位不负责这一级巡查。');
  notInFuture(input.patrolledOn, 'patrolledOn');
  const tree = await loadOrgTree(db);
  if (!scopeCovers(actor.scope, input.targetUnitId)) throw forbidden('巡查对象不在您的管辖范围内。');
  const target = tree.units.get(input.targetUnitId);
  if (!target || target.kind !== TARGET_KIND[input.level]) {
    throw unprocessable('WRONG_PATROL_TARGET', '巡查对象与巡查级别不符。', [{ path: 'targetUnitId', code: 'WRONG_PATROL_TARGET', message: `应为${{ community: '社区流管站', collection_point: '信息采集点', grid: '网格' }[TARGET_KIND[input.level]]}` }]);
  }
  if (input.level === 'grid' && !input.houseId) throw unprocessable('HOUSE_REQUIRED', '网格员巡查须选择出租房屋。', [{ path: 'houseId', code: 'HOUSE_REQUIRED', message: '请选择出租房屋' }]);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    if (input.houseId) {
      const house = await tx.selectFrom('houses').select(['grid_id', 'rental', 'status']).where('id', '=', input.houseId).executeTakeFirst();
      if (!house || house.status !== 'active' || house.grid_id !== input.targetUnitId) {
        throw unprocessable('HOUSE_NOT_IN_GRID', '该房屋不在所巡查的网格内。', [{ path: 'houseId', code: 'HOUSE_NOT_IN_GRID', message: '房屋属于其他网格' }]);
      }
    }
    const id = uuidv7();
    await tx.insertInto('patrols').values({
      id, level: input.level, target_unit_id: input.targetUnitId, house_id: input.houseId ?? null, patrolled_on: input.patrolledOn, patroller_id: actor.userId,
      checked: input.checked, findings: input.findings, arrivals_found: input.arrivalsFound ?? 0, departures_found: input.departuresFound ?? 0,
      rentals_counted: input.rentalsCounted ?? null, migrants_counted: input.migrantsCounted ?? null,
    }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'patrol.create', entity: 'patrol', entityId: id, ip, summary: { level: input.level } });
    return { id, level: input.level, targetUnitId: input.targetUnitId, targetName: unitName(tree, input.targetUnitId), houseId: input.houseId ?? null, patrolledOn: input.patrolledOn };
  });
}

export async function listPatrols(db: Db, actor: Actor, q: { level?: PatrolLevel; targetUnitId?: string; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('patrols').innerJoin('users', 'users.id', 'patrols.patroller_id').leftJoin('houses', 'houses.id', 'patrols.house_id')
    .where(inScope(actor.scope, 'patrols'));
  if (q.level) query = query.where('patrols.level', '=', q.level);
  if (q.targetUnitId) query = query.where('patrols.target_unit_id', '=', q.targetUnitId);
  const [rows, total] = await Promise.all([
    query.selectAll('patrols').select(['users.name as patroller_name', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room']).orderBy('patrolled_on', 'desc').orderBy('patrols.id', 'desc')
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((p) => ({
      id: p.id, level: p.level, targetUnitId: p.target_unit_id, targetName: unitName(tree, p.target_unit_id), houseId: p.house_id, address: formatHouseAddress(p),
      patrolledOn: p.patrolled_on, patrollerName: p.patroller_name, checked: p.checked, findings: p.findings, arrivalsFound: p.arrivals_found,
      departuresFound: p.departures_found, rentalsCounted: p.rentals_counted, migrantsCounted: p.migrants_counted,
    })),
    total: Number(total.n),
  };
}

export interface DuePatrol {
  /** `address`: a house's standard address with building, unit and room. */
  level: PatrolLevel; targetUnitId: string; targetName: string | null; houseId: string | null; address: string | null;
  gridId: string | null; lastPatrolledOn: string | null; dueOn: string; overdue: boolean; overdueDays: number;
  /** Never patrolled (从未巡查): due one interval after `since`. */
  neverPatrolled: boolean;
  /** When the target came into being (a house: its registration; a unit: valid from). */
  since: string | null;
}

const unitsOfKind = (tree: OrgTree, kind: string, actor: Actor) =>
  [...tree.units.values()].filter((u) => u.kind === kind && u.valid_to === null && scopeCovers(actor.scope, u.id));

/** The most rental houses one answer lists (a street has tens of thousands); counts are never limited. */
export const DUE_HOUSES_LISTED = 2000;

/**
 * Patrols due at each level. A target never patrolled (从未巡查) is due one interval after it came
 * into being (a house added today is due in 14 days, not overdue); `overdueOnly` keeps those past
 * due. Overdue first (most overdue first), then by due date. Counted in natural days.
 * Rental houses are ranked by due date in SQL, so the DUE_HOUSES_LISTED listed are the most
 * urgent ones; `total` and `byLevel` count every due target, and `truncated` says the list was cut.
 */
export async function duePatrols(db: Db, actor: Actor, q: { level?: PatrolLevel; overdueOnly?: boolean; gridId?: string }) {
  const tree = await loadOrgTree(db);
  const { rules } = await populationPolicy(db);
  const today = todayOffice();
  const items: DuePatrol[] = [];
  const due = (level: PatrolLevel, last: string | null, since: string): Pick<DuePatrol, 'dueOn' | 'overdue' | 'overdueDays' | 'neverPatrolled' | 'since'> => {
    const dueOn = addDays(last ?? since, rules.patrolIntervalDays[level]);
    return { dueOn, overdue: dueOn < today, overdueDays: Math.max(0, daysBetween(dueOn, today)), neverPatrolled: last === null, since };
  };
  const p = pop(db);
  const lastByTarget = async (level: PatrolLevel, ids: string[]) => {
    if (ids.length === 0) return new Map<string, string>();
    const rows = await p.selectFrom('patrols').select(['target_unit_id', (eb) => eb.fn.max('patrolled_on').as('last')])
      .where('level', '=', level).where('target_unit_id', 'in', ids).where(inScope(actor.scope, 'patrols')).groupBy('target_unit_id').execute();
    return new Map(rows.map((r) => [r.target_unit_id, r.last as string]));
  };
  for (const level of ['street', 'station'] as const) {
    if (q.level && q.level !== level) continue;
    if (!actor.permissions.has(LEVEL_PERMISSION[level]) && !actor.permissions.has('population:stats')) continue;
    const targets = unitsOfKind(tree, TARGET_KIND[level], actor);
    const last = await lastByTarget(level, targets.map((u) => u.id));
    for (const u of targets) {
      items.push({ level, targetUnitId: u.id, targetName: u.name, houseId: null, address: null, gridId: null, lastPatrolledOn: last.get(u.id) ?? null, ...due(level, last.get(u.id) ?? null, u.valid_from) });
    }
  }
  let houseCounts = { due: 0, overdue: 0 };
  if (!q.level || q.level === 'grid') {
    const interval = rules.patrolIntervalDays.grid;
    const cutoff = addDays(today, -interval);
    // The office date a house was registered (Asia/Shanghai, whatever the session's time zone).
    const registeredOn = sql<string>`(houses.created_at at time zone 'UTC' + interval '8 hours')::date`;
    const lastPatrol = sql<string | null>`(select max(patrols.patrolled_on) from patrols where patrols.house_id = houses.id)`;
    const dueOn = sql<string>`(coalesce(${lastPatrol}, ${registeredOn}) + ${interval}::integer)`;
    let houses = p.selectFrom('houses')
      .where('rental', '=', true).where('status', '=', 'active').where(inScope(actor.scope, 'houses'))
      // Only houses not patrolled within the interval can be due.
      .where((eb) => eb.not(eb.exists(eb.selectFrom('patrols').select(sql`1`.as('x')).whereRef('patrols.house_id', '=', 'houses.id').where('patrolled_on', '>', cutoff))));
    if (q.gridId) houses = houses.where('grid_id', '=', q.gridId);
    if (q.overdueOnly) houses = houses.where(sql<boolean>`${dueOn} < ${today}::date`);
    const [rows, counts] = await Promise.all([
      houses.select(['houses.id', 'houses.grid_id', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room', 'houses.created_at', lastPatrol.as('last')])
        .orderBy(dueOn).orderBy('houses.address').orderBy('houses.id').limit(DUE_HOUSES_LISTED).execute(),
      houses.select([sql<string>`count(*)`.as('due'), sql<string>`count(*) filter (where ${dueOn} < ${today}::date)`.as('overdue')]).executeTakeFirstOrThrow(),
    ]);
    houseCounts = { due: Number(counts.due), overdue: Number(counts.overdue) };
    for (const h of rows) {
      const last = (h.last as string | null) ?? null;
      const since = officeDateOf(new Date(h.created_at));
      items.push({ level: 'grid', targetUnitId: h.grid_id, targetName: unitName(tree, h.grid_id), houseId: h.id, address: formatHouseAddress(h), gridId: h.grid_id, lastPatrolledOn: last, ...due('grid', last, since) });
    }
  }
  const filtered = q.overdueOnly ? items.filter((i) => i.overdue) : items;
  filtered.sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.dueOn.localeCompare(b.dueOn) || (a.address ?? a.targetName ?? '').localeCompare(b.address ?? b.targetName ?? ''));
  const units = (level: PatrolLevel) => filtered.filter((i) => i.level === level);
  const byLevel = {
    street: { due: units('street').length, overdue: units('street').filter((i) => i.overdue).length },
    station: { due: units('station').length, overdue: units('station').filter((i) => i.overdue).length },
    grid: houseCounts,
  };
  const total = byLevel.street.due + byLevel.station.due + byLevel.grid.due;
  return { items: filtered, total, byLevel, truncated: total > filtered.length, intervals: rules.patrolIntervalDays, today };
}
