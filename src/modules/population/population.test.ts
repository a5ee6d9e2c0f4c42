import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId, residentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';
import { pop } from './schema.js';
import { activePolicy } from '../../platform/policy/service.js';
import { listPersons } from './persons.js';
import { loadProfile } from '../../platform/org/profile.js';

/**
 * M2 registry rules (PRODUCT.md M2, API.md "Population"), each test named after its rule, run
 * through the HTTP API as the demo accounts: wangge-sh-1 (grid worker, 蜀汉街 grid 1), wangge-xmq-1
 * (洗面桥 grid 1), zhan-sh (蜀汉街 station), liuguan (流管办, the street), paichusuo (police liaison).
 */
let t: TestApp;
let wg: Client; let wgXmq: Client; let zhan: Client; let liuguan: Client; let police: Client; let admin: Client;
let shGrid1: string; let shGrid2: string; let xmqGrid1: string;

const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const daysAgo = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const register = (c: Client, body: Record<string, unknown>, headers?: Record<string, string>) =>
  c.post('/api/v1/population/persons', { name: '测试人', gridId: shGrid1, arrivedOn: daysAgo(10), idNumber: nextResidentId(), ...body }, headers);
/** Registered by a grid worker (collected, 采集) and entered by the station (录入, 000:27): ready for review. */
async function registerEntered(c: Client, body: Record<string, unknown>) {
  const res = await register(c, body);
  if (res.statusCode === 201) {
    const records = (await liuguan.get(`/api/v1/population/records?personId=${res.json().id}&status=collected`)).json().items as { id: string }[];
    for (const r of records) expect((await liuguan.post(`/api/v1/population/records/${r.id}/enter`, {})).statusCode).toBe(200);
  }
  return res;
}
const personCount = async () => Number((await pop(t.db).selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
const activeStreetCount = async () => Number((await pop(t.db).selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'active').executeTakeFirstOrThrow()).n);
const liveMigrants = async (gridId: string) => (await pop(t.db).selectFrom('population_counters').select('migrants').where('grid_id', '=', gridId).executeTakeFirst())?.migrants ?? 0;
const activeCount = async (gridId: string) => Number((await pop(t.db).selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).where('grid_id', '=', gridId).where('status', '=', 'active').executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  t = await testApp();
  [wg, wgXmq, zhan, liuguan, police, admin] = await Promise.all(['wangge-sh-1', 'wangge-xmq-1', 'zhan-sh', 'liuguan', 'paichusuo', 'admin'].map((u) => t.login(u)));
  [shGrid1, shGrid2, xmqGrid1] = await Promise.all(['蜀汉街社区第1网格', '蜀汉街社区第2网格', '洗面桥社区第1网格'].map(unitId));
});
afterAll(async () => { await t?.close(); });

describe('ID numbers (GB 11643)', () => {
  it('every format problem is 422 INVALID_ID_NUMBER naming the part, never 400, and nothing is written', async () => {
    const valid = residentId('510107', '19900101', 123);
    const wrongCheck = valid.slice(0, 17) + (valid[17] === '0' ? '1' : '0');
    const cases: [string, string][] = [
      ['51010719900101123', 'LENGTH'], ['5101071990010112345', 'LENGTH'], ['', 'LENGTH'],
      ['51010719900101A23X', 'CHARSET'], [residentId('510107', '19990230', 123), 'BIRTH_DATE'],
      [residentId('510107', `${Number(officeToday().slice(0, 4)) + 1}0101`, 123), 'BIRTH_DATE'],
      [wrongCheck, 'CHECKSUM'], [residentId('001234', '19900101', 123), 'ADDRESS_CODE'],
    ];
    const before = await personCount();
    for (const [idNumber, code] of cases) {
      const res = await register(wg, { idNumber });
      expect(res.statusCode, `${code}: ${res.body}`).toBe(422);
      expect(errorOf(res).code).toBe('INVALID_ID_NUMBER');
      expect(errorOf(res).details[0]!.code, idNumber).toBe(code);
      expect(res.body).not.toContain(idNumber || '\u0000');
    }
    expect(await personCount()).toBe(before);
  });

  it('a valid number registers: birth date and gender come from it, the number is masked in the answer', async () => {
    const idNumber = residentId('510107', '19850615', 457);
    const res = await register(wg, { idNumber, name: '周明远' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ birthDate: '1985-06-15', gender: 'male', status: 'active', reviewStatus: 'reported', reused: false, gridId: shGrid1 });
    expect(res.json().idNumberMasked).toBe(`510107********${idNumber.slice(-4)}`);
    expect(res.body).not.toContain(idNumber);
  });

  it('a lower-case x is accepted and stored upper-case: the person is found by either', async () => {
    let idNumber = '';
    for (let seq = 100; seq < 999 && !idNumber.endsWith('X'); seq++) idNumber = residentId('510104', '19920308', seq);
    const res = await register(wg, { idNumber: idNumber.toLowerCase() });
    expect(res.statusCode, res.body).toBe(201);
    for (const q of [idNumber, idNumber.toLowerCase()]) {
      const found = (await liuguan.get(`/api/v1/population/persons?idNumber=${q}`)).json();
      expect(found.items.map((p: { id: string }) => p.id)).toEqual([res.json().id]);
    }
  });

  it('a 15-digit legacy number is upgraded to 18 digits and found by both forms', async () => {
    const legacy = '510107850615321';
    const upgraded = residentId('510107', '19850615', 321);
    const res = await register(wg, { idNumber: legacy });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().idNumberMasked).toBe(`510107********${upgraded.slice(-4)}`);
    const again = await register(wg, { idNumber: upgraded });
    expect(errorOf(again).code).toBe('ALREADY_REGISTERED');
    expect((await liuguan.get(`/api/v1/population/persons?idNumber=${legacy}`)).json().total).toBe(1);
  });

  it('people without a resident ID are registered with their document type (passport, none)', async () => {
    const passport = await register(wg, { idType: 'passport', idNumber: 'E12345678', birthDate: '1991-02-03', gender: 'female' });
    expect(passport.statusCode, passport.body).toBe(201);
    expect(passport.json()).toMatchObject({ idType: 'passport', birthDate: '1991-02-03', gender: 'female' });
    const none = await wg.post('/api/v1/population/persons', { idType: 'none', name: '无证人员', gridId: shGrid1, arrivedOn: daysAgo(1) });
    expect(none.statusCode, none.body).toBe(201);
    expect(none.json().idNumberMasked).toBeNull();
  });
});

