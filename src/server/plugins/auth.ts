import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveSession } from '../../platform/auth/service.js';
import { AppError, forbidden, unauthenticated } from '../../platform/http/errors.js';
import { SESSION_COOKIE } from '../../platform/auth/actor.js';
import { unionScopes } from '../../platform/org/scope.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What a person who must change their password may still do. */
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(['/api/v1/auth/me', '/api/v1/auth/password', '/api/v1/auth/logout']);

/**
 * Every route needs a signed-in actor unless it is marked `public` (app.ts marks the web app's
 * files, docs and metrics). Decisions use the matched route pattern, never the raw URL, so an
 * encoded path (`/%61pi/...`) cannot slip past. Then: forced password change, CSRF on
 * cookie-authenticated state-changing requests, and the route's permission.
 */
export function registerAuth(app: FastifyInstance): void {
  app.decorateRequest('actor', null);

  app.addHook('onRequest', async (req) => {
    const bearer = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      req.actor = await resolveSession(app.ctx.database.db, bearer, 'bearer');
      return;
    }
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) req.actor = await resolveSession(app.ctx.database.db, cookie, 'cookie');
  });

  app.addHook('preValidation', async (req: FastifyRequest) => {
    const route = req.routeOptions.url;
    const cfg = req.routeOptions.config;
    if (!route || cfg.public) return; // unmatched requests end in the 404 handler
    const actor = req.actor;
    if (!actor) throw unauthenticated();
    if (actor.mustChangePassword && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(route)) {
      throw new AppError(403, 'PASSWORD_CHANGE_REQUIRED', '请先修改初始密码后再使用系统。');
    }
    if (actor.session.kind === 'cookie' && !SAFE_METHODS.has(req.method) && !cfg.authEndpoint) {
      if (req.headers['x-csrf-token'] !== actor.session.csrfToken) {
        throw new AppError(403, 'CSRF_TOKEN_INVALID', '页面已过期或请求来源不可信，请刷新页面后重试。');
      }
    }
    const required = typeof cfg.permission === 'string' ? [cfg.permission] : cfg.permission;
    if (required && !required.some((p) => actor.permissions.has(p))) throw forbidden();
    // The route acts in the scope of the grants that give its permission, not of all grants.
    if (required) req.actor = { ...actor, scope: unionScopes(required.map((p) => actor.scopeByPermission.get(p)).filter((x) => x !== undefined)) };
  });
}
