import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, text, uuid } from '../http/schemas.js';
import { ORG_KINDS } from './roles.js';
import * as manage from './manage-service.js';

const count = z.number().int().min(0).max(10_000_000);
const surveySchema = z.strictObject({
  areaKm2: z.number().min(0).max(10_000).nullable(), streets: z.number().int().min(0).max(10_000).nullable(),
  residents: count, migrants: count, houses: count, rentals: count, shops: count, employers: count, asOf: isoDate,
});

export async function orgManageRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const cfg = { permission: 'org:manage' };
  const tags = ['org'];
  const params = z.strictObject({ id: uuid });

  r.post('/api/v1/org/units', {
    config: cfg,
    schema: { tags, body: z.strictObject({ parentId: uuid.nullable(), kind: z.enum(ORG_KINDS), code: z.string().trim().regex(/^[0-9A-Za-z]{2,32}$/, '代码为 2–32 位字母或数字'), name: text(100), validFrom: isoDate }) },
  }, async (req, reply) => reply.status(201).send(await manage.createUnit(db(), req.actor!, req.body, req.ip)));

  r.post('/api/v1/org/units/:id/move', {
    config: cfg, schema: { tags, params, body: z.strictObject({ parentId: uuid, effectiveFrom: isoDate, reason: text(500) }) },
  }, async (req) => manage.moveUnit(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post('/api/v1/org/units/:id/close', {
    config: cfg, schema: { tags, params, body: z.strictObject({ validTo: isoDate, reason: text(500) }) },
  }, async (req) => manage.closeUnit(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post('/api/v1/org/units/:id/survey', { config: cfg, schema: { tags, params, body: surveySchema } },
    async (req) => manage.recordSurvey(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post('/api/v1/org/units/:id/designation', {
    config: cfg, schema: { tags, params, body: z.strictObject({ kind: z.enum(['key', 'regular']), reason: text(500), decidedOn: isoDate, decisionRef: text(200).optional() }) },
  }, async (req) => manage.designateGrid(db(), req.actor!, req.params.id, req.body, req.ip));

  r.get('/api/v1/org/units/:id/history', { config: { permission: 'org:read' }, schema: { tags, params } },
    async (req) => ({ items: await manage.unitHistory(db(), req.actor!, req.params.id) }));
}