describe('one active residence per person', () => {
  it('registering an ID active elsewhere is 409 ALREADY_REGISTERED naming the grid for a caller who may see it', async () => {
    const idNumber = nextResidentId();
    expect((await register(wg, { idNumber })).statusCode).toBe(201);
    const again = await register(zhan, { idNumber, gridId: shGrid2 });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('ALREADY_REGISTERED');
    expect(errorOf(again).message).toContain('蜀汉街社区第1网格');
  });

  it('the 409 does not name the grid to a caller whose scope does not cover it', async () => {
    const idNumber = nextResidentId();
    expect((await register(wg, { idNumber })).statusCode).toBe(201);
    const other = await register(wgXmq, { idNumber, gridId: xmqGrid1 });
    expect(errorOf(other).code).toBe('ALREADY_REGISTERED');
    expect(other.body).not.toContain('蜀汉街');
    expect(errorOf(other).details).toEqual([]);
  });

  it('two concurrent registrations of one new ID: one 201, one 409, one person and one open residence', async () => {
    const idNumber = nextResidentId();
    const before = await personCount();
    const results = await Promise.all([register(wg, { idNumber }), register(zhan, { idNumber })]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(await personCount()).toBe(before + 1);
  });

  it('a known ID under a different name is 409 ID_NAME_MISMATCH unless a correction reason is given', async () => {
    const idNumber = nextResidentId();
    const first = await register(wg, { idNumber, name: '郑可欣' });
    await wg.post(`/api/v1/population/persons/${first.json().id}/depart`, { leftOn: daysAgo(2) });
    const mismatch = await register(wg, { idNumber, name: '郑可新', arrivedOn: daysAgo(1) });
    expect(mismatch.statusCode).toBe(409);
    expect(errorOf(mismatch).code).toBe('ID_NAME_MISMATCH');
    const corrected = await register(wg, { idNumber, name: '郑可新', arrivedOn: daysAgo(1), correctionReason: '原登记姓名笔误' });
    expect(corrected.statusCode, corrected.body).toBe(201);
    expect(corrected.json()).toMatchObject({ id: first.json().id, reused: true, name: '郑可新' });
  });
});

describe('departure and return', () => {
  it('a departure ends the residence (date required, not before arrival) and keeps the history; a returning person reuses the record', async () => {
    const idNumber = nextResidentId();
    const p = (await register(wg, { idNumber, arrivedOn: daysAgo(30) })).json();
    const migrants = await liveMigrants(shGrid1);
    const early = await wg.post(`/api/v1/population/persons/${p.id}/depart`, { leftOn: daysAgo(31) });
    expect(early.statusCode).toBe(422);
    expect(errorOf(early).code).toBe('DEPARTURE_BEFORE_ARRIVAL');
    expect((await wg.post(`/api/v1/population/persons/${p.id}/depart`, {})).statusCode).toBe(400);
    const future = await wg.post(`/api/v1/population/persons/${p.id}/depart`, { leftOn: '2099-01-01' });
    expect(errorOf(future).code).toBe('FUTURE_DATE');
    const left = await wg.post(`/api/v1/population/persons/${p.id}/depart`, { leftOn: daysAgo(5), reason: '返乡' });
    expect(left.statusCode, left.body).toBe(200);
    expect(left.json()).toMatchObject({ status: 'left', leftOn: daysAgo(5) });
    expect(await liveMigrants(shGrid1)).toBe(migrants - 1);
    const twice = await wg.post(`/api/v1/population/persons/${p.id}/depart`, { leftOn: daysAgo(4) });
    expect(errorOf(twice).code).toBe('NOT_ACTIVE');

    const back = await register(wg, { idNumber, arrivedOn: daysAgo(1) });
    expect(back.statusCode).toBe(201);
    expect(back.json()).toMatchObject({ id: p.id, reused: true, status: 'active' });
    const detail = (await wg.get(`/api/v1/population/persons/${p.id}`)).json();
    expect(detail.residences).toEqual([
      expect.objectContaining({ from: daysAgo(1), to: null, gridId: shGrid1 }),
      expect.objectContaining({ from: daysAgo(30), to: daysAgo(5), gridId: shGrid1 }),
    ]);
    expect(await liveMigrants(shGrid1)).toBe(await activeCount(shGrid1));
  });
});

describe('houses', () => {
  it('a house in another grid is 422 HOUSE_NOT_IN_GRID; an unknown grid is 422 UNKNOWN_GRID for the street, 403 for a grid worker', async () => {
    const house = await liuguan.post('/api/v1/population/houses', { gridId: shGrid2, address: '武侯祠大街8号2栋1单元201', ownerName: '罗建国', rental: true, rooms: 2 });
    expect(house.statusCode, house.body).toBe(201);
    const wrong = await register(zhan, { houseId: house.json().id, gridId: shGrid1 });
    expect(wrong.statusCode).toBe(422);
    expect(errorOf(wrong).code).toBe('HOUSE_NOT_IN_GRID');
    // To a grid worker of another grid the same house looks exactly like one that does not exist.
    const probe = await register(wg, { houseId: house.json().id, gridId: shGrid1 });
    const random = await register(wg, { houseId: '00000000-0000-4000-8000-0000000000ab', gridId: shGrid1 });
    expect(errorOf(probe).code).toBe('UNKNOWN_HOUSE');
    expect([probe.statusCode, probe.json()]).toEqual([random.statusCode, random.json()]);
    const unknown = '00000000-0000-4000-8000-000000000001';
    expect(errorOf(await register(liuguan, { gridId: unknown })).code).toBe('UNKNOWN_GRID');
    expect(errorOf(await register(wg, { gridId: unknown })).code).toBe('FORBIDDEN');
    const community = await unitId('蜀汉街社区');
    expect(errorOf(await register(liuguan, { gridId: community })).code).toBe('UNKNOWN_GRID');
  });

  it('a house is named by its full standard address (building, unit, room) everywhere: houses, due patrols, patrols, registration, residence history, review queue', async () => {
    const P = '/api/v1/population';
    const street = `蜀汉街${100 + Math.floor(Math.random() * 800)}号`;
    const full = `${street}12栋3单元504室`;
    const h = (await wg.post(`${P}/houses`, { gridId: shGrid1, address: street, building: '12', unitNo: '3', room: '504', ownerName: '贺明', rental: true })).json();
    expect(h).toMatchObject({ address: street, building: '12', unitNo: '3', room: '504', fullAddress: full });
    // A neighbour at the same street number is another house: it is told apart.
    await wg.post(`${P}/houses`, { gridId: shGrid1, address: street, building: '12', unitNo: '3', room: '505', ownerName: '贺亮', rental: true });
    const listed = (await wg.get(`${P}/houses?gridId=${shGrid1}&q=${encodeURIComponent(street)}`)).json().items;
    expect(listed.map((x: { fullAddress: string }) => x.fullAddress).sort()).toEqual([full, `${street}12栋3单元505室`]);
    expect((await wg.get(`${P}/houses/${h.id}`)).json().fullAddress).toBe(full);
    const due = (await wg.get(`${P}/patrols/due?level=grid`)).json().items.find((i: { houseId: string }) => i.houseId === h.id);
    expect(due.address).toBe(full);
    const p = await register(wg, { name: '公孙蓓', houseId: h.id });
    expect(p.json().houseAddress).toBe(full);
    const person = (await wg.get(`${P}/persons/${p.json().id}`)).json();
    expect(person.residences[0].address).toBe(full);
    const record = (await zhan.get(`${P}/records?personId=${p.json().id}`)).json().items[0];
    expect(record.address).toBe(full);
    await wg.post(`${P}/patrols`, { level: 'grid', targetUnitId: shGrid1, houseId: h.id, patrolledOn: officeToday(), checked: '登记情况', findings: '新增租户 1 人' });
    const patrols = (await wg.get(`${P}/patrols?level=grid&pageSize=100`)).json().items;
    expect(patrols.find((x: { houseId: string }) => x.houseId === h.id).address).toBe(full);
  });
});

describe('data scope', () => {
  it('a grid worker reads and writes only their grid: other records are 404, a body naming another grid is 403, lists filter silently', async () => {
    const other = (await register(wgXmq, { gridId: xmqGrid1 })).json();
    expect((await wg.get(`/api/v1/population/persons/${other.id}`)).statusCode).toBe(404);
    expect((await wg.post(`/api/v1/population/persons/${other.id}/depart`, { leftOn: daysAgo(1) })).statusCode).toBe(404);
    const into = await register(wg, { gridId: xmqGrid1 });
    expect(into.statusCode).toBe(403);
    expect(errorOf(into).code).toBe('FORBIDDEN');
    const list = (await wg.get('/api/v1/population/persons?pageSize=200')).json();
    expect(list.items.every((p: { gridId: string }) => p.gridId === shGrid1)).toBe(true);
    expect((await wg.get(`/api/v1/population/persons?gridId=${xmqGrid1}`)).json().total).toBe(0);
    // The station sees its community, not 洗面桥.
    expect((await zhan.get(`/api/v1/population/persons/${other.id}`)).statusCode).toBe(404);
    expect((await liuguan.get(`/api/v1/population/persons/${other.id}`)).statusCode).toBe(200);
  });
});

describe('personal data', () => {
  it('ID numbers and phones are encrypted at rest: no stored column holds them in clear', async () => {
    const idNumber = nextResidentId();
    const phone = '13812345678';
    const p = (await register(wg, { idNumber, phone })).json();
    expect(p.phoneMasked).toBe('138****5678');
    const row = await pop(t.db).selectFrom('persons').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(idNumber);
    expect(JSON.stringify(row)).not.toContain(phone);
    expect(JSON.stringify(row)).not.toContain(idNumber.slice(6, 14));
  });

  it('revealing needs person:reveal and is audited as person.reveal; every read of a person is audited as person.read', async () => {
    const idNumber = nextResidentId();
    const p = (await register(wg, { idNumber })).json();
    expect((await wg.get(`/api/v1/population/persons/${p.id}?reveal=true`)).statusCode).toBe(403);
    const reads = () => t.db.selectFrom('audit_events').select(['action']).where('entity_id', '=', p.id).where('action', 'in', ['person.read', 'person.reveal']).execute();
    const before = (await reads()).length;
    const plain = await wg.get(`/api/v1/population/persons/${p.id}`);
    expect(plain.json().idNumber).toBeUndefined();
    const revealed = await police.get(`/api/v1/population/persons/${p.id}?reveal=true`);
    expect(revealed.statusCode).toBe(200);
    expect(revealed.json().idNumber).toBe(idNumber);
    const after = (await reads()).map((r) => r.action);
    expect(after.length).toBe(before + 3);
    expect(after.filter((a) => a === 'person.reveal').length).toBeGreaterThanOrEqual(1);
    // Audit summaries never carry the number.
    const all = await t.db.selectFrom('audit_events').select('summary').execute();
    expect(JSON.stringify(all)).not.toContain(idNumber);
  });

  it('the police liaison has no other writes: registering is 403', async () => {
    expect((await register(police, {})).statusCode).toBe(403);
  });
});

describe('name search', () => {
  it('letters are pinyin initials, characters a prefix, trigram similarity only from 3 characters, and LIKE wildcards are literal', async () => {
    for (const name of ['甄子明', '甄子朋', '甄明子']) expect((await register(wg, { name })).statusCode).toBe(201);
    const found = async (name: string) => ((await liuguan.get(`/api/v1/population/persons?name=${encodeURIComponent(name)}&pageSize=50`)).json().items as { name: string }[])
      .map((p) => p.name).filter((n) => n.startsWith('甄')).sort();
    expect(await found('甄子')).toEqual(['甄子明', '甄子朋']); // 2 characters: prefix only
    expect(await found('甄明')).toEqual(['甄明子']); // not 甄子明, though it shares characters
    expect(await found('甄子明')).toEqual(['甄子明', '甄子朋']); // 3 characters: the prefix and a similar name
    expect(await found('zzm')).toEqual(['甄子明']); // initials
    expect(await found('甄%')).toEqual([]);
    expect(await found('甄_明')).toEqual([]);
  });
});

describe('search counts', () => {
  it('a search counts its matches exactly up to the cap; past it total is the cap and totalIsLowerBound is set', async () => {
    const profile = await loadProfile(t.db, (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id);
    const actor = { ...profile!, session: { id: 's', kind: 'bearer' as const, csrfToken: '' } };
    const q = { status: 'active' as const, page: 1, pageSize: 5 };
    const exact = await listPersons(t.db, actor, q, null);
    expect(exact.total).toBeGreaterThan(100);
    expect(exact.total).toBe(await activeStreetCount());
    expect(exact.totalIsLowerBound).toBeUndefined();
    const capped = await listPersons(t.db, actor, q, null, 100);
    expect(capped).toMatchObject({ total: 100, totalIsLowerBound: true });
    expect(capped.items).toHaveLength(5);
    const under = await listPersons(t.db, actor, q, null, exact.total);
    expect(under.total).toBe(exact.total);
    expect(under.totalIsLowerBound).toBeUndefined();
  });
});

describe('dedup', () => {
  it('dedup suggestions match name + birth date (fuzzy) before saving, within scope, and never block', async () => {
    await register(wg, { idType: 'passport', idNumber: 'P9988776', name: '欧阳晓峰', birthDate: '1979-11-02' });
    const res = await wg.post('/api/v1/population/persons/dedup-check', { name: '欧阳晓锋', birthDate: '1979-11-02' });
    expect(res.statusCode).toBe(200);
    expect(res.json().candidates[0]).toMatchObject({ nameMasked: '欧阳**', birthDate: '1979-11-02' });
    expect((await wgXmq.post('/api/v1/population/persons/dedup-check', { name: '欧阳晓锋', birthDate: '1979-11-02' })).json().candidates).toEqual([]);
  });
});

describe('moves', () => {
  it('a move within the community is confirmed by the station: old residence ends the day before, counters follow', async () => {
    const idNumber = nextResidentId();
    const p = (await register(wg, { idNumber, arrivedOn: daysAgo(40) })).json();
    const wg2 = await t.login('wangge-sh-2');
    const [m1, m2] = [await liveMigrants(shGrid1), await liveMigrants(shGrid2)];
    const req = await wg2.post('/api/v1/population/moves', { idNumber, toGridId: shGrid2, arrivedOn: daysAgo(3) });
    expect(req.statusCode, req.body).toBe(201);
    expect(req.json()).toMatchObject({ status: 'pending', crossCommunity: false, fromGridName: null });
    expect(errorOf(await wg2.post('/api/v1/population/moves', { idNumber, toGridId: shGrid2, arrivedOn: daysAgo(2) })).code).toBe('MOVE_PENDING');
    const ok = await zhan.post(`/api/v1/population/moves/${req.json().id}/confirm`, {});
    expect(ok.statusCode, ok.body).toBe(200);
    const detail = (await zhan.get(`/api/v1/population/persons/${p.id}`)).json();
    expect(detail.gridId).toBe(shGrid2);
    expect(detail.residences.slice(0, 2)).toEqual([
      expect.objectContaining({ gridId: shGrid2, from: daysAgo(3), to: null }),
      expect.objectContaining({ gridId: shGrid1, from: daysAgo(40), to: daysAgo(4) }),
    ]);
    expect([await liveMigrants(shGrid1), await liveMigrants(shGrid2)]).toEqual([m1 - 1, m2 + 1]);
    expect(errorOf(await zhan.post(`/api/v1/population/moves/${req.json().id}/confirm`, {})).code).toBe('ALREADY_DECIDED');
    // The old grid sees the move in its outgoing list.
    const out = (await wg.get('/api/v1/population/moves?box=outgoing')).json();
    expect(out.items.some((m: { id: string }) => m.id === req.json().id)).toBe(true);
  });

  it('a move across communities is confirmed by 流管办, not by the station', async () => {
    const idNumber = nextResidentId();
    await register(wgXmq, { idNumber, gridId: xmqGrid1, arrivedOn: daysAgo(20) });
    const req = await wg.post('/api/v1/population/moves', { idNumber, toGridId: shGrid1, arrivedOn: daysAgo(1) });
    expect(req.json()).toMatchObject({ crossCommunity: true, status: 'pending' });
    const station = await zhan.post(`/api/v1/population/moves/${req.json().id}/confirm`, {});
    expect(station.statusCode).toBe(403);
    const street = await liuguan.post(`/api/v1/population/moves/${req.json().id}/confirm`, {});
    expect(street.statusCode, street.body).toBe(200);
    expect(street.json().status).toBe('confirmed');
  });

  it('a grid worker cannot learn another grid\'s person\'s arrival date by probing move dates: no MOVE_BEFORE_ARRIVAL for them; the decision still checks it', async () => {
    const idNumber = nextResidentId();
    await register(wgXmq, { idNumber, gridId: xmqGrid1, arrivedOn: daysAgo(20) });
    // Before, on and after the arrival date: the same answer for all three.
    const answers = [];
    for (const n of [30, 20, 10]) {
      const res = await wg.post('/api/v1/population/moves', { idNumber, toGridId: shGrid1, arrivedOn: daysAgo(n) });
      answers.push(res.statusCode);
      if (res.statusCode === 201) {
        // 流管办 sees both grids: a date on or before the arrival is refused at the decision.
        const decided = await liuguan.post(`/api/v1/population/moves/${res.json().id}/confirm`, {});
        if (n >= 20) expect(errorOf(decided).code).toBe('MOVE_BEFORE_ARRIVAL');
        else expect(decided.statusCode, decided.body).toBe(200);
        if (n >= 20) expect((await liuguan.post(`/api/v1/population/moves/${res.json().id}/reject`, { reason: '迁入日期有误' })).statusCode).toBe(200);
      }
    }
    expect(answers).toEqual([201, 201, 201]);
  });
});

describe('review', () => {
  it('the station passes or returns reported records; a return needs reasons and keeps the person registered', async () => {
    const p = (await registerEntered(wg, {})).json();
    const queue = (await zhan.get('/api/v1/population/records?status=reported&pageSize=200')).json();
    const record = queue.items.find((r: { personId: string }) => r.personId === p.id);
    expect(record).toMatchObject({ kind: 'arrival', reviewStatus: 'reported', late: false });
    expect(queue.deadlineHours).toBe(24);
    expect(errorOf(await zhan.post(`/api/v1/population/records/${record.id}/review`, { decision: 'return' })).code).toBe('REASONS_REQUIRED');
    const returned = await zhan.post(`/api/v1/population/records/${record.id}/review`, { decision: 'return', reasons: '缺少联系电话' });
    expect(returned.json().reviewStatus).toBe('returned');
    const person = (await zhan.get(`/api/v1/population/persons/${p.id}`)).json();
    expect(person).toMatchObject({ status: 'active', reviewStatus: 'returned' });
    expect((await wg.post(`/api/v1/population/records/${record.id}/review`, { decision: 'pass' })).statusCode).toBe(403);
    expect((await wg.post(`/api/v1/population/records/${record.id}/resubmit`, { note: '已补录电话' })).statusCode).toBe(200);
    expect((await zhan.post(`/api/v1/population/records/${record.id}/review`, { decision: 'pass' })).json().reviewStatus).toBe('passed');
    expect(errorOf(await zhan.post(`/api/v1/population/records/${record.id}/review`, { decision: 'pass' })).code).toBe('ALREADY_REVIEWED');
  });

  it('24-hour reporting clock: a record reported more than 24 natural hours after collection is flagged late, never refused', async () => {
    const collectedAt = new Date(Date.now() - 30 * 3_600_000).toISOString();
    const p = await registerEntered(wg, { collectedAt });
    expect(p.statusCode).toBe(201);
    const queue = (await zhan.get('/api/v1/population/records?status=reported&late=true&pageSize=200')).json();
    const record = queue.items.find((r: { personId: string }) => r.personId === p.json().id);
    expect(record.late).toBe(true);
    expect(record.reportingHours).toBeGreaterThanOrEqual(29.9);
  });

  it('no one reviews a record they collected: the station clerk\'s own registration waits for someone else (422 OWN_RECORD), nothing changes', async () => {
    const p = (await register(zhan, { name: '慕容晴' })).json();
    const mine = (await zhan.get(`/api/v1/population/records?personId=${p.id}`)).json().items[0];
    expect(mine).toMatchObject({ reviewStatus: 'reported', ownRecord: true });
    for (const decision of ['pass', 'return'] as const) {
      const res = await zhan.post(`/api/v1/population/records/${mine.id}/review`, { decision, reasons: '自审' });
      expect(res.statusCode, res.body).toBe(422);
      expect(errorOf(res).code).toBe('OWN_RECORD');
    }
    expect((await zhan.get(`/api/v1/population/records?personId=${p.id}`)).json().items[0].reviewStatus).toBe('reported');
    // The street reviews it; for the street it is not its own.
    const theirs = (await liuguan.get(`/api/v1/population/records?personId=${p.id}`)).json().items[0];
    expect(theirs.ownRecord).toBe(false);
    expect((await liuguan.post(`/api/v1/population/records/${mine.id}/review`, { decision: 'pass' })).json().reviewStatus).toBe('passed');
  });

  it('in the demo data the station clerk\'s own collections were reviewed by the street, not by herself', async () => {
    const zhanId = (await t.db.selectFrom('users').select('id').where('username', '=', 'zhan-sh').executeTakeFirstOrThrow()).id;
    const count = async (self: boolean) => Number((await pop(t.db).selectFrom('collection_records').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('collected_by', '=', zhanId).where('reviewed_by', 'is not', null).where('reviewed_by', self ? '=' : '<>', zhanId).executeTakeFirstOrThrow()).n);
    expect(await count(false)).toBeGreaterThan(0);
    expect(await count(true)).toBe(0);
  });
});

describe('statistics', () => {
  it('stats show the survey snapshot beside live counts kept current by registrations', async () => {
    const before = (await liuguan.get(`/api/v1/population/stats?orgUnitId=${shGrid1}`)).json();
    expect(before.survey).toMatchObject({ residents: 2259, migrants: 1287, houses: 826, rentals: 135 });
    expect(before.classification).toBe('regular');
    await register(wg, {});
    const after = (await liuguan.get(`/api/v1/population/stats?orgUnitId=${shGrid1}`)).json();
    expect(after.live.migrants).toBe(before.live.migrants + 1);
    expect(after.live.migrants).toBe(await activeCount(shGrid1));
    const street = (await liuguan.get('/api/v1/population/stats')).json();
    expect(street.kind).toBe('street');
    expect(street.children).toHaveLength(5);
    const key = (await liuguan.get(`/api/v1/population/stats?orgUnitId=${await unitId('洗面桥社区第6网格')}`)).json();
    expect(key.classification).toBe('key');
    expect((await wg.get(`/api/v1/population/stats?orgUnitId=${xmqGrid1}`)).statusCode).toBe(404);
    expect((await wg.get('/api/v1/population/stats')).json().orgUnitId).toBe(shGrid1);
  });
});

describe('idempotency', () => {
  it('a retried registration with the same Idempotency-Key acts once', async () => {
    const key = '0192f7a0-1111-7000-8000-000000000001';
    const body = { idNumber: nextResidentId() };
    const before = await personCount();
    const [a, b] = [await register(wg, body, { 'idempotency-key': key }), await register(wg, body, { 'idempotency-key': key })];
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.json().id).toBe(a.json().id);
    expect(await personCount()).toBe(before + 1);
  });
});

describe('policy', () => {
  it('the review deadline comes from the policy pack: at 48 h a 30-hour-old collection is on time', async () => {
    const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
    doc.population.reviewDeadlineHours = 48;
    const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason: '延长上报时限', decisionRef: '测试〔2026〕1号', effectiveFrom: officeToday() });
    expect(v.statusCode, v.body).toBe(201);
    const p = await registerEntered(wg, { collectedAt: new Date(Date.now() - 30 * 3_600_000).toISOString() });
    const queue = (await zhan.get('/api/v1/population/records?status=reported&pageSize=200')).json();
    expect(queue.deadlineHours).toBe(48);
    expect(queue.items.find((r: { personId: string }) => r.personId === p.json().id).late).toBe(false);
  });
});

