import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { notFound } from '../http/errors.js';
import { officeDayEnd, officeDayStart, officeToday } from '../time.js';
import { approvalKind, approvalKinds } from './kinds.js';
import { canView } from './engine.js';

/**
 * The one inbox of every module (待办/已办/我发起的/抄送我的): overdue first, then oldest; filter
 * by kind and date. Items open the approval with its form snapshot and full history.
 */
export type Box = 'todo' | 'done' | 'mine' | 'cc';
export interface InboxQuery { box: Box; kind?: string; from?: string; to?: string; unread?: boolean; page: number; pageSize: number }

const kindName = (kind: string) => approvalKinds().find((k) => k.kind === kind)?.name ?? kind;

export async function inbox(db: Db, userId: string, q: InboxQuery) {
  const today = officeToday();
  const offset = (q.page - 1) * q.pageSize;
  // Tasks carry their approval's kind (engine insertTask), so the task boxes filter on the task row.
  const dateFilter = (col: string, kindCol = 'a.kind') => sql.join([
    sql`true`,
    ...(q.kind ? [sql`${sql.ref(kindCol)} = ${q.kind}`] : []),
    // Office days (Asia/Shanghai), not the database session's: 07:00 office time is that day's morning.
    ...(q.from ? [sql`${sql.ref(col)} >= ${officeDayStart(q.from)}`] : []),
    ...(q.to ? [sql`${sql.ref(col)} < ${officeDayEnd(q.to)}`] : []),
  ], sql` and `);
  let rows: Record<string, unknown>[]; let total: number;
  if (q.box === 'todo' || q.box === 'done') {
    const todo = q.box === 'todo';
    const where = sql`t.assignee_id = ${userId} and ${todo ? sql`t.status = 'open' and a.status = 'pending'` : sql`t.status = 'done'`} and ${dateFilter(todo ? 't.created_at' : 't.decided_at', 't.kind')}`;
    const order = todo ? sql`(t.due_on is not null and t.due_on < ${today}::date) desc, t.created_at asc, t.id` : sql`t.decided_at desc, t.id desc`;
    const r = await sql<Record<string, unknown>>`select t.id, a.id as approval_id, a.kind, a.subject_id, a.case_no, a.title, a.status, a.created_at, u.name as applicant_name,
        s.name as step, t.due_on, t.decision, t.decided_at, t.origin, ob.name as on_behalf_of_name
      from approval_tasks t join approvals a on a.id = t.approval_id join approval_steps s on s.id = t.step_id
      join users u on u.id = a.applicant_id left join users ob on ob.id = t.on_behalf_of_id
      where ${where} order by ${order} limit ${q.pageSize} offset ${offset}`.execute(db);
    // The done count reads the task index alone (thousands of rows for a busy approver); only the todo box filters on the approval.
    const c = await sql<{ n: string }>`select count(*) as n from approval_tasks t ${todo ? sql`join approvals a on a.id = t.approval_id` : sql``} where ${where}`.execute(db);
    rows = r.rows; total = Number(c.rows[0]!.n);
  } else if (q.box === 'mine') {
    const where = sql`a.applicant_id = ${userId} and ${dateFilter('a.created_at')}`;
    const r = await sql<Record<string, unknown>>`select a.id, a.id as approval_id, a.kind, a.subject_id, a.case_no, a.title, a.status, a.created_at, u.name as applicant_name,
        s.name as step, s.due_on
      from approvals a join users u on u.id = a.applicant_id
      left join lateral (select name, due_on from approval_steps where approval_id = a.id and status = 'open' order by round desc limit 1) s on true
      where ${where} order by a.created_at desc, a.id desc limit ${q.pageSize} offset ${offset}`.execute(db);
    const c = await sql<{ n: string }>`select count(*) as n from approvals a where ${where}`.execute(db);
    rows = r.rows; total = Number(c.rows[0]!.n);
  } else {
    const where = sql`c.user_id = ${userId} and ${q.unread ? sql`c.read_at is null` : sql`true`} and ${dateFilter('c.created_at')}`;
    const r = await sql<Record<string, unknown>>`select a.id, a.id as approval_id, a.kind, a.subject_id, a.case_no, a.title, a.status, a.created_at, u.name as applicant_name,
        s.name as step, s.due_on, c.read_at
      from approval_cc c join approvals a on a.id = c.approval_id join users u on u.id = a.applicant_id
      left join lateral (select name, due_on from approval_steps where approval_id = a.id and status = 'open' order by round desc limit 1) s on true
      where ${where} order by (c.read_at is null) desc, c.created_at desc, c.id desc limit ${q.pageSize} offset ${offset}`.execute(db);
    const c = await sql<{ n: string }>`select count(*) as n from approval_cc c join approvals a on a.id = c.approval_id where ${where}`.execute(db);
    rows = r.rows; total = Number(c.rows[0]!.n);
  }
  return {
    items: rows.map((r) => ({
      id: r.id as string, approvalId: r.approval_id as string, kind: r.kind as string, kindName: kindName(r.kind as string),
      subjectId: r.subject_id as string, caseNo: r.case_no as string, title: r.title as string, status: r.status as string,
      applicantName: r.applicant_name as string, step: (r.step as string | null) ?? null, dueAt: (r.due_on as string | null) ?? null,
      overdue: q.box === 'todo' || q.box === 'mine' || q.box === 'cc' ? !!r.due_on && (r.due_on as string) < today && r.status === 'pending' : false,
      createdAt: r.created_at as Date,
      ...(q.box === 'done' ? { decision: r.decision as string, decidedAt: r.decided_at as Date } : {}),
      ...(q.box === 'todo' && r.on_behalf_of_name ? { onBehalfOfName: r.on_behalf_of_name as string } : {}),
      ...(q.box === 'todo' ? { origin: r.origin as string } : {}),
      ...(q.box === 'cc' ? { read: !!r.read_at } : {}),
    })),
    total, page: q.page, pageSize: q.pageSize,
  };
}

