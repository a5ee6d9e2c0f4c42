import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import Fastify, { type FastifyServerOptions, type InjectOptions } from 'fastify';
import { countRows, errorOf, onPostgres, testApp, type Client, type TestApp } from './helpers/app.js';
import { buildApp } from '../src/server/app.js';
import { loggerOptions } from '../src/server/logger.js';

/** API.md "Conventions", as far as the platform implements them. */
let t: TestApp;
let admin: Client;
let keyuan: Client;
beforeAll(async () => {
  t = await testApp();
  admin = await t.login('admin');
  keyuan = await t.login('keyuan1');
});
afterAll(async () => { await t?.close(); });

const inject = (opts: InjectOptions) => t.app.inject(opts);
let seq = 0;
/** A fresh weekday in 2026 for each override, so tests do not collide. */
const nextWeekday = (() => {
  let d = Date.parse('2026-03-02T00:00:00Z');
  return () => {
    do d += 86_400_000; while ([0, 6].includes(new Date(d).getUTCDay()));
    return new Date(d).toISOString().slice(0, 10);
  };
})();
const newKey = () => `0190aaaa-0000-7000-8000-${String(++seq).padStart(12, '0')}`;
const override = (date: string, note = '幂等测试') => ({ date, kind: 'holiday', note });

describe('errors and validation', () => {
  it('malformed JSON → 400 VALIDATION_FAILED with the standard error shape, nothing written', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await admin.post('/api/v1/calendar/overrides', undefined, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    const s = await session('admin');
    for (const payload of ['{"date":', 'not json', '[1,2', '{"date":"2026-03-03",}']) {
      const r = await inject({
        method: 'POST', url: '/api/v1/calendar/overrides', payload,
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf }, cookies: { jiedao_sid: s.cookie },
      });
      expect(r.statusCode, payload).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      const err = errorOf(r);
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('missing fields, wrong types, unknown fields and over-long strings → 400 with details naming the field', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const cases: [unknown, string][] = [
      [{}, 'body.date'],
      [{ date: '2026-03-03', kind: 'holiday' }, 'body.note'],
      [{ date: 20260303, kind: 'holiday', note: 'x' }, 'body.date'],
      [{ date: '2026-03-03', kind: 'holiday', note: 42 }, 'body.note'],
      [{ date: '2026-03-03', kind: 'holiday', note: 'x'.repeat(201) }, 'body.note'],
      [{ date: '2026-03-03', kind: 'holiday', note: 'x', extra: true }, 'body.extra'],
      [[1, 2], 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await admin.post('/api/v1/calendar/overrides', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const err = errorOf(res);
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.details.map((d) => d.path), JSON.stringify(body)).toContain(path);
      for (const d of err.details) expect(d.code).toMatch(/^[A-Z_]+$/);
    }
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('pageSize over 200 → 400; 200 is allowed; page defaults are reported in the envelope', async () => {
    for (const q of ['pageSize=100000', 'pageSize=201', 'pageSize=0', 'page=0', 'pageSize=abc']) {
      const res = await keyuan.get(`/api/v1/calendar/overrides?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    const ok = await keyuan.get('/api/v1/calendar/overrides?pageSize=200');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ items: expect.any(Array), total: expect.any(Number), page: 1, pageSize: 200 });
    expect((await keyuan.get('/api/v1/calendar/overrides')).json()).toMatchObject({ page: 1, pageSize: 20 });
  });

  it('unknown query parameters → 400, on a route with a query schema and on one without', async () => {
    const withSchema = await keyuan.get('/api/v1/calendar/days?from=2026-01-01&to=2026-01-02&foo=1');
    expect(withSchema.statusCode).toBe(400);
    expect(errorOf(withSchema).code).toBe('VALIDATION_FAILED');
    const withoutSchema = await keyuan.get('/api/v1/calendar/published-years?foo=1');
    expect(withoutSchema.statusCode).toBe(400);
    expect(errorOf(withoutSchema)).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'query.foo' })] });
    expect((await keyuan.get('/api/v1/auth/me?x=1')).statusCode).toBe(400);
    expect((await keyuan.get('/api/v1/calendar/published-years')).statusCode).toBe(200);
  });

  it('unknown routes under /api answer 404 JSON with the error shape, never HTML', async () => {
    for (const [method, url] of [['GET', '/api/v1/nothing-here'], ['POST', '/api/v1/nothing-here'], ['GET', '/api/whatever'], ['GET', '/api/v1/calendar/days/extra'], ['DELETE', '/api/v1/calendar/overrides']] as const) {
      const res = await inject({ method, url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(res.body).not.toMatch(/<html|<!doctype/i);
      expect(errorOf(res).code).toBe('NOT_FOUND');
    }
    // Logged in, too.
    expect(errorOf(await keyuan.get('/api/v1/nothing-here')).code).toBe('NOT_FOUND');
  });

  it('unauthenticated → 401 UNAUTHENTICATED; a bad cookie or token is no better', async () => {
    for (const res of [
      await inject({ method: 'GET', url: '/api/v1/calendar/days?from=2026-01-01&to=2026-01-02' }),
      await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: override('2026-03-03') }),
      await inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { jiedao_sid: 'forged' } }),
      await inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer forged' } }),
      // Login is checked before the body and query: an anonymous caller learns nothing from validation.
      await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: { nonsense: true } }),
      await inject({ method: 'GET', url: '/api/v1/calendar/days?bogus=1' }),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    }
  });

  it('a route without permission → 403 FORBIDDEN, nothing written', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await keyuan.post('/api/v1/calendar/overrides', override('2026-03-03'));
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('FORBIDDEN');
    expect(errorOf(await keyuan.get('/api/v1/audit/events')).code).toBe('FORBIDDEN');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('a cookie-authenticated POST without the CSRF token → 403 CSRF_TOKEN_INVALID; bearer clients need none', async () => {
    const before = await countRows(t.db, 'calendar_overrides');
    const s = await session('admin');
    const res = await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: override('2026-03-03'), cookies: { jiedao_sid: s.cookie } });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('CSRF_TOKEN_INVALID');
    // Another session's token does not do either.
    const wrong = await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: override('2026-03-03'), cookies: { jiedao_sid: s.cookie }, headers: { 'x-csrf-token': admin.csrf } });
    expect(errorOf(wrong).code).toBe('CSRF_TOKEN_INVALID');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
    const right = await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: override(nextWeekday(), 'csrf'), cookies: { jiedao_sid: s.cookie }, headers: { 'x-csrf-token': s.csrf } });
    expect(right.statusCode).toBe(201);

    const { token } = (await inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'admin', password: 'Jiedao@2026' } })).json();
    const ok = await inject({ method: 'POST', url: '/api/v1/calendar/overrides', payload: override(nextWeekday(), 'bearer'), headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(201);
  });

  it('dates are YYYY-MM-DD and timestamps ISO 8601 with an offset', async () => {
    const list = (await admin.get('/api/v1/calendar/overrides?pageSize=200')).json();
    expect(list.items.length).toBeGreaterThan(0);
    for (const i of list.items) {
      expect(i.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(i.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    }
  });
});

/** A fresh cookie session of a user: its cookie and CSRF token. */
async function session(username: string): Promise<{ cookie: string; csrf: string }> {
  const res = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: 'Jiedao@2026' } });
  return { cookie: res.cookies.find((k) => k.name === 'jiedao_sid')!.value, csrf: res.json().csrfToken };
}

describe('Idempotency-Key', () => {
  it('a repeated POST with the same key and body returns the same status and body and acts once', async () => {
    const key = newKey();
    const body = override(nextWeekday());
    const before = await countRows(t.db, 'calendar_overrides');
    const auditBefore = await countRows(t.db, 'audit_events');
    const first = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replay']).toBeUndefined();
    const second = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replay']).toBe('true');
    const third = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(third.json()).toEqual(first.json());
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before + 1);
    expect(await countRows(t.db, 'audit_events')).toBe(auditBefore + 1);
    // Without a key the same body acts again (and here meets the existing override).
    const again = await admin.post('/api/v1/calendar/overrides', body);
    expect(again.statusCode).toBe(409);
  });

  it('an error answer is replayed as well (status and body)', async () => {
    const key = newKey();
    const body = override('2026-03-07'); // a Saturday: no effect
    const first = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(422);
    const second = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(second.statusCode).toBe(422);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replay']).toBe('true');
  });

  it('the same key with another body → 422 IDEMPOTENCY_KEY_REUSED, nothing written', async () => {
    const key = newKey();
    expect((await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': key })).statusCode).toBe(201);
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': key });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before);
  });

  it('concurrent repeats act once', async () => {
    const key = newKey();
    const body = override(nextWeekday());
    const before = await countRows(t.db, 'calendar_overrides');
    const res = await Promise.all([1, 2, 3].map(() => admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key })));
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before + 1);
    expect(res.filter((r) => r.statusCode === 201 && r.headers['idempotent-replay'] === undefined)).toHaveLength(1);
    for (const r of res) {
      if (r.statusCode === 201) continue;
      expect(r.statusCode).toBe(409);
      expect(errorOf(r).code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
  });

  it('a key older than 24 h no longer replays', async () => {
    const key = newKey();
    expect((await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': key })).statusCode).toBe(201);
    await t.db.updateTable('idempotency_keys').set({ created_at: new Date(Date.now() - 25 * 3_600_000) }).where('key', '=', key).execute();
    const res = await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': key });
    expect(res.statusCode).toBe(201);
    expect(res.headers['idempotent-replay']).toBeUndefined();
  });

  it('a different actor with the same key acts independently', async () => {
    // A second system admin: created by admin, role granted by the security admin.
    const created = await admin.post('/api/v1/admin/users', { username: 'admin2', name: '第二管理员' });
    expect(created.statusCode).toBe(201);
    const { user, initialPassword } = created.json();
    const sec = await t.login('secadmin');
    expect((await sec.post(`/api/v1/admin/users/${user.id}/grants`, { role: 'system_admin', dataScope: 'all' })).statusCode).toBe(201);
    const first2 = await t.login('admin2', initialPassword);
    expect((await first2.post('/api/v1/auth/password', { currentPassword: initialPassword, newPassword: 'Admin2#2026' })).statusCode).toBe(204);
    const admin2 = await t.login('admin2', 'Admin2#2026');

    const key = newKey();
    const body = override(nextWeekday());
    const first = await admin.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    // Same key and body from another actor: not a replay of admin's answer — it acts, and meets admin's override.
    const same = await admin2.post('/api/v1/calendar/overrides', body, { 'idempotency-key': key });
    expect(same.statusCode).toBe(409);
    expect(errorOf(same).code).toBe('OVERRIDE_EXISTS');
    expect(same.headers['idempotent-replay']).toBeUndefined();
    // Same key, another body from the other actor: acts (not IDEMPOTENCY_KEY_REUSED, not a replay).
    const key2 = newKey();
    expect((await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': key2 })).statusCode).toBe(201);
    const before = await countRows(t.db, 'calendar_overrides');
    const own = await admin2.post('/api/v1/calendar/overrides', override(nextWeekday(), '第二管理员'), { 'idempotency-key': key2 });
    expect(own.statusCode).toBe(201);
    expect(own.json().note).toBe('第二管理员');
    expect(await countRows(t.db, 'calendar_overrides')).toBe(before + 1);
  });

  it('a malformed key → 400', async () => {
    const res = await admin.post('/api/v1/calendar/overrides', override(nextWeekday()), { 'idempotency-key': 'short' });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('VALIDATION_FAILED');
  });

  it('auth endpoints ignore the header: every login acts, and nothing is stored', async () => {
    const key = newKey();
    const keysBefore = await countRows(t.db, 'idempotency_keys');
    const login = (password: string) => inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'zhuren', password }, headers: { 'idempotency-key': key } });
    const a = await login('Jiedao@2026');
    const b = await login('Jiedao@2026');
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.headers['idempotent-replay']).toBeUndefined();
    expect(b.json().csrfToken).not.toBe(a.json().csrfToken);
    // A different body with the same key is not "reused" either.
    expect((await login('Wrong#Pass1')).statusCode).toBe(401);
    const token = await inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'zhuren', password: 'Jiedao@2026' }, headers: { 'idempotency-key': key } });
    expect(token.statusCode).toBe(200);
    expect(await countRows(t.db, 'idempotency_keys')).toBe(keysBefore);
  });
});

describe('platform endpoints', () => {
  it('GET /api/v1/health → 200 { status: ok, db, version } without login; 503 while starting', async () => {
    const res = await inject({ method: 'GET', url: '/api/v1/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({ status: 'ok', db: process.env.DATABASE_URL ? 'postgres' : 'pglite', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    t.app.ctx.ready = false;
    try {
      const starting = await inject({ method: 'GET', url: '/api/v1/health' });
      expect(starting.statusCode).toBe(503);
      expect(starting.json().status).not.toBe('ok');
    } finally {
      t.app.ctx.ready = true;
    }
    expect((await inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('GET /metrics → Prometheus text with the request-duration histogram by route', async () => {
    await inject({ method: 'GET', url: '/api/v1/health' });
    const res = await inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE jiedao_http_request_duration_seconds histogram');
    expect(res.body).toMatch(/jiedao_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/health",status="200"\} \d+/);
  });

  it('GET /api/docs/json → the OpenAPI document, listing the auth and platform routes', async () => {
    const res = await inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths).toHaveProperty(['/api/v1/auth/login']);
    expect(doc.paths['/api/v1/auth/login']).toHaveProperty('post');
    expect(doc.paths).toHaveProperty(['/api/v1/calendar/add-workdays']);
    expect(doc.paths).toHaveProperty(['/api/v1/audit/events']);
    // The page itself is reachable too.
    expect((await inject({ method: 'GET', url: '/api/docs' })).statusCode).toBeLessThan(400);
  });

  it('security headers are set on API answers (errors included)', async () => {
    for (const res of [await inject({ method: 'GET', url: '/api/v1/health' }), await inject({ method: 'GET', url: '/api/v1/nothing' }), await keyuan.get('/api/v1/auth/me')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('the session cookie is Secure when the request came over HTTPS (behind the trusted proxy), not over plain HTTP', async () => {
    const proxied = await buildApp({ ...t.config, trustProxy: true }, { db: t.db, kind: onPostgres() ? 'postgres' : 'pglite', close: async () => {} });
    try {
      const login = (proto?: string) => proxied.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'keyuan1', password: 'Jiedao@2026' }, headers: proto ? { 'x-forwarded-proto': proto } : {} });
      const https = await login('https');
      expect(https.statusCode).toBe(200);
      expect(https.cookies.find((c) => c.name === 'jiedao_sid')!.secure).toBe(true);
      const http = await login();
      expect(http.cookies.find((c) => c.name === 'jiedao_sid')!.secure).toBeFalsy();
    } finally {
      await proxied.close();
    }
    // Without a trusted proxy a client cannot claim HTTPS.
    const direct = await inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'keyuan1', password: 'Jiedao@2026' }, headers: { 'x-forwarded-proto': 'https' } });
    expect(direct.cookies.find((c) => c.name === 'jiedao_sid')!.secure).toBeFalsy();
  });
});

describe('logs never carry personal data', () => {
  const secrets = {
    idNumber: '110101199003078515',
    phone: '13812345678',
    password: 'Secret#Pass2026',
    name: '欧阳锋',
  };

  function capture(): { logger: pino.Logger; lines: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
    const logger = pino(loggerOptions('info') as pino.LoggerOptions, stream);
    return { logger, lines: () => chunks.join('') };
  }

  it('identifier fields are redacted at any depth the logger is given them, and request URLs lose their query strings', () => {
    const { logger, lines } = capture();
    logger.info({ ...secrets }, 'top level');
    logger.info({ body: { ...secrets } }, 'a request body');
    logger.info({ person: { contactPhone: secrets.phone, currentPassword: secrets.password, newPassword: secrets.password } }, 'nested');
    logger.info({ data: { person: { idNumber: secrets.idNumber, name: secrets.name } } }, 'two levels');
    logger.info({
      req: { method: 'GET', url: `/api/v1/population/persons?idNumber=${secrets.idNumber}&name=${encodeURIComponent(secrets.name)}&phone=${secrets.phone}`, ip: '10.0.0.1' },
    }, 'incoming request');
    const out = lines();
    expect(out.split('\n').filter(Boolean)).toHaveLength(5);
    for (const value of [...Object.values(secrets), encodeURIComponent(secrets.name)]) expect(out).not.toContain(value);
    expect(out).toContain('"url":"/api/v1/population/persons"');
    expect(out).toContain('[已脱敏]');
    // Non-personal fields still come through.
    expect(out).toContain('incoming request');
    expect(out).toContain('"method":"GET"');
  });

  // KNOWN BUG (src/server/logger.ts, outside this suite's remit): pino's redact paths reach two
  it('identifier fields nested deeper than two levels or inside arrays are redacted too', () => {
    const { logger, lines } = capture();
    logger.info({ a: { b: { c: { idNumber: secrets.idNumber } } } }, 'deep');
    logger.info({ err: { details: [{ phone: secrets.phone }] } }, 'in an array');
    const out = lines();
    expect(out).not.toContain(secrets.idNumber);
    expect(out).not.toContain(secrets.phone);
  });

  it('a Fastify server with these options logs requests without query strings, bodies or credentials', async () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
    const app = Fastify({ logger: { ...(loggerOptions('info') as object), stream } as FastifyServerOptions['logger'] });
    app.post('/api/v1/things', async (req) => {
      req.log.info({ body: req.body }, 'handled');
      return { ok: true };
    });
    app.get('/api/v1/fails', async () => { throw new Error('boom'); });
    try {
      const res = await app.inject({
        method: 'POST', url: `/api/v1/things?idNumber=${secrets.idNumber}&phone=${secrets.phone}`, payload: secrets,
        headers: { authorization: 'Bearer secret-token-value', cookie: 'jiedao_sid=secret-cookie-value', 'x-csrf-token': 'secret-csrf-value' },
      });
      expect(res.statusCode).toBe(200);
      await app.inject({ method: 'GET', url: `/api/v1/fails?name=${encodeURIComponent(secrets.name)}` });
    } finally {
      await app.close();
    }
    const out = chunks.join('');
    expect(out).toContain('incoming request');
    expect(out).toContain('"url":"/api/v1/things"');
    expect(out).toContain('"url":"/api/v1/fails"');
    expect(out).toContain('handled');
    for (const value of [...Object.values(secrets), encodeURIComponent(secrets.name), 'secret-token-value', 'secret-cookie-value', 'secret-csrf-value']) {
      expect(out).not.toContain(value);
    }
  });
});
