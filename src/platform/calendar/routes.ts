import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, page, pageQuery, text, uuid } from '../http/schemas.js';
import { badRequest } from '../http/errors.js';
import * as calendar from './service.js';

export async function calendarRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['calendar'];

  r.get('/api/v1/calendar/days', { config: { permission: 'calendar:read' }, schema: { tags, querystring: z.strictObject({ from: isoDate, to: isoDate }) } }, async (req) => {
    const { from, to } = req.query;
    const span = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (span < 0) throw badRequest('结束日期不能早于开始日期。', [{ path: 'query.to', code: 'TOO_SMALL', message: '早于开始日期' }]);
    if (span > 365) throw badRequest('一次最多查询 366 天。', [{ path: 'query.to', code: 'TOO_BIG', message: '超过 366 天' }]);
    return calendar.daysBetween(db(), from, to);
  });

  r.get('/api/v1/calendar/add-workdays', {
    config: { permission: 'calendar:read' },
    schema: { tags, querystring: z.strictObject({ from: isoDate, days: z.coerce.number().int().min(0).max(3650) }) },
  }, async (req) => (await calendar.workdayCalendar(db())).addWorkdays(req.query.from, req.query.days));

  r.get('/api/v1/calendar/overrides', {
    config: { permission: 'calendar:read' },
    schema: { tags, querystring: z.strictObject({ year: z.coerce.number().int().min(2000).max(2100).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await calendar.listOverrides(db(), req.query);
    return page(res.items, res.total, req.query);
  });

  r.post('/api/v1/calendar/overrides', {
    config: { permission: 'calendar:manage' },
    schema: { tags, body: z.strictObject({ date: isoDate, kind: z.enum(['holiday', 'makeup_workday']), note: text(200) }) },
  }, async (req, reply) => reply.status(201).send(await calendar.addOverride(db(), req.actor!, req.body, req.ip)));

  r.post('/api/v1/calendar/overrides/:id/withdraw', {
    config: { permission: 'calendar:manage' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ reason: text(500) }) },
  }, async (req) => calendar.withdrawOverride(db(), req.actor!, req.params.id, req.body.reason, req.ip));

  r.get('/api/v1/calendar/published-years', { config: { permission: 'calendar:read' }, schema: { tags } }, async () => calendar.publishedYears(db()));
  r.post('/api/v1/calendar/published-years', {
    config: { permission: 'calendar:manage' },
    schema: { tags, body: z.strictObject({ year: z.number().int().min(2000).max(2100), noticeRef: text(200) }) },
  }, async (req, reply) => reply.status(201).send(await calendar.markYearPublished(db(), req.actor!, req.body, req.ip)));
}
