import fs from 'node:fs';
import path from 'node:path';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { dataKeys } from '../crypto/keys.js';

/**
 * Audit log (审计日志): one event per write, login/logout/failure and read of personal data.
 * Events are inserted in the same transaction as the work they describe, unsealed; the
 * sealer links them into a keyed hash chain (HMAC-SM3 under a key derived from the data key) in
 * batches (so audit writing never serialises requests). The table is append-only (trigger): rows
 * are inserted unsealed (hash and chain_pos null) and the only update that passes is the sealer's
 * one-time setting of both, nothing else changed. Whoever can only write the database cannot
 * compute a link: a forged or altered row breaks the chain. The sealer anchors the head in a file
 * of the data directory, signed with the same key (`audit-head.json`), and refuses to seal once the
 * chain no longer holds the anchored link (rows cleared for re-sealing). Verification only reads;
 * record its chain head outside the system as well (`npm run audit:verify`, `/metrics`).
 */
export interface AuditEntry {
  actorId: string | null;
  actorName?: string | null;
  /** `<entity>.<verb>`, e.g. `auth.login`, `person.read`. */
  action: string;
  entity: string;
  entityId?: string | null;
  ip?: string | null;
  /** Free text or structured summary — never ID numbers, phones or names of residents. */
  summary?: string | Record<string, unknown>;
}

const auditRow = (e: AuditEntry) => ({
  at: new Date(),
  actor_id: e.actorId,
  actor_name: e.actorName ?? null,
  action: e.action,
  entity: e.entity,
  entity_id: e.entityId ?? null,
  ip: e.ip ?? null,
  summary: typeof e.summary === 'string' ? e.summary : JSON.stringify(e.summary ?? {}),
});

export async function recordAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(e)).execute();
}

/**
 * The event of a read of personal data (a search, a person's page, a reveal), written before the
 * answer goes out like every event, so it is in the table (and sealed in the next batch) whatever
 * happens to this process. Outside a transaction its one-statement commit does not wait for the
 * database's WAL flush (`synchronous_commit` off for that statement only, set while the row is
 * inserted): that wait was most of a search's cost over its SQL. Only a crash of the database
 * server itself within its WAL writer's delay (a fraction of a second) can lose such an event; the
 * events of writes commit with their write, durably. Inside a transaction it is a plain insert, so
 * the enclosing transaction's commit stays synchronous.
 */
export async function recordReadAudit(db: Db, e: AuditEntry): Promise<void> {
  if (db.isTransaction) {
    await db.insertInto('audit_events').values(auditRow(e)).execute();
    return;
  }
  await db.insertInto('audit_events').values(auditRow(e))
    .returning(sql<string>`set_config('synchronous_commit', 'off', true)`.as('async_commit')).execute();
}

interface ChainRow {
  seq: string; at: Date; actor_id: string | null; actor_name: string | null; action: string;
  entity: string; entity_id: string | null; ip: string | null; summary: string;
}

/** The chain's key: HMAC-SM3 of a purpose label under the data MAC key (never stored anywhere). */
function chainKey(): Buffer {
  return createHmac('sm3', dataKeys().macKey).update('jiedao-audit-chain-v1').digest();
}

const canonicalOf = (r: ChainRow) => JSON.stringify([
  r.seq, new Date(r.at).toISOString(), r.actor_id, r.actor_name, r.action, r.entity, r.entity_id, r.ip, r.summary,
]);

/** The keyed hash of one event (every column), linked to the previous one. */
export function eventHash(prevHash: string, r: ChainRow, key = chainKey()): string {
  return createHmac('sm3', key).update(prevHash).update('\n').update(canonicalOf(r)).digest('hex');
}

/** Links sealed before the chain was keyed (unkeyed SHA-256): only at positions before `keyedFrom`. */
function legacyEventHash(prevHash: string, r: ChainRow): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalOf(r)).digest('hex');
}

