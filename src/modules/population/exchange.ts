import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { recordAudit } from '../../platform/audit/service.js';
import { conflict, forbidden } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { enqueueJob, type JobContext } from '../../platform/jobs/index.js';
import { MAX_GENERATED_BYTES, storeFile } from '../../platform/files/index.js';
import { loadOrgTree, type OrgTree } from '../../platform/org/tree.js';
import { reveal } from './identity.js';
import { jobActor } from './compare.js';
import { formatHouseAddress } from './address.js';
import { todayOffice, unitName } from './common.js';
import { unscopedRead } from '../../platform/org/scoped-tables.js';
import { pop } from './schema.js';

/**
 * 000:43 — 成都市流动人口服务及综合管理信息系统: the street supplies its data to the municipal
 * system as an exchange file, and the date of each synchronisation is logged (exchange_syncs).
 * There is no live link: 流管办 produces the file here and loads it into the municipal system.
 *
 * The file (CSV, UTF-8 with BOM, CRLF, every field quoted, one header row) has one row per person
 * (记录类型 RY) and per house (记录类型 FW) changed in (since, until]: `since` is the `until` of the
 * last successful sync, `until` the moment the sync was asked for. The first sync has no `since` and
 * carries every active person and house. "Changed" is the row's `updated_at`: a person registered,
 * corrected, moved or departed; a house registered or its rental flag changed. 变更类型: I (new
 * since the last sync, or everything in the first), U (changed), D (departed / removed).
 * Codes: 性别 GB/T 2261.1 (1 男, 2 女, 0 未知); 民族 GB/T 3304; 户籍地 GB/T 2260; 文化程度 GB/T 4658;
 * 证件类型 the registry's own codes (resident_id 居民身份证, passport, hk_mo_permit, tw_permit,
 * foreign_permanent_id, none); 网格编码 the grid's org code; dates YYYY-MM-DD, times ISO 8601 UTC.
 * The municipal system needs the real numbers, so ID numbers and phones are in full: the file is a
 * platform file (encrypted at rest, deleted after `files.retentionDays` like every job file),
 * produced and downloaded only by a user holding both `population:exchange` and `person:reveal`
 * (each download audited as file.download); logs and audit summaries carry counts, never numbers.
 */
export const EXCHANGE_JOB = 'population.exchange';
export const EXCHANGE = 'population:exchange';

export const EXCHANGE_HEADERS = [
  '记录类型', '变更类型', '本地编号', '网格编码', '网格', '社区', '证件类型', '证件号码', '姓名', '性别', '出生日期', '民族', '户籍地', '文化程度',
  '联系电话', '居住地址', '来蓉日期', '离开日期', '审核状态', '房主姓名', '房主证件号码', '房主电话', '是否出租', '更新时间',
] as const;

const GENDER: Record<string, string> = { male: '1', female: '2' };
const csvField = (v: unknown): string => `"${(v === null || v === undefined ? '' : String(v)).replace(/"/g, '""')}"`;
const csvLine = (fields: readonly unknown[]): string => `${fields.map(csvField).join(',')}\r\n`;
const iso = (d: Date | string) => new Date(d).toISOString();

function mayExchange(actor: Actor): void {
  if (!actor.permissions.has(EXCHANGE) || !actor.permissions.has('person:reveal')) throw forbidden('只有可导出完整证件号码的流管办人员才能生成市级系统交换文件。');
  if (!actor.scope.all) throw forbidden('市级系统交换文件覆盖全街道，需要全街道的数据范围。');
}

/** POST /population/exchange/syncs — asks for the next exchange file (one at a time). */
export async function startExchange(db: Db, actor: Actor, ip: string | null): Promise<{ syncId: string; jobId: string }> {
  mayExchange(actor);
  try {
    return await inTransaction(db, async (tx) => {
      const p = pop(tx);
      const last = await p.selectFrom('exchange_syncs').select('until').where('status', '=', 'done').orderBy('until', 'desc').limit(1).executeTakeFirst();
      const jobId = await enqueueJob(tx, { kind: EXCHANGE_JOB, params: { ip }, createdBy: actor.userId });
      const syncId = uuidv7();
      await p.insertInto('exchange_syncs').values({ id: syncId, job_id: jobId, requested_by: actor.userId, since: last?.until ?? null, until: new Date(), persons: null, houses: null, file_id: null, finished_at: null }).execute();
      await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: `${EXCHANGE_JOB}.start`, entity: 'job', entityId: jobId, ip, summary: { since: last ? iso(last.until) : null } });
      return { syncId, jobId };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('EXCHANGE_RUNNING', '上一次交换文件仍在生成中，请稍后再试。');
    throw e;
  }
}

type Window = { since: Date | null; until: Date };
const changeOf = (w: Window, created: Date, gone: boolean) => (w.since === null || created > w.since ? 'I' : gone ? 'D' : 'U');

