import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit, recordReadAudit } from '../../platform/audit/service.js';
import { conflict, unprocessable } from '../../platform/http/errors.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { addDays, bumpWork, monthOf, nameMatches, notInFuture, officeDateOf, requireInScope, todayOffice, unitName } from './common.js';
import { personEvent } from './persons.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { formatHouseAddress } from './address.js';
import { pop, popTx } from './schema.js';

/**
 * The station's review (审核) of what grid workers report: a queue with the 24-hour reporting clock
 * (natural hours from collection; late is flagged, never blocking), pass or return with reasons
 * (a returned record stays registered), and spot re-checks (倒查) whose non-correct results —
 * errors, concealment, omissions (错误、瞒报、漏报) — reach the street office and the police liaison.
 */
export interface QueueQuery {
  status?: 'collected' | 'reported' | 'passed' | 'returned'; gridId?: string; late?: boolean; kind?: string;
  /** One person's records. */
  personId?: string;
  /** Name prefix (or pinyin initials prefix when all letters). */
  q?: string;
  page: number; pageSize: number;
}

/**
 * The queue: records still to review run oldest first (the 24-hour clock); reviewed ones (passed,
 * returned) newest review first. Also tells which period a spot re-check may sample.
 */
export async function reviewQueue(db: Db, actor: Actor, q: QueueQuery, ip: string | null = null) {
  const tree = await loadOrgTree(db);
  const { rules } = await populationPolicy(db);
  let query = pop(db).selectFrom('collection_records as r')
    .leftJoin('persons as p', 'p.id', 'r.person_id')
    .leftJoin('houses as h', 'h.id', 'r.house_id')
    .innerJoin('users as u', 'u.id', 'r.collected_by')
    .leftJoin('users as e', 'e.id', 'r.entered_by')
    .where(inScope(actor.scope, 'collection_records', { as: 'r' }));
  if (q.status) query = query.where('r.review_status', '=', q.status);
  if (q.gridId) query = query.where('r.grid_id', '=', q.gridId);
  if (q.late !== undefined) query = query.where('r.late', '=', q.late);
  if (q.kind) query = query.where('r.kind', '=', q.kind as 'arrival');
  if (q.personId) query = query.where('r.person_id', '=', q.personId);
  if (q.q) {
    query = query.where(nameMatches(q.q, { name: 'p.name', initials: 'p.name_initials' }));
  }
  const reviewed = q.status === 'passed' || q.status === 'returned';
  const ordered = reviewed
    ? query.orderBy('r.reviewed_at', (ob) => ob.desc().nullsLast()).orderBy('r.id', 'desc')
    : query.orderBy('r.reported_at', 'asc').orderBy('r.id');
  const [rows, total] = await Promise.all([
    ordered.select(['r.id', 'r.kind', 'r.person_id', 'r.house_id', 'r.grid_id', 'r.collected_at', 'r.reported_at', 'r.late', 'r.review_status', 'r.reviewed_at', 'r.return_reasons',
      'p.name as person_name', 'p.id_masked', 'p.status as person_status', 'h.address', 'h.building', 'h.unit_no', 'h.room', 'u.name as collector_name', 'r.collected_by', 'r.entered_at', 'e.name as enterer_name'])
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  if (q.q || q.personId) {
    // Looking people up by name is a search: one audit event, without the searched values.
    await recordReadAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'person.search', entity: 'person', ip, summary: { kind: 'review_queue', filters: [q.q ? 'q' : null, q.personId ? 'personId' : null].filter(Boolean), results: rows.length } });
  }
  const recheckFrom = recheckLookbackStart(rules.recheckLookbackDays);
  return {
    items: rows.map((r) => ({
      id: r.id, kind: r.kind, personId: r.person_id, personName: r.person_name, idNumberMasked: r.id_masked, personStatus: r.person_status,
      houseId: r.house_id, address: formatHouseAddress(r), gridId: r.grid_id, gridName: unitName(tree, r.grid_id), collectorName: r.collector_name,
      /** Collected by the caller: someone else reviews it. */
      ownRecord: r.collected_by === actor.userId,
      collectedAt: r.collected_at, reportedAt: r.reported_at, enteredAt: r.entered_at, entererName: r.enterer_name,
      reportingHours: Math.round(((new Date(r.reported_at).getTime() - new Date(r.collected_at).getTime()) / 3_600_000) * 10) / 10,
      late: r.late, reviewStatus: r.review_status, reviewedAt: r.reviewed_at, returnReasons: r.return_reasons,
      recheckable: officeDateOf(new Date(r.collected_at)) >= recheckFrom,
    })),
    total: Number(total.n),
    deadlineHours: rules.reviewDeadlineHours,
    recheckLookbackDays: rules.recheckLookbackDays,
    recheckFrom,
  };
}