/** The first keyed position (meta `audit_chain_keyed_from`, set by the migration that keyed the chain). */
async function keyedFrom(db: Db): Promise<number> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', 'audit_chain_keyed_from').executeTakeFirst();
  return row ? Number(row.value) : 1;
}

// ---------------------------------------------------------------- the signed head anchor (data directory)

/** The chain head as last anchored by this server: position, hash, and its signature. */
export interface HeadAnchor { pos: number; hash: string; keyedFrom: number; at: string }
const ANCHOR_FILE = 'audit-head.json';
const anchorMac = (a: HeadAnchor, key: Buffer) => createHmac('sm3', key).update(JSON.stringify([a.pos, a.hash, a.keyedFrom, a.at])).digest('hex');

export class AuditAnchorError extends Error {}

/** Reads the anchor; null when there is none yet. A file whose signature fails is an error, never ignored. */
export function readHeadAnchor(dir: string): HeadAnchor | null {
  const file = path.join(dir, ANCHOR_FILE);
  if (!fs.existsSync(file)) return null;
  let parsed: HeadAnchor & { mac?: string };
  try { parsed = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { throw new AuditAnchorError(`审计链头锚定文件 ${file} 无法读取。`); }
  const expected = Buffer.from(anchorMac(parsed, chainKey()), 'hex');
  const given = Buffer.from(String(parsed.mac ?? ''), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AuditAnchorError(`审计链头锚定文件 ${file} 的签名不符：文件被改动过。`);
  return { pos: parsed.pos, hash: parsed.hash, keyedFrom: parsed.keyedFrom, at: parsed.at };
}

function writeHeadAnchor(dir: string, a: HeadAnchor): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, ANCHOR_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ ...a, mac: anchorMac(a, chainKey()) }), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Whether the chain still holds the anchored link (the position with the same hash). */
async function holdsLink(db: Db, link: { pos: number; hash: string }): Promise<boolean> {
  if (link.pos === 0) return link.hash === GENESIS_HASH;
  const row = await db.selectFrom('audit_events').select('hash').where('chain_pos', '=', String(link.pos)).executeTakeFirst();
  return row?.hash === link.hash;
}

/** The last sealed link (position 0 and the genesis hash for an empty chain). */
export async function chainHead(db: Db): Promise<{ pos: number; hash: string }> {
  const last = await db.selectFrom('audit_events').select(['chain_pos', 'hash'])
    .where('chain_pos', 'is not', null).orderBy('chain_pos', 'desc').limit(1).executeTakeFirst();
  return last ? { pos: Number(last.chain_pos), hash: last.hash! } : { pos: 0, hash: GENESIS_HASH };
}

export const GENESIS_HASH = '0'.repeat(64);
/** Advisory lock key: one sealer at a time across server processes. */
const SEAL_LOCK = 7_411_001;

/**
 * Seals up to `limit` unsealed events in seq order; returns how many it sealed. With `anchorDir`
 * (the server's data directory) it first checks that the chain still holds the anchored head —
 * otherwise sealed rows were cleared or deleted, and sealing them again would hide it, so it
 * refuses (AuditAnchorError) — and anchors the new head after sealing.
 */
