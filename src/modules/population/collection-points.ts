import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ColumnType } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db, type Tx } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { notFound, unprocessable } from '../../platform/http/errors.js';
import { isoDate, text, uuid } from '../../platform/http/schemas.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { maskPhone, sealPersonal } from '../../platform/crypto/personal.js';
import { addDays, notInFuture, unitName } from './common.js';
import { duePatrols } from './patrols.js';
import { normalizePhone } from './identity.js';

/**
 * 信息采集点 (000:12): set up by a community where migrants and rental houses are dense; each has
 * exactly one contact person (联系人) at a time, and the station patrols it every two weeks (000:38,
 * interval from the pack). A point without a current contact is flagged NO_CONTACT.
 */
type DateCol = ColumnType<string, string, string>;
interface ContactTable {
  id: string; point_id: string; contact_name: string; phone_enc: string | null; phone_masked: string | null;
  from_date: DateCol; to_date: DateCol | null; reason: string | null; created_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>; ended_by: string | null;
}
export const contacts = (db: Db | Tx) => db.withTables<{ collection_point_contacts: ContactTable }>();

export const MANAGE_POINTS = 'collection_point:manage';

const pointsInScope = (tree: OrgTree, actor: Actor) =>
  [...tree.units.values()].filter((u) => u.kind === 'collection_point' && u.valid_to === null && scopeCovers(actor.scope, u.id))
    .sort((a, b) => a.code.localeCompare(b.code));

/** A collection point the caller may see (404 otherwise, like any record outside scope). */
function requirePoint(tree: OrgTree, actor: Actor, id: string) {
  const u = tree.units.get(id);
  if (!u || u.kind !== 'collection_point' || !scopeCovers(actor.scope, id)) throw notFound('未找到该采集点。');
  return u;
}

export async function listPoints(db: Db, actor: Actor, q: { communityId?: string; problems?: boolean }) {
  const tree = await loadOrgTree(db);
  const points = pointsInScope(tree, actor).filter((u) => !q.communityId || u.parent_id === q.communityId);
  const ids = points.map((u) => u.id);
  // The station's patrol of each point, as the three-level patrol list computes it.
  const [current, due] = await Promise.all([
    ids.length ? contacts(db).selectFrom('collection_point_contacts').selectAll().where('point_id', 'in', ids).where('to_date', 'is', null).execute() : [],
    duePatrols(db, actor, { level: 'station' }),
  ]);
  const contactOf = new Map(current.map((c) => [c.point_id, c]));
  const patrolOf = new Map(due.items.map((d) => [d.targetUnitId, d]));
  const items = points.map((u) => {
    const c = contactOf.get(u.id);
    const patrol = patrolOf.get(u.id);
    const flags = [...(c ? [] : ['NO_CONTACT']), ...(patrol?.overdue ? ['PATROL_OVERDUE'] : [])];
    return {
      id: u.id, code: u.code, name: u.name, communityId: u.parent_id, communityName: unitName(tree, u.parent_id),
      contact: c ? { name: c.contact_name, phoneMasked: c.phone_masked, since: c.from_date } : null,
      lastPatrolledOn: patrol?.lastPatrolledOn ?? null, patrolDueOn: patrol?.dueOn ?? null, overdueDays: patrol?.overdueDays ?? 0, flags,
    };
  });
  const shown = q.problems ? items.filter((i) => i.flags.length > 0) : items;
  return { items: shown, total: shown.length, patrolIntervalDays: due.intervals.station };
}

export async function contactHistory(db: Db, actor: Actor, pointId: string) {
  const tree = await loadOrgTree(db);
  requirePoint(tree, actor, pointId);
  const rows = await contacts(db).selectFrom('collection_point_contacts').selectAll().where('point_id', '=', pointId)
    .orderBy('from_date', 'desc').orderBy('created_at', 'desc').execute();
  return {
    items: rows.map((c) => ({ id: c.id, name: c.contact_name, phoneMasked: c.phone_masked, fromDate: c.from_date, toDate: c.to_date, reason: c.reason })),
  };
}

export interface ContactInput { name: string; phone: string; fromDate: string; reason?: string }

/**
 * Names the point's contact from `fromDate`: the current one (if any) ends the day before (or on
 * the same day when replaced on the day they started), so there is never a second current contact.
 */
export async function setContact(db: Db, actor: Actor, pointId: string, input: ContactInput, ip: string | null) {
  const tree = await loadOrgTree(db);
  const point = requirePoint(tree, actor, pointId);
  notInFuture(input.fromDate, 'fromDate');
  const phone = normalizePhone(input.phone);
  return inTransaction(db, async (tx) => {
    const c = contacts(tx);
    const current = await c.selectFrom('collection_point_contacts').selectAll().where('point_id', '=', pointId).where('to_date', 'is', null).forUpdate().executeTakeFirst();
    if (current && input.fromDate < current.from_date) {
      throw unprocessable('BEFORE_CURRENT_CONTACT', '新联系人的起始日期不能早于现任联系人的起始日期。', [{ path: 'fromDate', code: 'BEFORE_CURRENT_CONTACT', message: `不早于 ${current.from_date}` }]);
    }
    if (current && !input.reason) {
      throw unprocessable('REASON_REQUIRED', '更换联系人须填写原因。', [{ path: 'reason', code: 'REASON_REQUIRED', message: '请填写更换原因' }]);
    }
    if (current) {
      const toDate = input.fromDate > current.from_date ? addDays(input.fromDate, -1) : current.from_date;
      await c.updateTable('collection_point_contacts').set({ to_date: toDate, ended_by: actor.userId }).where('id', '=', current.id).execute();
    }
    const id = uuidv7();
    await c.insertInto('collection_point_contacts').values({
      id, point_id: pointId, contact_name: input.name, phone_enc: sealPersonal(phone), phone_masked: maskPhone(phone),
      from_date: input.fromDate, to_date: null, reason: input.reason ?? null, created_by: actor.userId, ended_by: null,
    }).execute();
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: current ? 'collection_point.contact_change' : 'collection_point.contact_set', entity: 'collection_point', entityId: pointId, ip, summary: { point: point.code, fromDate: input.fromDate } });
    return { id, pointId, name: input.name, phoneMasked: maskPhone(phone), fromDate: input.fromDate, replaced: current?.id ?? null };
  });
}

export async function collectionPointRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['population'];
  const P = '/api/v1/population/collection-points';
  r.get(P, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ communityId: uuid.optional(), problems: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }) },
  }, async (req) => listPoints(db(), req.actor!, req.query));
  r.get(`${P}/:id/contacts`, { config: { permission: 'person:read' }, schema: { tags, params: z.strictObject({ id: uuid }) } },
    async (req) => contactHistory(db(), req.actor!, req.params.id));
  r.post(`${P}/:id/contact`, {
    config: { permission: MANAGE_POINTS },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ name: text(50), phone: z.string().max(30), fromDate: isoDate, reason: text(500).optional() }) },
  }, async (req) => setContact(db(), req.actor!, req.params.id, req.body, req.ip));
}