/** The first collection date a spot re-check may sample today (policy `recheckLookbackDays`). */
export const recheckLookbackStart = (lookbackDays: number) => addDays(todayOffice(), -lookbackDays);

/**
 * 000:27 — the station's entry clerk enters (录入) a record a grid worker collected: stamped with who
 * and when, counted for the clerk (entered) — the collector keeps the collection — and it waits for review.
 */
export async function enterRecord(db: Db, actor: Actor, recordId: string, ip: string | null) {
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const record = requireInScope(actor, await tx.selectFrom('collection_records').selectAll().where('id', '=', recordId).forUpdate().executeTakeFirst());
    if (record.review_status !== 'collected') throw conflict('ALREADY_ENTERED', '该记录已录入。');
    const now = new Date();
    await tx.updateTable('collection_records').set({ review_status: 'reported', entered_by: actor.userId, entered_at: now }).where('id', '=', recordId).execute();
    await bumpWork(tx, actor.userId, monthOf(now), record.grid_id, { entered: 1 });
    if (record.person_id) await personEvent(tx, record.person_id, 'record_entered', actor.userId, { recordId, recordKind: record.kind });
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'record.enter', entity: 'collection_record', entityId: recordId, ip, summary: { recordKind: record.kind, gridId: record.grid_id } });
    return { id: recordId, reviewStatus: 'reported' as const, enteredBy: actor.userId, enteredAt: now };
  });
}

const ownRecord = () => unprocessable('OWN_RECORD', '不能审核本人采集的记录，请由流管站其他人员或街道流管办审核。');

/** Pass (审核合格) or return (退回, reasons required) a reported record. */
export async function reviewRecord(db: Db, actor: Actor, recordId: string, input: { decision: 'pass' | 'return'; reasons?: string }, ip: string | null) {
  if (input.decision === 'return' && !input.reasons?.trim()) {
    throw unprocessable('REASONS_REQUIRED', '退回须写明原因，以便网格员更正。', [{ path: 'reasons', code: 'REASONS_REQUIRED', message: '请填写退回原因' }]);
  }
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const record = requireInScope(actor, await tx.selectFrom('collection_records').selectAll().where('id', '=', recordId).forUpdate().executeTakeFirst());
    // As no one approves their own request: the collector never reviews their own record.
    if (record.collected_by === actor.userId) throw ownRecord();
    if (record.review_status === 'collected') throw conflict('NOT_ENTERED', '该记录尚未录入，请先由流管站信息录入员录入。');
    if (record.review_status !== 'reported') throw conflict('ALREADY_REVIEWED', record.review_status === 'passed' ? '该记录已审核合格。' : '该记录已退回，待网格员更正后重新上报。');
    const status = input.decision === 'pass' ? 'passed' : 'returned';
    const now = new Date();
    await tx.updateTable('collection_records').set({ review_status: status, reviewed_by: actor.userId, reviewed_at: now, return_reasons: input.reasons ?? null }).where('id', '=', recordId).execute();
    await tx.insertInto('collection_reviews').values({ id: uuidv7(), record_id: recordId, decision: input.decision, reasons: input.reasons ?? null, actor_id: actor.userId }).execute();
    if (record.person_id) {
      // The person's review status follows their latest record; a returned record stays registered.
      const latest = await tx.selectFrom('collection_records').select('id').where('person_id', '=', record.person_id).orderBy('reported_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      if (latest.id === recordId) await tx.updateTable('persons').set({ review_status: status, updated_at: now }).where('id', '=', record.person_id).execute();
    }
    if (status === 'passed') await bumpWork(tx, record.collected_by, monthOf(record.collected_at), record.grid_id, { passed: 1 });
    // The audit admin reads the decision and, for a return, the reasons the collector was given.
    await recordAudit(t, {
      actorId: actor.userId, actorName: actor.name, action: `record.${input.decision}`, entity: 'collection_record', entityId: recordId, ip,
      summary: { decision: input.decision, ...(input.decision === 'return' ? { reasons: input.reasons!.trim() } : {}), recordKind: record.kind, gridId: record.grid_id, late: record.late },
    });
    return { id: recordId, reviewStatus: status, reviewedAt: now, returnReasons: input.reasons ?? null };
  });
}

