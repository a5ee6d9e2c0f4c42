import type { z } from 'zod';
import { inTransaction, type Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { recordAudit } from '../audit/service.js';
import { conflict, notFound, unprocessable, type ErrorDetail } from '../http/errors.js';
import { defaultPacks, DEFAULT_PACK_CODE } from './packs.js';
import { policyPackSchema, type PolicyPack } from './schema.js';
import { diffDocuments, type DiffEntry } from './diff.js';
import { officeToday } from '../time.js';
import type { Actor } from '../auth/actor.js';
import { nowAndAfterCommit } from '../db/request-scope.js';

/**
 * Policy packs (制度参数包): versioned documents holding every number the services apply.
 * Services call `activePolicy(db)`; decisions record `policy.version` they used.
 */
export interface ActivePolicy {
  packCode: string;
  version: number;
  pack: PolicyPack;
}

let cache: { db: Db; value: ActivePolicy; at: number } | null = null;
/** Other processes may switch packs: re-read at most this often. */
const MAX_AGE_MS = 2000;

export function invalidatePolicyCache(): void {
  nowAndAfterCommit(() => { cache = null; });
}

export function validatePack(document: unknown): { ok: true; pack: PolicyPack } | { ok: false; details: ErrorDetail[] } {
  const r = policyPackSchema().safeParse(document);
  if (r.success) return { ok: true, pack: r.data as PolicyPack };
  return { ok: false, details: zodIssuesToDetails(r.error) };
}

const pathText = (path: readonly PropertyKey[]) =>
  path.map((p, idx) => (typeof p === 'number' ? `[${p}]` : idx === 0 ? String(p) : `.${String(p)}`)).join('');

export function zodIssuesToDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.flatMap((i) => {
    // An unknown key is reported on its parent object: name each key instead (`bogus`, `security.lockout.extra`).
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => ({ path: pathText([...i.path, k]), code: 'UNRECOGNIZED_KEYS', message: i.message }));
    }
    return [{ path: pathText(i.path), code: i.code.toUpperCase(), message: i.message }];
  });
}

/** Creates the shipped packs (version 1 each) and activates the default, on an empty database. */
export async function installDefaultPacks(db: Db): Promise<void> {
  await inTransaction(db, async (tx) => {
    const existing = await tx.selectFrom('policy_packs').select('code').execute();
    const have = new Set(existing.map((r) => r.code));
    for (const [code, pack] of Object.entries(defaultPacks())) {
      if (have.has(code)) continue;
      await tx.insertInto('policy_packs').values({ code, name: pack.meta.name }).execute();
      await tx.insertInto('policy_versions').values({
        id: uuidv7(), pack_code: code, version: 1, document: JSON.stringify(pack), author_id: null,
        reason: '系统内置默认制度', decision_ref: null, effective_from: '2000-01-01', diff: JSON.stringify([]),
      }).execute();
    }
    const active = await tx.selectFrom('policy_activations').select('id').limit(1).executeTakeFirst();
    if (!active) {
      await tx.insertInto('policy_activations').values({
        id: uuidv7(), pack_code: DEFAULT_PACK_CODE, activated_by: null, reason: '系统初始化',
      }).execute();
    }
  });
}

export { officeToday };

/** The version in force: the newest one whose effective date has come. */
async function inForceVersionRow(db: Db, packCode: string) {
  return db.selectFrom('policy_versions').selectAll().where('pack_code', '=', packCode)
    .where('effective_from', '<=', officeToday()).orderBy('version', 'desc').limit(1).executeTakeFirst();
}
async function latestVersionRow(db: Db, packCode: string) {
  return db.selectFrom('policy_versions').selectAll().where('pack_code', '=', packCode)
    .orderBy('version', 'desc').limit(1).executeTakeFirst();
}

