import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countRows, errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { addDays, workdayCalendar } from './service.js';

let t: TestApp;
let admin: Client;
let keyuan: Client;
beforeAll(async () => {
  t = await testApp();
  admin = await t.login('admin');
  keyuan = await t.login('keyuan1');
});
afterAll(async () => { await t?.close(); });

const addWorkdays = (c: Client, from: string, days: number | string) => c.get(`/api/v1/calendar/add-workdays?from=${from}&days=${days}`);
const days = (c: Client, from: string, to: string) => c.get(`/api/v1/calendar/days?from=${from}&to=${to}`);
const addOverride = (body: unknown, c: Client = admin) => c.post('/api/v1/calendar/overrides', body);
const withdraw = (id: string, reason: string, c: Client = admin) => c.post(`/api/v1/calendar/overrides/${id}/withdraw`, { reason });
const auditRows = (action: string) => t.db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('seq').execute();

describe('calendar service (State Council schedule)', () => {
  it('3 working days after 2026-09-30 is 2026-10-10: National Day is skipped, the Saturday make-up day counts', async () => {
    const cal = await workdayCalendar(t.db);
    expect(cal.addWorkdays('2026-09-30', 3)).toEqual({ date: '2026-10-10', provisional: false });
    expect(cal.addWorkdays('2026-09-30', 1).date).toBe('2026-10-08');
    expect(cal.addWorkdays('2026-09-30', 4).date).toBe('2026-10-12');
  });

  it('the start day is not counted: 1 working day after a Monday is the Tuesday, 0 days is the start day itself', async () => {
    const cal = await workdayCalendar(t.db);
    expect(cal.addWorkdays('2026-11-02', 1).date).toBe('2026-11-03');
    expect(cal.addWorkdays('2026-11-02', 0).date).toBe('2026-11-02');
    // Starting on a Friday: the next working day is Monday.
    expect(cal.addWorkdays('2026-11-06', 1).date).toBe('2026-11-09');
  });

  it('isWorkday follows holidays, make-up days and weekends', async () => {
    const cal = await workdayCalendar(t.db);
    expect(cal.isWorkday('2026-10-01')).toBe(false); // 国庆节
    expect(cal.isWorkday('2026-10-10')).toBe(true); // Saturday make-up day
    expect(cal.isWorkday('2026-11-07')).toBe(false); // plain Saturday
    expect(cal.isWorkday('2026-11-04')).toBe(true); // plain Wednesday
  });

  it('workdaysBetween counts working days after a, up to and including b', async () => {
    const cal = await workdayCalendar(t.db);
    expect(cal.workdaysBetween('2026-09-30', '2026-10-10')).toEqual({ days: 3, provisional: false });
    expect(cal.workdaysBetween('2026-10-01', '2026-10-07').days).toBe(0);
    expect(cal.workdaysBetween('2026-11-02', '2026-11-02').days).toBe(0);
    expect(cal.workdaysBetween('2026-11-01', '2026-11-30').days).toBe(21);
    expect(cal.workdaysBetween('2026-12-28', '2027-01-05').provisional).toBe(true);
  });

  it('property: addWorkdays and workdaysBetween agree, and the n-th working day is a working day', async () => {
    const cal = await workdayCalendar(t.db);
    const start = Date.parse('2024-01-01T00:00:00Z');
    fc.assert(fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 60 }), (offset, n) => {
      const from = new Date(start + offset * 86_400_000).toISOString().slice(0, 10);
      const res = cal.addWorkdays(from, n);
      expect(cal.workdaysBetween(from, res.date).days).toBe(n);
      if (n > 0) {
        expect(cal.isWorkday(res.date)).toBe(true);
        // No earlier date already had n working days.
        expect(cal.workdaysBetween(from, addDays(res.date, -1)).days).toBe(n - 1);
      }
    }), { seed: 20261001, numRuns: 200 });
  });
});