/**
 * The grid worker corrects a returned record and reports it again. The record keeps its history:
 * when it was collected and first reported, and whether that report was late (the 24 h rule is
 * about the report after collection, which a correction does not redo or undo); the return stays
 * in collection_reviews, and the resubmission — when, by whom, what the return asked for — is an
 * event in the person's history. A passed resubmission is credited to the month of collection.
 */
export async function resubmitRecord(db: Db, actor: Actor, recordId: string, input: { note: string }, ip: string | null) {
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const record = requireInScope(actor, await tx.selectFrom('collection_records').selectAll().where('id', '=', recordId).forUpdate().executeTakeFirst());
    if (record.review_status !== 'returned') throw conflict('NOT_RETURNED', '只有被退回的记录可以重新上报。');
    const now = new Date();
    await tx.updateTable('collection_records').set({ review_status: 'reported', return_reasons: null }).where('id', '=', recordId).execute();
    if (record.person_id) {
      await personEvent(tx, record.person_id, 'record_resubmitted', actor.userId, { recordId, returnReasons: record.return_reasons, note: input.note });
      // As on review: the person's status follows their latest record.
      const latest = await tx.selectFrom('collection_records').select('id').where('person_id', '=', record.person_id).orderBy('reported_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      if (latest.id === recordId) await tx.updateTable('persons').set({ review_status: 'reported', updated_at: now }).where('id', '=', record.person_id).execute();
    }
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'record.resubmit', entity: 'collection_record', entityId: recordId, ip, summary: { note: input.note } });
    return { id: recordId, reviewStatus: 'reported' as const, collectedAt: record.collected_at, reportedAt: record.reported_at, late: record.late, resubmittedAt: now };
  });
}

// ---------------------------------------------------------------- spot re-checks (倒查)

export async function scheduleRecheck(db: Db, actor: Actor, input: { recordId: string; scheduledOn: string }, ip: string | null) {
  const { rules } = await populationPolicy(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const record = requireInScope(actor, await tx.selectFrom('collection_records').selectAll().where('id', '=', input.recordId).executeTakeFirst());
    if (input.scheduledOn < todayOffice()) throw unprocessable('PAST_DATE', '倒查日期不能早于今天。', [{ path: 'scheduledOn', code: 'PAST_DATE', message: '早于今天' }]);
    const lookbackStart = recheckLookbackStart(rules.recheckLookbackDays);
    if (officeDateOf(new Date(record.collected_at)) < lookbackStart) {
      throw unprocessable('RECORD_TOO_OLD', `只能倒查近 ${rules.recheckLookbackDays} 天内（${lookbackStart} 起）采集的记录。`, [{ path: 'recordId', code: 'RECORD_TOO_OLD', message: '超出倒查期限' }]);
    }
    const id = uuidv7();
    await tx.insertInto('rechecks').values({
      id, record_id: record.id, grid_id: record.grid_id, scheduled_on: input.scheduledOn, scheduled_by: actor.userId,
      done_on: null, done_by: null, result: null, notes: null, police_ack_by: null, police_ack_at: null,
    }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'recheck.create', entity: 'recheck', entityId: id, ip });
    return { id, recordId: record.id, gridId: record.grid_id, scheduledOn: input.scheduledOn, doneOn: null, result: null };
  });
}

