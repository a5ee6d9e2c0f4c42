import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/index.js';

/**
 * Audit log (审计日志): one event per write, login/logout/failure and read of personal data.
 * Events are inserted in the same transaction as the work they describe, unsealed; the
 * sealer links them into a SHA-256 hash chain in batches (so audit writing never serialises
 * requests). The table is append-only (trigger): rows are inserted unsealed (hash and chain_pos
 * null) and the only update that passes is the sealer's one-time setting of both, nothing else
 * changed. Verification only reads; record its chain head outside the system (`npm run audit:verify`).
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

export async function recordAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_events').values({
    at: new Date(),
    actor_id: e.actorId,
    actor_name: e.actorName ?? null,
    action: e.action,
    entity: e.entity,
    entity_id: e.entityId ?? null,
    ip: e.ip ?? null,
    summary: typeof e.summary === 'string' ? e.summary : JSON.stringify(e.summary ?? {}),
  }).execute();
}

interface ChainRow {
  seq: string; at: Date; actor_id: string | null; actor_name: string | null; action: string;
  entity: string; entity_id: string | null; ip: string | null; summary: string;
}

/** The hash of one event, linked to the previous one. */
export function eventHash(prevHash: string, r: ChainRow): string {
  const canonical = JSON.stringify([
    r.seq, new Date(r.at).toISOString(), r.actor_id, r.actor_name, r.action, r.entity, r.entity_id, r.ip, r.summary,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

export const GENESIS_HASH = '0'.repeat(64);
/** Advisory lock key: one sealer at a time across server processes. */
const SEAL_LOCK = 7_411_001;

/** Seals up to `limit` unsealed events in seq order; returns how many it sealed. */
export async function sealAuditEvents(db: Db, limit = 2000): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${SEAL_LOCK}) as ok`.execute(tx);
    if (!lock.rows[0]?.ok) return 0;
    const last = await tx.selectFrom('audit_events').select(['chain_pos', 'hash'])
      .where('chain_pos', 'is not', null).orderBy('chain_pos', 'desc').limit(1).executeTakeFirst();
    const rows = await tx.selectFrom('audit_events')
      .select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'entity', 'entity_id', 'ip', 'summary'])
      .where('hash', 'is', null).where('chain_pos', 'is', null).orderBy('seq').limit(limit).execute();
    if (rows.length === 0) return 0;
    let prev = last?.hash ?? GENESIS_HASH;
    let pos = BigInt(last?.chain_pos ?? 0);
    const updates = rows.map((r) => {
      pos += 1n;
      prev = eventHash(prev, r as ChainRow);
      return { seq: String(r.seq), pos: pos.toString(), hash: prev };
    });
    for (let i = 0; i < updates.length; i += 500) {
      const chunk = updates.slice(i, i + 500);
      const values = sql.join(chunk.map((u) => sql`(${u.seq}::bigint, ${u.pos}::bigint, ${u.hash})`));
      await sql`update audit_events a set chain_pos = v.pos, hash = v.hash
        from (values ${values}) as v(seq, pos, hash) where a.seq = v.seq`.execute(tx);
    }
    return updates.length;
  });
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
}

/**
 * Walks the whole chain in order and reports the first broken link; then checks that every event
 * is either sealed in the chain or unsealed (count(*) = checked + unsealed). Reads only — it never
 * seals — and needs no long transaction: events sealed while it walks are walked too.
 * With `recordedHead` (a head noted earlier outside the system) it also checks that the chain still
 * holds that link, so deleting the newest events or recomputing the chain is detected.
 */
export async function verifyAuditChain(db: Db, opts: { batch?: number; recordedHead?: ChainLink } = {}): Promise<ChainReport> {
  const batch = opts.batch ?? 5000;
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
        if (pos !== after + 1n || r.hash !== eventHash(prev, r as ChainRow)) {
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
    const ok = !recorded || recordedSeen === true;
    return withHead({ ok, checked, unsealed: c.unsealed, firstBrokenSeq: null, headPos: checked, headHash: checked > 0 ? prev : null });
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
export function startAuditSealer(db: Db, intervalMs = 1000, onError: (e: unknown) => void = () => {}): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        while (!stopped && (await sealAuditEvents(db)) === 2000);
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
