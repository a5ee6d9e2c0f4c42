import fs from 'node:fs';
import path from 'node:path';
import { inTransaction, type Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import type { Actor } from '../auth/actor.js';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../http/errors.js';
import { generateOneTimePassword, hashPassword } from '../auth/passwords.js';
import { officeToday } from '../time.js';
import { activeGrants, activePosts, invalidateProfiles, postActiveOn } from './profile.js';
import { getRole, SEPARATED_ADMIN_ROLES, allRoles, type DataScopeKind, type RoleDef } from './roles.js';
import { loadOrgTree } from './tree.js';
import { resolveScope, scopeCovers, scopeFilter, scopeWithin, type DataScope } from './scope.js';
import { audit } from './audit.js';
import { recordAudit } from '../audit/service.js';
import { isUniqueViolation } from '../db/unique.js';
import { escapeLike } from '../db/like.js';

/** Staff, posts and role grants administration (system admin: people and posts; security admin: grants). */
const usernameTaken = () =>
  conflict('USERNAME_TAKEN', '该用户名已被使用。', [{ path: 'username', code: 'USERNAME_TAKEN', message: '用户名已存在' }]);

/**
 * 三员分立 on account actions: the separated admin role (security_admin, audit_admin or
 * system_admin) the person holds through a live grant, if any.
 */
const isSeparatedAdminRole = (code: string): boolean => (SEPARATED_ADMIN_ROLES as readonly string[]).includes(code);

async function separatedAdminRoleOf(db: Db, userId: string, among: readonly string[] = SEPARATED_ADMIN_ROLES): Promise<string | null> {
  const grants = await activeGrants(db, [userId]);
  return grants.find((g) => among.includes(g.role))?.role ?? null;
}

/** The system admin does not manage the posts of the security or audit admin (三员分立). */
async function refuseSeparatedAdminTarget(db: Db, userId: string, what: string): Promise<void> {
  const role = await separatedAdminRoleOf(db, userId, ['security_admin', 'audit_admin']);
  if (role) throw forbidden(`三员分立：该用户担任${getRole(role)?.name ?? role}，系统管理员不能${what}，应由安全管理员办理。`);
}

async function lockedUsernames(db: Db, usernames: string[]): Promise<Set<string>> {
  if (usernames.length === 0) return new Set();
  const rows = await db.selectFrom('login_failures').select('username').where('username', 'in', usernames)
    .where('locked_until', '>', new Date()).execute();
  return new Set(rows.map((r) => r.username));
}

export async function listUsers(db: Db, actor: Actor, q: { q?: string; page: number; pageSize: number }, today = officeToday()) {
  let base = db.selectFrom('users');
  if (q.q) {
    const like = `%${escapeLike(q.q)}%`;
    base = base.where((eb) => eb.or([eb('username', 'ilike', like), eb('name', 'ilike', like)]));
  }
  // A scoped admin lists the people holding a post running today in a unit of their scope —
  // exactly those `requireUser` lets them open.
  if (!actor.scope.all) {
    base = base.where((eb) => eb.exists(eb.selectFrom('staff_posts as p').select('p.id').whereRef('p.user_id', '=', 'users.id')
      .where(scopeFilter(actor.scope, 'p.org_unit_id')).where(postActiveOn(today))));
  }
  const [rows, total] = await Promise.all([
    base.select(['id', 'username', 'name', 'status', 'must_change_password']).orderBy('username')
      .limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const ids = rows.map((r) => r.id);
  const [posts, grants, locked] = await Promise.all([activePosts(db, ids, today), activeGrants(db, ids), lockedUsernames(db, rows.map((r) => r.username))]);
  return {
    items: rows.map((u) => ({
      id: u.id, username: u.username, name: u.name, status: u.status, locked: locked.has(u.username), mustChangePassword: u.must_change_password,
      roles: [...new Set(grants.filter((g) => g.userId === u.id).map((g) => g.role))],
      posts: posts.filter((p) => p.userId === u.id).map(({ userId: _u, ...p }) => p),
    })),
    total: Number(total.n),
  };
}

async function requireUser(db: Db, actor: Actor, id: string) {
  const u = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!u) throw notFound('未找到该用户。');
  if (!actor.scope.all) {
    const posts = await activePosts(db, [id]);
    if (!posts.some((p) => scopeCovers(actor.scope, p.orgUnitId))) throw notFound('未找到该用户。');
  }
  return u;
}

export async function userDetail(db: Db, actor: Actor, id: string) {
  return detailOf(db, await requireUser(db, actor, id));
}

/** A person with posts, grants (revoked ones kept as history) and lock state. */
async function detailOf(db: Db, u: { id: string; username: string; name: string; status: string; must_change_password: boolean }) {
  const id = u.id;
  const [posts, grants, locked] = await Promise.all([
    activePosts(db, [id]),
    db.selectFrom('role_grants as g').leftJoin('users as b', 'b.id', 'g.granted_by')
      .select(['g.id', 'g.role', 'g.data_scope', 'g.custom_unit_ids', 'g.granted_at', 'b.name as granted_by_name', 'g.revoked_at', 'g.revoke_reason'])
      .where('g.user_id', '=', id).orderBy('g.granted_at').execute(),
    lockedUsernames(db, [u.username]),
  ]);
  return {
    id: u.id, username: u.username, name: u.name, status: u.status, locked: locked.has(u.username), mustChangePassword: u.must_change_password,
    roles: [...new Set(grants.filter((g) => !g.revoked_at).map((g) => g.role))],
    posts: posts.map(({ userId: _u, ...p }) => p),
    grants: grants.map((g) => ({
      id: g.id, role: g.role, roleName: getRole(g.role)?.name ?? g.role, dataScope: g.data_scope, customUnitIds: g.custom_unit_ids ?? [],
      grantedAt: g.granted_at, grantedBy: g.granted_by_name ?? null, revokedAt: g.revoked_at, revokeReason: g.revoke_reason,
    })),
  };
}

export async function createUser(db: Db, actor: Actor, input: { username: string; name: string }, ip: string) {
  const initialPassword = generateOneTimePassword();
  const hash = await hashPassword(initialPassword);
  return inTransaction(db, async (tx) => {
    const taken = await tx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
    if (taken) throw usernameTaken();
    const id = uuidv7();
    try {
      await tx.insertInto('users').values({ id, username: input.username, name: input.name, password_hash: hash, must_change_password: true, status: 'active', password_changed_at: null }).execute();
    } catch (e) {
      // A concurrent request took the name between the check and the insert.
      if (isUniqueViolation(e)) throw usernameTaken();
      throw e;
    }
    await audit(tx, actor, ip, 'user.create', id, { username: input.username });
    // Read back without the scope check: a new person has no posts yet, so no scoped admin would "see" them.
    return { user: await detailOf(tx, { id, username: input.username, name: input.name, status: 'active', must_change_password: true }), initialPassword };
  });
}

export async function addPost(db: Db, actor: Actor, userId: string, input: { orgUnitId: string; post: string; primary: boolean; validFrom: string; validTo?: string }, ip: string) {
  if (input.validTo && input.validTo < input.validFrom) {
    throw unprocessable('INVALID_PERIOD', '任职结束日期不能早于开始日期。', [{ path: 'validTo', code: 'INVALID_PERIOD', message: '结束日期早于开始日期' }]);
  }
  const post = await inTransaction(db, async (tx) => {
    await requireUser(tx, actor, userId);
    await refuseSeparatedAdminTarget(tx, userId, '调整其岗位');
    // A unit outside the caller's scope is refused before looking it up, so a scoped admin cannot
    // tell an unknown id from one outside their scope.
    if (!scopeCovers(actor.scope, input.orgUnitId)) throw forbidden('所选单位不在您的管理范围内。');
    const unit = await tx.selectFrom('org_units').select(['id', 'kind', 'valid_to']).where('id', '=', input.orgUnitId).executeTakeFirst();
    if (!unit) throw unprocessable('UNKNOWN_ORG_UNIT', '所选单位不存在。', [{ path: 'orgUnitId', code: 'UNKNOWN_ORG_UNIT', message: '单位不存在' }]);
    if (unit.valid_to !== null && unit.valid_to < input.validFrom) {
      throw unprocessable('UNIT_CLOSED', `该单位已于 ${unit.valid_to} 撤销，不能在其撤销后任职。`, [{ path: 'orgUnitId', code: 'UNIT_CLOSED', message: '单位已撤销' }]);
    }
    if (input.post === 'grid_worker' && unit.kind !== 'grid') {
      throw unprocessable('POST_UNIT_MISMATCH', '网格员岗位必须设在网格本身。', [{ path: 'orgUnitId', code: 'POST_UNIT_MISMATCH', message: '应选择网格' }]);
    }
    if (input.primary) {
      await tx.updateTable('staff_posts').set({ is_primary: false }).where('user_id', '=', userId).where('is_primary', '=', true).execute();
    }
    const id = uuidv7();
    await tx.insertInto('staff_posts').values({
      id, user_id: userId, org_unit_id: input.orgUnitId, post: input.post, is_primary: input.primary,
      valid_from: input.validFrom, valid_to: input.validTo ?? null, created_by: actor.userId,
    }).execute();
    await audit(tx, actor, ip, 'user.post_add', userId, { postId: id, orgUnitId: input.orgUnitId, post: input.post, primary: input.primary });
    return { id, orgUnitId: input.orgUnitId, post: input.post, primary: input.primary, validFrom: input.validFrom, validTo: input.validTo ?? null };
  });
  invalidateProfiles(userId);
  return post;
}

export async function endPost(db: Db, actor: Actor, userId: string, postId: string, validTo: string, ip: string) {
  const res = await inTransaction(db, async (tx) => {
    await requireUser(tx, actor, userId);
    await refuseSeparatedAdminTarget(tx, userId, '结束其任职');
    const p = await tx.selectFrom('staff_posts').selectAll().where('id', '=', postId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
    if (!p) throw notFound('未找到该任职。');
    if (p.valid_to !== null) throw conflict('POST_ALREADY_ENDED', '该任职已结束。');
    if (validTo < p.valid_from) throw unprocessable('INVALID_PERIOD', '结束日期不能早于任职开始日期。', [{ path: 'validTo', code: 'INVALID_PERIOD', message: '早于开始日期' }]);
    await tx.updateTable('staff_posts').set({ valid_to: validTo }).where('id', '=', postId).execute();
    await audit(tx, actor, ip, 'user.post_end', userId, { postId, validTo });
    return { id: postId, validTo };
  });
  invalidateProfiles(userId);
  return res;
}

/**
 * Grants a role with a data scope. Refused when: the target would hold two separated admin roles
 * (三员分立), the granter grants to themselves, or the grant is wider than the granter's own —
 * in data scope, or (for anyone but the security admin) in permissions.
 */
export async function grantRole(db: Db, actor: Actor, userId: string, input: { role: string; dataScope: DataScopeKind; customUnitIds?: string[] }, ip: string) {
  const role = getRole(input.role);
  if (!role) throw unprocessable('UNKNOWN_ROLE', '未知的角色。', [{ path: 'role', code: 'UNKNOWN_ROLE', message: '未知角色' }]);
  if (input.dataScope === 'custom' && !(input.customUnitIds?.length)) {
    throw unprocessable('CUSTOM_SCOPE_EMPTY', '自定义数据范围须至少选择一个单位。', [{ path: 'customUnitIds', code: 'CUSTOM_SCOPE_EMPTY', message: '请选择单位' }]);
  }
  if (userId === actor.userId) throw forbidden('不能为自己授予角色。');
  const res = await inTransaction(db, async (tx) => {
    await requireUser(tx, actor, userId);
    // A body naming a unit outside the caller's scope is 403 FORBIDDEN (API.md), before the unit
    // is looked up and before GRANT_EXCEEDS_OWN, which remains for wider scopes and permissions.
    if ((input.customUnitIds ?? []).some((id) => !scopeCovers(actor.scope, id))) throw forbidden('所选单位不在您的管理范围内。');
    const tree = await loadOrgTree(tx);
    const unknown = (input.customUnitIds ?? []).filter((id) => !tree.units.has(id));
    if (unknown.length) throw unprocessable('UNKNOWN_ORG_UNIT', '所选单位不存在。', [{ path: 'customUnitIds', code: 'UNKNOWN_ORG_UNIT', message: '单位不存在' }]);
    // Grants to one person are serialised, so two at once cannot make an admin a business user (三员分立).
    await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    const existing = await activeGrants(tx, [userId]);
    if (existing.some((g) => g.role === role.code && g.dataScope === input.dataScope)) {
      throw conflict('ROLE_ALREADY_GRANTED', '该用户已拥有此角色和数据范围。');
    }
    const targetPosts = await activePosts(tx, [userId]);
    const granted = resolveScope(tree, userId, targetPosts, [{ dataScope: input.dataScope, customUnitIds: input.customUnitIds ?? [] }]);
    const wider = beyondOwn(actor, role, granted);
    if (wider.length) throw new AppError(403, 'GRANT_EXCEEDS_OWN', `不能授予超出本人范围的角色：${wider.join('；')}。`);
    if (isSeparatedAdminRole(role.code)) {
      const other = existing.find((g) => isSeparatedAdminRole(g.role) && g.role !== role.code);
      if (other) throw conflict('ADMIN_ROLES_SEPARATED', `三员分立：该用户已担任${getRole(other.role)?.name}，不能再担任${role.name}。`);
      // An admin account is never also a business account: it would read and act on the data it administers.
      const business = existing.find((g) => !isSeparatedAdminRole(g.role));
      if (business) throw conflict('ADMIN_ROLES_SEPARATED', `三员分立：该用户担任业务角色「${getRole(business.role)?.name ?? business.role}」，不能再担任${role.name}。`);
    } else {
      const adminRole = existing.find((g) => isSeparatedAdminRole(g.role));
      if (adminRole) throw conflict('ADMIN_ROLES_SEPARATED', `三员分立：该用户是${getRole(adminRole.role)?.name}，管理员账号不能担任业务角色「${role.name}」。`);
    }
    const id = uuidv7();
    try {
      await tx.insertInto('role_grants').values({
        id, user_id: userId, role: role.code, data_scope: input.dataScope, custom_unit_ids: input.customUnitIds ?? [], granted_by: actor.userId,
      }).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('ADMIN_ROLES_SEPARATED', '三员分立：该用户已担任另一管理员角色。');
      throw e;
    }
    await audit(tx, actor, ip, 'user.role_grant', userId, { grantId: id, role: role.code, dataScope: input.dataScope, customUnitIds: input.customUnitIds ?? [] });
    return { id, role: role.code, roleName: role.name, dataScope: input.dataScope, customUnitIds: input.customUnitIds ?? [] };
  });
  invalidateProfiles(userId);
  return res;
}

/**
 * How a grant would reach beyond the granter's own: a wider data scope, or (for anyone but the
 * security admin) permissions the granter lacks. The same limits bind grants and revokes.
 */
function beyondOwn(actor: Actor, role: RoleDef | undefined, scope: DataScope): string[] {
  const wider: string[] = [];
  if (!scopeWithin(scope, actor.scope)) wider.push('数据范围超出您本人的数据范围');
  if (!actor.roles.includes('security_admin')) {
    const extra = (role?.permissions ?? []).filter((p) => !actor.permissions.has(p));
    if (extra.length) wider.push(`权限超出您本人的权限（${extra.join('、')}）`);
  }
  return wider;
}

export async function revokeGrant(db: Db, actor: Actor, userId: string, grantId: string, reason: string, ip: string) {
  const res = await inTransaction(db, async (tx) => {
    await requireUser(tx, actor, userId);
    const g = await tx.selectFrom('role_grants').selectAll().where('id', '=', grantId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
    if (!g) throw notFound('未找到该授权。');
    if (g.revoked_at) throw conflict('GRANT_ALREADY_REVOKED', '该授权已撤销。');
    const scope = resolveScope(await loadOrgTree(tx), userId, await activePosts(tx, [userId]),
      [{ dataScope: g.data_scope as DataScopeKind, customUnitIds: g.custom_unit_ids ?? [] }]);
    const wider = beyondOwn(actor, getRole(g.role), scope);
    if (wider.length) throw new AppError(403, 'GRANT_EXCEEDS_OWN', `不能撤销超出本人范围的授权：${wider.join('；')}。`);
    await tx.updateTable('role_grants').set({ revoked_at: new Date(), revoked_by: actor.userId, revoke_reason: reason }).where('id', '=', grantId).execute();
    await audit(tx, actor, ip, 'user.role_revoke', userId, { grantId, role: g.role, reason });
    return { id: grantId, revoked: true };
  });
  invalidateProfiles(userId);
  return res;
}

export async function unlockUser(db: Db, actor: Actor, userId: string, ip: string) {
  await inTransaction(db, async (tx) => {
    const u = await requireUser(tx, actor, userId);
    await tx.deleteFrom('login_failures').where('username', '=', u.username).execute();
    await audit(tx, actor, ip, 'user.unlock', userId, { username: u.username });
  });
}

/**
 * Resets a password to a one-time one (route: user:manage). 三员分立: nobody resets the password of
 * a person holding a separated admin role (system, security or audit admin) inside the system — one
 * admin receiving another's one-time password could take over that account. It is done offline on
 * the server (`npm run admin:reset-password -- USERNAME`, scripts/admin-reset-password.ts). Anyone
 * else's password is reset by the system admin. Nobody resets their own here — they change it with
 * their current password.
 */
export async function resetPassword(db: Db, actor: Actor, userId: string, ip: string) {
  if (userId === actor.userId) throw forbidden('不能重置本人的密码，请通过“修改密码”修改。');
  const initialPassword = generateOneTimePassword();
  const hash = await hashPassword(initialPassword);
  await inTransaction(db, async (tx) => {
    await requireUser(tx, actor, userId);
    const adminRole = await separatedAdminRoleOf(tx, userId);
    if (adminRole) {
      throw forbidden(`三员分立：该用户担任${getRole(adminRole)?.name ?? adminRole}，管理员账号的密码不能由其他管理员在系统内重置，请由运维人员在服务器上执行 npm run admin:reset-password -- 用户名。`);
    }
    if (!actor.permissions.has('user:manage')) {
      throw forbidden('普通人员的密码由系统管理员重置。');
    }
    await tx.updateTable('users').set({ password_hash: hash, must_change_password: true, password_changed_at: new Date() }).where('id', '=', userId).execute();
    await tx.updateTable('sessions').set({ ended_at: new Date() }).where('user_id', '=', userId).where('ended_at', 'is', null).execute();
    await audit(tx, actor, ip, 'user.password_reset', userId, {});
  });
  invalidateProfiles(userId);
  return { initialPassword };
}

/**
 * The offline reset of a separated admin's password (scripts/admin-reset-password.ts): the one-time
 * password goes to a 0600 file in the data directory before the change is committed (never to a
 * terminal or log); the account's sessions end, its lockout is lifted, and the reset is audited as
 * done on the server.
 */
export async function resetAdminPasswordOffline(db: Db, username: string, dataDir: string): Promise<{ ok: true; file: string; roleName: string } | { ok: false; reason: string }> {
  const user = await db.selectFrom('users').select(['id']).where('username', '=', username).executeTakeFirst();
  if (!user) return { ok: false, reason: `没有用户名为「${username}」的账号。` };
  const role = await separatedAdminRoleOf(db, user.id);
  if (!role) return { ok: false, reason: `「${username}」不是系统、安全或审计管理员：普通人员的密码由系统管理员在「人员管理」中重置。` };
  const roleName = getRole(role)?.name ?? role;
  const password = generateOneTimePassword();
  const hash = await hashPassword(password);
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, `reset-${username}.txt`);
  fs.writeFileSync(file, `${roleName} 用户名: ${username}  一次性密码: ${password}\n（首次登录后必须修改密码；阅后请删除本文件）\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  try {
    await inTransaction(db, async (tx) => {
      await tx.updateTable('users').set({ password_hash: hash, must_change_password: true, password_changed_at: new Date() }).where('id', '=', user.id).execute();
      await tx.updateTable('sessions').set({ ended_at: new Date() }).where('user_id', '=', user.id).where('ended_at', 'is', null).execute();
      await tx.deleteFrom('login_failures').where('username', '=', username).execute();
      await recordAudit(tx, { actorId: null, actorName: '服务器运维（离线）', action: 'user.password_reset', entity: 'user', entityId: user.id, ip: null, summary: { offline: true, role } });
    });
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  invalidateProfiles(user.id);
  return { ok: true, file, roleName };
}

export const rolesCatalogue = () => allRoles().map((r) => ({ code: r.code, name: r.name, permissions: r.permissions, defaultDataScope: r.defaultDataScope }));
