import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { testApp, type TestApp } from '../../../test/helpers/app.js';
import { checkChar } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';
import { ORIGIN_BY_CODE } from './dictionaries.js';
import { reveal, idIndex } from './identity.js';
import { parseIdNumber, validUscc } from './idnumber.js';
import { pop } from './schema.js';
import { BLOCK_PERSONS, ID_SPACE, generateRegistry, nextSyntheticIndex, permuteIndex, syntheticIdentity, syntheticIdNumber } from './synthetic.js';

/**
 * The synthetic registry (synthetic.ts) used by the demo and the benchmark generator: its rows are
 * consistent with what the services would have written, and a larger second run adds only the
 * difference.
 */
let t: TestApp;
const SEED = 7;
const count = async (q: string) => Number((await sql<{ n: string }>`${sql.raw(q)}`.execute(t.db)).rows[0]!.n);
/** Persons of the demo street (seed 1 and the scenarios), then after this file's first run (seed 7). */
let demo = 0;
let total = 0;

beforeAll(async () => {
  t = await testApp(); // the demo street, with its own synthetic persons (seed 1) and scenarios
  demo = await count('select count(*) n from persons');
  total = demo + 400;
  await generateRegistry(t.db, { persons: total, seed: SEED });
});
afterAll(async () => { await t?.close(); });

describe('ID numbers', () => {
  it('the index → ID number map is a bijection: distinct numbers for distinct indices, reproducible for a seed', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(syntheticIdNumber(SEED, i));
    expect(seen.size).toBe(50_000);
    for (const i of [0, 1, 99_999, ID_SPACE - 1]) expect(syntheticIdNumber(SEED, i)).toBe(syntheticIdNumber(SEED, i));
    expect(syntheticIdNumber(SEED, 5)).not.toBe(syntheticIdNumber(SEED + 1, 5));
    // A permutation of the whole space (checked on its ends) and never outside it.
    for (const i of [0, 1, 2, ID_SPACE - 2, ID_SPACE - 1]) expect(permuteIndex(SEED, i)).toBeLessThan(ID_SPACE);
    expect(() => permuteIndex(SEED, ID_SPACE)).toThrow(RangeError);
  });

  it('every generated number is a valid GB 11643 number (checked independently) whose birth date and gender are stored', async () => {
    const today = officeToday();
    for (let i = 0; i < 2000; i++) {
      const s = syntheticIdentity(SEED, i * 7919);
      expect(s.idNumber.slice(17)).toBe(checkChar(s.idNumber.slice(0, 17)));
      const r = parseIdNumber(s.idNumber, { today, kind: 'resident_id' });
      expect(r.ok, s.idNumber).toBe(true);
      if (r.ok) expect([r.value.birthDate, r.value.gender]).toEqual([s.birthDate, s.gender]);
      expect(s.birthDate >= '1950-01-01' && s.birthDate <= '2006-12-31').toBe(true);
    }
    const rows = await pop(t.db).selectFrom('persons').select(['id_type', 'id_enc', 'id_hmac', 'id_masked', 'birth_date', 'gender', 'origin', 'name', 'name_initials']).execute();
    expect(demo).toBeGreaterThanOrEqual(3000);
    expect(rows.length).toBe(total);
    for (const p of rows) {
      expect(p.id_type).toBe('resident_id');
      const idNumber = reveal(p.id_enc)!;
      const r = parseIdNumber(idNumber, { today, kind: 'resident_id' });
      expect(r.ok, p.id_masked ?? '').toBe(true);
      if (!r.ok) continue;
      expect(p.id_hmac).toBe(idIndex(r.value.normalized));
      expect(p.id_masked).toBe(`${idNumber.slice(0, 6)}********${idNumber.slice(14)}`);
      expect([p.birth_date, p.gender]).toEqual([r.value.birthDate, r.value.gender]);
      // 户籍地: the number's address code rounded to a dictionary code.
      expect(p.origin === null || (ORIGIN_BY_CODE.has(p.origin) && [idNumber.slice(0, 6), `${idNumber.slice(0, 4)}00`, `${idNumber.slice(0, 2)}0000`].includes(p.origin))).toBe(true);
      expect([...p.name].length).toBeGreaterThanOrEqual(2);
      expect([...p.name].length).toBeLessThanOrEqual(3);
      expect(p.name_initials).toMatch(/^[a-z]{2,3}$/);
    }
  });

  it('employers carry valid unified social credit codes (GB 32100)', async () => {
    const rows = await pop(t.db).selectFrom('employers').select('uscc').execute();
    expect(rows.length).toBeGreaterThanOrEqual(35 * 3);
    for (const e of rows) expect(validUscc(e.uscc!), e.uscc!).toBe(true);
  });
});

