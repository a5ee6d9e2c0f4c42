import type { Selectable } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit, recordReadAudit } from '../../platform/audit/service.js';
import { blindIndex, openPersonal, sealPersonal } from '../../platform/crypto/personal.js';
import { conflict, forbidden, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { addDays, daysBetween, dateConflict, notInFuture, requireInScope, todayOffice, unitName } from './common.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { pop, popTx, type PopDb, type PopTx, type ResidencePermitTable } from './schema.js';

/**
 * Residence permits (居住证 / 暂住证 申领, seed 000 l.10: the station 办理、核实暂住证). A person
 * registered here applies; the station accepts (受理), then issues (制证发放: card number stored
 * encrypted, valid-until date) or refuses with a reason. Each step is a dated row in
 * `residence_permit_actions`; the header only mirrors the latest step. Issued permits expiring
 * within the policy's notice window are listed for renewal (续办), which is a new application
 * pointing at the old permit. Scope follows the applicant's grid.
 */
export const PERMIT_KINDS = ['residence_permit', 'temporary_permit'] as const;
export type PermitKind = (typeof PERMIT_KINDS)[number];
export const PERMIT_STATUSES = ['applied', 'accepted', 'issued', 'refused'] as const;
export type PermitStatus = (typeof PERMIT_STATUSES)[number];

type PermitRow = Selectable<ResidencePermitTable>;
type PermitWithPerson = PermitRow & { person_name: string; person_id_masked: string | null; grid_id: string; person_status: 'active' | 'left' };

/** The policy's renewal window for permits. */
export async function permitNoticeDays(db: Db): Promise<{ days: number; policyVersion: number }> {
  const p = await populationPolicy(db);
  return { days: p.rules.permitRenewalNoticeDays, policyVersion: p.version };
}

/** A card number as printed: letters, digits and dashes, upper-cased. Shown masked (first 4, last 4). */
export function normalizeCardNumber(raw: string, path = 'cardNumber'): string {
  const v = raw.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z0-9-]{6,32}$/.test(v)) {
    throw unprocessable('INVALID_CARD_NUMBER', '发证编号格式不正确（6–32 位字母、数字）。', [{ path, code: 'INVALID_CARD_NUMBER', message: '应为 6–32 位字母或数字' }]);
  }
  return v;
}
export const maskCardNumber = (v: string) => (v.length <= 8 ? `${v.slice(0, 2)}****${v.slice(-2)}` : `${v.slice(0, 4)}${'*'.repeat(v.length - 8)}${v.slice(-4)}`);
export const cardIndex = (v: string) => blindIndex('permit_card', v);

function permitDto(r: PermitWithPerson, today: string, noticeDays: number, extra: { gridName?: string | null; renewedById?: string | null } = {}) {
  const daysLeft = r.status === 'issued' && r.valid_until ? daysBetween(today, r.valid_until) : null;
  return {
    id: r.id, personId: r.person_id, personName: r.person_name, idNumberMasked: r.person_id_masked, personStatus: r.person_status,
    gridId: r.grid_id, gridName: extra.gridName ?? null, kind: r.kind, status: r.status,
    appliedOn: r.applied_on, acceptedOn: r.accepted_on, issuedOn: r.issued_on, validUntil: r.valid_until,
    cardNumberMasked: r.card_no_masked, refusedOn: r.refused_on, refusedReason: r.refused_reason, renewsId: r.renews_id,
    renewedById: extra.renewedById ?? null, note: r.note, createdAt: r.created_at, updatedAt: r.updated_at,
    daysLeft,
    expired: daysLeft !== null && daysLeft < 0,
    expiring: daysLeft !== null && daysLeft >= 0 && daysLeft <= noticeDays,
  };
}

const withPerson = (p: PopDb | PopTx) => p.selectFrom('residence_permits')
  .innerJoin('persons', 'persons.id', 'residence_permits.person_id')
  .selectAll('residence_permits')
  .select(['persons.name as person_name', 'persons.id_masked as person_id_masked', 'persons.grid_id', 'persons.status as person_status']);

