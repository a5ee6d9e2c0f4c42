import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/index.js';
import { inTransaction } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { conflict, notFound, unprocessable } from '../../platform/http/errors.js';
import { addDays, type WorkdayCalendar } from '../../platform/calendar/service.js';
import { officeToday } from '../../platform/time.js';
import { recordAudit } from '../../platform/audit/service.js';
import { notify } from '../../platform/notifications/service.js';
import { engineEnv, planChain, submitApproval, type EngineActor } from '../../platform/approvals/engine.js';
import { loadApplicant } from '../../platform/approvals/resolve.js';
import type { FinishedApproval } from '../../platform/approvals/kinds.js';
import type { DataScope } from '../../platform/org/scope.js';
import { inScope, unscopedRead } from '../../platform/org/scoped-tables.js';
import { annualEntitlement, leaveRulesOf, type LeavePolicy } from './policy.js';
import { leaveDb, type LeaveDb } from './schema.js';

export const LEAVE_KIND = 'leave';

export interface LeaveInput {
  type: string; startDate: string; endDate: string; halfDay?: 'am' | 'pm'; reason: string;
  /** Maternity: extra babies and a difficult birth add days (004:L971). */
  extraBabies?: number; difficultBirth?: boolean;
}

/** Days are kept in half-days (integers): 3 days = 6, a morning = 1. */
export const toDays = (halfDays: number) => halfDays / 2;

/**
 * The days a request counts, on the office calendar: working days for most types (a leave across
 * National Day counts only its working days), natural days where the pack says (maternity); a half
 * day only on a single working day. A range touching an unpublished year is `provisional`.
 */
export function countLeave(rules: LeavePolicy, cal: WorkdayCalendar, input: LeaveInput): { halfDays: number; unit: 'workday' | 'natural'; provisional: boolean } {
  const type = rules.types[input.type];
  if (!type) throw unprocessable('UNKNOWN_LEAVE_TYPE', `未知的假别：${input.type}。`, [{ path: 'type', code: 'UNKNOWN', message: Object.keys(rules.types).join(',') }]);
  if (input.endDate < input.startDate) throw unprocessable('END_BEFORE_START', '结束日期不能早于开始日期。', [{ path: 'endDate', code: 'BEFORE_START', message: input.endDate }]);
  if (input.halfDay) {
    if (input.endDate !== input.startDate) throw unprocessable('HALF_DAY_MULTI_DAY', '半天假只能请一天之内（开始和结束为同一天）。', [{ path: 'halfDay', code: 'MULTI_DAY', message: input.halfDay }]);
    if (!type.halfDayAllowed) throw unprocessable('HALF_DAY_NOT_ALLOWED', `${type.name}不能按半天请。`, [{ path: 'halfDay', code: 'NOT_ALLOWED', message: input.type }]);
  }
  const spanDays = Math.round((Date.parse(input.endDate) - Date.parse(input.startDate)) / 86_400_000) + 1;
  if (spanDays > 400) throw unprocessable('LEAVE_TOO_LONG', '一次请假不能超过 400 天。', [{ path: 'endDate', code: 'TOO_LONG', message: String(spanDays) }]);
  const provisional = cal.provisional(input.startDate, input.endDate);
  if (type.unit === 'natural') return { halfDays: (input.halfDay ? 1 : spanDays * 2), unit: 'natural', provisional };
  const work = cal.workdaysBetween(addDays(input.startDate, -1), input.endDate).days;
  if (work === 0) throw unprocessable('NO_WORKDAYS', '所选日期都是休息日或节假日，无需请假。', [{ path: 'startDate', code: 'NO_WORKDAYS', message: `${input.startDate}~${input.endDate}` }]);
  return { halfDays: input.halfDay ? 1 : work * 2, unit: 'workday', provisional };
}

/** Days allowed for one occasion of a fixed-entitlement type; null: no fixed limit. */
export function entitlementOf(rules: LeavePolicy, input: LeaveInput): number | null {
  const t = rules.types[input.type];
  if (!t?.fixedDays) return null;
  return t.fixedDays + (t.extraDaysPerBaby ?? 0) * (input.extraBabies ?? 0) + (input.difficultBirth ? t.difficultBirthDays ?? 0 : 0);
}

