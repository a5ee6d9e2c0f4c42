import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { rulesEnv, type RulesEnv } from '../../../test/helpers/approvals.js';
import { inTransaction } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { addDays } from '../calendar/service.js';
import type { Chain } from './chain.js';
import { engineEnv, submitApproval } from './engine.js';
import { registerApprovalKind } from './kinds.js';

/**
 * The one inbox (待办 / 已办 / 我发起的 / 抄送我的), its menu-badge counts and the in-app
 * notifications, through the HTTP API as the demo accounts: keyuan1 (staff, 党政办) asks,
 * dangzhengban (its section head) decides first, fenguan1 acts for the away fenguan2 as leader in
 * charge, and fenguan2 is copied on one-day staff leave.
 */
let e: RulesEnv;
beforeAll(async () => { e = await rulesEnv(); }, 120_000);
afterAll(async () => { await e?.close(); });

interface Item { id: string; approvalId: string; kind: string; kindName: string; title: string; status: string; step: string | null; dueAt: string | null; overdue: boolean; createdAt: string; decision?: string; decidedAt?: string; read?: boolean; applicantName: string }
interface Note { id: string; kind: string; title: string; link: string | null; entity: string | null; entityId: string | null; createdAt: string; readAt: string | null }

const box = async (u: string, query: string): Promise<{ items: Item[]; total: number }> => {
  const res = await (await e.as(u)).get(`/api/v1/approvals/inbox?${query}&pageSize=200`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const counts = async (u: string) => (await (await e.as(u)).get('/api/v1/approvals/inbox/counts')).json() as { todo: number; overdue: number; ccUnread: number; returned: number; notificationsUnread: number };
const notes = async (u: string, unread = false): Promise<{ items: Note[]; total: number }> => (await (await e.as(u)).get(`/api/v1/notifications?pageSize=200${unread ? '&unread=true' : ''}`)).json();
const unreadCount = async (u: string) => (await (await e.as(u)).get('/api/v1/notifications/unread-count')).json().unread as number;
/** Who received notifications of a kind about an approval, sorted. */
const recipients = async (approvalId: string, kind: string) => (await e.t.db.selectFrom('notifications').select('user_id')
  .where('entity', '=', 'approval').where('entity_id', '=', approvalId).where('kind', '=', kind).execute()).map((n) => e.username(n.user_id)).sort();
/** The items of a list that belong to the given approvals, in list order. */
const only = (items: Item[], approvalIds: string[]) => items.filter((i) => approvalIds.includes(i.approvalId));
const oneDay = () => e.submit('keyuan1', e.leave('personal', 1));
const twoDays = () => e.submit('keyuan1', e.leave('personal', 2));
const setTaskDue = (approvalId: string, dueOn: string) => e.t.db.updateTable('approval_tasks').set({ due_on: dueOn }).where('approval_id', '=', approvalId).where('status', '=', 'open').execute();
/** Noon office time on a day: the same calendar day in UTC and in Asia/Shanghai. */
const officeNoon = (day: string) => new Date(`${day}T12:00:00+08:00`);

describe('待办 (to do)', () => {
  it('待办 lists overdue tasks first, then oldest', async () => {
    const [a, b, c, d] = [await oneDay(), await oneDay(), await oneDay(), await oneDay()];
    const ids = [a, b, c, d].map((x) => x.approvalId);
    const before = only((await box('dangzhengban', 'box=todo')).items, ids);
    expect(before.map((i) => i.approvalId)).toEqual(ids);
    expect(before.every((i) => !i.overdue && i.status === 'pending' && i.kind === 'leave' && i.kindName === '请假' && i.applicantName === '何小雨')).toBe(true);
    expect(before.every((i) => i.dueAt !== null && i.dueAt >= e.today)).toBe(true);

    // The second and the newest become overdue: they come first, oldest of them first.
    await setTaskDue(b.approvalId, addDays(e.today, -1));
    await setTaskDue(d.approvalId, addDays(e.today, -2));
    const list = (await box('dangzhengban', 'box=todo')).items;
    const after = only(list, ids);
    expect(after.map((i) => i.approvalId)).toEqual([b, d, a, c].map((x) => x.approvalId));
    expect(after.map((i) => i.overdue)).toEqual([true, true, false, false]);
    // Over the whole list: no overdue item after a timely one, and each group oldest first.
    const firstTimely = list.findIndex((i) => !i.overdue);
    expect(list.slice(firstTimely).some((i) => i.overdue)).toBe(false);
    for (const group of [list.slice(0, firstTimely), list.slice(firstTimely)]) {
      const times = group.map((i) => Date.parse(i.createdAt));
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
    // The applicant has no task of their own request.
    expect(only((await box('keyuan1', 'box=todo')).items, ids)).toEqual([]);
  });

  it('counts for the menu badge match the lists (to do, overdue, unread cc, returned, unread notifications)', async () => {
    // Something in every box: an overdue task, a request returned to its applicant, an unread cc.
    const overdue = await oneDay();
    await setTaskDue(overdue.approvalId, addDays(e.today, -1));
    const returned = await twoDays();
    expect((await e.decide('dangzhengban', returned.approvalId, 'return', { returnTo: 'applicant', comment: '请补充事由' })).statusCode).toBe(200);
    const check = async (u: string) => {
      const c = await counts(u);
      const todo = await box(u, 'box=todo');
      expect(c.todo, `${u} todo`).toBe(todo.total);
      expect(todo.items.length).toBe(todo.total);
      expect(c.overdue, `${u} overdue`).toBe(todo.items.filter((i) => i.overdue).length);
      expect(c.ccUnread, `${u} cc`).toBe((await box(u, 'box=cc&unread=true')).total);
      expect(c.ccUnread).toBe((await box(u, 'box=cc')).items.filter((i) => !i.read).length);
      const mine = await box(u, 'box=mine');
      expect(mine.items.length).toBe(mine.total);
      expect(c.returned, `${u} returned`).toBe(mine.items.filter((i) => i.status === 'returned').length);
      expect(c.notificationsUnread, `${u} notifications`).toBe(await unreadCount(u));
      expect(c.notificationsUnread).toBe((await notes(u, true)).total);
      return c;
    };
    const head = await check('dangzhengban');
    expect(head.todo).toBeGreaterThan(0);
    expect(head.overdue).toBeGreaterThan(0);
    expect((await check('keyuan1')).returned).toBeGreaterThan(0);
    expect((await check('fenguan2')).ccUnread).toBeGreaterThan(0);
    for (const u of ['fenguan1', 'zhuren', 'liuguan']) await check(u);
    // A decision moves the counts with the lists.
    expect((await e.decide('dangzhengban', overdue.approvalId, 'approve')).statusCode).toBe(200);
    const next = await check('dangzhengban');
    expect([next.todo, next.overdue]).toEqual([head.todo - 1, head.overdue - 1]);
  });

  it('the inbox filters by kind and by date', async () => {
    // A second kind of approval, registered here, so that the kind filter has something to leave out.
    const chain: Chain = { steps: [{ key: 'head', name: '科室负责人审核', approver: { type: 'section_head' }, mode: 'one', timeout: 'remind' }], cc: [] };
    registerApprovalKind({ kind: 'inbox_probe', name: '收件箱测试', caseNoPrefix: 'SX', formFields: [], chainOf: () => chain });
    const env = await engineEnv(e.t.db);
    const probe = await inTransaction(e.t.db, (tx) => submitApproval(tx, env, {
      kind: 'inbox_probe', subjectId: uuidv7(), title: '收件箱筛选测试', form: {}, applicantId: e.id('keyuan1'), actor: { userId: e.id('keyuan1'), name: '何小雨' },
    }));
    const leave = await oneDay();

    const all = (await box('dangzhengban', 'box=todo')).items;
    expect(only(all, [probe.id, leave.approvalId]).map((i) => [i.approvalId, i.kind, i.kindName])).toEqual([[probe.id, 'inbox_probe', '收件箱测试'], [leave.approvalId, 'leave', '请假']]);
    const probes = await box('dangzhengban', 'box=todo&kind=inbox_probe');
    expect(probes.items.map((i) => i.approvalId)).toEqual([probe.id]);
    expect(probes.total).toBe(1);
    const leaves = await box('dangzhengban', 'box=todo&kind=leave');
    expect(leaves.items.every((i) => i.kind === 'leave')).toBe(true);
    expect(leaves.total).toBe(all.length - 1);
    expect((await box('dangzhengban', 'box=todo&kind=vehicle')).total).toBe(0);
    expect((await box('keyuan1', 'box=mine&kind=inbox_probe')).items.map((i) => i.approvalId)).toEqual([probe.id]);

    // By date: the probe's task and request arrived ten days ago, the leave's three days ago.
    const tenAgo = addDays(e.today, -10);
    const threeAgo = addDays(e.today, -3);
    for (const [approvalId, day] of [[probe.id, tenAgo], [leave.approvalId, threeAgo]] as const) {
      await e.t.db.updateTable('approval_tasks').set({ created_at: officeNoon(day) }).where('approval_id', '=', approvalId).execute();
      await e.t.db.updateTable('approvals').set({ created_at: officeNoon(day) }).where('id', '=', approvalId).execute();
    }
    const pair = [probe.id, leave.approvalId];
    const todoIn = async (q: string) => only((await box('dangzhengban', `box=todo&${q}`)).items, pair).map((i) => i.approvalId);
    expect(await todoIn(`from=${tenAgo}&to=${tenAgo}`)).toEqual([probe.id]);
    expect(await todoIn(`from=${addDays(tenAgo, 1)}&to=${threeAgo}`)).toEqual([leave.approvalId]);
    expect(await todoIn(`to=${addDays(threeAgo, -1)}`)).toEqual([probe.id]);
    expect(await todoIn(`from=${addDays(threeAgo, 1)}`)).toEqual([]);
    expect(await todoIn(`from=${tenAgo}&to=${threeAgo}`)).toEqual(pair);
    const ranged = await box('dangzhengban', `box=todo&from=${tenAgo}&to=${tenAgo}`);
    expect(ranged.total).toBe(ranged.items.length);
    expect(ranged.items.map((i) => i.approvalId)).toEqual([probe.id]);
    // Kind and date together; the applicant's 我发起的 filters by the request's date.
    expect(await todoIn(`kind=leave&from=${tenAgo}&to=${tenAgo}`)).toEqual([]);
    expect(only((await box('keyuan1', `box=mine&from=${threeAgo}&to=${threeAgo}`)).items, pair).map((i) => i.approvalId)).toEqual([leave.approvalId]);

    // Days are office days: a task that arrived at 07:00 Asia/Shanghai (23:00 UTC the day before) belongs to that office day.
    await e.t.db.updateTable('approval_tasks').set({ created_at: new Date(`${threeAgo}T07:00:00+08:00`) }).where('approval_id', '=', leave.approvalId).execute();
    expect(await todoIn(`from=${threeAgo}&to=${threeAgo}`)).toEqual([leave.approvalId]);
    expect(await todoIn(`from=${addDays(threeAgo, -1)}&to=${addDays(threeAgo, -1)}`)).toEqual([]);
    await e.t.db.updateTable('approval_tasks').set({ created_at: new Date(`${threeAgo}T23:30:00+08:00`) }).where('approval_id', '=', leave.approvalId).execute();
    expect(await todoIn(`from=${threeAgo}&to=${threeAgo}`)).toEqual([leave.approvalId]);
    expect(await todoIn(`from=${addDays(threeAgo, 1)}&to=${addDays(threeAgo, 1)}`)).toEqual([]);
  });
});

describe('已办, 我发起的, 抄送我的', () => {
  it('已办 lists a task after its decision, newest decision first, with the decision; it leaves 待办', async () => {
    const [x, y, z] = [await oneDay(), await oneDay(), await twoDays()];
    const ids = [x, y, z].map((r) => r.approvalId);
    expect(only((await box('dangzhengban', 'box=done')).items, ids)).toEqual([]);
    expect((await e.decide('dangzhengban', y.approvalId, 'approve')).statusCode).toBe(200);
    expect((await e.decide('dangzhengban', x.approvalId, 'reject', { comment: '时间冲突' })).statusCode).toBe(200);
    expect((await e.decide('dangzhengban', z.approvalId, 'return', { returnTo: 'applicant', comment: '请补充' })).statusCode).toBe(200);
    const done = await box('dangzhengban', 'box=done');
    expect(only(done.items, ids).map((i) => [i.approvalId, i.decision, i.status])).toEqual([
      [z.approvalId, 'return', 'returned'], [x.approvalId, 'reject', 'rejected'], [y.approvalId, 'approve', 'approved'],
    ]);
    expect(only(done.items, ids).every((i) => typeof i.decidedAt === 'string')).toBe(true);
    const times = done.items.map((i) => Date.parse(i.decidedAt!));
    expect(times).toEqual([...times].sort((p, q) => q - p));
    expect(only((await box('dangzhengban', 'box=todo')).items, ids)).toEqual([]);
    // Not in anyone else's 已办.
    expect(only((await box('keyuan1', 'box=done')).items, ids)).toEqual([]);
    expect(only((await box('fenguan1', 'box=done')).items, ids)).toEqual([]);
  });

  it('我发起的 lists the applicant\'s own requests, newest first, with status and current step; never someone else\'s', async () => {
    const first = await twoDays();
    const second = await oneDay();
    expect((await e.decide('dangzhengban', first.approvalId, 'approve')).statusCode).toBe(200);
    const other = await e.submit('chuangkou1', e.leave('personal', 1));
    const mine = await box('keyuan1', 'box=mine');
    expect(mine.items.every((i) => i.applicantName === '何小雨')).toBe(true);
    expect(only(mine.items, [first.approvalId, second.approvalId, other.approvalId]).map((i) => [i.approvalId, i.status, i.step])).toEqual([
      [second.approvalId, 'pending', '科室负责人审批'], [first.approvalId, 'pending', '分管领导审批'],
    ]);
    const times = mine.items.map((i) => Date.parse(i.createdAt));
    expect(times).toEqual([...times].sort((p, q) => q - p));
    expect(only((await box('chuangkou1', 'box=mine')).items, [first.approvalId, second.approvalId, other.approvalId]).map((i) => i.approvalId)).toEqual([other.approvalId]);
    expect(only((await box('dangzhengban', 'box=mine')).items, [first.approvalId, second.approvalId])).toEqual([]);
  });

  it('抄送我的 shows copies with their read state; reading the approval marks the cc read (unread first, badge follows)', async () => {
    const r = await oneDay();
    const cc = await box('fenguan2', 'box=cc');
    expect(only(cc.items, [r.approvalId])).toEqual([expect.objectContaining({ read: false, status: 'pending', kindName: '请假' })]);
    expect(only((await box('fenguan2', 'box=cc&unread=true')).items, [r.approvalId])).toHaveLength(1);
    const badge = (await counts('fenguan2')).ccUnread;

    const f2 = await e.as('fenguan2');
    const detail = await f2.get(`/api/v1/approvals/${r.approvalId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json().cc).toEqual([expect.objectContaining({ userId: e.id('fenguan2'), readAt: null })]);
    // Opening it sends the read receipt (as the web drawer does).
    expect((await f2.post(`/api/v1/approvals/${r.approvalId}/read`)).json()).toEqual({ changed: true });
    expect((await f2.get(`/api/v1/approvals/${r.approvalId}`)).json().cc[0].readAt).not.toBeNull();
    expect(only((await box('fenguan2', 'box=cc')).items, [r.approvalId])).toEqual([expect.objectContaining({ read: true })]);
    expect(only((await box('fenguan2', 'box=cc&unread=true')).items, [r.approvalId])).toEqual([]);
    expect((await counts('fenguan2')).ccUnread).toBe(badge - 1);
    expect((await f2.post(`/api/v1/approvals/${r.approvalId}/read`)).json()).toEqual({ changed: false });
    // Unread copies come before read ones.
    await oneDay();
    const list = (await box('fenguan2', 'box=cc')).items;
    const firstRead = list.findIndex((i) => i.read);
    expect(firstRead).toBeGreaterThan(0);
    expect(list.slice(firstRead).every((i) => i.read)).toBe(true);

    // The applicant copies someone else in: it is in their 抄送我的, unread; a person not copied cannot open it.
    const add = await (await e.as('keyuan1')).post(`/api/v1/approvals/${r.approvalId}/cc`, { userIds: [e.id('liuguan')], comment: '请知悉' });
    expect(add.statusCode, add.body).toBe(200);
    expect(only((await box('liuguan', 'box=cc')).items, [r.approvalId])).toEqual([expect.objectContaining({ read: false })]);
    expect((await (await e.as('liuguan')).get(`/api/v1/approvals/${r.approvalId}`)).statusCode).toBe(200);
    expect((await (await e.as('caizheng')).get(`/api/v1/approvals/${r.approvalId}`)).statusCode).toBe(404);
    expect(only((await box('caizheng', 'box=cc')).items, [r.approvalId])).toEqual([]);
  });
});

describe('notifications (站内消息)', () => {
  it('a new task, a return, a final decision, a reminder and a cc each create a notification for the right person', async () => {
    const r = await twoDays();
    const id = r.approvalId;
    expect(await recipients(id, 'task')).toEqual(['dangzhengban']);
    const task = (await notes('dangzhengban')).items.find((n) => n.kind === 'task' && n.entityId === id);
    expect(task).toMatchObject({ link: `/approvals?open=${id}`, readAt: null });

    expect((await (await e.as('keyuan1')).post(`/api/v1/approvals/${id}/remind`, {})).statusCode).toBe(200);
    expect(await recipients(id, 'reminder')).toEqual(['dangzhengban']);

    // The next step's task goes to whoever holds it: fenguan1, acting for the away fenguan2.
    expect((await e.decide('dangzhengban', id, 'approve')).statusCode).toBe(200);
    expect(await recipients(id, 'task')).toEqual(['dangzhengban', 'fenguan1']);

    expect((await e.decide('fenguan1', id, 'return', { returnTo: 'applicant', comment: '请补充事由' })).statusCode).toBe(200);
    expect(await recipients(id, 'returned')).toEqual(['keyuan1']);
    expect((await notes('keyuan1')).items.filter((n) => n.entityId === id).map((n) => n.kind)).toEqual(['returned']);

    expect((await (await e.as('keyuan1')).post(`/api/v1/approvals/${id}/resubmit`, { comment: '已补充' })).statusCode).toBe(200);
    expect(await recipients(id, 'task')).toEqual(['dangzhengban', 'dangzhengban', 'fenguan1']);
    expect((await e.decide('dangzhengban', id, 'reject', { comment: '本周任务重' })).statusCode).toBe(200);
    expect(await recipients(id, 'finished')).toEqual(['keyuan1']);
    expect((await notes('keyuan1')).items.find((n) => n.kind === 'finished' && n.entityId === id)?.title).toContain('未获批准');

    // An approval: the applicant is told it was approved.
    const ok = await oneDay();
    expect((await e.decide('dangzhengban', ok.approvalId, 'approve')).statusCode).toBe(200);
    expect(await recipients(ok.approvalId, 'finished')).toEqual(['keyuan1']);
    expect((await notes('keyuan1')).items.find((n) => n.kind === 'finished' && n.entityId === ok.approvalId)?.title).toContain('已批准');
    // The one-day request copied fenguan2 at submission; a copy added later tells its new reader.
    expect(await recipients(ok.approvalId, 'cc')).toEqual(['fenguan2']);
    expect((await (await e.as('keyuan1')).post(`/api/v1/approvals/${ok.approvalId}/cc`, { userIds: [e.id('caizheng')] })).statusCode).toBe(200);
    expect(await recipients(ok.approvalId, 'cc')).toEqual(['caizheng', 'fenguan2']);
    expect((await notes('caizheng')).items.filter((n) => n.entityId === ok.approvalId).map((n) => n.kind)).toEqual(['cc']);
    // The two-day one copied nobody; nobody but the applicant heard of its return and end.
    expect(await recipients(id, 'cc')).toEqual([]);
  });

  it('the unread count follows new notifications; marking read (some or all) lowers it', async () => {
    const before = await unreadCount('keyuan1');
    expect((await notes('keyuan1', true)).total).toBe(before);
    const r = await oneDay();
    expect((await e.decide('dangzhengban', r.approvalId, 'approve')).statusCode).toBe(200);
    expect(await unreadCount('keyuan1')).toBe(before + 1);
    const list = (await notes('keyuan1')).items;
    // Newest first: the decision just made.
    expect(list[0]).toMatchObject({ kind: 'finished', entityId: r.approvalId, readAt: null });
    const times = list.map((n) => Date.parse(n.createdAt));
    expect(times).toEqual([...times].sort((p, q) => q - p));

    const k = await e.as('keyuan1');
    expect((await k.post('/api/v1/notifications/read', { ids: [list[0]!.id] })).json()).toEqual({ changed: 1, unread: before });
    expect(await unreadCount('keyuan1')).toBe(before);
    expect((await notes('keyuan1')).items.find((n) => n.id === list[0]!.id)?.readAt).not.toBeNull();
    expect((await notes('keyuan1', true)).items.map((n) => n.id)).not.toContain(list[0]!.id);
    expect((await k.post('/api/v1/notifications/read', { ids: [list[0]!.id] })).json()).toEqual({ changed: 0, unread: before });
    expect(before).toBeGreaterThan(0);
    expect((await k.post('/api/v1/notifications/read-all')).json()).toEqual({ changed: before, unread: 0 });
    expect(await unreadCount('keyuan1')).toBe(0);
    expect((await counts('keyuan1')).notificationsUnread).toBe(0);
    // Read notifications are kept.
    expect((await notes('keyuan1')).total).toBe(list.length);
  });

  it('a user never sees or marks another user\'s notifications', async () => {
    const r = await oneDay();
    expect((await e.decide('dangzhengban', r.approvalId, 'approve')).statusCode).toBe(200);
    const theirs = (await notes('keyuan1', true)).items.find((n) => n.entityId === r.approvalId && n.kind === 'finished')!;
    expect(theirs).toBeDefined();
    const before = await unreadCount('keyuan1');

    const head = await e.as('dangzhengban');
    const headIds = new Set((await notes('dangzhengban')).items.map((n) => n.id));
    for (const n of (await notes('keyuan1')).items) expect(headIds.has(n.id)).toBe(false);
    expect((await head.post('/api/v1/notifications/read', { ids: [theirs.id] })).json().changed).toBe(0);
    await head.post('/api/v1/notifications/read-all');
    expect(await unreadCount('keyuan1')).toBe(before);
    expect((await notes('keyuan1', true)).items.map((n) => n.id)).toContain(theirs.id);
    expect((await head.get(`/api/v1/notifications/${theirs.id}`)).statusCode).toBe(404);
    // Every notification listed to a user is theirs.
    const rows = await e.t.db.selectFrom('notifications').select('id').where('user_id', '=', e.id('dangzhengban')).execute();
    expect([...headIds].sort()).toEqual(rows.map((x) => x.id).sort());
    expect(Number((await sql<{ n: string }>`select count(*) as n from notifications`.execute(e.t.db)).rows[0]!.n)).toBeGreaterThan(rows.length);
  });
});
