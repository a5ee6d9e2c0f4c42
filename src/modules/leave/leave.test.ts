import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { workdayCalendar, addDays } from '../../platform/calendar/service.js';
import { officeToday } from '../../platform/time.js';

/**
 * Leave on the approval engine (PRODUCT.md M4, seed 000:284, 004:L191, L969–975), through the API
 * as the demo accounts: keyuan1 (staff, 党政办), dangzhengban (its section head), fenguan2 (its
 * leader in charge, away and delegating to fenguan1), zhuren (director).
 */
let t: TestApp;
let keyuan: Client; let dzb: Client; let fenguan1: Client; let zhuren: Client;
let workday: (n: number) => string;

beforeAll(async () => {
  t = await testApp();
  [keyuan, dzb, fenguan1, zhuren] = await Promise.all(['keyuan1', 'dangzhengban', 'fenguan1', 'zhuren'].map((u) => t.login(u)));
  const cal = await workdayCalendar(t.db);
  workday = (n) => cal.addWorkdays(addDays(officeToday(), 20), n).date;
}, 60_000);
afterAll(async () => { await t?.close(); });

const todoFor = async (c: Client, approvalId: string) => {
  const items = (await c.get('/api/v1/approvals/inbox?box=todo&pageSize=100')).json().items as { id: string; approvalId: string; onBehalfOfName?: string }[];
  return items.find((i) => i.approvalId === approvalId);
};

describe('leave, street pack (000:284)', () => {
  it('staff ≥ 3 days: section head, then the leader in charge (through the delegation), then the main leader; the balance moves', async () => {
    const before = (await keyuan.get('/api/v1/leave/balances')).json().types.find((x: { type: string }) => x.type === 'annual').left;
    const body = { type: 'annual', startDate: workday(1), endDate: workday(3), reason: '休年休假' };
    const preview = (await keyuan.post('/api/v1/leave/requests/preview', body)).json();
    expect(preview.days).toBe(3);
    expect(preview.steps.map((s: { approverPost: string }) => s.approverPost)).toEqual(['section_head', 'leader_in_charge', 'director']);
    const res = await keyuan.post('/api/v1/leave/requests', body);
    expect(res.statusCode, res.body).toBe(201);
    const r = res.json();
    expect(r.status).toBe('pending');
    expect(r.approval.steps.map((s: { status: string }) => s.status)).toEqual(['open', 'waiting', 'waiting']);
    const after = (await keyuan.get('/api/v1/leave/balances')).json().types.find((x: { type: string }) => x.type === 'annual').left;
    expect(after).toBe(before - 3);

    const t1 = await todoFor(dzb, r.approval.id);
    expect((await dzb.post(`/api/v1/approvals/tasks/${t1!.id}/decide`, { decision: 'approve', comment: '同意' })).statusCode).toBe(200);
    const t2 = await todoFor(fenguan1, r.approval.id);
    expect(t2?.onBehalfOfName).toBe('李卫东');
    expect((await fenguan1.post(`/api/v1/approvals/tasks/${t2!.id}/decide`, { decision: 'approve', comment: '同意' })).statusCode).toBe(200);
    const t3 = await todoFor(zhuren, r.approval.id);
    const final = await zhuren.post(`/api/v1/approvals/tasks/${t3!.id}/decide`, { decision: 'approve', comment: '同意' });
    expect(final.json().status).toBe('approved');
    const again = await zhuren.post(`/api/v1/approvals/tasks/${t3!.id}/decide`, { decision: 'approve', comment: '同意' });
    expect(again.statusCode).toBe(409);
    expect((await keyuan.get(`/api/v1/leave/requests/${r.id}`)).json().status).toBe('approved');
    const notes = (await keyuan.get('/api/v1/notifications')).json().items as { kind: string }[];
    expect(notes.some((n) => n.kind === 'finished')).toBe(true);
  });

  it('a request beyond the balance is refused with the balance in the message, and changes nothing', async () => {
    const res = await keyuan.post('/api/v1/leave/requests', { type: 'annual', startDate: workday(10), endDate: workday(30), reason: '长假' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('INSUFFICIENT_BALANCE');
    expect(errorOf(res).message).toMatch(/余额/);
  });

  it('bad input: end before start, half day on several days, unknown type', async () => {
    expect(errorOf(await keyuan.post('/api/v1/leave/requests', { type: 'personal', startDate: workday(5), endDate: workday(4), reason: 'x' })).code).toBe('END_BEFORE_START');
    expect(errorOf(await keyuan.post('/api/v1/leave/requests', { type: 'personal', startDate: workday(5), endDate: workday(6), halfDay: 'am', reason: 'x' })).code).toBe('HALF_DAY_MULTI_DAY');
    expect(errorOf(await keyuan.post('/api/v1/leave/requests', { type: 'holiday', startDate: workday(5), endDate: workday(5), reason: 'x' })).code).toBe('UNKNOWN_LEAVE_TYPE');
  });

  it('the applicant deciding a task of their own request gets 403; someone else gets 404', async () => {
    const r = (await keyuan.post('/api/v1/leave/requests', { type: 'personal', startDate: workday(8), endDate: workday(8), reason: '私事' })).json();
    const task = await todoFor(dzb, r.approval.id);
    expect((await keyuan.post(`/api/v1/approvals/tasks/${task!.id}/decide`, { decision: 'approve', comment: '' })).statusCode).toBe(403);
    expect((await zhuren.post(`/api/v1/approvals/tasks/${task!.id}/decide`, { decision: 'approve', comment: '' })).statusCode).toBe(404);
  });
});
