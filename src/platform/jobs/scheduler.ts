import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/**
 * Named periodic schedules (定时任务) on top of the database: each slot of a schedule runs exactly
 * once, however many server processes share one PostgreSQL, because a run starts by inserting its
 * `(name, slot)` row and only the process whose insert succeeded runs it. After downtime a schedule
 * runs once for its most recent missed slot (never once per missed slot, never twice). A run whose
 * process died (started, unfinished, older than `staleAfterMs`) is claimed again.
 *
 * Times are office time (Asia/Shanghai, UTC+8, no daylight saving).
 */
export type ScheduleSpec =
  /** Every n minutes, slots aligned to the hour. */
  | { everyMinutes: number }
  /** Once a day at HH:MM office time. */
  | { dailyAt: string };

export interface ScheduleContext { db: Db; slot: Date; now: Date }
export interface Schedule {
  name: string;
  spec: ScheduleSpec;
  run: (ctx: ScheduleContext) => Promise<void>;
}

const schedules = new Map<string, Schedule>();
const OFFICE_OFFSET_MS = 8 * 3_600_000;

export function registerSchedule(s: Schedule): void {
  if (schedules.has(s.name) && schedules.get(s.name) !== s) throw new Error(`schedule ${s.name} already registered`);
  const spec = s.spec as Record<string, unknown> | null;
  if (!spec || typeof spec !== 'object' || ('everyMinutes' in spec) === ('dailyAt' in spec)) throw new Error(`schedule ${s.name}: spec needs exactly one of everyMinutes, dailyAt`);
  if ('everyMinutes' in s.spec && !(Number.isInteger(s.spec.everyMinutes) && s.spec.everyMinutes >= 1 && s.spec.everyMinutes <= 1440)) throw new Error(`schedule ${s.name}: everyMinutes must be a whole number from 1 to 1440`);
  if ('dailyAt' in s.spec && !/^([01]\d|2[0-3]):[0-5]\d$/.test(s.spec.dailyAt)) throw new Error(`schedule ${s.name}: dailyAt must be HH:MM`);
  schedules.set(s.name, s);
}
export const registeredSchedules = (): Schedule[] => [...schedules.values()];

/** The latest slot of a spec at or before `now`. */
export function latestSlot(spec: ScheduleSpec, now: Date): Date {
  const t = now.getTime();
  if ('everyMinutes' in spec) {
    const step = spec.everyMinutes * 60_000;
    return new Date(Math.floor(t / step) * step);
  }
  const [h, m] = spec.dailyAt.split(':').map(Number) as [number, number];
  const local = t + OFFICE_OFFSET_MS;
  const dayStart = Math.floor(local / 86_400_000) * 86_400_000;
  let slotLocal = dayStart + (h * 60 + m) * 60_000;
  if (slotLocal > local) slotLocal -= 86_400_000;
  return new Date(slotLocal - OFFICE_OFFSET_MS);
}

export interface SchedulerOptions {
  now?: () => Date;
  staleAfterMs?: number;
  onError?: (err: unknown, name: string) => void;
  /** Only these schedules (tests); default all registered. */
  only?: Schedule[];
}

/** Claims the slot for this process; true when this process is the one to run it. */
async function claim(db: Db, name: string, slot: Date, staleAfterMs: number): Promise<boolean> {
  const inserted = await sql<{ name: string }>`insert into schedule_runs (name, slot) values (${name}, ${slot})
    on conflict do nothing returning name`.execute(db);
  if (inserted.rows.length > 0) return true;
  // The run of a process that died mid-run is taken over once it is stale.
  const retaken = await sql<{ name: string }>`update schedule_runs set started_at = now(), error = null
    where name = ${name} and slot = ${slot} and finished_at is null
      and started_at < now() - ${staleAfterMs} * interval '1 millisecond' returning name`.execute(db);
  return retaken.rows.length > 0;
}

/** Runs every schedule whose latest slot has not run yet; returns the names it ran. */
export async function runDueSchedules(db: Db, opts: SchedulerOptions = {}): Promise<string[]> {
  const now = opts.now?.() ?? new Date();
  const ran: string[] = [];
  for (const s of opts.only ?? registeredSchedules()) {
    const slot = latestSlot(s.spec, now);
    if (!(await claim(db, s.name, slot, opts.staleAfterMs ?? 600_000))) continue;
    let error: string | null = null;
    try {
      await s.run({ db, slot, now });
      ran.push(s.name);
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).slice(0, 1000);
      opts.onError?.(e, s.name);
    }
    await sql`update schedule_runs set finished_at = now(), error = ${error} where name = ${s.name} and slot = ${slot}`.execute(db);
  }
  return ran;
}

/** Checks schedules every `intervalMs`; the returned function stops and waits for a run in hand. */
export function startScheduler(db: Db, opts: SchedulerOptions & { intervalMs?: number } = {}): () => Promise<void> {
  let busy: Promise<unknown> | null = null;
  let stopped = false;
  const tick = () => {
    if (busy || stopped) return;
    busy = runDueSchedules(db, opts).catch((e) => opts.onError?.(e, '*')).finally(() => { busy = null; });
  };
  const timer = setInterval(tick, opts.intervalMs ?? 30_000);
  timer.unref();
  tick();
  return async () => { stopped = true; clearInterval(timer); await busy; };
}

/** Past runs of a schedule, newest first (for the admin's view and tests). */
export async function scheduleRuns(db: Db, name: string) {
  const r = await sql<{ slot: Date; started_at: Date; finished_at: Date | null; error: string | null }>`
    select slot, started_at, finished_at, error from schedule_runs where name = ${name} order by slot desc limit 100`.execute(db);
  return r.rows;
}
