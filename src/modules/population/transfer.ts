import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { recordAudit } from '../../platform/audit/service.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { loadProfile } from '../../platform/org/profile.js';
import { scopeFilter } from '../../platform/org/scope.js';
import { registerJobKind, type JobContext } from '../../platform/jobs/index.js';
import { MAX_GENERATED_BYTES, openFile, storeFile } from '../../platform/files/index.js';
import { readXlsxRows, streamXlsxExport, writeErrorFile, writeTemplate } from '../../platform/excel/index.js';
import { ETHNICITIES, EDUCATION, ID_TYPES as ID_TYPE_NAMES, originName } from './dictionaries.js';
import { checkDocument, idIndex, reveal } from './identity.js';
import { IMPORT_COLUMNS, IMPORT_HEADERS, REQUIRED_HEADERS, gridIndex, prepareChunk, writeChunk, type ImportRow, type PreparedChunk, type RowError } from './import.js';
import { populationPolicy } from './policy.js';
import { pop } from './schema.js';
import { todayOffice, unitName } from './common.js';

/**
 * Spreadsheet work run as background jobs (src/platform/jobs): imports of legacy person lists,
 * masked exports (for the police liaison among others) and comparisons of an uploaded list of ID
 * numbers against the registry. Each job acts as the person who started it, within their scope.
 */
export const IMPORT_JOB = 'population.import';
export const EXPORT_JOB = 'population.export';
export const COMPARE_JOB = 'population.compare';
const CHUNK = 1000;

/** The job's creator as an actor: their scope and permissions as of now. */
async function actorOf(db: Db, userId: string): Promise<Actor> {
  const profile = await loadProfile(db, userId);
  if (!profile || profile.status !== 'active') throw new Error('发起任务的账号已停用。');
  return { ...profile, session: { id: 'job', kind: 'bearer', csrfToken: '' } };
}

const dataDirOf = (ctx: JobContext) => ctx.dataDir;

// ------------------------------------------------------------------ import

interface ImportCursor { rows: number; skipped: number; errors: RowError[] }

