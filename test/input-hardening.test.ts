import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { countRows, errorOf, testApp, type Client, type TestApp } from './helpers/app.js';
import { nextResidentId } from './helpers/idnumbers.js';
import { isoDate, isoDateTime, isoMonth } from '../src/platform/http/schemas.js';
import { officeToday } from '../src/platform/time.js';
import { pop } from '../src/modules/population/schema.js';
import { validateRow } from '../src/modules/population/import.js';

/**
 * Issue 7, items 1–3: input the schemas used to let through and the database then refused with a
 * 500 — control characters in text, dates outside any sane range, truncated uploads. Each is a
 * 400 VALIDATION_FAILED in the standard error shape, decided by one shared mechanism, and nothing
 * is written. Names are fictional.
 */
let t: TestApp;
let admin: Client; let wg: Client; let zhan: Client; let liuguan: Client; let police: Client;
let shGrid1: string; let house: string; let person: string;

const P = '/api/v1/population';
const shift = (n: number) => new Date(Date.parse(`${officeToday()}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const unitId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const popCount = async (table: 'persons' | 'houses' | 'responsibility_letters') =>
  Number((await pop(t.db).selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

function expect400(res: LightMyRequestResponse, label: string, path?: string) {
  expect(res.statusCode, `${label}: ${res.body}`).toBe(400);
  expect(res.headers['content-type'], label).toMatch(/^application\/json/);
  const err = errorOf(res);
  expect(err.code, label).toBe('VALIDATION_FAILED');
  expect(err.message, label).toMatch(/[\u4e00-\u9fff]/);
  if (path) expect(err.details.map((d) => d.path), label).toContain(path);
  return err;
}

beforeAll(async () => {
  t = await testApp();
  [admin, wg, zhan, liuguan, police] = await Promise.all(['admin', 'wangge-sh-1', 'zhan-sh', 'liuguan', 'paichusuo'].map((u) => t.login(u)));
  shGrid1 = await unitId('蜀汉街社区第1网格');
  const h = await wg.post(`${P}/houses`, { gridId: shGrid1, address: '武侯祠大街测试1号', ownerName: '柯雨桐', rental: true });
  expect(h.statusCode, h.body).toBe(201);
  house = h.json().id;
  const p = await wg.post(`${P}/persons`, { name: '岑晓岚', gridId: shGrid1, arrivedOn: shift(-30), idNumber: nextResidentId() });
  expect(p.statusCode, p.body).toBe(201);
  person = p.json().id;
});
afterAll(async () => { await t?.close(); });

describe('1. control characters in any text field → 400 VALIDATION_FAILED', () => {
  it('unauthenticated login with a NUL in the username or password is a 400 naming the field, not a 500', async () => {
    const nulUser = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'a\u0000b', password: 'x' } });
    const err = expect400(nulUser, 'login username', 'body.username');
    expect(err.details.find((d) => d.path === 'body.username')!.code).toBe('CONTROL_CHARACTER');
    // The raw JSON escape, exactly as a client would send it.
    const raw = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username":"a\\u0000b","password":"x"}' });
    expect400(raw, 'login raw JSON', 'body.username');
    expect400(await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'Jiedao@2026\u0000' } }), 'login password', 'body.password');
    expect400(await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'adm\u0007in', password: 'x' } }), 'token', 'body.username');
  });

  it('a table of endpoints: bodies, nested bodies, object keys, query strings and path parameters', async () => {
    const before = { persons: await popCount('persons'), houses: await popCount('houses'), overrides: await countRows(t.db, 'calendar_overrides'), users: await countRows(t.db, 'users') };
    const me = (await admin.get('/api/v1/auth/me')).json().user.id;
    const cases: [string, () => Promise<LightMyRequestResponse>, string][] = [
      ['person name', () => wg.post(`${P}/persons`, { name: '岑\u0000晓', gridId: shGrid1, arrivedOn: shift(-3), idNumber: nextResidentId() }), 'body.name'],
      ['person occupation (optional)', () => wg.post(`${P}/persons`, { name: '岑晓', gridId: shGrid1, arrivedOn: shift(-3), occupation: '厨\u001b师' }), 'body.occupation'],
      ['person phone (plain z.string)', () => wg.post(`${P}/persons`, { name: '岑晓', gridId: shGrid1, arrivedOn: shift(-3), phone: '138\u00000000' }), 'body.phone'],
      ['id number (plain z.string)', () => wg.post(`${P}/persons/dedup-check`, { name: '岑晓', idNumber: '51010719\u000090' }), 'body.idNumber'],
      ['house address', () => wg.post(`${P}/houses`, { gridId: shGrid1, address: '武侯祠大街\u00002号', ownerName: '柯雨桐', rental: true }), 'body.address'],
      ['correction reason', () => zhan.patch(`${P}/persons/${person}`, { reason: '更正\u0000', occupation: '教师' }), 'body.reason'],
      ['calendar note (DEL)', () => admin.post('/api/v1/calendar/overrides', { date: '2026-09-09', kind: 'holiday', note: '测试\u007f' }), 'body.note'],
      ['staff name', () => admin.post('/api/v1/admin/users', { username: 'ctl-user', name: '宋\u0000青' }), 'body.name'],
      ['C1 control character', () => admin.post('/api/v1/admin/users', { username: 'ctl-user', name: '宋\u0085青' }), 'body.name'],
      ['lone surrogate', () => admin.post('/api/v1/admin/users', { username: 'ctl-user', name: '宋\ud800青' }), 'body.name'],
      ['object key', () => admin.post('/api/v1/admin/users', { username: 'ctl-user', 'na\u0000me': '宋青' }), 'body.na\\u0000me'],
      ['string in an array in a record', () => admin.post('/api/v1/policy/packs/street/versions', { document: { population: { list: ['a', 'b\u0000'] } }, reason: '测试', decisionRef: '测试〔2026〕1号', effectiveFrom: shift(1) }), 'body.document.population.list.1'],
      ['query string', () => wg.get(`${P}/persons?name=${encodeURIComponent('岑\u0000')}`), 'query.name'],
      ['admin user search query', () => admin.get(`/api/v1/admin/users?q=${encodeURIComponent('宋\u0000')}`), 'query.q'],
      ['path parameter', () => wg.get(`${P}/persons/${encodeURIComponent('\u0000')}`), 'params.id'],
      ['a date field with a NUL', () => admin.post(`/api/v1/admin/users/${me}/posts`, { orgUnitId: shGrid1, post: 'staff', validFrom: shift(0), validTo: `${shift(10)}\u0000` }), 'body.validTo'],
    ];
    for (const [label, run, path] of cases) expect400(await run(), label, path);
    expect(await popCount('persons')).toBe(before.persons);
    expect(await popCount('houses')).toBe(before.houses);
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before.overrides);
    expect(await countRows(t.db, 'users')).toBe(before.users);
  });

  it('tab, newline and carriage return stay allowed inside text', async () => {
    const res = await admin.post('/api/v1/calendar/overrides', { date: '2026-09-10', kind: 'holiday', note: '第一行\r\n第二行\t备注' });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('an unauthenticated request to a protected route is still 401 first, whatever its body', async () => {
    const res = await t.app.inject({ method: 'POST', url: `${P}/houses`, payload: { address: '\u0000' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('2. one date schema with a sane range (1900-01-01 … 2100-12-31)', () => {
  it('isoDate, isoDateTime and isoMonth accept the range ends and refuse beyond them', () => {
    for (const ok of ['1900-01-01', '2100-12-31', '2024-02-29']) expect(isoDate.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0000-01-01', '1899-12-31', '2101-01-01', '9999-12-31', '2023-02-29', '2026-13-01', '+2026-01-01', '2026-1-1']) {
      expect(isoDate.safeParse(bad).success, bad).toBe(false);
    }
    for (const ok of ['1900-01-01T00:00:00Z', '2100-12-31T23:59:59+08:00', '2026-03-05T08:30:00.123+08:00']) expect(isoDateTime.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0000-01-01T00:00:00Z', '9999-12-31T00:00:00Z', '1899-12-31T23:59:59Z', '2026-02-30T00:00:00Z']) expect(isoDateTime.safeParse(bad).success, bad).toBe(false);
    for (const ok of ['1900-01', '2100-12']) expect(isoMonth.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0000-01', '1899-12', '2101-01', '9999-12', '2026-13']) expect(isoMonth.safeParse(bad).success, bad).toBe(false);
  });

  it('POST /admin/users/:id/posts with validFrom 0000-01-01 → 400, no post stored', async () => {
    const users = (await admin.get('/api/v1/admin/users?q=keyuan1')).json().items as { id: string }[];
    const before = await countRows(t.db, 'staff_posts');
    for (const validFrom of ['0000-01-01', '9999-12-31']) {
      expect400(await admin.post(`/api/v1/admin/users/${users[0]!.id}/posts`, { orgUnitId: shGrid1, post: 'staff', validFrom }), `validFrom ${validFrom}`, 'body.validFrom');
    }
    expect(await countRows(t.db, 'staff_posts')).toBe(before);
  });

  it('persons/dedup-check birthDate, letters signedOn/termTo, persons arrivedOn and collectedAt → 400, nothing stored', async () => {
    expect400(await wg.post(`${P}/persons/dedup-check`, { name: '岑晓岚', birthDate: '0000-01-01' }), 'dedup birthDate', 'body.birthDate');
    const letters = await popCount('responsibility_letters');
    expect400(await zhan.post(`${P}/letters`, { partyKind: 'landlord', houseId: house, signedOn: '0000-01-01', termFrom: shift(-3), termTo: shift(362) }), 'letter signedOn', 'body.signedOn');
    expect400(await zhan.post(`${P}/letters`, { partyKind: 'landlord', houseId: house, signedOn: shift(-3), termFrom: shift(-3), termTo: '9999-12-31' }), 'letter termTo', 'body.termTo');
    expect(await popCount('responsibility_letters')).toBe(letters);
    const persons = await popCount('persons');
    expect400(await wg.post(`${P}/persons`, { name: '岑晓', gridId: shGrid1, arrivedOn: '0000-01-01' }), 'arrivedOn', 'body.arrivedOn');
    expect400(await wg.post(`${P}/persons`, { name: '岑晓', gridId: shGrid1, arrivedOn: shift(-1), collectedAt: '0000-01-01T00:00:00Z' }), 'collectedAt', 'body.collectedAt');
    expect(await popCount('persons')).toBe(persons);
    expect400(await liuguan.get(`${P}/work-counters?month=0000-01`), 'month', 'query.month');
  });

  it('org/units/:id/survey with asOf 0000-01-01 → 400 and the survey is not stored', async () => {
    const before = (await t.db.selectFrom('org_units').select('survey').where('id', '=', shGrid1).executeTakeFirstOrThrow()).survey;
    const survey = { areaKm2: 0.5, streets: 2, residents: 3000, migrants: 800, houses: 900, rentals: 300, shops: 40, employers: 12 };
    for (const asOf of ['0000-01-01', '9999-12-31', '1899-12-31']) {
      expect400(await admin.post(`/api/v1/org/units/${shGrid1}/survey`, { ...survey, asOf }), `asOf ${asOf}`, 'body.asOf');
    }
    const after = (await t.db.selectFrom('org_units').select('survey').where('id', '=', shGrid1).executeTakeFirstOrThrow()).survey;
    expect(after).toEqual(before);
    // The range ends themselves are real dates the database stores.
    expect((await admin.post(`/api/v1/org/units/${shGrid1}/survey`, { ...survey, asOf: '1900-01-01' })).statusCode).toBe(200);
  });
});

describe('2b. imported rows use the same date rule', () => {
  const ctx = { grids: new Map([['蜀汉街社区第1网格', 'g1']]), scope: { all: true, unitIds: new Set<string>(), selfUserId: null }, today: '2026-06-01' };
  const row = (over: Record<string, string>) => ({ 证件类型: '护照', 证件号码: 'E12345678', 姓名: '岑晓岚', 网格: '蜀汉街社区第1网格', 来本地日期: '2026-01-05', ...over });
  const columns = (r: ReturnType<typeof validateRow>) => (Array.isArray(r) ? r.map((e) => e.column) : []);

  it('birth dates and arrival dates outside 1900-01-01 … today, or not real, are row errors (not a failed job)', () => {
    expect(columns(validateRow(2, row({ 出生日期: '1990-05-06' }), ctx))).toEqual([]);
    for (const bad of ['0000-01-01', '1899-12-31', '2023-02-30']) expect(columns(validateRow(2, row({ 出生日期: bad }), ctx)), bad).toEqual(['出生日期']);
    for (const bad of ['0000-01-01', '1899-12-31', '2023-02-30']) expect(columns(validateRow(2, row({ 来本地日期: bad }), ctx)), bad).toEqual(['来本地日期']);
  });
});

describe('3. a truncated multipart body → 400, not 500', () => {
  const boundary = '----jiedao-truncated';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="list.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  // The start of a zip (xlsx) and then nothing: no closing boundary, the connection ended mid-file.
  const truncated = Buffer.concat([head, Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(2048, 7)]);
  const headers = (c: Client) => ({ 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-csrf-token': c.csrf });

  it('imports, comparisons and incident photos answer 400 VALIDATION_FAILED; no file or job is stored', async () => {
    const files = Number((await t.db.selectFrom('files').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const jobs = Number((await t.db.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const cases: [string, Client, string][] = [
      ['imports', liuguan, `${P}/imports`],
      ['comparisons', police, `${P}/comparisons`],
      ['incident photos', wg, `${P}/incidents/photos`],
    ];
    for (const [label, c, url] of cases) {
      for (const payload of [truncated, head, Buffer.from(`--${boundary}\r\nContent-Disposition: form-da`)]) {
        const res = await c.post(url, payload, headers(c));
        const err = expect400(res, `${label} (${payload.length} bytes)`);
        expect(err.details[0]?.path, label).toBe('file');
      }
    }
    expect(Number((await t.db.selectFrom('files').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(files);
    expect(Number((await t.db.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(jobs);
  });

  it('routes read uploads only through the platform (receiveUpload), never with req.file() or req.parts() of their own', () => {
    const root = path.resolve(import.meta.dirname, '../src');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) && p !== path.join(root, 'platform/files/upload.ts')) {
          const code = fs.readFileSync(p, 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\/?\*)/.test(l)).join('\n');
          if (/\breq(uest)?\.(file|files|parts|saveRequestFiles)\(/.test(code)) offenders.push(path.relative(root, p));
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
