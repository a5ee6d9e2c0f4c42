import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from './exceljs.js';
import { ExcelFormatError, ExcelHeaderError, readXlsxRows, skipFirst, streamXlsxExport, writeErrorFile, writeTemplate, type XlsxRow } from './index.js';

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-excel-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

const HEADERS = ['姓名', '证件号码', '来本地日期', '面积'];

/** A workbook built the way users' files are: the non-streaming writer, typed cells. */
async function workbook(rows: unknown[][], edit?: (ws: ExcelJS.Worksheet) => void): Promise<string> {
  const file = path.join(dir, `wb-${Math.random().toString(36).slice(2)}.xlsx`);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  for (const r of rows) ws.addRow(r);
  edit?.(ws);
  await wb.xlsx.writeFile(file);
  return file;
}

async function collect(rows: AsyncIterable<XlsxRow>): Promise<XlsxRow[]> {
  const out: XlsxRow[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

describe('reading imports', () => {
  it('a renamed non-xlsx file is refused with EXCEL_FORMAT', async () => {
    const csv = path.join(dir, 'list.xlsx');
    fs.writeFileSync(csv, '姓名,证件号码\n张三,110101199003070011\n');
    const err = await collect(readXlsxRows(csv, { expectedHeaders: HEADERS })).catch((e) => e);
    expect(err).toBeInstanceOf(ExcelFormatError);
    expect(err.code).toBe('EXCEL_FORMAT');
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/Excel/);
    // A zip that is not a workbook (or a truncated one), from a stream: refused the same way.
    const notBook = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]);
    const err2 = await collect(readXlsxRows(Readable.from([notBook]), { expectedHeaders: HEADERS })).catch((e) => e);
    expect(err2).toBeInstanceOf(ExcelFormatError);
    // An empty file too.
    const err3 = await collect(readXlsxRows(Readable.from([Buffer.alloc(0)]), { expectedHeaders: HEADERS })).catch((e) => e);
    expect(err3).toBeInstanceOf(ExcelFormatError);
  });

  it('wrong headers name each missing and unknown column', async () => {
    const file = await workbook([['姓名', '身份证', '来本地日期', '备注', '备注'], ['张三', 'x', 'y', 'z', 'w']]);
    const err = await collect(readXlsxRows(file, { expectedHeaders: HEADERS })).catch((e) => e);
    expect(err).toBeInstanceOf(ExcelHeaderError);
    expect(err.code).toBe('EXCEL_HEADERS');
    expect(err.missing).toEqual(['证件号码', '面积']);
    expect(err.unknown).toEqual(['身份证', '备注', '备注']);
    expect(err.duplicate).toEqual(['备注']);
    for (const h of ['证件号码', '面积', '身份证', '备注']) expect(err.message).toContain(`“${h}”`);
    expect(err.details.map((d: { path: string; code: string }) => `${d.code}:${d.path}`)).toEqual(expect.arrayContaining([
      'MISSING_COLUMN:header.证件号码', 'MISSING_COLUMN:header.面积', 'UNKNOWN_COLUMN:header.身份证', 'DUPLICATE_COLUMN:header.备注',
    ]));
  });

  it('only required headers must be present, and extra columns pass when allowed', async () => {
    const file = await workbook([['证件号码', '姓名', '其他'], ['110101199003070011', '张三', '附加']]);
    const rows = await collect(readXlsxRows(file, { expectedHeaders: HEADERS, requiredHeaders: ['证件号码'], allowExtraHeaders: true }));
    expect(rows).toEqual([{ rowNumber: 2, values: { 姓名: '张三', 证件号码: '110101199003070011', 来本地日期: '', 面积: '', 其他: '附加' } }]);
  });

  it('values come back trimmed, dates as YYYY-MM-DD, numbers as plain digits; empty rows are skipped', async () => {
    const file = await workbook([
      HEADERS.map((h) => ` ${h} `),
      ['  张三  ', '110101199003070011', new Date(Date.UTC(2024, 0, 5)), 35.5],
      [],
      [{ richText: [{ text: '李' }, { text: '四 ' }] }, 510102199001011234, { formula: 'DATE(2023,12,31)', result: new Date(Date.UTC(2023, 11, 31)) }, { formula: '2*3', result: 6 }],
    ], (ws) => { ws.getCell('C4').numFmt = 'yyyy-mm-dd'; }); // Excel formats a DATE() formula as a date
    const rows = await collect(readXlsxRows(file, { expectedHeaders: HEADERS }));
    expect(rows).toEqual([
      { rowNumber: 2, values: { 姓名: '张三', 证件号码: '110101199003070011', 来本地日期: '2024-01-05', 面积: '35.5' } },
      // A number typed into Excel keeps only double precision: the digits are given as they are (validation rejects them).
      { rowNumber: 4, values: { 姓名: '李四', 证件号码: String(BigInt(510102199001011234)), 来本地日期: '2023-12-31', 面积: '6' } },
    ]);
  });

  it('Chinese text survives every chunk boundary of the unzipped sheet (a multi-byte character split across chunks)', async () => {
    // exceljs decodes each inflated chunk on its own (exceljs#2063); thousands of distinct Chinese
    // strings make sure characters straddle chunk edges in sharedStrings.xml and in the sheet.
    const given = Array.from({ length: 6000 }, (_, i) => [`测试居民${'甲乙丙丁戊己庚辛'.repeat(1 + (i % 5))}${i}`, `成都市武侯区浆洗街${i}号院`, '2024-01-02', i]);
    const file = await workbook([HEADERS, ...given], (ws) => {
      // A second copy as inline rich text, which is stored in the sheet XML rather than shared strings.
      ws.getCell(`A${given.length + 2}`).value = { richText: [{ text: '富文本居民' }, { text: '张三丰' }] };
    });
    const rows = await collect(readXlsxRows(file, { expectedHeaders: HEADERS }));
    expect(rows).toHaveLength(given.length + 1);
    const bad = rows.slice(0, given.length).filter((r, i) => r.values['姓名'] !== given[i]![0] || r.values['证件号码'] !== given[i]![1]);
    expect(bad.map((r) => r.rowNumber)).toEqual([]);
    expect(rows.at(-1)!.values['姓名']).toBe('富文本居民张三丰');
  });

  it('a cell longer than the limit is reported as a row error, not a crash', async () => {
    const file = await workbook([HEADERS, ['张三', 'x'.repeat(2001), '2024-01-05', '1'], ['李四', 'ok', '', '']]);
    const rows = await collect(readXlsxRows(file, { expectedHeaders: HEADERS }));
    expect(rows[0]).toEqual({ rowNumber: 2, values: { 姓名: '张三', 证件号码: '', 来本地日期: '2024-01-05', 面积: '1' }, errors: [{ column: '证件号码', reason: '内容超过 2000 个字符' }] });
    expect(rows[1]!.errors).toBeUndefined();
    const strict = await collect(readXlsxRows(file, { expectedHeaders: HEADERS, maxCellChars: 3 }));
    expect(strict[1]!.errors).toBeUndefined();
    expect(strict[0]!.errors!.map((e) => e.column)).toEqual(['证件号码', '来本地日期']);
  });

  it('a resumed read skips the first N data rows', async () => {
    const file = await workbook([HEADERS, ...Array.from({ length: 10 }, (_, i) => [`人${i}`, String(i), '', ''])]);
    const rest = await collect(readXlsxRows(file, { expectedHeaders: HEADERS, skipRows: 7 }));
    expect(rest.map((r) => r.values['姓名'])).toEqual(['人7', '人8', '人9']);
    expect(rest[0]!.rowNumber).toBe(9);
    const helper = await collect(skipFirst(readXlsxRows(file, { expectedHeaders: HEADERS }), 8));
    expect(helper.map((r) => r.rowNumber)).toEqual([10, 11]);
  });

  it('stopping early releases the file (no hang, no leak)', async () => {
    const file = await workbook([HEADERS, ...Array.from({ length: 50 }, (_, i) => [`人${i}`, String(i), '', ''])]);
    let n = 0;
    for await (const _ of readXlsxRows(file, { expectedHeaders: HEADERS })) if (++n === 3) break;
    expect(n).toBe(3);
  });
});

