import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { errorOf, onPostgres } from '../../../test/helpers/app.js';
import { rulesEnv, type RulesEnv } from '../../../test/helpers/approvals.js';
import { inTransaction, openDatabase, type Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { AppError } from '../http/errors.js';
import { addDays } from '../calendar/service.js';
import { POSTS } from '../org/roles.js';
import { runDueSchedules, scheduleRuns } from '../jobs/scheduler.js';
import { registeredSchedules } from '../jobs/scheduler.js';
import type { ApproverRule, Chain } from './chain.js';
import { engineEnv, planChain, runStepTimeouts, submitApproval } from './engine.js';
import { createDelegation, revokeDelegation } from './delegations.js';
import { loadApplicant, MAX_DELEGATION_DEPTH } from './resolve.js';
import { STEP_TIMEOUTS_SCHEDULE } from './schedules.js';

/**
 * Approval engine rules (PRODUCT.md "Approval engine", ARCHITECTURE.md "Approval engine"), one test
 * per rule, with leave as the consumer: no self-approval, delegations (委托), 会签/或签, return and
 * resubmit, withdraw, concurrent decisions, reminders and step timeouts, bounded comments, and pack
 * edits that name unknown posts or form fields.
 */
let e: RulesEnv;
beforeAll(async () => { e = await rulesEnv(); }, 120_000);
afterAll(async () => { await e?.close(); });

const actions = async (approvalId: string, action?: string) => {
  let q = e.t.db.selectFrom('approval_actions').select(['action', 'step_id']).where('approval_id', '=', approvalId);
  if (action) q = q.where('action', '=', action);
  return q.orderBy('at').orderBy('id').execute();
};
const stepRows = async (approvalId: string) => (await e.t.db.selectFrom('approval_steps').select(['id', 'key', 'round', 'status']).where('approval_id', '=', approvalId)
  .orderBy('round').orderBy('step_order').execute());
const stepsOf = async (approvalId: string) => (await stepRows(approvalId)).map((s) => `${s.key}:${s.round}:${s.status}`);
const taskIdsOf = async (approvalId: string, username: string) => (await e.t.db.selectFrom('approval_tasks').select('id')
  .where('approval_id', '=', approvalId).where('assignee_id', '=', e.id(username)).orderBy('created_at').execute()).map((r) => r.id);
const statusOf = async (approvalId: string) => (await e.t.db.selectFrom('approvals').select('status').where('id', '=', approvalId).executeTakeFirstOrThrow()).status;

describe('no self-approval', () => {
  const APPLICANTS = ['keyuan1', 'dangzhengban', 'liuguan', 'caizheng', 'chuangkou1', 'zhan-sh', 'wangge-sh-1', 'fenguan1', 'fenguan2', 'zhuren', 'shuji', 'jigongwei'];
  const ruleArb = (unitCodes: string[]): fc.Arbitrary<ApproverRule> => {
    const base: fc.Arbitrary<ApproverRule> = fc.oneof(
      fc.constantFrom<ApproverRule>({ type: 'section_head' }, { type: 'leader_in_charge' }, { type: 'other_main_leader' }, { type: 'presiding_leader' }, { type: 'bureau_leader' }, { type: 'collective_decision' }),
      fc.constantFrom('director', 'party_secretary', 'any').map((which): ApproverRule => ({ type: 'main_leader', which })),
      fc.tuple(fc.constantFrom(...POSTS), fc.option(fc.constantFrom(...unitCodes), { nil: undefined })).map(([post, unitCode]): ApproverRule => ({ type: 'post', post, ...(unitCode ? { unitCode } : {}) })),
      fc.constantFrom('leader', 'section_head', 'staff', 'finance').map((role): ApproverRule => ({ type: 'role', role })),
    );
    return fc.tuple(base, fc.option(base, { nil: undefined }), fc.option(base, { nil: undefined }))
      .map(([a, b, c]) => (b ? { ...a, fallback: c ? { ...b, fallback: c } : b } : a));
  };

  it('the applicant is never an approver of their own request, for any applicant and chain (property): each step names someone else or the request is refused with 422 NO_APPROVER', async () => {
    const env = await engineEnv(e.t.db);
    const unitCodes = [...env.tree.units.values()].map((u) => u.code).slice(0, 12);
    // Delegations that point back at applicants must not hand the task to them either.
    const given: string[] = [];
    for (const [from, to] of [['dangzhengban', 'keyuan1'], ['shuji', 'zhuren'], ['zhuren', 'fenguan1'], ['liuguan', 'caizheng']] as const) {
      given.push((await createDelegation(e.t.db, { userId: e.id(from), name: from }, { toUserId: e.id(to), validFrom: e.today, validTo: addDays(e.today, 2), reason: '属性测试' })).id);
    }
    const stepArb = fc.record({ approver: ruleArb(unitCodes), mode: fc.constantFrom('one' as const, 'all' as const, 'any' as const) });
    let refused = 0; let planned = 0;
    try {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...APPLICANTS), fc.array(stepArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(0.5, 1, 2, 3, 6), async (who, steps, days) => {
        const chain: Chain = { steps: steps.map((s, i) => ({ key: `s${i}`, name: `步骤${i}`, approver: s.approver, mode: s.mode, timeout: 'remind' })), cc: [{ approver: steps[0]!.approver }] };
        const policy = { ...env.policy, pack: { ...env.policy.pack, leave: { ...(env.policy.pack.leave as object), chain } } };
        const applicant = (await loadApplicant(e.t.db, env.tree, e.id(who), env.day))!;
        const form = { type: 'personal', days, halfDay: null, retroactive: false };
        let plan: Awaited<ReturnType<typeof planChain>> | null = null;
        try {
          plan = await planChain(e.t.db, env.tree, { kind: 'leave', applicant, form, policy, day: env.day });
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect([(err as AppError).status, (err as AppError).code]).toEqual([422, 'NO_APPROVER']);
          refused++;
          return;
        }
        planned++;
        for (const s of plan.steps) {
          expect(s.approverIds).not.toContain(applicant.id);
          expect(s.approverIds.length).toBeGreaterThan(0);
        }
        expect(plan.cc).not.toContain(applicant.id);
        // Submitted (and rolled back): no task of the request is the applicant's.
        const rollback = new Error('rollback');
        let assignees: string[] = [];
        await inTransaction(e.t.db, async (tx) => {
          const r = await submitApproval(tx, { ...env, policy }, { kind: 'leave', subjectId: uuidv7(), title: '属性测试', form, applicantId: applicant.id, actor: { userId: applicant.id, name: who } });
          assignees = (await tx.selectFrom('approval_tasks').select('assignee_id').where('approval_id', '=', r.id).execute()).map((x) => x.assignee_id);
          throw rollback;
        }).catch((err) => { if (err !== rollback) throw err; });
        expect(assignees).not.toContain(applicant.id);
      }), { seed: 20261005, numRuns: 60 });
    } finally {
      for (const id of given) await revokeDelegation(e.t.db, { userId: e.id('admin'), name: 'admin' }, id, true);
    }
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(0);
    expect(planned).toBeGreaterThan(0);
  });

  it('a step whose rule finds only the applicant falls to its fallback; without one the request is refused 422 NO_APPROVER naming the step', async () => {
    // A section head under `section_head`: only they hold it in their unit and nobody at the street.
    const onlySelf: Chain = { steps: [{ key: 'own_head', name: '本科室负责人', approver: { type: 'section_head' }, mode: 'one', timeout: 'remind' }], cc: [] };
    await e.withLeaveChain('street', onlySelf, async () => {
      const res = await (await e.as('dangzhengban')).post('/api/v1/leave/requests', e.leave('personal', 1));
      expect(res.statusCode).toBe(422);
      expect(errorOf(res)).toMatchObject({ code: 'NO_APPROVER', details: [{ path: 'steps.own_head', code: 'NO_APPROVER' }] });
    });
    const withFallback: Chain = { steps: [{ key: 'own_head', name: '本科室负责人', approver: { type: 'section_head', fallback: { type: 'leader_in_charge' } }, mode: 'one', timeout: 'remind' }], cc: [] };
    await e.withLeaveChain('street', withFallback, async () => {
      const r = await e.submit('dangzhengban', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['own_head:fenguan1']);
    });
  });

  it('a delegation to the applicant stops before them: the task stays with the delegating approver', async () => {
    const d = await createDelegation(e.t.db, { userId: e.id('dangzhengban'), name: 'dzb' }, { toUserId: e.id('keyuan1'), validFrom: e.today, validTo: addDays(e.today, 2), reason: '外出' });
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
    } finally {
      await revokeDelegation(e.t.db, { userId: e.id('dangzhengban'), name: 'dzb' }, d.id);
    }
  });

  it('the applicant cannot be added as a signer or handed the task (422 SELF_APPROVAL), and deciding their own task is 403', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 1));
    const task = (await e.todo('dangzhengban', r.approvalId))!;
    const dzb = await e.as('dangzhengban');
    for (const [url, body] of [[`add-signer`, { userId: e.id('keyuan1'), position: 'before' }], ['transfer', { userId: e.id('keyuan1') }], ['delegate', { userId: e.id('keyuan1') }]] as const) {
      const res = await dzb.post(`/api/v1/approvals/tasks/${task.id}/${url}`, body);
      expect(res.statusCode, url).toBe(422);
      expect(errorOf(res).code).toBe('SELF_APPROVAL');
    }
    expect((await (await e.as('keyuan1')).post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision: 'approve' })).statusCode).toBe(403);
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
  });
});

