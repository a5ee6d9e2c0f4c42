import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { conflict, forbidden, notFound, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { addDays, bumpCounter, communityOf, dateConflict, notInFuture, requireGridInScope, todayOffice, unitName } from './common.js';
import { checkDocument, idIndex, type IdType } from './identity.js';
import { addCollectionRecord, endResidence, mayEnter, personEvent, requireHouseInGrid } from './persons.js';
import { populationPolicy } from './policy.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { pop, popTx, type MoveTable } from './schema.js';
import type { Selectable } from 'kysely';

/**
 * Moves between grids (迁移): requested by the receiving grid worker for a person active elsewhere;
 * confirmed by the station when both grids are in one community, by 流管办 across communities.
 * Confirming ends the old residence the day before arrival and opens the new one, in one transaction.
 */
type MoveRow = Selectable<MoveTable>;

const moveDto = (m: MoveRow, names: (id: string | null) => string | null, extra: Record<string, unknown> = {}) => ({
  id: m.id, personId: m.person_id, fromGridId: m.from_grid_id, fromGridName: names(m.from_grid_id), toGridId: m.to_grid_id, toGridName: names(m.to_grid_id),
  houseId: m.house_id, arrivedOn: m.arrived_on, status: m.status, crossCommunity: m.cross_community,
  requestedBy: m.requested_by, requestedAt: m.requested_at, decidedBy: m.decided_by, decidedAt: m.decided_at, decisionReason: m.decision_reason, ...extra,
});

export async function requestMove(db: Db, actor: Actor, input: { idType?: IdType; idNumber: string; toGridId: string; houseId?: string; arrivedOn: string }, ip: string | null) {
  const doc = checkDocument(input.idType ?? 'resident_id', input.idNumber, todayOffice());
  notInFuture(input.arrivedOn, 'arrivedOn');
  const { tree } = await requireGridInScope(db, actor, input.toGridId, 'toGridId');
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      await requireHouseInGrid(tx, actor.scope, input.houseId, input.toGridId);
      const person = doc.normalized ? await tx.selectFrom('persons').selectAll().where('id_hmac', '=', idIndex(doc.normalized)).forUpdate().executeTakeFirst() : undefined;
      if (!person) throw unprocessable('NOT_REGISTERED', '未找到此人的登记，请直接办理来本地登记。', [{ path: 'idNumber', code: 'NOT_REGISTERED', message: '无登记记录' }]);
      if (person.status !== 'active') throw conflict('NOT_ACTIVE', '此人当前没有有效的居住登记，请直接办理来本地登记。');
      if (person.grid_id === input.toGridId) throw conflict('ALREADY_IN_GRID', '此人已在本网格登记居住。');
      const residence = await tx.selectFrom('residences').select(['from_date']).where('person_id', '=', person.id).where('to_date', 'is', null).executeTakeFirstOrThrow();
      // Checked here only for a requester who may see the person: otherwise repeated requests would
      // binary-search another grid's person's arrival date. The decision checks it for everyone.
      if (scopeCovers(actor.scope, person.grid_id) && input.arrivedOn <= residence.from_date) throw dateConflict('MOVE_BEFORE_ARRIVAL', '迁入日期应晚于此人在原网格的来本地日期。', 'arrivedOn');
      const id = uuidv7();
      const cross = communityOf(tree, person.grid_id) !== communityOf(tree, input.toGridId);
      await tx.insertInto('moves').values({
        id, person_id: person.id, from_grid_id: person.grid_id, to_grid_id: input.toGridId, house_id: input.houseId ?? null, arrived_on: input.arrivedOn,
        status: 'pending', cross_community: cross, requested_by: actor.userId, decided_by: null, decided_at: null, decision_reason: null,
      }).execute();
      await personEvent(tx, person.id, 'move_requested', actor.userId, { moveId: id, toGridId: input.toGridId });
      await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'move.create', entity: 'move', entityId: id, ip, summary: { toGridId: input.toGridId, crossCommunity: cross } });
      const row = await tx.selectFrom('moves').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      // The person's current grid is named only when the requester may see it.
      const names = (g: string | null) => (g && scopeCovers(actor.scope, g) ? unitName(tree, g) : null);
      return moveDto(row, names);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('MOVE_PENDING', '此人已有待确认的迁移申请。');
    throw e;
  }
}

/** Who may decide: the station of the community (same community), 流管办 (across communities). */
function requireDecider(actor: Actor, m: MoveRow): void {
  const seesBoth = scopeCovers(actor.scope, m.from_grid_id) && scopeCovers(actor.scope, m.to_grid_id);
  if (!seesBoth && !scopeCovers(actor.scope, m.to_grid_id)) throw notFound();
  if (m.cross_community ? !actor.permissions.has('move:confirm_cross') : !actor.permissions.has('move:confirm')) {
    throw forbidden(m.cross_community ? '跨社区迁移须由街道流管办确认。' : '您没有确认迁移的权限。');
  }
  if (!seesBoth) throw forbidden('迁出网格不在您的管辖范围内，须由街道流管办确认。');
}