function yearsOfService(startedOn: string | null, onDay: string): number {
  if (!startedOn) return 0;
  let y = Number(onDay.slice(0, 4)) - Number(startedOn.slice(0, 4));
  if (onDay.slice(5) < startedOn.slice(5)) y--;
  return Math.max(0, y);
}

/**
 * The yearly annual-leave grant, written once per person and year (on first need) from years of
 * service at the start of that year; the ledger keeps it, so a later pack change never rewrites it.
 */
async function ensureAnnualGrant(ldb: LeaveDb, rules: LeavePolicy, userId: string, year: number, actorId: string | null): Promise<void> {
  if (!rules.types.annual?.balance) return;
  const user = await ldb.selectFrom('users').select('work_started_on').where('id', '=', userId).executeTakeFirst();
  const years = yearsOfService(user?.work_started_on ?? null, `${year}-01-01`);
  const days = annualEntitlement(rules, years);
  await ldb.insertInto('leave_ledger').values({ id: uuidv7(), user_id: userId, leave_type: 'annual', year, entry: 'grant', half_days: days * 2, request_id: null, note: `工龄 ${years} 年，年休假 ${days} 天`, actor_id: actorId })
    .onConflict((oc) => oc.doNothing()).execute();
}

async function balanceOf(ldb: LeaveDb, userId: string, type: string, year: number): Promise<number> {
  const r = await ldb.selectFrom('leave_ledger').select((eb) => eb.fn.coalesce(eb.fn.sum<string>('half_days'), sql<string>`0`).as('n'))
    .where('user_id', '=', userId).where('leave_type', '=', type).where('year', '=', year).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function loadRules(db: Db) {
  const env = await engineEnv(db);
  return { env, rules: leaveRulesOf(env.policy.pack) };
}

/** What a request would count and who would approve it, in order — before anything is written. */
export async function previewLeave(db: Db, userId: string, input: LeaveInput) {
  const { env, rules } = await loadRules(db);
  const counted = countLeave(rules, env.calendar, input);
  const applicant = await loadApplicant(db, env.tree, userId, env.day);
  if (!applicant) throw unprocessable('NO_POST', '您没有有效的任职岗位，无法请假。');
  const form = formOf(input, counted.halfDays, env.day);
  const plan = await planChain(db, env.tree, { kind: LEAVE_KIND, applicant, form, policy: env.policy, day: env.day });
  const ids = [...new Set([...plan.steps.flatMap((s) => s.approverIds), ...plan.cc])];
  const names = new Map((ids.length ? await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute() : []).map((u) => [u.id, u.name]));
  const type = rules.types[input.type]!;
  let balance: number | null = null;
  if (type.balance) {
    const ldb = leaveDb(db);
    const year = Number(input.startDate.slice(0, 4));
    await ensureAnnualGrant(ldb, rules, userId, year, null);
    balance = toDays(await balanceOf(ldb, userId, input.type, year));
  }
  return {
    days: toDays(counted.halfDays), unit: counted.unit, provisional: counted.provisional, retroactive: input.startDate < env.day,
    entitlement: entitlementOf(rules, input), balance, policyPack: plan.policyPack, policyVersion: plan.policyVersion,
    steps: plan.steps.map((s) => ({ order: s.order, name: s.name, approverPost: s.approverPost, mode: s.mode, external: s.external, approvers: s.approverIds.map((id) => ({ id, name: names.get(id) ?? '' })) })),
    cc: plan.cc.map((id) => ({ id, name: names.get(id) ?? '' })),
  };
}

const formOf = (input: LeaveInput, halfDays: number, today: string) => ({
  type: input.type, startDate: input.startDate, endDate: input.endDate, halfDay: input.halfDay ?? null, days: toDays(halfDays),
  reason: input.reason, retroactive: input.startDate < today,
  ...(input.extraBabies ? { extraBabies: input.extraBabies } : {}), ...(input.difficultBirth ? { difficultBirth: true } : {}),
});

/**
 * 请假: counts the days, checks the entitlement or the balance (held at once, so a balance can
 * never go negative: the person's row is locked while it is checked and held), writes the request
 * and submits its approval in one transaction.
 */
export async function submitLeave(db: Db, actor: EngineActor, input: LeaveInput, idempotencyKey: string | null) {
  const { env, rules } = await loadRules(db);
  const counted = countLeave(rules, env.calendar, input);
  const type = rules.types[input.type]!;
  const limit = entitlementOf(rules, input);
  if (limit !== null && counted.halfDays > limit * 2) {
    throw unprocessable('EXCEEDS_ENTITLEMENT', `${type.name}最多 ${limit} 天，本次计 ${toDays(counted.halfDays)} 天。`, [{ path: 'endDate', code: 'EXCEEDS_ENTITLEMENT', message: String(limit) }]);
  }
  return inTransaction(db, async (tx) => {
    const ldb = leaveDb(tx);
    await tx.selectFrom('users').select('id').where('id', '=', actor.userId).forUpdate().executeTakeFirst();
    const overlap = await ldb.selectFrom('leave_requests').select(['case_no', 'start_date', 'end_date']).where('user_id', '=', actor.userId)
      .where('status', 'in', ['pending', 'approved']).where('start_date', '<=', input.endDate).where(sql<boolean>`coalesce(actual_end_date, end_date) >= ${input.startDate}`).executeTakeFirst();
    if (overlap) throw conflict('LEAVE_OVERLAP', `与已有请假（${overlap.case_no ?? ''}，${overlap.start_date} 至 ${overlap.end_date}）时间重叠。`);
    const year = Number(input.startDate.slice(0, 4));
    if (type.balance) {
      await ensureAnnualGrant(ldb, rules, actor.userId, year, null);
      const left = await balanceOf(ldb, actor.userId, input.type, year);
      if (left < counted.halfDays) {
        throw unprocessable('INSUFFICIENT_BALANCE', `${year} 年${type.name}余额 ${toDays(left)} 天，本次需 ${toDays(counted.halfDays)} 天，不足。`, [{ path: 'type', code: 'INSUFFICIENT_BALANCE', message: String(toDays(left)) }]);
      }
    }
    const id = uuidv7();
    const applicant = await loadApplicant(tx, env.tree, actor.userId, env.day);
    if (!applicant) throw unprocessable('NO_POST', '您没有有效的任职岗位，无法请假。');
    const street = env.tree.units.get(applicant.streetId);
    await ldb.insertInto('leave_requests').values({
      id, user_id: actor.userId, org_unit_id: applicant.unitId, street_code: street?.street_code ?? '', type: input.type, start_date: input.startDate, end_date: input.endDate,
      half_day: input.halfDay ?? null, day_unit: counted.unit, half_days: counted.halfDays, provisional: counted.provisional, retroactive: input.startDate < env.day,
      reason: input.reason, details: JSON.stringify({ ...(input.extraBabies ? { extraBabies: input.extraBabies } : {}), ...(input.difficultBirth ? { difficultBirth: true } : {}) }),
      status: 'pending', approval_id: null, case_no: null, policy_pack: env.policy.packCode, policy_version: env.policy.version, calendar_version: env.calendar.version,
      closed_at: null, closed_by: null, actual_end_date: null, actual_half_days: null, close_note: null,
    }).execute();
    if (type.balance) {
      await ldb.insertInto('leave_ledger').values({ id: uuidv7(), user_id: actor.userId, leave_type: input.type, year, entry: 'hold', half_days: -counted.halfDays, request_id: id, note: '请假占用', actor_id: actor.userId }).execute();
    }
    const title = `${actor.name} ${type.name} ${input.startDate}${input.endDate !== input.startDate ? ` 至 ${input.endDate}` : ''}${input.halfDay ? (input.halfDay === 'am' ? ' 上午' : ' 下午') : ''}，${toDays(counted.halfDays)} 天`;
    const approval = await submitApproval(tx, env, { kind: LEAVE_KIND, subjectId: id, title, form: formOf(input, counted.halfDays, env.day), applicantId: actor.userId, actor, idempotencyKey });
    await ldb.updateTable('leave_requests').set({ approval_id: approval.id, case_no: approval.caseNo, ...(approval.status === 'approved' ? { status: 'approved' as const } : {}) }).where('id', '=', id).execute();
    const steps = await tx.selectFrom('approval_steps').select(['step_order', 'approver_post', 'planned_ids', 'mode', 'status', 'id']).where('approval_id', '=', approval.id).orderBy('step_order').execute();
    const tasks = await tx.selectFrom('approval_tasks').select(['step_id', 'assignee_id']).where('approval_id', '=', approval.id).execute();
    return {
      id, caseNo: approval.caseNo, days: toDays(counted.halfDays), unit: counted.unit, provisional: counted.provisional,
      status: approval.status === 'approved' ? 'approved' : 'pending',
      approval: {
        id: approval.id, policyPack: approval.policyPack, policyVersion: approval.policyVersion,
        steps: steps.map((s) => {
          const open = tasks.filter((t) => t.step_id === s.id).map((t) => t.assignee_id);
          return { order: s.step_order, approverPost: s.approver_post, approverIds: open.length ? open : s.planned_ids, mode: s.mode, status: s.status };
        }),
        cc: approval.plan.cc,
      },
    };
  });
}

/** The engine's callback: the request follows its approval; a refused or withdrawn one gives its balance back. */
export async function onLeaveFinished(tx: Tx, a: FinishedApproval): Promise<void> {
  const ldb = leaveDb(tx);
  const req = await ldb.selectFrom('leave_requests').select(['id', 'user_id', 'type', 'start_date', 'half_days']).where('id', '=', a.subjectId).executeTakeFirst();
  if (!req) return;
  await ldb.updateTable('leave_requests').set({ status: a.outcome }).where('id', '=', req.id).execute();
  if (a.outcome === 'approved') return;
  const held = await ldb.selectFrom('leave_ledger').select((eb) => eb.fn.coalesce(eb.fn.sum<string>('half_days'), sql<string>`0`).as('n')).where('request_id', '=', req.id).executeTakeFirstOrThrow();
  if (Number(held.n) < 0) {
    await ldb.insertInto('leave_ledger').values({ id: uuidv7(), user_id: req.user_id, leave_type: req.type, year: Number(req.start_date.slice(0, 4)), entry: 'release', half_days: -Number(held.n), request_id: req.id, note: a.outcome === 'rejected' ? '未获批准，退回余额' : '撤回，退回余额', actor_id: a.actorId }).execute();
  }
}

/**
 * 销假: the person closes an approved leave on return (or the office, leave:manage, for them — the
 * section head sees unclosed leave of the section and reminds; the record says who closed). Returning early
 * shortens it to the actual last day and gives back the days not taken. Late closing (after the
 * pack's window) is allowed and marked.
 */
export async function closeLeave(db: Db, actor: EngineActor & { scope: DataScope; mayCloseOthers: boolean }, id: string, input: { actualEndDate: string; note?: string }, ip: string | null) {
  const { env, rules } = await loadRules(db);
  return inTransaction(db, async (tx) => {
    const ldb = leaveDb(tx);
    const r = await ldb.selectFrom('leave_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    const mayClose = r && (r.user_id === actor.userId || (actor.mayCloseOthers && (actor.scope.all || actor.scope.unitIds.has(r.org_unit_id))));
    if (!r || !mayClose) throw notFound('未找到该请假。');
    if (r.status !== 'approved') throw conflict('INVALID_TRANSITION', '只有已批准的请假可以销假。');
    if (r.closed_at) throw conflict('ALREADY_CLOSED', '该请假已销假。');
    if (env.day < r.start_date) throw unprocessable('NOT_STARTED', '假期尚未开始，不能销假；如不再需要请联系审批人。');
    if (input.actualEndDate < r.start_date || input.actualEndDate > r.end_date) {
      throw unprocessable('INVALID_ACTUAL_END', `实际结束日期应在 ${r.start_date} 至 ${r.end_date} 之间（延长假期须另行请假）。`, [{ path: 'actualEndDate', code: 'OUT_OF_RANGE', message: input.actualEndDate }]);
    }
    if (input.actualEndDate > env.day) throw unprocessable('INVALID_ACTUAL_END', '实际结束日期不能晚于今天。', [{ path: 'actualEndDate', code: 'IN_FUTURE', message: input.actualEndDate }]);
    const actual = input.actualEndDate === r.end_date ? r.half_days
      : countLeave(rules, env.calendar, { type: r.type, startDate: r.start_date, endDate: input.actualEndDate, halfDay: r.half_day ?? undefined, reason: r.reason }).halfDays;
    await ldb.updateTable('leave_requests').set({ closed_at: new Date(), closed_by: actor.userId, actual_end_date: input.actualEndDate, actual_half_days: actual, close_note: input.note ?? null }).where('id', '=', id).execute();
    const giveBack = r.half_days - actual;
    if (giveBack > 0 && rules.types[r.type]?.balance) {
      await ldb.insertInto('leave_ledger').values({ id: uuidv7(), user_id: r.user_id, leave_type: r.type, year: Number(r.start_date.slice(0, 4)), entry: 'return', half_days: giveBack, request_id: id, note: `提前销假，退回 ${toDays(giveBack)} 天`, actor_id: actor.userId }).execute();
    }
    const late = env.day > addDays(r.end_date, rules.closeWithinDays);
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'leave.close', entity: 'leave_request', entityId: id, ip, summary: { caseNo: r.case_no, actualEndDate: input.actualEndDate, days: toDays(actual), late } });
    return getLeave(tx, id);
  });
}

