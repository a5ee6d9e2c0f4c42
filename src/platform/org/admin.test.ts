import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { countRows, errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { passwordProblems } from '../auth/passwords.js';
import { activePolicy } from '../policy/service.js';
import { officeToday } from '../time.js';
import { invalidateProfiles, loadProfile } from './profile.js';
import { resetAdminPasswordOffline } from './admin-service.js';
import { DEMO_PASSWORD } from './demo/seed.js';

/**
 * Staff administration (人员、岗位、授权): the system admin manages people and posts, the security
 * admin grants roles, and every write is refused unless the rule allows it — each test is named
 * after its rule.
 */
let t: TestApp;
let admin: Client;
let sec: Client;
let keyuan: Client;

beforeAll(async () => {
  t = await testApp();
  [admin, sec, keyuan] = [await t.login('admin'), await t.login('secadmin'), await t.login('keyuan1')];
});
afterAll(async () => { await t?.close(); });

const unitId = async (name: string): Promise<string> =>
  (await t.db.selectFrom('org_units').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const userId = async (username: string): Promise<string> =>
  (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
const addDays = (d: string, n: number): string => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** The office's yesterday (posts are active while valid_to >= the office's today, Asia/Shanghai). */
const yesterday = (): string => addDays(officeToday(), -1);
const counts = async () => ({
  users: await countRows(t.db, 'users'),
  posts: await countRows(t.db, 'staff_posts'),
  grants: await countRows(t.db, 'role_grants'),
  audit: await countRows(t.db, 'audit_events'),
});
const auditOf = (entityId: string) => t.db.selectFrom('audit_events').select(['action', 'actor_id', 'entity', 'entity_id', 'summary'])
  .where('entity_id', '=', entityId).orderBy('seq').execute();

/** Creates a user as the system admin and returns the id and one-time password. */
async function createUser(username: string, name = '测试人员'): Promise<{ id: string; password: string }> {
  const res = await admin.post('/api/v1/admin/users', { username, name });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json().user.id, password: res.json().initialPassword };
}
async function addPost(id: string, unitName: string, post: string, extra: { validFrom?: string; validTo?: string; primary?: boolean } = {}) {
  const res = await admin.post(`/api/v1/admin/users/${id}/posts`, { orgUnitId: await unitId(unitName), post, validFrom: '2026-01-01', primary: true, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}
const grant = (by: Client, id: string, body: Record<string, unknown>) => by.post(`/api/v1/admin/users/${id}/grants`, body);
/** A new person's first login: with the one-time password, which they must change before anything else. */
const NEW_PASSWORD = 'Xin-Mima-2026';
async function firstLogin(username: string, oneTimePassword: string): Promise<Client> {
  const c = await t.login(username, oneTimePassword);
  const res = await c.post('/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: NEW_PASSWORD });
  expect(res.statusCode, res.body).toBe(204);
  return c;
}
const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
const permissionsOf = async (c: Client): Promise<string[]> => (await c.get('/api/v1/auth/me')).json().user.permissions;

describe('三员分立 — the separated admin roles', () => {
  it('granting security_admin or audit_admin to the system admin → 409 ADMIN_ROLES_SEPARATED, nothing written', async () => {
    const adminId = await userId('admin');
    const before = await counts();
    for (const role of ['security_admin', 'audit_admin']) {
      const res = await grant(sec, adminId, { role, dataScope: 'all' });
      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('ADMIN_ROLES_SEPARATED');
    }
    const toAuditor = await grant(sec, await userId('auditor'), { role: 'system_admin', dataScope: 'all' });
    expect(toAuditor.statusCode).toBe(409);
    expect(errorOf(toAuditor).code).toBe('ADMIN_ROLES_SEPARATED');
    expect(await counts()).toEqual(before);
    expect((await admin.get('/api/v1/auth/me')).json().user.roles).toEqual(['system_admin']);
  });

  it('a person holding no admin role may receive one — and then no second one', async () => {
    const u = await createUser('shenji-2', '审计员乙');
    const first = await grant(sec, u.id, { role: 'audit_admin', dataScope: 'all' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ role: 'audit_admin', dataScope: 'all' });
    const before = await countRows(t.db, 'role_grants');
    const second = await grant(sec, u.id, { role: 'system_admin', dataScope: 'all' });
    expect(second.statusCode).toBe(409);
    expect(errorOf(second).code).toBe('ADMIN_ROLES_SEPARATED');
    expect(await countRows(t.db, 'role_grants')).toBe(before);
  });
});

describe('granting roles', () => {
  it('granting a role to oneself → 403 FORBIDDEN, however the own id is written', async () => {
    const own = await userId('secadmin');
    const before = await counts();
    for (const id of [own, own.toUpperCase()]) {
      const res = await grant(sec, id, { role: 'leader', dataScope: 'all' });
      expect(res.statusCode, id).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
    }
    expect(await counts()).toEqual(before);
    expect((await sec.get('/api/v1/auth/me')).json().user.roles).toEqual(['security_admin']);
  });

  it('a grant wider than the granter\'s own data scope → 403 GRANT_EXCEEDS_OWN; people outside it are not even found; inside it the grant succeeds', async () => {
    // A security admin for 蜀汉街社区 only: custom scope = the community and every unit under it.
    const sh = await unitId('蜀汉街社区');
    const shUnits = [sh, ...(await t.db.selectFrom('org_units').select('id').where('parent_id', '=', sh).execute()).map((r) => r.id)];
    const anquan = await createUser('anquan-sh', '蜀汉街安全员');
    await addPost(anquan.id, '蜀汉街社区', 'security_admin');
    expect((await grant(sec, anquan.id, { role: 'security_admin', dataScope: 'custom', customUnitIds: shUnits })).statusCode).toBe(201);
    const scoped = await firstLogin('anquan-sh', anquan.password);

    const before = await countRows(t.db, 'role_grants');
    // A person whose posts are all in another community: outside the scope, so 404 (existence never leaks).
    const xmq = await grant(scoped, await userId('wangge-xmq-1'), { role: 'station', dataScope: 'unit_and_below' });
    expect(xmq.statusCode).toBe(404);
    expect(errorOf(xmq).code).toBe('NOT_FOUND');
    expect((await scoped.get(`/api/v1/admin/users/${await userId('wangge-xmq-1')}`)).statusCode).toBe(404);
    // A person with posts in both communities (兼职): visible, but unit_and_below would reach 洗面桥社区.
    const both = await createUser('jianzhi-1', '兼职网格员');
    await addPost(both.id, '蜀汉街社区第3网格', 'grid_worker');
    await addPost(both.id, '洗面桥社区第2网格', 'grid_worker', { primary: false });
    const wide = await grant(scoped, both.id, { role: 'grid_worker', dataScope: 'unit_and_below' });
    expect(wide.statusCode).toBe(403);
    expect(errorOf(wide).code).toBe('GRANT_EXCEEDS_OWN');
    // 全部 is wider than a community, whoever receives it.
    const target = await userId('wangge-sh-2');
    const all = await grant(scoped, target, { role: 'station', dataScope: 'all' });
    expect(all.statusCode).toBe(403);
    expect(errorOf(all).code).toBe('GRANT_EXCEEDS_OWN');
    // A custom scope naming a unit of another community names a unit outside the caller's scope: 403 FORBIDDEN.
    const custom = await grant(scoped, target, { role: 'station', dataScope: 'custom', customUnitIds: [await unitId('洗面桥社区')] });
    expect(custom.statusCode).toBe(403);
    expect(errorOf(custom).code).toBe('FORBIDDEN');
    expect(await countRows(t.db, 'role_grants')).toBe(before);

    // Within the community the same grant succeeds.
    const ok = await grant(scoped, target, { role: 'station', dataScope: 'unit_and_below' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await countRows(t.db, 'role_grants')).toBe(before + 1);
    const row = await t.db.selectFrom('role_grants').selectAll().where('id', '=', ok.json().id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: target, role: 'station', data_scope: 'unit_and_below', granted_by: anquan.id, revoked_at: null });
    // The scoped admin's user list holds only people of 蜀汉街社区 — those they can open: someone whose
    // post there has ended is neither listed nor found.
    const left = await createUser('wangge-left', '已离岗网格员');
    await addPost(left.id, '蜀汉街社区第5网格', 'grid_worker', { validFrom: '2026-01-01', validTo: '2026-06-30' });
    expect((await scoped.get(`/api/v1/admin/users/${left.id}`)).statusCode).toBe(404);
    const listed = (await scoped.get('/api/v1/admin/users?q=wangge&pageSize=50')).json();
    expect(listed.items.map((u: { username: string }) => u.username).sort()).toEqual(['wangge-sh-1', 'wangge-sh-2']);
    expect(listed.total).toBe(2);
    for (const item of listed.items) expect((await scoped.get(`/api/v1/admin/users/${item.id}`)).statusCode).toBe(200);
  });

  it('a role assigner who is not the security admin cannot grant permissions they lack → 403 GRANT_EXCEEDS_OWN', async () => {
    const u = await createUser('sqgl-sh', '蜀汉街社区管理员');
    await addPost(u.id, '蜀汉街社区', 'station_head');
    const given = await grant(sec, u.id, { role: 'community_admin', dataScope: 'unit_and_below' });
    expect(given.statusCode, given.body).toBe(201);
    const sqgl = await firstLogin('sqgl-sh', u.password);
    expect(await permissionsOf(sqgl)).toContain('role:assign');

    const target = await userId('wangge-sh-1');
    const before = await countRows(t.db, 'role_grants');
    for (const role of ['security_admin', 'audit_admin', 'system_admin']) {
      const res = await grant(sqgl, target, { role, dataScope: 'unit' });
      expect(res.statusCode, role).toBe(403);
      expect(errorOf(res).code).toBe('GRANT_EXCEEDS_OWN');
    }
    const unlock = await grant(sqgl, target, { role: 'security_admin', dataScope: 'unit' });
    expect(errorOf(unlock).message).toContain('user:unlock');
    // Wider scope than their own (本单位及下级 of 蜀汉街社区) is refused as well.
    const scope = await grant(sqgl, target, { role: 'police_liaison', dataScope: 'all' });
    expect(scope.statusCode).toBe(403);
    expect(errorOf(scope).code).toBe('GRANT_EXCEEDS_OWN');
    expect(await countRows(t.db, 'role_grants')).toBe(before);
    // A role whose permissions they hold, within their scope: granted.
    const ok = await grant(sqgl, target, { role: 'station', dataScope: 'unit' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(await countRows(t.db, 'role_grants')).toBe(before + 1);
  });

  it('a revoke is bound like a grant: a community admin cannot take away a grant wider than their own → 403 GRANT_EXCEEDS_OWN', async () => {
    const u = await createUser('sqgl-sh-b', '蜀汉街社区管理员乙');
    await addPost(u.id, '蜀汉街社区', 'station_head');
    expect((await grant(sec, u.id, { role: 'community_admin', dataScope: 'unit_and_below' })).statusCode).toBe(201);
    const sqgl = await firstLogin('sqgl-sh-b', u.password);
    // 孙海燕 (fenguan1) holds a post in 蜀汉街社区, so she is visible — but her 全部 grant is wider than the community admin's scope.
    const fenguan = await userId('fenguan1');
    const leaderGrant = await t.db.selectFrom('role_grants').select('id').where('user_id', '=', fenguan).where('role', '=', 'leader').executeTakeFirstOrThrow();
    const res = await sqgl.post(`/api/v1/admin/users/${fenguan}/grants/${leaderGrant.id}/revoke`, { reason: '越权撤销' });
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('GRANT_EXCEEDS_OWN');
    // Nor the security admin role of someone in the community (permissions they do not hold).
    const target = await createUser('anquan-sh-b', '蜀汉街安全员乙');
    await addPost(target.id, '蜀汉街社区', 'security_admin');
    const secGrant = await grant(sec, target.id, { role: 'security_admin', dataScope: 'unit_and_below' });
    expect(secGrant.statusCode).toBe(201);
    const res2 = await sqgl.post(`/api/v1/admin/users/${target.id}/grants/${secGrant.json().id}/revoke`, { reason: '越权撤销' });
    expect(res2.statusCode).toBe(403);
    expect(errorOf(res2).code).toBe('GRANT_EXCEEDS_OWN');
    const live = await t.db.selectFrom('role_grants').select('id').where('id', 'in', [leaderGrant.id, secGrant.json().id]).where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(2);
    // A grant inside their scope and permissions they may revoke.
    const small = await grant(sqgl, await userId('wangge-sh-2'), { role: 'grid_worker', dataScope: 'unit_and_below' });
    expect(small.statusCode, small.body).toBe(201);
    const ok = await sqgl.post(`/api/v1/admin/users/${await userId('wangge-sh-2')}/grants/${small.json().id}/revoke`, { reason: '授权有误' });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('a revoked grant stops giving its permissions at once: /auth/me loses them, the endpoints they opened answer 403', async () => {
    const u = await createUser('sqgl-sh-c', '蜀汉街社区管理员丙');
    await addPost(u.id, '蜀汉街社区', 'station_head');
    const g = await grant(sec, u.id, { role: 'community_admin', dataScope: 'unit_and_below' });
    expect(g.statusCode).toBe(201);
    const c = await firstLogin('sqgl-sh-c', u.password);
    expect(await permissionsOf(c)).toEqual(expect.arrayContaining(['role:assign', 'org:read']));
    expect((await c.get('/api/v1/admin/users')).statusCode).toBe(200);

    // (UUIDs are case-insensitive: an upper-case id names the same person, and their cached permissions go too.)
    const res = await sec.post(`/api/v1/admin/users/${u.id.toUpperCase()}/grants/${g.json().id}/revoke`, { reason: '岗位调整' });
    expect(res.statusCode).toBe(200);
    expect(await permissionsOf(c)).toEqual([]);
    expect((await c.get('/api/v1/auth/me')).json().user.roles).toEqual([]);
    expect((await c.get('/api/v1/admin/users')).statusCode).toBe(403);
    const again = await grant(c, await userId('wangge-sh-1'), { role: 'station', dataScope: 'unit' });
    expect(again.statusCode).toBe(403);
    expect(errorOf(again).code).toBe('FORBIDDEN');
    // The grant is kept as history, with who revoked it and why; a second revoke is a conflict.
    const row = await t.db.selectFrom('role_grants').selectAll().where('id', '=', g.json().id).executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    expect(row).toMatchObject({ revoked_by: await userId('secadmin'), revoke_reason: '岗位调整' });
    const twice = await sec.post(`/api/v1/admin/users/${u.id}/grants/${g.json().id}/revoke`, { reason: '再次撤销' });
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice).code).toBe('GRANT_ALREADY_REVOKED');
  });
});

describe('people and posts (system admin)', () => {
  it('creating a user → 201 with a one-time password meeting the password policy; the new user must change it at login', async () => {
    const res = await admin.post('/api/v1/admin/users', { username: 'xinren-1', name: '新人甲' });
    expect(res.statusCode).toBe(201);
    const { user, initialPassword } = res.json();
    expect(user).toMatchObject({ username: 'xinren-1', name: '新人甲', mustChangePassword: true, roles: [], posts: [] });
    const { pack } = await activePolicy(t.db);
    expect(passwordProblems(initialPassword, pack.security.password)).toEqual([]);
    expect(initialPassword.length).toBeGreaterThanOrEqual(8);
    expect([/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(initialPassword)).length).toBeGreaterThanOrEqual(3);
    const row = await t.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(initialPassword);
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'xinren-1', password: initialPassword } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.mustChangePassword).toBe(true);
    // Audited without the password.
    const events = await auditOf(user.id);
    expect(events.map((e) => e.action)).toEqual(['user.create']);
    expect(events[0]!.actor_id).toBe(await userId('admin'));
    expect(events[0]!.summary).not.toContain(initialPassword);
  });

  it('a name of exactly 50 characters is accepted; 51 is 400', async () => {
    expect((await admin.post('/api/v1/admin/users', { username: 'name-50', name: '名'.repeat(50) })).statusCode).toBe(201);
    const res = await admin.post('/api/v1/admin/users', { username: 'name-51', name: '名'.repeat(51) });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    expect(await t.db.selectFrom('users').select('id').where('username', '=', 'name-51').executeTakeFirst()).toBeUndefined();
  });

  it('a repeated username → 409 USERNAME_TAKEN, nothing written', async () => {
    const before = await counts();
    for (const username of ['keyuan1', '  keyuan1 ']) {
      const res = await admin.post('/api/v1/admin/users', { username, name: '重名者' });
      expect(res.statusCode).toBe(409);
      expect(errorOf(res).code).toBe('USERNAME_TAKEN');
      expect(errorOf(res).details[0]).toMatchObject({ path: 'username', code: 'USERNAME_TAKEN' });
    }
    expect(await counts()).toEqual(before);
    expect((await t.db.selectFrom('users').select('name').where('username', '=', 'keyuan1').executeTakeFirstOrThrow()).name).toBe('何小雨');
  });

  it('a grid_worker post must be in a grid itself → 422 POST_UNIT_MISMATCH; in a grid it is added', async () => {
    const u = await createUser('wangge-new-1', '新网格员');
    const before = await counts();
    for (const name of ['蜀汉街社区', '党政办', '浆洗街街道', '蜀汉街社区第1警务区']) {
      const res = await admin.post(`/api/v1/admin/users/${u.id}/posts`, { orgUnitId: await unitId(name), post: 'grid_worker', validFrom: '2026-01-01' });
      expect(res.statusCode, name).toBe(422);
      expect(errorOf(res).code).toBe('POST_UNIT_MISMATCH');
    }
    expect(await counts()).toEqual(before);
    const ok = await admin.post(`/api/v1/admin/users/${u.id}/posts`, { orgUnitId: await unitId('蜀汉街社区第4网格'), post: 'grid_worker', primary: true, validFrom: '2026-01-01' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ post: 'grid_worker', primary: true, validFrom: '2026-01-01', validTo: null });
    const detail = (await admin.get(`/api/v1/admin/users/${u.id}`)).json();
    expect(detail.posts).toEqual([expect.objectContaining({ orgUnitName: '蜀汉街社区第4网格', post: 'grid_worker', primary: true })]);
    expect((await auditOf(u.id)).map((e) => e.action)).toEqual(['user.create', 'user.post_add']);
  });

  it('a post ending before it starts → 422 INVALID_PERIOD, nothing written', async () => {
    const u = await createUser('period-1', '任期测试');
    const before = await counts();
    const res = await admin.post(`/api/v1/admin/users/${u.id}/posts`, { orgUnitId: await unitId('党政办'), post: 'staff', validFrom: '2026-03-01', validTo: '2026-02-28' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('INVALID_PERIOD');
    expect(await counts()).toEqual(before);
  });

  it('ending a post: it leaves `posts` and the holder\'s data scope at once, the row stays as history', async () => {
    const u = await createUser('wangge-end-1', '离岗网格员');
    const post = await addPost(u.id, '蜀汉街社区第3网格', 'grid_worker');
    expect((await grant(sec, u.id, { role: 'grid_worker', dataScope: 'unit' })).statusCode).toBe(201);
    const c = await firstLogin('wangge-end-1', u.password);
    const tree = (await c.get('/api/v1/org/tree')).json().items;
    expect(tree[0].children[0].children.map((g: { name: string }) => g.name)).toEqual(['蜀汉街社区第3网格']);
    const grid3 = await unitId('蜀汉街社区第3网格');
    expect((await c.get(`/api/v1/org/units/${grid3}`)).statusCode).toBe(200);

    const early = await admin.post(`/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo: '2025-12-31' });
    expect(early.statusCode).toBe(422);
    expect(errorOf(early).code).toBe('INVALID_PERIOD');

    const validTo = yesterday();
    const res = await admin.post(`/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: post.id, validTo });
    expect((await admin.get(`/api/v1/admin/users/${u.id}`)).json().posts).toEqual([]);
    expect((await c.get('/api/v1/auth/me')).json().user.posts).toEqual([]);
    expect((await c.get('/api/v1/org/tree')).json().items).toEqual([]);
    expect((await c.get(`/api/v1/org/units/${grid3}`)).statusCode).toBe(404);
    const staff = (await (await t.login('shuji')).get(`/api/v1/org/units/${grid3}`)).json().staff;
    expect(staff.map((s: { userId: string }) => s.userId)).not.toContain(u.id);
    const row = await t.db.selectFrom('staff_posts').selectAll().where('id', '=', post.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: u.id, org_unit_id: grid3, post: 'grid_worker', valid_from: '2026-01-01', valid_to: validTo });

    const twice = await admin.post(`/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo });
    expect(twice.statusCode).toBe(409);
    expect(errorOf(twice).code).toBe('POST_ALREADY_ENDED');
  });

  it('a unit\'s staff are the posts running today: a fixed-term post is listed, a post not yet started is not', async () => {
    const fixed = await createUser('jiediao-1', '借调人员');
    await addPost(fixed.id, '财政所', 'staff', { validFrom: '2026-01-01', validTo: '2099-12-31' });
    const later = await createUser('xinren-later', '待入职人员');
    await addPost(later.id, '财政所', 'staff', { validFrom: '2099-01-01' });
    const czs = (await (await t.login('shuji')).get(`/api/v1/org/units/${await unitId('财政所')}`)).json();
    const ids = czs.staff.map((s: { userId: string }) => s.userId);
    expect(ids).toContain(fixed.id);
    expect(ids).not.toContain(later.id);
    // The same as each person's own list of active posts.
    expect((await admin.get(`/api/v1/admin/users/${fixed.id}`)).json().posts).toHaveLength(1);
    expect((await admin.get(`/api/v1/admin/users/${later.id}`)).json().posts).toHaveLength(0);
  });
});

describe('permissions and audit of admin writes', () => {
  it('non-admins get 403 on every admin write, and nothing is written', async () => {
    const target = await userId('wangge-sh-2');
    const post = await t.db.selectFrom('staff_posts').select('id').where('user_id', '=', target).executeTakeFirstOrThrow();
    const g = await t.db.selectFrom('role_grants').select('id').where('user_id', '=', target).executeTakeFirstOrThrow();
    const writes: [string, unknown][] = [
      ['/api/v1/admin/users', { username: 'intruder', name: '越权者' }],
      [`/api/v1/admin/users/${target}/posts`, { orgUnitId: await unitId('党政办'), post: 'staff', validFrom: '2026-01-01' }],
      [`/api/v1/admin/users/${target}/posts/${post.id}/end`, { validTo: '2026-06-30' }],
      [`/api/v1/admin/users/${target}/grants`, { role: 'leader', dataScope: 'all' }],
      [`/api/v1/admin/users/${target}/grants/${g.id}/revoke`, { reason: '越权' }],
      [`/api/v1/admin/users/${target}/unlock`, undefined],
      [`/api/v1/admin/users/${target}/reset-password`, undefined],
    ];
    const others = [await t.login('zhan-sh'), await t.login('shuji')];
    const before = await counts();
    for (const c of [keyuan, ...others]) {
      for (const [url, body] of writes) {
        const res = await c.post(url, body);
        expect(res.statusCode, `${c.username} ${url}`).toBe(403);
        expect(errorOf(res).code).toBe('FORBIDDEN');
      }
    }
    // 三员分立 in permissions: the system admin does not grant, the security admin does not manage people.
    for (const [url, body] of writes.slice(3, 6)) expect((await admin.post(url, body)).statusCode, `admin ${url}`).toBe(403);
    for (const [url, body] of [...writes.slice(0, 3), writes[6]!]) expect((await sec.post(url, body)).statusCode, `secadmin ${url}`).toBe(403);
    expect(await counts()).toEqual(before);
    expect((await keyuan.get('/api/v1/admin/users')).statusCode).toBe(403);
  });

  it('every admin write is audited with its action, actor and the person concerned', async () => {
    const u = await createUser('audit-trail-1', '审计轨迹');
    const post = await addPost(u.id, '党政办', 'staff');
    const g = await grant(sec, u.id, { role: 'staff', dataScope: 'unit' });
    expect(g.statusCode).toBe(201);
    expect((await sec.post(`/api/v1/admin/users/${u.id}/grants/${g.json().id}/revoke`, { reason: '测试撤销' })).statusCode).toBe(200);
    expect((await admin.post(`/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo: '2026-06-30' })).statusCode).toBe(200);
    const reset = await admin.post(`/api/v1/admin/users/${u.id}/reset-password`);
    expect(reset.statusCode).toBe(200);
    expect((await sec.post(`/api/v1/admin/users/${u.id}/unlock`)).statusCode).toBe(204);

    const [adminId, secId] = [await userId('admin'), await userId('secadmin')];
    const events = await auditOf(u.id);
    expect(events.map((e) => [e.action, e.actor_id])).toEqual([
      ['user.create', adminId], ['user.post_add', adminId], ['user.role_grant', secId], ['user.role_revoke', secId],
      ['user.post_end', adminId], ['user.password_reset', adminId], ['user.unlock', secId],
    ]);
    expect(events.every((e) => e.entity === 'user')).toBe(true);
    expect(JSON.parse(events[2]!.summary)).toMatchObject({ grantId: g.json().id, role: 'staff', dataScope: 'unit' });
    expect(JSON.parse(events[3]!.summary)).toMatchObject({ grantId: g.json().id, reason: '测试撤销' });
    for (const e of events) {
      expect(e.summary).not.toContain(u.password);
      expect(e.summary).not.toContain(reset.json().initialPassword);
    }
  });

  it('bad bodies → 400 VALIDATION_FAILED with the error shape, and nothing is written', async () => {
    const u = await createUser('bad-body-1', '坏请求');
    const post = await addPost(u.id, '党政办', 'staff');
    const g = await grant(sec, u.id, { role: 'staff', dataScope: 'unit' });
    const dzb = await unitId('党政办');
    const cases: [Client, string, unknown][] = [
      // users
      [admin, '/api/v1/admin/users', {}],
      [admin, '/api/v1/admin/users', { username: 'no-name' }],
      [admin, '/api/v1/admin/users', { name: '无用户名' }],
      [admin, '/api/v1/admin/users', { username: 'extra-1', name: '多字段', role: 'system_admin' }],
      [admin, '/api/v1/admin/users', { username: 'long-1', name: '长'.repeat(51) }],
      [admin, '/api/v1/admin/users', { username: 12345, name: '数字' }],
      [admin, '/api/v1/admin/users', { username: 'type-1', name: ['数组'] }],
      [admin, '/api/v1/admin/users', { username: 'Has Space', name: '空格' }],
      [admin, '/api/v1/admin/users', { username: 'blank-1', name: '   ' }],
      [admin, '/api/v1/admin/users', '{"username":"broken",'],
      // posts
      [admin, `/api/v1/admin/users/${u.id}/posts`, { post: 'staff', validFrom: '2026-01-01' }],
      [admin, `/api/v1/admin/users/${u.id}/posts`, { orgUnitId: 'dzb', post: 'staff', validFrom: '2026-01-01' }],
      [admin, `/api/v1/admin/users/${u.id}/posts`, { orgUnitId: dzb, post: 'mayor', validFrom: '2026-01-01' }],
      [admin, `/api/v1/admin/users/${u.id}/posts`, { orgUnitId: dzb, post: 'staff', validFrom: '2026-02-30' }],
      [admin, `/api/v1/admin/users/${u.id}/posts`, { orgUnitId: dzb, post: 'staff', validFrom: '2026-01-01', primary: 'yes' }],
      [admin, `/api/v1/admin/users/${u.id}/posts`, { orgUnitId: dzb, post: 'staff', validFrom: '2026-01-01', salary: 1 }],
      [admin, '/api/v1/admin/users/not-a-uuid/posts', { orgUnitId: dzb, post: 'staff', validFrom: '2026-01-01' }],
      // ending a post
      [admin, `/api/v1/admin/users/${u.id}/posts/${post.id}/end`, {}],
      [admin, `/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo: '2026/06/30' }],
      [admin, `/api/v1/admin/users/${u.id}/posts/${post.id}/end`, { validTo: '2026-06-30', reason: '多余' }],
      // grants
      [sec, `/api/v1/admin/users/${u.id}/grants`, { dataScope: 'all' }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'leader' }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'r'.repeat(51), dataScope: 'all' }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'leader', dataScope: 'everything' }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'leader', dataScope: 'custom', customUnitIds: ['dzb'] }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'leader', dataScope: 'custom', customUnitIds: dzb }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 'leader', dataScope: 'unit', expiresAt: '2027-01-01' }],
      [sec, `/api/v1/admin/users/${u.id}/grants`, { role: 7, dataScope: 'unit' }],
      // revokes
      [sec, `/api/v1/admin/users/${u.id}/grants/${g.json().id}/revoke`, {}],
      [sec, `/api/v1/admin/users/${u.id}/grants/${g.json().id}/revoke`, { reason: '理'.repeat(501) }],
      [sec, `/api/v1/admin/users/${u.id}/grants/${g.json().id}/revoke`, { reason: 5 }],
      [sec, `/api/v1/admin/users/${u.id}/grants/not-a-uuid/revoke`, { reason: '格式' }],
    ];
    const before = await counts();
    for (const [c, url, body] of cases) {
      const res = typeof body === 'string'
        ? await c.post(url, body, { 'content-type': 'application/json' })
        : await c.post(url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(errorOf(res).code).toBe('VALIDATION_FAILED');
    }
    expect(await counts()).toEqual(before);
    // The post and grant the bad requests aimed at are unchanged.
    expect((await t.db.selectFrom('staff_posts').select('valid_to').where('id', '=', post.id).executeTakeFirstOrThrow()).valid_to).toBeNull();
    expect((await t.db.selectFrom('role_grants').select('revoked_at').where('id', '=', g.json().id).executeTakeFirstOrThrow()).revoked_at).toBeNull();
  });

  it('unknown roles, unknown units and empty custom scopes → 422, nothing written', async () => {
    const target = await userId('wangge-sh-1');
    const before = await counts();
    const cases: [Record<string, unknown>, string][] = [
      [{ role: 'mayor', dataScope: 'all' }, 'UNKNOWN_ROLE'],
      [{ role: 'station', dataScope: 'custom', customUnitIds: [] }, 'CUSTOM_SCOPE_EMPTY'],
      [{ role: 'station', dataScope: 'custom' }, 'CUSTOM_SCOPE_EMPTY'],
      [{ role: 'station', dataScope: 'custom', customUnitIds: ['00000000-0000-4000-8000-000000000000'] }, 'UNKNOWN_ORG_UNIT'],
    ];
    for (const [body, code] of cases) {
      const res = await grant(sec, target, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect(errorOf(res).code).toBe(code);
    }
    const post = await admin.post(`/api/v1/admin/users/${target}/posts`, { orgUnitId: '00000000-0000-4000-8000-000000000000', post: 'staff', validFrom: '2026-01-01' });
    expect(post.statusCode).toBe(422);
    expect(errorOf(post).code).toBe('UNKNOWN_ORG_UNIT');
    expect(await counts()).toEqual(before);
  });
});

describe('grants naming org units', () => {
  it('a grant naming a unit outside the granter\'s scope → 403 FORBIDDEN (before GRANT_EXCEEDS_OWN); unknown ids look the same; inside it the grant succeeds', async () => {
    // A community admin of 蜀汉街社区 (本单位及下级): their scope is the community and everything under it.
    const u = await createUser('sqgl-sh-d', '蜀汉街社区管理员丁');
    await addPost(u.id, '蜀汉街社区', 'station_head');
    expect((await grant(sec, u.id, { role: 'community_admin', dataScope: 'unit_and_below' })).statusCode).toBe(201);
    const sqgl = await firstLogin('sqgl-sh-d', u.password);
    const target = await userId('wangge-sh-2');
    const [inside, outside] = [await unitId('蜀汉街社区第2网格'), await unitId('洗面桥社区第2网格')];

    const before = await counts();
    for (const customUnitIds of [[outside], [inside, outside], [await unitId('浆洗街街道')], ['00000000-0000-4000-8000-000000000000']]) {
      const res = await grant(sqgl, target, { role: 'station', dataScope: 'custom', customUnitIds });
      expect(res.statusCode, JSON.stringify(customUnitIds)).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
      expect(errorOf(res).message).toContain('管理范围');
    }
    expect(await counts()).toEqual(before);
    // A scope wider than their own without naming a unit stays GRANT_EXCEEDS_OWN.
    const wide = await grant(sqgl, target, { role: 'station', dataScope: 'all' });
    expect(errorOf(wide).code).toBe('GRANT_EXCEEDS_OWN');
    const ok = await grant(sqgl, target, { role: 'station', dataScope: 'custom', customUnitIds: [inside] });
    expect(ok.statusCode, ok.body).toBe(201);
  });
});

describe('concurrent writes', () => {
  it('two concurrent creates of the same username → one 201, one 409 USERNAME_TAKEN (never 500), one user written', async () => {
    const before = await countRows(t.db, 'users');
    const body = { username: 'bingfa-1', name: '并发测试' };
    const results = await Promise.all([admin.post('/api/v1/admin/users', body), admin.post('/api/v1/admin/users', body)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(errorOf(results.find((r) => r.statusCode === 409)!).code).toBe('USERNAME_TAKEN');
    expect(await countRows(t.db, 'users')).toBe(before + 1);
  });
});

describe('office date (Asia/Shanghai), not the database date', () => {
  it('a post with valid_to = yesterday (office date) gives no scope, and is listed neither in the staff list nor in the unit\'s staff', async () => {
    // The database's `current_date` is UTC's; the office's date runs a day ahead of it every night
    // from 00:00 to 08:00 in Chengdu. The clock is set to 20:00 UTC tomorrow (04:00 in Chengdu):
    // the office's yesterday is then UTC's "today" on PGlite (which follows the process clock) and
    // today or later on PostgreSQL (its own clock) — counted by `current_date`, the post would still run.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(`${addDays(new Date().toISOString().slice(0, 10), 1)}T20:00:00Z`));
      const ended = yesterday();
      const [a, s, shuji] = [await t.login('admin'), await t.login('secadmin'), await t.login('shuji')];
      const created = await a.post('/api/v1/admin/users', { username: 'wangge-ended', name: '昨日离岗网格员' });
      expect(created.statusCode).toBe(201);
      const { user, initialPassword } = created.json();
      const grid = await unitId('蜀汉街社区第6网格');
      const post = await a.post(`/api/v1/admin/users/${user.id}/posts`, { orgUnitId: grid, post: 'grid_worker', primary: true, validFrom: '2026-01-01', validTo: ended });
      expect(post.statusCode, post.body).toBe(201);
      expect((await grant(s, user.id, { role: 'grid_worker', dataScope: 'unit' })).statusCode).toBe(201);

      invalidateProfiles();
      const profile = (await loadProfile(t.db, user.id))!;
      expect(profile.posts).toEqual([]);
      expect(profile.scope).toMatchObject({ all: false, selfUserId: null });
      expect([...profile.scope.unitIds]).toEqual([]);
      const c = await firstLogin('wangge-ended', initialPassword);
      expect((await c.get('/api/v1/auth/me')).json().user.posts).toEqual([]);
      expect((await c.get('/api/v1/org/tree')).json().items).toEqual([]);
      expect((await c.get(`/api/v1/org/units/${grid}`)).statusCode).toBe(404);
      // The staff list and the unit's staff count by the same office date.
      const listed = (await a.get('/api/v1/admin/users?q=wangge-ended')).json();
      expect(listed.items).toEqual([expect.objectContaining({ id: user.id, posts: [] })]);
      expect((await a.get(`/api/v1/admin/users/${user.id}`)).json().posts).toEqual([]);
      const staff = (await shuji.get(`/api/v1/org/units/${grid}`)).json().staff;
      expect(staff.map((x: { userId: string }) => x.userId)).not.toContain(user.id);
    } finally {
      vi.useRealTimers();
      invalidateProfiles();
    }
  });
});

describe('三员分立 on account actions', () => {
  it('the system admin cannot change the posts of the security or audit admin → 403 FORBIDDEN (三员分立), nothing written', async () => {
    const before = await counts();
    for (const username of ['auditor', 'secadmin']) {
      const id = await userId(username);
      const add = await admin.post(`/api/v1/admin/users/${id}/posts`, { orgUnitId: await unitId('党政办'), post: 'staff', validFrom: '2026-01-01' });
      expect(add.statusCode, username).toBe(403);
      expect(errorOf(add).code).toBe('FORBIDDEN');
      expect(errorOf(add).message).toMatch(/^三员分立：.*由安全管理员办理/);
      const own = await t.db.selectFrom('staff_posts').select('id').where('user_id', '=', id).executeTakeFirstOrThrow();
      const end = await admin.post(`/api/v1/admin/users/${id}/posts/${own.id}/end`, { validTo: '2026-06-30' });
      expect(end.statusCode, username).toBe(403);
      expect(errorOf(end).message).toContain('三员分立');
    }
    expect(await counts()).toEqual(before);
  });

  it('nobody resets their own password through the admin route → 403 FORBIDDEN', async () => {
    const before = await counts();
    for (const [c, username] of [[admin, 'admin'], [sec, 'secadmin']] as const) {
      const res = await c.post(`/api/v1/admin/users/${await userId(username)}/reset-password`);
      expect(res.statusCode, username).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
    }
    expect(await counts()).toEqual(before);
    expect((await admin.get('/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('the system admin resetting the password of the audit or security admin → 403 FORBIDDEN (三员分立, done offline); the password is unchanged', async () => {
    const before = await counts();
    for (const username of ['auditor', 'secadmin']) {
      const res = await admin.post(`/api/v1/admin/users/${await userId(username)}/reset-password`);
      expect(res.statusCode, username).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
      expect(errorOf(res).message).toMatch(/^三员分立：.*不能由其他管理员在系统内重置/);
      expect(res.body).not.toContain('initialPassword');
    }
    expect(await counts()).toEqual(before);
    const still = await login('auditor', DEMO_PASSWORD);
    expect(still.statusCode).toBe(200);
    expect(still.json().user.mustChangePassword).toBe(false);
  });

  it('三员分立 matrix: no admin resets another admin\'s password or gives an admin a business role (every admin × every admin × every action); nothing changes', async () => {
    const auditor = await t.login('auditor');
    const actors = [['admin', admin], ['secadmin', sec], ['auditor', auditor]] as const;
    const targets = ['admin', 'secadmin', 'auditor'];
    const businessRoles = ['population_office', 'police_liaison', 'leader', 'staff', 'community_admin', 'discipline'];
    const before = await counts();
    const hashes = await t.db.selectFrom('users').select(['username', 'password_hash']).where('username', 'in', targets).orderBy('username').execute();
    for (const [actorName, c] of actors) {
      for (const target of targets.filter((x) => x !== actorName)) {
        const id = await userId(target);
        const reset = await c.post(`/api/v1/admin/users/${id}/reset-password`);
        expect(reset.statusCode, `${actorName} resets ${target}`).toBe(403);
        expect(reset.body).not.toContain('initialPassword');
        for (const role of businessRoles) {
          const res = await grant(c, id, { role, dataScope: 'all' });
          // The security admin is refused by the rule; the others cannot assign roles at all.
          expect(res.statusCode, `${actorName} grants ${role} to ${target}`).toBe(actorName === 'secadmin' ? 409 : 403);
          if (actorName === 'secadmin') expect(errorOf(res).code).toBe('ADMIN_ROLES_SEPARATED');
        }
      }
    }
    const resetBySec = await sec.post(`/api/v1/admin/users/${await userId('auditor')}/reset-password`);
    expect(errorOf(resetBySec).message).toMatch(/^三员分立：.*npm run admin:reset-password/);
    expect(await counts()).toEqual(before);
    expect(await t.db.selectFrom('users').select(['username', 'password_hash']).where('username', 'in', targets).orderBy('username').execute()).toEqual(hashes);
    expect((await auditor.get('/api/v1/auth/me')).statusCode).toBe(200);
  });

  it('三员分立: a person holding a business role cannot be made an admin (409 ADMIN_ROLES_SEPARATED), nothing written', async () => {
    const before = await counts();
    for (const role of ['system_admin', 'security_admin', 'audit_admin']) {
      const res = await grant(sec, await userId('keyuan1'), { role, dataScope: 'all' });
      expect(res.statusCode, role).toBe(409);
      expect(errorOf(res).code).toBe('ADMIN_ROLES_SEPARATED');
    }
    expect(await counts()).toEqual(before);
  });

  it('an admin\'s password is reset offline on the server: a one-time password in a 0600 file, sessions ended, audited as offline; ordinary people are refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-reset-'));
    try {
      const refused = await resetAdminPasswordOffline(t.db, 'keyuan1', dir);
      expect(refused.ok).toBe(false);
      expect((await resetAdminPasswordOffline(t.db, 'nobody-here', dir)).ok).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
      const auditor = await t.login('auditor');
      const r = await resetAdminPasswordOffline(t.db, 'auditor', dir);
      if (!r.ok) throw new Error(r.reason);
      expect(fs.statSync(r.file).mode & 0o777).toBe(0o600);
      const oneTime = /一次性密码: (\S+)/.exec(fs.readFileSync(r.file, 'utf8'))![1]!;
      expect((await auditor.get('/api/v1/auth/me')).statusCode).toBe(401);
      expect((await login('auditor', DEMO_PASSWORD)).statusCode).toBe(401);
      const fresh = await login('auditor', oneTime);
      expect(fresh.statusCode).toBe(200);
      expect(fresh.json().user.mustChangePassword).toBe(true);
      const resets = (await auditOf(await userId('auditor'))).filter((e) => e.action === 'user.password_reset');
      expect(resets).toHaveLength(1);
      expect(resets[0]).toMatchObject({ actor_id: null });
      expect(typeof resets[0]!.summary === 'string' ? JSON.parse(resets[0]!.summary) : resets[0]!.summary).toMatchObject({ offline: true, role: 'audit_admin' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the system admin resetting an ordinary person\'s password → 200 with a one-time password', async () => {
    const res = await admin.post(`/api/v1/admin/users/${await userId('keyuan1')}/reset-password`);
    expect(res.statusCode).toBe(200);
    const fresh = await login('keyuan1', res.json().initialPassword);
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json().user.mustChangePassword).toBe(true);
    // The old password and the old session are gone.
    expect((await login('keyuan1', DEMO_PASSWORD)).statusCode).toBe(401);
    expect((await keyuan.get('/api/v1/auth/me')).statusCode).toBe(401);
  });
});
