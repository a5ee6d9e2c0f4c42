import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit, recordReadAudit } from '../../platform/audit/service.js';
import { conflict, forbidden, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers, type DataScope } from '../../platform/org/scope.js';
import { maskName } from '../../platform/crypto/personal.js';
import { ETHNICITIES, EDUCATION, originName } from './dictionaries.js';
import { checkDocument, idIndex, nameInitials, normalizePhone, reveal, sealedDocument, sealedPhone, type IdType } from './identity.js';
import { bumpCounter, bumpWork, communityOf, dateConflict, monthOf, nameMatches, notInFuture, requireGridInScope, requireInScope, todayOffice, unitName } from './common.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { formatHouseAddress } from './address.js';
import { pop, popTx, type PersonTable, type PopTx } from './schema.js';
import type { Selectable } from 'kysely';

/**
 * The person registry (流动人口登记): arrival registration (来有登记), departure (走有注销),
 * search, reading (audited) and dedup suggestions. A person has at most one open residence; the
 * residence history is kept; a returning person reuses their record.
 */
type PersonRow = Selectable<PersonTable>;

export interface RegisterInput {
  idType?: IdType;
  idNumber?: string;
  name: string;
  phone?: string;
  gridId: string;
  houseId?: string;
  arrivedOn: string;
  reason?: string;
  employerId?: string;
  ethnicity?: string;
  origin?: string;
  education?: string;
  occupation?: string;
  /** For documents that carry neither (passport, none): given by the collector. */
  birthDate?: string;
  gender?: 'male' | 'female';
  correctionReason?: string;
  /** When the grid worker collected it on the visit (default: now); the 24 h clock starts here. */
  collectedAt?: string;
}

/**
 * 409 ALREADY_REGISTERED. In the caller's scope the details name the grid and the person (each
 * as a standard detail: `idNumber` → the grid's name, `gridId` → its id, `personId` → the person),
 * and the message says 已在本网格登记 when it is the grid being registered into; outside the
 * caller's scope nothing is named.
 */
export function alreadyRegistered(actor: Actor, tree: OrgTree, existing: { id: string; grid_id: string }, gridId: string) {
  const named = scopeCovers(actor.scope, existing.grid_id) ? unitName(tree, existing.grid_id) : null;
  if (!named) return conflict('ALREADY_REGISTERED', '此人已在其他网格登记居住，请联系流管站办理迁移。');
  const own = existing.grid_id === gridId;
  return conflict('ALREADY_REGISTERED',
    own ? `此人已在本网格（${named}）登记居住，无需重复登记；信息有误请在人员详情中更正。` : `此人已在${named}登记居住，请办理迁入（迁移）而非重复登记。`,
    [
      { path: 'idNumber', code: 'ALREADY_REGISTERED', message: named },
      { path: 'gridId', code: own ? 'SAME_GRID' : 'OTHER_GRID', message: existing.grid_id },
      { path: 'personId', code: 'REGISTERED_PERSON', message: existing.id },
    ]);
}

export const dictionaryCheck = (value: string | null | undefined, dict: { code: string }[], path: string) => {
  if (value !== undefined && value !== null && !dict.some((d) => d.code === value)) {
    throw unprocessable('UNKNOWN_CODE', '代码不在国家标准字典中。', [{ path, code: 'UNKNOWN_CODE', message: '未知的字典代码' }]);
  }
};

export function personDto(p: PersonRow, opts: { reveal?: boolean; gridName?: string | null } = {}) {
  return {
    id: p.id,
    idType: p.id_type,
    idNumberMasked: p.id_masked,
    ...(opts.reveal ? { idNumber: reveal(p.id_enc), phone: reveal(p.phone_enc) } : {}),
    name: p.name,
    gender: p.gender,
    birthDate: p.birth_date,
    ethnicity: p.ethnicity,
    origin: p.origin,
    education: p.education,
    occupation: p.occupation,
    phoneMasked: p.phone_masked,
    employerId: p.employer_id,
    gridId: p.grid_id,
    gridName: opts.gridName ?? null,
    houseId: p.house_id,
    status: p.status,
    reviewStatus: p.review_status,
    arrivedOn: p.arrived_on,
    leftOn: p.left_on,
    arrivalReason: p.arrival_reason,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    version: p.version,
  };
}