const step = (tx: PopTx, permitId: string, action: 'apply' | 'accept' | 'issue' | 'refuse', onDate: string, actor: Actor, data: Record<string, unknown> = {}) =>
  tx.insertInto('residence_permit_actions').values({ id: uuidv7(), permit_id: permitId, action, on_date: onDate, actor_id: actor.userId, data: JSON.stringify(data) }).execute();

export interface ApplyInput { kind?: PermitKind; appliedOn: string; note?: string }

/**
 * A person applies (申领). The person must be in scope (else 404) and still living here; the date
 * is neither in the future nor before the arrival; one open application per person and kind; a
 * person holding a valid permit renews it instead (`renewsId`), within the notice window.
 */
export async function applyForPermit(db: Db, actor: Actor, personId: string, input: ApplyInput & { renewsId?: string }, ip: string | null) {
  notInFuture(input.appliedOn, 'appliedOn');
  const kind = input.kind ?? 'residence_permit';
  const notice = await permitNoticeDays(db);
  const today = todayOffice();
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      const person = requireInScope(actor, await tx.selectFrom('persons').select(['id', 'grid_id', 'status', 'arrived_on']).where('id', '=', personId).forUpdate().executeTakeFirst());
      if (person.status !== 'active') throw conflict('PERSON_NOT_ACTIVE', '该人员已登记离开，不能申领居住证。');
      if (input.appliedOn < person.arrived_on) {
        throw dateConflict('BEFORE_ARRIVAL', `申领日期不能早于来本地居住日期 ${person.arrived_on}。`, 'appliedOn');
      }
      const open = await tx.selectFrom('residence_permits').select('id').where('person_id', '=', personId).where('kind', '=', kind)
        .where('status', 'in', ['applied', 'accepted']).executeTakeFirst();
      if (open) throw conflict('PERMIT_PENDING', '该人员已有正在办理的申领，请先办结。', [{ path: 'personId', code: 'PERMIT_PENDING', message: open.id }]);
      let renewsId: string | null = null;
      if (input.renewsId) {
        const old = await tx.selectFrom('residence_permits').selectAll().where('id', '=', input.renewsId).executeTakeFirst();
        if (!old || old.person_id !== personId || old.status !== 'issued') throw conflict('NOT_RENEWABLE', '只有已发放的证件可以续办。');
        const renewed = await tx.selectFrom('residence_permits').select('id').where('renews_id', '=', old.id).where('status', '=', 'issued').executeTakeFirst();
        if (renewed) throw conflict('ALREADY_RENEWED', '该证件已续办，请续办最新的证件。');
        if (daysBetween(today, old.valid_until!) > notice.days) {
          throw conflict('RENEWAL_TOO_EARLY', `该证件有效至 ${old.valid_until}，到期前 ${notice.days} 天内方可续办。`, [{ path: 'appliedOn', code: 'RENEWAL_TOO_EARLY', message: old.valid_until! }]);
        }
        renewsId = old.id;
      } else {
        // Holding a valid permit: a new application is its renewal, and only inside the notice window.
        const held = await tx.selectFrom('residence_permits').selectAll().where('person_id', '=', personId).where('kind', '=', kind)
          .where('status', '=', 'issued').where('valid_until', '>=', today).orderBy('valid_until', 'desc').limit(1).executeTakeFirst();
        if (held) {
          if (daysBetween(today, held.valid_until!) > notice.days) {
            throw conflict('PERMIT_STILL_VALID', `该人员持有有效证件至 ${held.valid_until}，到期前 ${notice.days} 天内方可续办。`, [{ path: 'appliedOn', code: 'PERMIT_STILL_VALID', message: held.valid_until! }]);
          }
          renewsId = held.id;
        }
      }
      const id = uuidv7();
      await tx.insertInto('residence_permits').values({
        id, person_id: personId, kind, applied_on: input.appliedOn, status: 'applied', accepted_on: null, issued_on: null, valid_until: null,
        card_no_hmac: null, card_no_enc: null, card_no_masked: null, refused_on: null, refused_reason: null, renews_id: renewsId,
        note: input.note ?? null, created_by: actor.userId,
      }).execute();
      await step(tx, id, 'apply', input.appliedOn, actor, { kind, renewsId });
      await tx.insertInto('person_events').values({ id: uuidv7(), person_id: personId, kind: 'permit_apply', actor_id: actor.userId, data: JSON.stringify({ permitId: id, kind, renewal: Boolean(renewsId) }) }).execute();
      await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: renewsId ? 'permit.renew' : 'permit.apply', entity: 'residence_permit', entityId: id, ip, summary: { personId, kind, renewsId } });
      return getPermitTx(db, tx, actor, id, notice.days);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('PERMIT_PENDING', '该人员已有正在办理的申领，请先办结。');
    throw e;
  }
}

