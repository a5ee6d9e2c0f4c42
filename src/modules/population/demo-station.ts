import type { Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { addDays, todayOffice } from './common.js';
import { cardIndex, maskCardNumber } from './permits.js';
import { contacts } from './collection-points.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { maskPhone, sealPersonal } from '../../platform/crypto/personal.js';
import { pop } from './schema.js';

/**
 * Demo station work in 蜀汉街社区 and the other communities: collection-point contacts and the
 * stations' patrols of them (seedDemoContacts); residence permits and responsibility letters in 蜀汉街社区 (zhan-sh's station, wangge-sh-1's
 * grid), so both lists open with work in them: applications waiting (申领 / 受理), permits issued
 * (one inside the renewal notice, one expired), letters in force, expiring and expired, and rental
 * houses still without one. Loaded as data, like the rest of the demo (no audit events).
 */
export async function seedDemoPermitsAndLetters(db: Db): Promise<void> {
  const users = await db.selectFrom('users').select(['id', 'username']).where('username', 'in', ['zhan-sh', 'wangge-sh-1']).execute();
  const zhan = users.find((u) => u.username === 'zhan-sh')?.id;
  const wg = users.find((u) => u.username === 'wangge-sh-1')?.id;
  const grid = await db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirst();
  if (!zhan || !wg || !grid) return; // not the demo street
  const p = pop(db);
  const today = todayOffice();
  const people = await p.selectFrom('persons').select(['id', 'arrived_on']).where('grid_id', '=', grid.id).where('status', '=', 'active')
    .where('arrived_on', '<', addDays(today, -400)).orderBy('id').limit(6).execute();
  // [status, applied days ago, valid-until offset from today]
  const plan: [('applied' | 'accepted' | 'issued'), number, number | null][] = [
    ['applied', 2, null], ['applied', 6, null], ['accepted', 12, null], ['issued', 340, 20], ['issued', 380, -10], ['issued', 200, 165],
  ];
  const permits = [];
  const actions = [];
  for (const [i, person] of people.entries()) {
    const [status, ago, until] = plan[i]!;
    const id = uuidv7();
    const appliedOn = addDays(today, -ago);
    const acceptedOn = status === 'applied' ? null : addDays(appliedOn, 1);
    const issuedOn = status === 'issued' ? addDays(appliedOn, 15) : null;
    const card = status === 'issued' ? `SH510107${String(2026000 + i).padStart(8, '0')}` : null;
    permits.push({
      id, person_id: person.id, kind: 'residence_permit' as const, applied_on: appliedOn, status, accepted_on: acceptedOn, issued_on: issuedOn,
      valid_until: until === null ? null : addDays(today, until), card_no_hmac: card ? cardIndex(card) : null, card_no_enc: card ? sealPersonal(card) : null,
      card_no_masked: card ? maskCardNumber(card) : null, refused_on: null, refused_reason: null, renews_id: null, note: null, created_by: wg,
    });
    actions.push({ id: uuidv7(), permit_id: id, action: 'apply' as const, on_date: appliedOn, actor_id: wg, data: '{}' });
    if (acceptedOn) actions.push({ id: uuidv7(), permit_id: id, action: 'accept' as const, on_date: acceptedOn, actor_id: zhan, data: '{}' });
    if (issuedOn) actions.push({ id: uuidv7(), permit_id: id, action: 'issue' as const, on_date: issuedOn, actor_id: zhan, data: JSON.stringify({ validUntil: addDays(today, until!) }) });
  }
  if (permits.length) {
    await p.insertInto('residence_permits').values(permits).execute();
    await p.insertInto('residence_permit_actions').values(actions).execute();
  }
  // Letters with the landlords of most rental houses of the grid; the rest are listed as missing.
  const houses = await p.selectFrom('houses').select(['id', 'owner_name']).where('grid_id', '=', grid.id).where('rental', '=', true).where('status', '=', 'active')
    .orderBy('id').execute();
  const signed = houses.slice(0, Math.max(0, houses.length - 3));
  const letters = signed.map((h, i) => {
    const termTo = i === 0 ? addDays(today, 15) : i === 1 ? addDays(today, -5) : addDays(today, 200 + i);
    const termFrom = addDays(termTo, -364);
    return {
      id: uuidv7(), party_kind: 'landlord' as const, house_id: h.id, employer_id: null, grid_id: grid.id, party_name: h.owner_name, signed_on: termFrom,
      term_from: termFrom, term_to: termTo, note: null, ended_on: null, end_reason: null, ended_by: null, renews_id: null, created_by: zhan,
    };
  });
  if (letters.length) await p.insertInto('responsibility_letters').values(letters).execute();
}

/** Demo: every demo collection point has its contact (fictional names, numbers in a reserved test range). */
export async function seedDemoContacts(db: Db): Promise<void> {
  const tree = await loadOrgTree(db);
  const points = [...tree.units.values()].filter((u) => u.kind === 'collection_point').sort((a, b) => a.code.localeCompare(b.code));
  const names = ['罗晓梅', '蒋志强', '邓丽君', '唐文斌', '冯雪', '韩建国', '曾小燕', '彭立新', '萧红梅', '田志远', '董慧', '袁伟'];
  const rows = points.map((u, i) => {
    const phone = `1990000${String(1000 + i).padStart(4, '0')}`;
    return { id: uuidv7(), point_id: u.id, contact_name: names[i % names.length]!, phone_enc: sealPersonal(phone), phone_masked: maskPhone(phone), from_date: u.valid_from, to_date: null, reason: null, created_by: null, ended_by: null };
  });
  if (rows.length) await contacts(db).insertInto('collection_point_contacts').values(rows).onConflict((oc) => oc.doNothing()).execute();
  // The station clerks' fortnightly visits: one point seen five days ago, the next twenty (overdue).
  const clerks = await db.selectFrom('staff_posts').select(['user_id', 'org_unit_id']).where('post', 'in', ['station_clerk', 'station_head']).execute();
  const today = todayOffice();
  const patrols = points.flatMap((u, i) => {
    const clerk = clerks.find((c) => c.org_unit_id === u.parent_id);
    if (!clerk) return [];
    return [{ id: uuidv7(), level: 'station' as const, target_unit_id: u.id, house_id: null, patrolled_on: addDays(today, i % 2 === 0 ? -5 : -20), patroller_id: clerk.user_id,
      checked: '登记台账、采集表、出租房屋信息', findings: '台账与采集表一致', arrivals_found: 0, departures_found: 0, rentals_counted: null, migrants_counted: null }];
  });
  if (patrols.length) await pop(db).insertInto('patrols').values(patrols).execute();
}
