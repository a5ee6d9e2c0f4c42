import { inTransaction, type Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import type { Actor } from '../auth/actor.js';
import type { KeyDesignation, SurveySnapshot } from '../db/schema.js';
import { conflict, forbidden, notFound, unprocessable } from '../http/errors.js';
import { officeToday } from '../time.js';
import { descendantsOf, invalidateOrgTree, loadOrgTree } from './tree.js';
import { invalidateProfiles } from './profile.js';
import type { OrgKind } from './roles.js';
import { scopeCovers } from './scope.js';
import { unitDto } from './service.js';
import { audit } from './audit.js';
import { isUniqueViolation } from '../db/unique.js';

/**
 * Changing the org tree (system admin). Units are never deleted: they close with `valid_to`;
 * a move records the old parent's period in org_unit_parent_history, and because scoped rows
 * carry their unit id (not a path), moving a grid rewrites no person rows.
 */
const ALLOWED_PARENT: Record<OrgKind, (OrgKind | null)[]> = {
  street: [null],
  community: ['street'],
  grid: ['community'],
  police_area: ['community', 'street'],
  collection_point: ['community'],
  department: ['street'],
  service_hall: ['street'],
};

const detail = (path: string, code: string, message: string) => [{ path, code, message }];

const codeTaken = () => conflict('ORG_CODE_TAKEN', '该单位代码已被使用。', detail('code', 'ORG_CODE_TAKEN', '代码重复'));

/**
 * Scope on org writes (API.md "Conventions"): the unit written must be covered by the caller's
 * scope, else 404 as if it did not exist; a parent named in the body must be covered too, else
 * 403 — checked before it is looked up, so an unknown id and one outside the scope look alike.
 */
const outOfScope = (actor: Actor, id: string) => !scopeCovers(actor.scope, id);
const parentOutOfScope = () => forbidden('所选上级单位不在您的管理范围内。');

/** Runs an org change; afterwards this process re-reads the tree and every profile's scope. */
function changed<T>(fn: () => Promise<T>): Promise<T> {
  return fn().finally(() => { invalidateOrgTree(); invalidateProfiles(); });
}

export async function createUnit(db: Db, actor: Actor, input: { parentId: string | null; kind: OrgKind; code: string; name: string; validFrom: string }, ip: string) {
  // A top-level unit (a street) needs the whole tree in scope.
  if (input.parentId ? outOfScope(actor, input.parentId) : !actor.scope.all) throw parentOutOfScope();
  return changed(() => inTransaction(db, async (tx) => {
    const parent = input.parentId ? await tx.selectFrom('org_units').selectAll().where('id', '=', input.parentId).executeTakeFirst() : null;
    if (input.parentId && !parent) throw unprocessable('UNKNOWN_ORG_UNIT', '上级单位不存在。', detail('parentId', 'UNKNOWN_ORG_UNIT', '上级单位不存在'));
    if (!ALLOWED_PARENT[input.kind].includes((parent?.kind ?? null) as OrgKind | null)) {
      throw unprocessable('INVALID_PARENT_KIND', '该类型的单位不能设在所选上级单位下（网格须属于社区）。', detail('parentId', 'INVALID_PARENT_KIND', '上级单位类型不符'));
    }
    if (parent?.valid_to) throw unprocessable('PARENT_CLOSED', '上级单位已撤销。', detail('parentId', 'PARENT_CLOSED', '上级单位已撤销'));
    const dup = await tx.selectFrom('org_units').select('id').where('code', '=', input.code).executeTakeFirst();
    if (dup) throw codeTaken();
    const id = uuidv7();
    const row = {
      id, parent_id: input.parentId, kind: input.kind, code: input.code, name: input.name,
      street_code: parent?.street_code ?? input.code, sort_order: 1000, valid_from: input.validFrom, valid_to: null,
      survey: null, key_designation: null,
    };
    try {
      await tx.insertInto('org_units').values(row).execute();
    } catch (e) {
      // A concurrent request took the code between the check and the insert.
      if (isUniqueViolation(e)) throw codeTaken();
      throw e;
    }
    await audit(tx, actor, ip, 'org_unit.create', id, { kind: input.kind, code: input.code, name: input.name, parentId: input.parentId });
    return { ...unitDto({ ...row, created_at: new Date(), survey: null, key_designation: null }) };
  }));
}

/**
 * Moves a unit under a new parent from a date on; the previous parent's period is kept in history.
 * A move is recorded on or after the day it takes effect (never scheduled ahead: the tree has one
 * current parent), and not before the unit's previous move.
 */
export async function moveUnit(db: Db, actor: Actor, id: string, input: { parentId: string; effectiveFrom: string; reason: string }, ip: string, today = officeToday()) {
  if (outOfScope(actor, id)) throw notFound('未找到该单位。');
  if (outOfScope(actor, input.parentId)) throw parentOutOfScope();
  return changed(() => inTransaction(db, async (tx) => {
    const unit = await tx.selectFrom('org_units').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!unit) throw notFound('未找到该单位。');
    const parent = await tx.selectFrom('org_units').selectAll().where('id', '=', input.parentId).executeTakeFirst();
    if (!parent) throw unprocessable('UNKNOWN_ORG_UNIT', '新上级单位不存在。', detail('parentId', 'UNKNOWN_ORG_UNIT', '单位不存在'));
    if (parent.valid_to !== null) throw unprocessable('PARENT_CLOSED', '新上级单位已撤销。', detail('parentId', 'PARENT_CLOSED', '上级单位已撤销'));
    if (unit.parent_id === parent.id) throw conflict('ALREADY_UNDER_PARENT', '该单位已在所选上级单位下。');
    if (!ALLOWED_PARENT[unit.kind as OrgKind].includes(parent.kind as OrgKind)) {
      throw unprocessable('INVALID_PARENT_KIND', '该类型的单位不能设在所选上级单位下（网格须属于社区）。', detail('parentId', 'INVALID_PARENT_KIND', '上级单位类型不符'));
    }
    const tree = await loadOrgTree(tx);
    if (descendantsOf(tree, id).includes(parent.id)) throw unprocessable('CYCLE', '不能把单位移到它自己的下级单位下。', detail('parentId', 'CYCLE', '形成循环'));
    if (input.effectiveFrom < unit.valid_from) throw unprocessable('INVALID_PERIOD', '生效日期早于该单位的设立日期。', detail('effectiveFrom', 'INVALID_PERIOD', '早于设立日期'));
    if (input.effectiveFrom > today) {
      throw unprocessable('INVALID_PERIOD', `调整须在生效当日或之后登记，生效日期不能晚于今天（${today}）。`, detail('effectiveFrom', 'INVALID_PERIOD', '晚于今天'));
    }
    const last = await tx.selectFrom('org_unit_parent_history').select(['valid_to']).where('unit_id', '=', id).orderBy('valid_to', 'desc').limit(1).executeTakeFirst();
    const previousFrom = last?.valid_to ?? unit.valid_from;
    if (input.effectiveFrom < previousFrom) {
      throw unprocessable('INVALID_PERIOD', `生效日期早于该单位上次调整的日期（${previousFrom}）。`, detail('effectiveFrom', 'INVALID_PERIOD', '早于上次调整'));
    }
    await tx.insertInto('org_unit_parent_history').values({
      id: uuidv7(), unit_id: id, parent_id: unit.parent_id, valid_from: previousFrom, valid_to: input.effectiveFrom, changed_by: actor.userId, reason: input.reason,
    }).execute();
    await tx.updateTable('org_units').set({ parent_id: parent.id }).where('id', '=', id).execute();
    await audit(tx, actor, ip, 'org_unit.move', id, { from: unit.parent_id, to: parent.id, effectiveFrom: input.effectiveFrom, reason: input.reason });
    return { id, parentId: parent.id, history: await parentHistory(tx, id) };
  }));
}

