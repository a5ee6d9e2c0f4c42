import type { Db } from '../db/index.js';
import { officeDayEnd, officeDayStart } from '../time.js';

/** Audit events for the audit admin, newest first; dates are calendar days in Asia/Shanghai. */
export async function listAuditEvents(db: Db, q: {
  actor?: string; entity?: string; entityId?: string; action?: string; from?: string; to?: string; page: number; pageSize: number;
}) {
  let base = db.selectFrom('audit_events');
  if (q.actor) base = base.where('actor_id', '=', q.actor);
  if (q.entity) base = base.where('entity', '=', q.entity);
  if (q.entityId) base = base.where('entity_id', '=', q.entityId);
  if (q.action) base = base.where('action', '=', q.action);
  if (q.from) base = base.where('at', '>=', officeDayStart(q.from));
  if (q.to) base = base.where('at', '<', officeDayEnd(q.to));
  const [rows, total] = await Promise.all([
    base.select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary', 'hash', 'chain_pos'])
      .orderBy('seq', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      seq: String(r.seq), at: r.at, actorId: r.actor_id, actorName: r.actor_name, action: r.action, entity: r.entity,
      entityId: r.entity_id, ip: r.ip, summary: r.summary, sealed: r.hash !== null && r.chain_pos !== null,
    })),
    total: Number(total.n),
  };
}
