import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, page, pageQuery, uuid } from '../http/schemas.js';
import { listAuditEvents } from './reader.js';
import { verifyAuditChain } from './service.js';

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const cfg = { permission: 'audit:read' };
  const tags = ['audit'];

  r.get('/api/v1/audit/events', {
    config: cfg,
    schema: {
      tags,
      querystring: z.strictObject({
        actor: uuid.optional(), entity: z.string().max(50).optional(), entityId: z.string().max(100).optional(),
        action: z.string().max(80).optional(), from: isoDate.optional(), to: isoDate.optional(), ...pageQuery,
      }),
    },
  }, async (req) => {
    const res = await listAuditEvents(db(), req.query);
    return page(res.items, res.total, req.query);
  });

  // Reads only: a GET never writes. The server's sealer links new events every second; events not
  // yet sealed are reported as `unsealed`.
  r.get('/api/v1/audit/verify', { config: cfg, schema: { tags } }, async () => verifyAuditChain(db(), { anchorDir: app.ctx.config.dataDir }));
}