/** The 24-hour reporting clock (natural hours from collection): late is flagged, never blocking. */
export function isLate(collectedAt: Date, reportedAt: Date, deadlineHours: number): boolean {
  return reportedAt.getTime() - collectedAt.getTime() > deadlineHours * 3_600_000;
}

/**
 * The house must be an active house of the grid. A house in a grid outside the caller's scope is
 * answered exactly like an unknown one, so a probe with house ids never learns that one exists.
 */
export async function requireHouseInGrid(tx: PopTx, scope: DataScope, houseId: string | undefined, gridId: string, path = 'houseId'): Promise<void> {
  if (!houseId) return;
  const house = await tx.selectFrom('houses').select(['grid_id', 'status']).where('id', '=', houseId).executeTakeFirst();
  if (!house || house.status !== 'active' || !scopeCovers(scope, house.grid_id)) {
    throw unprocessable('UNKNOWN_HOUSE', '房屋不存在或已注销。', [{ path, code: 'UNKNOWN_HOUSE', message: '未知的房屋' }]);
  }
  if (house.grid_id !== gridId) {
    throw unprocessable('HOUSE_NOT_IN_GRID', '该房屋不在所登记的网格内。', [{ path, code: 'HOUSE_NOT_IN_GRID', message: '房屋属于其他网格' }]);
  }
}

/** 户籍地: any 6-digit GB/T 2260 code whose province (or prefecture) is known; county lists change. */
export function originCheck(origin: string | null | undefined): void {
  if (origin !== undefined && origin !== null && !(/^\d{6}$/.test(origin) && originName(origin))) {
    throw unprocessable('UNKNOWN_CODE', '户籍地代码不是有效的行政区划代码。', [{ path: 'origin', code: 'UNKNOWN_CODE', message: '未知的行政区划代码' }]);
  }
}

export async function requireEmployer(tx: PopTx, employerId: string | null | undefined): Promise<void> {
  if (!employerId) return;
  const e = await tx.selectFrom('employers').select('id').where('id', '=', employerId).executeTakeFirst();
  if (!e) throw unprocessable('UNKNOWN_EMPLOYER', '用工单位不存在。', [{ path: 'employerId', code: 'UNKNOWN_EMPLOYER', message: '未知的用工单位' }]);
}

/** 000:27 — who may enter records into the registry (录入): community-station users and the street office. */
export const mayEnter = (actor: Actor): boolean => actor.permissions.has('record:enter');

/**
 * Records what the collector reported and counts it for the collector (采集). Reported by a station
 * user, it is entered at once (录入, counted for them too) and waits for review; reported by a grid
 * worker or collector, it waits in `collected` until the station's entry clerk enters it (enterRecord).
 */
export async function addCollectionRecord(tx: PopTx, r: {
  kind: 'arrival' | 'departure' | 'move' | 'house'; personId: string | null; houseId: string | null; gridId: string;
  collectedBy: string; collectedAt: Date;
  /** The policy pack and version the record was judged under (its 24 h clock). */
  policyPack: string; policyVersion: number; deadlineHours: number;
  /** The station user entering it with the report (see mayEnter), or null: it waits in `collected`. */
  enteredBy: string | null;
}): Promise<string> {
  const id = uuidv7();
  const reportedAt = new Date();
  await tx.insertInto('collection_records').values({
    id, kind: r.kind, person_id: r.personId, house_id: r.houseId, grid_id: r.gridId, collected_by: r.collectedBy,
    collected_at: r.collectedAt, reported_at: reportedAt, late: isLate(r.collectedAt, reportedAt, r.deadlineHours),
    review_status: r.enteredBy ? 'reported' : 'collected', entered_by: r.enteredBy, entered_at: r.enteredBy ? reportedAt : null,
    reviewed_by: null, reviewed_at: null, return_reasons: null, policy_pack: r.policyPack, policy_version: r.policyVersion,
  }).execute();
  await bumpWork(tx, r.collectedBy, monthOf(r.collectedAt), r.gridId, { collected: 1 });
  if (r.enteredBy) await bumpWork(tx, r.enteredBy, monthOf(reportedAt), r.gridId, { entered: 1 });
  return id;
}

