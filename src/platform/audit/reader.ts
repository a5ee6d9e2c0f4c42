import type { Db } from '../db/index.js';
import { officeDayEnd, officeDayStart } from '../time.js';
import { loadOrgTree } from '../org/tree.js';
import { auditNameResolver, summaryRef, uuidsOf, type AuditName, type AuditNameResolver } from './names.js';

const unitNames: AuditNameResolver = async (db, ids) => {
  const tree = await loadOrgTree(db);
  const out = new Map<string, AuditName>();
  for (const id of ids) {
    const u = tree.units.get(id);
    if (u) out.set(id, { name: u.name, kind: u.kind });
  }
  return out;
};

/** A staff member: name, and the username beside it. */
const userNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'name', 'username']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, detail: r.username }]));
};

/** A file by its name, with what it belongs to (a job, a grid incident …) as the kind. */
const fileNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const rows = await db.selectFrom('files').select(['id', 'original_name', 'owner_kind']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, { name: r.original_name, kind: r.owner_kind }]));
};

/** A background job by its kind and the file it read (an import, a comparison) or wrote (an export). */
const jobNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const jobs = await db.selectFrom('jobs').select(['id', 'kind', 'params', 'result_file_id']).where('id', 'in', list).execute();
  const sourceOf = (j: (typeof jobs)[number]): string | null => {
    const p = j.params as { fileId?: unknown } | null;
    return typeof p?.fileId === 'string' ? p.fileId : null;
  };
  const fileIds = uuidsOf([...new Set(jobs.flatMap((j) => [sourceOf(j), j.result_file_id].filter((x): x is string => x !== null)))]);
  const files = fileIds.length === 0 ? [] : await db.selectFrom('files').select(['id', 'original_name']).where('id', 'in', fileIds).execute();
  const fileName = new Map(files.map((f) => [f.id, f.original_name]));
  return new Map(jobs.map((j) => {
    const source = sourceOf(j);
    const name = (source ? fileName.get(source) : undefined) ?? (j.result_file_id ? fileName.get(j.result_file_id) : undefined) ?? '';
    return [j.id, { name, kind: j.kind }];
  }));
};

const packNames: AuditNameResolver = async (db, ids) => {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('policy_packs').select(['code', 'name']).where('code', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [r.code, { name: r.name }]));
};

/** A calendar adjustment by its date, the adjustment as the kind. */
const overrideNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const rows = await db.selectFrom('calendar_overrides').select(['id', 'date', 'kind']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, { name: String(r.date), kind: r.kind }]));
};

/** A post held: the unit, the post as the kind. */
const postNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const [rows, tree] = await Promise.all([
    db.selectFrom('staff_posts').select(['id', 'org_unit_id', 'post']).where('id', 'in', list).execute(),
    loadOrgTree(db),
  ]);
  return new Map(rows.map((r) => [r.id, { name: tree.units.get(r.org_unit_id)?.name ?? '', kind: r.post }]));
};

/** A role grant: the role as the kind. */
const grantNames: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const rows = await db.selectFrom('role_grants').select(['id', 'role']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, { name: '', kind: r.role }]));
};

/** The platform's own records; modules add theirs (JiedaoModule.auditNames). */
const PLATFORM_NAMES: Record<string, AuditNameResolver> = {
  org_unit: unitNames,
  user: userNames,
  file: fileNames,
  job: jobNames,
  policy_pack: packNames,
  calendar_override: overrideNames,
  staff_post: postNames,
  role_grant: grantNames,
};
const PLATFORM_REFS: Record<string, string> = {
  gridId: 'org_unit', toGridId: 'org_unit', fromGridId: 'org_unit', orgUnitId: 'org_unit', parentId: 'org_unit', customUnitIds: 'org_unit',
  userId: 'user', fileId: 'file', jobId: 'job', postId: 'staff_post', grantId: 'role_grant',
  'org_unit.move:from': 'org_unit', 'org_unit.move:to': 'org_unit',
  'policy.activate:from': 'policy_pack', 'policy.activate:to': 'policy_pack',
};

const resolverOf = (entity: string): AuditNameResolver | undefined => PLATFORM_NAMES[entity] ?? auditNameResolver(entity);
const refOf = (action: string, key: string): string | undefined =>
  PLATFORM_REFS[`${action}:${key}`] ?? summaryRef(action, key) ?? PLATFORM_REFS[key];

