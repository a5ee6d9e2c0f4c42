import { z } from 'zod';

/** Shared request schemas: every route uses these so limits are the same everywhere. */
export const MAX_PAGE_SIZE = 200;

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
};

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD').refine((s) => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}, '日期不存在');

/** UUIDs are case-insensitive; ids in the database, caches and scopes are lower case. */
export const uuid = z.string().uuid('应为 UUID').transform((s) => s.toLowerCase());
/** Short free text (names, titles, reasons). */
export const text = (max = 200) => z.string().trim().min(1, '不能为空').max(max, `不能超过 ${max} 个字符`);

export interface Page<T> { items: T[]; total: number; page: number; pageSize: number }
export const page = <T>(items: T[], total: number, p: { page: number; pageSize: number }): Page<T> => ({
  items, total, page: p.page, pageSize: p.pageSize,
});
