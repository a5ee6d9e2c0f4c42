import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import ExcelJS from '../../platform/excel/exceljs.js';
import { errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId, residentId } from '../../../test/helpers/idnumbers.js';
import { runOneJob, runPendingJobs } from '../../platform/jobs/index.js';
import { configureFileStore } from '../../platform/files/index.js';
import { officeToday } from '../../platform/time.js';
import { IMPORT_HEADERS } from './import.js';
import { pop } from './schema.js';

/**
 * Spreadsheets (imports, exports, comparisons) as the users drive them: upload → job → download.
 * Every bad row is reported with row, column and reason; good rows are kept; the same file twice
 * adds nothing; an interrupted import resumes without duplicates.
 */
let t: TestApp;
let liuguan: Client; let police: Client; let wg: Client; let zhan: Client;

beforeAll(async () => {
  t = await testApp();
  configureFileStore(t.config.dataDir);
  [liuguan, police, wg, zhan] = await Promise.all(['liuguan', 'paichusuo', 'wangge-sh-1', 'zhan-sh'].map((u) => t.login(u)));
});
afterAll(async () => { await t?.close(); });

async function xlsx(headers: string[], rows: (string | number)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function multipart(buffer: Buffer, filename: string) {
  const boundary = '----jiedao-test-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, buffer, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function upload(c: Client, url: string, buffer: Buffer, filename = 'persons.xlsx') {
  const { payload, headers } = multipart(buffer, filename);
  const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: c.username, password: 'Jiedao@2026' } });
  return t.app.inject({ method: 'POST', url, payload, headers: { ...headers, authorization: `Bearer ${login.json().token}` } });
}

async function download(c: Client, url: string): Promise<ExcelJS.Worksheet> {
  const res = await c.get(url);
  expect(res.statusCode, url).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  return wb.worksheets[0]!;
}
const sheetRows = (ws: ExcelJS.Worksheet) => {
  const out: string[][] = [];
  ws.eachRow((row) => out.push((row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))));
  return out;
};