async function runImport(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const params = job.params as { fileId: string };
  const actor = await actorOf(db, job.created_by!);
  const tree = await loadOrgTree(db);
  const grids = gridIndex(tree);
  const policy = await populationPolicy(db);
  const cursor: ImportCursor = (job.cursor as ImportCursor | null) ?? { rows: 0, skipped: 0, errors: [] };
  const file = await openFile(db, params.fileId);
  let counts = { processed: job.processed, succeeded: job.succeeded, failed: job.failed };
  const write = (prepared: PreparedChunk) => inTransaction(db, async (tx) => {
    const r = await writeChunk(tx, actor, prepared, { version: policy.version });
    cursor.rows += prepared.rows;
    cursor.skipped += r.skipped;
    cursor.errors.push(...r.errors);
    counts = { processed: counts.processed + prepared.rows, succeeded: counts.succeeded + r.succeeded, failed: counts.failed + r.failed + r.skipped };
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
    for await (const row of readXlsxRows(file.path, { expectedHeaders: IMPORT_HEADERS, skipRows: cursor.rows, requiredHeaders: REQUIRED_HEADERS })) {
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
    const stored = await storeFile(db, dataDirOf(ctx), { buffer, originalName: '导入错误清单.xlsx', createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachErrorFile(stored.id);
  }
  await ctx.setResult({ rows: cursor.rows, skipped: cursor.skipped, errors: cursor.errors.length });
}

export function importTemplate(actorGrids: string[]): Promise<Buffer> {
  return writeTemplate(IMPORT_COLUMNS.map((c) => ({
    header: c.header,
    width: c.key === 'address' ? 30 : c.key === 'idNumber' ? 22 : 14,
    ...(c.key === 'idType' ? { dropdown: ID_TYPE_NAMES.map((d) => d.name) } : {}),
    ...(c.key === 'gender' ? { dropdown: ['男', '女'] } : {}),
    ...(c.key === 'ethnicity' ? { dropdown: ETHNICITIES.map((d) => d.name) } : {}),
    ...(c.key === 'education' ? { dropdown: EDUCATION.map((d) => d.name) } : {}),
    ...(c.key === 'grid' ? { dropdown: actorGrids } : {}),
    ...(c.key === 'arrivedOn' || c.key === 'birthDate' ? { note: '格式：YYYY-MM-DD' } : {}),
    ...(c.key === 'origin' ? { note: '填写 GB/T 2260 行政区划代码（6 位）或名称' } : {}),
  })), '流动人口');
}

// ------------------------------------------------------------------ export

export interface ExportFilters { status?: 'active' | 'left'; gridId?: string; communityId?: string; reviewStatus?: 'reported' | 'passed' | 'returned'; reveal?: boolean }

const EXPORT_COLUMNS = [
  { header: '证件类型', key: 'idType', width: 12 }, { header: '证件号码', key: 'idNumber', width: 22 }, { header: '姓名', key: 'name', width: 10 },
  { header: '性别', key: 'gender', width: 6 }, { header: '出生日期', key: 'birthDate', width: 12 }, { header: '民族代码', key: 'ethnicity', width: 8 },
  { header: '民族', key: 'ethnicityName', width: 8 }, { header: '户籍地代码', key: 'origin', width: 10 }, { header: '户籍地', key: 'originName', width: 16 },
  { header: '文化程度代码', key: 'education', width: 10 }, { header: '联系电话', key: 'phone', width: 14 }, { header: '社区', key: 'community', width: 14 },
  { header: '网格', key: 'grid', width: 18 }, { header: '房屋地址', key: 'address', width: 30 }, { header: '来本地日期', key: 'arrivedOn', width: 12 },
  { header: '离开日期', key: 'leftOn', width: 12 }, { header: '状态', key: 'status', width: 8 }, { header: '审核状态', key: 'reviewStatus', width: 10 },
];
const ETHNICITY_NAME = new Map(ETHNICITIES.map((d) => [d.code, d.name]));
const ID_TYPE_NAME = new Map(ID_TYPE_NAMES.map((d) => [d.code, d.name]));
const REVIEW_NAME: Record<string, string> = { reported: '待审核', passed: '审核合格', returned: '已退回' };

/** Rows in id order, a page at a time; `onPage` (awaited) reports progress after each page. */
async function* exportRows(db: Db, actor: Actor, filters: ExportFilters, onPage: (rows: number) => Promise<void>) {
  const tree = await loadOrgTree(db);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    let q = pop(db).selectFrom('persons').leftJoin('houses', 'houses.id', 'persons.house_id').selectAll('persons').select('houses.address')
      .where(scopeFilter(actor.scope, 'persons.grid_id')).where('persons.id', '>', after);
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
        ethnicity: p.ethnicity, ethnicityName: p.ethnicity ? ETHNICITY_NAME.get(p.ethnicity) ?? '' : '', origin: p.origin,
        originName: p.origin ? originName(p.origin) ?? '' : '', education: p.education,
        phone: filters.reveal ? reveal(p.phone_enc) : p.phone_masked, community: unitName(tree, communityId), grid: unitName(tree, p.grid_id),
        address: p.address, arrivedOn: p.arrived_on, leftOn: p.left_on, status: p.status === 'active' ? '在住' : '已离开', reviewStatus: REVIEW_NAME[p.review_status] ?? p.review_status,
      };
    }
    after = rows[rows.length - 1]!.id;
    await onPage(rows.length);
  }
}

async function runExport(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const filters = (job.params as { filters: ExportFilters }).filters;
  const actor = await actorOf(db, job.created_by!);
  if (filters.reveal && !actor.permissions.has('person:reveal')) throw new Error('没有导出完整证件号码的权限。');
  const file = path.join(os.tmpdir(), `jiedao-export-${job.id}.xlsx`);
  let n = 0;
  try {
    await streamXlsxExport(file, EXPORT_COLUMNS, exportRows(db, actor, filters, async (rows) => {
      n += rows;
      await ctx.progress({ processed: n, succeeded: n, failed: 0 });
    }));
    const stored = await storeFile(db, dataDirOf(ctx), { path: file, originalName: `流动人口导出-${todayOffice()}.xlsx`, createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachResultFile(stored.id);
    await ctx.progress({ processed: n, succeeded: n, failed: 0 });
    await recordAudit(db, { actorId: actor.userId, actorName: actor.name, action: filters.reveal ? 'person.reveal' : 'person.export', entity: 'person', summary: { kind: 'export', rows: n } });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

// ------------------------------------------------------------------ comparison

/**
 * 比对: an uploaded list of ID numbers (a column 证件号码) against the registry — registered (with the
 * grid), left (with the date), unknown, or not a valid number. The police liaison's scope is the
 * whole street; a narrower scope compares within itself.
 */
async function runCompare(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const params = job.params as { fileId: string };
  const actor = await actorOf(db, job.created_by!);
  const tree = await loadOrgTree(db);
  const source = await openFile(db, params.fileId);
  const out = path.join(os.tmpdir(), `jiedao-compare-${job.id}.xlsx`);
  const today = todayOffice();
  let processed = 0;
  const counts = { registered: 0, left: 0, unknown: 0, invalid: 0 };
  async function* results() {
    let batch: { rowNumber: number; raw: string }[] = [];
    const flush = async function* () {
      const keyed = batch.map((b) => {
        try { const d = checkDocument('resident_id', b.raw, today); return { ...b, key: d.normalized ? idIndex(d.normalized) : null }; } catch { return { ...b, key: null }; }
      });
      const keys = keyed.flatMap((k) => (k.key ? [k.key] : []));
      const found = keys.length ? await pop(db).selectFrom('persons').select(['id_hmac', 'status', 'grid_id', 'left_on', 'id_masked'])
        .where('id_hmac', 'in', keys).where(scopeFilter(actor.scope, 'persons.grid_id')).execute() : [];
      const byKey = new Map(found.map((f) => [f.id_hmac, f]));
      for (const k of keyed) {
        processed++;
        const p = k.key ? byKey.get(k.key) : undefined;
        const result = !k.key ? 'invalid' : !p ? 'unknown' : p.status === 'active' ? 'registered' : 'left';
        counts[result]++;
        yield {
          rowNumber: k.rowNumber, idNumber: p?.id_masked ?? (k.raw.length > 6 ? `${k.raw.slice(0, 6)}****` : '****'),
          result: { registered: '在住登记', left: '已离开', unknown: '未登记', invalid: '号码无效' }[result],
          grid: p ? unitName(tree, p.grid_id) : null, leftOn: p?.left_on ?? null,
        };
      }
      batch = [];
    };
    for await (const row of readXlsxRows(source.path, { expectedHeaders: ['证件号码'], allowExtraHeaders: true })) {
      batch.push({ rowNumber: row.rowNumber, raw: (row.values['证件号码'] ?? '').trim() });
      if (batch.length >= CHUNK) { yield* flush(); await ctx.progress({ processed, succeeded: processed, failed: 0 }); }
    }
    yield* flush();
  }
  try {
    await streamXlsxExport(out, [
      { header: '行号', key: 'rowNumber', width: 8 }, { header: '证件号码', key: 'idNumber', width: 22 }, { header: '比对结果', key: 'result', width: 12 },
      { header: '所在网格', key: 'grid', width: 18 }, { header: '离开日期', key: 'leftOn', width: 12 },
    ], results());
    const stored = await storeFile(db, dataDirOf(ctx), { path: out, originalName: `比对结果-${today}.xlsx`, createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachResultFile(stored.id);
    await ctx.progress({ processed, succeeded: processed - counts.invalid, failed: counts.invalid });
    await ctx.setResult(counts);
    await recordAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'person.search', entity: 'person', summary: { kind: 'compare', rows: processed } });
  } finally {
    fs.rmSync(out, { force: true });
  }
}

export function registerTransferJobs(): void {
  registerJobKind(IMPORT_JOB, runImport);
  registerJobKind(EXPORT_JOB, runExport);
  registerJobKind(COMPARE_JOB, runCompare);
}