describe('templates and error files', () => {
  it('the template has a styled header, text columns, inline dropdowns and long lists on the hidden 字典 sheet', async () => {
    const grids = Array.from({ length: 60 }, (_, i) => `双桥社区第${i + 1}网格`); // far over 255 characters inline
    const buffer = await writeTemplate([
      { header: '姓名', width: 10 },
      { header: '性别', dropdown: ['男', '女'] },
      { header: '网格', dropdown: grids, note: '从下拉列表选择' },
    ], '流动人口');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('流动人口')!;
    expect(ws.getRow(1).values).toEqual([undefined, '姓名', '性别', '网格']);
    expect(ws.getCell('A1').font?.bold).toBe(true);
    expect(ws.getColumn(2).numFmt).toBe('@');
    expect(ws.getCell('B2').dataValidation).toMatchObject({ type: 'list', formulae: ['"男,女"'] });
    expect(ws.getCell('B5000').dataValidation).toMatchObject({ type: 'list' });
    expect(ws.getCell('C3').dataValidation).toMatchObject({ type: 'list', formulae: ["'字典'!$A$1:$A$60"] });
    expect(ws.getCell('A2').dataValidation).toBeUndefined();
    const dict = wb.getWorksheet('字典')!;
    expect(dict.state).toBe('hidden');
    expect(dict.getCell('A60').value).toBe('双桥社区第60网格');
    // The blank template reads back cleanly: headers match, no rows (the hidden sheet is not read).
    const file = path.join(dir, 'template.xlsx');
    fs.writeFileSync(file, buffer);
    expect(await collect(readXlsxRows(file, { expectedHeaders: ['姓名', '性别', '网格'] }))).toEqual([]);
  });

  it('the error file lists 行号 / 列 / 原因 and the original values', async () => {
    const buffer = await writeErrorFile([
      { rowNumber: 3, column: '证件号码', reason: '校验位错误', original: { 姓名: '张三', 证件号码: '110101199003070012' } },
      { rowNumber: 7, column: '网格', reason: '不在您的管辖范围' },
    ]);
    const file = path.join(dir, 'errors.xlsx');
    fs.writeFileSync(file, buffer);
    const rows = await collect(readXlsxRows(file, { expectedHeaders: ['行号', '列', '原因', '姓名', '证件号码'] }));
    expect(rows.map((r) => r.values)).toEqual([
      { 行号: '3', 列: '证件号码', 原因: '校验位错误', 姓名: '张三', 证件号码: '110101199003070012' },
      { 行号: '7', 列: '网格', 原因: '不在您的管辖范围', 姓名: '', 证件号码: '' },
    ]);
  });
});

