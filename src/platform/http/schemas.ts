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

/**
 * Characters no text field accepts, whatever its schema: C0 control characters other than tab,
 * newline and carriage return, DEL, C1 control characters, and unpaired UTF-16 surrogates (not
 * encodable as UTF-8). PostgreSQL refuses a NUL in text outright; the others are never typed by
 * a person and only corrupt what is shown, exported or compared later.
 */
// eslint-disable-next-line no-control-regex
export const FORBIDDEN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The paths (`body.items.0.note`) of every string value and object key inside `value` that holds a
 * FORBIDDEN_TEXT character; a bad key is named with its characters escaped. Walks without
 * recursion (a deeply nested body cannot overflow the stack) and stops after `max` paths.
 */
export function forbiddenTextPaths(value: unknown, root: string, max = 20): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length && found.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (FORBIDDEN_TEXT.test(v)) found.push(path);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        const safeKey = FORBIDDEN_TEXT.test(k) ? JSON.stringify(k).slice(1, -1) : k;
        if (safeKey !== k) found.push(`${path}.${safeKey}`);
        else stack.push([x, `${path}.${k}`]);
      }
    }
  }
  return found.slice(0, max);
}

/** UUIDs are case-insensitive; ids in the database, caches and scopes are lower case. */
export const uuid = z.string().uuid('应为 UUID').transform((s) => s.toLowerCase());
/** Short free text (names, titles, reasons). */
export const text = (max = 200) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);

export interface Page<T> { items: T[]; total: number; page: number; pageSize: number }
export const page = <T>(items: T[], total: number, p: { page: number; pageSize: number }): Page<T> => ({
  items, total, page: p.page, pageSize: p.pageSize,
});
