import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Db } from '../db/index.js';
import type { Actor } from '../auth/actor.js';
import { page, pageQuery, uuid } from '../http/schemas.js';
import type { JobRow } from '../db/schema.js';
import { notFound } from '../http/errors.js';
import { registerFileAccess } from '../files/service.js';

/** Sees every job, not only one's own (granted to no role by default). */
export const JOB_READ_ALL = 'job:read_all';

async function mayReadJob(db: Db, actor: Actor, jobId: string): Promise<boolean> {
  if (actor.permissions.has(JOB_READ_ALL)) return true;
  const job = await db.selectFrom('jobs').select('created_by').where('id', '=', jobId).executeTakeFirst();
  return job?.created_by === actor.userId;
}

const JOB_COLUMNS = ['id', 'kind', 'status', 'created_by', 'processed', 'succeeded', 'failed', 'error_file_id', 'result_file_id', 'created_at', 'finished_at', 'error', 'result'] as const;
type JobView = Pick<JobRow, (typeof JOB_COLUMNS)[number]>;

/** A job as API.md shows it, plus its times, its failure message and the handler's summary (`result`). */
function jobView(job: JobView) {
  const fileUrl = (id: string | null) => (id ? `/api/v1/files/${id}` : undefined);
  return {
    id: job.id, kind: job.kind, status: job.status,
    processed: job.processed, succeeded: job.succeeded, failed: job.failed,
    errorFileUrl: fileUrl(job.error_file_id), resultUrl: fileUrl(job.result_file_id),
    createdAt: job.created_at, finishedAt: job.finished_at ?? undefined, error: job.error ?? undefined,
    result: job.result ?? undefined,
  };
}

export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  // A job's result and error files are readable by whoever may read the job.
  registerFileAccess('job', mayReadJob);

  // The caller's own jobs, newest first: "my imports / exports" with their outcome and files.
  r.get('/api/v1/jobs', {
    schema: { tags: ['platform'], querystring: z.strictObject({ ...pageQuery, kind: z.string().max(100).optional() }) },
  }, async (req) => {
    const { kind, page: p, pageSize } = req.query;
    let q = db().selectFrom('jobs').where('created_by', '=', req.actor!.userId);
    if (kind) q = q.where('kind', '=', kind);
    const [rows, count] = await Promise.all([
      q.select(JOB_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(pageSize).offset((p - 1) * pageSize).execute(),
      q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return page(rows.map(jobView), Number(count.n), req.query);
  });

  r.get('/api/v1/jobs/:id', { schema: { tags: ['platform'], params: z.strictObject({ id: uuid }) } }, async (req) => {
    const job = await db().selectFrom('jobs').select(JOB_COLUMNS).where('id', '=', req.params.id).executeTakeFirst();
    if (!job || (job.created_by !== req.actor!.userId && !req.actor!.permissions.has(JOB_READ_ALL))) throw notFound('未找到该任务。');
    return jobView(job);
  });
}
