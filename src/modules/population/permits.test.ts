import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../../platform/time.js';
import { pop } from './schema.js';

/**
 * Residence permits (居住证申领) and responsibility letters (责任书), PRODUCT.md M2 and seed 000
 * l.10 / l.25 — each test named after its rule, run through the HTTP API as the demo accounts:
 * wangge-sh-1 (grid worker, 蜀汉街 grid 1), wangge-xmq-1 (洗面桥 grid 1), zhan-sh (蜀汉街 station),
 * liuguan (流管办, the street), paichusuo (police liaison, read-only), admin (policy packs).
 */
let t: TestApp;
let wg: Client; let wgXmq: Client; let zhan: Client; let liuguan: Client; let police: Client; let admin: Client;
let shGrid1: string; let xmqGrid1: string;

const P = '/api/v1/population';
const today = () => officeToday();
const shift = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const count = async (table: 'residence_permits' | 'residence_permit_actions' | 'responsibility_letters') =>
  Number((await pop(t.db).selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
const auditFor = async (entityId: string) =>
  (await t.db.selectFrom('audit_events').select(['action', 'summary']).where('entity_id', '=', entityId).orderBy('seq').execute());

let cardSeq = 1000;
const nextCard = () => `JZ5101${String(cardSeq++).padStart(8, '0')}`;

async function person(c: Client = wg, gridId?: string, arrivedDaysAgo = 60): Promise<string> {
  const res = await c.post(`${P}/persons`, { name: '林小雨', gridId: gridId ?? shGrid1, arrivedOn: shift(-arrivedDaysAgo), idNumber: nextResidentId() });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
const apply = (c: Client, personId: string, body: Record<string, unknown> = {}) => c.post(`${P}/persons/${personId}/permits`, { appliedOn: shift(-5), ...body });

/** A permit taken to `issued`, valid until today + `validDays`. */
async function issued(validDays: number, personId?: string): Promise<{ id: string; personId: string }> {
  const pid = personId ?? await person();
  const a = await apply(wg, pid, { appliedOn: shift(-20) });
  expect(a.statusCode, a.body).toBe(201);
  expect((await zhan.post(`${P}/permits/${a.json().id}/accept`, { acceptedOn: shift(-19) })).statusCode).toBe(200);
  const i = await zhan.post(`${P}/permits/${a.json().id}/issue`, { issuedOn: shift(-18), cardNumber: nextCard(), validUntil: shift(validDays) });
  expect(i.statusCode, i.body).toBe(200);
  return { id: a.json().id, personId: pid };
}

async function rentalHouse(c: Client = wg, gridId?: string): Promise<string> {
  const res = await c.post(`${P}/houses`, { gridId: gridId ?? shGrid1, address: `武侯祠大街${Math.floor(Math.random() * 1e6)}号`, ownerName: '贺志强', rental: true });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}
const landlordLetter = (c: Client, houseId: string, body: Record<string, unknown> = {}) =>
  c.post(`${P}/letters`, { partyKind: 'landlord', houseId, signedOn: shift(-3), termFrom: shift(-3), termTo: shift(362), ...body });

async function setPolicy(patch: Record<string, number>, reason: string) {
  const doc = (await admin.get('/api/v1/policy/packs/street')).json().document;
  Object.assign(doc.population, patch);
  const v = await admin.post('/api/v1/policy/packs/street/versions', { document: doc, reason, decisionRef: '测试〔2026〕7号', effectiveFrom: today() });
  expect(v.statusCode, v.body).toBe(201);
}

beforeAll(async () => {
  t = await testApp();
  [wg, wgXmq, zhan, liuguan, police, admin] = await Promise.all(['wangge-sh-1', 'wangge-xmq-1', 'zhan-sh', 'liuguan', 'paichusuo', 'admin'].map((u) => t.login(u)));
  [shGrid1, xmqGrid1] = await Promise.all(['蜀汉街社区第1网格', '洗面桥社区第1网格'].map(unitId));
});
afterAll(async () => { await t?.close(); });

describe('residence permit applications (居住证申领)', () => {
  it('an application dated in the future is 422 FUTURE_DATE and writes nothing', async () => {
    const pid = await person();
    const before = await count('residence_permits');
    const res = await apply(wg, pid, { appliedOn: shift(1) });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('FUTURE_DATE');
    expect(await count('residence_permits')).toBe(before);
  });

  it('an application dated before the arrival is 422 BEFORE_ARRIVAL and writes nothing', async () => {
    const pid = await person(wg, undefined, 10);
    const before = await count('residence_permits');
    const res = await apply(wg, pid, { appliedOn: shift(-11) });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('BEFORE_ARRIVAL');
    expect(errorOf(res).details[0]!.path).toBe('appliedOn');
    expect(await count('residence_permits')).toBe(before);
  });

  it('a person applies: 居住证 by default, status applied, a dated history row, an audit event, a person event', async () => {
    const pid = await person();
    const res = await apply(wg, pid, { note: '本人到社区服务站申领' });
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json();
    expect(p).toMatchObject({ personId: pid, kind: 'residence_permit', status: 'applied', appliedOn: shift(-5), gridId: shGrid1, gridName: '蜀汉街社区第1网格', renewsId: null });
    expect(p.history).toEqual([expect.objectContaining({ action: 'apply', onDate: shift(-5) })]);
    expect((await auditFor(p.id)).map((a) => a.action)).toEqual(['permit.apply']);
    const detail = (await wg.get(`${P}/persons/${pid}`)).json();
    expect(detail.events.map((e: { kind: string }) => e.kind)).toContain('permit_apply');
  });

  it('a 暂住证 application is recorded with its kind', async () => {
    const res = await apply(wg, await person(), { kind: 'temporary_permit' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().kind).toBe('temporary_permit');
  });

  it('a person of another grid is 404 to a grid worker, as if it did not exist; nothing is written', async () => {
    const other = await person(wgXmq, xmqGrid1);
    const before = await count('residence_permits');
    const res = await apply(wg, other);
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('NOT_FOUND');
    expect(await count('residence_permits')).toBe(before);
  });

  it('a permit of another community is 404 to the station for reading and for every step', async () => {
    const other = await apply(wgXmq, await person(wgXmq, xmqGrid1));
    expect(other.statusCode, other.body).toBe(201);
    const id = other.json().id;
    expect((await zhan.get(`${P}/permits/${id}`)).statusCode).toBe(404);
    expect((await zhan.post(`${P}/permits/${id}/accept`, { acceptedOn: today() })).statusCode).toBe(404);
    expect((await zhan.post(`${P}/permits/${id}/refuse`, { refusedOn: today(), reason: '材料不全' })).statusCode).toBe(404);
    const list = (await zhan.get(`${P}/permits?pageSize=200`)).json();
    expect(list.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await liuguan.get(`${P}/permits/${id}`)).statusCode).toBe(200);
  });

  it('a person who has left cannot apply: 409 PERSON_NOT_ACTIVE', async () => {
    const pid = await person();
    expect((await wg.post(`${P}/persons/${pid}/depart`, { leftOn: shift(-1) })).statusCode).toBe(200);
    const res = await apply(wg, pid, { appliedOn: shift(-2) });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('PERSON_NOT_ACTIVE');
  });

  it('one open application per person and kind: a second is 409 PERMIT_PENDING', async () => {
    const pid = await person();
    expect((await apply(wg, pid)).statusCode).toBe(201);
    const again = await apply(zhan, pid);
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('PERMIT_PENDING');
  });

  it('a grid worker takes applications but may not accept, issue or refuse (403)', async () => {
    const a = (await apply(wg, await person())).json();
    expect((await wg.post(`${P}/permits/${a.id}/accept`, { acceptedOn: today() })).statusCode).toBe(403);
    expect((await police.post(`${P}/persons/${a.personId}/permits`, { appliedOn: today() })).statusCode).toBe(403);
    expect((await police.get(`${P}/permits/${a.id}`)).statusCode).toBe(200);
  });
});

describe('permit status: applied → accepted (受理) → issued (制证发放) | refused', () => {
  it('accept then issue: each step a dated history row kept in order, the card number stored encrypted and shown masked', async () => {
    const a = (await apply(wg, await person(), { appliedOn: shift(-10) })).json();
    const acc = await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(-9) });
    expect(acc.statusCode, acc.body).toBe(200);
    expect(acc.json()).toMatchObject({ status: 'accepted', acceptedOn: shift(-9) });
    const card = nextCard();
    const iss = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: shift(-2), cardNumber: card, validUntil: shift(363) });
    expect(iss.statusCode, iss.body).toBe(200);
    const p = iss.json();
    expect(p).toMatchObject({ status: 'issued', issuedOn: shift(-2), validUntil: shift(363), appliedOn: shift(-10), acceptedOn: shift(-9), expiring: false, expired: false });
    expect(p.history.map((h: { action: string; onDate: string }) => [h.action, h.onDate])).toEqual([['apply', shift(-10)], ['accept', shift(-9)], ['issue', shift(-2)]]);
    expect(p.cardNumberMasked).toBe(`${card.slice(0, 4)}${'*'.repeat(card.length - 8)}${card.slice(-4)}`);
    expect(iss.body).not.toContain(card);
    const row = await pop(t.db).selectFrom('residence_permits').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(row.card_no_enc).not.toContain(card);
    expect(JSON.stringify(await auditFor(a.id))).not.toContain(card);
    expect((await auditFor(a.id)).map((e) => e.action)).toEqual(['permit.apply', 'permit.accept', 'permit.issue']);
  });

  it('the full card number is shown only with person:reveal, and the reveal is audited', async () => {
    const { id } = await issued(300);
    expect((await zhan.get(`${P}/permits/${id}?reveal=true`)).statusCode).toBe(403);
    const r = await liuguan.get(`${P}/permits/${id}?reveal=true`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().cardNumber).toMatch(/^JZ5101\d{8}$/);
    expect((await auditFor(id)).map((e) => e.action)).toContain('permit.reveal');
  });

  it('a refused application cannot be issued: 409 PERMIT_REFUSED, and the refusal with its reason stays in the history', async () => {
    const a = (await apply(wg, await person())).json();
    expect((await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(-4) })).statusCode).toBe(200);
    const ref = await zhan.post(`${P}/permits/${a.id}/refuse`, { refusedOn: shift(-3), reason: '居住未满半年，不符合申领条件' });
    expect(ref.statusCode, ref.body).toBe(200);
    expect(ref.json()).toMatchObject({ status: 'refused', refusedOn: shift(-3), refusedReason: '居住未满半年，不符合申领条件' });
    const iss = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: nextCard(), validUntil: shift(365) });
    expect(iss.statusCode).toBe(409);
    expect(errorOf(iss).code).toBe('PERMIT_REFUSED');
    expect((await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: today() })).json().error.code).toBe('PERMIT_REFUSED');
    const detail = (await zhan.get(`${P}/permits/${a.id}`)).json();
    expect(detail.history.map((h: { action: string }) => h.action)).toEqual(['apply', 'accept', 'refuse']);
    expect(detail.history[2].data).toEqual({ reason: '居住未满半年，不符合申领条件' });
    expect((await auditFor(a.id)).map((e) => e.action)).toEqual(['permit.apply', 'permit.accept', 'permit.refuse']);
  });

  it('steps keep their order: issue before acceptance is 409 PERMIT_NOT_ACCEPTED, a second acceptance 409 PERMIT_ALREADY_ACCEPTED, an issued permit 409 PERMIT_ISSUED', async () => {
    const a = (await apply(wg, await person())).json();
    const early = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: nextCard(), validUntil: shift(365) });
    expect(errorOf(early).code).toBe('PERMIT_NOT_ACCEPTED');
    expect(early.statusCode).toBe(409);
    expect((await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: today() })).statusCode).toBe(200);
    const twice = await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: today() });
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice).code).toBe('PERMIT_ALREADY_ACCEPTED');
    const { id } = await issued(200);
    const refuse = await zhan.post(`${P}/permits/${id}/refuse`, { refusedOn: today(), reason: '重复' });
    expect(refuse.statusCode).toBe(409);
    expect(errorOf(refuse).code).toBe('PERMIT_ISSUED');
  });

  it('step dates: not in the future, not before the previous step; valid-until after the issue date (422)', async () => {
    const a = (await apply(wg, await person(), { appliedOn: shift(-5) })).json();
    expect(errorOf(await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(1) })).code).toBe('FUTURE_DATE');
    const before = await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(-6) });
    expect(before.statusCode).toBe(422);
    expect(errorOf(before).code).toBe('BEFORE_APPLICATION');
    expect((await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(-4) })).statusCode).toBe(200);
    const early = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: shift(-5), cardNumber: nextCard(), validUntil: shift(300) });
    expect(errorOf(early).code).toBe('BEFORE_ACCEPTANCE');
    const validity = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: nextCard(), validUntil: today() });
    expect(validity.statusCode).toBe(422);
    expect(errorOf(validity).code).toBe('VALID_UNTIL_NOT_AFTER_ISSUE');
    const badCard = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: '居住证#1', validUntil: shift(300) });
    expect(badCard.statusCode).toBe(422);
    expect(errorOf(badCard).code).toBe('INVALID_CARD_NUMBER');
    const still = (await zhan.get(`${P}/permits/${a.id}`)).json();
    expect(still.status).toBe('accepted');
    expect(still.history).toHaveLength(2);
  });

  it('a card number is issued once: a second permit with it is 409 CARD_NUMBER_TAKEN', async () => {
    const { id } = await issued(300);
    const card = (await liuguan.get(`${P}/permits/${id}?reveal=true`)).json().cardNumber;
    const a = (await apply(wg, await person())).json();
    await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: today() });
    const dup = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: card.toLowerCase(), validUntil: shift(300) });
    expect(dup.statusCode).toBe(409);
    expect(errorOf(dup).code).toBe('CARD_NUMBER_TAKEN');
  });

  it('malformed bodies are 400 VALIDATION_FAILED and write nothing', async () => {
    const pid = await person();
    const a = (await apply(wg, pid)).json();
    const [permits, actions] = [await count('residence_permits'), await count('residence_permit_actions')];
    const bad: [Client, string, unknown][] = [
      [wg, `${P}/persons/${pid}/permits`, { appliedOn: '2026/01/01' }],
      [wg, `${P}/persons/${pid}/permits`, { appliedOn: today(), kind: 'visa' }],
      [wg, `${P}/persons/${pid}/permits`, { appliedOn: today(), status: 'issued' }],
      [wg, `${P}/persons/${pid}/permits`, {}],
      [wg, `${P}/persons/not-a-uuid/permits`, { appliedOn: today() }],
      [zhan, `${P}/permits/${a.id}/accept`, { acceptedOn: '2026-02-30' }],
      [zhan, `${P}/permits/${a.id}/issue`, { issuedOn: today(), validUntil: shift(10) }],
      [zhan, `${P}/permits/${a.id}/issue`, { issuedOn: today(), cardNumber: 12345678, validUntil: shift(10) }],
      [zhan, `${P}/permits/${a.id}/refuse`, { refusedOn: today() }],
      [zhan, `${P}/permits/${a.id}/refuse`, { refusedOn: today(), reason: '   ' }],
    ];
    for (const [c, url, body] of bad) {
      const res = await c.post(url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    expect([await count('residence_permits'), await count('residence_permit_actions')]).toEqual([permits, actions]);
    expect((await wg.get(`${P}/permits?expiringWithinDays=abc`)).statusCode).toBe(400);
  });
});