export async function recordRecheckResult(db: Db, actor: Actor, id: string, input: { doneOn: string; result: 'correct' | 'error' | 'concealment' | 'omission'; notes?: string }, ip: string | null) {
  notInFuture(input.doneOn, 'doneOn');
  if (input.result !== 'correct' && !input.notes?.trim()) {
    throw unprocessable('NOTES_REQUIRED', '发现错误、瞒报或漏报时须写明情况。', [{ path: 'notes', code: 'NOTES_REQUIRED', message: '请写明发现的问题' }]);
  }
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const recheck = requireInScope(actor, await tx.selectFrom('rechecks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst());
    if (recheck.result) throw conflict('ALREADY_RECORDED', '该倒查已记录结果。');
    await tx.updateTable('rechecks').set({ done_on: input.doneOn, done_by: actor.userId, result: input.result, notes: input.notes ?? null }).where('id', '=', id).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'recheck.result', entity: 'recheck', entityId: id, ip, summary: { result: input.result } });
    return { id, recordId: recheck.record_id, gridId: recheck.grid_id, scheduledOn: recheck.scheduled_on, doneOn: input.doneOn, result: input.result, notes: input.notes ?? null };
  });
}

/**
 * Re-checks; `problems=true` lists the error reports (non-correct results) — what the street office
 * and the police liaison receive.
 */
export async function listRechecks(db: Db, actor: Actor, q: { open?: boolean; problems?: boolean; gridId?: string; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  const { rules } = await populationPolicy(db);
  let query = pop(db).selectFrom('rechecks as c').innerJoin('collection_records as r', 'r.id', 'c.record_id').leftJoin('persons as p', 'p.id', 'r.person_id')
    .where(inScope(actor.scope, 'rechecks', { as: 'c' }));
  if (q.open !== undefined) query = query.where('c.result', q.open ? 'is' : 'is not', null);
  if (q.problems) query = query.where('c.result', 'in', ['error', 'concealment', 'omission']);
  if (q.gridId) query = query.where('c.grid_id', '=', q.gridId);
  const [rows, total] = await Promise.all([
    query.select(['c.id', 'c.record_id', 'c.grid_id', 'c.scheduled_on', 'c.done_on', 'c.result', 'c.notes', 'c.police_ack_at', 'r.kind', 'p.name', 'p.id_masked'])
      .orderBy('c.scheduled_on', 'desc').orderBy('c.id').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, recordId: r.record_id, recordKind: r.kind, gridId: r.grid_id, gridName: unitName(tree, r.grid_id), personName: r.name, idNumberMasked: r.id_masked,
      scheduledOn: r.scheduled_on, doneOn: r.done_on, result: r.result, notes: r.notes, policeAcknowledgedAt: r.police_ack_at,
    })),
    total: Number(total.n),
    lookbackDays: rules.recheckLookbackDays,
    lookbackFrom: recheckLookbackStart(rules.recheckLookbackDays),
  };
}

/** The police liaison acknowledges an error report addressed to the police. */
export async function acknowledgeErrorReport(db: Db, actor: Actor, id: string, ip: string | null) {
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const recheck = requireInScope(actor, await tx.selectFrom('rechecks').selectAll().where('id', '=', id).forUpdate().executeTakeFirst());
    if (!recheck.result || recheck.result === 'correct') throw unprocessable('NOT_AN_ERROR_REPORT', '只有发现问题的倒查结果会报送派出所。');
    if (recheck.police_ack_at) throw conflict('ALREADY_ACKNOWLEDGED', '该问题已签收。');
    const now = new Date();
    await tx.updateTable('rechecks').set({ police_ack_by: actor.userId, police_ack_at: now }).where('id', '=', id).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'recheck.acknowledge', entity: 'recheck', entityId: id, ip });
    return { id, policeAcknowledgedAt: now };
  });
}