/** Renewal (续办) of an issued permit: a new application for the same person and kind. */
export async function renewPermit(db: Db, actor: Actor, permitId: string, input: { appliedOn: string; note?: string }, ip: string | null) {
  const row = requireInScope(actor, await withPerson(pop(db)).where('residence_permits.id', '=', permitId).where(inScope(actor.scope, 'persons')).executeTakeFirst());
  if (row.status !== 'issued') throw conflict('NOT_RENEWABLE', '只有已发放的证件可以续办。');
  return applyForPermit(db, actor, row.person_id, { kind: row.kind, appliedOn: input.appliedOn, note: input.note, renewsId: permitId }, ip);
}

/** The order of steps: which step may follow which status, and the code when it may not. */
function refuseTransition(status: PermitStatus, action: 'accept' | 'issue' | 'refuse'): never {
  if (status === 'refused') throw conflict('PERMIT_REFUSED', '该申领已不予办理，不能再变更；如需办理请重新申领。');
  if (status === 'issued') throw conflict('PERMIT_ISSUED', '该证件已发放，不能再变更。');
  if (action === 'accept') throw conflict('PERMIT_ALREADY_ACCEPTED', '该申领已受理。');
  throw conflict('PERMIT_NOT_ACCEPTED', '该申领尚未受理，请先受理再制证发放。');
}

async function lockPermit(tx: PopTx, actor: Actor, permitId: string) {
  const row = requireInScope(actor, await withPerson(tx).where('residence_permits.id', '=', permitId).where(inScope(actor.scope, 'persons')).forUpdate().executeTakeFirst());
  return row;
}

export async function acceptPermit(db: Db, actor: Actor, permitId: string, input: { acceptedOn: string }, ip: string | null) {
  notInFuture(input.acceptedOn, 'acceptedOn');
  const notice = await permitNoticeDays(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const p = await lockPermit(tx, actor, permitId);
    if (p.status !== 'applied') refuseTransition(p.status, 'accept');
    if (input.acceptedOn < p.applied_on) throw dateConflict('BEFORE_APPLICATION', `受理日期不能早于申领日期 ${p.applied_on}。`, 'acceptedOn');
    await tx.updateTable('residence_permits').set({ status: 'accepted', accepted_on: input.acceptedOn, updated_at: new Date() }).where('id', '=', permitId).execute();
    await step(tx, permitId, 'accept', input.acceptedOn, actor);
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'permit.accept', entity: 'residence_permit', entityId: permitId, ip });
    return getPermitTx(db, tx, actor, permitId, notice.days);
  });
}