describe('consistency with the services', () => {
  it('the grid counters equal the counts of the rows (migrants = active persons, houses, rentals, employers)', async () => {
    const rows = await sql<{ grid_id: string; migrants: number; houses: number; rentals: number; employers: number; m: string; h: string; r: string; e: string }>`
      select c.grid_id, c.migrants, c.houses, c.rentals, c.employers,
        (select count(*) from persons p where p.grid_id = c.grid_id and p.status = 'active') m,
        (select count(*) from houses h where h.grid_id = c.grid_id and h.status = 'active') h,
        (select count(*) from houses h where h.grid_id = c.grid_id and h.status = 'active' and h.rental) r,
        (select count(*) from employers e where e.grid_id = c.grid_id and e.status = 'active') e
      from population_counters c`.execute(t.db);
    expect(rows.rows).toHaveLength(35);
    for (const c of rows.rows) expect([c.migrants, c.houses, c.rentals, c.employers]).toEqual([Number(c.m), Number(c.h), Number(c.r), Number(c.e)]);
    expect(rows.rows.every((c) => c.migrants > 0 && c.houses > 0 && c.employers >= 3)).toBe(true);
  });

  it('at most one open residence per person: active persons have exactly one, in their grid; those who left have none and left on or after arriving', async () => {
    expect(await count(`select count(*) n from (select person_id from residences where to_date is null group by person_id having count(*) > 1) x`)).toBe(0);
    expect(await count(`select count(*) n from persons p where p.status = 'active' and 1 <> (select count(*) from residences r where r.person_id = p.id and r.to_date is null and r.grid_id = p.grid_id)`)).toBe(0);
    expect(await count(`select count(*) n from persons p where p.status = 'left' and (p.left_on is null or p.left_on < p.arrived_on or exists (select 1 from residences r where r.person_id = p.id and r.to_date is null))`)).toBe(0);
    const left = await count(`select count(*) n from persons where status = 'left'`);
    expect(left / total).toBeGreaterThan(0.1);
    expect(left / total).toBeLessThan(0.2);
  });

  it('each arrival has its collection record (reviewed by the station unless still reported), an event, and the work counters add up', async () => {
    expect(await count(`select count(*) n from persons p where not exists (select 1 from collection_records c where c.person_id = p.id and c.kind = 'arrival')`)).toBe(0);
    expect(await count(`select count(*) n from persons p where not exists (select 1 from person_events e where e.person_id = p.id and e.kind = 'arrived')`)).toBe(0);
    expect(await count(`select count(*) n from collection_records c join persons p on p.id = c.person_id where c.kind = 'arrival' and c.review_status <> p.review_status`)).toBe(0);
    expect(await count(`select count(*) n from collection_records where review_status <> 'reported' and (reviewed_at is null or reviewed_by is null or reviewed_at < reported_at)`)).toBe(0);
    expect(await count(`select count(*) n from collection_records where reported_at < collected_at or reported_at > now() or late <> (reported_at - collected_at > interval '24 hours')`)).toBe(0);
    const late = await count(`select count(*) n from collection_records where late`);
    expect(late).toBeGreaterThan(0);
    expect(late / total).toBeGreaterThan(0.02);
    expect(late / total).toBeLessThan(0.08);
    expect(await count(`select count(*) n from collection_records where review_status = 'reported'`)).toBeGreaterThan(0);
    expect(await count(`select count(*) n from collection_records where review_status = 'returned' and return_reasons is null`)).toBe(0);
    // Work counters: collected / passed = records of the collector in the month of collection; entered = records
    // entered by the user in the month of entry (000:27: the station enters; synthetic records by their collector).
    const diff = await count(`
      with r as (select collected_by u, to_char(collected_at at time zone 'Asia/Shanghai', 'YYYY-MM') m, count(*) c, count(*) filter (where review_status = 'passed') p
                 from collection_records group by 1, 2),
           e as (select entered_by u, to_char(entered_at at time zone 'Asia/Shanghai', 'YYYY-MM') m, count(*) c
                 from collection_records where entered_by is not null group by 1, 2),
           k as (select u, m from r union select u, m from e)
      select count(*) n from k left join r using (u, m) left join e using (u, m) full join work_counters w on w.user_id = k.u and w.month = k.m
      where coalesce(r.c, 0) <> coalesce(w.collected, 0) or coalesce(e.c, 0) <> coalesce(w.entered, 0) or coalesce(r.p, 0) <> coalesce(w.passed, 0)`);
    expect(diff).toBe(0);
  });

  it('tenancies are on rental houses, with a resident tenant of that house; houses are about one per three persons, ~60 % rented', async () => {
    expect(await count(`select count(*) n from tenancies t join houses h on h.id = t.house_id where not h.rental`)).toBe(0);
    expect(await count(`select count(*) n from tenancies t join persons p on p.id = t.tenant_person_id where p.house_id <> t.house_id or (t.to_date is not null and t.to_date < t.from_date)`)).toBe(0);
    const houses = await count(`select count(*) n from houses`);
    expect(houses / total).toBeGreaterThan(0.3);
    expect(houses / total).toBeLessThan(0.45);
    const rentals = await count(`select count(*) n from houses where rental`);
    expect(rentals / houses).toBeGreaterThan(0.45);
    expect(rentals / houses).toBeLessThan(0.75);
  });
});

