import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import ExcelJS from '../excel/exceljs.js';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { runPendingJobs } from '../jobs/index.js';
import { configureFileStore } from '../files/index.js';
import { IMPORT_HEADERS } from '../../modules/population/import.js';
import { listAuditEvents } from './reader.js';

/**
 * Issue 7: what the audit admin reads. Each event names its actor (name and username) and the
 * record acted on in words — a person by masked name and masked ID number, never in full; a unit by
 * its name; a job by its kind and file — the ids in summaries come with their names, the events a
 * background job writes carry the address it was asked from, and the names cost a fixed number of
 * queries per page, however long the page.
 */
let t: TestApp;
let auditor: Client; let police: Client; let zhan: Client; let wg: Client; let liuguan: Client;
const P = '/api/v1/population';

interface Name { name: string; detail?: string | null; kind?: string | null; entity?: string }
interface Event {
  seq: string; action: string; entity: string; entityId: string | null; actorId: string | null; actorName: string | null; actorUsername: string | null;
  ip: string | null; summary: string; object: Name | null; names: Record<string, Name>;
}

beforeAll(async () => {
  t = await testApp();
  configureFileStore(t.config.dataDir);
  [auditor, police, zhan, wg, liuguan] = await Promise.all(['auditor', 'paichusuo', 'zhan-sh', 'wangge-sh-1', 'liuguan'].map((u) => t.login(u)));
});
afterAll(async () => { await t?.close(); });