describe('delegation (委托)', () => {
  const admin = () => ({ userId: e.id('admin'), name: 'admin' });
  const given: string[] = [];
  const delegate = async (from: string, to: string, range: { validFrom: string; validTo: string } = { validFrom: e.today, validTo: addDays(e.today, 3) }) => {
    const d = await createDelegation(e.t.db, { userId: e.id(from), name: from }, { toUserId: e.id(to), ...range, reason: '外出' });
    given.push(d.id);
    return d.id;
  };
  const revokeGiven = async () => {
    for (const id of given.splice(0)) await revokeDelegation(e.t.db, admin(), id, true).catch(() => {});
  };
  const firstTask = async (approvalId: string) => e.t.db.selectFrom('approval_tasks').select(['assignee_id', 'owner_id', 'on_behalf_of_id'])
    .where('approval_id', '=', approvalId).where('status', '=', 'open').executeTakeFirstOrThrow();

  it('a chain of delegations resolves: A away → B away → C acts "on behalf of" A, and the history says so', async () => {
    await delegate('dangzhengban', 'liuguan');
    await delegate('liuguan', 'caizheng');
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      const t = await firstTask(r.approvalId);
      expect([e.username(t.assignee_id), e.username(t.owner_id), t.on_behalf_of_id && e.username(t.on_behalf_of_id)]).toEqual(['caizheng', 'dangzhengban', 'dangzhengban']);
      expect((await e.todo('caizheng', r.approvalId))?.onBehalfOfName).toBe('王丽华');
      expect(await e.todo('dangzhengban', r.approvalId)).toBeUndefined();
      expect((await e.decide('caizheng', r.approvalId, 'approve')).statusCode).toBe(200);
      const d = await e.detail(r.approvalId);
      expect(d.status).toBe('approved');
      expect(d.timeline.find((x) => x.action === 'approve')).toMatchObject({ actorName: '郑国平', onBehalfOfName: '王丽华' });
    } finally { await revokeGiven(); }
  });

  it(`delegation chains stop at depth ${MAX_DELEGATION_DEPTH}`, async () => {
    const people = ['dangzhengban', 'liuguan', 'caizheng', 'chuangkou1', 'zhan-sh', 'wangge-sh-1', 'wangge-sh-2', 'wangge-xmq-1'];
    for (let i = 0; i + 1 < people.length; i++) await delegate(people[i]!, people[i + 1]!);
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual([`section_head:${people[MAX_DELEGATION_DEPTH]}`]);
      expect(e.username((await firstTask(r.approvalId)).on_behalf_of_id!)).toBe('dangzhengban');
    } finally { await revokeGiven(); }
  });

  it('a cycle A → B → A is safe: resolution ends at B, acting on behalf of A (A → B → C → D → A ends at D, the last one not yet seen)', async () => {
    await delegate('dangzhengban', 'liuguan');
    await delegate('liuguan', 'dangzhengban');
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:liuguan']);
      expect(e.username((await firstTask(r.approvalId)).on_behalf_of_id!)).toBe('dangzhengban');
    } finally { await revokeGiven(); }
    const ring = ['dangzhengban', 'liuguan', 'caizheng', 'chuangkou1'];
    for (const [i, from] of ring.entries()) await delegate(from, ring[(i + 1) % ring.length]!);
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:chuangkou1']);
    } finally { await revokeGiven(); }
  });

  it('an expired, a not-yet-started or a revoked delegation is not used', async () => {
    await delegate('dangzhengban', 'liuguan', { validFrom: addDays(e.today, -5), validTo: e.today });
    await delegate('dangzhengban', 'caizheng', { validFrom: addDays(e.today, 1), validTo: addDays(e.today, 5) });
    try {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
      expect((await firstTask(r.approvalId)).on_behalf_of_id).toBeNull();
    } finally { await revokeGiven(); }
    const id = await delegate('dangzhengban', 'liuguan');
    await revokeDelegation(e.t.db, { userId: e.id('dangzhengban'), name: 'dzb' }, id);
    const r = await e.submit('keyuan1', e.leave('personal', 1));
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
    await revokeGiven();
  });

  it('a delegation made through the API with applyToOpenTasks moves the waiting task to the substitute, on behalf of the giver', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 1));
    const res = await (await e.as('dangzhengban')).post('/api/v1/approvals/delegations', { toUserId: e.id('liuguan'), validFrom: e.today, validTo: addDays(e.today, 2), reason: '出差', applyToOpenTasks: true });
    expect(res.statusCode, res.body).toBe(201);
    given.push(res.json().id);
    try {
      expect(res.json().movedTasks).toBeGreaterThanOrEqual(1);
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:liuguan']);
      expect((await e.todo('liuguan', r.approvalId))?.onBehalfOfName).toBe('王丽华');
    } finally { await revokeGiven(); }
  });
});