/** The unit's earlier parents; a unit outside the caller's scope is 404, like an unknown one. */
export async function unitHistory(db: Db, actor: Actor, id: string) {
  if (outOfScope(actor, id)) throw notFound('未找到该单位。');
  const unit = await db.selectFrom('org_units').select('id').where('id', '=', id).executeTakeFirst();
  if (!unit) throw notFound('未找到该单位。');
  return parentHistory(db, id);
}

async function parentHistory(db: Db, id: string) {
  const rows = await db.selectFrom('org_unit_parent_history as h').leftJoin('org_units as p', 'p.id', 'h.parent_id')
    .select(['h.parent_id', 'p.name as parent_name', 'h.valid_from', 'h.valid_to', 'h.reason']).where('h.unit_id', '=', id).orderBy('h.valid_to').execute();
  return rows.map((r) => ({ parentId: r.parent_id, parentName: r.parent_name, from: r.valid_from, to: r.valid_to, reason: r.reason }));
}

export async function closeUnit(db: Db, actor: Actor, id: string, input: { validTo: string; reason: string }, ip: string) {
  if (outOfScope(actor, id)) throw notFound('未找到该单位。');
  return changed(() => inTransaction(db, async (tx) => {
    const unit = await tx.selectFrom('org_units').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!unit) throw notFound('未找到该单位。');
    if (unit.valid_to) throw conflict('UNIT_CLOSED', '该单位已撤销。');
    if (input.validTo < unit.valid_from) throw unprocessable('INVALID_PERIOD', '撤销日期早于设立日期。', detail('validTo', 'INVALID_PERIOD', '早于设立日期'));
    const open = await tx.selectFrom('org_units').select('id').where('parent_id', '=', id).where('valid_to', 'is', null).limit(1).executeTakeFirst();
    if (open) throw conflict('UNIT_HAS_OPEN_CHILDREN', '该单位下仍有未撤销的下级单位，请先调整或撤销下级单位。');
    // Staff: every post still running on the close date (open-ended or ending on or after it).
    const staff = await tx.selectFrom('staff_posts').select('id').where('org_unit_id', '=', id)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>=', input.validTo)])).limit(1).executeTakeFirst();
    if (staff) throw conflict('UNIT_HAS_STAFF', '该单位仍有在岗人员，请先结束其任职。');
    await tx.updateTable('org_units').set({ valid_to: input.validTo }).where('id', '=', id).execute();
    await audit(tx, actor, ip, 'org_unit.close', id, input);
    return { id, validTo: input.validTo };
  }));
}

