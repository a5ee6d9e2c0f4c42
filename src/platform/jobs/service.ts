import { sql, type UpdateObject } from 'kysely';
import type { Db, Tx } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import type { DB, JobRow } from '../db/schema.js';
import { attachFile, fileStoreDir } from '../files/service.js';

/**
 * Background jobs (后台任务): imports, exports, comparisons. A job row is claimed atomically
 * (`FOR UPDATE SKIP LOCKED`), so several server processes never run one job twice. A running job
 * beats its heartbeat; a job whose heartbeat is older than `staleAfterMs` belongs to a process that
 * died and is claimed again, continuing from its `cursor`, at most `maxAttempts` runs in all.
 */
export type { JobRow };
export type JobStatus = JobRow['status'];

export interface JobCounts { processed: number; succeeded: number; failed: number }
export interface JobProgress extends JobCounts {
  /** Where a resumed run continues; left unchanged when omitted. */
  cursor?: unknown;
}

export interface JobContext {
  db: Db;
  /** The claimed row: `params`, and `cursor` + counters as last committed (non-null on a resumed run). */
  job: JobRow;
  /** Data directory for stored files. */
  dataDir: string;
  /**
   * Persists counters, cursor and heartbeat. Await it (it throws JobLostError when another runner
   * took the job over), and never call it inside an open transaction: use `progressIn` there.
   */
  progress(p: JobProgress): Promise<void>;
  /** The same inside the transaction that wrote the chunk's rows: data and counters commit together. */
  progressIn(tx: Tx, p: JobProgress): Promise<void>;
  setResult(result: unknown): Promise<void>;
  attachErrorFile(fileId: string): Promise<void>;
  attachResultFile(fileId: string): Promise<void>;
}

export type JobHandler = (ctx: JobContext) => Promise<void>;

/** A failure whose message is meant for the user (zh-CN, no personal data). */
export class JobError extends Error {}
/** The job was claimed by another runner (this one's heartbeat lapsed): stop without writing. */
export class JobLostError extends Error {
  constructor() { super('job lost to another runner'); }
}

const handlers = new Map<string, JobHandler>();

export function registerJobKind(kind: string, handler: JobHandler): void {
  handlers.set(kind, handler);
}

export async function enqueueJob(db: Db, input: { kind: string; params?: unknown; createdBy: string | null }): Promise<string> {
  const id = uuidv7();
  await db.insertInto('jobs').values({
    id, kind: input.kind, status: 'queued', created_by: input.createdBy, attempts: 0,
    params: JSON.stringify(input.params ?? {}), processed: 0, succeeded: 0, failed: 0,
    cursor: null, result: null, error: null, error_file_id: null, result_file_id: null,
    started_at: null, finished_at: null, heartbeat_at: null,
  }).execute();
  return id;
}

export interface RunnerOptions {
  /** Data directory for stored files (default: the one configured for the file store). */
  dataDir?: string;
  /** A running job whose heartbeat is older than this belongs to a dead process. */
  staleAfterMs?: number;
  /** How often a running job's heartbeat is refreshed while its handler works. */
  heartbeatMs?: number;
  /** Runs in all (first run and resumptions) before a job is given up. */
  maxAttempts?: number;
  /** Told about handler failures (the stored message is generic unless the error is meant for users). */
  onError?: (err: unknown, job?: JobRow) => void;
}

const DEFAULTS = { staleAfterMs: 60_000, heartbeatMs: 15_000, maxAttempts: 3 };
const GENERIC_FAILURE = '任务执行失败，请稍后重试或联系系统管理员。';
const GAVE_UP = '任务多次中断未能完成，已停止重试，请重新提交。';

/**
 * The message stored on a failed job. Our own messages are Chinese and written for users; anything
 * else (driver, library, programming errors) may carry data values and is replaced by a generic text.
 */
function userMessage(err: unknown): string {
  if (err instanceof JobError) return err.message;
  const message = err instanceof Error ? err.message : '';
  return /[\u4e00-\u9fff]/.test(message) ? message.slice(0, 1000) : GENERIC_FAILURE;
}

const staleBefore = (ms: number) => sql<Date>`now() - ${ms} * interval '1 millisecond'`;

