import type { LightMyRequestResponse } from 'fastify';
import { testApp, type Client, type TestApp } from './app.js';
import { addDays, workdayCalendar, type WorkdayCalendar } from '../../src/platform/calendar/service.js';
import { officeToday } from '../../src/platform/time.js';
import { approvalDetail } from '../../src/platform/approvals/inbox.js';
import type { Chain } from '../../src/platform/approvals/chain.js';

/**
 * The approval engine and leave, driven as the demo accounts (password Jiedao@2026): keyuan1
 * (staff, 党政办), dangzhengban (its section head), fenguan2 (its leader in charge, away and
 * delegating to fenguan1), zhuren (director), shuji (secretary), admin (edits policy packs).
 */
export interface LeaveBody { type: string; startDate: string; endDate: string; halfDay?: 'am' | 'pm'; reason: string }
export type StepView = [approverPost: string, approvers: string[]];

export interface RulesEnv {
  t: TestApp;
  cal: WorkdayCalendar;
  today: string;
  /** A logged-in client per username (logged in on first use). */
  as(username: string): Promise<Client>;
  id(username: string): string;
  username(userId: string): string;
  /** A fresh leave body of `workdays` working days that overlaps no earlier one of this file. */
  leave(type: string, workdays: number, extra?: Partial<LeaveBody>): LeaveBody;
  /** Preview steps as [approverPost, usernames sorted]. */
  previewSteps(username: string, body: LeaveBody): Promise<StepView[]>;
  submit(username: string, body: LeaveBody): Promise<{ id: string; approvalId: string; body: Record<string, any> }>;
  /** The caller's open task of an approval (their inbox), or undefined. */
  todo(username: string, approvalId: string): Promise<{ id: string; approvalId: string; onBehalfOfName?: string } | undefined>;
  decide(username: string, approvalId: string, decision: 'approve' | 'reject' | 'return', extra?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  detail(approvalId: string): Promise<Awaited<ReturnType<typeof approvalDetail>>>;
  /** Open tasks of an approval as `stepKey:username` sorted. */
  openTasks(approvalId: string): Promise<string[]>;
  /** Saves a new version of a pack with its leave chain replaced; returns the response. */
  setLeaveChain(pack: string, chain: Chain): Promise<LightMyRequestResponse>;
  leaveChainOf(pack: string): Promise<Chain>;
  activate(pack: string): Promise<LightMyRequestResponse>;
  /** Runs `fn` with the pack's leave chain replaced, then puts the previous chain back. */
  withLeaveChain<T>(pack: string, chain: Chain, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function rulesEnv(): Promise<RulesEnv> {
  const t = await testApp();
  const cal = await workdayCalendar(t.db);
  const today = officeToday();
  const users = await t.db.selectFrom('users').select(['id', 'username']).execute();
  const byName = new Map(users.map((u) => [u.username, u.id]));
  const byId = new Map(users.map((u) => [u.id, u.username]));
  const clients = new Map<string, Promise<Client>>();
  const as = (u: string) => {
    if (!clients.has(u)) clients.set(u, t.login(u));
    return clients.get(u)!;
  };
  const id = (u: string) => {
    const x = byName.get(u);
    if (!x) throw new Error(`no user ${u}`);
    return x;
  };
  const username = (userId: string) => byId.get(userId) ?? `?${userId}`;
  // Each request gets its own working days, well after today, so no two overlap (LEAVE_OVERLAP).
  let cursor = addDays(today, 20);
  const leave = (type: string, workdays: number, extra: Partial<LeaveBody> = {}): LeaveBody => {
    const startDate = cal.addWorkdays(cursor, 1).date;
    const endDate = workdays <= 1 ? startDate : cal.addWorkdays(startDate, workdays - 1).date;
    cursor = addDays(endDate, 3);
    return { type, startDate, endDate, reason: '规则测试', ...extra };
  };
  const previewSteps = async (u: string, body: LeaveBody): Promise<StepView[]> => {
    const res = await (await as(u)).post('/api/v1/leave/requests/preview', body);
    if (res.statusCode !== 200) throw new Error(`preview ${u}: ${res.statusCode} ${res.body}`);
    return res.json().steps.map((s: { approverPost: string; approvers: { id: string }[] }) => [s.approverPost, s.approvers.map((a) => username(a.id)).sort()]);
  };
  const submit = async (u: string, body: LeaveBody) => {
    const res = await (await as(u)).post('/api/v1/leave/requests', body);
    if (res.statusCode !== 201) throw new Error(`submit ${u}: ${res.statusCode} ${res.body}`);
    const b = res.json();
    return { id: b.id as string, approvalId: b.approval.id as string, body: b };
  };
  const todo = async (u: string, approvalId: string) => {
    const items = (await (await as(u)).get('/api/v1/approvals/inbox?box=todo&pageSize=200')).json().items as { id: string; approvalId: string; onBehalfOfName?: string }[];
    return items.find((i) => i.approvalId === approvalId);
  };
  const decide = async (u: string, approvalId: string, decision: 'approve' | 'reject' | 'return', extra: Record<string, unknown> = {}) => {
    const task = await todo(u, approvalId);
    if (!task) throw new Error(`${u} has no open task in ${approvalId}`);
    return (await as(u)).post(`/api/v1/approvals/tasks/${task.id}/decide`, { decision, comment: decision === 'approve' ? '同意' : '请修改', ...extra });
  };
  const detail = (approvalId: string) => approvalDetail(t.db, approvalId, { userId: id('admin'), mayReadAll: true });
  const openTasks = async (approvalId: string) => {
    const rows = await t.db.selectFrom('approval_tasks as t').innerJoin('approval_steps as s', 's.id', 't.step_id').select(['s.key', 't.assignee_id'])
      .where('t.approval_id', '=', approvalId).where('t.status', '=', 'open').execute();
    return rows.map((r) => `${r.key}:${username(r.assignee_id)}`).sort();
  };
  const docOf = async (pack: string) => (await (await as('admin')).get(`/api/v1/policy/packs/${pack}`)).json().document as Record<string, any>;
  const leaveChainOf = async (pack: string) => (await docOf(pack)).leave.chain as Chain;
  const setLeaveChain = async (pack: string, chain: Chain) => {
    const document = await docOf(pack);
    document.leave.chain = chain;
    return (await as('admin')).post(`/api/v1/policy/packs/${pack}/versions`, { document, reason: '规则测试调整审批链', decisionRef: '测试〔2026〕1号', effectiveFrom: today });
  };
  const activate = async (pack: string) => (await as('admin')).post('/api/v1/policy/active', { code: pack, reason: '规则测试切换制度' });
  const withLeaveChain = async <T>(pack: string, chain: Chain, fn: () => Promise<T>): Promise<T> => {
    const before = await leaveChainOf(pack);
    const res = await setLeaveChain(pack, chain);
    if (res.statusCode !== 201) throw new Error(`chain edit refused: ${res.statusCode} ${res.body}`);
    try {
      return await fn();
    } finally {
      const back = await setLeaveChain(pack, before);
      if (back.statusCode !== 201) throw new Error(`chain restore refused: ${back.statusCode} ${back.body}`);
    }
  };
  return { t, cal, today, as, id, username, leave, previewSteps, submit, todo, decide, detail, openTasks, setLeaveChain, leaveChainOf, activate, withLeaveChain, close: () => t.close() };
}
