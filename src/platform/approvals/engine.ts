import { sql } from 'kysely';
import type { Db, Tx } from '../db/index.js';
import { inTransaction } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../http/errors.js';
import { activePolicy, type ActivePolicy } from '../policy/service.js';
import { loadOrgTree, type OrgTree } from '../org/tree.js';
import { workdayCalendar, type WorkdayCalendar } from '../calendar/service.js';
import { officeToday } from '../time.js';
import { nextCaseNo } from '../numbers.js';
import { notify } from '../notifications/service.js';
import { approverPostOf, evaluateCondition, type ApproverRule, type ChainStep } from './chain.js';
import { approvalKind, type ApprovalOutcome } from './kinds.js';
import { applyDelegations, loadApplicant, resolveRule, type Applicant } from './resolve.js';

/**
 * The approval engine (审批引擎). A request is submitted with its form; the kind's chain (from the
 * active policy pack) is evaluated once over the form and the applicant and materialised as step
 * rows, so a running approval keeps its chain when the pack changes. A step's approvers are
 * resolved when it opens (posts valid that day, delegations applied, never the applicant). Every
 * act is an append-only `approval_actions` row; approvals, steps and tasks are its projection,
 * written in the same transaction under a lock on the approval row.
 */

export interface EngineActor { userId: string; name: string }
export interface ActOptions { comment?: string | null; idempotencyKey?: string | null }

type StepRow = { id: string; step_order: number; round: number; key: string; name: string; rule: unknown; approver_post: string; planned_ids: string[]; mode: 'one' | 'all' | 'any'; status: string; due_on: string | null; timeout_action: string };
interface StoredRule { approver: ApproverRule; dueWorkdays?: number }

/** A step of the chain that applies to this request, with whom it would go to today. */
export interface PlannedStep {
  order: number; key: string; name: string; approverPost: string; mode: 'one' | 'all' | 'any';
  approverIds: string[]; external: string | null; dueWorkdays: number | null; timeout: string; rule: ApproverRule;
}
export interface ChainPlan { policyPack: string; policyVersion: number; steps: PlannedStep[]; cc: string[] }

/**
 * The chain a request would follow: applicable steps in order, each with its approvers as they
 * would be resolved today (delegations applied). A step naming nobody → `422 NO_APPROVER` naming
 * the step, so nothing is ever submitted that no one can act on.
 */
export async function planChain(db: Db, tree: OrgTree, input: { kind: string; applicant: Applicant; form: Record<string, unknown>; policy: ActivePolicy; day: string }): Promise<ChainPlan> {
  const def = approvalKind(input.kind);
  const chain = def.chainOf(input.policy.pack);
  const ctx = { form: input.form, applicant: { level: input.applicant.level, rank: input.applicant.rank, posts: input.applicant.posts } };
  const steps: PlannedStep[] = [];
  for (const s of chain.steps) {
    if (!evaluateCondition(s.when, ctx)) continue;
    const external = s.approver.type === 'external' ? s.approver.authority : null;
    const ids = external ? [] : await resolveWithDelegation(db, tree, s.approver, input.applicant, input.kind, input.day);
    if (!external && ids.length === 0) {
      throw unprocessable('NO_APPROVER', `审批步骤「${s.name}」找不到审批人（岗位空缺或仅申请人本人在岗），无法提交。请联系党政办配置岗位。`, [{ path: `steps.${s.key}`, code: 'NO_APPROVER', message: s.name }]);
    }
    steps.push({ order: steps.length + 1, key: s.key, name: s.name, approverPost: approverPostOf(s.approver), mode: s.mode, approverIds: ids, external, dueWorkdays: s.dueWorkdays ?? null, timeout: s.timeout, rule: s.approver });
  }
  if (steps.length === 0) throw unprocessable('NO_APPROVER', '没有适用的审批步骤，无法提交。', [{ path: 'steps', code: 'NO_APPROVER', message: '—' }]);
  const cc = new Set<string>();
  for (const c of chain.cc) {
    if (!evaluateCondition(c.when, ctx)) continue;
    for (const id of await resolveRule(db, tree, c.approver, input.applicant, input.day)) cc.add(id);
  }
  return { policyPack: input.policy.packCode, policyVersion: input.policy.version, steps, cc: [...cc] };
}

async function resolveWithDelegation(db: Db, tree: OrgTree, rule: ApproverRule, applicant: Applicant, kind: string, day: string): Promise<string[]> {
  const owners = await resolveRule(db, tree, rule, applicant, day);
  const out: string[] = [];
  for (const o of owners) out.push((await applyDelegations(db, o, kind, day, applicant.id)).assigneeId);
  return [...new Set(out)];
}

export interface SubmitInput {
  kind: string; subjectId: string; title: string; form: Record<string, unknown>;
  applicantId: string; actor: EngineActor; idempotencyKey?: string | null;
}
export interface SubmittedApproval { id: string; caseNo: string; policyPack: string; policyVersion: number; status: string; plan: ChainPlan }

export interface EngineEnv { db: Db; tree: OrgTree; calendar: WorkdayCalendar; policy: ActivePolicy; day: string }

/** What the engine reads outside the transaction (caches keyed by the root database). */
export async function engineEnv(db: Db): Promise<EngineEnv> {
  const [tree, calendar, policy] = await Promise.all([loadOrgTree(db), workdayCalendar(db), activePolicy(db)]);
  return { db, tree, calendar, policy, day: officeToday() };
}

