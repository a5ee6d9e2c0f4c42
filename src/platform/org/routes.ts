import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageQuery, page, uuid } from '../http/schemas.js';
import { ORG_KINDS } from './roles.js';
import { listUnits, unitDetail, visibleTree } from './service.js';

export async function orgRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const cfg = { permission: 'org:read' };

  r.get('/api/v1/org/tree', { config: cfg, schema: { tags: ['org'] } }, async (req) => ({ items: await visibleTree(db(), req.actor!) }));

  r.get('/api/v1/org/units', {
    config: cfg,
    schema: { tags: ['org'], querystring: z.strictObject({ parentId: uuid.optional(), kind: z.enum(ORG_KINDS).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await listUnits(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.get('/api/v1/org/units/:id', { config: cfg, schema: { tags: ['org'], params: z.strictObject({ id: uuid }) } },
    async (req) => unitDetail(db(), req.actor!, req.params.id));
}