const MAIN_ANY = { type: 'main_leader' as const, which: 'any' as const };
const jointThenEither: Chain = {
  steps: [
    { key: 'joint', name: '主要领导会签', approver: MAIN_ANY, mode: 'all', timeout: 'remind' },
    { key: 'either', name: '主要领导或签', approver: MAIN_ANY, mode: 'any', timeout: 'remind' },
  ],
  cc: [],
};

describe('会签 (all must approve) and 或签 (any one)', () => {
  it('会签: the step waits for every approver; only when all approved does the next step open', async () => {
    await e.withLeaveChain('street', jointThenEither, async () => {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect(await e.openTasks(r.approvalId)).toEqual(['joint:shuji', 'joint:zhuren']);
      expect((await e.decide('shuji', r.approvalId, 'approve')).statusCode).toBe(200);
      expect(await e.openTasks(r.approvalId)).toEqual(['joint:zhuren']);
      expect(await stepsOf(r.approvalId)).toEqual(['joint:1:open', 'either:1:waiting']);
      expect((await e.decide('zhuren', r.approvalId, 'approve')).statusCode).toBe(200);
      expect(await stepsOf(r.approvalId)).toEqual(['joint:1:approved', 'either:1:open']);
      expect(await e.openTasks(r.approvalId)).toEqual(['either:shuji', 'either:zhuren']);
    });
  });

  it('或签: the first approval decides the step; the other approver\'s task is cancelled', async () => {
    await e.withLeaveChain('street', jointThenEither, async () => {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      for (const u of ['shuji', 'zhuren']) expect((await e.decide(u, r.approvalId, 'approve')).statusCode).toBe(200);
      expect((await e.decide('zhuren', r.approvalId, 'approve')).statusCode).toBe(200);
      expect(await statusOf(r.approvalId)).toBe('approved');
      const either = (await stepRows(r.approvalId)).find((s) => s.key === 'either')!;
      const tasks = await e.t.db.selectFrom('approval_tasks').select(['assignee_id', 'status']).where('step_id', '=', either.id).execute();
      expect(tasks.map((t) => `${e.username(t.assignee_id)}:${t.status}`).sort()).toEqual(['shuji:cancelled', 'zhuren:done']);
      expect(await e.todo('shuji', r.approvalId)).toBeUndefined();
    });
  });

  it('a reject in 会签 ends the approval: rejected, the other signer\'s task cancelled, later steps never open, the leave refused', async () => {
    await e.withLeaveChain('street', jointThenEither, async () => {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      expect((await e.decide('zhuren', r.approvalId, 'reject', { comment: '不同意' })).statusCode).toBe(200);
      expect(await statusOf(r.approvalId)).toBe('rejected');
      expect(await e.openTasks(r.approvalId)).toEqual([]);
      expect(await stepsOf(r.approvalId)).toEqual(['joint:1:rejected', 'either:1:cancelled']);
      expect((await (await e.as('keyuan1')).get(`/api/v1/leave/requests/${r.id}`)).json().status).toBe('rejected');
      const late = await (await e.as('shuji')).post(`/api/v1/approvals/tasks/${(await taskIdsOf(r.approvalId, 'shuji'))[0]}/decide`, { decision: 'approve' });
      expect(late.statusCode).toBe(409);
      expect(errorOf(late).code).toBe('INVALID_TRANSITION');
    });
  });
});

