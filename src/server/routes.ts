import type { FastifyInstance } from 'fastify';
import { authRoutes } from '../platform/auth/routes.js';
import { orgRoutes } from '../platform/org/routes.js';
import { adminRoutes } from '../platform/org/admin-routes.js';
import { orgManageRoutes } from '../platform/org/manage-routes.js';
import { calendarRoutes } from '../platform/calendar/routes.js';
import { policyRoutes } from '../platform/policy/routes.js';
import { auditRoutes } from '../platform/audit/routes.js';
import { jobRoutes } from '../platform/jobs/routes.js';
import { fileRoutes } from '../platform/files/routes.js';
import { approvalRoutes } from '../platform/approvals/routes.js';
import { notificationRoutes } from '../platform/notifications/routes.js';
import { homeRoutes } from '../platform/home/routes.js';
import { modules } from '../modules/index.js';

const VERSION = '0.1.0';

export async function registerRoutes(app: FastifyInstance): Promise<void> {
  // Probes call this every few seconds: their requests are not logged at info (warnings and errors still are).
  app.get('/api/v1/health', { config: { public: true }, logLevel: 'warn', schema: { tags: ['platform'] } }, async (_req, reply) => {
    const body = { status: app.ctx.ready ? 'ok' : 'starting', db: app.ctx.database.kind, version: VERSION };
    return reply.status(app.ctx.ready ? 200 : 503).send(body);
  });
  await authRoutes(app);
  await orgRoutes(app);
  await orgManageRoutes(app);
  await adminRoutes(app);
  await calendarRoutes(app);
  await policyRoutes(app);
  await auditRoutes(app);
  await jobRoutes(app);
  await fileRoutes(app);
  await approvalRoutes(app);
  await notificationRoutes(app);
  await homeRoutes(app);
  for (const m of modules) await m.routes?.(app);
}
