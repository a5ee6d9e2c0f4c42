// `npm run generate -- --persons N [--seed S] [--staff K]`: migrates and seeds the configured
// database if needed (demo street), adds K synthetic staff accounts with posts in the demo grids
// (for login and scope benchmarks), then asks every module to add its data in proportion to N
// persons. Reproducible for a seed. Refuses a PGlite directory that a running server holds.
// For demo and benchmark databases only: the accounts it adds share the published demo password,
// so it refuses a database that has users but was not loaded as the demo (no `demo_loaded` in meta).
import { sql } from 'kysely';
import { openForScript, option } from './lib.js';
import { modules } from '../src/modules/index.js';
import { uuidv7 } from '../src/platform/db/ids.js';
import { hashPassword } from '../src/platform/auth/passwords.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { prepareDatabase } from '../src/server/bootstrap.js';
import type { Db } from '../src/platform/db/index.js';

const persons = Number(option('persons', '0'));
const seed = Number(option('seed', '1'));
const staff = Number(option('staff', '200'));
if (![persons, seed, staff].every((n) => Number.isInteger(n) && n >= 0)) {
  console.error('用法：npm run generate -- --persons N [--seed S] [--staff K]');
  process.exit(1);
}

const NOT_DEMO = `此数据库已有用户账号，但不是演示数据库（未载入演示街道）。npm run generate 会添加使用公开演示密码 ${DEMO_PASSWORD} 的账号，只能用于演示或基准测试数据库，已拒绝运行，数据库未作任何改动。`;

/** Whether the database may receive demo data: empty (no users yet), or loaded as the demo. */
async function isDemoOrEmpty(db: Db): Promise<boolean> {
  const t = await sql<{ t: string | null }>`select to_regclass('users')::text as t`.execute(db);
  if (!t.rows[0]?.t) return true; // not even migrated
  const anyUser = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return !anyUser || Boolean(await demoLoaded(db));
}
const demoLoaded = (db: Db) => db.selectFrom('meta').select('key').where('key', '=', 'demo_loaded').executeTakeFirst();

const { config, database } = await openForScript();
const db = database.db;
let exitCode = 0;
try {
  if (!(await isDemoOrEmpty(db))) {
    console.error(NOT_DEMO);
    exitCode = 1;
  } else {
    // Always the demo street: never the production first-admin path, whatever JIEDAO_DEMO says.
    await prepareDatabase(db, { ...config, demo: true }, (m) => console.log(m));
    if (!(await demoLoaded(db))) {
      console.error(NOT_DEMO);
      exitCode = 1;
    } else {
      await generate();
    }
  }
} finally {
  await database.close();
}
// After close: closing PGlite resets process.exitCode.
process.exit(exitCode);

async function generate(): Promise<void> {
  const grids = await db.selectFrom('org_units').select(['id', 'code']).where('kind', '=', 'grid').orderBy('code').execute();
  const existing = await db.selectFrom('users').select('username').where('username', 'like', 'gen-%').execute();
  const have = new Set(existing.map((u) => u.username));
  const hash = await hashPassword(DEMO_PASSWORD);
  let added = 0;
  for (let i = 1; i <= staff; i++) {
    const username = `gen-${seed}-${String(i).padStart(5, '0')}`;
    if (have.has(username)) continue;
    const grid = grids[(i * 7 + seed) % grids.length]!;
    await db.transaction().execute(async (tx) => {
      const id = uuidv7();
      await tx.insertInto('users').values({ id, username, name: `测试网格员${i}`, password_hash: hash, must_change_password: false, status: 'active', password_changed_at: null }).execute();
      await tx.insertInto('staff_posts').values({ id: uuidv7(), user_id: id, org_unit_id: grid.id, post: 'grid_worker', is_primary: true, valid_from: '2026-01-01', valid_to: null, created_by: null }).execute();
      await tx.insertInto('role_grants').values({ id: uuidv7(), user_id: id, role: 'grid_worker', data_scope: 'unit', custom_unit_ids: [], granted_by: null }).execute();
    });
    added++;
  }
  console.log(`合成工作人员账号：新增 ${added} 个（共 ${staff} 个，密码 ${DEMO_PASSWORD}）`);
  const generators = modules.filter((m) => m.generate);
  if (persons > 0 && generators.length === 0) console.log(`尚无业务模块提供合成人口数据（--persons ${persons} 暂未生成人员）。`);
  for (const m of generators) await m.generate!(db, { persons, seed, log: (msg) => console.log(`[${m.name}] ${msg}`) });
}
