import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { inTransaction } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { conflict, notFound, unprocessable } from '../http/errors.js';
import { officeToday } from '../time.js';
import { notify } from '../notifications/service.js';
import { approvalKinds } from './kinds.js';
import { applyDelegations } from './resolve.js';
import type { EngineActor } from './engine.js';

/**
 * Out-of-office delegation (委托): a person away names a substitute for `[validFrom, validTo)`,
 * optionally for some kinds only. Applied whenever approvers are resolved; on request also to the
 * tasks already waiting for them. A delegation is ended by revoking it (kept in history).
 */
export interface NewDelegation { toUserId: string; validFrom: string; validTo: string; kinds?: string[] | null; reason: string; applyToOpenTasks?: boolean }

export async function createDelegation(db: Db, actor: EngineActor, input: NewDelegation & { fromUserId?: string }) {
  const fromUserId = input.fromUserId ?? actor.userId;
  if (input.toUserId === fromUserId) throw unprocessable('INVALID_DELEGATE', '不能委托给自己。', [{ path: 'toUserId', code: 'SELF', message: '本人' }]);
  if (input.validTo <= input.validFrom) throw unprocessable('INVALID_RANGE', '结束日期应晚于开始日期。', [{ path: 'validTo', code: 'BEFORE_START', message: input.validTo }]);
  const known = new Set(approvalKinds().map((k) => k.kind));
  const unknown = (input.kinds ?? []).filter((k) => !known.has(k));
  if (unknown.length) throw unprocessable('UNKNOWN_KIND', `未知的审批类型：${unknown.join('、')}`, unknown.map((k) => ({ path: 'kinds', code: 'UNKNOWN', message: k })));
  const to = await db.selectFrom('users').select(['id', 'name', 'status']).where('id', '=', input.toUserId).executeTakeFirst();
  if (!to || to.status !== 'active') throw unprocessable('INVALID_DELEGATE', '受托人不存在或已停用。', [{ path: 'toUserId', code: 'INACTIVE', message: input.toUserId }]);
  const id = uuidv7();
  let moved = 0;
  await inTransaction(db, async (tx) => {
    // One delegation per person per day and kind: overlapping windows would make "who acts" ambiguous.
    const overlap = await tx.selectFrom('delegations').select(['id', 'kinds']).where('from_user_id', '=', fromUserId).where('revoked_at', 'is', null)
      .where('valid_from', '<', input.validTo).where('valid_to', '>', input.validFrom).execute();
    const clash = overlap.find((o) => !o.kinds || !input.kinds || o.kinds.some((k) => input.kinds!.includes(k)));
    if (clash) throw conflict('DELEGATION_OVERLAP', '该时段已有委托，请先撤销原委托。');
    await tx.insertInto('delegations').values({ id, from_user_id: fromUserId, to_user_id: input.toUserId, valid_from: input.validFrom, valid_to: input.validTo, kinds: input.kinds?.length ? input.kinds : null, reason: input.reason, created_by: actor.userId, revoked_at: null, revoked_by: null }).execute();
    const today = officeToday();
    await notify(tx, { userIds: [input.toUserId], kind: 'delegation', title: `${actor.name}委托您代为审批（${input.validFrom} 至 ${input.validTo} 前）`, body: input.reason, link: '/approvals/delegations', entity: 'delegation', entityId: id });
    if (input.applyToOpenTasks && input.validFrom <= today && today < input.validTo) {
      const open = await tx.selectFrom('approval_tasks as t').innerJoin('approvals as a', 'a.id', 't.approval_id')
        .select(['t.id', 't.approval_id', 't.step_id', 't.kind', 'a.applicant_id'])
        .where('t.assignee_id', '=', fromUserId).where('t.status', '=', 'open').where('a.status', '=', 'pending').where('t.origin', '!=', 'delegated').execute();
      for (const t of open) {
        if (input.kinds?.length && !input.kinds.includes(t.kind)) continue;
        const a = await applyDelegations(tx, fromUserId, t.kind, today, t.applicant_id);
        if (a.assigneeId === fromUserId) continue;
        await tx.updateTable('approval_tasks').set({ assignee_id: a.assigneeId, on_behalf_of_id: fromUserId }).where('id', '=', t.id).execute();
        await tx.insertInto('approval_actions').values({ id: uuidv7(), approval_id: t.approval_id, step_id: t.step_id, task_id: t.id, actor_id: actor.userId, on_behalf_of_id: fromUserId, action: 'delegation_applied', comment: null, payload: JSON.stringify({ toUserId: a.assigneeId, delegationId: id }), idempotency_key: null }).execute();
        moved++;
      }
    }
  });
  return { id, movedTasks: moved };
}

export async function revokeDelegation(db: Db, actor: EngineActor, id: string, mayManageAny = false): Promise<void> {
  const d = await db.selectFrom('delegations').select(['from_user_id', 'revoked_at']).where('id', '=', id).executeTakeFirst();
  if (!d || (d.from_user_id !== actor.userId && !mayManageAny)) throw notFound('未找到该委托。');
  if (d.revoked_at) throw conflict('ALREADY_REVOKED', '该委托已撤销。');
  await db.updateTable('delegations').set({ revoked_at: sql`now()` as never, revoked_by: actor.userId }).where('id', '=', id).execute();
}

/** Delegations I gave and those given to me, newest first. */
export async function listDelegations(db: Db, userId: string) {
  const rows = await db.selectFrom('delegations as d').innerJoin('users as f', 'f.id', 'd.from_user_id').innerJoin('users as t', 't.id', 'd.to_user_id')
    .select(['d.id', 'd.from_user_id', 'f.name as from_name', 'd.to_user_id', 't.name as to_name', 'd.valid_from', 'd.valid_to', 'd.kinds', 'd.reason', 'd.created_at', 'd.revoked_at'])
    .where((eb) => eb.or([eb('d.from_user_id', '=', userId), eb('d.to_user_id', '=', userId)])).orderBy('d.created_at', 'desc').limit(200).execute();
  const today = officeToday();
  return rows.map((r) => ({
    id: r.id, fromUserId: r.from_user_id, fromName: r.from_name, toUserId: r.to_user_id, toName: r.to_name, validFrom: r.valid_from, validTo: r.valid_to,
    kinds: r.kinds, reason: r.reason, createdAt: r.created_at, revokedAt: r.revoked_at,
    state: r.revoked_at ? 'revoked' : r.valid_to <= today ? 'ended' : r.valid_from > today ? 'upcoming' : 'active',
    mine: r.from_user_id === userId,
  }));
}