function toDto(r: Record<string, unknown>, closeWithinDays: number, today: string) {
  const end = (r.actual_end_date as string | null) ?? (r.end_date as string);
  const closeBy = addDays(r.end_date as string, closeWithinDays);
  const unclosed = r.status === 'approved' && !r.closed_at && (r.end_date as string) < today;
  return {
    id: r.id as string, caseNo: r.case_no as string | null, userId: r.user_id as string, userName: (r.user_name as string) ?? undefined, unitName: (r.unit_name as string) ?? undefined,
    type: r.type as string, startDate: r.start_date as string, endDate: r.end_date as string, halfDay: r.half_day as string | null,
    days: toDays(r.half_days as number), unit: r.day_unit as string, provisional: r.provisional as boolean, retroactive: r.retroactive as boolean,
    reason: r.reason as string, status: r.status as string, approvalId: r.approval_id as string | null, approvalStatus: (r.approval_status as string) ?? null,
    policyPack: r.policy_pack as string, policyVersion: r.policy_version as number, createdAt: r.created_at as Date,
    closedAt: r.closed_at as Date | null, actualEndDate: r.actual_end_date as string | null, actualDays: r.actual_half_days == null ? null : toDays(r.actual_half_days as number),
    closeBy, unclosed, closeOverdue: unclosed && today > closeBy, closedLate: !!r.closed_at && officeToday((r.closed_at as Date).getTime()) > closeBy,
    effectiveEnd: end,
  };
}