describe('return (退回) and resubmit', () => {
  it('return to step 1 re-opens it with approvers re-resolved (after a post change the new section head gets it)', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 3));
    expect((await e.decide('dangzhengban', r.approvalId, 'approve')).statusCode).toBe(200);
    // The section head of 党政办 changes: dangzhengban's post ends yesterday, liuguan takes it from today.
    const dzbUnit = (await e.t.db.selectFrom('staff_posts').select(['id', 'org_unit_id', 'valid_from']).where('user_id', '=', e.id('dangzhengban')).where('post', '=', 'section_head').executeTakeFirstOrThrow());
    const newPost = uuidv7();
    await e.t.db.updateTable('staff_posts').set({ valid_to: addDays(e.today, -1) }).where('id', '=', dzbUnit.id).execute();
    await e.t.db.insertInto('staff_posts').values({ id: newPost, user_id: e.id('liuguan'), org_unit_id: dzbUnit.org_unit_id, post: 'section_head', is_primary: false, valid_from: e.today, valid_to: null, created_by: null }).execute();
    try {
      const back = await e.decide('fenguan1', r.approvalId, 'return', { returnTo: 1, comment: '请科室重新审核' });
      expect(back.statusCode, back.body).toBe(200);
      expect(await e.openTasks(r.approvalId)).toEqual(['section_head:liuguan']);
      expect(await stepsOf(r.approvalId)).toEqual(['section_head:1:approved', 'leader_in_charge:1:returned', 'main_leader:1:cancelled', 'section_head:2:open', 'leader_in_charge:2:waiting', 'main_leader:2:waiting']);
      expect((await e.decide('liuguan', r.approvalId, 'approve')).statusCode).toBe(200);
      expect(await e.openTasks(r.approvalId)).toEqual(['leader_in_charge:fenguan1']);
    } finally {
      await e.t.db.deleteFrom('staff_posts').where('id', '=', newPost).execute();
      await e.t.db.updateTable('staff_posts').set({ valid_to: null }).where('id', '=', dzbUnit.id).execute();
    }
  });

  it('return only goes back to the applicant or an earlier step (422 INVALID_RETURN_TARGET), changing nothing', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    const res = await e.decide('dangzhengban', r.approvalId, 'return', { returnTo: 2, comment: '退回' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res)).toMatchObject({ code: 'INVALID_RETURN_TARGET', details: [{ path: 'returnTo' }] });
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
    expect((await actions(r.approvalId)).map((a) => a.action)).toEqual(['submit', 'step_open']);
  });

  it('returned to the applicant, resubmit runs the chain again from step 1 as a new round and keeps the whole history', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    expect((await e.decide('dangzhengban', r.approvalId, 'approve')).statusCode).toBe(200);
    expect((await e.decide('fenguan1', r.approvalId, 'return', { returnTo: 'applicant', comment: '请补充事由' })).statusCode).toBe(200);
    expect(await statusOf(r.approvalId)).toBe('returned');
    expect(await e.openTasks(r.approvalId)).toEqual([]);
    const res = await (await e.as('keyuan1')).post(`/api/v1/approvals/${r.approvalId}/resubmit`, { comment: '已补充' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('pending');
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
    expect(await stepsOf(r.approvalId)).toEqual(['section_head:1:approved', 'leader_in_charge:1:returned', 'section_head:2:open', 'leader_in_charge:2:waiting']);
    const d = await e.detail(r.approvalId);
    expect(d.timeline.map((x) => x.action)).toEqual(['submit', 'approve', 'return', 'resubmit']);
    expect(d.timeline.map((x) => x.comment)).toEqual([null, '同意', '请补充事由', '已补充']);
    // Resubmitting twice is a conflict.
    const again = await (await e.as('keyuan1')).post(`/api/v1/approvals/${r.approvalId}/resubmit`, {});
    expect([again.statusCode, errorOf(again).code]).toEqual([409, 'INVALID_TRANSITION']);
  });
});

