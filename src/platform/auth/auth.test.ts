import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, errorOf, testApp, type TestApp } from '../../../test/helpers/app.js';
import { activePolicy } from '../policy/service.js';
import { resetIpRateLimits } from './service.js';

let t: TestApp;
beforeAll(async () => { t = await testApp(); });
afterAll(async () => { await t?.close(); });

const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

describe('auth', () => {
  it('login returns the user with posts (primary first), roles and a CSRF token, and sets an HttpOnly SameSite=Lax cookie', async () => {
    const res = await login('wangge-sh-1', 'Jiedao@2026');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user.username).toBe('wangge-sh-1');
    expect(body.user.roles).toEqual(['grid_worker']);
    expect(body.user.posts[0]).toMatchObject({ post: 'grid_worker', primary: true, orgUnitName: '蜀汉街社区第1网格' });
    expect(body.user.mustChangePassword).toBe(false);
    expect(body.csrfToken).toMatch(/.{20,}/);
    const cookie = res.cookies.find((c) => c.name === 'jiedao_sid')!;
    expect(cookie.httpOnly).toBe(true);
    expect(String(cookie.sameSite).toLowerCase()).toBe('lax');
  });

  it('wrong password and unknown user answer the same 401 INVALID_CREDENTIALS', async () => {
    const a = await login('keyuan1', 'Wrong#Pass1');
    const b = await login('nobody-here', 'Wrong#Pass1');
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(errorOf(a)).toEqual(errorOf(b));
    expect(errorOf(a).code).toBe('INVALID_CREDENTIALS');
  });

  it('the per-IP rate limit (pack: loginRateLimitPerMinute) answers 429 and a refused attempt never counts towards the lockout', async () => {
    const { pack } = await activePolicy(t.db);
    const limit = pack.security.loginRateLimitPerMinute;
    const from = (username: string, password: string, ip: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip });
    resetIpRateLimits();
    // The attacker's address uses up its budget on unknown names, then keeps guessing a clerk's password.
    for (let i = 0; i < limit; i++) expect((await from(`nobody-${i}`, 'Wrong#Pass1', '10.9.9.9')).statusCode).toBe(401);
    for (let i = 0; i < pack.security.lockout.maxFailures + 3; i++) {
      const res = await from('chuangkou1', `bad-${i}`, '10.9.9.9');
      expect(res.statusCode, `attempt ${i}`).toBe(429);
      expect(errorOf(res).code).toBe('RATE_LIMITED');
    }
    const failures = await t.db.selectFrom('login_failures').select('failures').where('username', '=', 'chuangkou1').executeTakeFirst();
    expect(failures?.failures ?? 0).toBe(0);
    // The clerk, from her own desk, is not locked out.
    expect((await from('chuangkou1', 'Jiedao@2026', '10.1.1.1')).statusCode).toBe(200);
    // The lockout is still checked first: a locked account answers 423 even to a rate-limited address.
    for (let i = 1; i <= pack.security.lockout.maxFailures; i++) expect((await from('wangge-xmq-1', `bad-${i}`, '10.2.2.2')).statusCode).toBe(401);
    expect((await from('wangge-xmq-1', 'Jiedao@2026', '10.9.9.9')).statusCode).toBe(423);
    resetIpRateLimits();
  });

  it('lockout: the 5th failure within the window is still 401, the 6th attempt is 423 even with the right password', async () => {
    for (let i = 1; i <= 5; i++) expect((await login('caizheng', `bad-${i}`)).statusCode).toBe(401);
    const locked = await login('caizheng', 'Jiedao@2026');
    expect(locked.statusCode).toBe(423);
    expect(errorOf(locked).code).toBe('ACCOUNT_LOCKED');
  });

  it('lockout applies to unknown usernames the same way (no account enumeration)', async () => {
    for (let i = 1; i <= 5; i++) expect((await login('ghost', `bad-${i}`)).statusCode).toBe(401);
    expect((await login('ghost', 'whatever')).statusCode).toBe(423);
  });

  it('the security admin can unlock a locked account', async () => {
    for (let i = 1; i <= 5; i++) await login('dangzhengban', `bad-${i}`);
    expect((await login('dangzhengban', 'Jiedao@2026')).statusCode).toBe(423);
    const sec = await t.login('secadmin');
    const users = (await sec.get('/api/v1/admin/users?q=dangzhengban')).json();
    expect(users.items[0].locked).toBe(true);
    expect((await sec.post(`/api/v1/admin/users/${users.items[0].id}/unlock`)).statusCode).toBe(204);
    expect((await login('dangzhengban', 'Jiedao@2026')).statusCode).toBe(200);
  });

  it('every login, failure and logout is audited', async () => {
    const before = await t.db.selectFrom('audit_events').select('action').execute();
    const c = await t.login('jigongwei');
    await login('jigongwei', 'nope');
    expect((await c.post('/api/v1/auth/logout')).statusCode).toBe(204);
    const after = await t.db.selectFrom('audit_events').select('action').orderBy('seq').execute();
    const added = after.slice(before.length).map((r) => r.action);
    expect(added).toEqual(['auth.login', 'auth.login_failed', 'auth.logout']);
  });

  it('a state-changing cookie request without the CSRF header is refused with 403 CSRF_TOKEN_INVALID', async () => {
    const res = await login('keyuan1', 'Jiedao@2026');
    const cookie = res.cookies.find((c) => c.name === 'jiedao_sid')!.value;
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { jiedao_sid: cookie } });
    expect(out.statusCode).toBe(403);
    expect(errorOf(out).code).toBe('CSRF_TOKEN_INVALID');
    // The session is still alive: the refused logout changed nothing.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { jiedao_sid: cookie } })).statusCode).toBe(200);
  });

  it('logout ends the session: the cookie no longer authenticates', async () => {
    const c = await t.login('keyuan1');
    expect((await c.post('/api/v1/auth/logout')).statusCode).toBe(204);
    const me = await c.get('/api/v1/auth/me');
    expect(me.statusCode).toBe(401);
    expect(errorOf(me).code).toBe('UNAUTHENTICATED');
  });

  it('bearer tokens authenticate API clients without CSRF', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'zhuren', password: 'Jiedao@2026' } });
    expect(res.statusCode).toBe(200);
    const { token, expiresAt } = res.json();
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json().user.username).toBe('zhuren');
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(out.statusCode).toBe(204);
  });

  it('idle timeout: a cookie session unused for longer than the pack allows is refused', async () => {
    const c = await t.login('fenguan2');
    // Age the session in the database instead of sleeping: last seen 31 minutes ago.
    await t.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) })
      .where('user_id', '=', (await c.get('/api/v1/auth/me')).json().user.id).where('ended_at', 'is', null).execute();
    expect((await c.get('/api/v1/auth/me')).statusCode).toBe(401);
  });

  it('password policy: fewer than 8 characters or fewer than 3 of 4 classes → 422 WEAK_PASSWORD, nothing changed', async () => {
    const c = await t.login('chuangkou1');
    for (const weak of ['Ab1#', 'abcdefgh1', 'ABCDEFGH', 'abcdEFGH']) {
      const res = await c.post('/api/v1/auth/password', { currentPassword: 'Jiedao@2026', newPassword: weak });
      expect(res.statusCode).toBe(422);
      expect(errorOf(res).code).toBe('WEAK_PASSWORD');
    }
    expect((await login('chuangkou1', 'Jiedao@2026')).statusCode).toBe(200);
    const ok = await c.post('/api/v1/auth/password', { currentPassword: 'Jiedao@2026', newPassword: 'Chuang#2026x' });
    expect(ok.statusCode).toBe(204);
    expect((await login('chuangkou1', 'Chuang#2026x')).statusCode).toBe(200);
    expect((await login('chuangkou1', 'Jiedao@2026')).statusCode).toBe(401);
  });

  it('a reset password must be changed: mustChangePassword until the user sets a new one', async () => {
    const admin = await t.login('admin');
    const id = (await admin.get('/api/v1/admin/users?q=keyuan1')).json().items[0].id;
    const { initialPassword } = (await admin.post(`/api/v1/admin/users/${id}/reset-password`)).json();
    const res = await login('keyuan1', initialPassword);
    expect(res.json().user.mustChangePassword).toBe(true);
    const c = await t.login('keyuan1', initialPassword);
    expect((await c.post('/api/v1/auth/password', { currentPassword: initialPassword, newPassword: 'Keyuan#2026' })).statusCode).toBe(204);
    expect((await c.get('/api/v1/auth/me')).json().user.mustChangePassword).toBe(false);
  });

  it('malformed login bodies are 400 VALIDATION_FAILED and write nothing', async () => {
    const before = await countRows(t.db, 'sessions');
    for (const payload of ['{"username":', JSON.stringify({ username: 'x' }), JSON.stringify({ username: 1, password: 2 }), JSON.stringify({ username: 'a'.repeat(65), password: 'x' })]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    expect(await countRows(t.db, 'sessions')).toBe(before);
  });

  it('online sessions: the security admin sees who is signed in and can end a session (audited); others cannot', async () => {
    const victim = await t.login('fenguan1');
    const sec = await t.login('secadmin');
    const userId = (await victim.get('/api/v1/auth/me')).json().user.id;
    const list = await sec.get(`/api/v1/admin/sessions?userId=${userId}`);
    expect(list.statusCode).toBe(200);
    expect(list.json().items[0]).toMatchObject({ username: 'fenguan1', kind: 'cookie', ip: expect.any(String) });
    const id = list.json().items[0].id as string;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // Neither the system admin nor the auditor manages sessions (三员分立).
    for (const who of ['admin', 'auditor']) {
      const c = await t.login(who);
      expect((await c.get('/api/v1/admin/sessions')).statusCode).toBe(403);
      expect((await c.post(`/api/v1/admin/sessions/${id}/end`, { reason: '越权' })).statusCode).toBe(403);
    }
    expect((await victim.get('/api/v1/auth/me')).statusCode).toBe(200);
    const end = await sec.post(`/api/v1/admin/sessions/${id}/end`, { reason: '离岗未退出' });
    expect(end.statusCode).toBe(200);
    expect((await victim.get('/api/v1/auth/me')).statusCode).toBe(401);
    expect(errorOf(await sec.post(`/api/v1/admin/sessions/${id}/end`, { reason: '再次' })).code).toBe('SESSION_ENDED');
    expect((await sec.post('/api/v1/admin/sessions/not-a-session/end', { reason: 'x' })).statusCode).toBe(400);
    // The caller's own session is marked and cannot be force-ended (logout is the way).
    const own = (await sec.get('/api/v1/admin/sessions')).json().items.filter((i: { current: boolean }) => i.current);
    expect(own).toHaveLength(1);
    expect(own[0].username).toBe('secadmin');
    expect(errorOf(await sec.post(`/api/v1/admin/sessions/${own[0].id}/end`, { reason: '误操作' })).code).toBe('OWN_SESSION');
    expect((await sec.get('/api/v1/auth/me')).statusCode).toBe(200);
    const ev = await t.db.selectFrom('audit_events').select(['action', 'summary']).where('action', '=', 'session.force_end').execute();
    expect(ev).toHaveLength(1);
    expect(JSON.parse(ev[0]!.summary)).toEqual({ userId, reason: '离岗未退出' });
  });
});