/** Counts for the menu badge. */
export async function inboxCounts(db: Db, userId: string) {
  const today = officeToday();
  const r = await sql<{ todo: string; overdue: string; cc_unread: string; returned: string; notifications: string }>`select
      (select count(*) from approval_tasks t join approvals a on a.id = t.approval_id where t.assignee_id = ${userId} and t.status = 'open' and a.status = 'pending') as todo,
      (select count(*) from approval_tasks t join approvals a on a.id = t.approval_id where t.assignee_id = ${userId} and t.status = 'open' and a.status = 'pending' and t.due_on < ${today}::date) as overdue,
      (select count(*) from approval_cc where user_id = ${userId} and read_at is null) as cc_unread,
      (select count(*) from approvals where applicant_id = ${userId} and status = 'returned') as returned,
      (select count(*) from notifications where user_id = ${userId} and read_at is null) as notifications`.execute(db);
  const c = r.rows[0]!;
  return { todo: Number(c.todo), overdue: Number(c.overdue), ccUnread: Number(c.cc_unread), returned: Number(c.returned), notificationsUnread: Number(c.notifications) };
}

const ACTION_LABELS: Record<string, string> = {
  submit: '提交申请', approve: '同意', reject: '不同意', return: '退回', withdraw: '撤回', resubmit: '重新提交', remind: '催办',
  auto_remind: '超时提醒', escalate: '超时上报', auto_pass: '超时自动通过', cc: '抄送', add_signer_before: '前加签', add_signer_after: '后加签',
  remove_signer: '减签', delegate: '委派', delegate_done: '委派办理完毕', transfer: '转办', external: '已由上级审批（系统外）', step_open: '进入步骤',
  finish_approved: '审批通过', finish_rejected: '审批未通过', finish_withdrawn: '已撤回', delegation_applied: '委托生效',
};

