import { createRequire } from 'node:module';
import { inTransaction, type Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { isUniqueViolation } from '../db/unique.js';
import type { Actor } from '../auth/actor.js';
import { recordAudit } from '../audit/service.js';
import { conflict, notFound, unprocessable } from '../http/errors.js';
import { nowAndAfterCommit } from '../db/request-scope.js';

/**
 * Official working days (工作日): the State Council holiday schedule with make-up workdays (调休)
 * from `chinese-days`, plus the office's own overrides. `chinese-days` treats years it has no
 * data for as plain Mon–Fri; such answers are marked `provisional` unless the admin marked the
 * year published. The day of the starting event is never counted.
 */
const require = createRequire(import.meta.url);
const data = require('chinese-days/dist/chinese-days.json') as {
  holidays: Record<string, string>; workdays: Record<string, string>;
};
const CHINESE_DAYS_VERSION = (require('chinese-days/package.json') as { version: string }).version;
const dataYears = new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))));

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup_workday';
export interface DayInfo { date: string; workday: boolean; kind: DayKind; name?: string; override?: { id: string; note: string } }

interface Overrides { byDate: Map<string, { id: string; kind: 'holiday' | 'makeup_workday'; note: string }>; published: Set<number>; version: string }
let cache: { db: Db; at: number; value: Overrides } | null = null;
const MAX_AGE_MS = 2000;
export const invalidateCalendar = () => { nowAndAfterCommit(() => { cache = null; }); };

async function overrides(db: Db): Promise<Overrides> {
  if (cache && cache.db === db && Date.now() - cache.at < MAX_AGE_MS) return cache.value;
  const [rows, years, latest] = await Promise.all([
    db.selectFrom('calendar_overrides').select(['id', 'date', 'kind', 'note']).where('withdrawn_at', 'is', null).execute(),
    db.selectFrom('calendar_published_years').select('year').execute(),
    db.selectFrom('calendar_overrides')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('created_at').as('last'), eb.fn.max('withdrawn_at').as('lastw')])
      .executeTakeFirstOrThrow(),
  ]);
  const value: Overrides = {
    byDate: new Map(rows.map((r) => [r.date, { id: r.id, kind: r.kind as 'holiday' | 'makeup_workday', note: r.note }])),
    published: new Set(years.map((y) => y.year)),
    version: `chinese-days@${CHINESE_DAYS_VERSION}+overrides:${latest.n}:${new Date(latest.last ?? 0).getTime()}:${new Date(latest.lastw ?? 0).getTime()}`,
  };
  cache = { db, at: Date.now(), value };
  return value;
}


/**
 * Modules with open deadlines re-evaluate them when the office calendar changes: listeners run in
 * the transaction of the change (so the new due dates commit with it, or not at all) and record
 * what they moved. `calendarFor(tx)` gives the calendar as it is after the change.
 */
export interface CalendarChange { kind: 'override_add' | 'override_withdraw' | 'year_publish'; dates: string[]; actorId: string; calendarFor: (tx: Db) => Promise<WorkdayCalendar> }
type CalendarListener = (tx: Db, change: CalendarChange) => Promise<void>;
const listeners: CalendarListener[] = [];
export function onCalendarChange(listener: CalendarListener): () => void {
  listeners.push(listener);
  return () => { listeners.splice(listeners.indexOf(listener), 1); };
}
async function notifyChange(tx: Db, change: Omit<CalendarChange, 'calendarFor'>): Promise<void> {
  if (listeners.length === 0) return;
  const calendarFor = async (db: Db) => { invalidateCalendar(); return workdayCalendar(db); };
  for (const l of listeners) await l(tx, { ...change, calendarFor });
}

const zhName = (raw: string) => raw.split(',')[1] ?? raw;

