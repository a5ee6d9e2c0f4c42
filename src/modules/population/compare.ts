import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { Actor } from '../../platform/auth/actor.js';
import type { Db } from '../../platform/db/index.js';
import { recordAudit } from '../../platform/audit/service.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { loadProfile } from '../../platform/org/profile.js';
import type { DataScope } from '../../platform/org/scope.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import type { JobContext } from '../../platform/jobs/index.js';
import { attachFile, MAX_GENERATED_BYTES, openFile, storeFile, type OpenedFile } from '../../platform/files/index.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import { readXlsxRows, streamXlsxExport } from '../../platform/excel/index.js';
import { checkDocument, idIndex } from './identity.js';
import { pop } from './schema.js';
import { todayOffice, unitName } from './common.js';

/**
 * 比对: the police liaison uploads a list of ID numbers (a column 证件号码) and the job compares each
 * row against the registry, within the uploader's scope: registered and living here (在住登记), left
 * (已离开, with the date), not in the registry (库中无此人), or not a valid number (号码无效).
 *
 * The result gives the uploader back their own numbers, exactly as the cell read, so a row the
 * registry does not know can be matched back to their list; the registry's side stays masked (the
 * matched person's masked number). Those numbers live only in the result file (encrypted at rest,
 * owned by the job, expired with the job's other files after `files.retentionDays`). The file is not
 * offered as the job's generic result download: it is read through the comparison's own routes,
 * which only the uploader or someone holding `person:compare` over the same scope may use, and each
 * view (`population.compare.view`) and download (`population.compare.download`) is audited — with
 * counts, never with a number.
 */
export const COMPARE_JOB = 'population.compare';
const CHUNK = 1000;

export const COMPARE_RESULTS = ['registered', 'left', 'unknown', 'invalid'] as const;
export type CompareResult = (typeof COMPARE_RESULTS)[number];
const RESULT_NAME: Record<CompareResult, string> = { registered: '在住登记', left: '已离开', unknown: '库中无此人', invalid: '号码无效' };
const RESULT_BY_NAME = new Map(Object.entries(RESULT_NAME).map(([k, v]) => [v, k as CompareResult]));

const COLUMNS = [
  { header: '行号', key: 'rowNumber', width: 8 },
  { header: '上传的证件号码', key: 'uploaded', width: 22 },
  { header: '比对结果', key: 'result', width: 12 },
  { header: '库中证件号码（脱敏）', key: 'registryMasked', width: 22 },
  { header: '所在网格', key: 'grid', width: 18 },
  { header: '离开日期', key: 'leftOn', width: 12 },
] as const;
const HEADERS = COLUMNS.map((c) => c.header);

export type CompareCounts = Record<CompareResult, number>;
export interface CompareJobResult extends CompareCounts { rows: number }

/** The job's creator as an actor: their scope and permissions as of now. */
export async function jobActor(db: Db, userId: string): Promise<Actor> {
  const profile = await loadProfile(db, userId);
  if (!profile || profile.status !== 'active') throw new Error('发起任务的账号已停用。');
  return { ...profile, session: { id: 'job', kind: 'bearer', csrfToken: '' } };
}

