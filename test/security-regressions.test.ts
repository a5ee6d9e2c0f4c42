import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, errorOf, testApp, type TestApp } from './helpers/app.js';

/** Regressions found in review: each test names the rule it guards. */
let t: TestApp;
beforeAll(async () => { t = await testApp(); });
afterAll(async () => { await t?.close(); });

const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

describe('authentication is decided on the matched route', () => {
  it('an encoded path (/%61pi/...) cannot reach an API route without login', async () => {
    for (const url of ['/%61pi/v1/audit/events', '/%61pi/v1/audit/verify', '/%61pi/v1/policy/packs', '/%61pi/v1/org/tree', '/api/v1/%61udit/events']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(res.statusCode);
      expect(res.body).not.toContain('"items"');
      expect(res.headers['content-type']).toMatch(/json/);
    }
  });
});

describe('forced password change', () => {
  it('a person with a one-time password can only see themselves and change the password until they do', async () => {
    const admin = await t.login('admin');
    const created = (await admin.post('/api/v1/admin/users', { username: 'xin-ren', name: '新同事' })).json();
    const sec = await t.login('secadmin');
    expect((await sec.post(`/api/v1/admin/users/${created.user.id}/grants`, { role: 'leader', dataScope: 'all' })).statusCode).toBe(201);
    const c = await t.login('xin-ren', created.initialPassword);
    expect((await c.get('/api/v1/auth/me')).json().user.mustChangePassword).toBe(true);
    const blocked = await c.get('/api/v1/calendar/days?from=2026-01-01&to=2026-01-02');
    expect(blocked.statusCode).toBe(403);
    expect(errorOf(blocked).code).toBe('PASSWORD_CHANGE_REQUIRED');
    const token = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'xin-ren', password: created.initialPassword } })).json().token;
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/org/tree', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403);
    expect((await c.post('/api/v1/auth/password', { currentPassword: created.initialPassword, newPassword: 'Xinren#2026' })).statusCode).toBe(204);
    expect((await c.get('/api/v1/calendar/days?from=2026-01-01&to=2026-01-02')).statusCode).toBe(200);
  });
});

describe('lockout holds under concurrent guesses', () => {
  it('parallel wrong passwords: at most 5 are answered 401, the rest 423, none 500; the right password is then refused too', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login('fenguan2', `guess-${i}`)));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 500)).toEqual([]);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 423).length).toBeGreaterThanOrEqual(7);
    expect((await login('fenguan2', 'Jiedao@2026')).statusCode).toBe(423);
  });
});

describe('idempotency store', () => {
  it('one-time passwords are not kept in the replay store; a replay answers the same status without the secret', async () => {
    const admin = await t.login('admin');
    const key = 'otp-0000-1111-2222';
    const first = await admin.post('/api/v1/admin/users', { username: 'otp-user', name: '测试' }, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(first.json().initialPassword).toMatch(/.{12,}/);
    const stored = await t.db.selectFrom('idempotency_keys').select('response').where('key', '=', key).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.response)).not.toContain(first.json().initialPassword);
    const again = await admin.post('/api/v1/admin/users', { name: '测试', username: 'otp-user' }, { 'idempotency-key': key }); // keys reordered
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.json().initialPassword).toBeNull();
    expect(again.json().user.id).toBe(first.json().user.id);
  });

  it('a claim abandoned by a crashed request is taken over after a minute instead of blocking the key for a day', async () => {
    const admin = await t.login('admin');
    const me = (await admin.get('/api/v1/auth/me')).json().user.id;
    await t.db.insertInto('idempotency_keys').values({ actor_key: me, key: 'crashed-0001', method: 'POST', path: '/api/v1/calendar/overrides', body_hash: 'x', created_at: new Date(Date.now() - 120_000) }).execute();
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await admin.post('/api/v1/calendar/overrides', { date: '2026-07-06', kind: 'holiday', note: '重试' }, { 'idempotency-key': 'crashed-0001' });
    expect(res.statusCode).toBe(201);
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before + 1);
  });
});

describe('start-up', () => {
  it('while migrations and demo data are loading, API routes answer 503 SERVICE_STARTING and health 503', async () => {
    const shuji = await t.login('shuji');
    t.app.ctx.ready = false;
    try {
      const res = await shuji.get('/api/v1/org/tree');
      expect(res.statusCode).toBe(503);
      expect(errorOf(res).code).toBe('SERVICE_STARTING');
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(503);
    } finally {
      t.app.ctx.ready = true;
    }
  });
});

describe('first start without demo data', () => {
  it('creates the three separated admins (system, security, audit) with one-time passwords in a 0600 file', async () => {
    const fresh = await testApp({ demo: false });
    try {
      const file = path.join(fresh.config.dataDir, 'initial-admin.txt');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const text = fs.readFileSync(file, 'utf8');
      for (const [username, role] of [['admin', 'system_admin'], ['secadmin', 'security_admin'], ['auditor', 'audit_admin']] as const) {
        const password = text.match(new RegExp(`用户名: ${username}\\s+一次性密码: (\\S+)`))![1]!;
        const res = await fresh.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
        expect(res.statusCode, username).toBe(200);
        expect(res.json().user).toMatchObject({ roles: [role], mustChangePassword: true });
      }
    } finally {
      fs.rmSync(path.join(fresh.config.dataDir, 'initial-admin.txt'), { force: true });
      await fresh.close();
    }
  });
});
