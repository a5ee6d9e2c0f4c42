import { createHash, randomBytes } from 'node:crypto';
import { inTransaction, type Db } from '../db/index.js';
import { recordAudit } from '../audit/service.js';
import { activePolicy } from '../policy/service.js';
import { AppError, unprocessable } from '../http/errors.js';
import { dummyPasswordHash, hashPassword, passwordProblems, verifyPassword } from './passwords.js';
import { loadProfile, invalidateProfiles, type Profile } from '../org/profile.js';
import type { Actor } from './actor.js';

/**
 * Login, sessions and tokens (API.md "Auth", "Lockout"). Session tokens are random; the database
 * keeps only their SHA-256, so several server processes share sessions and a leaked table
 * cannot be replayed.
 */
export const sessionIdOf = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

export interface LoginResult { token: string; csrfToken: string; expiresAt: Date; profile: Profile; sessionId: string }

const invalidCredentials = () => new AppError(401, 'INVALID_CREDENTIALS', '用户名或密码错误。');

/** Per-IP attempt counter (60 a minute by default), kept per process; the oldest IPs are evicted first. */
const ipAttempts = new Map<string, number[]>();
const MAX_TRACKED_IPS = 10_000;
function ipRateExceeded(ip: string, perMinute: number, now: number): boolean {
  const list = (ipAttempts.get(ip) ?? []).filter((t) => now - t < 60_000);
  list.push(now);
  ipAttempts.delete(ip);
  ipAttempts.set(ip, list); // most recent last
  for (const oldest of ipAttempts.keys()) {
    if (ipAttempts.size <= MAX_TRACKED_IPS) break;
    ipAttempts.delete(oldest);
  }
  return list.length > perMinute;
}
export function resetIpRateLimits(): void {
  ipAttempts.clear();
}

type SecurityRules = Awaited<ReturnType<typeof activePolicy>>['pack']['security'];

/**
 * Counts a login attempt before the password is checked, under a row lock, so parallel guesses
 * cannot outrun the lockout (API.md "Lockout": the 5th failure within the window is still 401,
 * every attempt after it is 423 for the lock period). A correct password then clears the count.
 * The per-IP rate limit is checked after the lockout rules and before counting: an attempt it
 * refuses (429) never reaches the password check, so it never counts towards locking the account.
 */
async function countAttempt(db: Db, username: string, sec: SecurityRules, now: Date, rateLimited: () => boolean): Promise<{ locked: boolean; rateLimited: boolean; attempt: number }> {
  return inTransaction(db, async (tx) => {
    await tx.insertInto('login_failures').values({ username, failures: 0, window_started_at: now, locked_until: null })
      .onConflict((oc) => oc.column('username').doNothing()).execute();
    const cur = await tx.selectFrom('login_failures').selectAll().where('username', '=', username).forUpdate().executeTakeFirstOrThrow();
    if (cur.locked_until && cur.locked_until > now) return { locked: true, rateLimited: false, attempt: cur.failures };
    if (rateLimited()) return { locked: false, rateLimited: true, attempt: cur.failures };
    const windowMs = sec.lockout.windowMinutes * 60_000;
    const fresh = now.getTime() - cur.window_started_at.getTime() > windowMs || cur.locked_until !== null;
    const attempt = (fresh ? 0 : cur.failures) + 1;
    const lockedUntil = attempt >= sec.lockout.maxFailures ? new Date(now.getTime() + sec.lockout.lockMinutes * 60_000) : null;
    await tx.updateTable('login_failures')
      .set({ failures: attempt, window_started_at: fresh ? now : cur.window_started_at, locked_until: lockedUntil })
      .where('username', '=', username).execute();
    return { locked: false, rateLimited: false, attempt };
  });
}