describe('renewal (续办) and the expiring list', () => {
  it('a person holding a permit valid beyond the notice window cannot apply again: 409 PERMIT_STILL_VALID', async () => {
    const { personId } = await issued(200);
    const res = await apply(wg, personId, { appliedOn: today() });
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('PERMIT_STILL_VALID');
    expect(errorOf(res).message).toContain('30 天');
  });

  it('a permit expiring within the window is renewed by a new application pointing at it; it leaves the expiring list', async () => {
    const { id } = await issued(10);
    const expiring = (await zhan.get(`${P}/permits?expiring=true&pageSize=200`)).json();
    expect(expiring.renewalNoticeDays).toBe(30);
    expect(expiring.items.find((i: { id: string }) => i.id === id)).toMatchObject({ expiring: true, daysLeft: 10 });
    const renew = await wg.post(`${P}/permits/${id}/renew`, { appliedOn: today() });
    expect(renew.statusCode, renew.body).toBe(201);
    expect(renew.json()).toMatchObject({ status: 'applied', renewsId: id });
    expect((await auditFor(renew.json().id)).map((e) => e.action)).toEqual(['permit.renew']);
    expect((await zhan.get(`${P}/permits/${id}`)).json().renewedById).toBe(renew.json().id);
    const after = (await zhan.get(`${P}/permits?expiring=true&pageSize=200`)).json();
    expect(after.items.map((i: { id: string }) => i.id)).not.toContain(id);
  });

  it('renewal too early is 409 RENEWAL_TOO_EARLY; an application is not renewable (409 NOT_RENEWABLE)', async () => {
    const { id } = await issued(100);
    const early = await wg.post(`${P}/permits/${id}/renew`, { appliedOn: today() });
    expect(early.statusCode).toBe(409);
    expect(errorOf(early).code).toBe('RENEWAL_TOO_EARLY');
    const a = (await apply(wg, await person())).json();
    expect(errorOf(await wg.post(`${P}/permits/${a.id}/renew`, { appliedOn: today() })).code).toBe('NOT_RENEWABLE');
  });

  it('expired permits are listed with ?expired=true and may be renewed', async () => {
    const pid = await person(wg, undefined, 400);
    const a = (await apply(wg, pid, { appliedOn: shift(-380) })).json();
    await zhan.post(`${P}/permits/${a.id}/accept`, { acceptedOn: shift(-379) });
    const iss = await zhan.post(`${P}/permits/${a.id}/issue`, { issuedOn: shift(-378), cardNumber: nextCard(), validUntil: shift(-13) });
    expect(iss.json()).toMatchObject({ expired: true, daysLeft: -13 });
    const expired = (await zhan.get(`${P}/permits?expired=true&pageSize=200`)).json();
    expect(expired.items.map((i: { id: string }) => i.id)).toContain(a.id);
    expect((await wg.post(`${P}/permits/${a.id}/renew`, { appliedOn: today() })).statusCode).toBe(201);
  });

  it('the expiring list uses the policy pack’s permitRenewalNoticeDays: at 45 days a permit 40 days from expiry appears', async () => {
    const { id } = await issued(40);
    const ids = async (q: string) => (await zhan.get(`${P}/permits?${q}&pageSize=200`)).json();
    const before = await ids('expiring=true');
    expect(before.renewalNoticeDays).toBe(30);
    expect(before.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await ids('expiringWithinDays=40')).items.map((i: { id: string }) => i.id)).toContain(id);
    await setPolicy({ permitRenewalNoticeDays: 45 }, '居住证到期提醒提前至45天');
    const after = await ids('expiring=true');
    expect(after.renewalNoticeDays).toBe(45);
    expect(after.expiringWithinDays).toBe(45);
    expect(after.items.find((i: { id: string }) => i.id === id)).toMatchObject({ expiring: true });
    // …and renewal is now allowed for it.
    expect((await wg.post(`${P}/permits/${id}/renew`, { appliedOn: today() })).statusCode).toBe(201);
    await setPolicy({ permitRenewalNoticeDays: 30 }, '恢复30天');
  });

  it('lists filter by status and grid, within the caller’s scope', async () => {
    const xmq = await apply(wgXmq, await person(wgXmq, xmqGrid1));
    const all = (await liuguan.get(`${P}/permits?gridId=${xmqGrid1}&pageSize=200`)).json();
    expect(all.items.map((i: { id: string }) => i.id)).toContain(xmq.json().id);
    expect(all.items.every((i: { gridId: string }) => i.gridId === xmqGrid1)).toBe(true);
    const mine = (await wg.get(`${P}/permits?status=applied&pageSize=200`)).json();
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((i: { gridId: string; status: string }) => i.gridId === shGrid1 && i.status === 'applied')).toBe(true);
    expect((await wg.get(`${P}/permits?gridId=${xmqGrid1}`)).json().total).toBe(0);
  });
});