/** Date arithmetic on 'YYYY-MM-DD' strings in UTC (no time zone drift). */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function dayInfo(date: string, ov: Overrides): DayInfo {
  const o = ov.byDate.get(date);
  if (o) return { date, workday: o.kind === 'makeup_workday', kind: o.kind, name: o.note, override: { id: o.id, note: o.note } };
  if (data.holidays[date]) return { date, workday: false, kind: 'holiday', name: zhName(data.holidays[date]!) };
  if (data.workdays[date]) return { date, workday: true, kind: 'makeup_workday', name: `${zhName(data.workdays[date]!)}调休上班` };
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow === 0 || dow === 6 ? { date, workday: false, kind: 'weekend' } : { date, workday: true, kind: 'workday' };
}

export const isPublishedYear = (year: number, ov: Overrides) => dataYears.has(year) || ov.published.has(year);
function provisionalBetween(from: string, to: string, ov: Overrides): boolean {
  for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) if (!isPublishedYear(y, ov)) return true;
  return false;
}

export interface WorkdayCalendar {
  version: string;
  day(date: string): DayInfo;
  isWorkday(date: string): boolean;
  /** The n-th working day after `from` (the start day is not counted). */
  addWorkdays(from: string, n: number): { date: string; provisional: boolean };
  /** Working days in (a, b]: after a, up to and including b. */
  workdaysBetween(a: string, b: string): { days: number; provisional: boolean };
  provisional(from: string, to: string): boolean;
}

/** A calendar snapshot for synchronous arithmetic (deadlines record its `version`). */
export async function workdayCalendar(db: Db): Promise<WorkdayCalendar> {
  const ov = await overrides(db);
  const cal: WorkdayCalendar = {
    version: ov.version,
    day: (d) => dayInfo(d, ov),
    isWorkday: (d) => dayInfo(d, ov).workday,
    addWorkdays(from, n) {
      let date = from;
      let left = n;
      let guard = 0;
      while (left > 0) {
        date = addDays(date, 1);
        if (dayInfo(date, ov).workday) left--;
        if (++guard > 20_000) throw new Error('addWorkdays ran away');
      }
      return { date, provisional: provisionalBetween(from, date, ov) };
    },
    workdaysBetween(a, b) {
      let days = 0;
      for (let d = addDays(a, 1); d <= b; d = addDays(d, 1)) if (dayInfo(d, ov).workday) days++;
      return { days, provisional: provisionalBetween(a, b < a ? a : b, ov) };
    },
    provisional: (from, to) => provisionalBetween(from, to, ov),
  };
  return cal;
}

export async function daysBetween(db: Db, from: string, to: string) {
  const cal = await workdayCalendar(db);
  const items: DayInfo[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) items.push(cal.day(d));
  return { items, provisional: cal.provisional(from, to) };
}

export async function listOverrides(db: Db, p: { page: number; pageSize: number; year?: number }) {
  let q = db.selectFrom('calendar_overrides as o').leftJoin('users as u', 'u.id', 'o.created_by');
  if (p.year) q = q.where('o.date', '>=', `${p.year}-01-01`).where('o.date', '<=', `${p.year}-12-31`);
  const [rows, total] = await Promise.all([
    q.select(['o.id', 'o.date', 'o.kind', 'o.note', 'u.name as created_by_name', 'o.created_at', 'o.withdrawn_at', 'o.withdraw_reason'])
      .orderBy('o.date', 'desc').orderBy('o.created_at', 'desc').limit(p.pageSize).offset((p.page - 1) * p.pageSize).execute(),
    q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, date: r.date, kind: r.kind, note: r.note, createdBy: r.created_by_name, createdAt: r.created_at,
      withdrawnAt: r.withdrawn_at, withdrawReason: r.withdraw_reason,
    })),
    total: Number(total.n),
  };
}