async function activePackCode(db: Db): Promise<string> {
  const row = await db.selectFrom('policy_activations').select('pack_code')
    .orderBy('activated_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.pack_code ?? DEFAULT_PACK_CODE;
}

/**
 * A stored version as the current code reads it: sections a newer module added are filled from the
 * shipped defaults, fields a section added later from its schema's defaults. A version the current
 * schema refuses is never used (InvalidPolicyPackError names its paths).
 */
function storedPack(packCode: string, document: unknown): { ok: true; pack: PolicyPack } | { ok: false; details: ErrorDetail[] } {
  const defaults = defaultPacks()[packCode] ?? defaultPacks()[DEFAULT_PACK_CODE]!;
  return validatePack({ ...defaults, ...(document as PolicyPack) });
}

export class InvalidPolicyPackError extends Error {
  constructor(readonly problems: { packCode: string; version: number; details: ErrorDetail[] }[]) {
    super(`制度参数包不符合当前程序的参数定义，服务器拒绝使用：${problems.map((p) => `${p.packCode} 第 ${p.version} 版：${p.details.map((d) => `${d.path || '(整体)'}（${d.message}）`).join('；')}`).join('。')}。请由系统管理员按上述路径修正该版本（或回退程序版本）后再启动。`);
  }
}

/**
 * Start-up check (server/bootstrap.ts): every version of every pack that is in force or will come
 * into force must be readable by the current schema; otherwise the server refuses to start, naming
 * the pack, the version and the paths, instead of running on rules it cannot read.
 */
export async function checkStoredPacks(db: Db): Promise<void> {
  const today = officeToday();
  const rows = await db.selectFrom('policy_versions').select(['pack_code', 'version', 'effective_from', 'document']).orderBy('pack_code').orderBy('version').execute();
  const inForce = new Map<string, number>();
  for (const r of rows) if (r.effective_from <= today) inForce.set(r.pack_code, Math.max(inForce.get(r.pack_code) ?? 0, r.version));
  const problems: InvalidPolicyPackError['problems'] = [];
  for (const r of rows) {
    if (r.effective_from <= today && r.version !== inForce.get(r.pack_code)) continue; // superseded history
    const checked = storedPack(r.pack_code, r.document);
    if (!checked.ok) problems.push({ packCode: r.pack_code, version: r.version, details: checked.details });
  }
  if (problems.length) throw new InvalidPolicyPackError(problems);
}

export async function activePolicy(db: Db): Promise<ActivePolicy> {
  const now = Date.now();
  if (cache && cache.db === db && now - cache.at < MAX_AGE_MS) return cache.value;
  const packCode = await activePackCode(db);
  const row = await inForceVersionRow(db, packCode);
  if (!row) throw new Error(`policy pack ${packCode} has no version; was the database initialised?`);
  // A stored pack may predate a section a newer module added: fill missing sections from the
  // defaults, and missing fields of a section from its schema's defaults (`.default(n)`). A stored
  // pack the current schema refuses is used as it is rather than taking the app down.
  const checked = storedPack(packCode, row.document);
  if (!checked.ok) throw new InvalidPolicyPackError([{ packCode, version: row.version, details: checked.details }]);
  const value = { packCode, version: row.version, pack: checked.pack };
  cache = { db, value, at: now };
  return value;
}

export async function listPacks(db: Db) {
  const active = await activePackCode(db);
  const packs = await db.selectFrom('policy_packs').selectAll().orderBy('code').execute();
  const out = [];
  for (const p of packs) {
    const [v, latest] = await Promise.all([inForceVersionRow(db, p.code), latestVersionRow(db, p.code)]);
    out.push({ code: p.code, name: p.name, active: p.code === active, currentVersion: v?.version ?? 0, latestVersion: latest?.version ?? 0 });
  }
  return out;
}

export async function getPack(db: Db, code: string) {
  const pack = await db.selectFrom('policy_packs').selectAll().where('code', '=', code).executeTakeFirst();
  if (!pack) throw notFound('未找到该制度参数包。');
  const [v, latest] = await Promise.all([inForceVersionRow(db, code), latestVersionRow(db, code)]);
  // `document` is the version in force; `latestVersion` > `currentVersion` means a version awaits its effective date.
  return {
    code, name: pack.name, active: (await activePackCode(db)) === code, currentVersion: v?.version ?? 0, latestVersion: latest?.version ?? 0,
    pendingEffectiveFrom: latest && latest.version !== v?.version ? latest.effective_from : null, document: v?.document ?? null,
  };
}

const versionSummary = ['version', 'author_id', 'created_at', 'reason', 'decision_ref', 'effective_from'] as const;

export async function listVersions(db: Db, code: string, p: { page: number; pageSize: number }) {
  await getPack(db, code);
  const rows = await db.selectFrom('policy_versions as v').leftJoin('users as u', 'u.id', 'v.author_id')
    .select([...versionSummary.map((c) => `v.${c}` as const), 'u.name as author_name'])
    .where('v.pack_code', '=', code).orderBy('v.version', 'desc')
    .limit(p.pageSize).offset((p.page - 1) * p.pageSize).execute();
  const total = await db.selectFrom('policy_versions').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('pack_code', '=', code).executeTakeFirstOrThrow();
  return { items: rows.map(toVersionDto), total: Number(total.n) };
}

function toVersionDto(r: { version: number; author_id: string | null; author_name?: string | null; created_at: Date; reason: string; decision_ref: string | null; effective_from: string }) {
  return {
    version: r.version, author: r.author_id, authorName: r.author_name ?? null, createdAt: r.created_at,
    reason: r.reason, decisionRef: r.decision_ref, effectiveFrom: r.effective_from,
  };
}

export async function getVersion(db: Db, code: string, version: number) {
  const r = await db.selectFrom('policy_versions as v').leftJoin('users as u', 'u.id', 'v.author_id')
    .selectAll('v').select('u.name as author_name')
    .where('v.pack_code', '=', code).where('v.version', '=', version).executeTakeFirst();
  if (!r) throw notFound('未找到该版本。');
  return { ...toVersionDto(r), document: r.document, diff: r.diff as DiffEntry[] };
}

export interface NewVersionInput { document: unknown; reason: string; decisionRef: string; effectiveFrom: string }

/**
 * Saves an edited pack as a new version; invalid documents are refused with the path of each error.
 * The effective date may not be earlier than the latest version's (`INVALID_EFFECTIVE_DATE`), so a
 * version awaiting its date is never silently cancelled by a later-saved one dated sooner.
 */
export async function createVersion(db: Db, actor: Actor, code: string, input: NewVersionInput, ip: string | null) {
  const checked = validatePack(input.document);
  if (!checked.ok) throw unprocessable('POLICY_INVALID', '制度参数不符合要求，未保存。', checked.details);
  return inTransaction(db, async (tx) => {
    const current = await tx.selectFrom('policy_versions').selectAll().where('pack_code', '=', code)
      .orderBy('version', 'desc').limit(1).forUpdate().executeTakeFirst();
    if (!current) throw notFound('未找到该制度参数包。');
    // The version in force is the highest-numbered one whose date has come: a new version dated
    // before the latest one would overtake it and a pending version would never apply.
    if (input.effectiveFrom < current.effective_from) {
      const pending = current.effective_from > officeToday();
      throw unprocessable('INVALID_EFFECTIVE_DATE', `生效日期不能早于最新版本（第 ${current.version} 版）的生效日期 ${current.effective_from}，未保存。`, [{
        path: 'effectiveFrom', code: 'BEFORE_LATEST_VERSION',
        message: pending
          ? `第 ${current.version} 版待 ${current.effective_from} 生效；更早生效的新版本会使它永远不生效。生效日期应不早于 ${current.effective_from}。`
          : `生效日期应不早于 ${current.effective_from}。`,
      }]);
    }
    const diff = diffDocuments(current.document, checked.pack);
    if (diff.length === 0) throw unprocessable('POLICY_UNCHANGED', '与当前版本相同，无需保存新版本。');
    const version = current.version + 1;
    await tx.insertInto('policy_versions').values({
      id: uuidv7(), pack_code: code, version, document: JSON.stringify(checked.pack), author_id: actor.userId,
      reason: input.reason, decision_ref: input.decisionRef, effective_from: input.effectiveFrom, diff: JSON.stringify(diff),
    }).execute();
    await recordAudit(tx, {
      actorId: actor.userId, actorName: actor.name, action: 'policy.version_create', entity: 'policy_pack', entityId: code, ip,
      summary: { version, changedPaths: diff.map((d) => d.path).slice(0, 50), decisionRef: input.decisionRef },
    });
    return getVersion(tx, code, version);
  }).finally(invalidatePolicyCache); // after commit, so no request re-caches the old pack
}

export async function activatePack(db: Db, actor: Actor, code: string, reason: string, ip: string | null) {
  return inTransaction(db, async (tx) => {
    const pack = await tx.selectFrom('policy_packs').select('code').where('code', '=', code).executeTakeFirst();
    if (!pack) throw notFound('未找到该制度参数包。');
    const current = await tx.selectFrom('policy_activations').select('pack_code')
      .orderBy('activated_at', 'desc').orderBy('id', 'desc').limit(1).forUpdate().executeTakeFirst();
    if (current?.pack_code === code) throw conflict('POLICY_ALREADY_ACTIVE', '该制度参数包已在使用中。');
    await tx.insertInto('policy_activations').values({ id: uuidv7(), pack_code: code, activated_by: actor.userId, reason }).execute();
    await recordAudit(tx, {
      actorId: actor.userId, actorName: actor.name, action: 'policy.activate', entity: 'policy_pack', entityId: code, ip,
      summary: { from: current?.pack_code ?? null, to: code, reason },
    });
    return getPack(tx, code);
  }).finally(invalidatePolicyCache);
}