describe('responsibility letters (责任书)', () => {
  it('term validation: the term end before its start is 422 TERM_END_BEFORE_START, a future signing date 422 FUTURE_DATE; nothing written', async () => {
    const house = await rentalHouse();
    const before = await count('responsibility_letters');
    const inverted = await landlordLetter(zhan, house, { termFrom: shift(10), termTo: shift(9) });
    expect(inverted.statusCode).toBe(422);
    expect(errorOf(inverted).code).toBe('TERM_END_BEFORE_START');
    expect(errorOf(inverted).details[0]!.path).toBe('termTo');
    const future = await landlordLetter(zhan, house, { signedOn: shift(1) });
    expect(errorOf(future).code).toBe('FUTURE_DATE');
    const signedLate = await landlordLetter(zhan, house, { signedOn: shift(-1), termFrom: shift(-100), termTo: shift(-2) });
    expect(errorOf(signedLate).code).toBe('SIGNED_AFTER_TERM');
    expect(await count('responsibility_letters')).toBe(before);
  });

  it('a landlord signs for a rental house: the owner is the party by default, the house shows a valid letter, an audit event is written', async () => {
    const house = await rentalHouse();
    const before = (await zhan.get(`${P}/houses/${house}/letters`)).json();
    expect(before).toMatchObject({ hasValidLetter: false, missing: true, letters: [] });
    const res = await landlordLetter(zhan, house, { note: '出租房屋治安责任书' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ partyKind: 'landlord', houseId: house, partyName: '贺志强', gridId: shGrid1, communityName: '蜀汉街社区', state: 'valid', inForce: true });
    const after = (await wg.get(`${P}/houses/${house}/letters`)).json();
    expect(after).toMatchObject({ hasValidLetter: true, missing: false });
    expect(after.validLetter.id).toBe(res.json().id);
    const audit = await auditFor(res.json().id);
    expect(audit.map((a) => a.action)).toEqual(['letter.create']);
    expect(JSON.stringify(audit)).not.toContain('贺志强');
  });

  it('an employer signs too; a letter needs the party matching its kind (400), a house that is not rented is 422 HOUSE_NOT_RENTAL', async () => {
    const emp = await zhan.post(`${P}/employers`, { gridId: shGrid1, name: '锦里餐饮管理有限公司', address: '武侯祠大街231号', employees: 12 });
    expect(emp.statusCode, emp.body).toBe(201);
    const ok = await zhan.post(`${P}/letters`, { partyKind: 'employer', employerId: emp.json().id, signedOn: today(), termFrom: today(), termTo: shift(365) });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ partyKind: 'employer', partyName: '锦里餐饮管理有限公司', employerName: '锦里餐饮管理有限公司' });
    const before = await count('responsibility_letters');
    const mixed = await zhan.post(`${P}/letters`, { partyKind: 'landlord', employerId: emp.json().id, signedOn: today(), termFrom: today(), termTo: shift(365) });
    expect(mixed.statusCode).toBe(400);
    const own = await wg.post(`${P}/houses`, { gridId: shGrid1, address: '浆洗街8号', ownerName: '贺志强', rental: false });
    const notRental = await landlordLetter(zhan, own.json().id);
    expect(notRental.statusCode).toBe(422);
    expect(errorOf(notRental).code).toBe('HOUSE_NOT_RENTAL');
    expect(await count('responsibility_letters')).toBe(before);
  });

  it('a house of another community named in the body is 403; a letter of another community is 404', async () => {
    const xmqHouse = await rentalHouse(wgXmq, xmqGrid1);
    const before = await count('responsibility_letters');
    const res = await landlordLetter(zhan, xmqHouse);
    expect(res.statusCode).toBe(403);
    expect(await count('responsibility_letters')).toBe(before);
    const theirs = (await landlordLetter(liuguan, xmqHouse)).json();
    expect((await zhan.post(`${P}/letters/${theirs.id}/end`, { endedOn: today(), reason: '房屋停租' })).statusCode).toBe(404);
    expect((await zhan.get(`${P}/houses/${xmqHouse}/letters`)).statusCode).toBe(404);
    expect((await zhan.get(`${P}/letters?pageSize=200`)).json().items.map((i: { id: string }) => i.id)).not.toContain(theirs.id);
  });

  it('a grid worker sees letters but does not sign them (403)', async () => {
    const house = await rentalHouse();
    expect((await landlordLetter(wg, house)).statusCode).toBe(403);
    expect((await wg.get(`${P}/letters`)).statusCode).toBe(200);
    expect((await wg.get(`${P}/letters/missing`)).statusCode).toBe(200);
  });

  it('rental houses without a valid letter are listed as missing; signing removes one, ending the letter brings it back', async () => {
    const missing = async () => (await zhan.get(`${P}/letters/missing?gridId=${shGrid1}`)).json().total as number;
    const base = await missing();
    const house = await rentalHouse();
    expect(await missing()).toBe(base + 1);
    const letter = (await landlordLetter(zhan, house)).json();
    expect(await missing()).toBe(base);
    const end = await zhan.post(`${P}/letters/${letter.id}/end`, { endedOn: today(), reason: '房东出售房屋' });
    expect(end.statusCode, end.body).toBe(200);
    expect(end.json()).toMatchObject({ state: 'ended', endedOn: today(), termTo: letter.termTo });
    expect(await missing()).toBe(base + 1);
    const again = await zhan.post(`${P}/letters/${letter.id}/end`, { endedOn: today(), reason: '重复' });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('LETTER_ENDED');
    expect((await auditFor(letter.id)).map((a) => a.action)).toEqual(['letter.create', 'letter.end']);
  });

  it('a letter whose term has passed is expired and the house is missing one; a future term is not yet valid', async () => {
    const house = await rentalHouse();
    const old = await landlordLetter(zhan, house, { signedOn: shift(-400), termFrom: shift(-400), termTo: shift(-35) });
    expect(old.json().state).toBe('expired');
    const list = (await zhan.get(`${P}/letters/missing?gridId=${shGrid1}&pageSize=200`)).json();
    const row = list.items.find((i: { houseId: string }) => i.houseId === house);
    if (row) expect(row.lastTermTo).toBe(shift(-35));
    expect((await zhan.get(`${P}/houses/${house}/letters`)).json()).toMatchObject({ hasValidLetter: false, missing: true });
    expect((await zhan.get(`${P}/letters?expired=true&pageSize=200`)).json().items.map((i: { id: string }) => i.id)).toContain(old.json().id);
    const next = await landlordLetter(zhan, house, { signedOn: today(), termFrom: shift(5), termTo: shift(370) });
    expect(next.json().state).toBe('upcoming');
    expect((await zhan.get(`${P}/houses/${house}/letters`)).json().hasValidLetter).toBe(false);
  });

  it('expiring letters: the term ends within the policy’s letterRenewalNoticeDays; renewal starts the day after the old term', async () => {
    const house = await rentalHouse();
    const l = (await landlordLetter(zhan, house, { signedOn: shift(-300), termFrom: shift(-300), termTo: shift(20) })).json();
    expect(l.state).toBe('expiring');
    const expiring = (await zhan.get(`${P}/letters?expiring=true&gridId=${shGrid1}&pageSize=200`)).json();
    expect(expiring.renewalNoticeDays).toBe(30);
    expect(expiring.items.map((i: { id: string }) => i.id)).toContain(l.id);
    await setPolicy({ letterRenewalNoticeDays: 10 }, '责任书提前10天提醒');
    expect((await zhan.get(`${P}/letters?expiring=true&pageSize=200`)).json().items.map((i: { id: string }) => i.id)).not.toContain(l.id);
    await setPolicy({ letterRenewalNoticeDays: 30 }, '恢复30天');
    const renew = await zhan.post(`${P}/letters/${l.id}/renew`, { signedOn: today(), termTo: shift(385) });
    expect(renew.statusCode, renew.body).toBe(201);
    expect(renew.json()).toMatchObject({ renewsId: l.id, termFrom: shift(21), termTo: shift(385), partyName: '贺志强', state: 'upcoming' });
    const twice = await zhan.post(`${P}/letters/${l.id}/renew`, { signedOn: today(), termTo: shift(385) });
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice).code).toBe('ALREADY_RENEWED');
    expect((await auditFor(renew.json().id)).map((a) => a.action)).toEqual(['letter.renew']);
  });

  it('malformed letter bodies are 400 VALIDATION_FAILED and write nothing', async () => {
    const house = await rentalHouse();
    const before = await count('responsibility_letters');
    const bad: unknown[] = [
      { partyKind: 'tenant', houseId: house, signedOn: today(), termFrom: today(), termTo: shift(1) },
      { partyKind: 'landlord', houseId: house, signedOn: today(), termFrom: today() },
      { partyKind: 'landlord', houseId: house, signedOn: today(), termFrom: today(), termTo: '明年' },
      { partyKind: 'landlord', houseId: house, signedOn: today(), termFrom: today(), termTo: shift(1), extra: 1 },
      { partyKind: 'landlord', houseId: 'x', signedOn: today(), termFrom: today(), termTo: shift(1) },
      { partyKind: 'landlord', houseId: house, partyName: '', signedOn: today(), termFrom: today(), termTo: shift(1) },
    ];
    for (const body of bad) {
      const res = await zhan.post(`${P}/letters`, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    const l = (await landlordLetter(zhan, house)).json();
    expect((await zhan.post(`${P}/letters/${l.id}/end`, { endedOn: today() })).statusCode).toBe(400);
    expect((await zhan.post(`${P}/letters/${l.id}/renew`, { signedOn: today() })).statusCode).toBe(400);
    expect(await count('responsibility_letters')).toBe(before + 1);
  });
});