export async function personEvent(tx: PopTx, personId: string, kind: string, actorId: string | null, data: Record<string, unknown> = {}): Promise<void> {
  await tx.insertInto('person_events').values({ id: uuidv7(), person_id: personId, kind, actor_id: actorId, data: JSON.stringify(data) }).execute();
}

function collectedAtOf(input: { collectedAt?: string }): Date {
  if (!input.collectedAt) return new Date();
  const d = new Date(input.collectedAt);
  if (Number.isNaN(d.getTime()) || d.getTime() > Date.now() + 60_000) {
    throw unprocessable('FUTURE_DATE', '采集时间不能晚于现在。', [{ path: 'collectedAt', code: 'FUTURE_DATE', message: '采集时间晚于现在' }]);
  }
  return d;
}

export async function registerPerson(db: Db, actor: Actor, input: RegisterInput, ip: string | null) {
  const today = todayOffice();
  const idType = input.idType ?? 'resident_id';
  const doc = checkDocument(idType, input.idNumber, today);
  if (idType !== 'none' && !doc.normalized) throw unprocessable('INVALID_ID_NUMBER', '证件号码无效。', [{ path: 'idNumber', code: 'LENGTH', message: '缺少证件号码' }]);
  const birthDate = doc.birthDate ?? input.birthDate ?? null;
  const gender = doc.gender ?? input.gender ?? null;
  notInFuture(input.arrivedOn, 'arrivedOn');
  if (birthDate) {
    notInFuture(birthDate, 'birthDate');
    if (input.arrivedOn < birthDate) throw dateConflict('ARRIVAL_BEFORE_BIRTH', '来本地日期不能早于出生日期。', 'arrivedOn');
  }
  dictionaryCheck(input.ethnicity, ETHNICITIES, 'ethnicity');
  dictionaryCheck(input.education, EDUCATION, 'education');
  originCheck(input.origin);
  const phone = input.phone ? normalizePhone(input.phone) : null;
  const collectedAt = collectedAtOf(input);
  const { tree } = await requireGridInScope(db, actor, input.gridId);
  const policy = await populationPolicy(db);

  const run = () => inTransaction(db, async (t) => {
    const tx = popTx(t);
    await requireHouseInGrid(tx, actor.scope, input.houseId, input.gridId);
    await requireEmployer(tx, input.employerId);
    const existing = doc.normalized
      ? await tx.selectFrom('persons').selectAll().where('id_hmac', '=', idIndex(doc.normalized)).forUpdate().executeTakeFirst()
      : undefined;
    if (existing?.status === 'active') throw alreadyRegistered(actor, tree, existing, input.gridId);
    if (existing && existing.name !== input.name && !input.correctionReason) {
      throw conflict('ID_NAME_MISMATCH', '该证件号码已登记的姓名与本次不一致；如确需更正，请填写更正原因。', [{ path: 'name', code: 'ID_NAME_MISMATCH', message: '姓名与已登记的不一致' }]);
    }
    const personId = existing?.id ?? uuidv7();
    const fields = {
      name: input.name, name_initials: nameInitials(input.name), gender, birth_date: birthDate,
      ethnicity: input.ethnicity ?? existing?.ethnicity ?? null, origin: input.origin ?? existing?.origin ?? null,
      education: input.education ?? existing?.education ?? null, occupation: input.occupation ?? existing?.occupation ?? null,
      ...(phone ? sealedPhone(phone) : existing ? {} : sealedPhone(null)),
      employer_id: input.employerId ?? null, status: 'active' as const, grid_id: input.gridId, house_id: input.houseId ?? null,
      arrived_on: input.arrivedOn, left_on: null, arrival_reason: input.reason ?? null, review_status: 'reported' as const,
    };
    if (existing) {
      const lastLeft = existing.left_on;
      if (lastLeft && input.arrivedOn < lastLeft) throw dateConflict('ARRIVAL_BEFORE_DEPARTURE', '再次来本地的日期不能早于上次离开日期。', 'arrivedOn');
      await tx.updateTable('persons').set({ ...fields, updated_at: new Date(), version: sql`version + 1` }).where('id', '=', personId).execute();
      if (existing.name !== input.name) await personEvent(tx, personId, 'name_corrected', actor.userId, { reason: input.correctionReason });
    } else {
      await tx.insertInto('persons').values({ id: personId, id_type: idType, ...sealedDocument(doc.normalized), ...sealedPhone(phone), ...fields, created_by: actor.userId })
        .execute();
    }
    await tx.insertInto('residences').values({
      id: uuidv7(), person_id: personId, grid_id: input.gridId, house_id: input.houseId ?? null, from_date: input.arrivedOn,
      to_date: null, arrival_reason: input.reason ?? null, departure_reason: null, created_by: actor.userId, ended_by: null, ended_at: null,
    }).execute();
    await bumpCounter(tx, input.gridId, 'migrants', 1);
    await addCollectionRecord(tx, {
      kind: 'arrival', personId, houseId: input.houseId ?? null, gridId: input.gridId, collectedBy: actor.userId, collectedAt,
      policyPack: policy.packCode, policyVersion: policy.version, deadlineHours: policy.rules.reviewDeadlineHours, enteredBy: mayEnter(actor) ? actor.userId : null,
    });
    await personEvent(tx, personId, existing ? 'returned' : 'arrived', actor.userId, { gridId: input.gridId, arrivedOn: input.arrivedOn });
    await recordAudit(t, {
      actorId: actor.userId, actorName: actor.name, action: 'person.create', entity: 'person', entityId: personId, ip,
      summary: { gridId: input.gridId, reused: Boolean(existing), idType },
    });
    const row = await tx.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirstOrThrow();
    const house = input.houseId ? await tx.selectFrom('houses').select(['address', 'building', 'unit_no', 'room']).where('id', '=', input.houseId).executeTakeFirst() : undefined;
    // `houseAddress`: where the person now lives, the standard address (for the 登记成功 card).
    return { ...personDto(row, { gridName: unitName(tree, row.grid_id) }), houseAddress: house ? formatHouseAddress(house) : null, reused: Boolean(existing) };
  });
  try {
    return await run();
  } catch (e) {
    // Two clerks registering the same new ID at once: the loser sees the winner's registration.
    if (isUniqueViolation(e)) return run();
    throw e;
  }
}

