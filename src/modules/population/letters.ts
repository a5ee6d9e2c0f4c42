import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { conflict, forbidden, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { addDays, communityOf, dateConflict, notInFuture, requireInScope, todayOffice, unitName } from './common.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { formatHouseAddress } from './address.js';
import { pop, popTx, type PopDb, type PopTx, type ResponsibilityLetterTable } from './schema.js';

/**
 * Responsibility letters (责任书, seed 000 l.25): the community station signs them with rental-house
 * owners (出租房屋主) and employers (用工单位) for their rental and public-security duties, for a
 * term. A letter is valid on a day inside its term unless ended before; ending early and renewing
 * (a new letter pointing at the old one) never rewrite the old row's term. Rental houses in scope
 * with no valid landlord letter are listed so the station can go and sign one.
 */
export const PARTY_KINDS = ['landlord', 'employer'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];
type LetterRow = Selectable<ResponsibilityLetterTable>;

/** The policy's notice window for letters ending. */
export const letterNoticeDays = async (db: Db): Promise<number> => (await populationPolicy(db)).rules.letterRenewalNoticeDays;

export type LetterState = 'upcoming' | 'valid' | 'expiring' | 'expired' | 'ended';

/** The state of a letter on `today`: ended (early) wins, then the term. */
export function letterState(l: { term_from: string; term_to: string; ended_on: string | null }, today: string, noticeDays: number): LetterState {
  if (l.ended_on !== null && l.ended_on <= today) return 'ended';
  if (today < l.term_from) return 'upcoming';
  if (today > l.term_to) return 'expired';
  return l.term_to <= addDays(today, noticeDays) ? 'expiring' : 'valid';
}

type LetterWithParty = LetterRow & { address?: string | null; building?: string | null; unit_no?: string | null; room?: string | null; employer_name?: string | null };

function letterDto(l: LetterWithParty, tree: OrgTree, today: string, noticeDays: number, renewedById: string | null = null) {
  const state = letterState(l, today, noticeDays);
  return {
    id: l.id, partyKind: l.party_kind, houseId: l.house_id, employerId: l.employer_id, partyName: l.party_name,
    address: l.address ?? null, building: l.building ?? null, unitNo: l.unit_no ?? null, room: l.room ?? null, fullAddress: formatHouseAddress({ address: l.address ?? null, building: l.building, unit_no: l.unit_no, room: l.room }),
    employerName: l.employer_name ?? null,
    gridId: l.grid_id, gridName: unitName(tree, l.grid_id), communityName: unitName(tree, communityOf(tree, l.grid_id)),
    signedOn: l.signed_on, termFrom: l.term_from, termTo: l.term_to, note: l.note,
    endedOn: l.ended_on, endReason: l.end_reason, renewsId: l.renews_id, renewedById,
    state, inForce: state === 'valid' || state === 'expiring', createdAt: l.created_at,
  };
}

const withParty = (p: PopDb | PopTx) => p.selectFrom('responsibility_letters')
  .leftJoin('houses', 'houses.id', 'responsibility_letters.house_id')
  .leftJoin('employers', 'employers.id', 'responsibility_letters.employer_id')
  .selectAll('responsibility_letters')
  .select(['houses.address as address', 'houses.building as building', 'houses.unit_no as unit_no', 'houses.room as room', 'employers.name as employer_name']);

function checkTerm(input: { signedOn: string; termFrom: string; termTo: string }) {
  notInFuture(input.signedOn, 'signedOn');
  if (input.termTo < input.termFrom) throw dateConflict('TERM_END_BEFORE_START', '责任期限的结束日期不能早于开始日期。', 'termTo');
  if (input.signedOn > input.termTo) throw dateConflict('SIGNED_AFTER_TERM', '签订日期不能晚于责任期限的结束日期。', 'signedOn');
}

/** The party named in a body: in scope (else 403, so existence never leaks), existing (else 422). */
async function partyOf(tx: PopTx, actor: Actor, kind: PartyKind, houseId: string | undefined, employerId: string | undefined) {
  const missing = (code: string, path: string, message: string) => {
    throw unprocessable(code, message, [{ path, code, message }]);
  };
  if (kind === 'landlord') {
    const house = await tx.selectFrom('houses').select(['id', 'grid_id', 'owner_name', 'rental', 'status']).where('id', '=', houseId!).executeTakeFirst();
    if (!actor.scope.all && (!house || !scopeCovers(actor.scope, house.grid_id))) throw forbidden('该房屋不在您的管辖范围内。');
    if (!house || house.status !== 'active') return missing('UNKNOWN_HOUSE', 'houseId', '房屋不存在或已注销。');
    if (!house.rental) return missing('HOUSE_NOT_RENTAL', 'houseId', '该房屋未登记为出租房屋，房主责任书只与出租房屋主签订。');
    return { gridId: house.grid_id, defaultName: house.owner_name };
  }
  const employer = await tx.selectFrom('employers').select(['id', 'grid_id', 'name', 'status']).where('id', '=', employerId!).executeTakeFirst();
  if (!actor.scope.all && (!employer || !scopeCovers(actor.scope, employer.grid_id))) throw forbidden('该用工单位不在您的管辖范围内。');
  if (!employer || employer.status !== 'active') return missing('UNKNOWN_EMPLOYER', 'employerId', '用工单位不存在或已注销。');
  return { gridId: employer.grid_id, defaultName: employer.name };
}

export type LetterInput =
  | { partyKind: 'landlord'; houseId: string; partyName?: string; signedOn: string; termFrom: string; termTo: string; note?: string }
  | { partyKind: 'employer'; employerId: string; partyName?: string; signedOn: string; termFrom: string; termTo: string; note?: string };

export async function createLetter(db: Db, actor: Actor, input: LetterInput, ip: string | null, renewsId: string | null = null) {
  checkTerm(input);
  const [tree, notice] = await Promise.all([loadOrgTree(db), letterNoticeDays(db)]);
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      const party = await partyOf(tx, actor, input.partyKind, input.partyKind === 'landlord' ? input.houseId : undefined, input.partyKind === 'employer' ? input.employerId : undefined);
      const id = uuidv7();
      await tx.insertInto('responsibility_letters').values({
        id, party_kind: input.partyKind,
        house_id: input.partyKind === 'landlord' ? input.houseId : null, employer_id: input.partyKind === 'employer' ? input.employerId : null,
        grid_id: party.gridId, party_name: input.partyName ?? party.defaultName, signed_on: input.signedOn,
        term_from: input.termFrom, term_to: input.termTo, note: input.note ?? null, ended_on: null, end_reason: null, ended_by: null,
        renews_id: renewsId, created_by: actor.userId,
      }).execute();
      await recordAudit(t, {
        actorId: actor.userId, actorName: actor.name, action: renewsId ? 'letter.renew' : 'letter.create', entity: 'responsibility_letter', entityId: id, ip,
        summary: { partyKind: input.partyKind, gridId: party.gridId, termFrom: input.termFrom, termTo: input.termTo, renewsId },
      });
      return letterDto((await withParty(tx).where('responsibility_letters.id', '=', id).executeTakeFirstOrThrow()), tree, todayOffice(), notice);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('ALREADY_RENEWED', '该责任书已续签。');
    throw e;
  }
}

