import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { recordAudit } from '../../platform/audit/service.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import type { JobContext } from '../../platform/jobs/index.js';
import { MAX_GENERATED_BYTES, openFile, storeFile } from '../../platform/files/index.js';
import { readXlsxRows, streamXlsxExport, writeErrorFile, writeTemplate } from '../../platform/excel/index.js';
import { EDUCATION_BY_CODE, ETHNICITIES, EDUCATION, ID_TYPES as ID_TYPE_NAMES, ORIGIN_FULL_NAMES, originFullName } from './dictionaries.js';
import { reveal } from './identity.js';
import { EXPORT_EXTRA_HEADERS, IMPORT_COLUMNS, IMPORT_HEADERS, LEFT_STATUS, REQUIRED_HEADERS, gridIndex, prepareChunk, writeChunk, type ImportRow, type PreparedChunk, type RowError } from './import.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { populationPolicy } from './policy.js';
import { COMPARE_JOB, jobActor, runCompare } from './compare.js';
import { pop } from './schema.js';
import { todayOffice, unitName } from './common.js';
import { formatHouseAddress } from './address.js';
import ExcelJS from '../../platform/excel/exceljs.js';

/**
 * Spreadsheet work run as background jobs (src/platform/jobs): imports of legacy person lists,
 * masked exports (for the police liaison among others) and comparisons of an uploaded list of ID
 * numbers against the registry (compare.ts). Each job acts as the person who started it, within their scope.
 */
export { COMPARE_JOB };
export const IMPORT_JOB = 'population.import';
export const EXPORT_JOB = 'population.export';
const CHUNK = 1000;

// ------------------------------------------------------------------ import

interface ImportCursor { rows: number; skipped: number; errors: RowError[] }