describe('withdraw (撤回)', () => {
  const withdraw = async (u: string, approvalId: string) => (await e.as(u)).post(`/api/v1/approvals/${approvalId}/withdraw`, { comment: '不请了' });

  it('before the first decision the applicant withdraws: withdrawn, open tasks cancelled, the leave withdrawn', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    const res = await withdraw('keyuan1', r.approvalId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('withdrawn');
    expect(await e.openTasks(r.approvalId)).toEqual([]);
    expect((await (await e.as('keyuan1')).get(`/api/v1/leave/requests/${r.id}`)).json().status).toBe('withdrawn');
    const late = await (await e.as('dangzhengban')).post(`/api/v1/approvals/tasks/${(await taskIdsOf(r.approvalId, 'dangzhengban'))[0]}/decide`, { decision: 'approve' });
    expect([late.statusCode, errorOf(late).code]).toEqual([409, 'INVALID_TRANSITION']);
    const twice = await withdraw('keyuan1', r.approvalId);
    expect([twice.statusCode, errorOf(twice).code]).toEqual([409, 'INVALID_TRANSITION']);
  });

  it('after the first decision withdraw is refused with 409 INVALID_TRANSITION and nothing changes', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    expect((await e.decide('dangzhengban', r.approvalId, 'approve')).statusCode).toBe(200);
    const before = await actions(r.approvalId);
    const res = await withdraw('keyuan1', r.approvalId);
    expect([res.statusCode, errorOf(res).code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(await statusOf(r.approvalId)).toBe('pending');
    expect(await e.openTasks(r.approvalId)).toEqual(['leader_in_charge:fenguan1']);
    expect(await actions(r.approvalId)).toEqual(before);
  });

  it('only the applicant withdraws: an approver gets 403', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 1));
    expect((await withdraw('dangzhengban', r.approvalId)).statusCode).toBe(403);
    expect(await statusOf(r.approvalId)).toBe('pending');
  });
});

