import { z } from 'zod';

/** Shared request schemas: every route uses these so limits are the same everywhere. */
export const MAX_PAGE_SIZE = 200;

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
};

/**
 * The one range of calendar dates the system accepts, anywhere: older or later dates are typing
 * errors (year 0000, 9999) that the database would refuse or store as nonsense. A field's own rule
 * (not in the future, not before arrival) applies on top.
 */
export const MIN_DATE = '1900-01-01';
export const MAX_DATE = '2100-12-31';
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `s` is a real calendar date `YYYY-MM-DD` inside MIN_DATE … MAX_DATE (for rows read outside HTTP, e.g. imports). */
export function isIsoDate(s: string): boolean {
  if (!DATE_SHAPE.test(s) || s < MIN_DATE || s > MAX_DATE) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const rangeMessage = `日期应在 ${MIN_DATE} 至 ${MAX_DATE} 之间`;
export const isoDate = z.string().regex(DATE_SHAPE, '日期格式应为 YYYY-MM-DD').superRefine((s, ctx) => {
  if (!DATE_SHAPE.test(s)) return; // the format issue is reported once, by the regex
  if (s < MIN_DATE || s > MAX_DATE) ctx.addIssue({ code: 'custom', message: rangeMessage });
  else if (!isIsoDate(s)) ctx.addIssue({ code: 'custom', message: '日期不存在' });
});

/** A moment with its offset (`2026-03-05T08:30:00+08:00`), its date inside the same range as isoDate. */
export const isoDateTime = z.iso.datetime({ offset: true }).superRefine((s, ctx) => {
  const day = s.slice(0, 10);
  if (DATE_SHAPE.test(day) && (day < MIN_DATE || day > MAX_DATE)) ctx.addIssue({ code: 'custom', message: rangeMessage });
});

/** A calendar month `YYYY-MM` inside the range of isoDate. */
export const isoMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, '月份格式应为 YYYY-MM').superRefine((s, ctx) => {
  if (/^\d{4}-\d{2}$/.test(s) && (s < MIN_DATE.slice(0, 7) || s > MAX_DATE.slice(0, 7))) {
    ctx.addIssue({ code: 'custom', message: `月份应在 ${MIN_DATE.slice(0, 7)} 至 ${MAX_DATE.slice(0, 7)} 之间` });
  }
});

/** UUIDs are case-insensitive; ids in the database, caches and scopes are lower case. */
export const uuid = z.string().uuid('应为 UUID').transform((s) => s.toLowerCase());
/** Short free text (names, titles, reasons). */
export const text = (max = 200) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);

export interface Page<T> { items: T[]; total: number; page: number; pageSize: number }
export const page = <T>(items: T[], total: number, p: { page: number; pageSize: number }): Page<T> => ({
  items, total, page: p.page, pageSize: p.pageSize,
});