/** The summary as stored (JSON text, or plain text from older writers). */
function parseSummary(text: string): unknown {
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface Row {
  seq: string; at: Date; actor_id: string | null; actor_name: string | null; action: string; entity: string;
  entity_id: string | null; ip: string | null; summary: string; hash: string | null; chain_pos: string | null;
}

/**
 * The names of everything a page of events refers to — actors, the records acted on, the units,
 * people and files its summaries name — gathered by entity type and looked up with one query per
 * type (the number of queries does not grow with the page).
 */
async function namesFor(db: Db, rows: (Row & { parsed: unknown })[]) {
  const wanted = new Map<string, Set<string>>();
  const want = (entity: string, id: unknown) => {
    if (typeof id !== 'string' || id === '' || !resolverOf(entity)) return;
    let s = wanted.get(entity);
    if (!s) wanted.set(entity, (s = new Set()));
    s.add(id);
  };
  for (const r of rows) {
    if (r.actor_id) want('user', r.actor_id);
    if (r.entity_id) want(r.entity, r.entity_id);
    if (r.parsed && typeof r.parsed === 'object' && !Array.isArray(r.parsed)) {
      for (const [k, v] of Object.entries(r.parsed as Record<string, unknown>)) {
        const ref = refOf(r.action, k);
        if (!ref) continue;
        for (const id of Array.isArray(v) ? v : [v]) want(ref, id);
      }
    }
  }
  const resolved = await Promise.all([...wanted].map(async ([entity, ids]) => [entity, await resolverOf(entity)!(db, [...ids])] as const));
  const byEntity = new Map(resolved);
  return (entity: string, id: unknown): AuditName | undefined => (typeof id === 'string' ? byEntity.get(entity)?.get(id) : undefined);
}

/** Audit events for the audit admin, newest first; dates are calendar days in Asia/Shanghai. */
export async function listAuditEvents(db: Db, q: {
  actor?: string; entity?: string; entityId?: string; action?: string; from?: string; to?: string; page: number; pageSize: number;
}) {
  let base = db.selectFrom('audit_events');
  if (q.actor) base = base.where('actor_id', '=', q.actor);
  if (q.entity) base = base.where('entity', '=', q.entity);
  if (q.entityId) base = base.where('entity_id', '=', q.entityId);
  if (q.action) base = base.where('action', '=', q.action);
  if (q.from) base = base.where('at', '>=', officeDayStart(q.from));
  if (q.to) base = base.where('at', '<', officeDayEnd(q.to));
  const [rows, total] = await Promise.all([
    base.select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary', 'hash', 'chain_pos'])
      .orderBy('seq', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const parsed = (rows as Row[]).map((r) => ({ ...r, parsed: parseSummary(r.summary) }));
  const nameOf = await namesFor(db, parsed);
  return {
    items: parsed.map((r) => {
      const summary = r.parsed && typeof r.parsed === 'object' && !Array.isArray(r.parsed) ? (r.parsed as Record<string, unknown>) : null;
      // Ids the summary names → their names (only those found), with the entity type they are of.
      const names: Record<string, AuditName & { entity: string }> = {};
      for (const [k, v] of Object.entries(summary ?? {})) {
        const ref = refOf(r.action, k);
        if (!ref) continue;
        for (const id of Array.isArray(v) ? v : [v]) {
          const n = nameOf(ref, id);
          if (n) names[String(id)] = { ...n, entity: ref };
        }
      }
      const actor = r.actor_id ? nameOf('user', r.actor_id) : undefined;
      return {
        seq: String(r.seq), at: r.at, actorId: r.actor_id, actorName: r.actor_name,
        /** The actor's username (a failed login has no actor: the name typed is `actorName`). */
        actorUsername: actor?.detail ?? null,
        action: r.action, entity: r.entity, entityId: r.entity_id, ip: r.ip, summary: r.summary,
        sealed: r.hash !== null && r.chain_pos !== null,
        /** The record acted on, in words (null when it is not known any more, or names nothing). */
        object: objectOf(r, summary, nameOf),
        names,
      };
    }),
    total: Number(total.n),
  };
}

/** What an event acted on, named: the record itself, or for a session the person whose session it is. */
function objectOf(r: Row, summary: Record<string, unknown> | null, nameOf: (entity: string, id: unknown) => AuditName | undefined): (AuditName & { entity: string }) | null {
  if (r.entity === 'session') {
    // Login, token and logout: the actor's own session; a forced end names the session's owner.
    const owner = nameOf('user', summary?.userId ?? r.actor_id);
    return owner ? { ...owner, entity: 'user' } : null;
  }
  if (r.entity_id) {
    const n = nameOf(r.entity, r.entity_id);
    if (n) return { ...n, entity: r.entity };
    if (r.entity === 'calendar_year') return { name: r.entity_id, entity: r.entity };
  }
  // A failed login names the account typed (known or not), never anything else.
  if (r.entity === 'user' && typeof summary?.username === 'string') return { name: summary.username, entity: r.entity };
  return null;
}