describe('concurrent decisions', () => {
  /** A staff request of 2 days whose first task (the section head's) gets both decisions at the same moment. */
  const race = async (decisions: ('approve' | 'reject')[]) => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    const task = (await e.todo('dangzhengban', r.approvalId))!;
    const dzb = await e.as('dangzhengban');
    const results = await Promise.all(decisions.map((decision) => dzb.post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision, comment: decision === 'approve' ? '同意' : '不同意' })));
    return { r, results };
  };

  it('two decides of the same task at once: exactly one wins, the other gets 409 ALREADY_DECIDED; the step advances once', async () => {
    const { r, results } = await race(['approve', 'approve']);
    expect(results.map((x) => x.statusCode).sort()).toEqual([200, 409]);
    expect(errorOf(results.find((x) => x.statusCode === 409)!).code).toBe('ALREADY_DECIDED');
    expect(await actions(r.approvalId, 'approve')).toHaveLength(1);
    expect(await actions(r.approvalId, 'step_open')).toHaveLength(2);
    expect(await e.openTasks(r.approvalId)).toEqual(['leader_in_charge:fenguan1']);
  });

  it('approve and reject of the same task at once: one outcome only', async () => {
    const { r, results } = await race(['approve', 'reject']);
    expect(results.map((x) => x.statusCode).sort()).toEqual([200, 409]);
    const decided = (await actions(r.approvalId)).filter((a) => a.action === 'approve' || a.action === 'reject');
    expect(decided).toHaveLength(1);
    expect(await statusOf(r.approvalId)).toBe(decided[0]!.action === 'approve' ? 'pending' : 'rejected');
  });

  it('或签 approvers deciding at once: one decides the step, the other gets 409; 会签 approvers at once: both count and the next step opens once', async () => {
    await e.withLeaveChain('street', jointThenEither, async () => {
      const r = await e.submit('keyuan1', e.leave('personal', 1));
      const both = async () => Promise.all(['shuji', 'zhuren'].map(async (u) => (await e.as(u)).post(`/api/v1/approvals/tasks/${(await e.todo(u, r.approvalId))!.id}/decide`, { decision: 'approve', comment: '同意' })));
      expect((await both()).map((x) => x.statusCode)).toEqual([200, 200]);
      const opened = (await actions(r.approvalId, 'step_open')).map((a) => a.step_id);
      expect(opened).toHaveLength(2);
      expect(await e.openTasks(r.approvalId)).toEqual(['either:shuji', 'either:zhuren']);
      const res = await both();
      expect(res.map((x) => x.statusCode).sort()).toEqual([200, 409]);
      expect(errorOf(res.find((x) => x.statusCode === 409)!).code).toMatch(/^(ALREADY_DECIDED|INVALID_TRANSITION)$/);
      expect(await statusOf(r.approvalId)).toBe('approved');
      expect(await actions(r.approvalId, 'approve')).toHaveLength(3);
      expect(await actions(r.approvalId, 'finish_approved')).toHaveLength(1);
    });
  });
});

