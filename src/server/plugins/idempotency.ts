import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { AppError, conflict, unprocessable } from '../../platform/http/errors.js';
import type { Db } from '../../platform/db/index.js';

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
 * The key row is claimed before the handler runs, so two concurrent repeats cannot both act.
 */
export function registerIdempotency(app: FastifyInstance): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    // Auth endpoints (login, token, logout, password) are exempt (API.md "Idempotency").
    const route = req.routeOptions.url;
    if (req.method !== 'POST' || typeof key !== 'string' || !route?.startsWith('/api/') || route.startsWith('/api/v1/auth/')) return;
    if (key.length < 8 || key.length > 100) {
      throw new AppError(400, 'VALIDATION_FAILED', 'Idempotency-Key 应为 8–100 个字符（建议使用 UUID）。');
    }
    const db = app.ctx.database.db;
    const actorKey = req.actor?.userId ?? `anon:${req.ip}`;
    const bodyHash = createHash('sha256').update(req.method).update(req.url).update(canonicalJson(req.body)).digest('hex');
    const claimed = await db.insertInto('idempotency_keys')
      .values({ actor_key: actorKey, key, method: req.method, path: req.url, body_hash: bodyHash })
      .onConflict((oc) => oc.columns(['actor_key', 'key']).doUpdateSet({
        method: req.method, path: req.url, body_hash: bodyHash, status: null, response: null, created_at: new Date(),
      }).where((eb) => eb.or([
        eb('idempotency_keys.created_at', '<', new Date(Date.now() - WINDOW_MS)),
        eb.and([eb('idempotency_keys.status', 'is', null), eb('idempotency_keys.created_at', '<', new Date(Date.now() - ABANDONED_MS))]),
      ])))
      .returning('key').executeTakeFirst();
    if (claimed) {
      req.idempotency = { actorKey, key };
      return;
    }
    const prior = await db.selectFrom('idempotency_keys').selectAll().where('actor_key', '=', actorKey).where('key', '=', key).executeTakeFirstOrThrow();
    if (prior.body_hash !== bodyHash) {
      throw unprocessable('IDEMPOTENCY_KEY_REUSED', '该幂等键已用于另一个不同的请求。');
    }
    if (prior.status === null) throw conflict('IDEMPOTENCY_IN_PROGRESS', '相同的请求正在处理中，请稍候。');
    reply.header('idempotent-replay', 'true');
    return reply.status(prior.status).send(prior.response ?? undefined);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    const db = app.ctx.database.db;
    const where = sql`actor_key = ${idem.actorKey} and key = ${idem.key}`;
    if (reply.statusCode >= 500) {
      // Nothing was done: free the key so a retry acts.
      await sql`delete from idempotency_keys where ${where}`.execute(db);
      return payload;
    }
    let body: unknown = null;
    if (typeof payload === 'string' && payload.length > 0) {
      try { body = withoutSecrets(JSON.parse(payload)); } catch { body = null; }
    }
    await db.updateTable('idempotency_keys').set({ status: reply.statusCode, response: JSON.stringify(body) })
      .where('actor_key', '=', idem.actorKey).where('key', '=', idem.key).execute();
    return payload;
  });
}
