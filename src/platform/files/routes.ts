import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { uuid } from '../http/schemas.js';
import { notFound } from '../http/errors.js';
import { recordAudit } from '../audit/service.js';
import { contentDisposition, fileExpired, mayReadFile, openFile, VERIFY_BEFORE_SEND_BYTES } from './service.js';
import { FileIntegrityError } from './sealed.js';

export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;

  // Visible to the uploader and to whoever the owning record's access check allows; 404 to anyone
  // else, so a file's existence never leaks. An expired file answers 410 to those who may read it.
  r.get('/api/v1/files/:id', { schema: { tags: ['platform'], params: z.strictObject({ id: uuid }) } }, async (req, reply) => {
    const row = await db().selectFrom('files').select(['id', 'created_by', 'owner_kind', 'owner_id', 'expired_at']).where('id', '=', req.params.id).executeTakeFirst();
    if (!row || !(await mayReadFile(db(), req.actor!, row))) throw notFound('未找到该文件。');
    if (row.expired_at) throw fileExpired();
    const file = await openFile(db(), row.id, app.ctx.config.dataDir);
    // Decrypted as it is sent; each segment is released only once its tag checks. A file up to
    // VERIFY_BEFORE_SEND_BYTES is checked whole first, so damage is a clean 500 FILE_INTEGRITY
    // instead of a download cut short (larger files are cut at the first bad segment).
    const integrityFailed = () => req.log.error({ fileId: file.id }, 'stored file failed its integrity check');
    if (file.size <= VERIFY_BEFORE_SEND_BYTES) {
      try {
        await file.verify();
      } catch (e) {
        if (e instanceof FileIntegrityError) integrityFailed();
        throw e;
      }
    }
    await recordAudit(db(), {
      actorId: req.actor!.userId, actorName: req.actor!.name, action: 'file.download', entity: 'file', entityId: file.id, ip: req.ip,
      summary: { ownerKind: file.ownerKind, size: file.size },
    });
    const body = file.stream();
    body.on('error', (e) => { if (e instanceof FileIntegrityError) integrityFailed(); });
    const inline = file.mime.startsWith('image/') || file.mime === 'application/pdf';
    return reply.type(file.mime).header('content-length', file.size)
      .header('content-disposition', contentDisposition(file.originalName, inline ? 'inline' : 'attachment'))
      .send(body);
  });
}
