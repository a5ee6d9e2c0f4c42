import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, conflict, unprocessable } from '../../platform/http/errors.js';
import type { Db } from '../../platform/db/index.js';
import { currentRequestScope } from '../../platform/db/request-scope.js';

const WINDOW_MS = 24 * 3_600_000;
/** A claim whose request never finished (the process died mid-request) may be taken over after this. */
const ABANDONED_MS = 60_000;
/** Secrets shown once (one-time passwords, tokens) are never kept in the replay store. */
const SECRET_FIELDS = new Set(['initialPassword', 'password', 'token', 'csrfToken']);

/** JSON with object keys sorted, so the same body with keys in another order hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function withoutSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSecrets);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_FIELDS.has(k) ? null : withoutSecrets(x)]));
  }
  return v;
}

/** Deletes keys past the 24-hour window; the server calls this periodically. */
export async function purgeExpiredIdempotencyKeys(db: Db): Promise<number> {
  const r = await db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(Date.now() - WINDOW_MS)).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}

/**
 * `Idempotency-Key` on any POST (API.md "Idempotency"): a repeat with the same key and actor
 * within 24 h gets the first response and acts once; the same key with another body → 422.
 *
 * The key is stored with the write: the handler runs in one request transaction (db/request-scope)
 * that inserts the key row first and stores the answer in it before committing, so the write and
 * its answer are committed together or not at all. A crash before the commit leaves nothing (the
 * retry acts); a crash after it leaves the answer (the retry gets it). A concurrent repeat waits on
 * the uncommitted key row and then replays the committed answer. An error answer (4xx) rolls the
 * handler's writes back and is stored on its own, so it is replayed too; a 5xx stores nothing.
 */
export function registerIdempotency(app: FastifyInstance): void {
  app.decorateRequest('idempotency', null);

  /** The stored answer of a key, or null when there is none (or only an expired one). */
  const replayable = async (db: Db, actorKey: string, key: string) => {
    const prior = await db.selectFrom('idempotency_keys').selectAll().where('actor_key', '=', actorKey).where('key', '=', key).executeTakeFirst();
    if (!prior) return null;
    if (prior.created_at.getTime() < Date.now() - WINDOW_MS || (prior.status === null && prior.created_at.getTime() < Date.now() - ABANDONED_MS)) {
      // Expired, or a claim left by a server of the earlier design that died mid-request: free it.
      await db.deleteFrom('idempotency_keys').where('actor_key', '=', actorKey).where('key', '=', key).execute();
      return null;
    }
    return prior;
  };
  const answerWith = (prior: { body_hash: string; status: number | null; response: unknown }, bodyHash: string, reply: FastifyReply) => {
    if (prior.body_hash !== bodyHash) throw unprocessable('IDEMPOTENCY_KEY_REUSED', '该幂等键已用于另一个不同的请求。');
    if (prior.status === null) throw conflict('IDEMPOTENCY_IN_PROGRESS', '相同的请求正在处理中，请稍候。');
    reply.header('idempotent-replay', 'true');
    return reply.status(prior.status).send(prior.response ?? undefined);
  };

  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    // Auth endpoints (login, token, logout, password) are exempt (API.md "Idempotency").
    const route = req.routeOptions.url;
    if (req.method !== 'POST' || typeof key !== 'string' || !route?.startsWith('/api/') || route.startsWith('/api/v1/auth/')) return;
    if (key.length < 8 || key.length > 100) {
      throw new AppError(400, 'VALIDATION_FAILED', 'Idempotency-Key 应为 8–100 个字符（建议使用 UUID）。');
    }
    const scope = currentRequestScope();
    if (!scope) throw new Error('idempotency: request outside its request scope');
    const db = app.ctx.database.db;
    const actorKey = req.actor?.userId ?? `anon:${req.ip}`;
    const bodyHash = createHash('sha256').update(req.method).update(req.url).update(canonicalJson(req.body)).digest('hex');
    const prior = await replayable(db, actorKey, key);
    if (prior) return answerWith(prior, bodyHash, reply);
    const trx = await db.startTransaction().execute();
    let claimed: unknown;
    try {
      // Waits while a concurrent repeat holds the same key uncommitted; nothing when it committed first.
      claimed = await trx.insertInto('idempotency_keys').values({ actor_key: actorKey, key, method: req.method, path: req.url, body_hash: bodyHash })
        .onConflict((oc) => oc.columns(['actor_key', 'key']).doNothing()).returning('key').executeTakeFirst();
    } catch (e) {
      await trx.rollback().execute();
      throw e;
    }
    if (!claimed) {
      await trx.rollback().execute();
      const now = await replayable(db, actorKey, key);
      if (!now) throw conflict('IDEMPOTENCY_IN_PROGRESS', '相同的请求正在处理中，请稍候。');
      return answerWith(now, bodyHash, reply);
    }
    scope.tx = trx;
    req.idempotency = { actorKey, key, bodyHash };
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    const scope = currentRequestScope()!;
    const trx = scope.tx;
    scope.tx = null;
    if (!trx || trx.isCommitted || trx.isRolledBack) return payload;
    const db = app.ctx.database.db;
    let body: unknown = null;
    if (typeof payload === 'string' && payload.length > 0) {
      try { body = withoutSecrets(JSON.parse(payload)); } catch { body = null; }
    }
    if (reply.statusCode >= 400) {
      // The request was refused: none of its writes stay. A 5xx frees the key (a retry acts); a
      // refusal is kept so that the retry gets the same answer.
      await trx.rollback().execute();
      if (reply.statusCode < 500) {
        await db.insertInto('idempotency_keys')
          .values({ actor_key: idem.actorKey, key: idem.key, method: req.method, path: req.url, body_hash: idem.bodyHash, status: reply.statusCode, response: JSON.stringify(body) })
          .onConflict((oc) => oc.columns(['actor_key', 'key']).doNothing()).execute();
      }
      return payload;
    }
    await trx.updateTable('idempotency_keys').set({ status: reply.statusCode, response: JSON.stringify(body) })
      .where('actor_key', '=', idem.actorKey).where('key', '=', idem.key).execute();
    await trx.commit().execute();
    for (const fn of scope.afterCommit.splice(0)) fn();
    faultAfterCommit();
    return payload;
  });

  // A request that ends without reaching onSend (aborted, timed out) gives its transaction back.
  const release = async (req: FastifyRequest) => {
    if (!req.idempotency) return;
    req.idempotency = null;
    const scope = currentRequestScope();
    const trx = scope?.tx;
    if (scope) scope.tx = null;
    if (trx && !trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute();
  };
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
}

/**
 * Fault injection for the crash test (test/embedded-db.test.ts): with
 * `JIEDAO_FAULT=kill-after-commit` the process kills itself right after an idempotent request's
 * commit, before its answer is sent — the moment a retry must get the stored answer.
 */
function faultAfterCommit(): void {
  if (process.env.JIEDAO_FAULT === 'kill-after-commit') process.kill(process.pid, 'SIGKILL');
}