export async function login(
  db: Db,
  input: { username: string; password: string },
  ctx: { ip: string; kind: 'cookie' | 'bearer'; now?: Date },
): Promise<LoginResult> {
  const { pack } = await activePolicy(db);
  const sec = pack.security;
  const now = ctx.now ?? new Date();
  const username = input.username.trim();

  const { locked, rateLimited, attempt } = await countAttempt(db, username, sec, now, () => ipRateExceeded(ctx.ip, sec.loginRateLimitPerMinute, now.getTime()));
  if (locked) {
    await recordAudit(db, { actorId: null, actorName: username, action: 'auth.login_locked', entity: 'user', ip: ctx.ip, summary: { username } });
    throw new AppError(423, 'ACCOUNT_LOCKED', `账户已锁定，请 ${sec.lockout.lockMinutes} 分钟后再试，或联系安全管理员解锁。`);
  }
  if (rateLimited) throw new AppError(429, 'RATE_LIMITED', '尝试次数过多，请稍后再试。');

  const user = await db.selectFrom('users').select(['id', 'password_hash', 'status']).where('username', '=', username).executeTakeFirst();
  // Unknown users cost the same argon2 verification, so timing never tells whether an account exists.
  const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), input.password);
  if (!user || !ok || user.status !== 'active') {
    await recordAudit(db, {
      actorId: null, actorName: username, action: 'auth.login_failed', entity: 'user', entityId: user?.id ?? null, ip: ctx.ip,
      summary: { username, failures: attempt, locked: attempt >= sec.lockout.maxFailures },
    });
    throw invalidCredentials();
  }

  return inTransaction(db, async (tx) => {
    await tx.deleteFrom('login_failures').where('username', '=', username).execute();
    const token = newToken();
    const csrfToken = newToken();
    const sessionId = sessionIdOf(token);
    const lifetimeMs = ctx.kind === 'bearer' ? sec.session.bearerTokenHours * 3_600_000 : 24 * 3_600_000;
    const expiresAt = new Date(now.getTime() + lifetimeMs);
    await tx.insertInto('sessions').values({
      id: sessionId, user_id: user.id, kind: ctx.kind, csrf_token: csrfToken, last_seen_at: now, expires_at: expiresAt, ip: ctx.ip,
    }).execute();
    invalidateProfiles(user.id);
    const profile = (await loadProfile(tx, user.id))!;
    await recordAudit(tx, {
      actorId: user.id, actorName: profile.name, action: ctx.kind === 'bearer' ? 'auth.token' : 'auth.login', entity: 'session',
      entityId: sessionId.slice(0, 16), ip: ctx.ip, summary: { username },
    });
    return { token, csrfToken, expiresAt, profile, sessionId };
  });
}

/** How often a session's last_seen_at is written (idle timeout granularity). */
const TOUCH_EVERY_MS = 30_000;

/** Resolves a session token to an Actor, or null when missing, ended, expired or idle too long. */
export async function resolveSession(db: Db, token: string, kind: 'cookie' | 'bearer', now = new Date()): Promise<Actor | null> {
  const id = sessionIdOf(token);
  const s = await db.selectFrom('sessions').select(['id', 'user_id', 'kind', 'csrf_token', 'last_seen_at', 'expires_at', 'ended_at'])
    .where('id', '=', id).executeTakeFirst();
  if (!s || s.ended_at || s.kind !== kind || s.expires_at <= now) return null;
  if (kind === 'cookie') {
    const { pack } = await activePolicy(db);
    if (now.getTime() - s.last_seen_at.getTime() > pack.security.session.idleTimeoutMinutes * 60_000) return null;
    if (now.getTime() - s.last_seen_at.getTime() > TOUCH_EVERY_MS) {
      await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
    }
  }
  const profile = await loadProfile(db, s.user_id);
  if (!profile || profile.status !== 'active') return null;
  return {
    userId: profile.userId, username: profile.username, name: profile.name, mustChangePassword: profile.mustChangePassword,
    roles: profile.roles, permissions: profile.permissions, posts: profile.posts, grants: profile.grants, scope: profile.scope, scopeByPermission: profile.scopeByPermission,
    session: { id, kind: s.kind as 'cookie' | 'bearer', csrfToken: s.csrf_token },
  };
}

export async function logout(db: Db, actor: Actor, ip: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.updateTable('sessions').set({ ended_at: new Date() }).where('id', '=', actor.session.id).execute();
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'auth.logout', entity: 'session', entityId: actor.session.id.slice(0, 16), ip });
  });
}

export async function changePassword(db: Db, actor: Actor, input: { currentPassword: string; newPassword: string }, ip: string): Promise<void> {
  const { pack } = await activePolicy(db);
  const user = await db.selectFrom('users').select(['password_hash']).where('id', '=', actor.userId).executeTakeFirstOrThrow();
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw unprocessable('WRONG_CURRENT_PASSWORD', '当前密码不正确。', [{ path: 'currentPassword', code: 'WRONG_CURRENT_PASSWORD', message: '当前密码不正确' }]);
  }
  const problems = passwordProblems(input.newPassword, pack.security.password);
  if (input.newPassword === input.currentPassword) problems.push('新密码不能与当前密码相同');
  if (problems.length) {
    throw unprocessable('WEAK_PASSWORD', `新密码不符合要求：${problems.join('；')}。`,
      problems.map((m) => ({ path: 'newPassword', code: 'WEAK_PASSWORD', message: m })));
  }
  const hash = await hashPassword(input.newPassword);
  await inTransaction(db, async (tx) => {
    await tx.updateTable('users').set({ password_hash: hash, must_change_password: false, password_changed_at: new Date() })
      .where('id', '=', actor.userId).execute();
    // Other sessions of this person end; the current one stays.
    await tx.updateTable('sessions').set({ ended_at: new Date() })
      .where('user_id', '=', actor.userId).where('id', '!=', actor.session.id).where('ended_at', 'is', null).execute();
    await recordAudit(tx, { actorId: actor.userId, actorName: actor.name, action: 'auth.password_change', entity: 'user', entityId: actor.userId, ip });
  });
  invalidateProfiles(actor.userId);
}

