/**
 * Office time: the street works in Asia/Shanghai (UTC+8, no daylight saving). "Today" for post
 * validity, policy effective dates and deadlines is the office's date, never the database
 * session's time zone (UTC on both engines here) — pass it to SQL as a parameter.
 */
export const officeToday = (now = Date.now()): string => new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);

/** The instant an office day begins (00:00 Asia/Shanghai), for filtering timestamps by office date. */
export const officeDayStart = (date: string): Date => new Date(`${date}T00:00:00+08:00`);
/** The instant the office day after `date` begins: `at < officeDayEnd(to)` keeps the whole of `to`. */
export const officeDayEnd = (date: string): Date => new Date(officeDayStart(date).getTime() + 86_400_000);