export async function decideMove(db: Db, actor: Actor, moveId: string, input: { decision: 'confirm' | 'reject'; reason?: string }, ip: string | null) {
  const policy = await populationPolicy(db);
  const tree = await loadOrgTree(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const move = await tx.selectFrom('moves').selectAll().where('id', '=', moveId).forUpdate().executeTakeFirst();
    if (!move) throw notFound();
    requireDecider(actor, move);
    if (move.status !== 'pending') throw conflict('ALREADY_DECIDED', '该迁移申请已处理。');
    if (input.decision === 'reject') {
      if (!input.reason) throw unprocessable('REASON_REQUIRED', '退回迁移申请须说明原因。', [{ path: 'reason', code: 'REASON_REQUIRED', message: '请填写原因' }]);
      await tx.updateTable('moves').set({ status: 'rejected', decided_by: actor.userId, decided_at: new Date(), decision_reason: input.reason }).where('id', '=', moveId).execute();
      await personEvent(tx, move.person_id, 'move_rejected', actor.userId, { moveId, reason: input.reason });
    } else {
      const person = await tx.selectFrom('persons').selectAll().where('id', '=', move.person_id).forUpdate().executeTakeFirstOrThrow();
      if (person.status !== 'active' || person.grid_id !== move.from_grid_id) throw conflict('MOVE_STALE', '此人的登记已变化（已离开或已迁往他处），请退回该申请。');
      const residence = await tx.selectFrom('residences').selectAll().where('person_id', '=', person.id).where('to_date', 'is', null).executeTakeFirstOrThrow();
      const endOn = addDays(move.arrived_on, -1);
      if (endOn < residence.from_date) throw dateConflict('MOVE_BEFORE_ARRIVAL', '迁入日期应晚于此人在原网格的来本地日期。', 'arrivedOn');
      await endResidence(tx, actor, residence.id, endOn, 'moved');
      await tx.insertInto('residences').values({
        id: uuidv7(), person_id: person.id, grid_id: move.to_grid_id, house_id: move.house_id, from_date: move.arrived_on, to_date: null,
        arrival_reason: 'moved', departure_reason: null, created_by: move.requested_by, ended_by: null, ended_at: null,
      }).execute();
      await tx.updateTable('persons').set({
        grid_id: move.to_grid_id, house_id: move.house_id, arrived_on: move.arrived_on, review_status: 'reported', updated_at: new Date(), version: sql`version + 1`,
      }).where('id', '=', person.id).execute();
      await bumpCounter(tx, move.from_grid_id, 'migrants', -1);
      await bumpCounter(tx, move.to_grid_id, 'migrants', 1);
      await addCollectionRecord(tx, {
        kind: 'move', personId: person.id, houseId: move.house_id, gridId: move.to_grid_id, collectedBy: move.requested_by,
        collectedAt: new Date(move.requested_at), policyPack: policy.packCode, policyVersion: policy.version, deadlineHours: policy.rules.reviewDeadlineHours,
        // The station (or street) confirming the move enters it.
        enteredBy: mayEnter(actor) ? actor.userId : null,
      });
      await tx.updateTable('moves').set({ status: 'confirmed', decided_by: actor.userId, decided_at: new Date(), decision_reason: input.reason ?? null }).where('id', '=', moveId).execute();
      // The old grid learns of it through its "moved out" list (moves confirmed out of its grid).
      await personEvent(tx, person.id, 'moved', actor.userId, { moveId, fromGridId: move.from_grid_id, toGridId: move.to_grid_id, arrivedOn: move.arrived_on });
    }
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: `move.${input.decision}`, entity: 'move', entityId: moveId, ip });
    const row = await tx.selectFrom('moves').selectAll().where('id', '=', moveId).executeTakeFirstOrThrow();
    return moveDto(row, (g) => unitName(tree, g));
  });
}

/**
 * Moves the caller deals with: `incoming` (into their grids), `outgoing` (out of their grids —
 * the old grid's notice), `to_decide` (pending ones they may confirm).
 */
export async function listMoves(db: Db, actor: Actor, q: { box: 'incoming' | 'outgoing' | 'to_decide'; status?: 'pending' | 'confirmed' | 'rejected'; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('moves').innerJoin('persons', 'persons.id', 'moves.person_id');
  const inUnits = (column: 'to_grid_id' | 'from_grid_id') => inScope(actor.scope, 'moves', { column });
  if (q.box === 'incoming') query = query.where(inUnits('to_grid_id'));
  else if (q.box === 'outgoing') query = query.where(inUnits('from_grid_id'));
  else {
    query = query.where('moves.status', '=', 'pending');
    const cross = actor.permissions.has('move:confirm_cross');
    const same = actor.permissions.has('move:confirm');
    if (!cross && !same) return { items: [], total: 0 };
    query = query.where(inUnits('to_grid_id')).where(inUnits('from_grid_id'));
    if (!cross) query = query.where('moves.cross_community', '=', false);
    if (!same) query = query.where('moves.cross_community', '=', true);
  }
  if (q.status) query = query.where('moves.status', '=', q.status);
  const [rows, total] = await Promise.all([
    query.selectAll('moves').select(['persons.name', 'persons.id_masked']).orderBy('moves.requested_at', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const names = (g: string | null) => (g && scopeCovers(actor.scope, g) ? unitName(tree, g) : null);
  return { items: rows.map((r) => moveDto(r, names, { personName: r.name, idNumberMasked: r.id_masked })), total: Number(total.n) };
}