describe('calendar API', () => {
  it('add-workdays answers { date, provisional } for any logged-in user', async () => {
    const res = await addWorkdays(keyuan, '2026-09-30', 3);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ date: '2026-10-10', provisional: false });
  });

  it('days for 2026-10: 10-01..10-07 holiday (国庆节), 10-10 make-up workday, weekends as weekend', async () => {
    const res = await days(keyuan, '2026-10-01', '2026-10-31');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.provisional).toBe(false);
    expect(body.items).toHaveLength(31);
    const byDate = new Map<string, { date: string; workday: boolean; kind: string; name?: string }>(body.items.map((d: { date: string }) => [d.date, d]));
    for (let d = 1; d <= 7; d++) {
      expect(byDate.get(`2026-10-0${d}`)).toMatchObject({ workday: false, kind: 'holiday', name: '国庆节' });
    }
    expect(byDate.get('2026-10-10')).toMatchObject({ workday: true, kind: 'makeup_workday' });
    expect(byDate.get('2026-10-11')).toMatchObject({ workday: false, kind: 'weekend' }); // Sunday
    expect(byDate.get('2026-10-17')).toMatchObject({ workday: false, kind: 'weekend' }); // Saturday
    expect(byDate.get('2026-10-08')).toMatchObject({ workday: true, kind: 'workday' });
    const kinds = body.items.map((d: { kind: string }) => d.kind);
    expect(kinds.filter((k: string) => k === 'holiday')).toHaveLength(7);
    expect(kinds.filter((k: string) => k === 'makeup_workday')).toHaveLength(1);
    expect(kinds.filter((k: string) => k === 'weekend')).toHaveLength(6); // 10-11, 17, 18, 24, 25, 31
  });

  it('answers touching 2027 (no published data) are provisional; 2026-only answers are not', async () => {
    const cal = await workdayCalendar(t.db);
    expect(cal.provisional('2027-03-01', '2027-03-05')).toBe(true);
    expect((await days(keyuan, '2026-12-25', '2027-01-05')).json().provisional).toBe(true);
    expect((await days(keyuan, '2027-05-01', '2027-05-07')).json().provisional).toBe(true);
    expect((await days(keyuan, '2026-12-01', '2026-12-31')).json().provisional).toBe(false);
    expect((await addWorkdays(keyuan, '2026-12-29', 5)).json()).toMatchObject({ provisional: true });
    expect((await addWorkdays(keyuan, '2026-12-01', 5)).json()).toEqual({ date: '2026-12-08', provisional: false });
    expect((await addWorkdays(keyuan, '2027-06-01', 1)).json().provisional).toBe(true);
  });

  it('after the admin marks 2027 published (with the notice), 2027 answers are no longer provisional', async () => {
    const before = (await keyuan.get('/api/v1/calendar/published-years')).json();
    expect(before.published).toContain(2026);
    expect(before.published).not.toContain(2027);

    expect((await keyuan.post('/api/v1/calendar/published-years', { year: 2027, noticeRef: '国办发明电〔2026〕9号' })).statusCode).toBe(403);
    const res = await admin.post('/api/v1/calendar/published-years', { year: 2027, noticeRef: '国办发明电〔2026〕9号' });
    expect(res.statusCode).toBe(201);
    expect(res.json().published).toContain(2027);
    expect(res.json().markedYears).toEqual([expect.objectContaining({ year: 2027, noticeRef: '国办发明电〔2026〕9号' })]);

    expect((await days(keyuan, '2026-12-25', '2027-01-05')).json().provisional).toBe(false);
    expect((await addWorkdays(keyuan, '2026-12-29', 5)).json().provisional).toBe(false);
    // 2028 still is.
    expect((await days(keyuan, '2027-12-25', '2028-01-05')).json().provisional).toBe(true);

    // Marking twice (even concurrently), or a year the data already has, is a conflict.
    const racing = await Promise.all([2029, 2029].map((year) => admin.post('/api/v1/calendar/published-years', { year, noticeRef: '并发' })));
    expect(racing.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const again = await admin.post('/api/v1/calendar/published-years', { year: 2027, noticeRef: 'x' });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('YEAR_ALREADY_PUBLISHED');
    expect((await admin.post('/api/v1/calendar/published-years', { year: 2026, noticeRef: 'x' })).statusCode).toBe(409);
    expect((await auditRows('calendar.year_publish'))).toHaveLength(2);
  });

  it('an office holiday on a workday: the day is no longer a workday and addWorkdays skips it; audited', async () => {
    // 2026-11-04 is a Wednesday.
    expect((await addWorkdays(keyuan, '2026-11-03', 1)).json().date).toBe('2026-11-04');
    const res = await addOverride({ date: '2026-11-04', kind: 'holiday', note: '区政府通知：停电检修放假' });
    expect(res.statusCode).toBe(201);
    const o = res.json();
    expect(o).toMatchObject({ date: '2026-11-04', kind: 'holiday', note: '区政府通知：停电检修放假', withdrawnAt: null });
    expect(o.id).toMatch(/^[0-9a-f-]{36}$/);

    const day = (await days(keyuan, '2026-11-04', '2026-11-04')).json().items[0];
    expect(day).toMatchObject({ date: '2026-11-04', workday: false, kind: 'holiday', name: '区政府通知：停电检修放假' });
    expect((await addWorkdays(keyuan, '2026-11-03', 1)).json().date).toBe('2026-11-05');
    const cal = await workdayCalendar(t.db);
    expect(cal.isWorkday('2026-11-04')).toBe(false);
    expect(cal.workdaysBetween('2026-11-02', '2026-11-06').days).toBe(3);

    const audit = await auditRows('calendar.override_add');
    expect(audit.at(-1)).toMatchObject({ entity: 'calendar_override', entity_id: o.id });
    expect(JSON.parse(audit.at(-1)!.summary)).toMatchObject({ date: '2026-11-04', kind: 'holiday' });
  });

  it('a make-up workday on a Sunday makes that Sunday count', async () => {
    // Friday 2026-11-13 → next working day Monday 11-16, unless Sunday 11-15 is a make-up day.
    expect((await addWorkdays(keyuan, '2026-11-13', 1)).json().date).toBe('2026-11-16');
    const res = await addOverride({ date: '2026-11-15', kind: 'makeup_workday', note: '补班' });
    expect(res.statusCode).toBe(201);
    expect((await addWorkdays(keyuan, '2026-11-13', 1)).json().date).toBe('2026-11-15');
    expect((await days(keyuan, '2026-11-15', '2026-11-15')).json().items[0]).toMatchObject({ workday: true, kind: 'makeup_workday' });
  });

  it('an override equal to the State Council schedule → 422 OVERRIDE_NO_EFFECT, nothing written', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    for (const body of [
      { date: '2026-11-21', kind: 'holiday', note: '周六本来休息' },
      { date: '2026-10-02', kind: 'holiday', note: '国庆本来放假' },
      { date: '2026-10-10', kind: 'makeup_workday', note: '本来就调休上班' },
      { date: '2026-11-18', kind: 'makeup_workday', note: '周三本来上班' },
    ]) {
      const res = await addOverride(body);
      expect(res.statusCode, body.date).toBe(422);
      expect(errorOf(res).code).toBe('OVERRIDE_NO_EFFECT');
    }
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('a second live override on the same date → 409 OVERRIDE_EXISTS', async () => {
    const first = await addOverride({ date: '2026-12-02', kind: 'holiday', note: '第一次' });
    expect(first.statusCode).toBe(201);
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await addOverride({ date: '2026-12-02', kind: 'holiday', note: '第二次' });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('OVERRIDE_EXISTS');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('two concurrent overrides on the same date: one is saved, the other is 409 OVERRIDE_EXISTS (never 500)', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await Promise.all([1, 2, 3].map((i) => addOverride({ date: '2026-12-03', kind: 'holiday', note: `并发${i}` })));
    const statuses = res.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409]);
    for (const r of res.filter((x) => x.statusCode === 409)) expect(errorOf(r).code).toBe('OVERRIDE_EXISTS');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before + 1);
  });

  it('withdrawing restores the day; the row stays as history with the reason; audited', async () => {
    const o = (await addOverride({ date: '2026-12-09', kind: 'holiday', note: '临时放假' })).json();
    expect((await addWorkdays(keyuan, '2026-12-08', 1)).json().date).toBe('2026-12-10');

    const res = await withdraw(o.id, '通知已撤回');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: o.id, date: '2026-12-09', withdrawReason: '通知已撤回' });
    expect(res.json().withdrawnAt).toBeTruthy();

    expect((await addWorkdays(keyuan, '2026-12-08', 1)).json().date).toBe('2026-12-09');
    expect((await days(keyuan, '2026-12-09', '2026-12-09')).json().items[0]).toEqual({ date: '2026-12-09', workday: true, kind: 'workday' });

    const row = await t.db.selectFrom('calendar_overrides').selectAll().where('id', '=', o.id).executeTakeFirstOrThrow();
    expect(row.withdraw_reason).toBe('通知已撤回');
    expect(row.withdrawn_at).not.toBeNull();
    const list = (await keyuan.get('/api/v1/calendar/overrides?year=2026')).json();
    expect(list.items.find((i: { id: string }) => i.id === o.id)).toMatchObject({ date: '2026-12-09', withdrawReason: '通知已撤回', note: '临时放假' });

    const audit = (await auditRows('calendar.override_withdraw')).at(-1)!;
    expect(audit.entity_id).toBe(o.id);
    expect(JSON.parse(audit.summary)).toEqual({ date: '2026-12-09', reason: '通知已撤回' });

    // Withdrawn twice → 409; an unknown id → 404; the date is free for a new override.
    const again = await withdraw(o.id, '再次');
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('OVERRIDE_ALREADY_WITHDRAWN');
    expect((await withdraw('01900000-0000-7000-8000-000000000000', 'x')).statusCode).toBe(404);
    expect((await addOverride({ date: '2026-12-09', kind: 'holiday', note: '重新放假' })).statusCode).toBe(201);
    expect((await addWorkdays(keyuan, '2026-12-08', 1)).json().date).toBe('2026-12-10');
  });

  it('non-admins may read but not write (403), and a refused write changes nothing', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const auditBefore = await countRows(t.db, 'audit_events');
    const add = await addOverride({ date: '2026-12-16', kind: 'holiday', note: 'x' }, keyuan);
    expect(add.statusCode).toBe(403);
    expect(errorOf(add).code).toBe('FORBIDDEN');
    const live = (await admin.get('/api/v1/calendar/overrides?year=2026')).json().items.find((i: { withdrawnAt: unknown }) => !i.withdrawnAt);
    expect((await withdraw(live.id, 'x', keyuan)).statusCode).toBe(403);
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
    expect(await countRows(t.db, 'audit_events')).toBe(auditBefore);
    expect((await keyuan.get('/api/v1/calendar/overrides')).statusCode).toBe(200);
  });

  it('from > to, or a range over 366 days → 400; exactly 366 days is allowed', async () => {
    const back = await days(keyuan, '2026-10-02', '2026-10-01');
    expect(back.statusCode).toBe(400);
    expect(errorOf(back).code).toBe('VALIDATION_FAILED');
    const long = await days(keyuan, '2026-01-01', '2027-01-02');
    expect(long.statusCode).toBe(400);
    expect(errorOf(long).code).toBe('VALIDATION_FAILED');
    const leap = await days(keyuan, '2028-01-01', '2028-12-31');
    expect(leap.statusCode).toBe(200);
    expect(leap.json().items).toHaveLength(366);
    expect((await days(keyuan, '2026-01-01', '2027-01-01')).json().items).toHaveLength(366);
    expect((await days(keyuan, '2026-05-05', '2026-05-05')).json().items).toHaveLength(1);
  });

  it('days=-1, non-integer days and malformed dates → 400 VALIDATION_FAILED', async () => {
    for (const url of [
      '/api/v1/calendar/add-workdays?from=2026-09-30&days=-1',
      '/api/v1/calendar/add-workdays?from=2026-09-30&days=1.5',
      '/api/v1/calendar/add-workdays?from=2026-09-30&days=abc',
      '/api/v1/calendar/add-workdays?from=2026-09-30',
      '/api/v1/calendar/add-workdays?from=2026-02-30&days=1',
      '/api/v1/calendar/add-workdays?from=2026/01/01&days=1',
      '/api/v1/calendar/days?from=2026-02-30&to=2026-03-05',
      '/api/v1/calendar/days?from=2026/01/01&to=2026-01-05',
      '/api/v1/calendar/days?from=2026-01-01',
      '/api/v1/calendar/days?from=2026-1-1&to=2026-01-05',
    ]) {
      const res = await keyuan.get(url);
      expect(res.statusCode, url).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    const before = await countRows(t.db, 'calendar_overrides');
    for (const body of [
      { date: '2026-02-30', kind: 'holiday', note: 'x' },
      { date: '2026/12/23', kind: 'holiday', note: 'x' },
      { date: '2026-12-23', kind: 'festival', note: 'x' },
      { date: '2026-12-23', kind: 'holiday', note: '' },
      { date: '2026-12-23', kind: 'holiday', note: 'x'.repeat(201) },
    ]) {
      const res = await addOverride(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });
});

describe('calendar changes reach open deadlines', () => {
  it('listeners run inside the change: they see the new calendar, and a failing listener undoes the change', async () => {
    const { onCalendarChange } = await import('./service.js');
    const seen: { kind: string; dates: string[]; dueAfter: string }[] = [];
    const off = onCalendarChange(async (tx, change) => {
      // A deadline of 3 working days from 2026-06-01 (Mon), re-evaluated on the changed calendar.
      const cal = await change.calendarFor(tx);
      seen.push({ kind: change.kind, dates: change.dates, dueAfter: cal.addWorkdays('2026-06-01', 3).date });
    });
    try {
      const res = await admin.post('/api/v1/calendar/overrides', { date: '2026-06-03', kind: 'holiday', note: '街道停电检修' });
      expect(res.statusCode).toBe(201);
      expect(seen).toEqual([{ kind: 'override_add', dates: ['2026-06-03'], dueAfter: '2026-06-05' }]);
      await admin.post(`/api/v1/calendar/overrides/${res.json().id}/withdraw`, { reason: '检修取消' });
      expect(seen[1]).toEqual({ kind: 'override_withdraw', dates: ['2026-06-03'], dueAfter: '2026-06-04' });
    } finally {
      off();
    }
    const failing = onCalendarChange(async () => { throw new Error('re-evaluation failed'); });
    try {
      const before = await countRows(t.db, 'calendar_overrides');
      const res = await admin.post('/api/v1/calendar/overrides', { date: '2026-06-10', kind: 'holiday', note: '不会保存' });
      expect(res.statusCode).toBe(500);
      expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
    } finally {
      failing();
    }
  });
});