describe('exports', () => {
  it('a 100,000-row export keeps memory flat', async () => {
    const columns = [
      { header: '序号', key: 'n', width: 8 }, { header: '证件号码', key: 'id' }, { header: '姓名', key: 'name' },
      { header: '网格', key: 'grid' }, { header: '地址', key: 'address', width: 30 }, { header: '来本地日期', key: 'date' }, { header: '备注', key: 'note' },
    ];
    const total = 100_000;
    // Memory retained, not garbage waiting for the collector: measured right after a full collection.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const retained = () => { gc(); return process.memoryUsage().heapUsed; };
    let base = 0;
    let peak = 0;
    async function* rows() {
      for (let n = 1; n <= total; n++) {
        if (n === 10_000) base = retained();
        if (n > 10_000 && n % 10_000 === 0) peak = Math.max(peak, retained());
        yield { n, id: `5101**********${String(n % 10000).padStart(4, '0')}`, name: `测试人员${n}`, grid: `第${n % 30}网格`, address: `浆洗街${n % 500}号${n % 7}单元`, date: '2024-01-05', note: n % 3 ? null : '—' };
      }
    }
    const file = path.join(dir, 'export.xlsx');
    const started = Date.now();
    const result = await streamXlsxExport(file, columns, rows());
    const seconds = (Date.now() - started) / 1000;
    expect(result.rows).toBe(total);
    expect(seconds).toBeLessThan(30); // ARCHITECTURE.md budget
    // Flat: the last 90,000 rows add (almost) nothing to what the first 10,000 left behind.
    expect((peak - base) / 1024 / 1024).toBeLessThan(20);
    // The file is a real workbook with every row (counted with the streaming reader).
    let count = 0;
    let last: XlsxRow | undefined;
    for await (const r of readXlsxRows(file, { expectedHeaders: columns.map((c) => c.header) })) { count++; last = r; }
    expect(count).toBe(total);
    expect(last!.values).toMatchObject({ 序号: String(total), 姓名: `测试人员${total}`, 备注: '' });
  }, 120_000);
});