export async function runCompare(ctx: JobContext): Promise<void> {
  const { db, job } = ctx;
  const params = job.params as { fileId: string; ip?: string };
  const actor = await jobActor(db, job.created_by!);
  const tree = await loadOrgTree(db);
  const source = await openFile(db, params.fileId);
  const out = path.join(os.tmpdir(), `jiedao-compare-${job.id}.xlsx`);
  const today = todayOffice();
  let processed = 0;
  const counts: CompareCounts = { registered: 0, left: 0, unknown: 0, invalid: 0 };
  async function* results() {
    let batch: { rowNumber: number; raw: string }[] = [];
    const flush = async function* () {
      const keyed = batch.map((b) => {
        try { const d = checkDocument('resident_id', b.raw, today); return { ...b, key: d.normalized ? idIndex(d.normalized) : null }; } catch { return { ...b, key: null }; }
      });
      const keys = keyed.flatMap((k) => (k.key ? [k.key] : []));
      const found = keys.length ? await pop(db).selectFrom('persons').select(['id_hmac', 'status', 'grid_id', 'left_on', 'id_masked'])
        .where('id_hmac', 'in', keys).where(inScope(actor.scope, 'persons')).execute() : [];
      const byKey = new Map(found.map((f) => [f.id_hmac, f]));
      for (const k of keyed) {
        processed++;
        const p = k.key ? byKey.get(k.key) : undefined;
        const result: CompareResult = !k.key ? 'invalid' : !p ? 'unknown' : p.status === 'active' ? 'registered' : 'left';
        counts[result]++;
        yield {
          rowNumber: k.rowNumber, uploaded: k.raw, result: RESULT_NAME[result], registryMasked: p?.id_masked ?? null,
          grid: p ? unitName(tree, p.grid_id) : null, leftOn: p?.left_on ?? null,
        };
      }
      batch = [];
    };
    for await (const row of readXlsxRows(source.stream(), { expectedHeaders: ['证件号码'], allowExtraHeaders: true })) {
      batch.push({ rowNumber: row.rowNumber, raw: row.values['证件号码'] ?? '' });
      if (batch.length >= CHUNK) { yield* flush(); await ctx.progress({ processed, succeeded: processed, failed: 0 }); }
    }
    yield* flush();
  }
  try {
    await streamXlsxExport(out, [...COLUMNS], results());
    const stored = await storeFile(db, ctx.dataDir, { path: out, originalName: `比对结果-${today}.xlsx`, createdBy: actor.userId, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    // Owned by the job (its retention, its readers) but not its generic result download: see above.
    await attachFile(db, stored.id, 'job', job.id);
    await ctx.progress({ processed, succeeded: processed - counts.invalid, failed: counts.invalid });
    const result: CompareJobResult = { ...counts, rows: processed };
    await ctx.setResult(result);
    await recordAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'person.search', entity: 'person', ip: params.ip ?? null, summary: { kind: 'compare', rows: processed, jobId: job.id } });
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/** Does `viewer` hold `person:compare` over at least the uploader's scope (an empty one covers nobody else)? */
const covers = (viewer: DataScope, uploader: DataScope) =>
  viewer.all || (!uploader.all && uploader.unitIds.size > 0 && [...uploader.unitIds].every((id) => viewer.unitIds.has(id)));

/**
 * The finished comparison `jobId` as `actor` may read it: the uploader, or someone holding
 * `person:compare` whose scope covers the uploader's. Anyone else gets 404 (its existence never leaks).
 */
async function readableComparison(db: Db, actor: Actor, jobId: string): Promise<{ file: OpenedFile; result: CompareJobResult }> {
  const job = await db.selectFrom('jobs').select(['id', 'kind', 'status', 'created_by', 'params', 'result']).where('id', '=', jobId).executeTakeFirst();
  const missing = () => notFound('未找到该比对结果。');
  if (!job || job.kind !== COMPARE_JOB || job.status !== 'done' || !job.created_by) throw missing();
  const compareScope = actor.scopeByPermission.get('person:compare');
  if (!compareScope) throw missing();
  if (job.created_by !== actor.userId) {
    const uploader = await loadProfile(db, job.created_by);
    const uploaderScope = uploader?.scopeByPermission.get('person:compare');
    if (!uploaderScope || !covers(compareScope, uploaderScope)) throw missing();
  }
  const sourceId = (job.params as { fileId: string }).fileId;
  const row = await db.selectFrom('files').select('id').where('owner_kind', '=', 'job').where('owner_id', '=', job.id).where('id', '!=', sourceId)
    .orderBy('id', 'desc').executeTakeFirst();
  if (!row) throw missing();
  const result = job.result as Partial<CompareJobResult> | null;
  // A comparison made before the uploaded numbers were kept has no `rows` count and another layout.
  if (typeof result?.rows !== 'number') throw new AppError(410, 'COMPARISON_OUTDATED', '该比对结果由旧版本生成，不含您上传的号码，请重新上传名单比对。');
  return { file: await openFile(db, row.id), result: result as CompareJobResult };
}

export interface CompareRow {
  rowNumber: number; uploaded: string; result: CompareResult; registryMasked: string | null; grid: string | null; leftOn: string | null;
}

/**
 * One page of a finished comparison's rows in file order, optionally only one result; audited as
 * `population.compare.view` (the page and how many rows it showed).
 */
export async function comparisonRows(
  db: Db, actor: Actor, jobId: string, q: { page: number; pageSize: number; result?: CompareResult }, ip: string | null,
): Promise<{ items: CompareRow[]; total: number; page: number; pageSize: number; counts: CompareJobResult }> {
  const { file, result } = await readableComparison(db, actor, jobId);
  const skip = (q.page - 1) * q.pageSize;
  const items: CompareRow[] = [];
  let seen = 0;
  for await (const row of readXlsxRows(file.stream(), { expectedHeaders: HEADERS })) {
    const v = row.values;
    const code = RESULT_BY_NAME.get(v['比对结果'] ?? '') ?? 'invalid';
    if (q.result && code !== q.result) continue;
    if (seen++ < skip) continue;
    items.push({
      rowNumber: Number(v['行号']), uploaded: v['上传的证件号码'] ?? '', result: code, registryMasked: v['库中证件号码（脱敏）'] || null,
      grid: v['所在网格'] || null, leftOn: v['离开日期'] || null,
    });
    if (items.length >= q.pageSize) break;
  }
  await recordAudit(db, {
    actorId: actor.userId, actorName: actor.name, action: 'population.compare.view', entity: 'job', entityId: jobId, ip,
    summary: { page: q.page, rows: items.length },
  });
  return { items, total: q.result ? result[q.result] : result.rows, page: q.page, pageSize: q.pageSize, counts: result };
}

/** The result file for download; audited as `population.compare.download`. */
export async function comparisonDownload(db: Db, actor: Actor, jobId: string, ip: string | null): Promise<OpenedFile> {
  const { file, result } = await readableComparison(db, actor, jobId);
  await recordAudit(db, { actorId: actor.userId, actorName: actor.name, action: 'population.compare.download', entity: 'job', entityId: jobId, ip, summary: { rows: result.rows } });
  return file;
}
