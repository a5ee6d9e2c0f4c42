import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import type { Tx } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { AppError } from '../../platform/http/errors.js';
import { isIsoDate, MAX_DATE, MIN_DATE } from '../../platform/http/schemas.js';
import type { OrgTree } from '../../platform/org/tree.js';
import { scopeCovers, type DataScope } from '../../platform/org/scope.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { ETHNICITIES, EDUCATION, ID_TYPES as ID_TYPE_NAMES, originCodeOf } from './dictionaries.js';
import { checkDocument, nameInitials, normalizePhone, sealedDocument, sealedPhone, type IdType } from './identity.js';
import { monthOf, todayOffice } from './common.js';
import { popTx } from './schema.js';
import { insertRows } from './bulk.js';
import { addressKey, houseKey, parseHouseAddress } from './address.js';

/**
 * Import of legacy person spreadsheets (历史台账导入): every row is validated like a registration
 * through the form; good rows are written in bulk (one statement per table per chunk, so a chunk of
 * a thousand rows costs a handful of round trips); a row already registered with the same document
 * is skipped (已存在，跳过), so importing the same file twice adds nothing the second time. An
 * export (transfer.ts) has these columns first, decoded the same way, so it imports back.
 */
export const IMPORT_COLUMNS = [
  { header: '证件类型', key: 'idType' }, { header: '证件号码', key: 'idNumber' }, { header: '姓名', key: 'name' },
  { header: '性别', key: 'gender' }, { header: '出生日期', key: 'birthDate' }, { header: '民族', key: 'ethnicity' },
  { header: '户籍地', key: 'origin' }, { header: '文化程度', key: 'education' }, { header: '职业', key: 'occupation' },
  { header: '联系电话', key: 'phone' }, { header: '网格', key: 'grid' }, { header: '房屋地址', key: 'address' },
  { header: '来本地日期', key: 'arrivedOn' }, { header: '来本地事由', key: 'reason' },
] as const;
export const IMPORT_HEADERS = IMPORT_COLUMNS.map((c) => c.header);
/** Columns a file must have; 证件号码 may be empty only for 无证件. */
export const REQUIRED_HEADERS = ['证件号码', '姓名', '网格', '来本地日期'];
/** Cells that must be filled in every row. */
const REQUIRED = ['姓名', '网格', '来本地日期'];
/** What an export adds after the import columns; an import reads them and keeps none (a departed person is skipped). */
export const EXPORT_EXTRA_HEADERS = ['社区', '离开日期', '状态', '审核状态'];
export const LEFT_STATUS = '已离开';

export interface RowError { rowNumber: number; column: string; reason: string; original?: Record<string, string> }
export interface ChunkResult { succeeded: number; failed: number; skipped: number; errors: RowError[] }

/** Names or codes: a spreadsheet may hold 汉族 or 01. */
const lookup = (dict: { code: string; name: string }[]) => {
  const m = new Map<string, string>();
  for (const d of dict) { m.set(d.code, d.code); m.set(d.name, d.code); }
  return m;
};
const ETHNICITY = lookup(ETHNICITIES);
const EDUCATION_CODES = lookup(EDUCATION);
const ID_TYPE_CODES = lookup(ID_TYPE_NAMES);
const GENDERS = new Map([['男', 'male'], ['女', 'female'], ['male', 'male'], ['female', 'female']]);

interface ValidRow {
  rowNumber: number; idType: IdType; normalized: string | null; name: string; gender: string | null; birthDate: string | null;
  ethnicity: string | null; origin: string | null; education: string | null; occupation: string | null; phone: string | null;
  gridId: string; address: string | null; arrivedOn: string; reason: string | null;
}

function gridIndex(tree: OrgTree): Map<string, string> {
  const m = new Map<string, string>();
  for (const u of tree.units.values()) {
    if (u.kind !== 'grid' || u.valid_to !== null) continue;
    m.set(u.code, u.id);
    m.set(u.name, u.id);
  }
  return m;
}

