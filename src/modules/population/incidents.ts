import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db, type Tx } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { AppError, conflict, forbidden, unprocessable } from '../../platform/http/errors.js';
import { attachFile } from '../../platform/files/index.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { holdersOf } from '../../platform/org/holders.js';
import { activePosts } from '../../platform/org/profile.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { requireGridInScope, requireInScope, unitName } from './common.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { pop, popTx, type GridIncidentTable } from './schema.js';
import type { Selectable } from 'kysely';

/**
 * Grid incidents (网格事件: 人、地、事、物、组织, 002:L17–19): reported from a phone with photos and a
 * location, dispatched by the station, handled, closed with a resolution; every step is kept.
 */
export const INCIDENT_CATEGORIES = ['person', 'place', 'event', 'object', 'organization'] as const;
type IncidentRow = Selectable<GridIncidentTable>;

const incidentDto = (i: IncidentRow, gridName: string | null, names: ReadonlyMap<string, string> = new Map()) => ({
  id: i.id, gridId: i.grid_id, gridName, category: i.category, title: i.title, description: i.description, location: i.location,
  lat: i.lat === null ? null : Number(i.lat), lng: i.lng === null ? null : Number(i.lng),
  photoFileIds: i.photo_file_ids, photoUrls: (i.photo_file_ids as string[]).map((f) => `/api/v1/files/${f}`),
  status: i.status, reportedBy: i.reported_by, reporterName: names.get(i.reported_by) ?? null, reportedAt: i.reported_at,
  assigneeId: i.assignee_id, assigneeName: i.assignee_id ? names.get(i.assignee_id) ?? null : null, closedAt: i.closed_at, resolution: i.resolution,
});

/** The names of the reporters and assignees of some incidents. */
async function namesOf(db: Db | Tx, rows: IncidentRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.flatMap((r) => [r.reported_by, ...(r.assignee_id ? [r.assignee_id] : [])]))];
  if (ids.length === 0) return new Map();
  const users = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(users.map((u) => [u.id, u.name]));
}

export interface IncidentInput {
  gridId: string; category: (typeof INCIDENT_CATEGORIES)[number]; title: string; description: string;
  location?: string; lat?: number; lng?: number; photoFileIds?: string[];
}

export async function reportIncident(db: Db, actor: Actor, input: IncidentInput, ip: string | null) {
  const { tree } = await requireGridInScope(db, actor, input.gridId);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const photos = [...new Set(input.photoFileIds ?? [])];
    const id = uuidv7();
    await tx.insertInto('grid_incidents').values({
      id, grid_id: input.gridId, category: input.category, title: input.title, description: input.description, location: input.location ?? null,
      lat: input.lat ?? null, lng: input.lng ?? null, photo_file_ids: JSON.stringify(photos), status: 'reported', reported_by: actor.userId,
      assignee_id: null, closed_at: null, resolution: null,
    }).execute();
    // Only photos this person uploaded and not yet attached to anything (the whole report rolls back otherwise).
    for (const fileId of photos) {
      await attachFile(t, fileId, 'grid_incident', id, { createdBy: actor.userId }).catch((e: unknown) => {
        throw e instanceof AppError ? unprocessable('UNKNOWN_FILE', '照片不存在或不可使用，请重新上传。', [{ path: 'photoFileIds', code: 'UNKNOWN_FILE', message: '无效的照片' }]) : e;
      });
    }
    await tx.insertInto('grid_incident_actions').values({ id: uuidv7(), incident_id: id, action: 'report', note: null, actor_id: actor.userId }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'incident.create', entity: 'grid_incident', entityId: id, ip, summary: { gridId: input.gridId, category: input.category } });
    return incidentDto(await tx.selectFrom('grid_incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), unitName(tree, input.gridId), new Map([[actor.userId, actor.name]]));
  });
}

type Step = 'dispatch' | 'handle' | 'close';
const FROM: Record<Step, IncidentRow['status'][]> = { dispatch: ['reported'], handle: ['dispatched', 'handling'], close: ['reported', 'dispatched', 'handling'] };
const TO: Record<Step, IncidentRow['status']> = { dispatch: 'dispatched', handle: 'handling', close: 'closed' };

