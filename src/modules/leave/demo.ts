import type { Db } from '../../platform/db/index.js';
import { addDays, workdayCalendar } from '../../platform/calendar/service.js';
import { officeToday } from '../../platform/time.js';
import { decideTask, withdrawApproval } from '../../platform/approvals/engine.js';
import { createDelegation } from '../../platform/approvals/delegations.js';
import { closeLeave, submitLeave } from './service.js';

/** Service start and rank (职级) of the demo staff — fictional, for annual-leave tiers and chain conditions. */
const STAFF: Record<string, { since: string; rank: string }> = {
  shuji: { since: '1996-08-01', rank: '正处级' }, zhuren: { since: '1998-07-01', rank: '正处级' },
  fenguan1: { since: '2003-07-01', rank: '副处级' }, fenguan2: { since: '2005-09-01', rank: '副处级' },
  liuguan: { since: '2009-07-01', rank: '四级主任科员' }, caizheng: { since: '2004-03-01', rank: '三级主任科员' },
  dangzhengban: { since: '2008-07-01', rank: '四级主任科员' }, keyuan1: { since: '2019-07-01', rank: '一级科员' },
  chuangkou1: { since: '2021-03-01', rank: '二级科员' }, 'zhan-sh': { since: '2016-05-01', rank: '一级科员' },
  'wangge-sh-1': { since: '2018-04-01', rank: '一级科员' }, 'wangge-sh-2': { since: '2025-08-01', rank: '试用期' },
  'wangge-xmq-1': { since: '2012-10-01', rank: '一级科员' }, jigongwei: { since: '2001-07-01', rank: '三级调研员' },
};

/**
 * Demo leave around today: balances for every account, requests in each state (approved and
 * closed, approved and not closed in time, pending at each kind of step, rejected, withdrawn, a
 * main leader's recorded as approved by the district) and fenguan2 away, delegating to fenguan1.
 */
export async function seedLeaveDemo(db: Db): Promise<void> {
  const users = await db.selectFrom('users').select(['id', 'username', 'name']).execute();
  const by = (u: string) => {
    const x = users.find((y) => y.username === u);
    if (!x) throw new Error(`demo user ${u} missing`);
    return { userId: x.id, name: x.name };
  };
  for (const [username, s] of Object.entries(STAFF)) {
    await db.updateTable('users').set({ work_started_on: s.since, rank: s.rank }).where('username', '=', username).execute();
  }
  const cal = await workdayCalendar(db);
  const today = officeToday();
  const workdayFrom = (d: string, n: number) => (n >= 0 ? cal.addWorkdays(addDays(d, -1), n + 1).date : back(d, -n));
  const back = (d: string, n: number) => { let x = d; let k = 0; while (k < n) { x = addDays(x, -1); if (cal.isWorkday(x)) k++; } return x; };
  const todoOf = async (approvalId: string) => (await db.selectFrom('approval_tasks').select(['id', 'assignee_id']).where('approval_id', '=', approvalId).where('status', '=', 'open').execute());
  const approveAll = async (approvalId: string, comment = '同意。') => {
    for (let guard = 0; guard < 6; guard++) {
      const open = await todoOf(approvalId);
      if (!open.length) return;
      const u = users.find((x) => x.id === open[0]!.assignee_id)!;
      await decideTask(db, open[0]!.id, { userId: u.id, name: u.name }, { decision: 'approve', comment });
    }
  };

  // keyuan1: two days of annual leave three weeks ago, approved and closed on time.
  const k1 = by('keyuan1');
  const past = back(today, 16);
  const a1 = await submitLeave(db, k1, { type: 'annual', startDate: past, endDate: workdayFrom(past, 1), reason: '家中有事，休年休假。' }, null);
  await approveAll(a1.approval.id);
  await closeLeave(db, { ...k1, scope: { all: false, unitIds: new Set() } as never, mayCloseOthers: false }, a1.id, { actualEndDate: workdayFrom(past, 1) }, null);

  // dangzhengban: annual leave ended last week, approved, not closed — flagged and reminded.
  const dzb = by('dangzhengban');
  const lastWeek = back(today, 4);
  const a2 = await submitLeave(db, dzb, { type: 'annual', startDate: lastWeek, endDate: workdayFrom(lastWeek, 1), reason: '陪同家人就医。' }, null);
  await approveAll(a2.approval.id);

  // liuguan: one day of personal leave, refused.
  const lg = by('liuguan');
  const a3 = await submitLeave(db, lg, { type: 'personal', startDate: workdayFrom(today, 3), endDate: workdayFrom(today, 3), reason: '处理私事。' }, null);
  const t3 = await todoOf(a3.approval.id);
  const u3 = users.find((x) => x.id === t3[0]!.assignee_id)!;
  await decideTask(db, t3[0]!.id, { userId: u3.id, name: u3.name }, { decision: 'reject', comment: '本周流动人口核查任务重，请调整时间。' });

  // wangge-sh-1: a half day asked and withdrawn before anyone decided.
  const w1 = by('wangge-sh-1');
  const a4 = await submitLeave(db, w1, { type: 'personal', startDate: workdayFrom(today, 2), endDate: workdayFrom(today, 2), halfDay: 'pm', reason: '孩子家长会。' }, null);
  await withdrawApproval(db, a4.approval.id, w1, { comment: '家长会改期。' });

  // zhuren: the director's own leave is approved by the district, recorded outside the system.
  const zr = by('zhuren');
  await submitLeave(db, zr, { type: 'annual', startDate: workdayFrom(today, 15), endDate: workdayFrom(today, 16), reason: '休年休假（已报区委、区政府同意）。' }, null);

  // fenguan2 is away for two weeks and delegates approvals to fenguan1 (委托).
  const fg2 = by('fenguan2');
  await createDelegation(db, fg2, { toUserId: by('fenguan1').userId, validFrom: today, validTo: addDays(today, 14), reason: '外出学习培训两周，期间审批由孙海燕代办。' });

  // chuangkou1: one day of personal leave, waiting for the leader in charge (via the delegation); the hall has no section head.
  const ck = by('chuangkou1');
  await submitLeave(db, ck, { type: 'personal', startDate: workdayFrom(today, 4), endDate: workdayFrom(today, 4), reason: '搬家。' }, null);

  // caizheng (a section head): two days of sick leave — leader in charge, then the main leader.
  const cz = by('caizheng');
  const a6 = await submitLeave(db, cz, { type: 'sick', startDate: workdayFrom(today, 1), endDate: workdayFrom(today, 2), reason: '门诊小手术后休息。' }, null);
  void a6;
}