export async function departPerson(db: Db, actor: Actor, personId: string, input: { leftOn: string; reason?: string; collectedAt?: string }, ip: string | null) {
  notInFuture(input.leftOn, 'leftOn');
  const collectedAt = collectedAtOf(input);
  const policy = await populationPolicy(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const person = requireInScope(actor, await tx.selectFrom('persons').selectAll().where('id', '=', personId).forUpdate().executeTakeFirst());
    if (person.status !== 'active') throw conflict('NOT_ACTIVE', '此人当前没有有效的居住登记。');
    const residence = await tx.selectFrom('residences').selectAll().where('person_id', '=', personId).where('to_date', 'is', null).executeTakeFirstOrThrow();
    if (input.leftOn < residence.from_date) {
      throw dateConflict('DEPARTURE_BEFORE_ARRIVAL', `离开日期不能早于来本地日期（${residence.from_date}）。`, 'leftOn');
    }
    await endResidence(tx, actor, residence.id, input.leftOn, input.reason ?? null);
    await tx.updateTable('persons').set({ status: 'left', left_on: input.leftOn, updated_at: new Date(), version: sql`version + 1` }).where('id', '=', personId).execute();
    await bumpCounter(tx, person.grid_id, 'migrants', -1);
    await addCollectionRecord(tx, {
      kind: 'departure', personId, houseId: residence.house_id, gridId: person.grid_id, collectedBy: actor.userId, collectedAt,
      policyPack: policy.packCode, policyVersion: policy.version, deadlineHours: policy.rules.reviewDeadlineHours, enteredBy: mayEnter(actor) ? actor.userId : null,
    });
    await personEvent(tx, personId, 'departed', actor.userId, { leftOn: input.leftOn, reason: input.reason ?? null });
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'person.depart', entity: 'person', entityId: personId, ip, summary: { gridId: person.grid_id } });
    const row = await tx.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirstOrThrow();
    return personDto(row);
  });
}

