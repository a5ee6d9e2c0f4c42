import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { conflict, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { bumpCounter, notInFuture, requireGridInScope, requireInScope, todayOffice, unitName } from './common.js';
import { checkDocument, normalizePhone, sealedDocument, sealedPhone } from './identity.js';
import { validUscc } from './idnumber.js';
import { formatHouseAddress } from './address.js';
import { addCollectionRecord, mayEnter } from './persons.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { pop, popTx, type HouseTable } from './schema.js';

/**
 * Houses (房屋: standard address → building → unit → room, owner, rental yes/no), tenancies
 * (租赁: dated relationships between a house and a tenant) and employers (用工单位).
 */
export interface HouseInput {
  gridId: string; address: string; building?: string; unitNo?: string; room?: string;
  ownerName: string; ownerIdNumber?: string; ownerPhone?: string; rental: boolean; rooms?: number; areaM2?: number;
}

export function houseDto(h: Selectable<HouseTable>, gridName?: string | null) {
  return {
    id: h.id, gridId: h.grid_id, gridName: gridName ?? null, address: h.address, building: h.building, unitNo: h.unit_no, room: h.room,
    /** The standard address with building, unit and room, as every list shows it. */
    fullAddress: formatHouseAddress(h),
    ownerName: h.owner_name, ownerIdNumberMasked: h.owner_id_masked, ownerPhoneMasked: h.owner_phone_masked,
    rental: h.rental, rooms: h.rooms, areaM2: h.area_m2 === null ? null : Number(h.area_m2), status: h.status, createdAt: h.created_at,
  };
}

export async function createHouse(db: Db, actor: Actor, input: HouseInput, ip: string | null) {
  const owner = input.ownerIdNumber ? checkDocument('resident_id', input.ownerIdNumber, todayOffice(), 'ownerIdNumber') : null;
  const phone = input.ownerPhone ? normalizePhone(input.ownerPhone, 'ownerPhone') : null;
  const { tree } = await requireGridInScope(db, actor, input.gridId);
  const policy = await populationPolicy(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const id = uuidv7();
    const sealedOwner = sealedDocument(owner?.normalized ?? null);
    const sealedOwnerPhone = sealedPhone(phone);
    await tx.insertInto('houses').values({
      id, grid_id: input.gridId, address: input.address, building: input.building ?? null, unit_no: input.unitNo ?? null, room: input.room ?? null,
      owner_name: input.ownerName, owner_id_hmac: sealedOwner.id_hmac, owner_id_enc: sealedOwner.id_enc, owner_id_masked: sealedOwner.id_masked,
      owner_phone_enc: sealedOwnerPhone.phone_enc, owner_phone_masked: sealedOwnerPhone.phone_masked,
      rental: input.rental, rooms: input.rooms ?? null, area_m2: input.areaM2 ?? null, created_by: actor.userId,
    }).execute();
    await bumpCounter(tx, input.gridId, 'houses', 1);
    if (input.rental) await bumpCounter(tx, input.gridId, 'rentals', 1);
    await addCollectionRecord(tx, {
      kind: 'house', personId: null, houseId: id, gridId: input.gridId, collectedBy: actor.userId, collectedAt: new Date(),
      policyPack: policy.packCode, policyVersion: policy.version, deadlineHours: policy.rules.reviewDeadlineHours, enteredBy: mayEnter(actor) ? actor.userId : null,
    });
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'house.create', entity: 'house', entityId: id, ip, summary: { gridId: input.gridId, rental: input.rental } });
    const row = await tx.selectFrom('houses').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return houseDto(row, unitName(tree, row.grid_id));
  });
}

/** Marks a house rented or no longer rented (出租 / 停租), with a reason; counters follow. */
export async function setRental(db: Db, actor: Actor, houseId: string, input: { rental: boolean; reason: string }, ip: string | null) {
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const house = requireInScope(actor, await tx.selectFrom('houses').selectAll().where('id', '=', houseId).forUpdate().executeTakeFirst());
    if (house.rental === input.rental) throw conflict('NO_CHANGE', input.rental ? '该房屋已登记为出租房屋。' : '该房屋已登记为非出租房屋。');
    await tx.updateTable('houses').set({ rental: input.rental, updated_at: new Date() }).where('id', '=', houseId).execute();
    await bumpCounter(tx, house.grid_id, 'rentals', input.rental ? 1 : -1);
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'house.update', entity: 'house', entityId: houseId, ip, summary: { rental: input.rental, reason: input.reason } });
    return houseDto({ ...house, rental: input.rental });
  });
}