/** Validates one row as the registration form would; returns the row or its errors (one per bad cell). */
export function validateRow(rowNumber: number, v: Record<string, string>, ctx: { grids: Map<string, string>; scope: DataScope; today: string }): ValidRow | RowError[] {
  const errors: RowError[] = [];
  const err = (column: string, reason: string) => errors.push({ rowNumber, column, reason, original: v });
  const val = (h: string) => (v[h] ?? '').trim();
  for (const h of REQUIRED) if (!val(h)) err(h, '必填');
  const idType = (val('证件类型') ? ID_TYPE_CODES.get(val('证件类型')) : 'resident_id') as IdType | undefined;
  if (!idType) err('证件类型', '不是可选的证件类型');
  if (!val('证件号码') && idType !== 'none') err('证件号码', '必填（无证件的请在证件类型中选择“无证件”）');
  let doc = { normalized: null as string | null, birthDate: null as string | null, gender: null as string | null };
  if (idType && val('证件号码')) {
    try { doc = checkDocument(idType, val('证件号码'), ctx.today); } catch (e) {
      err('证件号码', e instanceof AppError ? (e.details[0]?.message ?? e.message) : '证件号码无效');
    }
  }
  const name = val('姓名');
  if (name && [...name].length > 50) err('姓名', '超过 50 个字符');
  const code = (h: string, m: Map<string, string>) => {
    if (!val(h)) return null;
    const c = m.get(val(h));
    if (!c) err(h, '不在国家标准字典中');
    return c ?? null;
  };
  const ethnicity = code('民族', ETHNICITY);
  const origin = val('户籍地') ? originCodeOf(val('户籍地')) ?? null : null;
  if (val('户籍地') && !origin) err('户籍地', '不是有效的行政区划代码或名称（如 四川省广安市 或 511600）');
  const education = code('文化程度', EDUCATION_CODES);
  const gender = doc.gender ?? (val('性别') ? GENDERS.get(val('性别')) ?? null : null);
  if (val('性别') && !GENDERS.has(val('性别'))) err('性别', '应为 男 或 女');
  if (doc.gender && val('性别') && GENDERS.get(val('性别')) !== doc.gender) err('性别', '与证件号码不符');
  let birthDate = doc.birthDate;
  if (!birthDate && val('出生日期')) {
    if (!isIsoDate(val('出生日期')) || val('出生日期') > ctx.today) err('出生日期', `应为 ${MIN_DATE} 至今天之间的 YYYY-MM-DD 日期`);
    else birthDate = val('出生日期');
  }
  let phone: string | null = null;
  if (val('联系电话')) { try { phone = normalizePhone(val('联系电话')); } catch { err('联系电话', '应为手机号或固定电话'); } }
  const gridId = val('网格') ? ctx.grids.get(val('网格')) : undefined;
  if (val('网格') && (!gridId || !scopeCovers(ctx.scope, gridId))) err('网格', '不是您管辖范围内的网格');
  const arrivedOn = val('来本地日期');
  if (arrivedOn) {
    if (!isIsoDate(arrivedOn)) err('来本地日期', `应为 ${MIN_DATE} 至 ${MAX_DATE} 之间的 YYYY-MM-DD 日期`);
    else if (arrivedOn > ctx.today) err('来本地日期', '不能晚于今天');
    else if (birthDate && arrivedOn < birthDate) err('来本地日期', '早于出生日期');
  }
  if (errors.length) return errors;
  return {
    rowNumber, idType: idType!, normalized: doc.normalized, name, gender, birthDate, ethnicity, origin, education,
    occupation: val('职业') || null, phone, gridId: gridId!, address: val('房屋地址') || null, arrivedOn, reason: val('来本地事由') || null,
  };
}

export interface ImportRow { rowNumber: number; values: Record<string, string>; cellErrors?: { column: string; reason: string }[] }

/** A chunk validated and sealed, ready to be written: all the CPU work, none of the database work. */
export interface PreparedChunk {
  rows: number;
  failed: number;
  /** Rows repeating a document of an earlier row of the same file. */
  skipped: number;
  errors: RowError[];
  valid: (ValidRow & { document: ReturnType<typeof sealedDocument>; sealedPhone: ReturnType<typeof sealedPhone>; initials: string })[];
}

/**
 * Validates and seals one chunk (encryption, blind indexes, pinyin initials). Pure computation, so
 * the next chunk is prepared while the previous one is being written.
 */
