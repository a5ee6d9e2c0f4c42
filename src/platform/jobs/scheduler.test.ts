import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { freshDatabase, onPostgres } from '../../../test/helpers/app.js';
import { openDatabase, type Db } from '../db/index.js';
import { migrateToLatest } from '../db/migrator.js';
import { latestSlot, registerSchedule, registeredSchedules, runDueSchedules, scheduleRuns, type Schedule, type ScheduleSpec } from './scheduler.js';

/**
 * The scheduler's rules (scheduler.ts, PRODUCT.md M1 "scheduled jobs run once even with several
 * server instances"), one test per rule. Each test uses schedules of its own, registered under a
 * unique name, and drives `runDueSchedules` with an explicit clock.
 */
let db: Db;
let drop: () => Promise<void>;
beforeAll(async () => {
  const fresh = await freshDatabase();
  db = fresh.database.db;
  drop = fresh.drop;
  await migrateToLatest(db);
}, 120_000);
afterAll(async () => { await drop?.(); });

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => new Date(iso);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let seq = 0;
/** A registered test schedule that records the slot of every run (and may wait or fail). */
function testSchedule(spec: ScheduleSpec, behave: (slot: Date) => Promise<void> = async () => {}): Schedule & { slots: string[] } {
  const slots: string[] = [];
  const s: Schedule & { slots: string[] } = {
    name: `test.schedule-${process.pid}-${++seq}`,
    spec,
    slots,
    run: async ({ slot }) => { slots.push(slot.toISOString()); await behave(slot); },
  };
  registerSchedule(s);
  return s;
}
const runAt = (s: Schedule | Schedule[], now: Date, d: Db = db, extra: { staleAfterMs?: number; onError?: (e: unknown, name: string) => void } = {}) =>
  runDueSchedules(d, { only: Array.isArray(s) ? s : [s], now: () => now, ...extra });
const runsOf = async (name: string) => (await scheduleRuns(db, name)).map((r) => ({ slot: new Date(r.slot).toISOString(), finished: r.finished_at !== null, error: r.error }));