export async function issuePermit(db: Db, actor: Actor, permitId: string, input: { issuedOn: string; cardNumber: string; validUntil: string }, ip: string | null) {
  notInFuture(input.issuedOn, 'issuedOn');
  const card = normalizeCardNumber(input.cardNumber);
  if (input.validUntil <= input.issuedOn) throw dateConflict('VALID_UNTIL_NOT_AFTER_ISSUE', '有效期至应晚于发放日期。', 'validUntil');
  const notice = await permitNoticeDays(db);
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      const p = await lockPermit(tx, actor, permitId);
      if (p.status !== 'accepted') refuseTransition(p.status, 'issue');
      if (input.issuedOn < p.accepted_on!) throw dateConflict('BEFORE_ACCEPTANCE', `发放日期不能早于受理日期 ${p.accepted_on}。`, 'issuedOn');
      const hmac = cardIndex(card);
      const taken = await tx.selectFrom('residence_permits').select('id').where('card_no_hmac', '=', hmac).executeTakeFirst();
      if (taken) throw conflict('CARD_NUMBER_TAKEN', '该发证编号已登记给其他证件。', [{ path: 'cardNumber', code: 'CARD_NUMBER_TAKEN', message: '已登记' }]);
      await tx.updateTable('residence_permits').set({
        status: 'issued', issued_on: input.issuedOn, valid_until: input.validUntil,
        card_no_hmac: hmac, card_no_enc: sealPersonal(card), card_no_masked: maskCardNumber(card), updated_at: new Date(),
      }).where('id', '=', permitId).execute();
      await step(tx, permitId, 'issue', input.issuedOn, actor, { validUntil: input.validUntil });
      await tx.insertInto('person_events').values({ id: uuidv7(), person_id: p.person_id, kind: 'permit_issue', actor_id: actor.userId, data: JSON.stringify({ permitId, validUntil: input.validUntil }) }).execute();
      await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'permit.issue', entity: 'residence_permit', entityId: permitId, ip, summary: { validUntil: input.validUntil } });
      return getPermitTx(db, tx, actor, permitId, notice.days);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('CARD_NUMBER_TAKEN', '该发证编号已登记给其他证件。', [{ path: 'cardNumber', code: 'CARD_NUMBER_TAKEN', message: '已登记' }]);
    throw e;
  }
}

export async function refusePermit(db: Db, actor: Actor, permitId: string, input: { refusedOn: string; reason: string }, ip: string | null) {
  notInFuture(input.refusedOn, 'refusedOn');
  const notice = await permitNoticeDays(db);
  return inTransaction(db, async (t) => {
    const tx = popTx(t);
    const p = await lockPermit(tx, actor, permitId);
    if (p.status !== 'applied' && p.status !== 'accepted') refuseTransition(p.status, 'refuse');
    if (input.refusedOn < p.applied_on) throw dateConflict('BEFORE_APPLICATION', `不予办理日期不能早于申领日期 ${p.applied_on}。`, 'refusedOn');
    await tx.updateTable('residence_permits').set({ status: 'refused', refused_on: input.refusedOn, refused_reason: input.reason, updated_at: new Date() }).where('id', '=', permitId).execute();
    await step(tx, permitId, 'refuse', input.refusedOn, actor, { reason: input.reason });
    await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'permit.refuse', entity: 'residence_permit', entityId: permitId, ip });
    return getPermitTx(db, tx, actor, permitId, notice.days);
  });
}

async function getPermitTx(db: Db, p: PopDb | PopTx, actor: Actor, permitId: string, noticeDays: number, opts: { reveal?: boolean } = {}) {
  const row = requireInScope(actor, await withPerson(p).where('residence_permits.id', '=', permitId).where(inScope(actor.scope, 'persons')).executeTakeFirst());
  const tree = await loadOrgTree(db);
  const history = await p.selectFrom('residence_permit_actions').leftJoin('users', 'users.id', 'residence_permit_actions.actor_id')
    .select(['residence_permit_actions.id', 'action', 'on_date', 'at', 'data', 'users.name as actor_name'])
    .where('permit_id', '=', permitId).orderBy('at').orderBy('residence_permit_actions.id').execute();
  const renewal = await p.selectFrom('residence_permits').select('id').where('renews_id', '=', permitId).where('status', '<>', 'refused').orderBy('id', 'desc').executeTakeFirst();
  return {
    ...permitDto(row, todayOffice(), noticeDays, { gridName: unitName(tree, row.grid_id), renewedById: renewal?.id ?? null }),
    ...(opts.reveal ? { cardNumber: row.card_no_enc ? openPersonal(row.card_no_enc) : null } : {}),
    history: history.map((h) => ({ id: h.id, action: h.action, onDate: h.on_date, at: h.at, actorName: h.actor_name ?? null, data: h.data })),
  };
}