export async function addOverride(db: Db, actor: Actor, input: { date: string; kind: 'holiday' | 'makeup_workday'; note: string }, ip: string) {
  const base = dayInfo(input.date, { byDate: new Map(), published: new Set(), version: '' });
  if (base.workday === (input.kind === 'makeup_workday')) {
    throw unprocessable('OVERRIDE_NO_EFFECT', input.kind === 'holiday' ? '该日本来就是休息日，无需设置为放假。' : '该日本来就是工作日，无需设置为调休上班。',
      [{ path: 'kind', code: 'OVERRIDE_NO_EFFECT', message: '与国务院安排相同' }]);
  }
  const res = await inTransaction(db, async (tx) => {
    const live = await tx.selectFrom('calendar_overrides').select('id').where('date', '=', input.date).where('withdrawn_at', 'is', null).executeTakeFirst();
    const exists = () => conflict('OVERRIDE_EXISTS', '该日已有本单位的调整，请先撤销原调整。');
    if (live) throw exists();
    const id = uuidv7();
    // A concurrent request may have added one since the check: the partial unique index decides.
    await tx.insertInto('calendar_overrides').values({ id, date: input.date, kind: input.kind, note: input.note, created_by: actor.userId }).execute()
      .catch((e: unknown) => { throw isUniqueViolation(e) ? exists() : e; });
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'calendar.override_add', entity: 'calendar_override', entityId: id, ip, summary: input });
    await notifyChange(tx, { kind: 'override_add', dates: [input.date], actorId: actor.userId });
    return { id, ...input, createdBy: actor.name, withdrawnAt: null };
  });
  invalidateCalendar();
  return res;
}

export async function withdrawOverride(db: Db, actor: Actor, id: string, reason: string, ip: string) {
  const res = await inTransaction(db, async (tx) => {
    const o = await tx.selectFrom('calendar_overrides').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!o) throw notFound('未找到该调整。');
    if (o.withdrawn_at) throw conflict('OVERRIDE_ALREADY_WITHDRAWN', '该调整已撤销。');
    const at = new Date();
    await tx.updateTable('calendar_overrides').set({ withdrawn_at: at, withdrawn_by: actor.userId, withdraw_reason: reason }).where('id', '=', id).execute();
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'calendar.override_withdraw', entity: 'calendar_override', entityId: id, ip, summary: { date: o.date, reason } });
    await notifyChange(tx, { kind: 'override_withdraw', dates: [o.date], actorId: actor.userId });
    return { id, date: o.date, kind: o.kind, note: o.note, withdrawnAt: at, withdrawReason: reason };
  });
  invalidateCalendar();
  return res;
}

export async function publishedYears(db: Db) {
  const ov = await overrides(db);
  const rows = await db.selectFrom('calendar_published_years').selectAll().orderBy('year').execute();
  return {
    dataYears: [...dataYears].sort(),
    markedYears: rows.map((r) => ({ year: r.year, noticeRef: r.notice_ref, createdAt: r.created_at })),
    published: [...new Set([...dataYears, ...ov.published])].sort(),
  };
}

export async function markYearPublished(db: Db, actor: Actor, input: { year: number; noticeRef: string }, ip: string) {
  if (dataYears.has(input.year)) throw conflict('YEAR_ALREADY_PUBLISHED', '该年度的国务院放假安排已内置，无需标记。');
  await inTransaction(db, async (tx) => {
    const have = await tx.selectFrom('calendar_published_years').select('year').where('year', '=', input.year).executeTakeFirst();
    const already = () => conflict('YEAR_ALREADY_PUBLISHED', '该年度已标记为已发布。');
    if (have) throw already();
    await tx.insertInto('calendar_published_years').values({ year: input.year, notice_ref: input.noticeRef, created_by: actor.userId }).execute()
      .catch((e: unknown) => { throw isUniqueViolation(e) ? already() : e; });
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'calendar.year_publish', entity: 'calendar_year', entityId: String(input.year), ip, summary: input });
    await notifyChange(tx, { kind: 'year_publish', dates: [`${input.year}-01-01`, `${input.year}-12-31`], actorId: actor.userId });
  });
  invalidateCalendar();
  return publishedYears(db);
}
