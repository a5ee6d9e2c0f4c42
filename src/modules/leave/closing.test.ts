import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/helpers/app.js';
import { rulesEnv, type LeaveBody, type RulesEnv } from '../../../test/helpers/approvals.js';
import { addDays } from '../../platform/calendar/service.js';
import { registeredSchedules, runDueSchedules } from '../../platform/jobs/scheduler.js';
import { remindUnclosedLeave } from './service.js';
import { leaveDb } from './schema.js';

/**
 * 销假 (closing a leave, PRODUCT.md M4, 004:L975) and the annual-leave rules around it, one test
 * per rule, through the API as the demo accounts. Every number (the 销假 window, the annual tiers)
 * is read from the policy pack in force, never written here.
 */
let e: RulesEnv;
let pack: string;
/** The 销假 window of the pack in force (days after the leave's end). */
let W: number;

const docOf = async (code: string) => (await (await e.as('admin')).get(`/api/v1/policy/packs/${code}`)).json().document as Record<string, any>;
/** Saves a new version of the active pack with its leave section changed; returns a function putting the previous section back. */
const editLeave = async (change: (leave: Record<string, any>) => void): Promise<() => Promise<void>> => {
  const save = async (document: Record<string, unknown>, reason: string) => {
    const res = await (await e.as('admin')).post(`/api/v1/policy/packs/${pack}/versions`, { document, reason, decisionRef: '测试〔2026〕2号', effectiveFrom: e.today });
    expect(res.statusCode, res.body).toBe(201);
  };
  const before = await docOf(pack);
  const document = structuredClone(before);
  change(document.leave);
  await save(document, '销假规则测试调整');
  return () => save(before, '销假规则测试还原');
};

const lastWorkdayOnOrBefore = (d: string) => { let x = d; while (!e.cal.isWorkday(x)) x = addDays(x, -1); return x; };
/** A one-working-day-or-more leave ending on `end` (any day) and starting on the last working day not after it. */
const endingOn = (type: string, end: string): LeaveBody => ({ type, startDate: lastWorkdayOnOrBefore(end), endDate: end, reason: '销假测试' });

