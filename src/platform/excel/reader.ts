import fs from 'node:fs';
import { Readable } from 'node:stream';
import ExcelJS from './exceljs.js';
import { AppError, type ErrorDetail } from '../http/errors.js';

/** The uploaded file is not a readable .xlsx workbook (422 EXCEL_FORMAT). */
export class ExcelFormatError extends AppError {
  constructor(message = '文件不是有效的 Excel 工作簿（.xlsx），请使用下载的模板填写后上传。', options?: { cause?: unknown }) {
    super(422, 'EXCEL_FORMAT', message, [{ path: 'file', code: 'EXCEL_FORMAT', message: '不是 .xlsx 文件' }]);
    if (options?.cause) this.cause = options.cause;
  }
}

/** The header row does not match the template (422 EXCEL_HEADERS); names each offending column. */
export class ExcelHeaderError extends AppError {
  constructor(public readonly missing: string[], public readonly unknown: string[], public readonly duplicate: string[] = []) {
    const quote = (xs: string[]) => xs.map((x) => `“${x}”`).join('、');
    const parts = [
      missing.length ? `缺少列 ${quote(missing)}` : '',
      unknown.length ? `无法识别的列 ${quote(unknown)}` : '',
      duplicate.length ? `重复的列 ${quote(duplicate)}` : '',
    ].filter(Boolean);
    const details: ErrorDetail[] = [
      ...missing.map((h) => ({ path: `header.${h}`, code: 'MISSING_COLUMN', message: `缺少列“${h}”` })),
      ...unknown.map((h) => ({ path: `header.${h}`, code: 'UNKNOWN_COLUMN', message: `无法识别的列“${h}”` })),
      ...duplicate.map((h) => ({ path: `header.${h}`, code: 'DUPLICATE_COLUMN', message: `列“${h}”出现多次` })),
    ];
    super(422, 'EXCEL_HEADERS', `表头与模板不符：${parts.join('；')}。请使用下载的模板。`, details);
  }
}

export interface CellError { column: string; reason: string }
export interface XlsxRow {
  /** The row's number in the sheet (the header is row 1 in a template). */
  rowNumber: number;
  /** Every expected header (and, when allowed, extra ones) → trimmed text; '' when empty. */
  values: Record<string, string>;
  /** Cells that could not be taken as they are (too long); their value is ''. */
  errors?: CellError[];
}

export interface ReadXlsxOptions {
  expectedHeaders: string[];
  /** Headers that must be present (default: all expected ones). */
  requiredHeaders?: string[];
  /** Accept columns not in `expectedHeaders` (their values are returned too). */
  allowExtraHeaders?: boolean;
  /** Longer cells become a row error instead of a value (default 2000). */
  maxCellChars?: number;
  /** Data rows to skip (resuming from a cursor): counts rows this reader yielded before. */
  skipRows?: number;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Opens the input and checks it starts like a zip (every .xlsx is one); the bytes read are put back. */
async function openZip(input: string | Readable): Promise<Readable> {
  const source = typeof input === 'string' ? fs.createReadStream(input) : input;
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < ZIP_MAGIC.length) {
    const r = await it.next();
    if (r.done) break;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  if (!head.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
    source.destroy();
    throw new ExcelFormatError();
  }
  return Readable.from((async function* () {
    try {
      yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      source.destroy();
    }
  })());
}

/** Whether a number format shows a date (as exceljs decides it, outside quotes and brackets). */
const isDateFormat = (fmt: string | undefined) => Boolean(fmt && /[ymdhMsb]/.test(fmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '')));
/** An Excel serial day number (1900 date system) as a date. */
const excelSerialDate = (serial: number) => new Date(Math.round((serial - 25569) * 86_400_000));

/** A cell's value as text: dates as YYYY-MM-DD, numbers in plain digits, formulas by their result. */
export function cellText(v: unknown, numFmt?: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; text?: unknown; result?: unknown; error?: string };
    if (o.richText) return o.richText.map((r) => r.text).join('').trim();
    if ('text' in o) return cellText(o.text);
    if ('result' in o) return cellText(typeof o.result === 'number' && isDateFormat(numFmt) ? excelSerialDate(o.result) : o.result);
    if (o.error) return o.error;
  }
  return String(v).trim();
}

function checkHeaders(cells: string[], opts: ReadXlsxOptions): void {
  const names = cells.filter(Boolean);
  const duplicate = [...new Set(names.filter((h, i) => names.indexOf(h) !== i))];
  const missing = (opts.requiredHeaders ?? opts.expectedHeaders).filter((h) => !names.includes(h));
  const unknown = opts.allowExtraHeaders ? [] : names.filter((h) => !opts.expectedHeaders.includes(h));
  if (missing.length || unknown.length || duplicate.length) throw new ExcelHeaderError(missing, unknown, duplicate);
}

/** Skips the first `n` items of an async sequence. */
export async function* skipFirst<T>(items: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  let seen = 0;
  for await (const item of items) if (seen++ >= n) yield item;
}

/**
 * The data rows of the first visible worksheet, streamed (memory stays flat). The header row (first
 * non-empty row) is checked against `expectedHeaders` before any row is yielded; empty rows are
 * skipped. Throws ExcelFormatError for a file that is not an .xlsx, ExcelHeaderError for wrong headers.
 */
export async function* readXlsxRows(input: string | Readable, opts: ReadXlsxOptions): AsyncGenerator<XlsxRow> {
  const maxCellChars = opts.maxCellChars ?? 2000;
  const source = await openZip(input);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(source, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore' });
  try {
    for await (const sheet of reader) {
      if ((sheet as { state?: string }).state?.endsWith('idden')) continue; // hidden, veryHidden
      let headers: string[] | null = null;
      let toSkip = opts.skipRows ?? 0;
      for await (const row of sheet) {
        const cells: string[] = [];
        row.eachCell((cell, col) => { cells[col] = cellText(cell.value, cell.numFmt); });
        if (!cells.some(Boolean)) continue;
        if (!headers) {
          headers = cells;
          checkHeaders(headers, opts);
          continue;
        }
        if (toSkip > 0) {
          toSkip--;
          continue;
        }
        const values: Record<string, string> = Object.fromEntries(opts.expectedHeaders.map((h) => [h, '']));
        const errors: CellError[] = [];
        headers.forEach((h, i) => {
          if (!h) return;
          const text = cells[i] ?? '';
          if (text.length > maxCellChars) {
            errors.push({ column: h, reason: `内容超过 ${maxCellChars} 个字符` });
            values[h] = '';
          } else {
            values[h] = text;
          }
        });
        yield errors.length ? { rowNumber: row.number, values, errors } : { rowNumber: row.number, values };
      }
      if (!headers) throw new ExcelHeaderError(opts.requiredHeaders ?? opts.expectedHeaders, []);
      return;
    }
    throw new ExcelFormatError('工作簿中没有工作表。');
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new ExcelFormatError('文件已损坏或不是有效的 Excel 工作簿（.xlsx），无法读取。', { cause: e });
  } finally {
    source.destroy();
  }
}