describe('reminders (催办) and step timeouts', () => {
  const remind = async (u: string, approvalId: string) => (await e.as(u)).post(`/api/v1/approvals/${approvalId}/remind`, {});
  const ageReminders = (approvalId: string, minutes: number) => e.t.db.updateTable('approval_actions').set({ at: new Date(Date.now() - minutes * 60_000) })
    .where('approval_id', '=', approvalId).where('action', '=', 'remind').execute();
  const remindersTo = async (u: string, approvalId: string) => Number((await e.t.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', e.id(u)).where('kind', '=', 'reminder').where('entity_id', '=', approvalId).executeTakeFirstOrThrow()).n);

  it('the applicant reminds the open step\'s approvers at most once per 10 minutes (409 REMINDED_RECENTLY)', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 1));
    const first = await remind('keyuan1', r.approvalId);
    expect([first.statusCode, first.json().reminded]).toEqual([200, 1]);
    expect(await remindersTo('dangzhengban', r.approvalId)).toBe(1);
    const again = await remind('keyuan1', r.approvalId);
    expect([again.statusCode, errorOf(again).code]).toEqual([409, 'REMINDED_RECENTLY']);
    await ageReminders(r.approvalId, 9);
    expect(errorOf(await remind('keyuan1', r.approvalId)).code).toBe('REMINDED_RECENTLY');
    await ageReminders(r.approvalId, 11);
    expect((await remind('keyuan1', r.approvalId)).statusCode).toBe(200);
    expect(await remindersTo('dangzhengban', r.approvalId)).toBe(2);
    expect((await remind('liuguan', r.approvalId)).statusCode).toBe(404);
  });

  /** A second connection pool on the same database (PostgreSQL), or the same database (PGlite: one process). */
  const secondDb = async (): Promise<{ db: Db; close: () => Promise<void> }> => {
    if (!onPostgres()) return { db: e.t.db, close: async () => {} };
    const name = (await sql<{ n: string }>`select current_database() as n`.execute(e.t.db)).rows[0]!.n;
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = `/${name}`;
    const d = await openDatabase({ databaseUrl: u.toString(), poolSize: 3 });
    return { db: d.db, close: d.close };
  };
  const overdue = async (approvalId: string, timeout: 'remind' | 'auto_pass' | 'escalate') => {
    const s = (await stepRows(approvalId)).find((x) => x.status === 'open')!;
    await e.t.db.updateTable('approval_steps').set({ due_on: addDays(e.today, -3), timeout_action: timeout }).where('id', '=', s.id).execute();
    return s.id;
  };

  it('the step-timeout schedule runs once per slot although two schedulers on two pools run it; an overdue auto-pass step passes once', async () => {
    const schedule = registeredSchedules().find((s) => s.name === STEP_TIMEOUTS_SCHEDULE)!;
    expect(schedule).toBeDefined();
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    const stepId = await overdue(r.approvalId, 'auto_pass');
    const other = await secondDb();
    try {
      const now = new Date();
      const ran = await Promise.all([e.t.db, other.db].map((db) => runDueSchedules(db, { only: [schedule], now: () => now })));
      expect(ran.flat()).toEqual([STEP_TIMEOUTS_SCHEDULE]);
      expect((await scheduleRuns(e.t.db, STEP_TIMEOUTS_SCHEDULE)).map((x) => x.error)).toEqual([null]);
      expect((await actions(r.approvalId, 'auto_pass')).map((a) => a.step_id)).toEqual([stepId]);
      expect(await stepsOf(r.approvalId)).toEqual(['section_head:1:approved', 'leader_in_charge:1:open']);
      expect(await e.openTasks(r.approvalId)).toEqual(['leader_in_charge:fenguan1']);
      // Run again directly from both pools: the step already passed, nothing more happens.
      const again = await Promise.all([e.t.db, other.db].map((db) => runStepTimeouts(db, now)));
      expect(again.reduce((n, x) => n + x.passed, 0)).toBe(0);
      expect(await actions(r.approvalId, 'step_open')).toHaveLength(2);
    } finally { await other.close(); }
  });

  it('an overdue step reminds its approvers once a day and escalates once, however many processes run the timeouts at the same time', async () => {
    const reminded = await e.submit('keyuan1', e.leave('personal', 1));
    await overdue(reminded.approvalId, 'remind');
    const escalated = await e.submit('keyuan1', e.leave('personal', 1));
    await overdue(escalated.approvalId, 'escalate');
    const other = await secondDb();
    try {
      const now = new Date();
      for (let round = 0; round < 2; round++) {
        await Promise.all([e.t.db, other.db, e.t.db].map((db) => runStepTimeouts(db, now)));
      }
      expect(await actions(reminded.approvalId, 'auto_remind')).toHaveLength(1);
      expect(await remindersTo('dangzhengban', reminded.approvalId)).toBe(1);
      expect(await actions(escalated.approvalId, 'escalate')).toHaveLength(1);
      expect(await e.openTasks(escalated.approvalId)).toEqual(['section_head:dangzhengban', 'section_head:zhuren']);
    } finally { await other.close(); }
  });
});