/** Ends a letter before its term (终止): the date is kept, the term is not rewritten. */
export async function endLetter(db: Db, actor: Actor, letterId: string, input: { endedOn: string; reason: string }, ip: string | null) {
  notInFuture(input.endedOn, 'endedOn');
  const [tree, notice] = await Promise.all([loadOrgTree(db), letterNoticeDays(db)]);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const l = requireInScope(actor, await tx.selectFrom('responsibility_letters').selectAll().where('id', '=', letterId).forUpdate().executeTakeFirst());
    if (l.ended_on) throw conflict('LETTER_ENDED', `该责任书已于 ${l.ended_on} 终止。`);
    if (input.endedOn < l.term_from) throw dateConflict('END_BEFORE_TERM', `终止日期不能早于责任期限开始日期 ${l.term_from}。`, 'endedOn');
    if (input.endedOn > l.term_to) throw dateConflict('END_AFTER_TERM', `该责任书已于 ${l.term_to} 到期，无需终止。`, 'endedOn');
    await tx.updateTable('responsibility_letters').set({ ended_on: input.endedOn, end_reason: input.reason, ended_by: actor.userId }).where('id', '=', letterId).execute();
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'letter.end', entity: 'responsibility_letter', entityId: letterId, ip, summary: { endedOn: input.endedOn } });
    return letterDto((await withParty(tx).where('responsibility_letters.id', '=', letterId).executeTakeFirstOrThrow()), tree, todayOffice(), notice);
  });
}

/** Renews (续签) a letter: a new letter with the same party, its term starting after the old one by default. */
export async function renewLetter(db: Db, actor: Actor, letterId: string, input: { signedOn: string; termFrom?: string; termTo: string; note?: string }, ip: string | null) {
  const old = requireInScope(actor, await pop(db).selectFrom('responsibility_letters').selectAll().where('id', '=', letterId).executeTakeFirst());
  if (old.ended_on) throw conflict('LETTER_ENDED', '已终止的责任书不能续签，请重新签订。');
  const renewed = await pop(db).selectFrom('responsibility_letters').select('id').where('renews_id', '=', letterId).executeTakeFirst();
  if (renewed) throw conflict('ALREADY_RENEWED', '该责任书已续签。');
  const termFrom = input.termFrom ?? addDays(old.term_to, 1);
  const base = { partyName: old.party_name, signedOn: input.signedOn, termFrom, termTo: input.termTo, note: input.note };
  const next: LetterInput = old.party_kind === 'landlord'
    ? { partyKind: 'landlord', houseId: old.house_id!, ...base }
    : { partyKind: 'employer', employerId: old.employer_id!, ...base };
  return createLetter(db, actor, next, ip, letterId);
}