async function runImport(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const params = job.params as { fileId: string; ip?: string };
  const actor = await jobActor(db, job.created_by!);
  const tree = await loadOrgTree(db);
  const grids = gridIndex(tree);
  const policy = await populationPolicy(db);
  const cursor: ImportCursor = (job.cursor as ImportCursor | null) ?? { rows: 0, skipped: 0, errors: [] };
  const file = await openFile(db, params.fileId);
  let counts = { processed: job.processed, succeeded: job.succeeded, failed: job.failed };
  const write = (prepared: PreparedChunk) => inTransaction(db, async (tx) => {
    const r = await writeChunk(tx, actor, prepared, { packCode: policy.packCode, version: policy.version }, { jobId: job.id, ip: params.ip ?? null });
    cursor.rows += prepared.rows;
    cursor.skipped += r.skipped;
    cursor.errors.push(...r.errors);
    // Skipped rows (已存在 / repeated / departed) are neither succeeded nor failed: processed − succeeded − failed.
    counts = { processed: counts.processed + prepared.rows, succeeded: counts.succeeded + r.succeeded, failed: counts.failed + r.failed };
    // Rows and progress commit together: a crash resumes after the last committed chunk.
    await ctx.progressIn(tx, { ...counts, cursor });
  });
  // Two stages overlap: the next chunk is read, validated and sealed (this process) while the
  // previous one is written (the database). Chunks commit one after another, in file order.
  const prepare = { grids, scope: actor.scope };
  const seenInFile = new Set<string>();
  let writing: Promise<void> = Promise.resolve();
  let chunk: ImportRow[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const prepared = prepareChunk(prepare, chunk, seenInFile);
    chunk = [];
    await writing;
    writing = write(prepared);
    writing.catch(() => {}); // awaited at the next flush or below; this only keeps it from counting as unhandled meanwhile
  };
  try {
    // An export's own columns (社区, 离开日期, 状态, 审核状态) may come along: an export imports back.
    for await (const row of readXlsxRows(file.stream(), { expectedHeaders: [...IMPORT_HEADERS, ...EXPORT_EXTRA_HEADERS], skipRows: cursor.rows, requiredHeaders: REQUIRED_HEADERS })) {
      // A cell the reader could not take (too long) fails its row: the row travels with the chunk so
      // the count and the cursor stay in step with the rows read.
      chunk.push({ rowNumber: row.rowNumber, values: row.values, cellErrors: row.errors });
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
  } finally {
    // A file that turns out unreadable half-way still lets the chunk in flight settle before the job ends.
    await writing.catch(() => {});
  }
  await writing;
  if (cursor.errors.length) {
    const buffer = await writeErrorFile(cursor.errors.map((e) => ({ rowNumber: e.rowNumber, column: e.column, reason: e.reason, original: e.original })));
    const stored = await storeFile(db, ctx.dataDir, { buffer, originalName: '导入错误清单.xlsx', createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachErrorFile(stored.id);
  }
  await ctx.setResult({ rows: cursor.rows, skipped: cursor.skipped, errors: cursor.errors.length });
}

/** What the template says of each column: required or not, and how to fill it in. */
const TEMPLATE_HINTS: Record<(typeof IMPORT_COLUMNS)[number]['key'], string> = {
  idType: '从下拉列表选择；不填为居民身份证',
  idNumber: '必填（无证件的选择“无证件”后可不填）；居民身份证 18 位，末位可为 X',
  name: '必填',
  gender: '男 或 女；居民身份证可不填（由号码得出）',
  birthDate: 'YYYY-MM-DD；居民身份证可不填（由号码得出）',
  ethnicity: '从下拉列表选择，或填 GB/T 3304 代码',
  origin: '从下拉列表选择省市（如 四川省广安市），或填 6 位行政区划代码',
  education: '从下拉列表选择，或填 GB/T 4658 代码',
  occupation: '选填',
  phone: '手机号或固定电话',
  grid: '必填；从下拉列表选择您管辖的网格',
  address: '已登记的房屋：街路巷门牌号+栋+单元+室，如 蜀汉街25号12栋3单元504室；不填则不关联房屋',
  arrivedOn: '必填；YYYY-MM-DD，不晚于今天',
  reason: '选填，如 务工、经商、投亲靠友',
};
const REQUIRED_COLUMNS = new Set(['证件号码', '姓名', '网格', '来本地日期']);
const REQUIRED_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFC00000' } };

/**
 * The import template: the import columns with dropdowns (document type, gender, ethnicity, 户籍地 by
 * province and city, education, the importer's grids), required columns in red with 必填 in their
 * note, and a sheet 填写说明 saying how to fill in each column.
 */
export async function importTemplate(actorGrids: string[]): Promise<Buffer> {
  const base = await writeTemplate(IMPORT_COLUMNS.map((c) => ({
    header: c.header,
    width: c.key === 'address' ? 34 : c.key === 'idNumber' ? 22 : c.key === 'origin' ? 18 : 14,
    note: TEMPLATE_HINTS[c.key],
    ...(c.key === 'idType' ? { dropdown: ID_TYPE_NAMES.map((d) => d.name) } : {}),
    ...(c.key === 'gender' ? { dropdown: ['男', '女'] } : {}),
    ...(c.key === 'ethnicity' ? { dropdown: ETHNICITIES.map((d) => d.name) } : {}),
    ...(c.key === 'origin' ? { dropdown: ORIGIN_FULL_NAMES.map((d) => d.name) } : {}),
    ...(c.key === 'education' ? { dropdown: EDUCATION.map((d) => d.name) } : {}),
    ...(c.key === 'grid' ? { dropdown: actorGrids } : {}),
  })), '流动人口');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(base as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('流动人口')!;
  IMPORT_COLUMNS.forEach((c, i) => {
    // Loaded cells share their style object: a required one gets its own.
    const cell = ws.getCell(1, i + 1);
    if (REQUIRED_COLUMNS.has(c.header)) cell.style = { ...cell.style, fill: REQUIRED_FILL };
  });
  const help = wb.addWorksheet('填写说明');
  help.columns = [{ header: '列', key: 'column', width: 14 }, { header: '是否必填', key: 'required', width: 10 }, { header: '填写说明', key: 'hint', width: 80 }];
  help.getRow(1).font = { bold: true };
  for (const c of IMPORT_COLUMNS) help.addRow({ column: c.header, required: REQUIRED_COLUMNS.has(c.header) ? '必填' : '选填', hint: TEMPLATE_HINTS[c.key] });
  help.addRow({});
  help.addRow({ column: '说明', hint: '红色表头为必填列。已登记的证件号码不会重复导入（结果中记为“已存在，跳过”）。本系统导出的文件（含完整证件号码）可直接导入。' });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ------------------------------------------------------------------ export

export interface ExportFilters { status?: 'active' | 'left'; gridId?: string; communityId?: string; reviewStatus?: 'reported' | 'passed' | 'returned'; reveal?: boolean }

/**
 * The export has the import template's columns first, decoded the same way (names, not codes; the
 * full standard address), so an export with full numbers imports back; then what only an export
 * tells: community, departure date, status and review status.
 */
const EXPORT_COLUMNS = [
  ...IMPORT_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.key === 'address' ? 34 : c.key === 'idNumber' ? 22 : c.key === 'origin' ? 18 : 12 })),
  { header: '社区', key: 'community', width: 14 }, { header: '离开日期', key: 'leftOn', width: 12 }, { header: '状态', key: 'status', width: 8 }, { header: '审核状态', key: 'reviewStatus', width: 10 },
];
const ETHNICITY_NAME = new Map(ETHNICITIES.map((d) => [d.code, d.name]));
const ID_TYPE_NAME = new Map(ID_TYPE_NAMES.map((d) => [d.code, d.name]));
const REVIEW_NAME: Record<string, string> = { reported: '待审核', passed: '审核合格', returned: '已退回' };

/** Rows in id order, a page at a time; `onPage` (awaited) reports progress after each page. */
async function* exportRows(db: Db, actor: Actor, filters: ExportFilters, onPage: (rows: number) => Promise<void>) {
  const tree = await loadOrgTree(db);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    let q = pop(db).selectFrom('persons').leftJoin('houses', 'houses.id', 'persons.house_id').selectAll('persons').select(['houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
      .where(inScope(actor.scope, 'persons')).where('persons.id', '>', after);
    if (filters.status) q = q.where('persons.status', '=', filters.status);
    if (filters.gridId) q = q.where('persons.grid_id', '=', filters.gridId);
    if (filters.reviewStatus) q = q.where('persons.review_status', '=', filters.reviewStatus);
    if (filters.communityId) {
      const grids = tree.children.get(filters.communityId) ?? [];
      q = q.where('persons.grid_id', 'in', grids.length ? grids : [after]);
    }
    const rows = await q.orderBy('persons.id').limit(2000).execute();
    if (rows.length === 0) return;
    for (const p of rows) {
      const communityId = tree.units.get(p.grid_id)?.parent_id ?? null;
      yield {
        idType: ID_TYPE_NAME.get(p.id_type) ?? p.id_type,
        idNumber: filters.reveal ? reveal(p.id_enc) : p.id_masked,
        name: p.name, gender: p.gender === 'male' ? '男' : p.gender === 'female' ? '女' : '', birthDate: p.birth_date,
        ethnicity: p.ethnicity ? ETHNICITY_NAME.get(p.ethnicity) ?? p.ethnicity : '', origin: p.origin ? originFullName(p.origin) ?? p.origin : '',
        education: p.education ? EDUCATION_BY_CODE.get(p.education) ?? p.education : '', occupation: p.occupation ?? '',
        phone: filters.reveal ? reveal(p.phone_enc) : p.phone_masked, grid: unitName(tree, p.grid_id),
        address: formatHouseAddress(p) ?? '', arrivedOn: p.arrived_on, reason: p.arrival_reason ?? '',
        community: unitName(tree, communityId), leftOn: p.left_on, status: p.status === 'active' ? '在住' : LEFT_STATUS, reviewStatus: REVIEW_NAME[p.review_status] ?? p.review_status,
      };
    }
    after = rows[rows.length - 1]!.id;
    await onPage(rows.length);
  }
}

async function runExport(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const { filters, ip } = job.params as { filters: ExportFilters; ip?: string };
  const actor = await jobActor(db, job.created_by!);
  if (filters.reveal && !actor.permissions.has('person:reveal')) throw new Error('没有导出完整证件号码的权限。');
  const file = path.join(os.tmpdir(), `jiedao-export-${job.id}.xlsx`);
  let n = 0;
  try {
    await streamXlsxExport(file, EXPORT_COLUMNS, exportRows(db, actor, filters, async (rows) => {
      n += rows;
      await ctx.progress({ processed: n, succeeded: n, failed: 0 });
    }));
    const stored = await storeFile(db, ctx.dataDir, { path: file, originalName: `流动人口导出-${todayOffice()}.xlsx`, createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachResultFile(stored.id);
    await ctx.progress({ processed: n, succeeded: n, failed: 0 });
    await recordAudit(db, { actorId: actor.userId, actorName: actor.name, action: filters.reveal ? 'person.reveal' : 'person.export', entity: 'person', ip: ip ?? null, summary: { kind: 'export', rows: n, jobId: job.id } });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The module's background job kinds. */
export const transferJobKinds = { [IMPORT_JOB]: runImport, [EXPORT_JOB]: runExport, [COMPARE_JOB]: runCompare };