/** Jobs whose processes died `maxAttempts` times are failed instead of claimed again. */
async function giveUpExhausted(db: Db, o: typeof DEFAULTS): Promise<void> {
  await db.updateTable('jobs').set({ status: 'failed', error: GAVE_UP, finished_at: sql`now()` })
    .where('status', '=', 'running').where('heartbeat_at', '<', staleBefore(o.staleAfterMs))
    .where('attempts', '>=', o.maxAttempts).execute();
}

/** Claims the oldest queued job, or a running one whose heartbeat is stale; one statement, so one claimer wins. */
async function claimJob(db: Db, o: typeof DEFAULTS): Promise<JobRow | undefined> {
  return db.updateTable('jobs')
    .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), started_at: sql`coalesce(started_at, now())`, heartbeat_at: sql`now()` }))
    .where('id', '=', (eb) => eb.selectFrom('jobs').select('id')
      .where((w) => w.or([
        w('status', '=', 'queued'),
        w.and([w('status', '=', 'running'), w('heartbeat_at', '<', staleBefore(o.staleAfterMs)), w('attempts', '<', o.maxAttempts)]),
      ]))
      .orderBy('created_at').orderBy('id').limit(1).forUpdate().skipLocked())
    .returningAll()
    .executeTakeFirst();
}

/** Claims and runs one job; false when there was none. */
export async function runOneJob(db: Db, opts: RunnerOptions = {}): Promise<boolean> {
  const o = { ...DEFAULTS, ...opts };
  const dataDir = fileStoreDir(opts.dataDir);
  await giveUpExhausted(db, o);
  const job = await claimJob(db, o);
  if (!job) return false;

  // Every write is conditional on this claim (status running, same attempt): a runner whose job was
  // taken over after its heartbeat lapsed cannot write over the new run.
  const mine = (q: Db) => q.updateTable('jobs').where('id', '=', job.id).where('status', '=', 'running').where('attempts', '=', job.attempts);
  const write = async (q: Db, set: UpdateObject<DB, 'jobs'>) => {
    const r = await mine(q).set(set).executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new JobLostError();
  };
  const progressSet = (p: JobProgress) => ({
    processed: p.processed, succeeded: p.succeeded, failed: p.failed, heartbeat_at: sql<Date>`now()`,
    ...(p.cursor === undefined ? {} : { cursor: JSON.stringify(p.cursor) }),
  });
  const attach = async (column: 'error_file_id' | 'result_file_id', fileId: string) => {
    await attachFile(db, fileId, 'job', job.id);
    await write(db, { [column]: fileId });
  };
  const ctx: JobContext = {
    db, job, dataDir,
    progress: (p) => write(db, progressSet(p)),
    progressIn: (tx, p) => write(tx, progressSet(p)),
    setResult: (result) => write(db, { result: JSON.stringify(result ?? null) }),
    attachErrorFile: (fileId) => attach('error_file_id', fileId),
    attachResultFile: (fileId) => attach('result_file_id', fileId),
  };

  const beat = setInterval(() => { mine(db).set({ heartbeat_at: sql`now()` }).execute().catch(() => {}); }, o.heartbeatMs);
  beat.unref();
  try {
    const handler = handlers.get(job.kind);
    if (!handler) throw new JobError(`未知的任务类型：${job.kind}`);
    await handler(ctx);
    await write(db, { status: 'done', finished_at: sql`now()`, heartbeat_at: sql`now()` });
  } catch (err) {
    if (err instanceof JobLostError) return true;
    opts.onError?.(err, job);
    await mine(db).set({ status: 'failed', error: userMessage(err), finished_at: sql`now()` }).execute();
  } finally {
    clearInterval(beat);
  }
  return true;
}

/** Runs jobs until none is waiting; returns how many it ran (tests and scripts). */
export async function runPendingJobs(db: Db, opts: RunnerOptions = {}): Promise<number> {
  let n = 0;
  while (await runOneJob(db, opts)) n++;
  return n;
}

/** Polls for jobs every `intervalMs`; the returned function stops polling and waits for the job in hand. */
export function startJobRunner(db: Db, opts: RunnerOptions & { intervalMs?: number } = {}): () => Promise<void> {
  let stopped = false;
  let busy: Promise<void> | null = null;
  const tick = async () => {
    while (!stopped && (await runOneJob(db, opts)));
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = tick().catch((err) => opts.onError?.(err)).finally(() => { busy = null; });
  }, opts.intervalMs ?? 1000);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await busy;
  };
}
