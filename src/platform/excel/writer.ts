import fs from 'node:fs';
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from './exceljs.js';

export type CellValue = string | number | null | undefined;

export interface ExportColumn {
  header: string;
  /** The field of each row record shown in this column (default: the header). */
  key?: string;
  width?: number;
}

const HEADER_FONT: Partial<ExcelJS.Font> = { bold: true, color: { argb: 'FFFFFFFF' } };
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF1F4E79' } };

/** Streams a one-sheet workbook into `stream`, committing each row as it comes. Returns the row count. */
async function writeSheet(stream: Writable, sheetName: string, columns: ExportColumn[], rows: AsyncIterable<Record<string, CellValue>> | Iterable<Record<string, CellValue>>): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, key: c.key ?? c.header, width: c.width ?? 14 }));
  const head = ws.getRow(1);
  head.eachCell((cell) => { cell.font = HEADER_FONT; cell.fill = HEADER_FILL; });
  head.commit();
  let n = 0;
  for await (const record of rows) {
    ws.addRow(record).commit();
    n++;
  }
  ws.commit();
  await wb.commit();
  return n;
}

async function toBuffer(write: (stream: Writable) => Promise<unknown>): Promise<Buffer> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve, reject) => { stream.on('end', resolve); stream.on('error', reject); });
  await write(stream);
  await ended;
  return Buffer.concat(chunks);
}

/**
 * Writes a large export to `filePath` with the streaming writer: each row is committed (written and
 * released) as it arrives, so memory stays flat for 100,000+ rows. Returns the number of rows.
 */
export async function streamXlsxExport(filePath: string, columns: ExportColumn[], rows: AsyncIterable<Record<string, CellValue>>, sheetName = '数据'): Promise<{ rows: number }> {
  // Readable by the server's user only: an export may hold full ID numbers until it is stored (sealed).
  const out = fs.createWriteStream(filePath, { mode: 0o600 });
  const closed = new Promise<void>((resolve, reject) => { out.on('close', () => resolve()); out.on('error', reject); });
  closed.catch(() => {}); // awaited below on success; on failure the writer's own error is thrown
  try {
    const n = await writeSheet(out, sheetName, columns, rows);
    await closed;
    return { rows: n };
  } catch (e) {
    out.destroy();
    throw e;
  }
}

export interface ErrorFileRow {
  rowNumber: number;
  column: string;
  reason: string;
  /** The row's original values, shown after the reason so the user can correct and re-import. */
  original?: Record<string, string>;
}

/** An import's error list: 行号 / 列 / 原因, then the row's original values. */
export function writeErrorFile(rows: ErrorFileRow[]): Promise<Buffer> {
  const originalHeaders = [...new Set(rows.flatMap((r) => Object.keys(r.original ?? {})))];
  const columns: ExportColumn[] = [
    { header: '行号', key: '#row', width: 8 }, { header: '列', key: '#column', width: 14 }, { header: '原因', key: '#reason', width: 40 },
    ...originalHeaders.map((h) => ({ header: h, key: `=${h}`, width: 14 })),
  ];
  const records = rows.map((r) => ({
    '#row': r.rowNumber, '#column': r.column, '#reason': r.reason,
    ...Object.fromEntries(Object.entries(r.original ?? {}).map(([k, v]) => [`=${k}`, v])),
  }));
  return toBuffer((stream) => writeSheet(stream, '错误清单', columns, records));
}

export interface TemplateColumn {
  header: string;
  width?: number;
  /** Allowed values, offered as a dropdown on rows 2..5000. */
  dropdown?: string[];
  /** A comment on the header cell (format hints). */
  note?: string;
}

const TEMPLATE_ROWS = 5000;
/** Excel limits an inline list (`"a,b,c"`) to 255 characters; longer lists go to a hidden sheet. */
const INLINE_LIST_MAX = 255;
const DICT_SHEET = '字典';

/**
 * An import template: the styled header row, text-formatted columns (so Excel keeps ID numbers,
 * phone numbers and dates exactly as typed) and dropdowns for columns with `dropdown`.
 */
export async function writeTemplate(columns: TemplateColumn[], sheetName: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  let dict: ExcelJS.Worksheet | undefined;
  let dictColumns = 0;
  columns.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    col.width = c.width ?? Math.max(12, c.header.length * 2 + 4);
    col.numFmt = '@';
    const cell = ws.getCell(1, i + 1);
    cell.value = c.header;
    cell.font = HEADER_FONT;
    cell.fill = HEADER_FILL;
    cell.alignment = { vertical: 'middle', horizontal: 'center' };
    if (c.note) cell.note = c.note;
    if (!c.dropdown?.length) return;
    const inline = `"${c.dropdown.join(',')}"`;
    let formula = inline;
    if (inline.length > INLINE_LIST_MAX || c.dropdown.some((v) => v.includes(',') || v.includes('"'))) {
      dict ??= wb.addWorksheet(DICT_SHEET, { state: 'hidden' });
      const dc = ++dictColumns;
      c.dropdown.forEach((v, r) => { dict!.getCell(r + 1, dc).value = v; });
      const letter = dict.getColumn(dc).letter;
      formula = `'${DICT_SHEET}'!$${letter}$1:$${letter}$${c.dropdown.length}`;
    }
    const letter = col.letter;
    // exceljs supports range addresses here, but its typings do not declare `dataValidations`.
    (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(
      `${letter}2:${letter}${TEMPLATE_ROWS}`,
      { type: 'list', allowBlank: true, formulae: [formula], showErrorMessage: true, errorStyle: 'stop', errorTitle: '输入有误', error: `请从下拉列表中选择“${c.header}”。` },
    );
  });
  ws.getRow(1).height = 22;
  return Buffer.from(await wb.xlsx.writeBuffer());
}