function requestQuery(ldb: LeaveDb) {
  return ldb.selectFrom('leave_requests as l').innerJoin('users as u', 'u.id', 'l.user_id').innerJoin('org_units as o', 'o.id', 'l.org_unit_id')
    .leftJoin('approvals as a', 'a.id', 'l.approval_id')
    .selectAll('l').select(['u.name as user_name', 'o.name as unit_name', 'a.status as approval_status']);
}

async function closeWindow(db: Db) {
  const { rules } = await loadRules(db);
  return rules.closeWithinDays;
}

export async function getLeave(db: Db, id: string) {
  const r = await requestQuery(leaveDb(db)).where('l.id', '=', id).executeTakeFirst();
  if (!r) throw notFound('未找到该请假。');
  return toDto(r as Record<string, unknown>, await closeWindow(db), officeToday());
}

/** A request is visible to its applicant, to whoever may see the approval, and to section heads and leaders over its unit. */
export async function leaveForViewer(db: Db, id: string, viewer: { userId: string; scope: DataScope; maySeeSection: boolean }) {
  const r = await leaveDb(db).selectFrom('leave_requests').select(['user_id', 'org_unit_id', 'approval_id']).where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('未找到该请假。');
  const inScope = viewer.maySeeSection && (viewer.scope.all || viewer.scope.unitIds.has(r.org_unit_id));
  let approver = false;
  if (!inScope && r.user_id !== viewer.userId && r.approval_id) {
    approver = !!(await db.selectFrom('approval_tasks').select('id').where('approval_id', '=', r.approval_id).where((eb) => eb.or([eb('assignee_id', '=', viewer.userId), eb('owner_id', '=', viewer.userId)])).executeTakeFirst());
  }
  if (r.user_id !== viewer.userId && !inScope && !approver) throw notFound('未找到该请假。');
  return getLeave(db, id);
}

