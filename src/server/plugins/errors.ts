import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, badRequest } from '../../platform/http/errors.js';
import { fileTooLarge, MAX_FILE_BYTES } from '../../platform/files/service.js';
import { registerTextInputCheck } from './text-input.js';

// Validation messages in Chinese, like every other message the user sees.
z.config(z.locales.zhCN());

const statusCodes: Record<number, [string, string]> = {
  400: ['VALIDATION_FAILED', '请求格式不正确。'],
  401: ['UNAUTHENTICATED', '请先登录。'],
  403: ['FORBIDDEN', '没有权限执行此操作。'],
  404: ['NOT_FOUND', '未找到该记录。'],
  405: ['METHOD_NOT_ALLOWED', '不支持该请求方法。'],
  413: ['PAYLOAD_TOO_LARGE', '请求内容过大。'],
  415: ['UNSUPPORTED_MEDIA_TYPE', '不支持该内容类型。'],
  429: ['RATE_LIMITED', '请求过于频繁，请稍后再试。'],
};

/** Every error leaves as `{ error: { code, message, details } }` (API.md "Errors"). */
export function registerErrorHandling(app: FastifyInstance): void {
  // Input the database cannot take is a 400 here, before any route's schema sees it (text-input.ts).
  registerTextInputCheck(app);
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    // Upload limits of @fastify/multipart, in the API's terms.
    if (!(err instanceof AppError) && err.code === 'FST_REQ_FILE_TOO_LARGE') err = fileTooLarge(MAX_FILE_BYTES);
    if (!(err instanceof AppError) && err.code === 'FST_FILES_LIMIT') err = badRequest('一次只能上传一个文件。', [{ path: 'file', code: 'TOO_MANY_FILES', message: '只能上传一个文件' }]);
    if (!(err instanceof AppError) && err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') err = badRequest('请以 multipart/form-data 上传文件。', [{ path: 'file', code: 'REQUIRED', message: '缺少文件' }]);
    if (err instanceof AppError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err.validationContext ?? 'body').replace('querystring', 'query');
      const details = err.validation.flatMap((v) => {
        const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
        // An unknown key is reported on its parent: name each key (`query.foo`, `body.extra`).
        const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] }).keys ?? [] : [];
        if (keys.length) return keys.map((k) => ({ path: `${path}.${k}`, code: 'UNRECOGNIZED_KEYS', message: v.message ?? '' }));
        return [{ path, code: String(v.keyword).toUpperCase(), message: v.message ?? '' }];
      });
      return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: '请求内容不符合要求。', details } });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) {
      req.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ error: { code: 'INTERNAL_ERROR', message: '服务器内部错误，请稍后再试或联系系统管理员。', details: [] } });
    }
    const [code, message] = statusCodes[status] ?? ['BAD_REQUEST', '请求无法处理。'];
    const isJson = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.name === 'SyntaxError';
    return reply.status(status).send({ error: { code, message: isJson ? '请求体不是合法的 JSON。' : message, details: [] } });
  });
}

/**
 * Unknown paths: JSON 404 under /api (never the web app's HTML), and for a missing file under
 * /assets/ (a chunk of an older build: HTML in its place would break the page); the web app's page
 * elsewhere when it is built (`sendSpa`).
 */
export function registerNotFound(app: FastifyInstance, sendSpa: ((reply: FastifyReply) => FastifyReply) | null): void {
  app.setNotFoundHandler((req, reply) => {
    let path = req.url;
    try { path = decodeURIComponent(req.url); } catch { /* keep the raw URL */ }
    if (sendSpa && req.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/metrics') && !path.startsWith('/assets/')) {
      return sendSpa(reply);
    }
    return reply.status(404).send({ error: { code: 'NOT_FOUND', message: '未找到该接口或记录。', details: [] } });
  });
}