/** Ends an open residence and the person's open tenancies on the same day. */
export async function endResidence(tx: PopTx, actor: Actor, residenceId: string, toDate: string, reason: string | null): Promise<void> {
  const r = await tx.updateTable('residences').set({ to_date: toDate, departure_reason: reason, ended_by: actor.userId, ended_at: new Date() })
    .where('id', '=', residenceId).where('to_date', 'is', null).returning(['person_id']).executeTakeFirstOrThrow();
  await tx.updateTable('tenancies').set({ to_date: sql`greatest(from_date, ${toDate}::date)` })
    .where('tenant_person_id', '=', r.person_id).where('to_date', 'is', null).execute();
}

export async function getPerson(db: Db, actor: Actor, personId: string, opts: { reveal: boolean }, ip: string | null) {
  if (opts.reveal && !actor.permissions.has('person:reveal')) throw forbidden('您没有查看完整证件号码的权限。');
  const p = pop(db);
  const person = requireInScope(actor, await p.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirst());
  const tree = await loadOrgTree(db);
  const residences = await p.selectFrom('residences').leftJoin('houses', 'houses.id', 'residences.house_id')
    .select(['residences.id', 'residences.house_id', 'residences.grid_id', 'residences.from_date', 'residences.to_date', 'residences.arrival_reason', 'residences.departure_reason', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
    .where('person_id', '=', personId).orderBy('from_date', 'desc').execute();
  const events = await p.selectFrom('person_events').select(['kind', 'at', 'actor_id', 'data']).where('person_id', '=', personId).orderBy('at', 'desc').limit(50).execute();
  const records = await p.selectFrom('collection_records').select(['id', 'kind', 'review_status', 'collected_by', 'collected_at', 'reported_at', 'entered_by', 'entered_at', 'late', 'return_reasons'])
    .where('person_id', '=', personId).orderBy('reported_at', 'desc').limit(20).execute();
  await recordReadAudit(db, {
    actorId: actor.userId, actorName: actor.name, action: opts.reveal ? 'person.reveal' : 'person.read', entity: 'person', entityId: personId, ip,
  });
  if (opts.reveal) await recordReadAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'person.read', entity: 'person', entityId: personId, ip });
  return {
    ...personDto(person, { reveal: opts.reveal, gridName: unitName(tree, person.grid_id) }),
    residences: residences.map((r) => ({
      id: r.id, houseId: r.house_id, address: formatHouseAddress(r), gridId: r.grid_id, gridName: unitName(tree, r.grid_id),
      from: r.from_date, to: r.to_date, arrivalReason: r.arrival_reason, departureReason: r.departure_reason,
    })),
    events: events.map((e) => ({ kind: e.kind, at: e.at, actorId: e.actor_id, data: e.data })),
    records: records.map((r) => ({
      id: r.id, kind: r.kind, reviewStatus: r.review_status, collectedBy: r.collected_by, collectedAt: r.collected_at, reportedAt: r.reported_at,
      enteredBy: r.entered_by, enteredAt: r.entered_at, late: r.late, returnReasons: r.return_reasons,
    })),
  };
}

export interface PersonQuery {
  idNumber?: string; name?: string; gridId?: string; communityId?: string; houseId?: string;
  status?: 'active' | 'left'; reviewStatus?: 'reported' | 'passed' | 'returned'; reveal?: boolean;
  page: number; pageSize: number;
}

/** Matches counted exactly up to this many; beyond it `total` is the cap and `totalIsLowerBound` is set. */
export const PERSON_COUNT_CAP = 10_000;

