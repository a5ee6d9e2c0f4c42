/**
 * Office time: the street works in Asia/Shanghai (UTC+8, no daylight saving). "Today" for post
 * validity, policy effective dates and deadlines is the office's date, never the database
 * session's time zone (UTC on both engines here) — pass it to SQL as a parameter.
 */
export const officeToday = (now = Date.now()): string => new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