/** One permit with its dated history; the full card number only for person:reveal, audited. */
export async function getPermit(db: Db, actor: Actor, permitId: string, opts: { reveal: boolean }, ip: string | null) {
  if (opts.reveal && !actor.permissions.has('person:reveal')) throw forbidden('您没有查看完整发证编号的权限。');
  const notice = await permitNoticeDays(db);
  const out = await getPermitTx(db, pop(db), actor, permitId, notice.days, opts);
  if (opts.reveal) await recordReadAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'permit.reveal', entity: 'residence_permit', entityId: permitId, ip });
  return out;
}

export interface PermitQuery {
  status?: PermitStatus; gridId?: string; personId?: string; kind?: PermitKind;
  /** Issued, not renewed (a renewal not refused), valid until within N days from today (default: the policy's notice window). */
  expiring?: boolean; expiringWithinDays?: number;
  /** Issued, not renewed, valid-until passed. */
  expired?: boolean;
  page: number; pageSize: number;
}

export async function listPermits(db: Db, actor: Actor, q: PermitQuery) {
  const notice = await permitNoticeDays(db);
  const tree = await loadOrgTree(db);
  const today = todayOffice();
  const window = q.expiringWithinDays ?? (q.expiring ? notice.days : undefined);
  const p = pop(db);
  let query = p.selectFrom('residence_permits').innerJoin('persons', 'persons.id', 'residence_permits.person_id')
    .where(inScope(actor.scope, 'persons'));
  if (q.status) query = query.where('residence_permits.status', '=', q.status);
  if (q.gridId) query = query.where('persons.grid_id', '=', q.gridId);
  if (q.personId) query = query.where('residence_permits.person_id', '=', q.personId);
  if (q.kind) query = query.where('residence_permits.kind', '=', q.kind);
  if (window !== undefined || q.expired) {
    query = query.where('residence_permits.status', '=', 'issued').where('persons.status', '=', 'active')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('residence_permits as r2').select('r2.id').whereRef('r2.renews_id', '=', 'residence_permits.id').where('r2.status', '<>', 'refused'))));
    if (window !== undefined) query = query.where('residence_permits.valid_until', '>=', today).where('residence_permits.valid_until', '<=', addDays(today, window));
    if (q.expired) query = query.where('residence_permits.valid_until', '<', today);
  }
  const ordered = window !== undefined || q.expired
    ? query.orderBy('residence_permits.valid_until').orderBy('residence_permits.id')
    : query.orderBy('residence_permits.updated_at', 'desc').orderBy('residence_permits.id', 'desc');
  const [rows, total] = await Promise.all([
    ordered.selectAll('residence_permits')
      .select(['persons.name as person_name', 'persons.id_masked as person_id_masked', 'persons.grid_id', 'persons.status as person_status'])
      .select((eb) => eb.selectFrom('residence_permits as r3').select('r3.id').whereRef('r3.renews_id', '=', 'residence_permits.id').where('r3.status', '<>', 'refused').orderBy('r3.id', 'desc').limit(1).as('renewed_by_id'))
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => permitDto(r, today, notice.days, { gridName: unitName(tree, r.grid_id), renewedById: r.renewed_by_id ?? null })),
    total: Number(total.n),
    renewalNoticeDays: notice.days,
    expiringWithinDays: window ?? null,
    policyVersion: notice.policyVersion,
  };
}