describe('decisions record the pack with its version', () => {
  it('a collection record names the policy pack and the version its 24 h clock was judged under', async () => {
    const active = await activePolicy(t.db);
    const p = await register(wg, {});
    expect(p.statusCode, p.body).toBe(201);
    const row = await pop(t.db).selectFrom('collection_records').select(['policy_pack', 'policy_version']).where('person_id', '=', p.json().id).executeTakeFirstOrThrow();
    expect(row).toEqual({ policy_pack: active.packCode, policy_version: active.version });
    expect(row.policy_pack).toBe('street');
  });
});

describe('review queue order and filters', () => {
  type Rec = { id: string; personId: string; reportedAt: string; reviewedAt: string | null };
  const queue = async (qs: string) => (await zhan.get(`/api/v1/population/records?${qs}`)).json() as { items: Rec[]; total: number };
  const recordOf = async (personId: string) => (await queue(`personId=${personId}`)).items[0]!;

  it('the queue runs reported records oldest first (24 h clock) and reviewed ones newest review first', async () => {
    const people = [];
    for (let i = 0; i < 3; i++) people.push((await registerEntered(wg, { name: `闻人序${i}` })).json());
    const records = [];
    for (const p of people) records.push(await recordOf(p.id));
    // Reported: oldest report first.
    const reported = (await queue('status=reported&pageSize=200')).items;
    for (let i = 1; i < reported.length; i++) expect(reported[i - 1]!.reportedAt <= reported[i]!.reportedAt).toBe(true);
    // Pass them in order: the last passed comes first.
    for (const r of records) expect((await zhan.post(`/api/v1/population/records/${r.id}/review`, { decision: 'pass' })).statusCode).toBe(200);
    const passed = (await queue('status=passed&pageSize=200')).items;
    expect(passed.slice(0, 3).map((r) => r.id)).toEqual(records.map((r) => r.id).reverse());
    for (let i = 1; i < passed.length; i++) expect(passed[i - 1]!.reviewedAt! >= passed[i]!.reviewedAt!).toBe(true);
    // Returned likewise.
    const more = [];
    for (let i = 0; i < 2; i++) more.push(await recordOf((await registerEntered(wg, { name: `闻人退${i}` })).json().id));
    for (const r of more) await zhan.post(`/api/v1/population/records/${r.id}/review`, { decision: 'return', reasons: '地址不完整' });
    const returned = (await queue('status=returned&pageSize=200')).items;
    expect(returned.slice(0, 2).map((r) => r.id)).toEqual(more.map((r) => r.id).reverse());
  });

  it('the queue filters by person, by name prefix and by grid; the name search is audited without the name', async () => {
    const a = (await register(wg, { name: '闻人筛选' })).json();
    await register(wg, { name: '端木筛选' });
    const byPerson = await queue(`personId=${a.id}`);
    expect(byPerson.items.map((r) => r.personId)).toEqual([a.id]);
    const byName = await queue(`q=${encodeURIComponent('闻人筛')}&pageSize=200`);
    expect(byName.items.length).toBe(1);
    expect(byName.items[0]!.personId).toBe(a.id);
    expect((await queue(`q=${encodeURIComponent('闻人筛')}&gridId=${shGrid2}`)).total).toBe(0);
    expect((await queue(`q=${encodeURIComponent('闻人筛')}&gridId=${shGrid1}`)).total).toBe(1);
    // A grid worker of another grid finds nothing; a malformed filter is 400.
    expect((await wgXmq.get(`/api/v1/population/records?personId=${a.id}`)).json().total).toBe(0);
    expect((await zhan.get('/api/v1/population/records?personId=x')).statusCode).toBe(400);
    const audit = await t.db.selectFrom('audit_events').select('summary').where('action', '=', 'person.search').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.summary)).not.toContain('闻人');
  });
});