describe('bounded comments', () => {
  it('a 1 MB comment on decide → 400 VALIDATION_FAILED naming comment; nothing changes (over the body limit → 413)', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 2));
    const task = (await e.todo('dangzhengban', r.approvalId))!;
    const dzb = await e.as('dangzhengban');
    const before = await actions(r.approvalId);
    for (const decision of ['approve', 'reject', 'return']) {
      const res = await dzb.post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision, comment: 'x'.repeat(1_000_000) });
      expect(res.statusCode, decision).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
      expect(errorOf(res).details.map((d) => d.path)).toContain('body.comment');
    }
    const huge = await dzb.post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision: 'approve', comment: '意'.repeat(400_000) });
    expect(huge.statusCode).toBe(413);
    expect(errorOf(huge).code).toBe('PAYLOAD_TOO_LARGE');
    expect(await actions(r.approvalId)).toEqual(before);
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
    expect(await statusOf(r.approvalId)).toBe('pending');
    // 2000 characters is the bound: accepted.
    expect((await dzb.post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision: 'approve', comment: '意'.repeat(2000) })).statusCode).toBe(200);
  });
});

describe('pack edits of a chain are validated', () => {
  const versions = async () => Number((await e.t.db.selectFrom('policy_versions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const refused = async (chain: unknown) => {
    const before = await versions();
    const res = await e.setLeaveChain('street', chain as Chain);
    expect(res.statusCode, res.body).toBe(422);
    expect(errorOf(res).code).toBe('POLICY_INVALID');
    expect(await versions()).toBe(before);
    return errorOf(res).details.map((d) => d.path);
  };
  const step = (over: Record<string, unknown>) => ({ key: 'head', name: '科室负责人', approver: { type: 'section_head' }, mode: 'one', timeout: 'remind', ...over });

  it('a chain naming an unknown post is refused with the path of the post (also in a fallback)', async () => {
    expect(await refused({ steps: [step({ approver: { type: 'post', post: 'chief_wizard' } })], cc: [] })).toContain('leave.chain.steps[0].approver.post');
    expect(await refused({ steps: [step({}), step({ key: 'two', approver: { type: 'section_head', fallback: { type: 'post', post: 'deputy_mayor' } } })], cc: [] }))
      .toContain('leave.chain.steps[1].approver.fallback.post');
  });

  it('a condition naming an unknown post or level is refused with the path of the condition', async () => {
    expect(await refused({ steps: [step({ when: { field: 'applicant.post', op: 'in', value: ['section_head', 'chief_wizard'] } })], cc: [] })).toContain('leave.chain.steps[0].when');
    expect(await refused({ steps: [step({ when: { all: [{ field: 'applicant.level', op: 'eq', value: 'boss' }] } })], cc: [] })).toContain('leave.chain.steps[0].when');
  });

  it('a chain condition naming an unknown form field is refused with the path (steps and cc)', async () => {
    expect(await refused({ steps: [step({ when: { field: 'form.hours', op: 'gt', value: 4 } })], cc: [] })).toContain('leave.chain.steps[0].when');
    expect(await refused({ steps: [step({})], cc: [{ when: { not: { field: 'form.amount', op: 'gte', value: 1 } }, approver: { type: 'leader_in_charge' } }] })).toContain('leave.chain.cc[0].when');
  });

  it('duplicate step keys and an unknown approver type are refused with their paths; a valid edit is saved', async () => {
    expect(await refused({ steps: [step({}), step({})], cc: [] })).toContain('leave.chain.steps[1].key');
    expect((await refused({ steps: [step({ approver: { type: 'wizard' } })], cc: [] })).some((p) => p.startsWith('leave.chain.steps[0].approver'))).toBe(true);
    const before = await versions();
    await e.withLeaveChain('street', { steps: [step({ when: { field: 'applicant.post', op: 'in', value: ['staff', 'window_staff'] } }) as Chain['steps'][number]], cc: [] }, async () => {
      expect(await versions()).toBe(before + 1);
    });
  });
});
