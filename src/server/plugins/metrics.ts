import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import { chainHead } from '../../platform/audit/service.js';

/** Prometheus text at /metrics: request latency by route and status, plus process metrics. */
export function registerMetrics(app: FastifyInstance): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const duration = new client.Histogram({
    name: 'jiedao_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // The audit chain's head, for a scraper to record outside the database (a deleted or recomputed
  // chain then no longer holds a head it saw).
  new client.Gauge({
    name: 'jiedao_audit_chain_head',
    help: 'Audit hash chain head: the value is its position; the hash label is its keyed hash',
    labelNames: ['hash'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const head = await chainHead(app.ctx.database.db);
      this.set({ hash: head.hash }, head.pos);
    },
  });
  app.addHook('onResponse', async (req, reply) => {
    duration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
