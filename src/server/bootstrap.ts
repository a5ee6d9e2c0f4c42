import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../platform/db/index.js';
import { migrateToLatest } from '../platform/db/migrator.js';
import { migrateAsOwner } from '../platform/db/owner.js';
import { checkStoredPacks, installDefaultPacks } from '../platform/policy/service.js';
import { seedDemoStreet } from '../platform/org/demo/seed.js';
import { checkKeyFingerprint, deriveKeys, loadMasterKey, setDataKeys } from '../platform/crypto/keys.js';
import { generateOneTimePassword, hashPassword } from '../platform/auth/passwords.js';
import { uuidv7 } from '../platform/db/ids.js';
import { modules } from '../modules/index.js';
import type { Config } from './config.js';


/**
 * Brings a database to a usable state: migrations (as the owner role when one is configured), key check, default policy packs, then either
 * the demo street (demo mode, empty database) or the first system admin (production, no users).
 */
export async function prepareDatabase(db: Db, config: Pick<Config, 'demo' | 'dataDir' | 'dataKey'> & Partial<Pick<Config, 'databaseOwnerUrl'>>, log: (msg: string) => void = () => {}): Promise<void> {
  const applied = config.databaseOwnerUrl ? await migrateAsOwner(config.databaseOwnerUrl, db) : await migrateToLatest(db);
  if (applied.length) log(`数据库迁移完成：${applied.join(', ')}`);
  const keys = deriveKeys(loadMasterKey(config.dataKey, config.dataDir));
  await checkKeyFingerprint(db, keys);
  setDataKeys(keys);
  await installDefaultPacks(db);
  await checkStoredPacks(db);
  if (config.demo) {
    if (await seedDemoStreet(db)) {
      log('已载入演示街道：浆洗街街道（演示账号密码 Jiedao@2026）');
      for (const m of modules) await m.seedDemo?.(db);
    }
    return;
  }
  await createFirstAdmin(db, config.dataDir, log);
}

/**
 * The three separated admins (三员分立) of a new installation: system admin, security admin and
 * audit admin, each with a one-time password that must be changed at first login. The passwords
 * go to a 0600 file before the accounts are committed, so they can never be lost.
 */
const FIRST_ADMINS = [
  { username: 'admin', name: '系统管理员', role: 'system_admin' },
  { username: 'secadmin', name: '安全管理员', role: 'security_admin' },
  { username: 'auditor', name: '审计管理员', role: 'audit_admin' },
] as const;

async function createFirstAdmin(db: Db, dataDir: string, log: (msg: string) => void): Promise<void> {
  const any = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return;
  const accounts = await Promise.all(FIRST_ADMINS.map(async (a) => {
    const password = generateOneTimePassword();
    return { ...a, id: uuidv7(), password, hash: await hashPassword(password) };
  }));
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'initial-admin.txt');
  fs.writeFileSync(file, [
    '街道通首次启动：三员分立的管理员账号（首次登录后必须修改密码；阅后请删除本文件）',
    ...accounts.map((a) => `${a.name} 用户名: ${a.username}  一次性密码: ${a.password}`),
    '',
  ].join('\n'), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  try {
    await db.transaction().execute(async (tx) => {
      for (const a of accounts) {
        await tx.insertInto('users').values({ id: a.id, username: a.username, name: a.name, password_hash: a.hash, must_change_password: true, status: 'active', password_changed_at: null }).execute();
        await tx.insertInto('role_grants').values({ id: uuidv7(), user_id: a.id, role: a.role, data_scope: 'all', custom_unit_ids: [], granted_by: null }).execute();
      }
    });
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  log(`已创建系统、安全、审计三个管理员账号，一次性密码见 ${file}（仅本机可读）`);
}