export async function sealAuditEvents(db: Db, limit = 2000, opts: { anchorDir?: string } = {}): Promise<number> {
  const key = chainKey();
  const sealed = await db.transaction().execute(async (tx) => {
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${SEAL_LOCK}) as ok`.execute(tx);
    if (!lock.rows[0]?.ok) return null;
    const anchor = opts.anchorDir ? readHeadAnchor(opts.anchorDir) : null;
    if (anchor && !(await holdsLink(tx, anchor))) {
      throw new AuditAnchorError(`审计日志哈希链不再包含已锚定的链头（位置 ${anchor.pos}）：已封链的记录被清除或删除。封链已停止，请审计管理员核查（npm run audit:verify）。`);
    }
    const head = await chainHead(tx);
    const rows = await tx.selectFrom('audit_events')
      .select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary'])
      .where('hash', 'is', null).where('chain_pos', 'is', null).orderBy('seq').limit(limit).execute();
    if (rows.length === 0) return { count: 0, head, anchor };
    let prev = head.hash;
    let pos = BigInt(head.pos);
    const updates = rows.map((r) => {
      pos += 1n;
      prev = eventHash(prev, r as ChainRow, key);
      return { seq: String(r.seq), pos: pos.toString(), hash: prev };
    });
    for (let i = 0; i < updates.length; i += 500) {
      const chunk = updates.slice(i, i + 500);
      const values = sql.join(chunk.map((u) => sql`(${u.seq}::bigint, ${u.pos}::bigint, ${u.hash})`));
      await sql`update audit_events a set chain_pos = v.pos, hash = v.hash
        from (values ${values}) as v(seq, pos, hash) where a.seq = v.seq`.execute(tx);
    }
    return { count: updates.length, head: { pos: Number(pos), hash: prev }, anchor };
  });
  if (!sealed) return 0;
  // The anchor read under the seal lock: rewritten only when the head moved past it.
  if (opts.anchorDir) {
    const current = sealed.anchor;
    if (!current || current.pos !== sealed.head.pos || current.hash !== sealed.head.hash) {
      writeHeadAnchor(opts.anchorDir, { pos: sealed.head.pos, hash: sealed.head.hash, keyedFrom: await keyedFrom(db), at: new Date().toISOString() });
    }
  }
  return sealed.count;
}

/** A link of the chain: its position and hash. Record the head outside the system to compare later. */
export interface ChainLink { pos: number; hash: string }

export interface ChainReport {
  ok: boolean;
  /** Sealed events verified, in chain order. */
  checked: number;
  /** Events not yet sealed (hash and chain_pos both null). */
  unsealed: number;
  /**
   * seq of the first offending event: one whose hash does not match its content and predecessor,
   * or one that is neither sealed in the chain nor unsealed (half-sealed, or outside the chain).
   * Null when the chain is intact, or when only the recorded head does not match (`headMatches`).
   */
  firstBrokenSeq: string | null;
  /** The chain head when intact: the last link's position and hash (0 and null for an empty chain). */
  headPos: number | null;
  headHash: string | null;
  /** Only when a recorded head was given: whether the chain still holds that link. */
  headMatches?: boolean;
  /** Only with the data directory's signed anchor: whether the chain still holds the anchored head, and its position. */
  anchorMatches?: boolean;
  anchorPos?: number;
  /** Why the anchor could not be used (a tampered file, a moved keying start). */
  anchorError?: string;
}

/**
 * Walks the whole chain in order and reports the first broken link; then checks that every event
 * is either sealed in the chain or unsealed (count(*) = checked + unsealed). Reads only — it never
 * seals — and needs no long transaction: events sealed while it walks are walked too.
 * With `recordedHead` (a head noted earlier outside the system) it also checks that the chain still
 * holds that link, so deleting the newest events or recomputing the chain is detected.
 */
export async function verifyAuditChain(db: Db, opts: { batch?: number; recordedHead?: ChainLink; anchorDir?: string } = {}): Promise<ChainReport> {
  const batch = opts.batch ?? 5000;
  const key = chainKey();
  const firstKeyed = await keyedFrom(db);
  // The signed anchor of the data directory is a recorded head too; it also fixes where keying began.
  let anchor: HeadAnchor | null = null;
  try {
    anchor = opts.anchorDir ? readHeadAnchor(opts.anchorDir) : null;
  } catch (e) {
    if (!(e instanceof AuditAnchorError)) throw e;
    return { ok: false, checked: 0, unsealed: 0, firstBrokenSeq: null, headPos: null, headHash: null, anchorMatches: false, anchorError: e.message };
  }
  if (anchor && anchor.keyedFrom !== firstKeyed) {
    return { ok: false, checked: 0, unsealed: 0, firstBrokenSeq: null, headPos: null, headHash: null, anchorMatches: false, anchorPos: anchor.pos,
      anchorError: '审计日志哈希链的起算位置（meta.audit_chain_keyed_from）与锚定文件不符：被改动过。' };
  }
  const recorded = opts.recordedHead;
  let prev = GENESIS_HASH;
  let checked = 0;
  let after = 0n;
  /** Whether the recorded link was found with its hash (null until its position is walked; position 0 is the genesis). */
  let recordedSeen: boolean | null = recorded && recorded.pos === 0 ? recorded.hash === GENESIS_HASH : null;
  const withHead = (r: Omit<ChainReport, 'headMatches'>): ChainReport => (recorded ? { ...r, headMatches: recordedSeen === true } : r);
  for (;;) {
    for (;;) {
      const rows = await db.selectFrom('audit_events')
        .select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary', 'chain_pos', 'hash'])
        .where('chain_pos', 'is not', null).where('chain_pos', '>', after.toString())
        .orderBy('chain_pos').limit(batch).execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        const pos = BigInt(r.chain_pos!);
        const expected = pos < BigInt(firstKeyed) ? legacyEventHash(prev, r as ChainRow) : eventHash(prev, r as ChainRow, key);
        if (pos !== after + 1n || r.hash !== expected) {
          const { unsealed } = await chainCounts(db, after);
          return withHead({ ok: false, checked, unsealed, firstBrokenSeq: String(r.seq), headPos: null, headHash: null });
        }
        if (recorded && pos === BigInt(recorded.pos)) recordedSeen = r.hash === recorded.hash;
        prev = r.hash;
        checked++;
        after = pos;
      }
    }
    // One statement, one snapshot: every event must be unsealed, or sealed at a walked position.
    const c = await chainCounts(db, after);
    if (c.beyond > 0) continue; // sealed after the walk's last read: walk on
    if (c.strayFirstSeq !== null || c.total !== checked + c.unsealed) {
      return withHead({ ok: false, checked, unsealed: c.unsealed, firstBrokenSeq: c.strayFirstSeq, headPos: null, headHash: null });
    }
    const anchorMatches = anchor ? await holdsLink(db, anchor) : undefined;
    const ok = (!recorded || recordedSeen === true) && anchorMatches !== false;
    return withHead({ ok, checked, unsealed: c.unsealed, firstBrokenSeq: null, headPos: checked, headHash: checked > 0 ? prev : null, ...(anchor ? { anchorMatches, anchorPos: anchor.pos } : {}) });
  }
}

/** Counts in one statement: all events, unsealed ones, ones sealed beyond `walked`, and the first stray event. */
async function chainCounts(db: Db, walked: bigint) {
  const w = walked.toString();
  const r = await sql<{ total: string; unsealed: string; beyond: string; stray: string | null }>`
    select count(*) as total,
      count(*) filter (where hash is null and chain_pos is null) as unsealed,
      count(*) filter (where chain_pos > ${w}::bigint) as beyond,
      min(seq) filter (where not ((hash is null and chain_pos is null)
        or (hash is not null and chain_pos is not null and chain_pos between 1 and ${w}::bigint))) as stray
    from audit_events`.execute(db);
  const row = r.rows[0]!;
  return { total: Number(row.total), unsealed: Number(row.unsealed), beyond: Number(row.beyond), strayFirstSeq: row.stray === null ? null : String(row.stray) };
}

/** Runs the sealer every `intervalMs` until stopped. */
export function startAuditSealer(db: Db, intervalMs = 1000, onError: (e: unknown) => void = () => {}, anchorDir?: string): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        while (!stopped && (await sealAuditEvents(db, 2000, { anchorDir })) === 2000);
      } catch (e) {
        onError(e);
      }
    });
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
