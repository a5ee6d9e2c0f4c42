import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, page, pageQuery, text } from '../http/schemas.js';
import * as policy from './service.js';
import { policyPackJsonSchema } from './schema.js';

export async function policyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['policy'];
  const read = { permission: 'policy:read' };
  const code = z.strictObject({ code: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/) });

  // The pack's schema (JSON Schema): what the 制度参数 form is generated from; readable by whoever may read the pack.
  r.get('/api/v1/policy/schema', { config: read, schema: { tags } }, async () => policyPackJsonSchema());
  r.get('/api/v1/policy/packs', { config: read, schema: { tags } }, async () => ({ items: await policy.listPacks(db()) }));
  r.get('/api/v1/policy/packs/:code', { config: read, schema: { tags, params: code } }, async (req) => policy.getPack(db(), req.params.code));
  r.get('/api/v1/policy/packs/:code/versions', { config: read, schema: { tags, params: code, querystring: z.strictObject(pageQuery) } }, async (req) => {
    const res = await policy.listVersions(db(), req.params.code, req.query);
    return page(res.items, res.total, req.query);
  });
  r.get('/api/v1/policy/packs/:code/versions/:version', {
    config: read, schema: { tags, params: code.extend({ version: z.coerce.number().int().min(1) }) },
  }, async (req) => policy.getVersion(db(), req.params.code, req.params.version));

  r.post('/api/v1/policy/packs/:code/versions', {
    config: { permission: 'policy:manage' },
    schema: { tags, params: code, body: z.strictObject({ document: z.record(z.string(), z.unknown()), reason: text(500), decisionRef: text(200), effectiveFrom: isoDate }) },
  }, async (req, reply) => reply.status(201).send(await policy.createVersion(db(), req.actor!, req.params.code, req.body, req.ip)));

  r.post('/api/v1/policy/active', {
    config: { permission: 'policy:manage' },
    schema: { tags, body: z.strictObject({ code: z.string().max(32), reason: text(500) }) },
  }, async (req) => policy.activatePack(db(), req.actor!, req.body.code, req.body.reason, req.ip));
}