export interface LetterQuery {
  gridId?: string; partyKind?: PartyKind; houseId?: string; employerId?: string;
  /** Term ended (not ended early) before today. */
  expired?: boolean;
  /** In force and the term ends within N days (default: the policy's notice window). */
  expiring?: boolean; expiringWithinDays?: number;
  /** In force today. */
  inForce?: boolean;
  page: number; pageSize: number;
}

export async function listLetters(db: Db, actor: Actor, q: LetterQuery) {
  const [tree, notice] = await Promise.all([loadOrgTree(db), letterNoticeDays(db)]);
  const today = todayOffice();
  const window = q.expiringWithinDays ?? (q.expiring ? notice : undefined);
  const L = 'responsibility_letters';
  let query = pop(db).selectFrom(L).leftJoin('houses', 'houses.id', `${L}.house_id`).leftJoin('employers', 'employers.id', `${L}.employer_id`)
    .where(inScope(actor.scope, L));
  if (q.gridId) query = query.where(`${L}.grid_id`, '=', q.gridId);
  if (q.partyKind) query = query.where(`${L}.party_kind`, '=', q.partyKind);
  if (q.houseId) query = query.where(`${L}.house_id`, '=', q.houseId);
  if (q.employerId) query = query.where(`${L}.employer_id`, '=', q.employerId);
  const notEnded = (qq: typeof query) => qq.where((eb) => eb.or([eb(`${L}.ended_on`, 'is', null), eb(`${L}.ended_on`, '>', today)]));
  if (q.expired) query = notEnded(query).where(`${L}.term_to`, '<', today);
  if (window !== undefined || q.inForce) query = notEnded(query).where(`${L}.term_from`, '<=', today).where(`${L}.term_to`, '>=', today);
  if (window !== undefined) query = query.where(`${L}.term_to`, '<=', addDays(today, window));
  const ordered = window !== undefined ? query.orderBy(`${L}.term_to`).orderBy(`${L}.id`) : query.orderBy(`${L}.signed_on`, 'desc').orderBy(`${L}.id`, 'desc');
  const [rows, total] = await Promise.all([
    ordered.selectAll(L).select(['houses.address as address', 'houses.building as building', 'houses.unit_no as unit_no', 'houses.room as room', 'employers.name as employer_name'])
      .select((eb) => eb.selectFrom('responsibility_letters as r2').select('r2.id').whereRef('r2.renews_id', '=', `${L}.id`).limit(1).as('renewed_by_id'))
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => letterDto(r, tree, today, notice, r.renewed_by_id ?? null)),
    total: Number(total.n), renewalNoticeDays: notice, expiringWithinDays: window ?? null,
  };
}

/**
 * Rental houses in scope with no landlord letter in force today (缺少责任书), with the last letter's
 * end if there was one — the station's to-do list.
 */
export async function housesMissingLetter(db: Db, actor: Actor, q: { gridId?: string; page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  const today = todayOffice();
  let query = pop(db).selectFrom('houses').where(inScope(actor.scope, 'houses')).where('houses.status', '=', 'active').where('houses.rental', '=', true)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('responsibility_letters as l').select('l.id').whereRef('l.house_id', '=', 'houses.id')
      .where('l.term_from', '<=', today).where('l.term_to', '>=', today)
      .where((e) => e.or([e('l.ended_on', 'is', null), e('l.ended_on', '>', today)])))));
  if (q.gridId) query = query.where('houses.grid_id', '=', q.gridId);
  const [rows, total] = await Promise.all([
    query.select(['houses.id', 'houses.grid_id', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room', 'houses.owner_name'])
      .select((eb) => eb.selectFrom('responsibility_letters as l2').whereRef('l2.house_id', '=', 'houses.id')
        .select((e) => e.fn.max('l2.term_to').as('d')).as('last_term_to'))
      .orderBy('houses.grid_id').orderBy('houses.address').orderBy('houses.id').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((h) => ({
      houseId: h.id, gridId: h.grid_id, gridName: unitName(tree, h.grid_id), address: h.address, building: h.building, unitNo: h.unit_no, room: h.room,
      fullAddress: formatHouseAddress(h),
      ownerName: h.owner_name, lastTermTo: (h.last_term_to as string | null) ?? null,
    })),
    total: Number(total.n),
  };
}

/** A house's letters and whether one is in force today (for the house's detail). */
export async function houseLetters(db: Db, actor: Actor, houseId: string) {
  const p = pop(db);
  const house = requireInScope(actor, await p.selectFrom('houses').select(['id', 'grid_id', 'rental']).where('id', '=', houseId).executeTakeFirst());
  const [tree, notice] = await Promise.all([loadOrgTree(db), letterNoticeDays(db)]);
  const today = todayOffice();
  const rows = await withParty(p).where('responsibility_letters.house_id', '=', houseId).orderBy('responsibility_letters.term_to', 'desc').limit(50).execute();
  const letters = rows.map((r) => letterDto(r, tree, today, notice, rows.find((x) => x.renews_id === r.id)?.id ?? null));
  const current = letters.find((l) => l.inForce) ?? null;
  return { houseId: house.id, rental: house.rental, hasValidLetter: current !== null, validLetter: current, missing: house.rental && current === null, letters };
}
