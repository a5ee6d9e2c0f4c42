import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { unprocessable } from '../../platform/http/errors.js';
import { nearestHolders } from '../../platform/org/holders.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { maskName, maskPhone, sealPersonal } from '../../platform/crypto/personal.js';
import { notify } from '../../platform/notifications/service.js';
import { officeDayStart, officeToday } from '../../platform/time.js';
import { checkDocument, normalizePhone } from './identity.js';
import { maskIdNumber } from './idnumber.js';
import { requireGridInScope, unitName } from './common.js';
import { popTx, pop } from './schema.js';

/**
 * 000:41 — a grid worker (or collector) who learns of a crime or a suspect (违法犯罪信息/犯罪嫌疑人) on a
 * household visit reports it: what, where, when, the person if known. The lead is routed by
 * notification to the police liaison of the grid's police area (警务区; the nearest unit above it
 * holding a 派出所 liaison post) and marked reward-eligible: the monthly ranking pays the pack's
 * `reward.crimeLeadFen` per lead. The suspect's name, document number and phone are sealed.
 */
export interface CrimeLeadInput {
  gridId: string; what: string; place: string; occurredAt: string;
  suspectName?: string; suspectIdNumber?: string; suspectPhone?: string;
}

/** The police area (警务区) covering a grid today, through the org tree's police-area links. */
async function policeAreaOf(db: Db, gridId: string): Promise<string | null> {
  const today = officeToday();
  const link = await db.selectFrom('org_unit_links').select('from_unit_id')
    .where('kind', '=', 'police_area_grid').where('to_unit_id', '=', gridId)
    .where(sql<boolean>`valid_from <= ${today}::date and (valid_to is null or valid_to >= ${today}::date)`)
    .executeTakeFirst();
  return link?.from_unit_id ?? null;
}

export async function reportCrimeLead(db: Db, actor: Actor, input: CrimeLeadInput, ip: string | null) {
  const occurredAt = new Date(input.occurredAt);
  if (occurredAt.getTime() > Date.now() + 60_000) {
    throw unprocessable('FUTURE_DATE', '发生时间不能晚于现在。', [{ path: 'occurredAt', code: 'FUTURE_DATE', message: '发生时间晚于现在' }]);
  }
  const idNumber = input.suspectIdNumber?.trim() ? checkDocument('resident_id', input.suspectIdNumber, officeToday(), 'suspectIdNumber').normalized : null;
  const phone = input.suspectPhone?.trim() ? normalizePhone(input.suspectPhone, 'suspectPhone') : null;
  const { tree } = await requireGridInScope(db, actor, input.gridId);
  const policeAreaId = await policeAreaOf(db, input.gridId);
  const liaison = await nearestHolders(db, tree, { posts: ['police_liaison'], unitId: policeAreaId ?? input.gridId });
  const name = input.suspectName?.trim() || null;
  return inTransaction(db, async (t) => {
    const id = uuidv7();
    await popTx(t).insertInto('crime_leads').values({
      id, grid_id: input.gridId, police_area_id: policeAreaId, what: input.what.trim(), place: input.place.trim(), occurred_at: occurredAt,
      suspect_name_enc: name ? sealPersonal(name) : null, suspect_name_masked: name ? maskName(name) : null,
      suspect_id_enc: idNumber ? sealPersonal(idNumber) : null, suspect_id_masked: idNumber ? maskIdNumber(idNumber) : null,
      suspect_phone_enc: phone ? sealPersonal(phone) : null, suspect_phone_masked: phone ? maskPhone(phone) : null,
      routed_to: JSON.stringify(liaison.userIds), reported_by: actor.userId,
    }).execute();
    // The notification names the grid and the place, never the suspect.
    await notify(t, {
      userIds: liaison.userIds, kind: 'task', title: `违法犯罪线索：${unitName(tree, input.gridId) ?? ''}`,
      body: `${actor.name} 入户采集时报告：${input.place.trim()}。`, link: `/population/crime-leads?open=${id}`, entity: 'crime_lead', entityId: id,
    });
    await recordAudit(t, {
      actorId: actor.userId, actorName: actor.name, action: 'crime_lead.report', entity: 'crime_lead', entityId: id, ip,
      summary: { gridId: input.gridId, policeAreaId, routedTo: liaison.userIds.length },
    });
    return { id, gridId: input.gridId, policeAreaId, policeAreaName: policeAreaId ? unitName(tree, policeAreaId) : null, routedTo: liaison.userIds, rewardEligible: true, reportedAt: new Date() };
  });
}

/** Leads in the caller's scope (the police liaison: the street), newest first; a reporter also sees their own. */
export async function listCrimeLeads(db: Db, actor: Actor, q: { page: number; pageSize: number }) {
  const tree = await loadOrgTree(db);
  const base = pop(db).selectFrom('crime_leads as c').innerJoin('users as u', 'u.id', 'c.reported_by')
    .where((eb) => eb.or([inScope(actor.scope, 'crime_leads', { as: 'c' })(eb), eb('c.reported_by', '=', actor.userId)]));
  const [rows, total] = await Promise.all([
    base.select(['c.id', 'c.grid_id', 'c.police_area_id', 'c.what', 'c.place', 'c.occurred_at', 'c.suspect_name_masked', 'c.suspect_id_masked', 'c.suspect_phone_masked',
      'c.reward_eligible', 'c.routed_to', 'c.reported_at', 'u.name as reporter_name'])
      .orderBy('c.reported_at', 'desc').orderBy('c.id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, gridId: r.grid_id, gridName: unitName(tree, r.grid_id), policeAreaName: r.police_area_id ? unitName(tree, r.police_area_id) : null,
      what: r.what, place: r.place, occurredAt: r.occurred_at, suspectNameMasked: r.suspect_name_masked, suspectIdMasked: r.suspect_id_masked,
      suspectPhoneMasked: r.suspect_phone_masked, rewardEligible: r.reward_eligible, routed: (r.routed_to as unknown as string[]).length > 0,
      reporterName: r.reporter_name, reportedAt: r.reported_at,
    })),
    total: Number(total.n),
  };
}

/** Reward-eligible leads per reporter in a month (for the monthly ranking). */
export async function leadsByReporter(db: Db, month: string, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const from = officeDayStart(`${month}-01`);
  const to = officeDayStart(`${next}-01`);
  const rows = await pop(db).selectFrom('crime_leads').select(['reported_by', (eb) => eb.fn.countAll<string>().as('n')])
    .where('reward_eligible', '=', true).where('reported_by', 'in', [...userIds])
    .where('reported_at', '>=', from).where('reported_at', '<', to)
    .groupBy('reported_by').execute();
  return new Map(rows.map((r) => [r.reported_by, Number(r.n)]));
}