export async function myLeave(db: Db, userId: string, q: { year?: number; page: number; pageSize: number }) {
  let base = requestQuery(leaveDb(db)).where('l.user_id', '=', userId);
  if (q.year) base = base.where('l.start_date', '>=', `${q.year}-01-01`).where('l.start_date', '<=', `${q.year}-12-31`);
  const rows = await base.orderBy('l.start_date', 'desc').orderBy('l.id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute();
  let count = leaveDb(db).selectFrom('leave_requests as l').select((eb) => eb.fn.countAll<string>().as('n')).where('l.user_id', '=', userId);
  if (q.year) count = count.where('l.start_date', '>=', `${q.year}-01-01`).where('l.start_date', '<=', `${q.year}-12-31`);
  const total = Number((await count.executeTakeFirstOrThrow()).n);
  const w = await closeWindow(db);
  const today = officeToday();
  return { items: rows.map((r) => toDto(r as Record<string, unknown>, w, today)), total, page: q.page, pageSize: q.pageSize };
}

/** Balances of a person for a year: for each balance type its grant, used/held, returned, adjustments, what is left; and the ledger. */
export async function balances(db: Db, userId: string, year: number) {
  const { rules } = await loadRules(db);
  const ldb = leaveDb(db);
  await ensureAnnualGrant(ldb, rules, userId, year, null);
  const rows = await ldb.selectFrom('leave_ledger as g')
    // The user's own requests (the pinned owner is what the scope guard accepts for a person's own rows).
    .leftJoin('leave_requests as r', (j) => j.onRef('r.id', '=', 'g.request_id').on('r.user_id', '=', userId))
    .select(['g.id', 'g.leave_type', 'g.entry', 'g.half_days', 'g.note', 'g.created_at', 'r.case_no'])
    .where('g.user_id', '=', userId).where('g.year', '=', year).orderBy('g.created_at').orderBy('g.id').execute();
  const types = Object.entries(rules.types).filter(([, t]) => t.balance).map(([code, t]) => {
    const mine = rows.filter((r) => r.leave_type === code);
    const sum = (entries: string[]) => toDays(mine.filter((r) => entries.includes(r.entry)).reduce((s, r) => s + r.half_days, 0));
    return { type: code, name: t.name, granted: sum(['grant']), used: -sum(['hold', 'release', 'return']), adjusted: sum(['adjust', 'expire']), left: sum(['grant', 'hold', 'release', 'return', 'adjust', 'expire']) };
  });
  const taken = await ldb.selectFrom('leave_requests').select(['type', (eb) => eb.fn.sum<string>(sql`coalesce(actual_half_days, half_days)`).as('n')])
    .where('user_id', '=', userId).where('status', '=', 'approved').where('start_date', '>=', `${year}-01-01`).where('start_date', '<=', `${year}-12-31`).groupBy('type').execute();
  return {
    year, types,
    taken: taken.map((t) => ({ type: t.type, name: rules.types[t.type]?.name ?? t.type, days: toDays(Number(t.n)) })),
    ledger: rows.map((r) => ({ id: r.id, type: r.leave_type, entry: r.entry, days: toDays(r.half_days), note: r.note, caseNo: r.case_no, at: r.created_at })),
  };
}

/** 调整: the office grants or deducts balance with a reason (e.g. 调休 earned by overtime, a carry-over). */
export async function adjustBalance(db: Db, actor: EngineActor, input: { userId: string; type: string; year: number; days: number; note: string }, ip: string | null) {
  const { rules } = await loadRules(db);
  if (!rules.types[input.type]?.balance) throw unprocessable('NOT_A_BALANCE_TYPE', '该假别没有余额。', [{ path: 'type', code: 'NOT_BALANCE', message: input.type }]);
  return inTransaction(db, async (tx) => {
    const ldb = leaveDb(tx);
    const user = await tx.selectFrom('users').select('id').where('id', '=', input.userId).forUpdate().executeTakeFirst();
    if (!user) throw notFound('未找到该人员。');
    await ensureAnnualGrant(ldb, rules, input.userId, input.year, actor.userId);
    const half = Math.round(input.days * 2);
    const left = await balanceOf(ldb, input.userId, input.type, input.year);
    if (left + half < 0) throw unprocessable('INSUFFICIENT_BALANCE', `余额 ${toDays(left)} 天，扣减后将为负数。`, [{ path: 'days', code: 'NEGATIVE', message: String(input.days) }]);
    await ldb.insertInto('leave_ledger').values({ id: uuidv7(), user_id: input.userId, leave_type: input.type, year: input.year, entry: 'adjust', half_days: half, request_id: null, note: input.note, actor_id: actor.userId }).execute();
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'leave.balance_adjust', entity: 'user', entityId: input.userId, ip, summary: { type: input.type, year: input.year, days: input.days } });
    return balances(tx, input.userId, input.year);
  });
}