/** Records a new survey snapshot (普查数据) for a street, community or grid; the old one stays in the audit trail. */
export async function recordSurvey(db: Db, actor: Actor, id: string, survey: SurveySnapshot, ip: string) {
  if (outOfScope(actor, id)) throw notFound('未找到该单位。');
  return changed(() => inTransaction(db, async (tx) => {
    const unit = await tx.selectFrom('org_units').select(['id', 'kind', 'survey']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!unit) throw notFound('未找到该单位。');
    if (!['street', 'community', 'grid'].includes(unit.kind)) throw unprocessable('SURVEY_NOT_APPLICABLE', '只有街道、社区和网格有普查数据。');
    await tx.updateTable('org_units').set({ survey: JSON.stringify(survey) }).where('id', '=', id).execute();
    await audit(tx, actor, ip, 'org_unit.survey_record', id, { before: unit.survey, after: survey });
    return { id, survey };
  }));
}

/** Designates a grid as key (重点型, with the reason and decision) or returns it to regular (000:122). */
export async function designateGrid(db: Db, actor: Actor, id: string, input: { kind: 'key' | 'regular'; reason: string; decidedOn: string; decisionRef?: string }, ip: string) {
  if (outOfScope(actor, id)) throw notFound('未找到该单位。');
  return changed(() => inTransaction(db, async (tx) => {
    const unit = await tx.selectFrom('org_units').select(['id', 'kind', 'key_designation']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!unit) throw notFound('未找到该单位。');
    if (unit.kind !== 'grid') throw unprocessable('NOT_A_GRID', '只有网格可以指定为重点型或常规型。');
    const isKey = unit.key_designation !== null;
    if ((input.kind === 'key') === isKey) throw conflict('DESIGNATION_UNCHANGED', input.kind === 'key' ? '该网格已是重点型网格。' : '该网格已是常规型网格。');
    const designation: KeyDesignation | null = input.kind === 'key' ? { reason: input.reason, decidedOn: input.decidedOn, decisionRef: input.decisionRef } : null;
    await tx.updateTable('org_units').set({ key_designation: designation ? JSON.stringify(designation) : null }).where('id', '=', id).execute();
    await audit(tx, actor, ip, 'org_unit.designate', id, { kind: input.kind, reason: input.reason, decidedOn: input.decidedOn, decisionRef: input.decisionRef ?? null });
    return { id, kind: input.kind, designation };
  }));
}
