import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, page, pageQuery, text, uuid } from '../http/schemas.js';
import { DATA_SCOPES, POSTS } from './roles.js';
import * as admin from './admin-service.js';

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const userParams = z.strictObject({ id: uuid });
  const tags = ['admin'];
  // Either administrator may open the staff page: the system admin manages people and posts,
  // the security admin grants roles and unlocks accounts.
  const seeUsers = { permission: ['user:manage', 'role:assign', 'user:unlock'] };

  r.get('/api/v1/admin/users', { config: seeUsers, schema: { tags, querystring: z.strictObject({ q: z.string().max(50).optional(), ...pageQuery }) } }, async (req) => {
    const res = await admin.listUsers(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });
  r.get('/api/v1/admin/users/:id', { config: seeUsers, schema: { tags, params: userParams } }, async (req) => admin.userDetail(db(), req.actor!, req.params.id));
  r.get('/api/v1/admin/roles', { config: seeUsers, schema: { tags } }, async () => ({ items: admin.rolesCatalogue() }));

  r.post('/api/v1/admin/users', {
    config: { permission: 'user:manage' },
    schema: { tags, body: z.strictObject({ username: z.string().trim().regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, '用户名为 2–32 位小写字母、数字、点、下划线或连字符'), name: text(50) }) },
  }, async (req, reply) => reply.status(201).send(await admin.createUser(db(), req.actor!, req.body, req.ip)));

  r.post('/api/v1/admin/users/:id/posts', {
    config: { permission: 'user:manage' },
    schema: { tags, params: userParams, body: z.strictObject({ orgUnitId: uuid, post: z.enum(POSTS), primary: z.boolean().default(false), validFrom: isoDate, validTo: isoDate.optional() }) },
  }, async (req, reply) => reply.status(201).send(await admin.addPost(db(), req.actor!, req.params.id, req.body, req.ip)));

  r.post('/api/v1/admin/users/:id/posts/:postId/end', {
    config: { permission: 'user:manage' },
    schema: { tags, params: z.strictObject({ id: uuid, postId: uuid }), body: z.strictObject({ validTo: isoDate }) },
  }, async (req) => admin.endPost(db(), req.actor!, req.params.id, req.params.postId, req.body.validTo, req.ip));

  r.post('/api/v1/admin/users/:id/grants', {
    config: { permission: 'role:assign' },
    schema: { tags, params: userParams, body: z.strictObject({ role: z.string().min(1).max(50), dataScope: z.enum(DATA_SCOPES as [string, ...string[]]), customUnitIds: z.array(uuid).max(500).optional() }) },
  }, async (req, reply) => reply.status(201).send(await admin.grantRole(db(), req.actor!, req.params.id, req.body as Parameters<typeof admin.grantRole>[3], req.ip)));

  r.post('/api/v1/admin/users/:id/grants/:grantId/revoke', {
    config: { permission: 'role:assign' },
    schema: { tags, params: z.strictObject({ id: uuid, grantId: uuid }), body: z.strictObject({ reason: text(500) }) },
  }, async (req) => admin.revokeGrant(db(), req.actor!, req.params.id, req.params.grantId, req.body.reason, req.ip));

  r.post('/api/v1/admin/users/:id/unlock', { config: { permission: 'user:unlock' }, schema: { tags, params: userParams } }, async (req, reply) => {
    await admin.unlockUser(db(), req.actor!, req.params.id, req.ip);
    return reply.status(204).send();
  });

  // The system admin resets ordinary people's passwords; a separated admin's is reset offline only
  // (三员分立). The route admits both admins so the service can say why it refuses.
  r.post('/api/v1/admin/users/:id/reset-password', { config: { permission: ['user:manage', 'user:unlock'] }, schema: { tags, params: userParams } },
    async (req) => admin.resetPassword(db(), req.actor!, req.params.id, req.ip));
}
