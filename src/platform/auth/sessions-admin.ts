import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/index.js';
import type { Actor } from './actor.js';
import { recordAudit } from '../audit/service.js';
import { conflict, notFound } from '../http/errors.js';
import { activePolicy } from '../policy/service.js';
import { invalidateProfiles } from '../org/profile.js';

/**
 * Online sessions (在线会话) for the security admin: who is signed in, from where, since when,
 * and a forced logout. Sessions are identified by the SHA-256 of their token, never the token.
 */
export async function listActiveSessions(db: Db, actor: Actor, q: { userId?: string; page: number; pageSize: number }) {
  const { pack } = await activePolicy(db);
  const idleCutoff = new Date(Date.now() - pack.security.session.idleTimeoutMinutes * 60_000);
  let base = db.selectFrom('sessions as s').innerJoin('users as u', 'u.id', 's.user_id')
    .where('s.ended_at', 'is', null).where('s.expires_at', '>', new Date())
    .where((eb) => eb.or([eb('s.kind', '=', 'bearer'), eb('s.last_seen_at', '>', idleCutoff)]));
  if (q.userId) base = base.where('s.user_id', '=', q.userId);
  const [rows, total] = await Promise.all([
    base.select(['s.id', 's.user_id', 'u.username', 'u.name', 's.kind', 's.created_at', 's.last_seen_at', 's.expires_at', 's.ip'])
      .orderBy('s.last_seen_at', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id, userId: r.user_id, username: r.username, name: r.name, kind: r.kind, createdAt: r.created_at,
      lastSeenAt: r.last_seen_at, expiresAt: r.expires_at, ip: r.ip, current: r.id === actor.session.id,
    })),
    total: Number(total.n),
  };
}

export async function endSession(db: Db, actor: Actor, sessionId: string, reason: string, ip: string) {
  const res = await inTransaction(db, async (tx) => {
    const s = await tx.selectFrom('sessions').select(['id', 'user_id', 'ended_at']).where('id', '=', sessionId).forUpdate().executeTakeFirst();
    if (!s) throw notFound('未找到该会话。');
    if (s.ended_at) throw conflict('SESSION_ENDED', '该会话已结束。');
    if (s.id === actor.session.id) throw conflict('OWN_SESSION', '不能强制结束自己当前的会话，请使用“退出登录”。');
    await tx.updateTable('sessions').set({ ended_at: new Date() }).where('id', '=', sessionId).execute();
    await recordAudit(tx, {
      actorId: actor.userId, actorName: actor.name, action: 'session.force_end', entity: 'session', entityId: sessionId.slice(0, 16), ip,
      summary: { userId: s.user_id, reason },
    });
    return { id: sessionId, userId: s.user_id };
  });
  invalidateProfiles(res.userId);
  return { id: res.id, ended: true };
}