const events = async (query: string): Promise<Event[]> => {
  const res = await auditor.get(`/api/v1/audit/events?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Event[];
};
const gridId = async (name: string) => (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;

describe('a reveal names the person masked, never in full', () => {
  it('object: masked name and masked ID number; actor: name and username; nothing of the full ID number or name anywhere in the answer', async () => {
    const listed = (await police.get(`${P}/persons?pageSize=1&status=active`)).json().items[0];
    const full = (await police.get(`${P}/persons/${listed.id}?reveal=true`)).json();
    expect(full.idNumber).toMatch(/^\d{17}[\dX]$/);
    const [reveal] = await events(`action=person.reveal&entityId=${listed.id}&pageSize=5`);
    expect(reveal).toBeDefined();
    const surname = [...full.name as string][0]!;
    expect(reveal!.object).toEqual({ entity: 'person', name: `${surname}${'*'.repeat([...full.name as string].length - 1)}`, detail: full.idNumberMasked });
    expect(reveal!.object!.detail).toMatch(/^\d{6}\*+\d{3}[\dX]$/);
    expect(reveal!.actorName).toBe('杨振华');
    expect(reveal!.actorUsername).toBe('paichusuo');
    const body = JSON.stringify(await events('pageSize=200'));
    expect(body).not.toContain(full.idNumber);
    expect(body).not.toContain(`"${full.name}"`);
    expect(body).not.toContain(full.name);
  });
});

describe('review decisions', () => {
  it('a return shows the decision, the reasons, the grid by name and the person masked', async () => {
    const grid = await gridId('蜀汉街社区第1网格');
    const p = await wg.post(`${P}/persons`, { name: '欧阳望舒', gridId: grid, arrivedOn: '2026-03-01', idNumber: nextResidentId() });
    expect(p.statusCode, p.body).toBe(201);
    const record = (await zhan.get(`${P}/records?personId=${p.json().id}`)).json().items[0];
    expect((await zhan.post(`${P}/records/${record.id}/enter`, {})).statusCode).toBe(200); // collected → entered (000:27)
    expect((await zhan.post(`${P}/records/${record.id}/review`, { decision: 'return', reasons: '缺少联系电话' })).statusCode).toBe(200);
    const [e] = await events(`action=record.return&entityId=${record.id}`);
    expect(JSON.parse(e!.summary)).toMatchObject({ decision: 'return', reasons: '缺少联系电话', gridId: grid });
    expect(e!.names[grid]).toEqual({ entity: 'org_unit', name: '蜀汉街社区第1网格', kind: 'grid' });
    expect(e!.object).toEqual({ entity: 'collection_record', name: '欧阳**', detail: p.json().idNumberMasked, kind: 'arrival' });
    expect(e!.actorUsername).toBe('zhan-sh');
  });
});

describe('units, users and sessions by name', () => {
  it('a login names the session by its owner; a post added names the unit; the actor has a username', async () => {
    const [login] = await events('action=auth.login&pageSize=1');
    expect(login!.object).toMatchObject({ entity: 'user', name: login!.actorName, detail: login!.actorUsername });
    const admin = await t.login('admin');
    const user = (await t.db.selectFrom('users').select('id').where('username', '=', 'keyuan1').executeTakeFirstOrThrow()).id;
    const dept = (await t.db.selectFrom('org_units').select(['id', 'name']).where('kind', '=', 'department').orderBy('code').executeTakeFirstOrThrow());
    const res = await admin.post(`/api/v1/admin/users/${user}/posts`, { orgUnitId: dept.id, post: 'staff', primary: false, validFrom: '2026-01-01' });
    expect(res.statusCode, res.body).toBe(201);
    const [e] = await events(`action=user.post_add&entityId=${user}`);
    expect(e!.object).toEqual({ entity: 'user', name: '何小雨', detail: 'keyuan1' });
    expect(e!.names[dept.id]).toMatchObject({ entity: 'org_unit', name: dept.name });
    expect(e!.actorUsername).toBe('admin');
  });
});

async function xlsx(rows: Record<string, string>[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  ws.addRow(IMPORT_HEADERS);
  for (const r of rows) ws.addRow(IMPORT_HEADERS.map((h) => r[h] ?? ''));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('background jobs', () => {
  it('a job is named by its kind and file; the events the job writes carry the address it was asked from and name the job', async () => {
    const boundary = '----jiedao-audit-boundary';
    const file = await xlsx([{ 证件号码: nextResidentId(), 姓名: '审计导入', 网格: '蜀汉街社区第3网格', 来本地日期: '2026-03-01' }]);
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="三月名单.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file, Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await liuguan.post(`${P}/imports`, payload, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(res.statusCode, res.body).toBe(202);
    const jobId = res.json().jobId as string;
    await runPendingJobs(t.db);
    const [start] = await events(`action=population.import.start&entityId=${jobId}`);
    expect(start!.object).toEqual({ entity: 'job', name: '三月名单.xlsx', kind: 'population.import' });
    expect(start!.ip).toBe('127.0.0.1');
    const imported = (await events('action=person.import&pageSize=20')).find((e) => JSON.parse(e.summary).jobId === jobId);
    expect(imported, 'the import names its job').toBeDefined();
    expect(imported!.ip).toBe('127.0.0.1');
    expect(imported!.names[jobId]).toEqual({ entity: 'job', name: '三月名单.xlsx', kind: 'population.import' });

    const exp = await liuguan.post(`${P}/exports`, { filters: {} });
    expect(exp.statusCode, exp.body).toBe(202);
    await runPendingJobs(t.db);
    const exported = (await events('action=person.export&pageSize=20')).find((e) => JSON.parse(e.summary).jobId === exp.json().jobId);
    expect(exported!.ip).toBe('127.0.0.1');
    const [expStart] = await events(`action=population.export.start&entityId=${exp.json().jobId}`);
    expect(expStart!.object).toMatchObject({ entity: 'job', kind: 'population.export', name: expect.stringMatching(/\.xlsx$/) });
  });
});

describe('names cost a fixed number of queries', () => {
  it('a page of 40 events about 40 different people takes as many queries as a page of 4', async () => {
    const ids = (await police.get(`${P}/persons?pageSize=40&status=active`)).json().items.map((p: { id: string }) => p.id) as string[];
    expect(ids.length).toBe(40);
    for (const id of ids) expect((await police.get(`${P}/persons/${id}`)).statusCode).toBe(200);
    const queriesFor = async (pageSize: number) => {
      let n = 0;
      const counter: KyselyPlugin = { transformQuery: (a) => { n++; return a.node; }, transformResult: async (a) => a.result };
      const page = await listAuditEvents(t.db.withPlugin(counter), { action: 'person.read', page: 1, pageSize });
      expect(page.items.length).toBe(pageSize);
      expect(page.items.every((e) => e.object?.entity === 'person' && e.object.name.includes('*'))).toBe(true);
      return n;
    };
    const small = await queriesFor(4);
    const large = await queriesFor(40);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(5);
  });
});
