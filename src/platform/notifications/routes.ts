import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageQuery, uuid } from '../http/schemas.js';
import { listNotifications, markRead, unreadCount } from './service.js';

export async function notificationRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['notifications'];
  r.get('/api/v1/notifications', { schema: { tags, querystring: z.strictObject({ unread: z.enum(['true', 'false']).optional(), ...pageQuery }) } },
    async (req) => listNotifications(db(), req.actor!.userId, { unread: req.query.unread === 'true', page: req.query.page, pageSize: req.query.pageSize }));
  r.get('/api/v1/notifications/unread-count', { schema: { tags } }, async (req) => ({ unread: await unreadCount(db(), req.actor!.userId) }));
  r.post('/api/v1/notifications/read', { schema: { tags, body: z.strictObject({ ids: z.array(uuid).min(1).max(200) }) } },
    async (req) => ({ changed: await markRead(db(), req.actor!.userId, req.body.ids), unread: await unreadCount(db(), req.actor!.userId) }));
  r.post('/api/v1/notifications/read-all', { schema: { tags } }, async (req) => ({ changed: await markRead(db(), req.actor!.userId, 'all'), unread: 0 }));
}