/** The approval with its form snapshot, steps with tasks, CC receipts and the history (签核历程). */
export async function approvalDetail(db: Db, approvalId: string, viewer: { userId: string; mayReadAll?: boolean }) {
  if (!viewer.mayReadAll && !(await canView(db, approvalId, viewer.userId))) throw notFound('未找到该审批。');
  const a = await db.selectFrom('approvals as a').innerJoin('users as u', 'u.id', 'a.applicant_id').innerJoin('org_units as o', 'o.id', 'a.applicant_unit_id')
    .selectAll('a').select(['u.name as applicant_name', 'o.name as unit_name']).where('a.id', '=', approvalId).executeTakeFirst();
  if (!a) throw notFound('未找到该审批。');
  const [steps, tasks, actions, cc] = await Promise.all([
    db.selectFrom('approval_steps').selectAll().where('approval_id', '=', approvalId).orderBy('round').orderBy('step_order').execute(),
    db.selectFrom('approval_tasks as t').innerJoin('users as u', 'u.id', 't.assignee_id').leftJoin('users as ob', 'ob.id', 't.on_behalf_of_id')
      .selectAll('t').select(['u.name as assignee_name', 'ob.name as on_behalf_of_name']).where('t.approval_id', '=', approvalId).orderBy('t.created_at').orderBy('t.id').execute(),
    db.selectFrom('approval_actions as x').leftJoin('users as u', 'u.id', 'x.actor_id').leftJoin('users as ob', 'ob.id', 'x.on_behalf_of_id').leftJoin('approval_steps as s', 's.id', 'x.step_id')
      .select(['x.id', 'x.action', 'x.comment', 'x.payload', 'x.at', 'x.step_id', 'u.name as actor_name', 'ob.name as on_behalf_of_name', 's.name as step_name'])
      .where('x.approval_id', '=', approvalId).orderBy('x.at').orderBy('x.id').execute(),
    db.selectFrom('approval_cc as c').innerJoin('users as u', 'u.id', 'c.user_id').select(['c.user_id', 'u.name', 'c.read_at', 'c.created_at']).where('c.approval_id', '=', approvalId).orderBy('c.created_at').execute(),
  ]);
  const names = new Map<string, string>();
  const ids = [...new Set(steps.flatMap((s) => s.planned_ids))];
  if (ids.length) for (const u of await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute()) names.set(u.id, u.name);
  const myTask = tasks.find((t) => t.assignee_id === viewer.userId && t.status === 'open' && a.status === 'pending');
  const def = approvalKinds().find((k) => k.kind === a.kind);
  const visibleSteps = steps.filter((s) => s.status !== 'cancelled' || tasks.some((t) => t.step_id === s.id && t.status === 'done'));
  return {
    id: a.id, caseNo: a.case_no, kind: a.kind, kindName: def?.name ?? a.kind, subjectId: a.subject_id, title: a.title, status: a.status,
    applicant: { id: a.applicant_id, name: a.applicant_name, unitName: a.unit_name }, form: a.form,
    policyPack: a.policy_pack, policyVersion: a.policy_version, createdAt: a.created_at, finishedAt: a.finished_at, currentStep: a.current_step,
    link: def?.linkOf?.(a.subject_id) ?? null,
    steps: visibleSteps.map((s) => ({
      id: s.id, order: s.step_order, round: s.round, key: s.key, name: s.name, approverPost: s.approver_post, mode: s.mode, status: s.status,
      dueOn: s.due_on, openedAt: s.opened_at, closedAt: s.closed_at,
      approverIds: tasks.some((t) => t.step_id === s.id) ? [...new Set(tasks.filter((t) => t.step_id === s.id && ['resolved', 'transferred', 'escalated'].includes(t.origin)).map((t) => t.assignee_id))] : s.planned_ids,
      plannedNames: s.planned_ids.map((id) => names.get(id) ?? ''),
      tasks: tasks.filter((t) => t.step_id === s.id).map((t) => ({
        id: t.id, assigneeId: t.assignee_id, assigneeName: t.assignee_name, ownerId: t.owner_id, onBehalfOfName: t.on_behalf_of_name,
        origin: t.origin, status: t.status, decision: t.decision, comment: t.comment, dueOn: t.due_on, decidedAt: t.decided_at, parentTaskId: t.parent_task_id,
      })),
    })),
    cc: cc.map((c) => ({ userId: c.user_id, name: c.name, readAt: c.read_at })),
    timeline: actions.filter((x) => x.action !== 'step_open').map((x) => ({
      id: x.id, at: x.at, action: x.action, label: ACTION_LABELS[x.action] ?? x.action, actorName: x.actor_name ?? '系统',
      onBehalfOfName: x.on_behalf_of_name, stepName: x.step_name, comment: x.comment, payload: x.payload,
    })),
    myTaskId: myTask?.id ?? null,
    can: {
      withdraw: a.applicant_id === viewer.userId && ((a.status === 'pending' && !a.first_decision_at) || a.status === 'returned'),
      resubmit: a.applicant_id === viewer.userId && a.status === 'returned',
      remind: a.applicant_id === viewer.userId && a.status === 'pending',
      decide: !!myTask,
      collective: !!myTask && (steps.find((s) => s.id === myTask.step_id)?.rule as { approver?: { type?: string } })?.approver?.type === 'collective_decision',
      returnTargets: myTask ? visibleSteps.filter((s) => s.step_order < (steps.find((x) => x.id === myTask.step_id)?.step_order ?? 0) && s.status === 'approved').map((s) => ({ order: s.step_order, name: s.name })) : [],
    },
    kindTitle: def ? approvalKind(a.kind).name : a.kind,
  };
}
