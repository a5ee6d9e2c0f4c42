import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { errorOf, testApp, type TestApp } from '../../../test/helpers/app.js';
import { inTransaction } from '../db/index.js';
import { extendRole } from '../org/roles.js';
import { storeFile } from '../files/index.js';
import { writeErrorFile } from '../excel/index.js';
import { enqueueJob, JobError, registerJobKind, runPendingJobs, startJobRunner, type JobContext } from './index.js';

let t: TestApp;
let userId: (username: string) => Promise<string>;
const job = (id: string) => t.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

beforeAll(async () => {
  // A job read by an auditor-like role that may see everyone's jobs.
  extendRole('discipline', ['job:read_all']);
  t = await testApp();
  userId = async (username) => (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
  await sql`create table job_test_items (job_id uuid not null, n integer not null)`.execute(t.db);
});
afterAll(async () => { await t.close(); });

/** Runs `fn` with a fresh job kind registered and a job of it queued by `createdBy`. */
async function queued(handler: (ctx: JobContext) => Promise<void>, createdBy: string | null = null, params: unknown = {}) {
  const kind = `test.${Math.random().toString(36).slice(2)}`;
  registerJobKind(kind, handler);
  return { kind, id: await enqueueJob(t.db, { kind, params, createdBy }) };
}

describe('running jobs', () => {
  it('a job runs once and reports its counters at GET /api/v1/jobs/:id', async () => {
    const owner = await userId('liuguan');
    const { id, kind } = await queued(async (ctx) => {
      expect(ctx.job.params).toEqual({ rows: 3 });
      await ctx.progress({ processed: 2, succeeded: 2, failed: 0, cursor: { next: 2 } });
      await ctx.progress({ processed: 3, succeeded: 2, failed: 1, cursor: { next: 3 } });
      await ctx.setResult({ note: 'ok' });
    }, owner, { rows: 3 });
    const c = await t.login('liuguan');
    const before = (await c.get(`/api/v1/jobs/${id}`)).json();
    expect(before).toMatchObject({ id, kind, status: 'queued', processed: 0, succeeded: 0, failed: 0 });
    expect(before.finishedAt).toBeUndefined();

    expect(await runPendingJobs(t.db)).toBe(1);
    const res = await c.get(`/api/v1/jobs/${id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'failed', 'finishedAt', 'id', 'kind', 'processed', 'result', 'status', 'succeeded']);
    expect(body).toMatchObject({ id, kind, status: 'done', processed: 3, succeeded: 2, failed: 1, result: { note: 'ok' } });
    expect(Date.parse(body.finishedAt)).toBeGreaterThanOrEqual(Date.parse(body.createdAt));
    const row = await job(id);
    expect(row).toMatchObject({ attempts: 1, cursor: { next: 3 }, result: { note: 'ok' } });
    expect(await runPendingJobs(t.db)).toBe(0);
  });

  it('GET /api/v1/jobs lists only the caller\'s own jobs, newest first, filtered by kind', async () => {
    const mine = await userId('zhan-sh');
    const a = await queued(async () => {}, mine);
    const b = await queued(async () => {}, mine);
    const other = await queued(async () => {}, await userId('liuguan'));
    const c = await t.login('zhan-sh');
    const all = (await c.get('/api/v1/jobs?pageSize=200')).json();
    const ids = all.items.map((j: { id: string }) => j.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(ids).not.toContain(other.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(all.total).toBe(ids.length);
    const one = (await c.get(`/api/v1/jobs?kind=${encodeURIComponent(a.kind)}`)).json();
    expect(one.items.map((j: { id: string }) => j.id)).toEqual([a.id]);
    expect(one.items[0]).toMatchObject({ status: 'queued', processed: 0 });
    expect(errorOf(await c.get('/api/v1/jobs?owner=all')).code).toBe('VALIDATION_FAILED');
    await runPendingJobs(t.db);
  });

  it('only the job\'s creator (or job:read_all) sees it; anyone else gets 404', async () => {
    const { id } = await queued(async () => {}, await userId('zhan-sh'));
    expect((await (await t.login('zhan-sh')).get(`/api/v1/jobs/${id}`)).statusCode).toBe(200);
    const other = await t.login('wangge-sh-1');
    const res = await other.get(`/api/v1/jobs/${id}`);
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('NOT_FOUND');
    expect(errorOf(await other.get('/api/v1/jobs/018f0000-0000-7000-8000-000000000000')).code).toBe('NOT_FOUND');
    expect((await (await t.login('jigongwei')).get(`/api/v1/jobs/${id}`)).statusCode).toBe(200); // holds job:read_all here
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` })).statusCode).toBe(401);
    expect(errorOf(await other.get('/api/v1/jobs/123')).code).toBe('VALIDATION_FAILED');
    await runPendingJobs(t.db);
  });

  it('two runners never run the same job twice', async () => {
    const runs = new Map<string, number>();
    const kind = 'test.concurrent';
    registerJobKind(kind, async (ctx) => {
      runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
      await ctx.progress({ processed: 1, succeeded: 1, failed: 0 });
    });
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await enqueueJob(t.db, { kind, params: { i }, createdBy: null }));
    const counts = await Promise.all([runPendingJobs(t.db), runPendingJobs(t.db), runPendingJobs(t.db)]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    expect(ids.map((id) => runs.get(id))).toEqual(ids.map(() => 1));
    const rows = await t.db.selectFrom('jobs').select(['status', 'attempts']).where('id', 'in', ids).execute();
    expect(rows.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
  });

  it('a job whose process died is resumed from its cursor', async () => {
    // 10 items in chunks of 2; each chunk's rows and progress commit in one transaction. The first
    // run stops answering after two chunks (its process "dies": no more heartbeats); the second
    // run resumes at the cursor, and pauses after one chunk while the first one wakes up.
    const pause = () => {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((r) => { reached = r; });
      const releaseP = new Promise<void>((r) => { release = r; });
      return { reached: reachedP, release, wait: () => { reached(); return releaseP; } };
    };
    const first = pause();
    const second = pause();
    const starts: unknown[] = [];
    const { id } = await queued(async (ctx) => {
      const cursor = (ctx.job.cursor as { next: number } | null) ?? { next: 0 };
      starts.push(ctx.job.cursor);
      let done = cursor.next;
      while (done < 10) {
        if (ctx.job.attempts === 1 && done === 4) await first.wait();
        if (ctx.job.attempts === 2 && done === 6) await second.wait();
        const next = done + 2;
        await inTransaction(ctx.db, async (tx) => {
          for (let n = done; n < next; n++) await tx.insertInto('job_test_items' as never).values({ job_id: ctx.job.id, n } as never).execute();
          await ctx.progressIn(tx, { processed: next, succeeded: next, failed: 0, cursor: { next } });
        });
        done = next;
      }
    }, await userId('liuguan'));

    const firstRun = runPendingJobs(t.db);
    await first.reached;
    expect(await job(id)).toMatchObject({ status: 'running', attempts: 1, processed: 4, cursor: { next: 4 } });
    await sql`update jobs set heartbeat_at = now() - interval '2 minutes' where id = ${id}`.execute(t.db);

    const secondRun = runPendingJobs(t.db);
    await second.reached;
    expect(starts).toEqual([null, { next: 4 }]);
    // The first run wakes up: its next chunk is refused (the job is no longer its) and rolled back.
    first.release();
    expect(await firstRun).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'running', attempts: 2, processed: 6, cursor: { next: 6 } });

    second.release();
    expect(await secondRun).toBe(1);
    expect(await job(id)).toMatchObject({ status: 'done', attempts: 2, processed: 10, succeeded: 10, cursor: { next: 10 } });
    const items = await sql<{ n: number }>`select n from job_test_items where job_id = ${id} order by n`.execute(t.db);
    expect(items.rows.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a job interrupted three times is given up as failed', async () => {
    const { id } = await queued(async () => { throw new Error('must not run'); });
    await sql`update jobs set status = 'running', attempts = 3, heartbeat_at = now() - interval '2 minutes' where id = ${id}`.execute(t.db);
    expect(await runPendingJobs(t.db)).toBe(0);
    const row = await job(id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/多次中断/);
    // A running job with a fresh heartbeat belongs to a live process: left alone.
    const live = await queued(async () => { throw new Error('must not run'); });
    await sql`update jobs set status = 'running', attempts = 1, heartbeat_at = now() where id = ${live.id}`.execute(t.db);
    expect(await runPendingJobs(t.db)).toBe(0);
    expect((await job(live.id)).status).toBe('running');
    await sql`update jobs set status = 'failed' where id = ${live.id}`.execute(t.db);
  });

  it('a failing handler fails the job with a zh-CN message that carries no internal details', async () => {
    const owner = await userId('liuguan');
    const leaky = await queued(async () => { throw new Error('duplicate key value violates unique constraint "persons_id_hmac" (510102199001011234)'); }, owner);
    const meant = await queued(async () => { throw new JobError('文件中没有数据行。'); }, owner);
    const seen: unknown[] = [];
    await runPendingJobs(t.db, { onError: (e) => seen.push(e) });
    expect(seen).toHaveLength(2);
    const c = await t.login('liuguan');
    const a = (await c.get(`/api/v1/jobs/${leaky.id}`)).json();
    expect(a).toMatchObject({ status: 'failed', error: '任务执行失败，请稍后重试或联系系统管理员。' });
    expect(a.finishedAt).toBeDefined();
    expect((await c.get(`/api/v1/jobs/${meant.id}`)).json()).toMatchObject({ status: 'failed', error: '文件中没有数据行。' });
    // A kind no handler is registered for fails too, instead of staying queued.
    const unknown = await enqueueJob(t.db, { kind: 'test.nobody', createdBy: owner });
    await runPendingJobs(t.db);
    expect((await job(unknown)).error).toBe('未知的任务类型：test.nobody');
  });

  it('progress written inside the chunk\'s transaction rolls back with the chunk', async () => {
    const { id } = await queued(async (ctx) => {
      await inTransaction(ctx.db, async (tx) => {
        await tx.insertInto('job_test_items' as never).values({ job_id: ctx.job.id, n: 1 } as never).execute();
        await ctx.progressIn(tx, { processed: 1, succeeded: 1, failed: 0, cursor: { next: 1 } });
        throw new JobError('第 1 批写入失败。');
      });
    });
    await runPendingJobs(t.db);
    expect(await job(id)).toMatchObject({ status: 'failed', processed: 0, cursor: null, error: '第 1 批写入失败。' });
    const items = await sql<{ c: number }>`select count(*)::int as c from job_test_items where job_id = ${id}`.execute(t.db);
    expect(items.rows[0]!.c).toBe(0);
  });

  it('result and error files belong to the job: its creator downloads them, others get 404', async () => {
    const owner = await userId('zhan-sh');
    const { id } = await queued(async (ctx) => {
      const buffer = await writeErrorFile([{ rowNumber: 2, column: '姓名', reason: '不能为空' }]);
      // Stored without an uploader (as a system job would): readable through the job only.
      const errors = await storeFile(ctx.db, ctx.dataDir, { buffer, originalName: '导入错误清单.xlsx', createdBy: null, allowed: 'xlsx' });
      const result = await storeFile(ctx.db, ctx.dataDir, { buffer, originalName: '结果.xlsx', createdBy: null, allowed: 'xlsx' });
      await ctx.attachErrorFile(errors.id);
      await ctx.attachResultFile(result.id);
      await ctx.progress({ processed: 1, succeeded: 0, failed: 1 });
    }, owner);
    await runPendingJobs(t.db);
    const c = await t.login('zhan-sh');
    const body = (await c.get(`/api/v1/jobs/${id}`)).json();
    expect(body.errorFileUrl).toMatch(/^\/api\/v1\/files\/[0-9a-f-]{36}$/);
    expect(body.resultUrl).toMatch(/^\/api\/v1\/files\/[0-9a-f-]{36}$/);
    const file = await c.get(body.errorFileUrl);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(file.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const other = await t.login('wangge-sh-1');
    expect((await other.get(body.errorFileUrl)).statusCode).toBe(404);
    expect((await other.get(body.resultUrl)).statusCode).toBe(404);
  });

  it('a started runner picks up queued jobs; stopping it waits for the job in hand', async () => {
    let finish!: () => void;
    const gate = new Promise<void>((r) => { finish = r; });
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const { id } = await queued(async (ctx) => {
      started();
      await gate;
      await ctx.progress({ processed: 1, succeeded: 1, failed: 0 });
    });
    const stop = startJobRunner(t.db, { intervalMs: 10 });
    await running;
    const stopped = stop();
    finish();
    await stopped;
    expect((await job(id)).status).toBe('done');
    // Stopped: new jobs stay queued.
    const later = await queued(async () => {});
    await new Promise((r) => setTimeout(r, 50));
    expect((await job(later.id)).status).toBe('queued');
    await runPendingJobs(t.db);
  });
});