/** Submits a request in the caller's transaction (the consumer writes its subject row beside it). */
export async function submitApproval(tx: Tx, env: EngineEnv, input: SubmitInput): Promise<SubmittedApproval> {
  const def = approvalKind(input.kind);
  const applicant = await loadApplicant(tx, env.tree, input.applicantId, env.day);
  if (!applicant) throw unprocessable('NO_POST', '申请人没有有效的任职岗位，无法提交审批。');
  const plan = await planChain(tx, env.tree, { kind: input.kind, applicant, form: input.form, policy: env.policy, day: env.day });
  const id = uuidv7();
  const caseNo = await nextCaseNo(tx, def.caseNoPrefix, Number(env.day.slice(0, 4)));
  const street = env.tree.units.get(applicant.streetId);
  await tx.insertInto('approvals').values({
    id, kind: input.kind, subject_id: input.subjectId, case_no: caseNo, title: input.title, applicant_id: applicant.id,
    applicant_unit_id: applicant.unitId, street_code: street?.street_code ?? street?.code ?? '', form: JSON.stringify(input.form),
    policy_pack: plan.policyPack, policy_version: plan.policyVersion, status: 'pending', current_step: null, first_decision_at: null, finished_at: null,
  }).execute();
  for (const s of plan.steps) {
    const rule: StoredRule = { approver: s.rule, ...(s.dueWorkdays ? { dueWorkdays: s.dueWorkdays } : {}) };
    await tx.insertInto('approval_steps').values({
      id: uuidv7(), approval_id: id, step_order: s.order, round: 1, key: s.key, name: s.name, rule: JSON.stringify(rule),
      approver_post: s.approverPost, planned_ids: s.approverIds, mode: s.mode, status: 'waiting', due_on: null, timeout_action: s.timeout, opened_at: null, closed_at: null,
    }).execute();
  }
  await recordAction(tx, { approvalId: id, actorId: input.actor.userId, action: 'submit', payload: { caseNo, policyPack: plan.policyPack, policyVersion: plan.policyVersion }, idempotencyKey: input.idempotencyKey ?? null });
  if (plan.cc.length) {
    await tx.insertInto('approval_cc').values(plan.cc.map((u) => ({ id: uuidv7(), approval_id: id, user_id: u, added_by: null }))).onConflict((oc) => oc.doNothing()).execute();
    await recordAction(tx, { approvalId: id, actorId: null, action: 'cc', payload: { userIds: plan.cc } });
    await notify(tx, { userIds: plan.cc, kind: 'cc', title: `${applicant.name}的${def.name}申请抄送您知悉`, body: input.title, link: approvalLink(id), entity: 'approval', entityId: id });
  }
  const approval = await lockApproval(tx, id);
  await advance(tx, env, approval, null);
  const status = (await tx.selectFrom('approvals').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  return { id, caseNo, policyPack: plan.policyPack, policyVersion: plan.policyVersion, status, plan };
}

export const approvalLink = (id: string) => `/approvals?open=${id}`;

type ApprovalRow = { id: string; kind: string; subject_id: string; title: string; applicant_id: string; status: string; current_step: number | null; first_decision_at: Date | null; form: Record<string, unknown>; case_no: string };

async function lockApproval(tx: Tx, id: string): Promise<ApprovalRow> {
  const a = await tx.selectFrom('approvals').select(['id', 'kind', 'subject_id', 'title', 'applicant_id', 'status', 'current_step', 'first_decision_at', 'form', 'case_no'])
    .where('id', '=', id).forUpdate().executeTakeFirst();
  if (!a) throw notFound('未找到该审批。');
  return a;
}

async function recordAction(tx: Tx, a: { approvalId: string; stepId?: string | null; taskId?: string | null; actorId: string | null; onBehalfOfId?: string | null; action: string; comment?: string | null; payload?: Record<string, unknown>; idempotencyKey?: string | null }): Promise<void> {
  await tx.insertInto('approval_actions').values({
    id: uuidv7(), approval_id: a.approvalId, step_id: a.stepId ?? null, task_id: a.taskId ?? null, actor_id: a.actorId,
    on_behalf_of_id: a.onBehalfOfId ?? null, action: a.action, comment: a.comment ?? null, payload: JSON.stringify(a.payload ?? {}), idempotency_key: a.idempotencyKey ?? null,
  }).execute();
}

async function currentSteps(tx: Tx, approvalId: string): Promise<StepRow[]> {
  return tx.selectFrom('approval_steps').select(['id', 'step_order', 'round', 'key', 'name', 'rule', 'approver_post', 'planned_ids', 'mode', 'status', 'due_on', 'timeout_action'])
    .where('approval_id', '=', approvalId).orderBy('step_order').orderBy('round').execute() as Promise<StepRow[]>;
}

/** Opens the next waiting step (external steps pass as recorded outside), or ends the approval approved. */
async function advance(tx: Tx, env: EngineEnv, approval: ApprovalRow, actorId: string | null): Promise<void> {
  for (;;) {
    const next = (await currentSteps(tx, approval.id)).find((s) => s.status === 'waiting');
    if (!next) return finish(tx, approval, 'approved', actorId);
    const rule = (next.rule as StoredRule).approver;
    if (rule.type === 'external') {
      await tx.updateTable('approval_steps').set({ status: 'approved', opened_at: new Date(), closed_at: new Date() }).where('id', '=', next.id).execute();
      await recordAction(tx, { approvalId: approval.id, stepId: next.id, actorId: null, action: 'external', payload: { authority: rule.authority } });
      continue;
    }
    return openStep(tx, env, approval, next);
  }
}

async function openStep(tx: Tx, env: EngineEnv, approval: ApprovalRow, step: StepRow): Promise<void> {
  const applicant = await loadApplicant(tx, env.tree, approval.applicant_id, env.day);
  const stored = step.rule as StoredRule;
  let owners = applicant ? await resolveRule(tx, env.tree, stored.approver, applicant, env.day) : [];
  if (owners.length === 0) {
    // Nobody holds the post today: the people planned at submission, if still active.
    const active = await tx.selectFrom('users').select('id').where('id', 'in', step.planned_ids.length ? step.planned_ids : ['00000000-0000-0000-0000-000000000000']).where('status', '=', 'active').execute();
    owners = active.map((r) => r.id).filter((id) => id !== approval.applicant_id);
  }
  if (owners.length === 0) throw unprocessable('NO_APPROVER', `审批步骤「${step.name}」找不到审批人，无法继续。请联系党政办配置岗位。`, [{ path: `steps.${step.key}`, code: 'NO_APPROVER', message: step.name }]);
  const due = stored.dueWorkdays ? env.calendar.addWorkdays(env.day, stored.dueWorkdays).date : null;
  await tx.updateTable('approval_steps').set({ status: 'open', opened_at: new Date(), due_on: due }).where('id', '=', step.id).execute();
  await tx.updateTable('approvals').set({ current_step: step.step_order }).where('id', '=', approval.id).execute();
  const assignees: string[] = [];
  for (const owner of owners) {
    const a = await applyDelegations(tx, owner, approval.kind, env.day, approval.applicant_id);
    await insertTask(tx, { approval, stepId: step.id, assigneeId: a.assigneeId, ownerId: a.ownerId, onBehalfOfId: a.onBehalfOfId, origin: 'resolved', dueOn: due, status: 'open' });
    assignees.push(a.assigneeId);
  }
  await recordAction(tx, { approvalId: approval.id, stepId: step.id, actorId: null, action: 'step_open', payload: { approverIds: assignees, round: step.round } });
  await notifyTask(tx, approval, assignees);
}

async function insertTask(tx: Tx, t: { approval: ApprovalRow; stepId: string; assigneeId: string; ownerId: string; onBehalfOfId: string | null; origin: 'resolved' | 'added_before' | 'added_after' | 'delegated' | 'transferred' | 'escalated'; dueOn: string | null; status: 'open' | 'waiting'; parentTaskId?: string | null }): Promise<string> {
  const id = uuidv7();
  await tx.insertInto('approval_tasks').values({
    id, approval_id: t.approval.id, step_id: t.stepId, assignee_id: t.assigneeId, owner_id: t.ownerId, on_behalf_of_id: t.onBehalfOfId,
    origin: t.origin, parent_task_id: t.parentTaskId ?? null, status: t.status, decision: null, comment: null, kind: t.approval.kind, due_on: t.dueOn, decided_at: null,
  }).execute();
  return id;
}

async function notifyTask(tx: Tx, approval: ApprovalRow, userIds: string[]): Promise<void> {
  const def = approvalKind(approval.kind);
  const applicant = await tx.selectFrom('users').select('name').where('id', '=', approval.applicant_id).executeTakeFirst();
  await notify(tx, { userIds, kind: 'task', title: `待办：${applicant?.name ?? ''}的${def.name}申请待您审批`, body: approval.title, link: approvalLink(approval.id), entity: 'approval', entityId: approval.id });
}

async function finish(tx: Tx, approval: ApprovalRow, outcome: ApprovalOutcome, actorId: string | null): Promise<void> {
  await tx.updateTable('approvals').set({ status: outcome, finished_at: new Date(), current_step: null }).where('id', '=', approval.id).execute();
  await tx.updateTable('approval_tasks').set({ status: 'cancelled' }).where('approval_id', '=', approval.id).where('status', 'in', ['open', 'waiting']).execute();
  await tx.updateTable('approval_steps').set({ status: 'cancelled', closed_at: new Date() }).where('approval_id', '=', approval.id).where('status', 'in', ['waiting', 'open']).execute();
  await recordAction(tx, { approvalId: approval.id, actorId, action: `finish_${outcome}` });
  const def = approvalKind(approval.kind);
  await def.onFinished?.(tx, { id: approval.id, kind: approval.kind, subjectId: approval.subject_id, applicantId: approval.applicant_id, outcome, form: approval.form, actorId });
  if (outcome !== 'withdrawn') {
    const word = outcome === 'approved' ? '已批准' : '未获批准';
    await notify(tx, { userIds: [approval.applicant_id], kind: 'finished', title: `您的${def.name}申请${word}`, body: approval.title, link: approvalLink(approval.id), entity: 'approval', entityId: approval.id });
  }
}

/** 集体研究 record: the meeting that decided, entered by the office. */
export interface CollectiveRecord { meetingDate: string; minutesRef: string; minutesFileId?: string | null }

export interface DecideInput extends ActOptions {
  decision: 'approve' | 'reject' | 'return';
  /** For `return`: `applicant` (default) or the order of an earlier step to re-open. */
  returnTo?: 'applicant' | number;
  collective?: CollectiveRecord;
}

type TaskRow = { id: string; approval_id: string; step_id: string; assignee_id: string; owner_id: string; on_behalf_of_id: string | null; origin: string; parent_task_id: string | null; status: string };

async function taskForActor(db: Db, taskId: string, actor: EngineActor): Promise<TaskRow> {
  const t = await db.selectFrom('approval_tasks as t').innerJoin('approvals as a', 'a.id', 't.approval_id')
    .select(['t.id', 't.approval_id', 't.step_id', 't.assignee_id', 't.owner_id', 't.on_behalf_of_id', 't.origin', 't.parent_task_id', 't.status', 'a.applicant_id'])
    .where('t.id', '=', taskId).executeTakeFirst();
  if (!t) throw notFound('未找到该待办。');
  if (t.assignee_id !== actor.userId) {
    if (t.applicant_id === actor.userId) throw forbidden('不能审批自己提交的申请。');
    throw notFound('未找到该待办。');
  }
  return t;
}

/** Locks the approval and re-reads the task under the lock: exactly one of two concurrent decisions wins. */
async function lockForTask(tx: Tx, t: TaskRow): Promise<{ approval: ApprovalRow; task: TaskRow; step: StepRow }> {
  const approval = await lockApproval(tx, t.approval_id);
  if (approval.status !== 'pending') throw conflict('INVALID_TRANSITION', approval.status === 'withdrawn' ? '该申请已撤回，不能再办理。' : '该审批已结束，不能再办理。');
  const task = await tx.selectFrom('approval_tasks').select(['id', 'approval_id', 'step_id', 'assignee_id', 'owner_id', 'on_behalf_of_id', 'origin', 'parent_task_id', 'status']).where('id', '=', t.id).executeTakeFirstOrThrow();
  if (task.status !== 'open') throw conflict('ALREADY_DECIDED', task.status === 'waiting' ? '该待办正由加签或委派人办理，请待其办理后再处理。' : '该待办已办理。');
  const step = (await currentSteps(tx, approval.id)).find((s) => s.id === task.step_id)!;
  return { approval, task, step };
}

/** A retried act with the same idempotency key changes nothing (the HTTP layer replays the first answer). */
async function alreadyDone(tx: Tx, approvalId: string, key: string | null | undefined): Promise<boolean> {
  if (!key) return false;
  const r = await tx.selectFrom('approval_actions').select('id').where('approval_id', '=', approvalId).where('idempotency_key', '=', key).executeTakeFirst();
  return !!r;
}

export async function decideTask(db: Db, taskId: string, actor: EngineActor, input: DecideInput): Promise<string> {
  const t = await taskForActor(db, taskId, actor);
  const env = await engineEnv(db);
  await inTransaction(db, async (tx) => {
    if (await alreadyDone(tx, t.approval_id, input.idempotencyKey)) return;
    const { approval, task, step } = await lockForTask(tx, t);
    const stored = step.rule as StoredRule;
    if (input.decision === 'approve' && stored.approver.type === 'collective_decision' && task.origin !== 'delegated') {
      if (!input.collective) throw unprocessable('COLLECTIVE_RECORD_REQUIRED', '集体研究步骤须登记会议日期、纪要文号并上传会议纪要。', [{ path: 'collective', code: 'REQUIRED', message: '会议日期、纪要文号' }]);
    }
    const decidedAt = new Date();
    await tx.updateTable('approval_tasks').set({ status: 'done', decision: input.decision, comment: input.comment ?? null, decided_at: decidedAt }).where('id', '=', task.id).execute();
    if (!approval.first_decision_at) await tx.updateTable('approvals').set({ first_decision_at: decidedAt }).where('id', '=', approval.id).execute();
    await recordAction(tx, {
      approvalId: approval.id, stepId: step.id, taskId: task.id, actorId: actor.userId, onBehalfOfId: task.on_behalf_of_id, action: task.origin === 'delegated' ? 'delegate_done' : input.decision,
      comment: input.comment, idempotencyKey: input.idempotencyKey, payload: {
        ...(input.decision === 'return' ? { returnTo: input.returnTo ?? 'applicant' } : {}),
        ...(input.collective ? { collective: input.collective } : {}),
      },
    });
    // 委派: the delegate's opinion goes back to the owner, who decides.
    if (task.origin === 'delegated') return reopenParent(tx, approval, task);
    if (input.decision === 'reject') {
      await tx.updateTable('approval_steps').set({ status: 'rejected', closed_at: decidedAt }).where('id', '=', step.id).execute();
      return finish(tx, approval, 'rejected', actor.userId);
    }
    if (input.decision === 'return') return returnApproval(tx, env, approval, step, input.returnTo ?? 'applicant', actor);
    return stepProgress(tx, env, approval, step, task, actor);
  });
  return t.approval_id;
}

async function reopenParent(tx: Tx, approval: ApprovalRow, task: TaskRow): Promise<void> {
  if (!task.parent_task_id) return;
  const parent = await tx.updateTable('approval_tasks').set({ status: 'open' }).where('id', '=', task.parent_task_id).where('status', '=', 'waiting').returning('assignee_id').executeTakeFirst();
  if (parent) await notifyTask(tx, approval, [parent.assignee_id]);
}

const BASE_ORIGINS = ['resolved', 'transferred', 'escalated'];

async function stepProgress(tx: Tx, env: EngineEnv, approval: ApprovalRow, step: StepRow, task: TaskRow, actor: EngineActor): Promise<void> {
  // 前加签: the signer added before has signed; the one who added them decides now.
  if (task.origin === 'added_before') return reopenParent(tx, approval, task);
  // 后加签: signers added after this one now get their turn.
  const after = await tx.updateTable('approval_tasks').set({ status: 'open' }).where('parent_task_id', '=', task.id).where('origin', '=', 'added_after').where('status', '=', 'waiting').returning('assignee_id').execute();
  if (after.length) await notifyTask(tx, approval, after.map((r) => r.assignee_id));
  if (step.mode !== 'all' && BASE_ORIGINS.includes(task.origin)) {
    // 或签 / one: the first approval decides for the step; the others' tasks end.
    await tx.updateTable('approval_tasks').set({ status: 'cancelled' }).where('step_id', '=', step.id).where('status', 'in', ['open', 'waiting'])
      .where((eb) => eb.or([eb('parent_task_id', 'is', null), eb('parent_task_id', '!=', task.id)])).where('id', '!=', task.id).execute();
  }
  const pending = await tx.selectFrom('approval_tasks').select('id').where('step_id', '=', step.id).where('status', 'in', ['open', 'waiting']).limit(1).executeTakeFirst();
  if (pending) return;
  await tx.updateTable('approval_steps').set({ status: 'approved', closed_at: new Date() }).where('id', '=', step.id).execute();
  await advance(tx, env, approval, actor.userId);
}

/** 退回: to the applicant (who may resubmit or withdraw) or to an earlier step, re-opened with its approvers re-resolved. */
async function returnApproval(tx: Tx, env: EngineEnv, approval: ApprovalRow, step: StepRow, to: 'applicant' | number, actor: EngineActor): Promise<void> {
  const steps = await currentSteps(tx, approval.id);
  const latest = latestRound(steps);
  if (to !== 'applicant' && !(Number.isInteger(to) && to >= 1 && to < step.step_order && latest.some((s) => s.step_order === to))) {
    throw unprocessable('INVALID_RETURN_TARGET', '只能退回给申请人或之前的审批步骤。', [{ path: 'returnTo', code: 'INVALID', message: String(to) }]);
  }
  await tx.updateTable('approval_steps').set({ status: 'returned', closed_at: new Date() }).where('id', '=', step.id).execute();
  await tx.updateTable('approval_tasks').set({ status: 'cancelled' }).where('approval_id', '=', approval.id).where('status', 'in', ['open', 'waiting']).execute();
  const def = approvalKind(approval.kind);
  if (to === 'applicant') {
    await tx.updateTable('approval_steps').set({ status: 'cancelled' }).where('approval_id', '=', approval.id).where('status', '=', 'waiting').execute();
    await tx.updateTable('approvals').set({ status: 'returned', current_step: null }).where('id', '=', approval.id).execute();
    await notify(tx, { userIds: [approval.applicant_id], kind: 'returned', title: `您的${def.name}申请被${actor.name}退回`, body: approval.title, link: approvalLink(approval.id), entity: 'approval', entityId: approval.id });
    return;
  }
  await newRound(tx, approval.id, latest.filter((s) => s.step_order >= to));
  await advance(tx, env, approval, actor.userId);
}

function latestRound(steps: StepRow[]): StepRow[] {
  const byOrder = new Map<number, StepRow>();
  for (const s of steps) if ((byOrder.get(s.step_order)?.round ?? 0) < s.round) byOrder.set(s.step_order, s);
  return [...byOrder.values()].sort((a, b) => a.step_order - b.step_order);
}

/** Fresh rows (next round) for the given steps; their waiting predecessors are cancelled. */
async function newRound(tx: Tx, approvalId: string, steps: StepRow[]): Promise<void> {
  await tx.updateTable('approval_steps').set({ status: 'cancelled' }).where('approval_id', '=', approvalId).where('status', '=', 'waiting').execute();
  for (const s of steps) {
    await tx.insertInto('approval_steps').values({
      id: uuidv7(), approval_id: approvalId, step_order: s.step_order, round: s.round + 1, key: s.key, name: s.name, rule: JSON.stringify(s.rule),
      approver_post: s.approver_post, planned_ids: s.planned_ids, mode: s.mode, status: 'waiting', due_on: null, timeout_action: s.timeout_action, opened_at: null, closed_at: null,
    }).execute();
  }
}

async function applicantAct(db: Db, approvalId: string, actor: EngineActor, fn: (tx: Tx, a: ApprovalRow, env: EngineEnv) => Promise<void>, key?: string | null): Promise<void> {
  const env = await engineEnv(db);
  await inTransaction(db, async (tx) => {
    if (await alreadyDone(tx, approvalId, key)) return;
    const a = await lockApproval(tx, approvalId);
    if (a.applicant_id !== actor.userId) {
      if (await canView(tx, approvalId, actor.userId)) throw forbidden('只有申请人可以这样做。');
      throw notFound('未找到该审批。');
    }
    await fn(tx, a, env);
  });
}

/** 撤回: by the applicant, before anyone has decided (or while it lies returned with them). */
export async function withdrawApproval(db: Db, approvalId: string, actor: EngineActor, opts: ActOptions = {}): Promise<void> {
  await applicantAct(db, approvalId, actor, async (tx, a) => {
    const returned = a.status === 'returned';
    if (!(a.status === 'pending' && !a.first_decision_at) && !returned) {
      throw conflict('INVALID_TRANSITION', a.status === 'pending' ? '已有审批人办理，不能撤回；如需取消请联系审批人退回。' : '该审批已结束，不能撤回。');
    }
    const open = await tx.selectFrom('approval_tasks').select('assignee_id').where('approval_id', '=', a.id).where('status', '=', 'open').execute();
    await recordAction(tx, { approvalId: a.id, actorId: actor.userId, action: 'withdraw', comment: opts.comment, idempotencyKey: opts.idempotencyKey });
    await finish(tx, a, 'withdrawn', actor.userId);
    const def = approvalKind(a.kind);
    await notify(tx, { userIds: open.map((o) => o.assignee_id), kind: 'withdrawn', title: `${actor.name}已撤回${def.name}申请`, body: a.title, link: approvalLink(a.id), entity: 'approval', entityId: a.id });
  }, opts.idempotencyKey);
}

/** 重新提交: a request returned to the applicant runs its chain again from the first step. */
export async function resubmitApproval(db: Db, approvalId: string, actor: EngineActor, opts: ActOptions = {}): Promise<void> {
  await applicantAct(db, approvalId, actor, async (tx, a, env) => {
    if (a.status !== 'returned') throw conflict('INVALID_TRANSITION', '只有被退回给申请人的申请可以重新提交。');
    await tx.updateTable('approvals').set({ status: 'pending' }).where('id', '=', a.id).execute();
    await recordAction(tx, { approvalId: a.id, actorId: actor.userId, action: 'resubmit', comment: opts.comment, idempotencyKey: opts.idempotencyKey });
    await newRound(tx, a.id, latestRound(await currentSteps(tx, a.id)));
    await advance(tx, env, { ...a, status: 'pending' }, actor.userId);
  }, opts.idempotencyKey);
}

/** 催办: the applicant (or the office, with `approval:remind`) reminds the approvers of the open step. */
export async function remindApproval(db: Db, approvalId: string, actor: EngineActor & { mayRemindAny?: boolean }, opts: ActOptions = {}): Promise<number> {
  let reminded = 0;
  await inTransaction(db, async (tx) => {
    const a = await lockApproval(tx, approvalId);
    if (a.applicant_id !== actor.userId && !actor.mayRemindAny) {
      if (await canView(tx, approvalId, actor.userId)) throw forbidden('只有申请人或党政办可以催办。');
      throw notFound('未找到该审批。');
    }
    if (a.status !== 'pending') throw conflict('INVALID_TRANSITION', '该审批不在审批中，无需催办。');
    const recent = await tx.selectFrom('approval_actions').select('at').where('approval_id', '=', a.id).where('action', '=', 'remind')
      .where('at', '>', new Date(Date.now() - 10 * 60_000)).executeTakeFirst();
    if (recent) throw conflict('REMINDED_RECENTLY', '10 分钟内已催办过，请稍后再催。');
    const open = await tx.selectFrom('approval_tasks').select('assignee_id').where('approval_id', '=', a.id).where('status', '=', 'open').execute();
    await recordAction(tx, { approvalId: a.id, actorId: actor.userId, action: 'remind', comment: opts.comment, idempotencyKey: opts.idempotencyKey });
    const def = approvalKind(a.kind);
    await notify(tx, { userIds: open.map((o) => o.assignee_id), kind: 'reminder', title: `催办：${def.name}申请待您审批`, body: `${actor.name}：${opts.comment || a.title}`, link: approvalLink(a.id), entity: 'approval', entityId: a.id });
    reminded = open.length;
  });
  return reminded;
}

async function checkSigner(tx: Tx, userId: string, approval: ApprovalRow, actor: EngineActor): Promise<void> {
  if (userId === approval.applicant_id) throw unprocessable('SELF_APPROVAL', '不能把申请人本人设为审批人。', [{ path: 'userId', code: 'APPLICANT', message: '申请人' }]);
  if (userId === actor.userId) throw unprocessable('INVALID_SIGNER', '不能选择自己。', [{ path: 'userId', code: 'SELF', message: '本人' }]);
  const u = await tx.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirst();
  if (!u || u.status !== 'active') throw unprocessable('INVALID_SIGNER', '所选人员不存在或已停用。', [{ path: 'userId', code: 'INACTIVE', message: userId }]);
}

/** 加签: add a signer before oneself (they sign, then it comes back) or after oneself (they sign after). */
export async function addSigner(db: Db, taskId: string, actor: EngineActor, input: ActOptions & { userId: string; position: 'before' | 'after' }): Promise<string> {
  const t = await taskForActor(db, taskId, actor);
  await inTransaction(db, async (tx) => {
    if (await alreadyDone(tx, t.approval_id, input.idempotencyKey)) return;
    const { approval, task, step } = await lockForTask(tx, t);
    await checkSigner(tx, input.userId, approval, actor);
    const dup = await tx.selectFrom('approval_tasks').select('id').where('step_id', '=', step.id).where('assignee_id', '=', input.userId).where('status', 'in', ['open', 'waiting']).executeTakeFirst();
    if (dup) throw conflict('ALREADY_SIGNER', '该人员已在本步骤审批。');
    const before = input.position === 'before';
    const id = await insertTask(tx, { approval, stepId: step.id, assigneeId: input.userId, ownerId: input.userId, onBehalfOfId: null, origin: before ? 'added_before' : 'added_after', dueOn: step.due_on, status: before ? 'open' : 'waiting', parentTaskId: task.id });
    if (before) {
      await tx.updateTable('approval_tasks').set({ status: 'waiting' }).where('id', '=', task.id).execute();
      await notifyTask(tx, approval, [input.userId]);
    }
    await recordAction(tx, { approvalId: approval.id, stepId: step.id, taskId: id, actorId: actor.userId, onBehalfOfId: task.on_behalf_of_id, action: before ? 'add_signer_before' : 'add_signer_after', comment: input.comment, idempotencyKey: input.idempotencyKey, payload: { userId: input.userId } });
  });
  return t.approval_id;
}

/** 减签: the one who added a signer removes them while they have not signed. */
export async function removeSigner(db: Db, addedTaskId: string, actor: EngineActor, opts: ActOptions = {}): Promise<string> {
  const added = await db.selectFrom('approval_tasks as t').innerJoin('approval_tasks as p', 'p.id', 't.parent_task_id')
    .select(['t.id', 't.approval_id', 't.origin', 't.status', 't.parent_task_id', 'p.assignee_id as parent_assignee']).where('t.id', '=', addedTaskId).executeTakeFirst();
  if (!added || added.parent_assignee !== actor.userId || !['added_before', 'added_after'].includes(added.origin)) throw notFound('未找到可减签的审批人。');
  await inTransaction(db, async (tx) => {
    const approval = await lockApproval(tx, added.approval_id);
    if (approval.status !== 'pending') throw conflict('INVALID_TRANSITION', '该审批已结束。');
    const cur = await tx.selectFrom('approval_tasks').select(['status', 'step_id']).where('id', '=', added.id).executeTakeFirstOrThrow();
    if (cur.status !== 'open' && cur.status !== 'waiting') throw conflict('ALREADY_DECIDED', '该加签人已办理，不能减签。');
    await tx.updateTable('approval_tasks').set({ status: 'cancelled', decision: 'removed' }).where('id', '=', added.id).execute();
    if (added.origin === 'added_before') await tx.updateTable('approval_tasks').set({ status: 'open' }).where('id', '=', added.parent_task_id!).where('status', '=', 'waiting').execute();
    await recordAction(tx, { approvalId: approval.id, stepId: cur.step_id, taskId: added.id, actorId: actor.userId, action: 'remove_signer', comment: opts.comment, idempotencyKey: opts.idempotencyKey });
  });
  return added.approval_id;
}

/**
 * 委派 (`delegate`): someone else handles the task and it comes back to the owner to decide;
 * 转办 (`transfer`): the task moves to someone else for good.
 */
export async function handOver(db: Db, taskId: string, actor: EngineActor, input: ActOptions & { userId: string; how: 'delegate' | 'transfer' }): Promise<string> {
  const t = await taskForActor(db, taskId, actor);
  await inTransaction(db, async (tx) => {
    if (await alreadyDone(tx, t.approval_id, input.idempotencyKey)) return;
    const { approval, task, step } = await lockForTask(tx, t);
    await checkSigner(tx, input.userId, approval, actor);
    if (input.how === 'delegate') {
      if (task.origin === 'delegated') throw unprocessable('INVALID_TRANSITION', '委派来的待办不能再委派，请办理后交回。');
      await tx.updateTable('approval_tasks').set({ status: 'waiting' }).where('id', '=', task.id).execute();
      await insertTask(tx, { approval, stepId: step.id, assigneeId: input.userId, ownerId: actor.userId, onBehalfOfId: null, origin: 'delegated', dueOn: step.due_on, status: 'open', parentTaskId: task.id });
    } else {
      await tx.updateTable('approval_tasks').set({ status: 'cancelled', decision: 'transferred', decided_at: new Date() }).where('id', '=', task.id).execute();
      await insertTask(tx, { approval, stepId: step.id, assigneeId: input.userId, ownerId: input.userId, onBehalfOfId: null, origin: task.origin === 'delegated' ? 'delegated' : 'transferred', dueOn: step.due_on, status: 'open', parentTaskId: task.parent_task_id });
    }
    await recordAction(tx, { approvalId: approval.id, stepId: step.id, taskId: task.id, actorId: actor.userId, onBehalfOfId: task.on_behalf_of_id, action: input.how, comment: input.comment, idempotencyKey: input.idempotencyKey, payload: { userId: input.userId } });
    await notifyTask(tx, approval, [input.userId]);
  });
  return t.approval_id;
}

/** 抄送/传阅: the applicant or anyone who handled the approval copies others in. */
export async function addCc(db: Db, approvalId: string, actor: EngineActor, userIds: string[], opts: ActOptions = {}): Promise<void> {
  await inTransaction(db, async (tx) => {
    const a = await lockApproval(tx, approvalId);
    const involved = a.applicant_id === actor.userId || !!(await tx.selectFrom('approval_tasks').select('id').where('approval_id', '=', a.id).where('assignee_id', '=', actor.userId).executeTakeFirst());
    if (!involved) {
      if (await canView(tx, approvalId, actor.userId)) throw forbidden('只有申请人和审批人可以抄送。');
      throw notFound('未找到该审批。');
    }
    const active = await tx.selectFrom('users').select('id').where('id', 'in', userIds).where('status', '=', 'active').execute();
    if (active.length !== new Set(userIds).size) throw unprocessable('INVALID_USER', '所选人员不存在或已停用。');
    const added = await tx.insertInto('approval_cc').values(active.map((u) => ({ id: uuidv7(), approval_id: a.id, user_id: u.id, added_by: actor.userId })))
      .onConflict((oc) => oc.columns(['approval_id', 'user_id']).doNothing()).returning('user_id').execute();
    await recordAction(tx, { approvalId: a.id, actorId: actor.userId, action: 'cc', comment: opts.comment, payload: { userIds: added.map((r) => r.user_id) }, idempotencyKey: opts.idempotencyKey });
    const def = approvalKind(a.kind);
    await notify(tx, { userIds: added.map((r) => r.user_id), kind: 'cc', title: `${actor.name}抄送给您：${def.name}申请`, body: a.title, link: approvalLink(a.id), entity: 'approval', entityId: a.id });
  });
}

/** Marks a CC read (阅读回执). */
export async function markCcRead(db: Db, approvalId: string, userId: string): Promise<boolean> {
  const r = await db.updateTable('approval_cc').set({ read_at: sql`now()` as never }).where('approval_id', '=', approvalId).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Who may open an approval: the applicant, anyone with a task in it (or on whose behalf), anyone copied. */
export async function canView(db: Db, approvalId: string, userId: string): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`select exists (select 1 from approvals where id = ${approvalId} and applicant_id = ${userId})
    or exists (select 1 from approval_tasks where approval_id = ${approvalId} and (assignee_id = ${userId} or owner_id = ${userId} or on_behalf_of_id = ${userId}))
    or exists (select 1 from approval_cc where approval_id = ${approvalId} and user_id = ${userId}) as ok`.execute(db);
  return !!r.rows[0]?.ok;
}

/**
 * Timeouts, run by the scheduler once a day: an open step past its due day reminds its approvers
 * (once per day), escalates to the main leader (once) or passes by itself (marked 超时自动通过).
 * The unique index on (step, action, slot) makes each act happen once across processes.
 */
export async function runStepTimeouts(db: Db, now = new Date()): Promise<{ reminded: number; escalated: number; passed: number }> {
  const today = officeToday(now.getTime());
  const overdue = await db.selectFrom('approval_steps as s').innerJoin('approvals as a', 'a.id', 's.approval_id')
    .select(['s.id', 's.approval_id', 's.timeout_action']).where('s.status', '=', 'open').where('a.status', '=', 'pending').where('s.due_on', '<', today).execute();
  const out = { reminded: 0, escalated: 0, passed: 0 };
  const env = await engineEnv(db);
  for (const s of overdue) {
    const action = s.timeout_action === 'escalate' ? 'escalate' : s.timeout_action === 'auto_pass' ? 'auto_pass' : 'auto_remind';
    const slot = action === 'auto_remind' ? today : 'once';
    try {
      await inTransaction(db, async (tx) => {
        const approval = await lockApproval(tx, s.approval_id);
        if (approval.status !== 'pending') return;
        const step = (await currentSteps(tx, approval.id)).find((x) => x.id === s.id);
        if (!step || step.status !== 'open') return;
        const claimed = await tx.insertInto('approval_actions').values({ id: uuidv7(), approval_id: approval.id, step_id: step.id, task_id: null, actor_id: null, on_behalf_of_id: null, action, comment: null, payload: JSON.stringify({ slot }), idempotency_key: null })
          .onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
        if (!claimed) return;
        const open = await tx.selectFrom('approval_tasks').select(['id', 'assignee_id']).where('step_id', '=', step.id).where('status', 'in', ['open', 'waiting']).execute();
        const def = approvalKind(approval.kind);
        if (action === 'auto_remind') {
          await notify(tx, { userIds: open.map((o) => o.assignee_id), kind: 'reminder', title: `超时提醒：${def.name}申请已超过办理时限`, body: approval.title, link: approvalLink(approval.id), entity: 'approval', entityId: approval.id });
          out.reminded++;
        } else if (action === 'escalate') {
          const applicant = await loadApplicant(tx, env.tree, approval.applicant_id, today);
          const leaders = applicant ? await resolveRule(tx, env.tree, { type: 'main_leader', which: 'director', fallback: { type: 'other_main_leader' } }, applicant, today) : [];
          const fresh = leaders.filter((l) => !open.some((o) => o.assignee_id === l));
          for (const l of fresh) await insertTask(tx, { approval, stepId: step.id, assigneeId: l, ownerId: l, onBehalfOfId: null, origin: 'escalated', dueOn: null, status: 'open' });
          await notifyTask(tx, approval, fresh);
          out.escalated++;
        } else {
          await tx.updateTable('approval_tasks').set({ status: 'done', decision: 'auto_pass', decided_at: new Date() }).where('step_id', '=', step.id).where('status', 'in', ['open', 'waiting']).execute();
          await tx.updateTable('approval_steps').set({ status: 'approved', closed_at: new Date() }).where('id', '=', step.id).execute();
          await advance(tx, { ...env, day: today }, approval, null);
          out.passed++;
        }
      });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
    }
  }
  return out;
}

export type { ChainStep };
