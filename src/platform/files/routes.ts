import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { uuid } from '../http/schemas.js';
import { notFound } from '../http/errors.js';
import { recordAudit } from '../audit/service.js';
import { contentDisposition, mayReadFile, openFile } from './service.js';

export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;

  // Visible to the uploader and to whoever the owning record's access check allows; 404 to anyone
  // else, so a file's existence never leaks.
  r.get('/api/v1/files/:id', { schema: { tags: ['platform'], params: z.strictObject({ id: uuid }) } }, async (req, reply) => {
    const row = await db().selectFrom('files').select(['id', 'created_by', 'owner_kind', 'owner_id']).where('id', '=', req.params.id).executeTakeFirst();
    if (!row || !(await mayReadFile(db(), req.actor!, row))) throw notFound('未找到该文件。');
    const file = await openFile(db(), row.id, app.ctx.config.dataDir);
    await recordAudit(db(), {
      actorId: req.actor!.userId, actorName: req.actor!.name, action: 'file.download', entity: 'file', entityId: file.id, ip: req.ip,
      summary: { ownerKind: file.ownerKind, size: file.size },
    });
    const inline = file.mime.startsWith('image/') || file.mime === 'application/pdf';
    return reply.type(file.mime).header('content-length', file.size)
      .header('content-disposition', contentDisposition(file.originalName, inline ? 'inline' : 'attachment'))
      .send(file.stream());
  });
}
