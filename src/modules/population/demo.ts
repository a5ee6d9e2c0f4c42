import type { Db } from '../../platform/db/index.js';
import { inTransaction } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { officeToday } from '../../platform/time.js';
import { addDays, bumpWork, monthOf } from './common.js';
import { nameInitials, sealedDocument, sealedPhone } from './identity.js';
import { isLate } from './persons.js';
import { populationPolicy } from './policy.js';
import { popTx, type PopTx } from './schema.js';
import { seedDemoContacts, seedDemoPermitsAndLetters } from './demo-station.js';
import { ID_SPACE, generateRegistry, originOf, recomputeCounters, syntheticIdentity } from './synthetic.js';

/**
 * M2 demo data: a few thousand synthetic persons with their houses, employers and records over all
 * 35 grids of the demo street (synthetic.ts, seed 1), then a handful of hand-made scenarios for the
 * demo accounts:
 *   - 蜀汉街 grid 1 (wangge-sh-1): arrivals waiting for zhan-sh's review, one reported 30 hours after
 *     collection (late); a rental house just registered and never patrolled (due); a grid incident
 *     just reported;
 *   - moves into 蜀汉街 grid 2 (requested by wangge-sh-2) waiting for a decision: from grid 1 (same
 *     community: zhan-sh decides) and from 洗面桥 grid 1 (across communities: liuguan decides);
 *   - a re-check by zhan-sh that found an omission (漏报), not yet acknowledged by the police.
 * The rows are those the services write (records, events, work counters, counters), without audit
 * events: like the demo street itself, demo data is loaded, not done by the demo accounts.
 * It loads in about 1.5 s on PGlite in-memory (3,000 persons), so test files that use the demo street
 * get the same data as `npm start`.
 */
export const DEMO_SEED = 1;
export const DEMO_PERSONS = 3000;

export async function seedPopulationDemo(db: Db): Promise<void> {
  await generateRegistry(db, { persons: DEMO_PERSONS, seed: DEMO_SEED, demo: true });
  await seedScenarios(db);
  await seedDemoContacts(db);
  await seedDemoPermitsAndLetters(db);
}

/**
 * Scenario persons take numbers from the far end of the seed's space (never one of the generated
 * ones): the first of slot `slot` whose gender matches the name.
 */
function scenarioIdentity(slot: number, gender: 'male' | 'female') {
  for (let k = slot * 32; ; k++) {
    const s = syntheticIdentity(DEMO_SEED, ID_SPACE - 1 - k);
    if (s.gender === gender) return s;
  }
}

const HOUR = 3_600_000;