/** What validating a row needs: the grids by code and name, and the importer's scope. */
export interface PrepareContext { grids: Map<string, string>; scope: DataScope }

export function prepareChunk(ctx: PrepareContext, rows: ImportRow[], seenInFile = new Set<string>()): PreparedChunk {
  const today = todayOffice();
  const out: PreparedChunk = { rows: rows.length, failed: 0, skipped: 0, errors: [], valid: [] };
  for (const r of rows) {
    if (r.cellErrors?.length) {
      out.failed++;
      out.errors.push(...r.cellErrors.map((e) => ({ rowNumber: r.rowNumber, column: e.column, reason: e.reason })));
      continue;
    }
    if ((r.values['状态'] ?? '').trim() === LEFT_STATUS) {
      out.skipped++;
      out.errors.push({ rowNumber: r.rowNumber, column: '状态', reason: '已离开的人员不导入，已跳过' });
      continue;
    }
    const v = validateRow(r.rowNumber, r.values, { grids: ctx.grids, scope: ctx.scope, today });
    if (Array.isArray(v)) { out.failed++; out.errors.push(...v); continue; }
    const document = sealedDocument(v.normalized);
    if (document.id_hmac && seenInFile.has(document.id_hmac)) {
      out.skipped++;
      out.errors.push({ rowNumber: v.rowNumber, column: '证件号码', reason: '与本文件中前面的行重复，已跳过' });
      continue;
    }
    if (document.id_hmac) seenInFile.add(document.id_hmac);
    out.valid.push({ ...v, document, sealedPhone: sealedPhone(v.phone), initials: nameInitials(v.name) });
  }
  return out;
}

export { gridIndex };

/**
 * Writes one prepared chunk in the caller's transaction: one statement per table (rows as column
 * arrays), one per kind of counter, one audit event. Rows whose document is already registered
 * (active anywhere, or left) are skipped — a returning person is registered through the form,
 * where the clerk sees the history — and reported as such.
 */