export interface HouseQuery { gridId?: string; rental?: boolean; q?: string; page: number; pageSize: number }

export async function listHouses(db: Db, actor: Actor, q: HouseQuery) {
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('houses').where(inScope(actor.scope, 'houses')).where('status', '=', 'active');
  if (q.gridId) query = query.where('grid_id', '=', q.gridId);
  if (q.rental !== undefined) query = query.where('rental', '=', q.rental);
  if (q.q) query = query.where((eb) => eb.or([eb('address', 'like', `%${q.q}%`), eb('owner_name', 'like', `${q.q}%`)]));
  const [rows, total] = await Promise.all([
    query.selectAll('houses')
      .select((eb) => eb.selectFrom('residences').whereRef('residences.house_id', '=', 'houses.id').where('residences.to_date', 'is', null).select((e) => e.fn.countAll<string>().as('n')).as('residents'))
      .select((eb) => eb.selectFrom('patrols').whereRef('patrols.house_id', '=', 'houses.id').select((e) => e.fn.max('patrolled_on').as('d')).as('last_patrolled_on'))
      .orderBy('address').orderBy('id').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({ ...houseDto(r, unitName(tree, r.grid_id)), residents: Number(r.residents ?? 0), lastPatrolledOn: (r.last_patrolled_on as string | null) ?? null })),
    total: Number(total.n),
  };
}

export async function getHouse(db: Db, actor: Actor, houseId: string) {
  const p = pop(db);
  const house = requireInScope(actor, await p.selectFrom('houses').selectAll().where('id', '=', houseId).executeTakeFirst());
  const tree = await loadOrgTree(db);
  const residents = await p.selectFrom('residences').innerJoin('persons', 'persons.id', 'residences.person_id')
    .select(['persons.id', 'persons.name', 'persons.id_masked', 'residences.from_date', 'residences.to_date'])
    .where('residences.house_id', '=', houseId).where(inScope(actor.scope, 'residences')).orderBy('residences.from_date', 'desc').limit(200).execute();
  const tenancies = await p.selectFrom('tenancies').selectAll().where('house_id', '=', houseId).orderBy('from_date', 'desc').execute();
  const patrols = await p.selectFrom('patrols').select(['id', 'patrolled_on', 'findings', 'arrivals_found', 'departures_found', 'patroller_id'])
    .where('house_id', '=', houseId).orderBy('patrolled_on', 'desc').limit(20).execute();
  return {
    ...houseDto(house, unitName(tree, house.grid_id)),
    residents: residents.map((r) => ({ personId: r.id, name: r.name, idNumberMasked: r.id_masked, from: r.from_date, to: r.to_date })),
    tenancies: tenancies.map(tenancyDto),
    patrols: patrols.map((p) => ({ id: p.id, patrolledOn: p.patrolled_on, findings: p.findings, arrivalsFound: p.arrivals_found, departuresFound: p.departures_found })),
  };
}

const tenancyDto = (t: { id: string; house_id: string; tenant_person_id: string | null; tenant_name: string; landlord_name: string; from_date: string; to_date: string | null }) => ({
  id: t.id, houseId: t.house_id, tenantPersonId: t.tenant_person_id, tenantName: t.tenant_name, landlordName: t.landlord_name, from: t.from_date, to: t.to_date,
});