describe('a second run', () => {
  it('with a larger total adds only the difference, with no duplicate document; the same total again adds nothing', async () => {
    expect(await count(`select count(*) n from persons`)).toBe(total);
    const r = await generateRegistry(t.db, { persons: total + 200, seed: SEED });
    expect(r).toMatchObject({ added: 200, totalPersons: total + 200 });
    expect(await count(`select count(*) n from persons`)).toBe(total + 200);
    expect(await count(`select count(distinct id_hmac) n from persons`)).toBe(total + 200);
    // Numbers come from (seed, index): the first run of this seed started at index 0 and the second
    // run resumed after the first run's last index, on a block boundary.
    expect(await count(`select count(*) n from persons where id_hmac = '${idIndex(syntheticIdNumber(SEED, 0))}'`)).toBe(1);
    expect(await nextSyntheticIndex(t.db, SEED)).toBe(Math.ceil(400 / BLOCK_PERSONS) * BLOCK_PERSONS + Math.ceil(200 / BLOCK_PERSONS) * BLOCK_PERSONS);
    expect(await generateRegistry(t.db, { persons: total + 200, seed: SEED })).toMatchObject({ added: 0, totalPersons: total + 200 });
    expect(await generateRegistry(t.db, { persons: total, seed: SEED })).toMatchObject({ added: 0 });
    // Counters are still the counts of the rows.
    expect(await count(`select sum(migrants) n from population_counters`)).toBe(await count(`select count(*) n from persons where status = 'active'`));
  });

  it('a number already registered by hand is skipped, and the run still reaches its total', async () => {
    const before = await count(`select count(*) n from persons`);
    const next = await nextSyntheticIndex(t.db, SEED);
    // Someone registers the number the generator would give its next person.
    const taken = syntheticIdentity(SEED, next);
    const wg = await t.login('wangge-sh-1');
    const grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    const res = await wg.post('/api/v1/population/persons', { idNumber: taken.idNumber, name: '测试重号', gridId: grid, arrivedOn: officeToday() });
    expect(res.statusCode, res.body).toBe(201);
    const r = await generateRegistry(t.db, { persons: before + 1 + 20, seed: SEED });
    expect(r.added).toBe(20);
    expect(await count(`select count(distinct id_hmac) n from persons`)).toBe(before + 21);
  });
});