/** `source`: the import job and the address it was asked from, for the chunk's audit event. */
export async function writeChunk(t: Tx, actor: Actor, chunk: PreparedChunk, policy: { packCode: string; version: number }, source?: { jobId: string; ip: string | null }): Promise<ChunkResult> {
  const tx = popTx(t);
  const result: ChunkResult = { succeeded: 0, failed: chunk.failed, skipped: chunk.skipped, errors: [...chunk.errors] };
  // Documents already in the registry (repeats inside the file were caught while preparing).
  const hmacs = chunk.valid.flatMap((v) => (v.document.id_hmac ? [v.document.id_hmac] : []));
  const known = new Set(hmacs.length ? (await tx.selectFrom('persons').select('id_hmac').where('id_hmac', 'in', hmacs).execute()).map((r) => r.id_hmac) : []);
  const fresh = chunk.valid.filter((v) => {
    if (!v.document.id_hmac || !known.has(v.document.id_hmac)) return true;
    result.skipped++;
    result.errors.push({ rowNumber: v.rowNumber, column: '证件号码', reason: '已存在（此证件号码已登记），已跳过' });
    return false;
  });
  const now = new Date();
  const migrantsByGrid = new Map<string, number>();
  // Houses named by their standard address (street, building, unit, room; spaces allowed) in the row's grid.
  const houseOf = await housesByAddress(tx, actor.scope, fresh);
  const placed = fresh.flatMap((v): { v: typeof v; houseId: string | null }[] => {
    if (!v.address) return [{ v, houseId: null }];
    const houseId = houseOf.get(`${v.gridId}|${houseKey(parseHouseAddress(v.address))}`);
    if (houseId) return [{ v, houseId }];
    result.failed++;
    result.errors.push({ rowNumber: v.rowNumber, column: '房屋地址', reason: '本网格未登记该房屋：请按“街路巷门牌号+栋+单元+室”填写已登记的房屋（如 蜀汉街25号12栋3单元504室），或先登记房屋、或留空' });
    return [];
  });
  if (placed.length === 0) return result;
  const persons = [], residences = [], records = [], events = [];
  for (const { v, houseId } of placed) {
    const id = uuidv7();
    persons.push({
      id, id_type: v.idType, ...v.document, name: v.name, name_initials: v.initials, gender: v.gender, birth_date: v.birthDate,
      ethnicity: v.ethnicity, origin: v.origin, education: v.education, occupation: v.occupation, ...v.sealedPhone, employer_id: null,
      status: 'active', grid_id: v.gridId, house_id: houseId, arrived_on: v.arrivedOn, left_on: null, arrival_reason: v.reason,
      review_status: 'reported', created_by: actor.userId, created_at: now, updated_at: now,
    });
    residences.push({ id: uuidv7(), person_id: id, grid_id: v.gridId, house_id: houseId, from_date: v.arrivedOn, to_date: null, arrival_reason: v.reason, departure_reason: null, created_by: actor.userId, created_at: now, ended_by: null, ended_at: null });
    records.push({ id: uuidv7(), kind: 'arrival', person_id: id, house_id: houseId, grid_id: v.gridId, collected_by: actor.userId, collected_at: now, reported_at: now, late: false, review_status: 'reported', entered_by: actor.userId, entered_at: now, reviewed_by: null, reviewed_at: null, return_reasons: null, policy_pack: policy.packCode, policy_version: policy.version, created_at: now });
    events.push({ id: uuidv7(), person_id: id, kind: 'arrived', at: now, actor_id: actor.userId, data: JSON.stringify({ gridId: v.gridId, arrivedOn: v.arrivedOn, source: 'import' }) });
    migrantsByGrid.set(v.gridId, (migrantsByGrid.get(v.gridId) ?? 0) + 1);
  }
  await insertRows(tx, 'persons', persons);
  await insertRows(tx, 'residences', residences);
  await insertRows(tx, 'collection_records', records);
  await insertRows(tx, 'person_events', events);
  const n = placed.length;
  const counters = [...migrantsByGrid].sort(([a], [b]) => (a < b ? -1 : 1)).map(([grid_id, migrants]) => ({ grid_id, migrants, houses: 0, rentals: 0, employers: 0 }));
  await tx.insertInto('population_counters').values(counters)
    .onConflict((oc) => oc.column('grid_id').doUpdateSet({ migrants: sql`population_counters.migrants + excluded.migrants` })).execute();
  // Imported rows are entered (录入) by the importer; collection happened before the system. The
  // importer's counter row keeps the grid it was first created with.
  await tx.insertInto('work_counters').values({ user_id: actor.userId, month: monthOf(now), grid_id: counters[0]!.grid_id, collected: 0, entered: n, passed: 0 })
    .onConflict((oc) => oc.columns(['user_id', 'month']).doUpdateSet({ entered: sql`work_counters.entered + ${n}` })).execute();
  await recordAudit(t, { actorId: actor.userId, actorName: actor.name, action: 'person.import', entity: 'person', ip: source?.ip ?? null, summary: { rows: n, ...(source ? { jobId: source.jobId } : {}) } });
  result.succeeded = n;
  return result;
}

/** The active houses the rows name, keyed `gridId|standard address key`. */
async function housesByAddress(tx: ReturnType<typeof popTx>, scope: DataScope, rows: { gridId: string; address: string | null }[]): Promise<Map<string, string>> {
  const named = rows.filter((v) => v.address);
  if (named.length === 0) return new Map();
  // A house's street part is the typed text up to its building (or the whole text, for a house stored in one piece).
  const streets = [...new Set(named.flatMap((v) => [parseHouseAddress(v.address!).address, addressKey(v.address!), v.address!.trim()]))];
  const grids = [...new Set(named.map((v) => v.gridId))];
  const houses = await tx.selectFrom('houses').select(['id', 'grid_id', 'address', 'building', 'unit_no', 'room'])
    .where('grid_id', 'in', grids).where(inScope(scope, 'houses')).where('address', 'in', streets).where('status', '=', 'active').orderBy('id').execute();
  const out = new Map<string, string>();
  for (const h of houses) {
    const key = `${h.grid_id}|${houseKey(h)}`;
    if (!out.has(key)) out.set(key, h.id);
  }
  return out;
}