async function personLines(db: Db, tree: OrgTree, w: Window): Promise<string[]> {
  let q = pop(db).selectFrom('persons').leftJoin('houses', 'houses.id', 'persons.house_id').selectAll('persons')
    .select(['houses.address', 'houses.building', 'houses.unit_no', 'houses.room']).where('persons.updated_at', '<=', w.until)
    .where(unscopedRead('the municipal exchange file covers the whole street; producing it needs a street-wide scope'));
  q = w.since === null ? q.where('persons.status', '=', 'active') : q.where('persons.updated_at', '>', w.since);
  const rows = await q.orderBy('persons.id').execute();
  return rows.map((p) => csvLine([
    'RY', changeOf(w, p.created_at, p.status === 'left'), p.id, tree.units.get(p.grid_id)?.code ?? '', unitName(tree, p.grid_id), unitName(tree, tree.units.get(p.grid_id)?.parent_id),
    p.id_type, p.id_enc ? reveal(p.id_enc) : '', p.name, p.gender ? GENDER[p.gender] ?? '0' : '0', p.birth_date ?? '', p.ethnicity ?? '', p.origin ?? '', p.education ?? '',
    p.phone_enc ? reveal(p.phone_enc) : '', formatHouseAddress(p) ?? '', p.arrived_on, p.left_on ?? '', p.review_status, '', '', '', '', iso(p.updated_at),
  ]));
}

async function houseLines(db: Db, tree: OrgTree, w: Window): Promise<string[]> {
  let q = pop(db).selectFrom('houses').selectAll().where('updated_at', '<=', w.until)
    .where(unscopedRead('the municipal exchange file covers the whole street; producing it needs a street-wide scope'));
  q = w.since === null ? q.where('status', '=', 'active') : q.where('updated_at', '>', w.since);
  const rows = await q.orderBy('id').execute();
  return rows.map((h) => csvLine([
    'FW', changeOf(w, h.created_at, h.status === 'removed'), h.id, tree.units.get(h.grid_id)?.code ?? '', unitName(tree, h.grid_id), unitName(tree, tree.units.get(h.grid_id)?.parent_id),
    '', '', '', '', '', '', '', '', '', formatHouseAddress(h) ?? h.address, '', '', '', h.owner_name, h.owner_id_enc ? reveal(h.owner_id_enc) : '',
    h.owner_phone_enc ? reveal(h.owner_phone_enc) : '', h.rental ? '1' : '0', iso(h.updated_at),
  ]));
}

/** The job: writes the file of the sync's window, stores it (encrypted, the job's file) and closes the log row. */
async function runExchange(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const { ip } = job.params as { ip?: string | null };
  const sync = await pop(db).selectFrom('exchange_syncs').selectAll().where('job_id', '=', job.id).executeTakeFirstOrThrow();
  try {
    const actor = await jobActor(db, job.created_by!);
    mayExchange(actor);
    const tree = await loadOrgTree(db);
    const w = { since: sync.since, until: sync.until };
    const [persons, houses] = await Promise.all([personLines(db, tree, w), houseLines(db, tree, w)]);
    const buffer = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvLine(EXCHANGE_HEADERS) + persons.join('') + houses.join(''), 'utf8')]);
    const stored = await storeFile(db, ctx.dataDir, { buffer, originalName: `市级系统交换-${todayOffice()}.csv`, createdBy: actor.userId, allowed: 'any', maxBytes: MAX_GENERATED_BYTES });
    await ctx.attachResultFile(stored.id);
    const n = persons.length + houses.length;
    await ctx.progress({ processed: n, succeeded: n, failed: 0 });
    await inTransaction(db, async (tx) => {
      await pop(tx).updateTable('exchange_syncs').set({ status: 'done', persons: persons.length, houses: houses.length, file_id: stored.id, finished_at: new Date() }).where('id', '=', sync.id).execute();
      await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: EXCHANGE_JOB, entity: 'job', entityId: job.id, ip: ip ?? null, summary: { persons: persons.length, houses: houses.length } });
    });
  } catch (e) {
    await pop(db).updateTable('exchange_syncs').set({ status: 'failed', finished_at: new Date() }).where('id', '=', sync.id).execute();
    throw e;
  }
}

export const exchangeJobKinds = { [EXCHANGE_JOB]: runExchange };

/** GET /population/exchange/syncs — the sync log, newest first; the file is downloadable by who produced it. */
export async function listSyncs(db: Db, actor: Actor, q: { page: number; pageSize: number }) {
  const p = pop(db);
  const [rows, total] = await Promise.all([
    p.selectFrom('exchange_syncs').innerJoin('users', 'users.id', 'exchange_syncs.requested_by').selectAll('exchange_syncs').select('users.name as requested_by_name')
      .orderBy('exchange_syncs.requested_at', 'desc').orderBy('exchange_syncs.id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    p.selectFrom('exchange_syncs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((s) => ({
      id: s.id, jobId: s.job_id, requestedBy: s.requested_by_name, requestedAt: s.requested_at, since: s.since, until: s.until, status: s.status,
      persons: s.persons, houses: s.houses, fileId: s.file_id, mayDownload: s.file_id !== null && s.requested_by === actor.userId, finishedAt: s.finished_at,
    })),
    total: Number(total.n),
  };
}