const row = (o: Partial<Record<string, string>>) => IMPORT_HEADERS.map((h) => o[h] ?? '');
const good = (n: number, grid = '蜀汉街社区第3网格') => ({ 证件号码: nextResidentId(), 姓名: `导入${n}号`, 网格: grid, 来本地日期: '2026-03-01', 民族: '汉族', 文化程度: '大学本科毕业', 户籍地: '510107' });
/** The police liaison compares a registered, a departed, an unknown, a short and a mistyped number. */
async function compareAsPolice(): Promise<{ job: { id: string; status: string; resultUrl?: string } & Record<string, unknown>; sent: string[] }> {
  const gridId = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
  const [active, gone, unknown] = [nextResidentId(), nextResidentId(), nextResidentId()];
  expect((await wg.post('/api/v1/population/persons', { idNumber: active, name: '比对在住', gridId, arrivedOn: '2026-02-01' })).statusCode).toBe(201);
  const left = (await wg.post('/api/v1/population/persons', { idNumber: gone, name: '比对离开', gridId, arrivedOn: '2026-02-01' })).json();
  await wg.post(`/api/v1/population/persons/${left.id}/depart`, { leftOn: '2026-03-01' });
  const mistyped = `${unknown.slice(0, 17)}${unknown.endsWith('0') ? '1' : '0'}`;
  const sent = [active, gone, unknown, '123', mistyped];
  const res = await upload(police, '/api/v1/population/comparisons', await xlsx(['证件号码', '备注'], sent.map((n) => [n, '派出所名单'])));
  expect(res.statusCode, res.body).toBe(202);
  await runPendingJobs(t.db);
  return { job: (await police.get(`/api/v1/jobs/${res.json().jobId}`)).json(), sent };
}
const persons = async () => Number((await pop(t.db).selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

describe('import', () => {
  it('good rows are imported; every bad row is reported with row, column and reason in a downloadable error file', async () => {
    const rows = [
      good(1), good(2),
      { ...good(3), 证件号码: residentId('510107', '19900101', 123).slice(0, 17) + 'Z' },
      { ...good(4), 来本地日期: '2099-01-01' },
      { ...good(5), 网格: '不存在的网格' },
      { ...good(6), 民族: '火星族' },
      { ...good(7), 姓名: '' },
      { ...good(8), 职业: 'x'.repeat(40_000) },
    ];
    const before = await persons();
    const grid3 = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第3网格').executeTakeFirstOrThrow()).id;
    const liuguanId = (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id;
    const migrants = async () => (await pop(t.db).selectFrom('population_counters').select('migrants').where('grid_id', '=', grid3).executeTakeFirst())?.migrants ?? 0;
    const entered = async () => Number((await pop(t.db).selectFrom('work_counters').select((eb) => eb.fn.sum<string>('entered').as('n')).where('user_id', '=', liuguanId).executeTakeFirst())?.n ?? 0);
    const [migrantsBefore, enteredBefore] = [await migrants(), await entered()];
    const res = await upload(liuguan, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, rows.map(row)));
    expect(res.statusCode, res.body).toBe(202);
    await runPendingJobs(t.db);
    const job = (await liuguan.get(`/api/v1/jobs/${res.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 8, succeeded: 2, failed: 6, result: { rows: 8, skipped: 0, errors: 6 } });
    expect(await persons()).toBe(before + 2);
    // The live counters move in the same transaction as the rows: the grid's migrants, the importer's entered (录入) records.
    expect(await migrants()).toBe(migrantsBefore + 2);
    expect(await entered()).toBe(enteredBefore + 2);
    const errors = sheetRows(await download(liuguan, job.errorFileUrl));
    expect(errors[0]!.slice(0, 3)).toEqual(['行号', '列', '原因']);
    const byRow = new Map(errors.slice(1).map((e) => [e[0], e]));
    expect(byRow.get('4')![1]).toBe('证件号码');
    expect(byRow.get('5')![1]).toBe('来本地日期');
    expect(byRow.get('6')![1]).toBe('网格');
    expect(byRow.get('7')![1]).toBe('民族');
    expect(byRow.get('8')![1]).toBe('姓名');
    expect(byRow.get('9')![1]).toBe('职业');
    // Another job's creator cannot see it.
    expect((await police.get(`/api/v1/jobs/${res.json().jobId}`)).statusCode).toBe(404);
  });

  it('the same file imported twice adds nothing the second time', async () => {
    const file = await xlsx(IMPORT_HEADERS, [good(11), good(12), good(13)].map(row));
    await upload(liuguan, '/api/v1/population/imports', file);
    await runPendingJobs(t.db);
    const before = await persons();
    const again = await upload(liuguan, '/api/v1/population/imports', file);
    await runPendingJobs(t.db);
    expect(await persons()).toBe(before);
    // Already there is not a failure: 3 processed, none succeeded, none failed, 3 skipped (已存在，跳过).
    const job = (await liuguan.get(`/api/v1/jobs/${again.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 3, succeeded: 0, failed: 0, result: { rows: 3, skipped: 3 } });
    const reasons = sheetRows(await download(liuguan, job.errorFileUrl)).slice(1).map((e) => e[2]);
    expect(reasons).toEqual(Array(3).fill('已存在（此证件号码已登记），已跳过'));
  });

  it('wrong headers fail the job naming the columns; a non-xlsx file renamed .xlsx is refused at upload; nothing is written', async () => {
    const before = await persons();
    const wrong = await upload(liuguan, '/api/v1/population/imports', await xlsx(['姓名', '身份证', '备注'], [['张三', '1', '']]));
    await runPendingJobs(t.db);
    const job = (await liuguan.get(`/api/v1/jobs/${wrong.json().jobId}`)).json();
    expect(job.status).toBe('failed');
    expect(job.error).toContain('证件号码');
    const renamed = await upload(liuguan, '/api/v1/population/imports', Buffer.from('姓名,证件号码\n张三,1\n'), 'persons.xlsx');
    expect(renamed.statusCode).toBe(422);
    expect(errorOf(renamed).code).toBe('FILE_TYPE_NOT_ALLOWED');
    expect(await persons()).toBe(before);
  });

  it('rows naming a grid outside the importer\'s scope are refused row by row', async () => {
    const res = await upload(zhan, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, [good(21, '蜀汉街社区第2网格'), good(22, '洗面桥社区第1网格')].map(row)));
    await runPendingJobs(t.db);
    expect((await zhan.get(`/api/v1/jobs/${res.json().jobId}`)).json()).toMatchObject({ succeeded: 1, failed: 1 });
    expect((await upload(wg, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, []))).statusCode).toBe(403);
  });

  it('an import interrupted after a committed chunk resumes from its cursor: every row once, never a duplicate', async () => {
    const rows = Array.from({ length: 3500 }, (_, i) => good(1000 + i, '蜀汉街社区第4网格'));
    const before = await persons();
    const res = await upload(liuguan, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, rows.map(row)));
    const jobId = res.json().jobId as string;
    // The first run loses its claim after its first committed chunk (as when its process dies and
    // another takes the job over): its next chunk rolls back with the progress written in it.
    const first = runOneJob(t.db);
    for (;;) {
      const j = await t.db.selectFrom('jobs').select(['processed']).where('id', '=', jobId).executeTakeFirstOrThrow();
      if (j.processed >= 1000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await t.db.updateTable('jobs').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', jobId).execute();
    await first;
    const mid = await t.db.selectFrom('jobs').select(['status', 'processed']).where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(mid.status).toBe('running');
    expect(mid.processed).toBeLessThan(3500);
    expect(await persons()).toBe(before + mid.processed);
    // A later runner finds the stale job and resumes it.
    await runPendingJobs(t.db, { staleAfterMs: 0 });
    const done = (await liuguan.get(`/api/v1/jobs/${jobId}`)).json();
    expect(done).toMatchObject({ status: 'done', processed: 3500, succeeded: 3500, failed: 0 });
    expect(await persons()).toBe(before + 3500);
  });

  it('a document repeated far apart in one file (in different chunks) is imported once, the repeat reported', async () => {
    const rows = Array.from({ length: 2600 }, (_, i) => good(20_000 + i, '蜀汉街社区第4网格'));
    rows[2400] = { ...rows[2400]!, 证件号码: rows[10]!.证件号码 };
    const before = await persons();
    const res = await upload(liuguan, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, rows.map(row)));
    await runPendingJobs(t.db);
    const job = (await liuguan.get(`/api/v1/jobs/${res.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 2600, succeeded: 2599, failed: 0, result: { skipped: 1 } });
    expect(await persons()).toBe(before + 2599);
    const errors = sheetRows(await download(liuguan, job.errorFileUrl));
    expect(errors.slice(1).map((e) => [e[0], e[1], e[2]])).toEqual([['2402', '证件号码', '与本文件中前面的行重复，已跳过']]);
  });

  it('the template has the import headers and dropdowns for dictionary fields', async () => {
    const ws = await download(liuguan, '/api/v1/population/imports/template');
    expect(sheetRows(ws)[0]).toEqual(IMPORT_HEADERS);
    const ethnicityCol = IMPORT_HEADERS.indexOf('民族') + 1;
    const validation = ws.getCell(2, ethnicityCol).dataValidation;
    expect(validation?.type).toBe('list');
  });

  it('the template marks the required columns (red, 必填 in the note and in 填写说明) and offers 户籍地 by province and city', async () => {
    const res = await liuguan.get('/api/v1/population/imports/template');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('流动人口')!;
    const col = (h: string) => (IMPORT_HEADERS as readonly string[]).indexOf(h) + 1;
    const fill = (h: string) => (ws.getCell(1, col(h)).fill as { fgColor?: { argb?: string } } | undefined)?.fgColor?.argb;
    const note = (h: string) => JSON.stringify(ws.getCell(1, col(h)).note ?? '');
    for (const h of ['证件号码', '姓名', '网格', '来本地日期']) {
      expect(fill(h), h).toBe('FFC00000');
      expect(note(h), h).toContain('必填');
    }
    for (const h of ['职业', '房屋地址']) expect(fill(h), h).not.toBe('FFC00000');
    expect(note('房屋地址')).toContain('栋');
    const origin = ws.getCell(2, col('户籍地')).dataValidation;
    expect(origin?.type).toBe('list');
    const list = wb.getWorksheet('字典')!;
    expect(list.state).toBe('hidden');
    const values: string[] = [];
    list.eachRow((r) => r.eachCell((c) => { values.push(String(c.value)); }));
    expect(values).toEqual(expect.arrayContaining(['四川省广安市', '四川省成都市', '北京市']));
    const help = sheetRows(wb.getWorksheet('填写说明')!);
    expect(help.find((r) => r[0] === '来本地日期')?.[1]).toBe('必填');
    expect(help.find((r) => r[0] === '职业')?.[1]).toBe('选填');
  });

  it('a full house address (spaces allowed) places the person in that house; an unknown one is a row error; 户籍地 by province and city name', async () => {
    const grid5 = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第5网格').executeTakeFirstOrThrow()).id;
    const street = `蜀汉街${500 + Math.floor(Math.random() * 400)}号`;
    const house = await liuguan.post('/api/v1/population/houses', { gridId: grid5, address: street, building: '12', unitNo: '3', room: '504', ownerName: '贺志远', rental: true });
    expect(house.statusCode, house.body).toBe(201);
    const rows = [
      { ...good(31, '蜀汉街社区第5网格'), 房屋地址: `${street} 12栋 3单元 504室`, 户籍地: '四川省广安市' },
      { ...good(32, '蜀汉街社区第5网格'), 房屋地址: `${street}12栋3单元504`, 户籍地: '四川省广安市岳池县' },
      { ...good(33, '蜀汉街社区第5网格'), 房屋地址: `${street}12栋3单元999室` },
      { ...good(34, '蜀汉街社区第5网格'), 户籍地: '火星' },
    ];
    const res = await upload(liuguan, '/api/v1/population/imports', await xlsx(IMPORT_HEADERS, rows.map(row)));
    await runPendingJobs(t.db);
    const job = (await liuguan.get(`/api/v1/jobs/${res.json().jobId}`)).json();
    expect(job).toMatchObject({ status: 'done', processed: 4, succeeded: 2, failed: 2 });
    const byRow = new Map(sheetRows(await download(liuguan, job.errorFileUrl)).slice(1).map((e) => [e[0], e]));
    expect(byRow.get('4')!.slice(1, 2)).toEqual(['房屋地址']);
    expect(byRow.get('5')![1]).toBe('户籍地');
    const imported = await pop(t.db).selectFrom('persons').select(['name', 'house_id', 'origin']).where('name', 'in', ['导入31号', '导入32号']).orderBy('name').execute();
    expect(imported).toEqual([
      { name: '导入31号', house_id: house.json().id, origin: '511600' },
      { name: '导入32号', house_id: house.json().id, origin: '511600' },
    ]);
  });
});

describe('export and comparison', () => {
  it('an export for the police is masked unless reveal is asked by someone allowed; it is audited', async () => {
    const idNumber = nextResidentId();
    await wg.post('/api/v1/population/persons', { idNumber, name: '导出测试', gridId: (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id, arrivedOn: officeToday() });
    const masked = await police.post('/api/v1/population/exports', { filters: { status: 'active' } });
    expect(masked.statusCode, masked.body).toBe(202);
    await runPendingJobs(t.db);
    const job = (await police.get(`/api/v1/jobs/${masked.json().jobId}`)).json();
    expect(job.status).toBe('done');
    const rows = sheetRows(await download(police, job.resultUrl));
    expect(rows[0]).toContain('证件号码');
    expect(JSON.stringify(rows)).not.toContain(idNumber);
    expect(JSON.stringify(rows)).toContain(`${idNumber.slice(0, 6)}********${idNumber.slice(-4)}`);
    const revealed = await police.post('/api/v1/population/exports', { filters: { status: 'active', reveal: true } });
    await runPendingJobs(t.db);
    const rj = (await police.get(`/api/v1/jobs/${revealed.json().jobId}`)).json();
    expect(JSON.stringify(sheetRows(await download(police, rj.resultUrl)))).toContain(idNumber);
    expect((await zhan.post('/api/v1/population/exports', { filters: { reveal: true } })).statusCode).toBe(403);
    expect((await wg.post('/api/v1/population/exports', { filters: {} })).statusCode).toBe(403);
    // Someone else cannot download the police's file.
    expect((await liuguan.get(job.resultUrl)).statusCode).toBe(404);
  });

  it('an export has the import template\'s columns, decoded (文化程度, 职业, 来本地事由, the full address), and imports back', async () => {
    const gridName = '蜀汉街社区第6网格';
    const gridId = (await t.db.selectFrom('org_units').select('id').where('name', '=', gridName).executeTakeFirstOrThrow()).id;
    const street = `蜀汉街${100 + Math.floor(Math.random() * 400)}号`;
    const house = (await liuguan.post('/api/v1/population/houses', { gridId, address: street, building: '7', unitNo: '2', room: '301', ownerName: '贺文', rental: true })).json();
    const idNumber = nextResidentId();
    const created = await liuguan.post('/api/v1/population/persons', {
      idNumber, name: '东方既白', gridId, houseId: house.id, arrivedOn: '2026-02-01', reason: '务工', ethnicity: '03', origin: '511600', education: '21', occupation: '厨师', phone: '13912345678',
    });
    expect(created.statusCode, created.body).toBe(201);
    const res = await liuguan.post('/api/v1/population/exports', { filters: { gridId, reveal: true } });
    await runPendingJobs(t.db);
    const job = (await liuguan.get(`/api/v1/jobs/${res.json().jobId}`)).json();
    const sheet = sheetRows(await download(liuguan, job.resultUrl));
    expect(sheet[0]).toEqual([...IMPORT_HEADERS, '社区', '离开日期', '状态', '审核状态']);
    const mine = Object.fromEntries(sheet[0]!.map((h, i) => [h, sheet.find((r) => r.includes(idNumber))![i]]));
    expect(mine).toMatchObject({
      证件类型: '居民身份证', 证件号码: idNumber, 姓名: '东方既白', 民族: '回族', 户籍地: '四川省广安市', 文化程度: '大学本科毕业', 职业: '厨师',
      联系电话: '13912345678', 网格: gridName, 房屋地址: `${street}7栋2单元301室`, 来本地日期: '2026-02-01', 来本地事由: '务工', 社区: '蜀汉街社区', 状态: '在住',
    });
    // The file as exported imports back: the rows already registered are skipped (已存在), none fails; a
    // person no longer in the registry comes back with the same fields and house.
    const personId = created.json().id as string;
    for (const table of ['person_events', 'collection_records', 'residences'] as const) await pop(t.db).deleteFrom(table).where('person_id', '=', personId).execute();
    await pop(t.db).deleteFrom('persons').where('id', '=', personId).execute();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await liuguan.get(job.resultUrl)).rawPayload as unknown as ArrayBuffer);
    const again = await upload(liuguan, '/api/v1/population/imports', Buffer.from(await wb.xlsx.writeBuffer()));
    await runPendingJobs(t.db);
    const imported = (await liuguan.get(`/api/v1/jobs/${again.json().jobId}`)).json();
    expect(imported).toMatchObject({ status: 'done', processed: sheet.length - 1, succeeded: 1, failed: 0 });
    const back = await pop(t.db).selectFrom('persons').selectAll().where('name', '=', '东方既白').executeTakeFirstOrThrow();
    expect(back).toMatchObject({ grid_id: gridId, house_id: house.id, ethnicity: '03', origin: '511600', education: '21', occupation: '厨师', arrival_reason: '务工', arrived_on: '2026-02-01' });
  });

  it('a comparison of uploaded ID numbers says who is registered, who has left, who is not in the registry', async () => {
    const { job, sent } = await compareAsPolice();
    expect(job).toMatchObject({ status: 'done', processed: 5, result: { rows: 5, registered: 1, left: 1, unknown: 1, invalid: 2 } });
    const rows = sheetRows(await download(police, `/api/v1/population/comparisons/${job.id}/result`));
    expect(rows[0]).toEqual(['行号', '上传的证件号码', '比对结果', '库中证件号码（脱敏）', '所在网格', '离开日期']);
    expect(rows.slice(1).map((r) => r[2])).toEqual(['在住登记', '已离开', '库中无此人', '号码无效', '号码无效']);
    expect(rows[1]![4]).toBe('蜀汉街社区第1网格');
    expect(rows.slice(1).map((r) => r[1])).toEqual(sent);
    expect((await upload(liuguan, '/api/v1/population/comparisons', await xlsx(['证件号码'], [[sent[0]!]]))).statusCode).toBe(403);
  });

  it('the uploader gets their own numbers back, exactly as sent, row by row on the page and in the Excel; the registry side stays masked', async () => {
    const { job, sent } = await compareAsPolice();
    const page = await police.get(`/api/v1/population/comparisons/${job.id}/rows?pageSize=100`);
    expect(page.statusCode, page.body).toBe(200);
    const items = page.json().items as { rowNumber: number; uploaded: string; result: string; registryMasked: string | null }[];
    expect(items.map((i) => i.uploaded)).toEqual(sent);
    expect(items.map((i) => [i.rowNumber, i.result])).toEqual([[2, 'registered'], [3, 'left'], [4, 'unknown'], [5, 'invalid'], [6, 'invalid']]);
    // The registry's matched person: masked, never the full number from the registry's side.
    expect(items[0]!.registryMasked).toMatch(/\*/);
    expect(items[0]!.registryMasked).not.toBe(sent[0]);
    expect(items[2]!.registryMasked).toBeNull();
    // Only the rows the registry does not know: the uploader matches them back to their list.
    const unknown = (await police.get(`/api/v1/population/comparisons/${job.id}/rows?result=unknown`)).json();
    expect(unknown).toMatchObject({ total: 1, items: [{ rowNumber: 4, uploaded: sent[2], result: 'unknown' }] });
    // Not offered as a generic job download (which would bypass the comparison's own audit).
    expect(job.resultUrl).toBeUndefined();
  });

  it('nobody but the uploader, or someone holding person:compare over the same scope, sees the uploaded numbers', async () => {
    const { job } = await compareAsPolice();
    const rows = `/api/v1/population/comparisons/${job.id}/rows`;
    const file = `/api/v1/population/comparisons/${job.id}/result`;
    // Without the permission: 403; the job's generic view does not carry them either.
    for (const c of [liuguan, zhan]) {
      expect((await c.get(rows)).statusCode).toBe(403);
      expect((await c.get(file)).statusCode).toBe(403);
    }
    const sec = await t.login('secadmin');
    const userId = async (u: string) => (await t.db.selectFrom('users').select('id').where('username', '=', u).executeTakeFirstOrThrow()).id;
    const community = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区').executeTakeFirstOrThrow()).id;
    // person:compare over a narrower scope than the uploader's: 404, as if there were no such comparison.
    expect((await sec.post(`/api/v1/admin/users/${await userId('keyuan1')}/grants`, { role: 'police_liaison', dataScope: 'custom', customUnitIds: [community] })).statusCode).toBe(201);
    const narrow = await t.login('keyuan1');
    expect((await narrow.get(rows)).statusCode).toBe(404);
    expect((await narrow.get(file)).statusCode).toBe(404);
    // person:compare over the same scope (the whole street): sees them.
    expect((await sec.post(`/api/v1/admin/users/${await userId('jigongwei')}/grants`, { role: 'police_liaison', dataScope: 'all' })).statusCode).toBe(201);
    const colleague = await t.login('jigongwei');
    expect((await colleague.get(rows)).statusCode).toBe(200);
    // A job that is not a comparison is no comparison.
    const exp = await police.post('/api/v1/population/exports', { filters: { status: 'active' } });
    await runPendingJobs(t.db);
    expect((await police.get(`/api/v1/population/comparisons/${exp.json().jobId}/rows`)).statusCode).toBe(404);
  });

  it('a comparison made before the uploaded numbers were kept answers 410 COMPARISON_OUTDATED, not a broken file', async () => {
    const { job } = await compareAsPolice();
    await t.db.updateTable('jobs').set({ result: JSON.stringify({ registered: 1, left: 1, unknown: 1, invalid: 2 }) }).where('id', '=', job.id).execute();
    for (const url of [`/api/v1/population/comparisons/${job.id}/rows`, `/api/v1/population/comparisons/${job.id}/result`]) {
      const res = await police.get(url);
      expect(res.statusCode, url).toBe(410);
      expect(errorOf(res).code).toBe('COMPARISON_OUTDATED');
    }
  });

  it('each view and download of the uploaded numbers is audited by name; no audit entry, job row or log line carries a number', async () => {
    const lines: string[] = [];
    const log = t.app.log as unknown as Record<symbol, unknown> & { level: string };
    const [stream, level] = [log[pino.symbols.streamSym], log.level];
    log[pino.symbols.streamSym] = { write: (line: string) => { lines.push(line); } };
    log.level = 'trace';
    let job: { id: string }; let sent: string[];
    try {
      ({ job, sent } = await compareAsPolice());
      expect((await police.get(`/api/v1/population/comparisons/${job.id}/rows`)).statusCode).toBe(200);
      expect((await police.get(`/api/v1/population/comparisons/${job.id}/rows?page=2&pageSize=2`)).statusCode).toBe(200);
      expect((await police.get(`/api/v1/population/comparisons/${job.id}/result`)).statusCode).toBe(200);
    } finally {
      log[pino.symbols.streamSym] = stream;
      log.level = level;
    }
    expect(lines.length).toBeGreaterThan(0); // the capture works
    const events = await t.db.selectFrom('audit_events').selectAll().where('entity_id', '=', job.id).where('action', 'in', ['population.compare.view', 'population.compare.download']).orderBy('seq').execute();
    expect(events.map((e) => e.action)).toEqual(['population.compare.view', 'population.compare.view', 'population.compare.download']);
    const police1 = await t.db.selectFrom('users').select('id').where('username', '=', 'paichusuo').executeTakeFirstOrThrow();
    expect(events.every((e) => e.actor_id === police1.id)).toBe(true);
    expect(events.map((e) => (typeof e.summary === 'string' ? JSON.parse(e.summary) : e.summary))).toEqual([{ page: 1, rows: 5 }, { page: 2, rows: 2 }, { rows: 5 }]);
    const everything = JSON.stringify([
      lines, await t.db.selectFrom('audit_events').select(['summary', 'entity_id']).execute(),
      await t.db.selectFrom('jobs').select(['params', 'result', 'cursor', 'error']).where('id', '=', job.id).execute(),
    ]);
    for (const n of sent.filter((x) => x.length === 18)) expect(everything).not.toContain(n);
  });
});

describe('incident photos', () => {
  it('photos are checked by content (images and PDF only) and served only to those who may read the incident', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const photo = await upload(wg, '/api/v1/population/incidents/photos', png, 'scene.pdf');
    expect(photo.statusCode, photo.body).toBe(201);
    const text = await upload(wg, '/api/v1/population/incidents/photos', Buffer.from('not an image'), 'scene.jpg');
    expect(errorOf(text).code).toBe('FILE_TYPE_NOT_ALLOWED');
    const gridId = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    const inc = await wg.post('/api/v1/population/incidents', { gridId, category: 'object', title: '井盖缺失', description: '路口井盖缺失', photoFileIds: [photo.json().fileId] });
    expect(inc.statusCode, inc.body).toBe(201);
    expect((await zhan.get(photo.json().url)).statusCode).toBe(200);
    const other = await t.login('wangge-xmq-1');
    expect((await other.get(photo.json().url)).statusCode).toBe(404);
  });

  it('an incident may only carry photos its reporter uploaded and nobody attached yet (422 UNKNOWN_FILE, nothing written)', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const gridId = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    const incidents = async () => Number((await pop(t.db).selectFrom('grid_incidents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const report = (fileIds: string[]) => wg.post('/api/v1/population/incidents', { gridId, category: 'object', title: '路灯损坏', description: '路灯不亮', photoFileIds: fileIds });
    const mine = (await upload(wg, '/api/v1/population/incidents/photos', png, 'a.png')).json().fileId as string;
    const theirs = (await upload(zhan, '/api/v1/population/incidents/photos', png, 'b.png')).json().fileId as string;
    const before = await incidents();
    for (const ids of [[mine, theirs], ['018f0000-0000-7000-8000-000000000000']]) {
      const res = await report(ids);
      expect(res.statusCode, res.body).toBe(422);
      expect(errorOf(res).code).toBe('UNKNOWN_FILE');
    }
    expect(await incidents()).toBe(before);
    expect((await report([mine])).statusCode).toBe(201);
    expect(errorOf(await report([mine])).code).toBe('UNKNOWN_FILE'); // already attached to the first report
    expect(await incidents()).toBe(before + 1);
  });
});