async function seedScenarios(db: Db): Promise<void> {
  const users = await db.selectFrom('users').select(['id', 'username'])
    .where('username', 'in', ['wangge-sh-1', 'wangge-sh-2', 'wangge-xmq-1', 'zhan-sh', 'liuguan']).execute();
  const user = (u: string) => users.find((x) => x.username === u)?.id;
  const [wg1, wg2, wgXmq, zhan, liuguan] = ['wangge-sh-1', 'wangge-sh-2', 'wangge-xmq-1', 'zhan-sh', 'liuguan'].map(user);
  if (!wg1 || !wg2 || !wgXmq || !zhan || !liuguan) return; // not the demo street
  const gridOf = async (userId: string) => (await db.selectFrom('staff_posts as p').innerJoin('org_units as u', 'u.id', 'p.org_unit_id')
    .select('u.id').where('p.user_id', '=', userId).where('u.kind', '=', 'grid').executeTakeFirst())?.id;
  const [sh1, sh2, xmq1] = await Promise.all([gridOf(wg1), gridOf(wg2), gridOf(wgXmq)]);
  if (!sh1 || !sh2 || !xmq1) return;
  const { packCode, version, rules } = await populationPolicy(db);
  const today = officeToday();
  const now = Date.now();
  const daysAgo = (n: number) => addDays(today, -n);
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);

  /** 000:27 — the station enters what its grid workers collect: zhan-sh for 蜀汉街, the street office elsewhere. */
  const entryClerkOf = (gridId: string) => (gridId === xmq1 ? liuguan : zhan);

  await inTransaction(db, async (t) => {
    const tx = popTx(t);

    /** A registration (来有登记) as registerPerson writes it, collected and reported at the given times. */
    const arrive = async (p: {
      slot: number; name: string; gender: 'male' | 'female'; gridId: string; collector: string; arrivedOn: string; collectedAt: Date; reportedAt: Date;
      houseId?: string; phone?: string; reason: string; ethnicity: string; education?: string; occupation: string;
      review?: { by: string; at: Date };
    }) => {
      const idn = scenarioIdentity(p.slot, p.gender);
      const id = uuidv7();
      const status = p.review ? 'passed' as const : 'reported' as const;
      await tx.insertInto('persons').values({
        id, id_type: 'resident_id', ...sealedDocument(idn.idNumber), name: p.name, name_initials: nameInitials(p.name), gender: idn.gender, birth_date: idn.birthDate,
        ethnicity: p.ethnicity, origin: originOf(idn.addressCode), education: p.education ?? null, occupation: p.occupation, ...sealedPhone(p.phone ?? null),
        employer_id: null, status: 'active', grid_id: p.gridId, house_id: p.houseId ?? null, arrived_on: p.arrivedOn, left_on: null, arrival_reason: p.reason,
        review_status: status, created_by: p.collector, created_at: p.reportedAt, updated_at: p.review?.at ?? p.reportedAt,
      }).execute();
      await tx.insertInto('residences').values({
        id: uuidv7(), person_id: id, grid_id: p.gridId, house_id: p.houseId ?? null, from_date: p.arrivedOn, to_date: null, arrival_reason: p.reason,
        departure_reason: null, created_by: p.collector, created_at: p.reportedAt, ended_by: null, ended_at: null,
      }).execute();
      const recordId = await record(tx, {
        kind: 'arrival', personId: id, houseId: p.houseId ?? null, gridId: p.gridId, collector: p.collector, collectedAt: p.collectedAt, reportedAt: p.reportedAt,
        review: p.review, policyPack: packCode, policyVersion: version, deadlineHours: rules.reviewDeadlineHours, enteredBy: entryClerkOf(p.gridId),
      });
      await tx.insertInto('person_events').values({ id: uuidv7(), person_id: id, kind: 'arrived', at: p.reportedAt, actor_id: p.collector, data: JSON.stringify({ gridId: p.gridId, arrivedOn: p.arrivedOn }) }).execute();
      return { id, recordId, idNumber: idn.idNumber };
    };

    // A rental house registered in grid 1 a few hours ago and never patrolled: due on the grid worker's list.
    const houseId = uuidv7();
    await tx.insertInto('houses').values({
      id: houseId, grid_id: sh1, address: '蜀汉路88号', building: '2', unit_no: '1', room: '402', owner_name: '贺建国', owner_id_hmac: null, owner_id_enc: null,
      owner_id_masked: null, owner_phone_enc: null, owner_phone_masked: null, rental: true, rooms: 3, area_m2: 68.5, created_by: wg1, created_at: at(4),
    }).execute();
    await record(tx, { kind: 'house', personId: null, houseId, gridId: sh1, collector: wg1, collectedAt: at(4.5), reportedAt: at(4), policyPack: packCode, policyVersion: version, deadlineHours: rules.reviewDeadlineHours, enteredBy: zhan });

    // Arrivals reported by wangge-sh-1, waiting for zhan-sh's review; the last one reported 30 h after collection (late).
    const first = await arrive({ slot: 0, name: '钟晓雯', gender: 'female', gridId: sh1, collector: wg1, arrivedOn: daysAgo(1), collectedAt: at(3), reportedAt: at(2.5), houseId, phone: '13800000001', reason: '务工', ethnicity: '01', education: '61', occupation: '餐饮服务' });
    await arrive({ slot: 1, name: '廖俊杰', gender: 'male', gridId: sh1, collector: wg1, arrivedOn: daysAgo(2), collectedAt: at(6), reportedAt: at(2.4), houseId, phone: '13800000002', reason: '务工', ethnicity: '01', education: '71', occupation: '厨师' });
    await arrive({ slot: 2, name: '彭雨萱', gender: 'female', gridId: sh1, collector: wg1, arrivedOn: daysAgo(2), collectedAt: at(21), reportedAt: at(2.3), houseId, reason: '投亲靠友', ethnicity: '01', occupation: '无业' });
    await arrive({ slot: 3, name: '蒋文博', gender: 'male', gridId: sh1, collector: wg1, arrivedOn: daysAgo(3), collectedAt: at(31), reportedAt: at(1), reason: '经商', ethnicity: '01', education: '31', occupation: '个体经营' });
    await tx.insertInto('tenancies').values({
      id: uuidv7(), house_id: houseId, tenant_person_id: first.id, tenant_name: '钟晓雯', landlord_name: '贺建国', from_date: daysAgo(1), to_date: null, created_by: wg1, created_at: at(2.5),
    }).execute();

    // Moves into 蜀汉街 grid 2, requested by wangge-sh-2: from grid 1 (the station decides) and from 洗面桥 grid 1 (the street decides).
    const qiu = await arrive({
      slot: 10, name: '邱志宏', gender: 'male', gridId: sh1, collector: wg1, arrivedOn: daysAgo(75), collectedAt: at(75 * 24 - 10), reportedAt: at(75 * 24 - 14),
      reason: '务工', ethnicity: '01', education: '71', occupation: '快递员', review: { by: zhan, at: at(74 * 24 - 15) },
    });
    const luo = await arrive({
      slot: 11, name: '骆思琪', gender: 'female', gridId: xmq1, collector: wgXmq, arrivedOn: daysAgo(120), collectedAt: at(120 * 24 - 11), reportedAt: at(120 * 24 - 13),
      reason: '就学', ethnicity: '04', education: '21', occupation: '学生', review: { by: liuguan, at: at(119 * 24 - 16) },
    });
    for (const m of [{ person: qiu, from: sh1, arrivedOn: daysAgo(2), requestedAt: at(5), cross: false }, { person: luo, from: xmq1, arrivedOn: daysAgo(1), requestedAt: at(2), cross: true }]) {
      const moveId = uuidv7();
      await tx.insertInto('moves').values({
        id: moveId, person_id: m.person.id, from_grid_id: m.from, to_grid_id: sh2, house_id: null, arrived_on: m.arrivedOn, status: 'pending', cross_community: m.cross,
        requested_by: wg2, requested_at: m.requestedAt, decided_by: null, decided_at: null, decision_reason: null,
      }).execute();
      await tx.insertInto('person_events').values({ id: uuidv7(), person_id: m.person.id, kind: 'move_requested', at: m.requestedAt, actor_id: wg2, data: JSON.stringify({ moveId, toGridId: sh2 }) }).execute();
    }

    // A spot re-check (倒查) by the station that found an omission: reported to the street and the police, not yet acknowledged.
    await tx.insertInto('rechecks').values({
      id: uuidv7(), record_id: qiu.recordId, grid_id: sh1, scheduled_on: daysAgo(1), scheduled_by: zhan, done_on: today, done_by: zhan, result: 'omission',
      notes: '入户核查发现该户另有 2 名租住人员未登记（漏报），已通知网格员补录。', police_ack_by: null, police_ack_at: null, created_at: at(26),
    }).execute();

    // A grid incident just reported from the grid worker's phone.
    const incidentId = uuidv7();
    await tx.insertInto('grid_incidents').values({
      id: incidentId, grid_id: sh1, category: 'event', title: '出租屋疑似群租',
      description: '蜀汉路88号2栋1单元402室近期入住人员较多，疑似群租，存在消防隐患，请流管站核查。', location: '蜀汉路88号2栋1单元',
      lat: 30.6447, lng: 104.0436, photo_file_ids: '[]', status: 'reported', reported_by: wg1, reported_at: at(0.7), assignee_id: null, closed_at: null, resolution: null,
    }).execute();
    await tx.insertInto('grid_incident_actions').values({ id: uuidv7(), incident_id: incidentId, action: 'report', note: null, actor_id: wg1, at: at(0.7) }).execute();
  });
  // The grid counters: the counts of the rows, scenarios included.
  await recomputeCounters(db);
}