export async function addTenancy(db: Db, actor: Actor, houseId: string, input: { tenantPersonId?: string; tenantName: string; landlordName?: string; fromDate: string }, ip: string | null) {
  notInFuture(input.fromDate, 'fromDate');
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const house = requireInScope(actor, await tx.selectFrom('houses').selectAll().where('id', '=', houseId).forUpdate().executeTakeFirst());
    if (!house.rental) throw unprocessable('HOUSE_NOT_RENTAL', '该房屋未登记为出租房屋，请先标记为出租。', [{ path: 'houseId', code: 'HOUSE_NOT_RENTAL', message: '非出租房屋' }]);
    if (input.tenantPersonId) {
      const person = await tx.selectFrom('persons').select(['grid_id']).where('id', '=', input.tenantPersonId).executeTakeFirst();
      if (!person || person.grid_id !== house.grid_id) {
        throw unprocessable('TENANT_NOT_IN_GRID', '承租人应为本网格登记的人员。', [{ path: 'tenantPersonId', code: 'TENANT_NOT_IN_GRID', message: '承租人不在本网格' }]);
      }
    }
    const id = uuidv7();
    await tx.insertInto('tenancies').values({
      id, house_id: houseId, tenant_person_id: input.tenantPersonId ?? null, tenant_name: input.tenantName,
      landlord_name: input.landlordName ?? house.owner_name, from_date: input.fromDate, to_date: null, created_by: actor.userId,
    }).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'tenancy.create', entity: 'tenancy', entityId: id, ip, summary: { houseId } });
    return tenancyDto((await tx.selectFrom('tenancies').selectAll().where('id', '=', id).executeTakeFirstOrThrow()));
  });
}

export async function endTenancy(db: Db, actor: Actor, tenancyId: string, input: { toDate: string }, ip: string | null) {
  notInFuture(input.toDate, 'toDate');
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const row = await tx.selectFrom('tenancies').innerJoin('houses', 'houses.id', 'tenancies.house_id').selectAll('tenancies').select('houses.grid_id')
      .where('tenancies.id', '=', tenancyId).forUpdate().executeTakeFirst();
    const tenancy = requireInScope(actor, row);
    if (tenancy.to_date) throw conflict('TENANCY_ENDED', '该租赁关系已结束。');
    if (input.toDate < tenancy.from_date) throw unprocessable('END_BEFORE_START', '结束日期不能早于起租日期。', [{ path: 'toDate', code: 'END_BEFORE_START', message: '早于起租日期' }]);
    await tx.updateTable('tenancies').set({ to_date: input.toDate }).where('id', '=', tenancyId).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'tenancy.end', entity: 'tenancy', entityId: tenancyId, ip });
    return tenancyDto({ ...tenancy, to_date: input.toDate });
  });
}

export interface EmployerInput { gridId: string; name: string; uscc?: string; address: string; contactName?: string; phone?: string; employees?: number }

export async function createEmployer(db: Db, actor: Actor, input: EmployerInput, ip: string | null) {
  const uscc = input.uscc?.trim().toUpperCase();
  if (uscc && !validUscc(uscc)) throw unprocessable('INVALID_USCC', '统一社会信用代码校验不通过。', [{ path: 'uscc', code: 'INVALID_USCC', message: '校验码不正确' }]);
  const phone = input.phone ? normalizePhone(input.phone) : null;
  const { tree } = await requireGridInScope(db, actor, input.gridId);
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      const id = uuidv7();
      const sealed = sealedPhone(phone);
      await tx.insertInto('employers').values({
        id, grid_id: input.gridId, name: input.name, uscc: uscc ?? null, address: input.address, contact_name: input.contactName ?? null,
        phone_enc: sealed.phone_enc, phone_masked: sealed.phone_masked, employees: input.employees ?? 0, created_by: actor.userId,
      }).execute();
      await bumpCounter(tx, input.gridId, 'employers', 1);
      await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'employer.create', entity: 'employer', entityId: id, ip, summary: { gridId: input.gridId } });
      return { id, gridId: input.gridId, gridName: unitName(tree, input.gridId), name: input.name, uscc: uscc ?? null, address: input.address, contactName: input.contactName ?? null, phoneMasked: sealed.phone_masked, employees: input.employees ?? 0 };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('USCC_TAKEN', '该统一社会信用代码已登记。', [{ path: 'uscc', code: 'USCC_TAKEN', message: '已登记' }]);
    throw e;
  }
}

export async function listEmployers(db: Db, actor: Actor, q: { gridId?: string; q?: string; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('employers').where(inScope(actor.scope, 'employers')).where('status', '=', 'active');
  if (q.gridId) query = query.where('grid_id', '=', q.gridId);
  if (q.q) query = query.where('name', 'like', `%${q.q}%`);
  const [rows, total] = await Promise.all([
    query.selectAll().orderBy('name').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((e) => ({ id: e.id, gridId: e.grid_id, gridName: unitName(tree, e.grid_id), name: e.name, uscc: e.uscc, address: e.address, contactName: e.contact_name, phoneMasked: e.phone_masked, employees: e.employees })),
    total: Number(total.n),
  };
}

