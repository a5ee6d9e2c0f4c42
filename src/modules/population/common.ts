import { sql, type Expression, type SqlBool } from 'kysely';
import { escapeLike } from '../../platform/db/like.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AppError, forbidden, notFound, unprocessable } from '../../platform/http/errors.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { officeToday } from '../../platform/time.js';
import type { Db } from '../../platform/db/index.js';
import type { PopTx } from './schema.js';

/** Helpers every population service shares: jurisdiction checks, counters, dates. */

export const todayOffice = () => officeToday();
export const monthOf = (d: Date | string) => (typeof d === 'string' ? d : officeDateOf(d)).slice(0, 7);
/** The office (Asia/Shanghai) date of an instant. */
export const officeDateOf = (d: Date) => officeToday(d.getTime());

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
export const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

export function notInFuture(date: string, path: string): void {
  if (date > officeToday()) throw unprocessable('FUTURE_DATE', '日期不能晚于今天。', [{ path, code: 'FUTURE_DATE', message: '日期晚于今天' }]);
}

/**
 * A grid named in a body: it must be in the caller's scope (else 403, so existence never leaks),
 * exist as a grid in force (else 422 UNKNOWN_GRID).
 */
export async function requireGridInScope(db: Db, actor: Actor, gridId: string, path = 'gridId'): Promise<{ tree: OrgTree; communityId: string }> {
  const tree = await loadOrgTree(db);
  const unit = tree.units.get(gridId);
  if (!scopeCovers(actor.scope, gridId)) {
    throw forbidden('该网格不在您的管辖范围内。');
  }
  if (!unit || unit.kind !== 'grid' || (unit.valid_to !== null && unit.valid_to < officeToday())) {
    throw unprocessable('UNKNOWN_GRID', '网格不存在或已撤销。', [{ path, code: 'UNKNOWN_GRID', message: '不是有效的网格' }]);
  }
  return { tree, communityId: unit.parent_id! };
}

export const communityOf = (tree: OrgTree, gridId: string): string | null => tree.units.get(gridId)?.parent_id ?? null;
export const unitName = (tree: OrgTree, id: string | null | undefined): string | null => (id ? tree.units.get(id)?.name ?? null : null);

/** A record in scope, else 404 — the same answer as a record that does not exist. */
export function requireInScope<T extends { grid_id: string }>(actor: Actor, row: T | undefined): T {
  if (!row || !scopeCovers(actor.scope, row.grid_id)) throw notFound();
  return row;
}

export type CounterField = 'migrants' | 'houses' | 'rentals' | 'employers';

/** Keeps a grid's live counts current in the caller's transaction. */
export async function bumpCounter(tx: PopTx, gridId: string, field: CounterField, delta: number): Promise<void> {
  if (delta === 0) return;
  await tx.insertInto('population_counters')
    .values({ grid_id: gridId, migrants: 0, houses: 0, rentals: 0, employers: 0, [field]: delta })
    .onConflict((oc) => oc.column('grid_id').doUpdateSet({ [field]: sql`population_counters.${sql.ref(field)} + ${delta}` }))
    .execute();
}

export type WorkField = 'collected' | 'entered' | 'passed';

/** The collector's monthly work counters (采集 / 录入 / 审核合格). */
export async function bumpWork(tx: PopTx, userId: string, month: string, gridId: string, fields: Partial<Record<WorkField, number>>): Promise<void> {
  const base = { collected: 0, entered: 0, passed: 0, ...fields };
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) set[k] = sql`work_counters.${sql.ref(k)} + ${v}`;
  await tx.insertInto('work_counters')
    .values({ user_id: userId, month, grid_id: gridId, ...base })
    .onConflict((oc) => oc.columns(['user_id', 'month']).doUpdateSet(set))
    .execute();
}

export const dateConflict = (code: string, message: string, path: string) => unprocessable(code, message, [{ path, code, message }]);

export function isAppError(e: unknown, code: string): boolean {
  return e instanceof AppError && e.code === code;
}

/**
 * A name typed into a search box: letters only are pinyin initials (zw → 张伟), anything else is a
 * name prefix (B-tree); with `similarFrom`, names of that many characters or more also match by
 * trigram similarity (typos, a wrong middle character).
 */
export function nameMatches(typed: string, columns: { name: string; initials: string }, opts: { similarFrom?: number } = {}): Expression<SqlBool> {
  const name = typed.trim();
  if (/^[a-zA-Z]+$/.test(name)) return sql<SqlBool>`${sql.ref(columns.initials)} like ${`${name.toLowerCase()}%`}`;
  const prefix = sql<SqlBool>`${sql.ref(columns.name)} like ${`${escapeLike(name)}%`}`;
  if (opts.similarFrom !== undefined && [...name].length >= opts.similarFrom) return sql<SqlBool>`(${prefix} or ${sql.ref(columns.name)} % ${name})`;
  return prefix;
}