/** A collection record (and its review, when reviewed) with the collector's work counters, as the services write them. */
async function record(tx: PopTx, r: {
  kind: 'arrival' | 'house'; personId: string | null; houseId: string | null; gridId: string; collector: string; collectedAt: Date; reportedAt: Date;
  review?: { by: string; at: Date }; policyPack: string; policyVersion: number; deadlineHours: number; enteredBy: string;
}): Promise<string> {
  const id = uuidv7();
  await tx.insertInto('collection_records').values({
    id, kind: r.kind, person_id: r.personId, house_id: r.houseId, grid_id: r.gridId, collected_by: r.collector, collected_at: r.collectedAt,
    reported_at: r.reportedAt, late: isLate(r.collectedAt, r.reportedAt, r.deadlineHours), review_status: r.review ? 'passed' : 'reported',
    // Entered by the station when reported (the demo's records are all past the entry step).
    entered_by: r.enteredBy, entered_at: r.reportedAt,
    reviewed_by: r.review?.by ?? null, reviewed_at: r.review?.at ?? null, return_reasons: null, policy_pack: r.policyPack, policy_version: r.policyVersion, created_at: r.reportedAt,
  }).execute();
  if (r.review) await tx.insertInto('collection_reviews').values({ id: uuidv7(), record_id: id, decision: 'pass', reasons: null, actor_id: r.review.by, at: r.review.at }).execute();
  await bumpWork(tx, r.collector, monthOf(r.collectedAt), r.gridId, { collected: 1, ...(r.review ? { passed: 1 } : {}) });
  await bumpWork(tx, r.enteredBy, monthOf(r.reportedAt), r.gridId, { entered: 1 });
  return id;
}
