import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { badRequest } from '../../platform/http/errors.js';
import { forbiddenTextPaths } from '../../platform/http/schemas.js';

/**
 * No text anywhere in a request may hold a control character (other than tab, newline, CR) or an
 * unpaired surrogate (FORBIDDEN_TEXT): every string value and key of the body, the query string
 * and the path parameters is checked before the route's schema runs, so no field — present or
 * added later, `text()` or a plain `z.string()` — can forget it. The check is attached to every
 * route as it is registered, after the shared hooks: an unauthenticated request is still a 401.
 */
export function registerTextInputCheck(app: FastifyInstance): void {
  const check: preValidationHookHandler = async (req: FastifyRequest) => {
    const paths = [
      ...forbiddenTextPaths(req.params, 'params'),
      ...forbiddenTextPaths(req.query, 'query'),
      ...forbiddenTextPaths(req.body, 'body'),
    ];
    if (paths.length) {
      throw badRequest('请求内容包含不允许的控制字符。', paths.map((path) => ({ path, code: 'CONTROL_CHARACTER', message: '不能包含控制字符' })));
    }
  };
  app.addHook('onRoute', (route) => {
    const own = route.preValidation;
    route.preValidation = own === undefined ? [check] : [check, ...(Array.isArray(own) ? own : [own])];
  });
}
