import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, pageQuery, text, uuid } from '../http/schemas.js';
import { escapeLike } from '../db/like.js';
import { postActiveOn } from '../org/profile.js';
import { officeToday } from '../time.js';
import { addCc, addSigner, decideTask, handOver, markCcRead, remindApproval, removeSigner, resubmitApproval, withdrawApproval } from './engine.js';
import { approvalDetail, inbox, inboxCounts } from './inbox.js';
import { createDelegation, listDelegations, revokeDelegation } from './delegations.js';

/** 审批意见: long enough for a real opinion, bounded so a pasted megabyte is refused. */
const comment = z.string().trim().max(2000, '意见不能超过 2000 个字符').optional();
const actorOf = (req: FastifyRequest) => ({ userId: req.actor!.userId, name: req.actor!.name });
const keyOf = (req: FastifyRequest) => (typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'].slice(0, 200) : null);
const idParams = z.strictObject({ id: uuid });
const READ_ALL = 'approval:read_all';

export async function approvalRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['approvals'];
  const detail = (req: FastifyRequest, id: string) => approvalDetail(db(), id, { userId: req.actor!.userId, mayReadAll: req.actor!.permissions.has(READ_ALL) });

  r.get('/api/v1/approvals/inbox', {
    schema: { tags, querystring: z.strictObject({ box: z.enum(['todo', 'done', 'mine', 'cc']).default('todo'), kind: z.string().max(40).optional(), from: isoDate.optional(), to: isoDate.optional(), unread: z.enum(['true', 'false']).optional(), ...pageQuery }) },
  }, async (req) => inbox(db(), req.actor!.userId, { ...req.query, unread: req.query.unread === 'true' }));

  r.get('/api/v1/approvals/inbox/counts', { schema: { tags } }, async (req) => inboxCounts(db(), req.actor!.userId));

  r.get('/api/v1/approvals/:id', { schema: { tags, params: idParams } }, async (req) => detail(req, req.params.id));

  r.post('/api/v1/approvals/tasks/:id/decide', {
    schema: {
      tags, params: idParams,
      body: z.strictObject({
        decision: z.enum(['approve', 'reject', 'return']),
        comment,
        returnTo: z.union([z.literal('applicant'), z.number().int().min(1).max(20)]).optional(),
        collective: z.strictObject({ meetingDate: isoDate, minutesRef: text(100), minutesFileId: uuid.optional() }).optional(),
      }).superRefine((b, ctx) => {
        if (b.decision !== 'approve' && !b.comment) ctx.addIssue({ code: 'custom', path: ['comment'], message: '不同意或退回时须填写意见' });
      }),
    },
  }, async (req) => {
    const approvalId = await decideTask(db(), req.params.id, actorOf(req), { ...req.body, idempotencyKey: keyOf(req) });
    return detail(req, approvalId);
  });

  const simple = z.strictObject({ comment }).optional();
  r.post('/api/v1/approvals/:id/withdraw', { schema: { tags, params: idParams, body: simple } }, async (req) => {
    await withdrawApproval(db(), req.params.id, actorOf(req), { comment: req.body?.comment, idempotencyKey: keyOf(req) });
    return detail(req, req.params.id);
  });
  r.post('/api/v1/approvals/:id/resubmit', { schema: { tags, params: idParams, body: simple } }, async (req) => {
    await resubmitApproval(db(), req.params.id, actorOf(req), { comment: req.body?.comment, idempotencyKey: keyOf(req) });
    return detail(req, req.params.id);
  });
  r.post('/api/v1/approvals/:id/remind', { schema: { tags, params: idParams, body: simple } }, async (req) => {
    const reminded = await remindApproval(db(), req.params.id, { ...actorOf(req), mayRemindAny: req.actor!.permissions.has('approval:remind') }, { comment: req.body?.comment, idempotencyKey: keyOf(req) });
    return { reminded };
  });
  r.post('/api/v1/approvals/:id/cc', { schema: { tags, params: idParams, body: z.strictObject({ userIds: z.array(uuid).min(1).max(50), comment }) } }, async (req) => {
    await addCc(db(), req.params.id, actorOf(req), req.body.userIds, { comment: req.body.comment, idempotencyKey: keyOf(req) });
    return detail(req, req.params.id);
  });
  r.post('/api/v1/approvals/:id/read', { schema: { tags, params: idParams } }, async (req) => ({ changed: await markCcRead(db(), req.params.id, req.actor!.userId) }));

  r.post('/api/v1/approvals/tasks/:id/add-signer', { schema: { tags, params: idParams, body: z.strictObject({ userId: uuid, position: z.enum(['before', 'after']), comment }) } }, async (req) => {
    const approvalId = await addSigner(db(), req.params.id, actorOf(req), { ...req.body, idempotencyKey: keyOf(req) });
    return detail(req, approvalId);
  });
  r.post('/api/v1/approvals/tasks/:id/remove-signer', { schema: { tags, params: idParams, body: simple } }, async (req) => {
    const approvalId = await removeSigner(db(), req.params.id, actorOf(req), { comment: req.body?.comment, idempotencyKey: keyOf(req) });
    return detail(req, approvalId);
  });
  for (const how of ['delegate', 'transfer'] as const) {
    r.post(`/api/v1/approvals/tasks/:id/${how}`, { schema: { tags, params: idParams, body: z.strictObject({ userId: uuid, comment }) } }, async (req) => {
      const approvalId = await handOver(db(), req.params.id, actorOf(req), { ...req.body, how, idempotencyKey: keyOf(req) });
      return detail(req, approvalId);
    });
  }

  r.get('/api/v1/approvals/delegations', { schema: { tags } }, async (req) => ({ items: await listDelegations(db(), req.actor!.userId) }));
  r.post('/api/v1/approvals/delegations', {
    schema: { tags, body: z.strictObject({ toUserId: uuid, validFrom: isoDate, validTo: isoDate, kinds: z.array(z.string().max(40)).max(20).optional(), reason: text(200), applyToOpenTasks: z.boolean().optional() }) },
  }, async (req, reply) => reply.status(201).send(await createDelegation(db(), actorOf(req), req.body)));
  r.post('/api/v1/approvals/delegations/:id/revoke', { schema: { tags, params: idParams } }, async (req) => {
    await revokeDelegation(db(), actorOf(req), req.params.id, req.actor!.permissions.has(READ_ALL));
    return { items: await listDelegations(db(), req.actor!.userId) };
  });

  // A picker of active staff (加签, 转办, 委托, 抄送): name, unit and post only.
  r.get('/api/v1/approvals/staff', { schema: { tags, querystring: z.strictObject({ q: z.string().trim().max(40).optional() }) } }, async (req) => {
    let q = db().selectFrom('users as u').innerJoin('staff_posts as p', 'p.user_id', 'u.id').innerJoin('org_units as o', 'o.id', 'p.org_unit_id')
      .select(['u.id', 'u.name', 'o.name as unit_name', 'p.post']).where('u.status', '=', 'active').where('p.is_primary', '=', true).where(postActiveOn(officeToday()))
      .where('p.post', 'not in', ['system_admin', 'security_admin', 'audit_admin']);
    if (req.query.q) q = q.where('u.name', 'like', `%${escapeLike(req.query.q)}%`);
    const rows = await q.orderBy('o.sort_order').orderBy('u.name').limit(50).execute();
    return { items: rows.map((x) => ({ id: x.id, name: x.name, unitName: x.unit_name, post: x.post })) };
  });
}