/** A second connection pool on the same database (PostgreSQL), or the same database (PGlite: one process). */
async function secondPool(): Promise<{ db: Db; close: () => Promise<void> }> {
  if (!onPostgres()) return { db, close: async () => {} };
  const name = (await sql<{ n: string }>`select current_database() as n`.execute(db)).rows[0]!.n;
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${name}`;
  const d = await openDatabase({ databaseUrl: u.toString(), poolSize: 4 });
  return { db: d.db, close: d.close };
}

describe('missed slots after downtime', () => {
  it('after downtime a schedule runs once for its most recent missed slot, never once per missed slot and never twice', async () => {
    const s = testSchedule({ everyMinutes: 60 });
    expect(await runAt(s, at('2026-03-02T01:30:00Z'))).toEqual([s.name]);
    // Same hour again: already run.
    expect(await runAt(s, at('2026-03-02T01:59:59Z'))).toEqual([]);
    // Down from 02:00 to 06:30: four slots (02, 03, 04, 05) missed; only 06:00 runs.
    expect(await runAt(s, at('2026-03-02T06:30:00Z'))).toEqual([s.name]);
    expect(await runAt(s, at('2026-03-02T06:45:00Z'))).toEqual([]);
    expect(await runAt(s, at('2026-03-02T06:31:00Z'))).toEqual([]);
    expect(s.slots).toEqual(['2026-03-02T01:00:00.000Z', '2026-03-02T06:00:00.000Z']);
    expect((await runsOf(s.name)).map((r) => r.slot)).toEqual(['2026-03-02T06:00:00.000Z', '2026-03-02T01:00:00.000Z']);
  });

  it('a daily schedule down for several days runs once, for the latest day\'s slot', async () => {
    const s = testSchedule({ dailyAt: '09:00' });
    // 10:00 office time on 2 March.
    expect(await runAt(s, at('2026-03-02T02:00:00Z'))).toEqual([s.name]);
    // Down until 3 p.m. office time on 6 March: 3, 4, 5 and 6 March missed; only 6 March runs.
    expect(await runAt(s, at('2026-03-06T07:00:00Z'))).toEqual([s.name]);
    expect(await runAt(s, at('2026-03-06T15:59:00Z'))).toEqual([]);
    expect(s.slots).toEqual(['2026-03-02T01:00:00.000Z', '2026-03-06T01:00:00.000Z']);
  });
});

describe('several processes', () => {
  it('two database pools on the same database running runDueSchedules at the same time run each slot exactly once', async () => {
    // Each run takes a while, so the passes really overlap.
    const a = testSchedule({ everyMinutes: 15 }, () => sleep(30));
    const b = testSchedule({ dailyAt: '09:00' }, () => sleep(30));
    const other = await secondPool();
    try {
      const nows = ['2026-04-01T01:05:00Z', '2026-04-01T01:20:00Z', '2026-04-01T01:25:00Z', '2026-04-02T01:01:00Z'].map(at);
      const ran: string[] = [];
      for (const now of nows) {
        // Four passes at once: two on each pool.
        const passes = await Promise.all([db, other.db, db, other.db].map((d) => runAt([a, b], now, d)));
        ran.push(...passes.flat());
      }
      expect(a.slots).toEqual(['2026-04-01T01:00:00.000Z', '2026-04-01T01:15:00.000Z', '2026-04-02T01:00:00.000Z']);
      expect(b.slots).toEqual(['2026-04-01T01:00:00.000Z', '2026-04-02T01:00:00.000Z']);
      expect(ran.filter((n) => n === a.name)).toHaveLength(3);
      expect(ran.filter((n) => n === b.name)).toHaveLength(2);
      expect((await runsOf(a.name)).every((r) => r.finished && r.error === null)).toBe(true);
    } finally { await other.close(); }
  });

  it('a run whose process died (started, unfinished, older than staleAfterMs) is claimed again once', async () => {
    const s = testSchedule({ everyMinutes: 60 }, () => sleep(20));
    const slot = at('2026-05-01T08:00:00Z');
    const now = at('2026-05-01T08:10:00Z');
    // A process claimed the slot 20 minutes ago and died mid-run.
    await sql`insert into schedule_runs (name, slot, started_at) values (${s.name}, ${slot}, now() - interval '20 minutes')`.execute(db);
    // With a 30-minute threshold the run still belongs to its (possibly slow) process.
    expect(await runAt(s, now, db, { staleAfterMs: 30 * MIN })).toEqual([]);
    expect(s.slots).toEqual([]);
    const other = await secondPool();
    try {
      // Past a 10-minute threshold it is stale: taken over exactly once, even by passes on two pools at once.
      const passes = await Promise.all([db, other.db, db, other.db].map((d) => runAt(s, now, d, { staleAfterMs: 10 * MIN })));
      expect(passes.flat()).toEqual([s.name]);
    } finally { await other.close(); }
    expect(s.slots).toEqual([slot.toISOString()]);
    expect(await runsOf(s.name)).toEqual([{ slot: slot.toISOString(), finished: true, error: null }]);
    // Finished now: never claimed again, however small the threshold.
    expect(await runAt(s, now, db, { staleAfterMs: 1 })).toEqual([]);
    expect(s.slots).toHaveLength(1);
  });

  it('a run in progress (unfinished but not stale) is not run by a second process', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const s = testSchedule({ everyMinutes: 60 }, () => gate);
    const now = at('2026-05-02T08:10:00Z');
    const first = runAt(s, now);
    // Wait until the first pass has claimed the slot and is inside the run.
    for (let i = 0; i < 200 && s.slots.length === 0; i++) await sleep(5);
    expect(s.slots).toHaveLength(1);
    // A second pass meanwhile returns at once without running (were it to run, it would wait at the gate).
    const second = await Promise.race([runAt(s, now, db, { staleAfterMs: 10 * MIN }), sleep(1000).then(() => 'still running')]);
    release();
    expect(second).toEqual([]);
    expect(await first).toEqual([s.name]);
    expect(s.slots).toHaveLength(1);
  });
});

describe('slots in office time', () => {
  it('dailyAt slots are in office time Asia/Shanghai (dailyAt 09:00 → 01:00 UTC)', async () => {
    const nine = { dailyAt: '09:00' };
    expect(latestSlot(nine, at('2026-06-10T01:00:00Z')).toISOString()).toBe('2026-06-10T01:00:00.000Z');
    expect(latestSlot(nine, at('2026-06-10T00:59:59Z')).toISOString()).toBe('2026-06-09T01:00:00.000Z');
    // 20:00 UTC is already 04:00 on 11 June in the office: that day's 09:00 has not come yet.
    expect(latestSlot(nine, at('2026-06-10T20:00:00Z')).toISOString()).toBe('2026-06-10T01:00:00.000Z');
    // Office midnight is 16:00 UTC the day before; 23:30 office time is 15:30 UTC.
    expect(latestSlot({ dailyAt: '00:00' }, at('2026-06-10T16:00:00Z')).toISOString()).toBe('2026-06-10T16:00:00.000Z');
    expect(latestSlot({ dailyAt: '00:00' }, at('2026-06-10T15:59:00Z')).toISOString()).toBe('2026-06-09T16:00:00.000Z');
    expect(latestSlot({ dailyAt: '23:30' }, at('2026-06-10T15:45:00Z')).toISOString()).toBe('2026-06-10T15:30:00.000Z');
    expect(latestSlot({ dailyAt: '23:30' }, at('2026-06-10T15:29:00Z')).toISOString()).toBe('2026-06-09T15:30:00.000Z');
    // everyMinutes slots fall on the hour and its quarters.
    expect(latestSlot({ everyMinutes: 15 }, at('2026-06-10T10:07:30Z')).toISOString()).toBe('2026-06-10T10:00:00.000Z');
    expect(latestSlot({ everyMinutes: 15 }, at('2026-06-10T10:15:00Z')).toISOString()).toBe('2026-06-10T10:15:00.000Z');

    // Through the runner: 08:30 office time runs the previous day's slot, 09:05 today's.
    const s = testSchedule(nine);
    expect(await runAt(s, at('2026-06-10T00:30:00Z'))).toEqual([s.name]);
    expect(await runAt(s, at('2026-06-10T00:59:00Z'))).toEqual([]);
    expect(await runAt(s, at('2026-06-10T01:05:00Z'))).toEqual([s.name]);
    expect(s.slots).toEqual(['2026-06-09T01:00:00.000Z', '2026-06-10T01:00:00.000Z']);
  });
});

describe('failures', () => {
  it('a failing run records its error and does not block the next slot (nor the other schedules of the pass)', async () => {
    let fail = true;
    const s = testSchedule({ everyMinutes: 60 }, async () => { if (fail) throw new Error('数据源暂不可用'); });
    const after = testSchedule({ everyMinutes: 60 });
    const errors: [string, string][] = [];
    const onError = (e: unknown, name: string) => { errors.push([name, (e as Error).message]); };
    expect(await runAt([s, after], at('2026-07-01T03:10:00Z'), db, { onError })).toEqual([after.name]);
    expect(errors).toEqual([[s.name, '数据源暂不可用']]);
    expect(await runsOf(s.name)).toEqual([{ slot: '2026-07-01T03:00:00.000Z', finished: true, error: '数据源暂不可用' }]);
    expect(await runsOf(after.name)).toEqual([{ slot: '2026-07-01T03:00:00.000Z', finished: true, error: null }]);
    // The next slot runs as usual.
    fail = false;
    expect(await runAt([s, after], at('2026-07-01T04:00:00Z'), db, { onError })).toEqual([s.name, after.name]);
    expect(await runsOf(s.name)).toEqual([
      { slot: '2026-07-01T04:00:00.000Z', finished: true, error: null },
      { slot: '2026-07-01T03:00:00.000Z', finished: true, error: '数据源暂不可用' },
    ]);
    expect(errors).toHaveLength(1);
  });
});

describe('registration', () => {
  const run = async () => {};
  const refused = (spec: unknown) => {
    const name = `test.invalid-${++seq}`;
    expect(() => registerSchedule({ name, spec: spec as ScheduleSpec, run }), JSON.stringify(spec)).toThrow();
    expect(registeredSchedules().some((s) => s.name === name)).toBe(false);
  };

  it('invalid specs are refused at registration', () => {
    for (const everyMinutes of [0, -5, 1441, Number.NaN, Number.POSITIVE_INFINITY, 1.5]) refused({ everyMinutes });
    for (const dailyAt of ['24:00', '9:00', '09:60', '0900', '09:00:00', '', 'noon', ' 09:00']) refused({ dailyAt });
    refused({ dailyAt: 900 });
    // Neither kind, or both at once.
    refused({});
    refused({ everyMinutes: 60, dailyAt: '09:00' });
    refused(null);
    // Valid specs at their bounds are accepted.
    for (const spec of [{ everyMinutes: 1 }, { everyMinutes: 1440 }, { dailyAt: '00:00' }, { dailyAt: '23:59' }]) {
      const name = `test.valid-${++seq}`;
      registerSchedule({ name, spec, run });
      expect(registeredSchedules().some((s) => s.name === name)).toBe(true);
    }
  });

  it('a second schedule under a taken name is refused; registering the same schedule again is harmless', () => {
    const s = testSchedule({ everyMinutes: 5 });
    expect(() => registerSchedule(s)).not.toThrow();
    expect(() => registerSchedule({ name: s.name, spec: { everyMinutes: 5 }, run })).toThrow(/already registered/);
    expect(registeredSchedules().filter((x) => x.name === s.name)).toEqual([s]);
  });
});
