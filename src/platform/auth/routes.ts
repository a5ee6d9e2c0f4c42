import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { changePassword, login, logout } from './service.js';
import { endSession, listActiveSessions } from './sessions-admin.js';
import { page, pageQuery, text, uuid } from '../http/schemas.js';
import type { Profile } from '../org/profile.js';
import type { Actor } from './actor.js';
import { SESSION_COOKIE } from './actor.js';

const credentials = z.strictObject({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(128),
});

export function userDto(p: Pick<Profile, 'userId' | 'username' | 'name' | 'roles' | 'posts' | 'mustChangePassword'> & { permissions: ReadonlySet<string> }) {
  return {
    id: p.userId, username: p.username, name: p.name, roles: p.roles, permissions: [...p.permissions].sort(),
    posts: p.posts, mustChangePassword: p.mustChangePassword,
  };
}
const actorDto = (a: Actor) => userDto(a);

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const secure = (req: { protocol: string }) => req.protocol === 'https';

  r.post('/api/v1/auth/login', { config: { public: true, authEndpoint: true }, schema: { body: credentials, tags: ['auth'] } }, async (req, reply) => {
    const res = await login(db(), req.body, { ip: req.ip, kind: 'cookie' });
    reply.setCookie(SESSION_COOKIE, res.token, { httpOnly: true, sameSite: 'lax', secure: secure(req), path: '/' });
    return { user: userDto(res.profile), csrfToken: res.csrfToken };
  });

  r.post('/api/v1/auth/token', { config: { public: true, authEndpoint: true }, schema: { body: credentials, tags: ['auth'] } }, async (req) => {
    const res = await login(db(), req.body, { ip: req.ip, kind: 'bearer' });
    return { token: res.token, expiresAt: res.expiresAt.toISOString() };
  });

  r.post('/api/v1/auth/logout', { schema: { tags: ['auth'] } }, async (req, reply) => {
    await logout(db(), req.actor!, req.ip);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });

  r.post('/api/v1/auth/password', {
    schema: { body: z.strictObject({ currentPassword: z.string().min(1).max(128), newPassword: z.string().min(1).max(128) }), tags: ['auth'] },
  }, async (req, reply) => {
    await changePassword(db(), req.actor!, req.body, req.ip);
    return reply.status(204).send();
  });

  r.get('/api/v1/auth/me', { schema: { tags: ['auth'] } }, async (req) => {
    const a = req.actor!;
    return { user: actorDto(a), csrfToken: a.session.kind === 'cookie' ? a.session.csrfToken : null };
  });

  r.get('/api/v1/admin/sessions', {
    config: { permission: 'session:manage' },
    schema: { tags: ['admin'], querystring: z.strictObject({ userId: uuid.optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await listActiveSessions(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.post('/api/v1/admin/sessions/:id/end', {
    config: { permission: 'session:manage' },
    schema: { tags: ['admin'], params: z.strictObject({ id: z.string().regex(/^[0-9a-f]{64}$/, '会话标识格式不正确') }), body: z.strictObject({ reason: text(500) }) },
  }, async (req) => endSession(db(), req.actor!, req.params.id, req.body.reason, req.ip));
}