/** Search and list (scope-filtered: out-of-scope matches are simply absent). One audit event per search. */
export async function listPersons(db: Db, actor: Actor, q: PersonQuery, ip: string | null, countCap = PERSON_COUNT_CAP) {
  if (q.reveal && !actor.permissions.has('person:reveal')) throw forbidden('您没有查看完整证件号码的权限。');
  const tree = await loadOrgTree(db);
  let query = pop(db).selectFrom('persons').where(inScope(actor.scope, 'persons'));
  if (q.idNumber) {
    const normalized = q.idNumber.trim().toUpperCase();
    // A 15-digit legacy number is looked up as its 18-digit form.
    let key = normalized;
    try { key = checkDocument('resident_id', normalized, todayOffice()).normalized ?? normalized; } catch { /* other document types */ }
    query = query.where('id_hmac', 'in', [...new Set([idIndex(normalized), idIndex(key)])]);
  }
  if (q.name) {
    // Trigram similarity only from 3 characters: Chinese names are 2–3 characters, so 2 would match half the street.
    query = query.where(nameMatches(q.name, { name: 'name', initials: 'name_initials' }, { similarFrom: 3 }));
  }
  if (q.gridId) query = query.where('grid_id', '=', q.gridId);
  if (q.communityId) {
    const grids = tree.children.get(q.communityId)?.filter((id) => tree.units.get(id)?.kind === 'grid') ?? [];
    query = query.where('grid_id', 'in', grids.length ? grids : ['00000000-0000-0000-0000-000000000000']);
  }
  if (q.houseId) query = query.where('house_id', '=', q.houseId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.reviewStatus) query = query.where('review_status', '=', q.reviewStatus);
  // The count stops at COUNT_CAP + 1: a one-character surname can match a hundred thousand people,
  // and nobody pages through them — past the cap the list says "more than" and asks to narrow.
  const [rows, total] = await Promise.all([
    query.selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    pop(db).selectFrom(query.select(sql`1`.as('x')).limit(countCap + 1).as('m')).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  await recordReadAudit(db, {
    actorId: actor.userId, actorName: actor.name, action: q.reveal ? 'person.reveal' : 'person.search', entity: 'person', ip,
    summary: { filters: Object.keys(q).filter((k) => !['page', 'pageSize'].includes(k) && q[k as keyof PersonQuery] !== undefined), results: rows.length },
  });
  const n = Number(total.n);
  return {
    items: rows.map((r) => personDto(r, { reveal: q.reveal, gridName: unitName(tree, r.grid_id) })),
    total: Math.min(n, countCap),
    ...(n > countCap ? { totalIsLowerBound: true } : {}),
  };
}

/**
 * Dedup suggestions (疑似重复) before saving: the exact document match, then people with the same
 * birth date and a similar name. Scope-filtered; never blocks a registration.
 */
export async function dedupCheck(db: Db, actor: Actor, input: { name: string; birthDate?: string; idNumber?: string; idType?: IdType }, ip: string | null) {
  const p = pop(db);
  const found = new Map<string, { id: string; nameMasked: string; birthDate: string | null; gridId: string; gridName: string | null; status: string; score: number; reason: string }>();
  const tree = await loadOrgTree(db);
  const add = (r: PersonRow, score: number, reason: string) => {
    const prev = found.get(r.id);
    if (!prev || prev.score < score) found.set(r.id, { id: r.id, nameMasked: maskName(r.name), birthDate: r.birth_date, gridId: r.grid_id, gridName: unitName(tree, r.grid_id), status: r.status, score, reason });
  };
  let birthDate = input.birthDate;
  if (input.idNumber) {
    try {
      const doc = checkDocument(input.idType ?? 'resident_id', input.idNumber, todayOffice());
      birthDate ??= doc.birthDate ?? undefined;
      if (doc.normalized) {
        const exact = await p.selectFrom('persons').selectAll().where('id_hmac', '=', idIndex(doc.normalized)).where(inScope(actor.scope, 'persons')).executeTakeFirst();
        if (exact) add(exact, 1, 'same_document');
      }
    } catch { /* an invalid number is reported by the registration itself */ }
  }
  const name = input.name.trim();
  if (birthDate) {
    const similar = await p.selectFrom('persons').selectAll().select(sql<number>`similarity(name, ${name})`.as('sim'))
      .where('birth_date', '=', birthDate).where(inScope(actor.scope, 'persons'))
      .where((eb) => eb.or([eb('name', '=', name), sql<boolean>`similarity(name, ${name}) >= 0.2`, eb('name_initials', '=', nameInitials(name))]))
      .limit(20).execute();
    for (const r of similar) add(r, r.name === name ? 0.9 : Math.round((0.5 + Number(r.sim) * 0.4) * 100) / 100, r.name === name ? 'same_name_birth_date' : 'similar_name_birth_date');
  } else {
    const same = await p.selectFrom('persons').selectAll().where('name', '=', name).where(inScope(actor.scope, 'persons')).limit(10).execute();
    for (const r of same) add(r, 0.5, 'same_name');
  }
  await recordReadAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'person.search', entity: 'person', ip, summary: { kind: 'dedup', results: found.size } });
  return { candidates: [...found.values()].sort((a, b) => b.score - a.score) };
}

export { communityOf };