/** Who is away which day (请假日历) in the units the viewer oversees, pending and approved. */
export async function sectionCalendar(db: Db, scope: DataScope, q: { from: string; to: string; unitId?: string }) {
  let base = requestQuery(leaveDb(db)).where('l.status', 'in', ['pending', 'approved']).where('l.start_date', '<=', q.to)
    .where(sql<boolean>`coalesce(l.actual_end_date, l.end_date) >= ${q.from}`);
  base = base.where(inScope(scope, 'leave_requests', { as: 'l' }));
  if (q.unitId) base = base.where('l.org_unit_id', '=', q.unitId);
  const rows = await base.orderBy('o.sort_order').orderBy('u.name').orderBy('l.start_date').limit(2000).execute();
  const w = await closeWindow(db);
  const today = officeToday();
  return { from: q.from, to: q.to, items: rows.map((r) => toDto(r as Record<string, unknown>, w, today)) };
}

/** Approved leave that has ended and is not closed (未销假), for the section head and the office. */
export async function unclosedLeave(db: Db, scope: DataScope) {
  const today = officeToday();
  let base = requestQuery(leaveDb(db)).where('l.status', '=', 'approved').where('l.closed_at', 'is', null).where('l.end_date', '<', today);
  base = base.where(inScope(scope, 'leave_requests', { as: 'l' }));
  const rows = await base.orderBy('l.end_date').limit(500).execute();
  const w = await closeWindow(db);
  return { items: rows.map((r) => toDto(r as Record<string, unknown>, w, today)) };
}

