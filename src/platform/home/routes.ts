import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { homeSummary } from './summary.js';

/** GET /api/v1/home/summary — the 工作台's to-do and key-figure cards of the signed-in user, in one request. */
export async function homeRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/home/summary', { schema: { tags: ['home'] } }, async (req) => homeSummary(app.ctx.database.db, req.actor!));
}
