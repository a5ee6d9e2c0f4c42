import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Db } from '../db/index.js';
import type { Actor } from '../auth/actor.js';
import { uuid } from '../http/schemas.js';
import { notFound } from '../http/errors.js';
import { registerFileAccess } from '../files/service.js';

/** Sees every job, not only one's own (granted to no role by default). */
export const JOB_READ_ALL = 'job:read_all';

async function mayReadJob(db: Db, actor: Actor, jobId: string): Promise<boolean> {
  if (actor.permissions.has(JOB_READ_ALL)) return true;
  const job = await db.selectFrom('jobs').select('created_by').where('id', '=', jobId).executeTakeFirst();
  return job?.created_by === actor.userId;
}

export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  // A job's result and error files are readable by whoever may read the job.
  registerFileAccess('job', mayReadJob);

  r.get('/api/v1/jobs/:id', { schema: { tags: ['platform'], params: z.strictObject({ id: uuid }) } }, async (req) => {
    const job = await db().selectFrom('jobs')
      .select(['id', 'kind', 'status', 'created_by', 'processed', 'succeeded', 'failed', 'error_file_id', 'result_file_id', 'created_at', 'finished_at', 'error'])
      .where('id', '=', req.params.id).executeTakeFirst();
    if (!job || (job.created_by !== req.actor!.userId && !req.actor!.permissions.has(JOB_READ_ALL))) throw notFound('未找到该任务。');
    const fileUrl = (id: string | null) => (id ? `/api/v1/files/${id}` : undefined);
    return {
      id: job.id, kind: job.kind, status: job.status,
      processed: job.processed, succeeded: job.succeeded, failed: job.failed,
      errorFileUrl: fileUrl(job.error_file_id), resultUrl: fileUrl(job.result_file_id),
      createdAt: job.created_at, finishedAt: job.finished_at ?? undefined, error: job.error ?? undefined,
    };
  });
}
