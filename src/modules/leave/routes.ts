import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, pageQuery, text, uuid } from '../../platform/http/schemas.js';
import { forbidden } from '../../platform/http/errors.js';
import { leavePolicy } from './policy.js';
import { adjustBalance, balances, closeLeave, leaveForViewer, myLeave, previewLeave, sectionCalendar, submitLeave, unclosedLeave } from './service.js';

export const LEAVE_REQUEST = 'leave:request';
export const LEAVE_SECTION = 'leave:section';
export const LEAVE_MANAGE = 'leave:manage';

const leaveBody = z.strictObject({
  type: z.string().min(1).max(40),
  startDate: isoDate,
  endDate: isoDate,
  halfDay: z.enum(['am', 'pm']).optional(),
  reason: text(500),
  extraBabies: z.number().int().min(0).max(10).optional(),
  difficultBirth: z.boolean().optional(),
});
const actorOf = (req: FastifyRequest) => ({ userId: req.actor!.userId, name: req.actor!.name });

export async function leaveRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['leave'];

  r.get('/api/v1/leave/types', { schema: { tags } }, async () => {
    const { rules, packCode, version } = await leavePolicy(db());
    return {
      policyPack: packCode, policyVersion: version, closeWithinDays: rules.closeWithinDays,
      items: Object.entries(rules.types).map(([code, t]) => ({ code, name: t.name, unit: t.unit, balance: t.balance, halfDayAllowed: t.halfDayAllowed, fixedDays: t.fixedDays ?? null })),
    };
  });
  r.post('/api/v1/leave/requests/preview', { config: { permission: LEAVE_REQUEST }, schema: { tags, body: leaveBody } }, async (req) => previewLeave(db(), req.actor!.userId, req.body));
  r.post('/api/v1/leave/requests', { config: { permission: LEAVE_REQUEST }, schema: { tags, body: leaveBody } }, async (req, reply) => {
    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'].slice(0, 200) : null;
    return reply.status(201).send(await submitLeave(db(), actorOf(req), req.body, key));
  });
  r.get('/api/v1/leave/requests', { schema: { tags, querystring: z.strictObject({ year: z.coerce.number().int().min(1900).max(2100).optional(), ...pageQuery }) } },
    async (req) => myLeave(db(), req.actor!.userId, req.query));
  r.get('/api/v1/leave/requests/:id', { schema: { tags, params: z.strictObject({ id: uuid }) } },
    async (req) => leaveForViewer(db(), req.params.id, { userId: req.actor!.userId, scope: req.actor!.scope, maySeeSection: req.actor!.permissions.has(LEAVE_SECTION) }));
  r.post('/api/v1/leave/requests/:id/close', { schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ actualEndDate: isoDate, note: z.string().trim().max(500).optional() }) } },
    async (req) => closeLeave(db(), { ...actorOf(req), scope: req.actor!.scope, mayCloseOthers: req.actor!.permissions.has(LEAVE_MANAGE) }, req.params.id, req.body, req.ip));
  r.get('/api/v1/leave/balances', { schema: { tags, querystring: z.strictObject({ year: z.coerce.number().int().min(1900).max(2100).optional(), userId: uuid.optional() }) } }, async (req) => {
    const userId = req.query.userId ?? req.actor!.userId;
    if (userId !== req.actor!.userId && !req.actor!.permissions.has(LEAVE_MANAGE)) throw forbidden('只能查看本人的假期余额。');
    return balances(db(), userId, req.query.year ?? Number(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 4)));
  });
  r.post('/api/v1/leave/balances/adjust', {
    config: { permission: LEAVE_MANAGE },
    schema: { tags, body: z.strictObject({ userId: uuid, type: z.string().min(1).max(40), year: z.number().int().min(1900).max(2100), days: z.number().min(-365).max(365).refine((d) => d !== 0 && Number.isInteger(d * 2), '应为非零的整天或半天'), note: text(200) }) },
  }, async (req) => adjustBalance(db(), actorOf(req), req.body, req.ip));
  r.get('/api/v1/leave/calendar', {
    config: { permission: LEAVE_SECTION },
    schema: { tags, querystring: z.strictObject({ from: isoDate, to: isoDate, unitId: uuid.optional() }).refine((q) => q.to >= q.from && Date.parse(q.to) - Date.parse(q.from) <= 92 * 86_400_000, '区间应在 93 天之内') },
  }, async (req) => sectionCalendar(db(), req.actor!.scope, req.query));
  r.get('/api/v1/leave/unclosed', { config: { permission: LEAVE_SECTION }, schema: { tags } }, async (req) => unclosedLeave(db(), req.actor!.scope));
}
