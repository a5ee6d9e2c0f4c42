import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';

dayjs.extend(utc);
dayjs.extend(timezone);

/** Official time zone: every timestamp is shown in Asia/Shanghai, whatever the browser's zone. */
export const OFFICE_TZ = 'Asia/Shanghai';
export const DATE_FORMAT = 'YYYY-MM-DD';

/** A calendar date (YYYY-MM-DD string from the API) shown as YYYY-MM-DD. */
export function fmtDate(d: string | null | undefined): string {
  if (!d) return '';
  return d.length >= 10 ? d.slice(0, 10) : d;
}

/** An ISO timestamp shown as YYYY-MM-DD HH:mm in Asia/Shanghai. */
export function fmtDateTime(ts: string | null | undefined, withSeconds = false): string {
  if (!ts) return '';
  const d = dayjs(ts);
  if (!d.isValid()) return ts;
  return d.tz(OFFICE_TZ).format(withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm');
}

/** Today's date in the office time zone. */
export function officeToday(): Dayjs {
  return dayjs().tz(OFFICE_TZ);
}

export function officeTodayStr(): string {
  return officeToday().format(DATE_FORMAT);
}

/** A Dayjs from a picker to YYYY-MM-DD. */
export function toDateStr(d: Dayjs | null | undefined): string | undefined {
  return d ? d.format(DATE_FORMAT) : undefined;
}

/** ISO weekday 1 (Mon) … 7 (Sun) of a YYYY-MM-DD date. */
export function isoWeekday(date: string): number {
  const w = dayjs(date).day();
  return w === 0 ? 7 : w;
}

export function fmtInt(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'zh-CN').format(n);
}

export function fmtPercent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}