/** Approves every open task of the approval, as whoever holds it, until it ends. */
const approveAll = async (approvalId: string) => {
  for (let guard = 0; guard < 8; guard++) {
    const open = await e.openTasks(approvalId);
    if (!open.length) break;
    const res = await e.decide(open[0]!.split(':')[1]!, approvalId, 'approve');
    expect(res.statusCode, res.body).toBe(200);
  }
  expect((await e.detail(approvalId)).status).toBe('approved');
};
const approved = async (username: string, body: LeaveBody) => {
  const r = await e.submit(username, body);
  await approveAll(r.approvalId);
  return r;
};
const leaveAs = async (username: string, id: string) => {
  const res = await (await e.as(username)).get(`/api/v1/leave/requests/${id}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const close = async (username: string, id: string, actualEndDate: string) => (await e.as(username)).post(`/api/v1/leave/requests/${id}/close`, { actualEndDate, note: '已返岗' });
const closeAudit = async (id: string) => {
  const rows = await e.t.db.selectFrom('audit_events').select(['actor_id', 'summary']).where('action', '=', 'leave.close').where('entity_id', '=', id).execute();
  return rows.map((r) => ({ actor: e.username(r.actor_id!), ...JSON.parse(r.summary) as { late: boolean; actualEndDate: string; days: number } }));
};

beforeAll(async () => {
  e = await rulesEnv();
  const types = (await (await e.as('keyuan1')).get('/api/v1/leave/types')).json();
  pack = types.policyPack;
  W = (await docOf(pack)).leave.closeWithinDays;
  expect(types.closeWithinDays).toBe(W);
  expect(W).toBeGreaterThanOrEqual(1);
}, 120_000);
afterAll(async () => { await e?.close(); });

describe('销假 window', () => {
  it('closing on the last day of the pack\'s window after the leave\'s end is allowed and on time; closeBy is the end plus the window', async () => {
    const r = await approved('zhan-sh', endingOn('personal', addDays(e.today, -W)));
    const before = await leaveAs('zhan-sh', r.id);
    expect(before).toMatchObject({ status: 'approved', unclosed: true, closeBy: e.today, closeOverdue: false, closedAt: null });
    const res = await close('zhan-sh', r.id, before.endDate);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ unclosed: false, closedLate: false, actualEndDate: before.endDate, actualDays: before.days });
    expect(res.json().closedAt).toBeTruthy();
    expect(await closeAudit(r.id)).toEqual([expect.objectContaining({ actor: 'zhan-sh', late: false })]);
  });

  it('closing one day after the window is still allowed, and marked late', async () => {
    const r = await approved('wangge-xmq-1', endingOn('personal', addDays(e.today, -W - 1)));
    const before = await leaveAs('wangge-xmq-1', r.id);
    expect(before).toMatchObject({ unclosed: true, closeBy: addDays(e.today, -1), closeOverdue: true });
    const res = await close('wangge-xmq-1', r.id, before.endDate);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ unclosed: false, closeOverdue: false, closedLate: true });
    expect(await closeAudit(r.id)).toEqual([expect.objectContaining({ actor: 'wangge-xmq-1', late: true })]);
  });

  it('the window is the pack\'s: a pack version with a longer window makes the same delay on time', async () => {
    const longer = W + 2;
    const restore = await editLeave((leave) => { leave.closeWithinDays = longer; });
    try {
      expect((await (await e.as('wangge-sh-2')).get('/api/v1/leave/types')).json().closeWithinDays).toBe(longer);
      const r = await approved('wangge-sh-2', endingOn('personal', addDays(e.today, -W - 1)));
      const before = await leaveAs('wangge-sh-2', r.id);
      expect(before).toMatchObject({ unclosed: true, closeBy: addDays(before.endDate, longer), closeOverdue: false });
      const res = await close('wangge-sh-2', r.id, before.endDate);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().closedLate).toBe(false);
      expect(await closeAudit(r.id)).toEqual([expect.objectContaining({ late: false })]);
    } finally { await restore(); }
    expect((await (await e.as('wangge-sh-2')).get('/api/v1/leave/types')).json().closeWithinDays).toBe(W);
  });
});

describe('unclosed leave (未销假)', () => {
  /** keyuan1 (党政办): one leave ended yesterday (inside the window), one ended past the window; chuangkou1 (the hall) one ended yesterday. */
  let recent: { id: string; approvalId: string };
  let overdue: { id: string; approvalId: string };
  let hall: { id: string; approvalId: string };
  let pending: { id: string; approvalId: string };
  let endsToday: { id: string; approvalId: string };
  const idsIn = (items: { id: string }[]) => items.map((i) => i.id);

  beforeAll(async () => {
    const yesterday = addDays(e.today, -1);
    const recentBody = endingOn('personal', yesterday);
    recent = await approved('keyuan1', recentBody);
    const overdueDay = lastWorkdayOnOrBefore([addDays(e.today, -W - 1), addDays(recentBody.startDate, -1)].sort()[0]!);
    overdue = await approved('keyuan1', { type: 'personal', startDate: overdueDay, endDate: overdueDay, reason: '销假测试' });
    hall = await approved('chuangkou1', endingOn('personal', yesterday));
    // Asked for, never decided: not a leave to close.
    pending = await e.submit('wangge-sh-1', endingOn('personal', yesterday));
    // Ends today: not past its end yet.
    endsToday = await approved('fenguan1', endingOn('personal', e.today));
  });

  const remindersOf = async (requestId: string) => (await e.t.db.selectFrom('notifications').select(['user_id', 'entity_id', 'kind', 'link'])
    .where('entity', '=', 'leave_close_reminder').where('entity_id', 'like', `${requestId}:%`).orderBy('created_at').orderBy('id').execute())
    .map((n) => `${e.username(n.user_id)}@${n.entity_id!.slice(requestId.length + 1)}`);

  it('approved leave past its end and not closed is flagged and listed to the section head of its unit, oldest end first', async () => {
    const r = await leaveAs('keyuan1', recent.id);
    expect(r).toMatchObject({ status: 'approved', unclosed: true, closeOverdue: false, closeBy: addDays(r.endDate, W) });
    const o = await leaveAs('keyuan1', overdue.id);
    expect(o).toMatchObject({ status: 'approved', unclosed: true, closeOverdue: true, closeBy: addDays(o.endDate, W) });
    expect(await leaveAs('wangge-sh-1', pending.id)).toMatchObject({ status: 'pending', unclosed: false });
    expect(await leaveAs('fenguan1', endsToday.id)).toMatchObject({ status: 'approved', unclosed: false, closeOverdue: false });

    // The section head of 党政办 sees their unit's unclosed leave only.
    const head = await (await e.as('dangzhengban')).get('/api/v1/leave/unclosed');
    expect(head.statusCode, head.body).toBe(200);
    const headItems = head.json().items as { id: string; endDate: string; unclosed: boolean; closeOverdue: boolean; userName: string }[];
    const mine = headItems.filter((i) => [recent.id, overdue.id].includes(i.id));
    expect(mine.map((i) => i.id)).toEqual([overdue.id, recent.id]);
    expect(mine.map((i) => [i.unclosed, i.closeOverdue])).toEqual([[true, true], [true, false]]);
    expect(idsIn(headItems)).not.toContain(hall.id);
    expect(headItems.every((i) => i.unclosed && i.endDate < e.today)).toBe(true);
    expect(headItems.map((i) => i.endDate)).toEqual([...headItems.map((i) => i.endDate)].sort());

    // A leader over the whole street sees every unit's; never a pending request or one ending today.
    const all = idsIn((await (await e.as('zhuren')).get('/api/v1/leave/unclosed')).json().items);
    expect(all).toEqual(expect.arrayContaining([recent.id, overdue.id, hall.id]));
    expect(all).not.toContain(pending.id);
    expect(all).not.toContain(endsToday.id);
    // Staff have no such list.
    expect((await (await e.as('keyuan1')).get('/api/v1/leave/unclosed')).statusCode).toBe(403);
  });

  it('the leave.close-reminders schedule reminds the applicant once per day (twice for one slot → one notification); past the window the section head too', async () => {
    const schedule = registeredSchedules().find((s) => s.name === 'leave.close-reminders');
    expect(schedule?.spec).toEqual({ dailyAt: '09:00' });
    const now = new Date();
    const run = (at: Date) => runDueSchedules(e.t.db, { only: [schedule!], now: () => at });
    expect(await run(now)).toEqual(['leave.close-reminders']);
    expect(await run(now)).toEqual([]);
    // Called again the same day outside the scheduler (a second slot, a restart): nothing new.
    expect(await remindUnclosedLeave(e.t.db, now)).toBe(0);

    const day1 = e.today;
    expect(await remindersOf(recent.id)).toEqual([`keyuan1@${day1}`]);
    expect(await remindersOf(overdue.id)).toEqual([`keyuan1@${day1}`, `dangzhengban@${day1}:head`]);
    expect(await remindersOf(hall.id)).toEqual([`chuangkou1@${day1}`]);
    expect(await remindersOf(pending.id)).toEqual([]);
    expect(await remindersOf(endsToday.id)).toEqual([]);
    // The applicant sees it in their notifications, linked to the leave.
    const notes = (await (await e.as('keyuan1')).get('/api/v1/notifications?pageSize=200')).json().items as { kind: string; link: string; readAt: string | null }[];
    expect(notes.filter((n) => n.link === `/leave?open=${recent.id}`)).toEqual([expect.objectContaining({ kind: 'reminder', readAt: null })]);

    // keyuan1 closes the overdue one (late); the next day only the one still open is reminded again.
    const o = await leaveAs('keyuan1', overdue.id);
    expect((await close('keyuan1', overdue.id, o.endDate)).statusCode).toBe(200);
    const tomorrow = new Date(now.getTime() + 86_400_000);
    const day2 = addDays(day1, 1);
    expect(await run(tomorrow)).toEqual(['leave.close-reminders']);
    expect(await run(tomorrow)).toEqual([]);
    expect(await remindersOf(recent.id)).toEqual([`keyuan1@${day1}`, `keyuan1@${day2}`]);
    expect(await remindersOf(overdue.id)).toEqual([`keyuan1@${day1}`, `dangzhengban@${day1}:head`]);
  });
});

describe('closing a leave', () => {
  it('returning early shortens the leave and gives the unused days back to the balance (a return entry in the ledger)', async () => {
    const start = lastWorkdayOnOrBefore(addDays(e.today, -1));
    const end = e.cal.addWorkdays(e.today, 2).date;
    const year = Number(start.slice(0, 4));
    const balance = async () => {
      const b = (await (await e.as('liuguan')).get(`/api/v1/leave/balances?year=${year}`)).json();
      return { left: b.types.find((x: { type: string }) => x.type === 'annual').left as number, ledger: b.ledger as { type: string; entry: string; days: number; caseNo: string | null }[] };
    };
    const r = await approved('liuguan', { type: 'annual', startDate: start, endDate: end, reason: '休年休假' });
    const asked = (await leaveAs('liuguan', r.id)).days as number;
    expect(asked).toBeGreaterThanOrEqual(3);
    const before = await balance();
    // While the leave runs, its later days are taken: a new request on one of them overlaps.
    const later = e.cal.addWorkdays(e.today, 1).date;
    const overlap = await (await e.as('liuguan')).post('/api/v1/leave/requests', { type: 'personal', startDate: later, endDate: later, reason: '另有安排' });
    expect([overlap.statusCode, errorOf(overlap).code]).toEqual([409, 'LEAVE_OVERLAP']);

    // Back after the first day.
    const res = await close('liuguan', r.id, start);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ days: asked, actualEndDate: start, actualDays: 1, effectiveEnd: start, unclosed: false, closedLate: false });
    const after = await balance();
    expect(after.left).toBe(before.left + asked - 1);
    expect(after.ledger.length).toBe(before.ledger.length + 1);
    expect(after.ledger.at(-1)).toMatchObject({ type: 'annual', entry: 'return', days: asked - 1, caseNo: r.body.caseNo });
    // The days given back are free again.
    expect((await (await e.as('liuguan')).post('/api/v1/leave/requests', { type: 'personal', startDate: later, endDate: later, reason: '另有安排' })).statusCode).toBe(201);
  });

  it('closing is refused before the leave starts, with an end outside the leave or after today, twice, and for a request not approved', async () => {
    // shuji's own leave is approved at submission (by the district, outside the system).
    const day = e.cal.addWorkdays(e.today, 5).date;
    const future = await e.submit('shuji', { type: 'personal', startDate: day, endDate: day, reason: '外出' });
    expect(future.body.status).toBe('approved');
    const notStarted = await close('shuji', future.id, day);
    expect([notStarted.statusCode, errorOf(notStarted).code]).toEqual([422, 'NOT_STARTED']);

    const past = await e.submit('shuji', endingOn('personal', addDays(e.today, -1)));
    const p = await leaveAs('shuji', past.id);
    for (const bad of [addDays(p.startDate, -1), addDays(p.endDate, 1), e.cal.addWorkdays(e.today, 1).date]) {
      const res = await close('shuji', past.id, bad);
      expect([res.statusCode, errorOf(res).code], bad).toEqual([422, 'INVALID_ACTUAL_END']);
      expect(errorOf(res).details.map((d) => d.path)).toEqual(['actualEndDate']);
    }
    expect((await leaveAs('shuji', past.id)).unclosed).toBe(true);
    expect((await close('shuji', past.id, p.endDate)).statusCode).toBe(200);
    const twice = await close('shuji', past.id, p.endDate);
    expect([twice.statusCode, errorOf(twice).code]).toEqual([409, 'ALREADY_CLOSED']);

    const body = e.leave('personal', 1);
    const asked = await e.submit('keyuan1', body);
    const notApproved = await close('keyuan1', asked.id, body.startDate);
    expect([notApproved.statusCode, errorOf(notApproved).code]).toEqual([409, 'INVALID_TRANSITION']);
  });

  it('closing someone else\'s leave is refused (404, nothing changes) unless you are the office (leave:manage)', async () => {
    const r = await approved('caizheng', endingOn('personal', addDays(e.today, -1)));
    const end = (await leaveAs('caizheng', r.id)).endDate as string;
    // Colleagues and section heads of other units, and staff whose data scope is the whole street (流管办, 纪工委) but who are not the office.
    for (const other of ['keyuan1', 'chuangkou1', 'dangzhengban', 'liuguan', 'jigongwei']) {
      const res = await close(other, r.id, end);
      expect([res.statusCode, errorOf(res).code], other).toEqual([404, 'NOT_FOUND']);
    }
    expect(await leaveAs('caizheng', r.id)).toMatchObject({ unclosed: true, closedAt: null });
    expect(await closeAudit(r.id)).toEqual([]);
    // The office closes it for them; the record says who did.
    const res = await close('zhuren', r.id, end);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ unclosed: false, actualEndDate: end });
    const row = await leaveDb(e.t.db).selectFrom('leave_requests').select('closed_by').where('id', '=', r.id).executeTakeFirstOrThrow();
    expect(e.username(row.closed_by!)).toBe('zhuren');
    expect(await closeAudit(r.id)).toEqual([expect.objectContaining({ actor: 'zhuren' })]);
  });
});

describe('annual leave entitlement', () => {
  type Tier = { minYears: number; days: number };
  let tiers: Tier[];
  let nextYear = 2041;
  /** The annual grant of wangge-sh-2 for a year not granted before, with exactly `years` (or a day short of them) of service at its start. */
  const grantFor = async (years: number, dayShort = false) => {
    const year = nextYear++;
    const since = `${year - years}-01-${dayShort ? '02' : '01'}`;
    await e.t.db.updateTable('users').set({ work_started_on: since }).where('username', '=', 'wangge-sh-2').execute();
    const b = (await (await e.as('wangge-sh-2')).get(`/api/v1/leave/balances?year=${year}`)).json();
    const grant = (b.ledger as { type: string; entry: string; days: number; note: string }[]).filter((l) => l.type === 'annual' && l.entry === 'grant');
    expect(grant).toHaveLength(1);
    return { year, granted: b.types.find((t: { type: string }) => t.type === 'annual').granted as number, note: grant[0]!.note };
  };
  const expected = (years: number) => [...tiers].sort((a, b) => a.minYears - b.minYears).reduce((d, t) => (years >= t.minYears ? t.days : d), 0);

  beforeAll(async () => { tiers = (await docOf(pack)).leave.annualTiers; });

  it('the default pack holds the statutory tiers: 1–10 years of service 5 days, 10–20 years 10, ≥ 20 years 15', () => {
    expect([...tiers].sort((a, b) => a.minYears - b.minYears)).toEqual([{ minYears: 1, days: 5 }, { minYears: 10, days: 10 }, { minYears: 20, days: 15 }]);
  });

  it('annual leave entitlement by years of service follows the pack\'s tiers, at each boundary (a day short of a tier stays below it)', async () => {
    const cases: [number, boolean][] = [[0, false], [35, false]];
    for (const t of tiers) cases.push([t.minYears, false], [t.minYears, true]);
    for (const [years, dayShort] of cases) {
      const served = dayShort ? years - 1 : years;
      const g = await grantFor(years, dayShort);
      expect(g.granted, `${years} years${dayShort ? ' less a day' : ''}`).toBe(expected(Math.max(0, served)));
      expect(g.note).toContain(`工龄 ${Math.max(0, served)} 年`);
    }
  });

  it('a pack version with other tiers grants by them from then on; a year already granted keeps its grant', async () => {
    const top = [...tiers].sort((a, b) => b.minYears - a.minYears)[0]!;
    const first = await grantFor(top.minYears);
    expect(first.granted).toBe(top.days);
    const restore = await editLeave((leave) => { leave.annualTiers = (leave.annualTiers as Tier[]).map((t) => ({ ...t, days: t.days + 1 })); });
    try {
      expect((await grantFor(top.minYears)).granted).toBe(top.days + 1);
      const again = (await (await e.as('wangge-sh-2')).get(`/api/v1/leave/balances?year=${first.year}`)).json();
      expect(again.types.find((t: { type: string }) => t.type === 'annual').granted).toBe(top.days);
    } finally { await restore(); }
  });
});

describe('unpublished calendar years', () => {
  it('a request touching an unpublished calendar year is accepted and marked provisional in the preview and the stored request', async () => {
    const cal = (await (await e.as('fenguan2')).get('/api/v1/calendar/published-years')).json();
    const published = new Set<number>(cal.published);
    const thisYear = Number(e.today.slice(0, 4));
    let unpublished = thisYear;
    while (published.has(unpublished)) unpublished++;
    const known = Math.max(...[...published].filter((y) => y < unpublished));
    // A published year alone is not provisional (November has no public holiday).
    const control = await (await e.as('fenguan2')).post('/api/v1/leave/requests/preview', { type: 'personal', startDate: `${known}-11-10`, endDate: `${known}-11-12`, reason: '对照' });
    expect(control.statusCode, control.body).toBe(200);
    expect(control.json().provisional).toBe(false);

    const body = { type: 'personal', startDate: `${unpublished - 1}-12-28`, endDate: `${unpublished}-01-06`, reason: '跨年探亲' };
    const preview = await (await e.as('fenguan2')).post('/api/v1/leave/requests/preview', body);
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({ provisional: true, unit: 'workday' });
    expect(preview.json().days).toBeGreaterThan(0);
    const r = await e.submit('fenguan2', body);
    expect(r.body).toMatchObject({ provisional: true, days: preview.json().days });
    expect(await leaveAs('fenguan2', r.id)).toMatchObject({ provisional: true, status: 'pending' });
  });
});