export async function advanceIncident(db: Db, actor: Actor, id: string, step: Step, input: { note?: string; assigneeId?: string; resolution?: string }, ip: string | null) {
  if (step !== 'handle' && !actor.permissions.has('incident:dispatch')) throw forbidden('您没有派遣或办结网格事件的权限。');
  if (step === 'close' && !input.resolution) throw unprocessable('RESOLUTION_REQUIRED', '办结须填写处理结果。', [{ path: 'resolution', code: 'RESOLUTION_REQUIRED', message: '请填写处理结果' }]);
  const tree = await loadOrgTree(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const incident = requireInScope(actor, await tx.selectFrom('grid_incidents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst());
    if (!FROM[step].includes(incident.status)) throw conflict('INVALID_STATE', '事件当前状态不允许此操作。');
    if (step === 'dispatch') {
      if (!input.assigneeId) throw unprocessable('ASSIGNEE_REQUIRED', '请选择处理人。', [{ path: 'assigneeId', code: 'ASSIGNEE_REQUIRED', message: '请选择处理人' }]);
      // Posts in force today only (platform helper): someone whose post has ended is no longer staff here.
      const posts = await activePosts(t, [input.assigneeId]);
      if (!posts.some((p) => scopeCovers(actor.scope, p.orgUnitId))) throw forbidden('处理人不在您的管辖范围内。');
    }
    if (step === 'handle' && incident.assignee_id && incident.assignee_id !== actor.userId && !actor.permissions.has('incident:dispatch')) {
      throw forbidden('该事件已派给其他人处理。');
    }
    await tx.updateTable('grid_incidents').set({
      status: TO[step],
      ...(step === 'dispatch' ? { assignee_id: input.assigneeId! } : {}),
      ...(step === 'close' ? { closed_at: new Date(), resolution: input.resolution! } : {}),
    }).where('id', '=', id).execute();
    await tx.insertInto('grid_incident_actions').values({ id: uuidv7(), incident_id: id, action: step, note: input.note ?? input.resolution ?? null, actor_id: actor.userId }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: `incident.${step}`, entity: 'grid_incident', entityId: id, ip });
    const row = await tx.selectFrom('grid_incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return incidentDto(row, unitName(tree, incident.grid_id), await namesOf(t, [row]));
  });
}

/** Posts whose holders an incident may be dispatched to: the grid's worker, the community's station. */
const ASSIGNEE_POSTS = ['grid_worker', 'station_clerk', 'station_head'] as const;

/**
 * Who an incident may be dispatched to (派遣): the holders today of a grid-worker or station post in
 * the incident's grid or its community, and the dispatcher themself — each once, the grid first.
 */
export async function incidentAssignees(db: Db, actor: Actor, id: string) {
  if (!actor.permissions.has('incident:dispatch')) throw forbidden('您没有派遣网格事件的权限。');
  const tree = await loadOrgTree(db);
  const incident = requireInScope(actor, await pop(db).selectFrom('grid_incidents').select(['grid_id']).where('id', '=', id).executeTakeFirst());
  const community = tree.units.get(incident.grid_id)?.parent_id ?? null;
  const holders = await holdersOf(db, { posts: ASSIGNEE_POSTS, unitIds: [incident.grid_id, ...(community ? [community] : [])] });
  const order = (h: { unitId: string }) => (h.unitId === incident.grid_id ? 0 : 1);
  const seen = new Set<string>();
  const out: { userId: string; name: string; post: string; unitName: string | null }[] = [];
  const users = new Map((await db.selectFrom('users').select(['id', 'name']).where('id', 'in', [actor.userId, ...holders.map((h) => h.userId)]).execute()).map((u) => [u.id, u.name]));
  for (const h of [...holders].sort((a, b) => order(a) - order(b))) {
    if (seen.has(h.userId) || !scopeCovers(actor.scope, h.unitId)) continue;
    seen.add(h.userId);
    out.push({ userId: h.userId, name: users.get(h.userId) ?? '', post: h.post, unitName: unitName(tree, h.unitId) });
  }
  if (!seen.has(actor.userId)) out.push({ userId: actor.userId, name: users.get(actor.userId) ?? actor.name, post: 'self', unitName: null });
  return { items: out };
}

export async function listIncidents(db: Db, actor: Actor, q: { gridId?: string; status?: IncidentRow['status']; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('grid_incidents').where(inScope(actor.scope, 'grid_incidents'));
  if (q.gridId) query = query.where('grid_id', '=', q.gridId);
  if (q.status) query = query.where('status', '=', q.status);
  const [rows, total] = await Promise.all([
    query.selectAll().orderBy('reported_at', 'desc').orderBy('id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const names = await namesOf(db, rows);
  return { items: rows.map((r) => incidentDto(r, unitName(tree, r.grid_id), names)), total: Number(total.n) };
}

export async function getIncident(db: Db, actor: Actor, id: string) {
  const tree = await loadOrgTree(db);
  const p = pop(db);
  const incident = requireInScope(actor, await p.selectFrom('grid_incidents').selectAll().where('id', '=', id).executeTakeFirst());
  const actions = await p.selectFrom('grid_incident_actions').innerJoin('users', 'users.id', 'grid_incident_actions.actor_id')
    .select(['action', 'note', 'at', 'users.name']).where('incident_id', '=', id).orderBy('at').execute();
  return { ...incidentDto(incident, unitName(tree, incident.grid_id), await namesOf(db, [incident])), actions: actions.map((a) => ({ action: a.action, note: a.note, at: a.at, actorName: a.name })) };
}

/** Resolution rate per grid (办结率): closed / reported, over the caller's grids. */
export async function incidentRates(db: Db, actor: Actor) {
  const tree = await loadOrgTree(db);
  const rows = await pop(db).selectFrom('grid_incidents').select(['grid_id', (eb) => eb.fn.countAll<string>().as('total'),
    (eb) => eb.fn.count<string>(eb.case().when('status', '=', 'closed').then(1).end()).as('closed')])
    .where(inScope(actor.scope, 'grid_incidents')).groupBy('grid_id').execute();
  return rows.map((r) => ({ gridId: r.grid_id, gridName: unitName(tree, r.grid_id), total: Number(r.total), closed: Number(r.closed), rate: Number(r.total) ? Number(r.closed) / Number(r.total) : null }));
}

/** Photos of an incident are served to whoever may read the incident. */
export async function mayReadIncident(db: Db, actor: Actor, incidentId: string): Promise<boolean> {
  const row = await pop(db).selectFrom('grid_incidents').select('grid_id').where('id', '=', incidentId).executeTakeFirst();
  return Boolean(row && scopeCovers(actor.scope, row.grid_id));
}