describe('already registered: what the caller may see', () => {
  it('in scope the 409 names the grid and the person in details; in the same grid it says 已在本网格登记', async () => {
    const idNumber = nextResidentId();
    const first = (await register(wg, { idNumber })).json();
    const same = await register(wg, { idNumber });
    expect(same.statusCode).toBe(409);
    const e = errorOf(same);
    expect(e.code).toBe('ALREADY_REGISTERED');
    expect(e.message).toContain('已在本网格');
    expect(e.details).toEqual([
      { path: 'idNumber', code: 'ALREADY_REGISTERED', message: '蜀汉街社区第1网格' },
      { path: 'gridId', code: 'SAME_GRID', message: shGrid1 },
      { path: 'personId', code: 'REGISTERED_PERSON', message: first.id },
    ]);
    const other = errorOf(await register(zhan, { idNumber, gridId: shGrid2 }));
    expect(other.message).not.toContain('本网格');
    expect(other.details.find((d) => d.path === 'gridId')).toEqual({ path: 'gridId', code: 'OTHER_GRID', message: shGrid1 });
    expect(other.details.find((d) => d.path === 'personId')?.message).toBe(first.id);
  });
});

describe('person correction', () => {
  const correct = (c: Client, id: string, body: Record<string, unknown>) => c.patch(`/api/v1/population/persons/${id}`, body);
  const row = async (id: string) => pop(t.db).selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('a correction changes the named fields, needs a reason, keeps the change in the history (ID and phone masked) and is audited', async () => {
    const p = (await register(wg, { name: '赫连晓', phone: '13800001111', occupation: '厨师' })).json();
    expect((await correct(wg, p.id, { name: '赫连晓东' })).statusCode).toBe(400);
    expect((await correct(wg, p.id, { reason: '笔误' })).statusCode).toBe(400);
    expect((await correct(wg, p.id, { reason: '笔误', nickname: 'x' })).statusCode).toBe(400);
    expect(errorOf(await correct(wg, p.id, { reason: '笔误', name: '赫连晓', occupation: '厨师' })).code).toBe('NO_CHANGES');
    expect(errorOf(await correct(wg, p.id, { reason: '笔误', ethnicity: '99x' })).code).toBe('UNKNOWN_CODE');
    expect((await row(p.id)).version).toBe(p.version);
    const res = await correct(wg, p.id, { reason: '采集时姓名、电话记错', name: '赫连晓东', phone: '13900002222', occupation: '厨师长', version: p.version });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: p.id, name: '赫连晓东', occupation: '厨师长', phoneMasked: '139****2222', correctedFields: ['name', 'occupation', 'phone'] });
    expect(res.body).not.toContain('13900002222');
    // A stale version is refused.
    expect(errorOf(await correct(wg, p.id, { reason: '再改', occupation: '厨工', version: p.version })).code).toBe('VERSION_CONFLICT');
    const event = await pop(t.db).selectFrom('person_events').selectAll().where('person_id', '=', p.id).where('kind', '=', 'corrected').executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ fields: ['name', 'occupation', 'phone'], reason: '采集时姓名、电话记错', changes: { name: { from: '赫连晓', to: '赫连晓东' }, phone: { from: '138****1111', to: '139****2222' } } });
    expect(JSON.stringify(event.data)).not.toMatch(/13800001111|13900002222/);
    const detail = (await zhan.get(`/api/v1/population/persons/${p.id}`)).json();
    expect(detail.events.find((e: { kind: string }) => e.kind === 'corrected')).toBeTruthy();
    const audit = await t.db.selectFrom('audit_events').select(['summary', 'actor_id']).where('action', '=', 'person.correct').where('entity_id', '=', p.id).execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.summary)).not.toMatch(/赫连|1390000/);
    expect((await liuguan.get(`/api/v1/population/persons?name=${encodeURIComponent('赫连晓东')}`)).json().total).toBe(1);
  });

  it('an ID number correction needs correctionReason, is re-validated (GB 11643) and must not belong to another person', async () => {
    const p = (await register(wg, { name: '公孙立' })).json();
    const taken = nextResidentId();
    await register(wg, { idNumber: taken, name: '公孙业' });
    const fixed = residentId('510104', '19790312', 731);
    const badCheck = fixed.slice(0, 17) + (fixed[17] === '0' ? '1' : '0');
    const invalid = await correct(wg, p.id, { reason: '证件号录错', idNumber: badCheck, correctionReason: '核对身份证原件' });
    expect(invalid.statusCode).toBe(422);
    expect(errorOf(invalid)).toMatchObject({ code: 'INVALID_ID_NUMBER', details: [{ code: 'CHECKSUM' }] });
    expect(errorOf(await correct(wg, p.id, { reason: '证件号录错', idNumber: fixed })).code).toBe('CORRECTION_REASON_REQUIRED');
    const inUse = await correct(wg, p.id, { reason: '证件号录错', idNumber: taken, correctionReason: '核对身份证原件' });
    expect(inUse.statusCode).toBe(409);
    expect(errorOf(inUse).code).toBe('ID_NUMBER_IN_USE');
    expect(inUse.body).not.toContain(taken);
    expect((await row(p.id)).version).toBe(p.version);
    const ok = await correct(wg, p.id, { reason: '证件号录错', idNumber: fixed, correctionReason: '核对身份证原件' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ birthDate: '1979-03-12', gender: 'male', idNumberMasked: `510104********${fixed.slice(-4)}` });
    expect(ok.body).not.toContain(fixed);
    expect((await liuguan.get(`/api/v1/population/persons?idNumber=${fixed}`)).json().items.map((x: { id: string }) => x.id)).toEqual([p.id]);
    const event = await pop(t.db).selectFrom('person_events').select('data').where('person_id', '=', p.id).where('kind', '=', 'corrected').executeTakeFirstOrThrow();
    expect(JSON.stringify(event.data)).not.toContain(fixed);
    expect(event.data).toMatchObject({ fields: expect.arrayContaining(['idNumber', 'birthDate']), correctionReason: '核对身份证原件' });
  });

  it('a correction is scoped (404 outside, 403 without person:write) and a house is corrected only within the grid', async () => {
    const p = (await register(wg, {})).json();
    expect((await correct(wgXmq, p.id, { reason: '核对', occupation: '保安' })).statusCode).toBe(404);
    expect((await correct(police, p.id, { reason: '核对', occupation: '保安' })).statusCode).toBe(403);
    const otherHouse = (await wgXmq.post('/api/v1/population/houses', { gridId: xmqGrid1, address: '洗面桥街 8 号', ownerName: '宇文涛', rental: true })).json();
    // A house of a grid outside the corrector's scope is answered exactly like an unknown house (existence never leaks).
    const outside = await correct(wg, p.id, { reason: '房屋选错', houseId: otherHouse.id });
    const unknown = await correct(wg, p.id, { reason: '房屋选错', houseId: '00000000-0000-4000-8000-0000000000aa' });
    expect(errorOf(outside).code).toBe('UNKNOWN_HOUSE');
    expect([outside.statusCode, outside.json()]).toEqual([unknown.statusCode, unknown.json()]);
    const house = (await wg.post('/api/v1/population/houses', { gridId: shGrid1, address: '蜀汉路 66 号 2 单元 301', ownerName: '尉迟明', rental: true })).json();
    const res = await correct(wg, p.id, { reason: '房屋选错', houseId: house.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ houseId: house.id, gridId: shGrid1 });
    const residence = await pop(t.db).selectFrom('residences').select(['house_id', 'grid_id']).where('person_id', '=', p.id).where('to_date', 'is', null).executeTakeFirstOrThrow();
    expect(residence).toEqual({ house_id: house.id, grid_id: shGrid1 });
    expect(await activeCount(shGrid1)).toBe(await liveMigrants(shGrid1));
  });
});