/**
 * The daily 销假 reminder: each ended, unclosed leave reminds its holder; once past the window the
 * section head is told too. Once per request and day (the notification carries the day).
 */
export async function remindUnclosedLeave(db: Db, now: Date): Promise<number> {
  const today = officeToday(now.getTime());
  const { env, rules } = await loadRules(db);
  const rows = await leaveDb(db).selectFrom('leave_requests').select(['id', 'user_id', 'org_unit_id', 'end_date', 'case_no', 'type'])
    .where('status', '=', 'approved').where('closed_at', 'is', null).where('end_date', '<', today)
    .where(unscopedRead('the daily close reminder goes to every holder of unclosed leave, whatever their unit')).execute();
  let n = 0;
  for (const r of rows) {
    const tag = `${r.id}:${today}`;
    const done = await db.selectFrom('notifications').select('id').where('entity', '=', 'leave_close_reminder').where('entity_id', '=', tag).limit(1).executeTakeFirst();
    if (done) continue;
    const overdue = today > addDays(r.end_date, rules.closeWithinDays);
    const heads = overdue ? (await db.selectFrom('staff_posts').select('user_id').where('org_unit_id', '=', r.org_unit_id).where('post', '=', 'section_head')
      .where('valid_from', '<=', today).where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', today)])).execute()).map((h) => h.user_id).filter((u) => u !== r.user_id) : [];
    await inTransaction(db, async (tx) => {
      const name = rules.types[r.type]?.name ?? '请假';
      await notify(tx, { userIds: [r.user_id], kind: 'reminder', title: `请及时销假：${name}（${r.case_no ?? ''}）已于 ${r.end_date} 结束`, body: `应在 ${addDays(r.end_date, rules.closeWithinDays)} 前销假。`, link: `/leave?open=${r.id}`, entity: 'leave_close_reminder', entityId: tag });
      if (heads.length) await notify(tx, { userIds: heads, kind: 'reminder', title: `未按时销假：${r.case_no ?? ''}`, body: `假期 ${r.end_date} 结束，超过 ${rules.closeWithinDays} 天未销假。`, link: '/leave/section', entity: 'leave_close_reminder', entityId: `${tag}:head` });
    });
    n++;
  }
  void env;
  return n;
}
