import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import compress from '@fastify/compress';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import type { Database } from '../platform/db/index.js';
import { requestDb, runInRequestScope } from '../platform/db/request-scope.js';
import { registerErrorHandling, registerNotFound } from './plugins/errors.js';
import { registerAuth } from './plugins/auth.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { registerMetrics } from './plugins/metrics.js';
import { loggerOptions } from './logger.js';
import { AppError, badRequest } from '../platform/http/errors.js';
import { registerRoutes } from './routes.js';
import { configureFileStore, MAX_UPLOAD_BYTES } from '../platform/files/service.js';

export type App = FastifyInstance;

/** Builds the HTTP application over an opened database. Starting, migrating and seeding are in start.ts. */
export async function buildApp(config: Config, database: Database, opts: { ready?: boolean } = {}): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    // Behind one reverse proxy: trust its X-Forwarded-For hop only, so clients cannot choose their IP.
    trustProxy: config.trustProxy ? (_address: string, hop: number) => hop < 1 : false,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();
  // Request code reads the database through ctx.database.db: inside an idempotent POST that is the
  // request's transaction (db/request-scope.ts), elsewhere the database itself.
  const requestDatabase: Database = { kind: database.kind, close: () => database.close(), get db() { return requestDb(database.db); } };
  const ctx: AppContext = { config, database: requestDatabase, ready: opts.ready ?? true };
  app.decorate('ctx', ctx);
  // First of all hooks: the rest of each request's handling runs in its own request scope.
  app.addHook('onRequest', (_req, _reply, done) => runInRequestScope(done));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  registerErrorHandling(app);
  // Public routes, decided on the route pattern when it is registered: everything outside /api
  // (the web app's files, /metrics) and the OpenAPI reference. Every other route needs a login.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url.startsWith('/api/docs')) route.config = { ...(route.config as object), public: true };
  });
  // Until migrations and demo data are done, the API answers 503 (health says why).
  app.addHook('onRequest', async (req) => {
    if (!app.ctx.ready && req.routeOptions.url?.startsWith('/api/') && req.routeOptions.url !== '/api/v1/health') {
      throw new AppError(503, 'SERVICE_STARTING', '系统正在启动，请稍后再试。');
    }
  });
  // Compression of the answers the server builds (JSON above 1 KB, the API reference's pages). Registered
  // before any route: it hooks each route as it is added, and runs after every other onSend hook, so the
  // idempotency store keeps the plain JSON. Files, spreadsheets and images go out as they are (already
  // compressed formats, byte ranges, exact Content-Length); the web app's files are compressed at build
  // time (web/vite.config.ts) and sent as such by @fastify/static below. Request bodies are not decoded.
  await app.register(compress, {
    globalCompression: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    customTypes: COMPRESSIBLE_TYPES,
  });
  await app.register(cookie);
  // Uploads (`req.file()`): one file per request; beyond the limit → 422 FILE_TOO_LARGE (plugins/errors.ts).
  // The small margin lets storeFile's own size check name the exact limit for files just over it.
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES + 64 * 1024, files: 1, fields: 20, fieldSize: 64 * 1024 } });
  configureFileStore(config.dataDir);
  await app.register(swagger, {
    openapi: {
      info: { title: '街道通 Jiedao API', version: '1.0.0', description: '浆洗街街道办事处工作系统接口（API.md 为准）' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'jiedao_sid' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });

  registerAuth(app);
  // A route without a query schema accepts no query parameters (API.md: unknown parameters → 400).
  app.addHook('preValidation', async (req) => {
    const schema = req.routeOptions.schema;
    if (!req.routeOptions.url?.startsWith('/api/v1/') || schema?.querystring) return;
    const q = req.query as Record<string, unknown> | undefined;
    if (q && Object.keys(q).length > 0) {
      throw badRequest('请求包含未知的查询参数。', Object.keys(q).map((k) => ({ path: `query.${k}`, code: 'UNRECOGNIZED_KEYS', message: '未知参数' })));
    }
  });
  registerIdempotency(app);
  registerMetrics(app);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    // API answers are never cached; nor is a 404, unless its handler chose otherwise (the web app's page).
    const url = req.routeOptions.url;
    if (url?.startsWith('/api/')) reply.header('cache-control', 'no-store');
    else if (!url && !reply.hasHeader('cache-control') && !reply.raw.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await registerRoutes(app);
  await serveWebApp(app, config.webDir);
  return app;
}

/**
 * What the web app may load: its own scripts only (no inline script, no eval), its own API, images
 * from itself or generated in the page (photos previewed before upload, charts), and inline styles
 * (antd writes its CSS into <style> elements at run time). No framing, plugins or foreign forms.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "font-src 'self' data:", "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

/** Content types compressed on the fly: JSON and text the server builds. Never files, spreadsheets or images. */
export const COMPRESSIBLE_TYPES = /^(?:application\/(?:[\w.-]+\+)?json|application\/(?:javascript|xml)|text\/(?:html|css|plain|javascript|xml))(?:;|$)/;

/**
 * Cache policy of the web app's files. Vite names everything under assets/ after its content hash,
 * so a browser keeps those for a year without asking again; index.html (which names the current
 * hashes) is revalidated on every visit.
 */
export function webCacheControl(relativePath: string): string {
  return relativePath.replace(/\\/g, '/').startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * The built web app at `/`, with SPA fallback; `/api/*` never falls back to HTML. The build writes
 * `.br` and `.gz` beside each file (web/vite.config.ts); they are sent to browsers that accept them.
 */
async function serveWebApp(app: FastifyInstance, webDir: string): Promise<void> {
  const index = path.join(webDir, 'index.html');
  if (!fs.existsSync(index)) {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/html; charset=utf-8').send('<!doctype html><meta charset="utf-8"><title>街道通</title><p>前端尚未构建：请运行 <code>npm start</code>（会自动构建）或 <code>npm run build</code>。</p>'));
    registerNotFound(app, null);
    return;
  }
  await app.register(fastifyStatic, {
    root: webDir,
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    // The compressed copies are served in place of their original, never under their own names.
    globIgnore: ['**/*.br', '**/*.gz'],
    cacheControl: false,
    setHeaders(res, filePath) {
      res.setHeader('cache-control', webCacheControl(path.relative(webDir, filePath)));
      res.setHeader('vary', 'accept-encoding');
    },
  });
  registerNotFound(app, (reply) => reply.code(200).sendFile('index.html'));
}
