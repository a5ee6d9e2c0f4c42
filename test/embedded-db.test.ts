import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startServer, stopServer, waitHealthy, type ServerProcess } from './helpers/server-process.js';
import { openDatabase } from '../src/platform/db/index.js';
import { prepareDatabase } from '../src/server/bootstrap.js';
import { sealAuditEvents } from '../src/platform/audit/service.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { TEST_DATA_KEY } from './helpers/app.js';

/**
 * ARCHITECTURE.md "Embedded database (PGlite) rules": the lock file, scripts that refuse a held
 * data directory, and recovery after kill -9 during writes. These run real server processes on
 * PGlite (the embedded engine is what they are about), on either suite run.
 */
const dirs: string[] = [];
const servers: ServerProcess[] = [];
const tmpDir = () => { const d = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-embedded-')); dirs.push(d); return d; };
const pgliteEnv = (dir: string) => ({ JIEDAO_DATA_DIR: dir, DATABASE_URL: '', JIEDAO_DEMO: '1' });
afterAll(async () => {
  for (const s of servers) await stopServer(s, 'SIGKILL');
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs one of scripts/*.ts on a PGlite data directory. */
const runScript = (dir: string, name: string, args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], { env: { ...process.env, ...pgliteEnv(dir), ...env }, encoding: 'utf8' });

async function loginAdmin(url: string) {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
  expect(r.status).toBe(200);
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
}

describe('embedded database (PGlite)', () => {
  it('a second server on a held data directory refuses to start and names the holder; scripts refuse it too', async () => {
    const dir = tmpDir();
    const first = await startServer(pgliteEnv(dir));
    servers.push(first);
    expect(await waitHealthy(first)).toBe(true);
    const lock = Number(fs.readFileSync(path.join(dir, 'jiedao.lock'), 'utf8'));
    expect(lock).toBe(first.proc.pid);

    const second = await startServer(pgliteEnv(dir));
    servers.push(second);
    expect(await second.exited).toBe(2);
    expect(second.output()).toContain(`正被进程 ${first.proc.pid} 使用`);

    const verify = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/audit-verify.ts'], { env: { ...process.env, ...pgliteEnv(dir) }, encoding: 'utf8' });
    expect(verify.status).toBe(2);
    expect(verify.stderr).toContain('正被进程');
    const gen = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/generate.ts', '--persons', '10'], { env: { ...process.env, ...pgliteEnv(dir) }, encoding: 'utf8' });
    expect(gen.status).toBe(2);
    // In-process opening is refused the same way.
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/正被进程/);
    await stopServer(first);
    expect(fs.existsSync(path.join(dir, 'jiedao.lock'))).toBe(false);
  }, 120_000);

  it('kill -9 during writes: the server starts again, each write is whole (row + audit event) or absent', async () => {
    const dir = tmpDir();
    const s1 = await startServer(pgliteEnv(dir));
    servers.push(s1);
    expect(await waitHealthy(s1)).toBe(true);
    const admin = await loginAdmin(s1.url);
    // Fire writes and kill the process while they are in flight.
    const dates = Array.from({ length: 60 }, (_, i) => { const d = new Date(Date.UTC(2032, 0, 5) + i * 7 * 86_400_000); return d.toISOString().slice(0, 10); });
    const writes = dates.map((date) => fetch(`${s1.url}/api/v1/calendar/overrides`, {
      method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ date, kind: 'holiday', note: '断电测试' }),
    }).then((r) => r.status).catch(() => 0));
    await new Promise((r) => setTimeout(r, 150));
    s1.proc.kill('SIGKILL');
    const statuses = await Promise.all(writes);
    await s1.exited;
    expect(fs.existsSync(path.join(dir, 'jiedao.lock'))).toBe(true); // stale lock left behind

    const s2 = await startServer(pgliteEnv(dir));
    servers.push(s2);
    expect(await waitHealthy(s2), s2.output()).toBe(true);
    await stopServer(s2);

    const { db, close } = await openDatabase({ dataDir: dir });
    try {
      const rows = await db.selectFrom('calendar_overrides').select(['id', 'date']).where('note', '=', '断电测试').execute();
      const events = await db.selectFrom('audit_events').select('entity_id').where('action', '=', 'calendar.override_add').execute();
      const audited = new Set(events.map((e) => e.entity_id));
      for (const r of rows) expect(audited.has(r.id)).toBe(true);
      expect(events.length).toBe(rows.length);
      // Every write the client saw succeed is there.
      expect(rows.length).toBeGreaterThanOrEqual(statuses.filter((s) => s === 201).length);
      // Demo data from the first start is intact and not loaded twice.
      const users = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(18);
    } finally {
      await close();
    }
  }, 180_000);

  it('a different data key is refused at start-up, with the reason', async () => {
    const dir = tmpDir();
    const s1 = await startServer(pgliteEnv(dir));
    servers.push(s1);
    expect(await waitHealthy(s1)).toBe(true);
    await stopServer(s1);
    const s2 = await startServer({ ...pgliteEnv(dir), JIEDAO_DATA_KEY: 'b2'.repeat(32) });
    servers.push(s2);
    expect(await s2.exited).toBe(1);
    expect(s2.output()).toContain('密钥指纹不一致');
  }, 120_000);

  it('with JIEDAO_DEMO=0 the first system admin gets a one-time password in a 0600 file and must change it', async () => {
    const dir = tmpDir();
    const s = await startServer({ ...pgliteEnv(dir), JIEDAO_DEMO: '0' });
    servers.push(s);
    expect(await waitHealthy(s)).toBe(true);
    const file = path.join(dir, 'initial-admin.txt');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const password = fs.readFileSync(file, 'utf8').match(/一次性密码: (\S+)/)![1]!;
    const r = await fetch(`${s.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { user: { mustChangePassword: boolean; roles: string[] } };
    expect(body.user.mustChangePassword).toBe(true);
    expect(body.user.roles).toEqual(['system_admin']);
    // No demo street in production mode.
    const demo = await fetch(`${s.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'shuji', password: DEMO_PASSWORD }) });
    expect(demo.status).toBe(401);
    await stopServer(s);
  }, 120_000);

  it('backup and restore round-trip a data directory (data and key file), and restore keeps the old data aside', async () => {
    const dir = tmpDir();
    const { db, close } = await openDatabase({ dataDir: dir });
    await prepareDatabase(db, { demo: true, dataDir: dir, dataKey: undefined });
    await db.insertInto('meta').values({ key: 'backup_marker', value: JSON.stringify('before-backup') }).execute();
    await close();
    const script = (name: string, ...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], { env: { ...process.env, ...pgliteEnv(dir) }, encoding: 'utf8' });
    const out = path.join(dir, '..', `${path.basename(dir)}-backup.tar.gz`);
    dirs.push(out, `${out}.key`);
    const b = script('backup', '--out', out);
    expect(b.status, b.stderr).toBe(0);
    expect(fs.statSync(`${out}.key`).mode & 0o777).toBe(0o600);

    // Something changes after the backup; the restore brings back the backed-up state.
    const again = await openDatabase({ dataDir: dir });
    await again.db.updateTable('meta').set({ value: JSON.stringify('after-backup') }).where('key', '=', 'backup_marker').execute();
    await again.close();
    const r = script('restore', out);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('pgdata.before-restore-'))).toBe(true);
    const restored = await openDatabase({ dataDir: dir });
    try {
      const marker = await restored.db.selectFrom('meta').select('value').where('key', '=', 'backup_marker').executeTakeFirstOrThrow();
      expect(marker.value).toBe('before-backup');
      const users = await restored.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(18);
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('restore checks the archive first: a garbage file, a non-backup or a tar without a database → exit 1, old data untouched', async () => {
    const dir = tmpDir();
    const { db, close } = await openDatabase({ dataDir: dir });
    await prepareDatabase(db, { demo: true, dataDir: dir, dataKey: undefined });
    await db.insertInto('meta').values({ key: 'restore_marker', value: JSON.stringify('original') }).execute();
    await close();
    const listing = () => fs.readdirSync(dir).sort();
    const before = listing();

    const garbage = path.join(dir, 'garbage.tar.gz');
    fs.writeFileSync(garbage, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256))]));
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, '这不是备份文件\n'.repeat(200));
    const foreignTar = path.join(dir, 'foreign.tar.gz');
    const tarred = spawnSync('tar', ['czf', foreignTar, '-C', dir, 'notes.txt']);
    expect(tarred.status).toBe(0);
    const files = ['garbage.tar.gz', 'notes.txt', 'foreign.tar.gz'];

    for (const f of [garbage, text, foreignTar]) {
      const r = runScript(dir, 'restore', [f]);
      expect(r.status, `${f}: ${r.stdout} ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain('恢复失败');
      expect(r.stderr).toContain('原数据未作任何改动');
      // No staging directory left behind, nothing moved aside.
      expect(listing()).toEqual([...new Set([...before, ...files])].sort());
    }
    const again = await openDatabase({ dataDir: dir });
    try {
      const marker = await again.db.selectFrom('meta').select('value').where('key', '=', 'restore_marker').executeTakeFirstOrThrow();
      expect(marker.value).toBe('original');
      const users = await again.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(18);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('backup with JIEDAO_DATA_KEY: no key file to copy — it says the key is in the environment; restore round-trips', async () => {
    const dir = tmpDir();
    const env = { JIEDAO_DATA_KEY: TEST_DATA_KEY };
    const { db, close } = await openDatabase({ dataDir: dir });
    await prepareDatabase(db, { demo: true, dataDir: dir, dataKey: TEST_DATA_KEY });
    await close();
    expect(fs.existsSync(path.join(dir, 'jiedao.key'))).toBe(false);
    const out = path.join(dir, '..', `${path.basename(dir)}-envkey.tar.gz`);
    dirs.push(out, `${out}.key`);
    const b = runScript(dir, 'backup', ['--out', out], env);
    expect(b.status, b.stderr).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.existsSync(`${out}.key`)).toBe(false);
    expect(b.stdout).toContain('环境变量 JIEDAO_DATA_KEY');

    const r = runScript(dir, 'restore', [out], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('JIEDAO_DATA_KEY');
    expect(fs.existsSync(path.join(dir, 'jiedao.key'))).toBe(false);
    const restored = await openDatabase({ dataDir: dir });
    try {
      await prepareDatabase(restored.db, { demo: true, dataDir: dir, dataKey: TEST_DATA_KEY }); // the key fingerprint matches
      const users = await restored.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(18);
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('generate refuses a database with users that was not loaded as the demo; on an empty one it seeds the demo street', async () => {
    const prod = tmpDir();
    const p = await openDatabase({ dataDir: prod });
    await prepareDatabase(p.db, { demo: false, dataDir: prod, dataKey: undefined }); // the three first admins
    await p.close();
    const refused = runScript(prod, 'generate', ['--staff', '3']);
    expect(refused.status, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stderr).toContain('不是演示数据库');
    // Even with JIEDAO_DEMO=1 it is refused.
    expect(runScript(prod, 'generate', ['--staff', '3'], { JIEDAO_DEMO: '1' }).status).toBe(1);
    const check = await openDatabase({ dataDir: prod });
    try {
      const users = await check.db.selectFrom('users').select('username').orderBy('username').execute();
      expect(users.map((u) => u.username)).toEqual(['admin', 'auditor', 'secadmin']);
      expect(await check.db.selectFrom('org_units').select('id').limit(1).executeTakeFirst()).toBeUndefined();
    } finally {
      await check.close();
    }

    const empty = tmpDir();
    const ok = runScript(empty, 'generate', ['--staff', '3'], { JIEDAO_DEMO: '0' });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const demo = await openDatabase({ dataDir: empty });
    try {
      expect(await demo.db.selectFrom('meta').select('key').where('key', '=', 'demo_loaded').executeTakeFirst()).toBeDefined();
      const gen = await demo.db.selectFrom('users').select('username').where('username', 'like', 'gen-%').execute();
      expect(gen).toHaveLength(3);
    } finally {
      await demo.close();
    }
    // A demo database may be extended again.
    expect(runScript(empty, 'generate', ['--staff', '4']).status).toBe(0);
  }, 180_000);

  it('audit:verify never seals, prints the chain head to record elsewhere; the signed anchor and --head detect deleted newest events; a broken chain exits 1', async () => {
    const dir = tmpDir();
    const { db, close } = await openDatabase({ dataDir: dir });
    await prepareDatabase(db, { demo: true, dataDir: dir, dataKey: undefined });
    for (let i = 0; i < 3; i++) {
      await db.insertInto('audit_events').values({ at: new Date(), actor_id: null, actor_name: null, action: 'test.one', entity: 'test', entity_id: String(i), ip: null, summary: '{}' }).execute();
    }
    const events = Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    // audit:verify only reads: pending events stay pending.
    await close();
    const pending = runScript(dir, 'audit-verify');
    expect(pending.status, pending.stderr).toBe(0);
    expect(pending.stdout).toContain(`另有 ${events} 条尚未封链`);
    // The server's sealer links them and anchors the head in the data directory.
    const s = await openDatabase({ dataDir: dir });
    await prepareDatabase(s.db, { demo: true, dataDir: dir, dataKey: undefined });
    while ((await sealAuditEvents(s.db, 2000, { anchorDir: dir })) > 0);
    await s.close();
    expect(fs.statSync(path.join(dir, 'audit-head.json')).mode & 0o777).toBe(0o600);

    const first = runScript(dir, 'audit-verify');
    expect(first.status, first.stderr).toBe(0);
    const head = first.stdout.match(/链头：(\d+:[0-9a-f]{64})/)![1]!;
    expect(first.stdout).toContain('记录在本系统之外');
    expect(head.startsWith(`${events}:`)).toBe(true);
    expect(runScript(dir, 'audit-verify', ['--head', head]).status).toBe(0);
    expect(runScript(dir, 'audit-verify', ['--head', 'nonsense']).status).toBe(1);

    // Deleting the newest event leaves a chain that links on its own — but not to the anchored head, nor to a recorded one.
    const t = await openDatabase({ dataDir: dir });
    await t.db.transaction().execute(async (tx) => {
      await sql`alter table audit_events disable trigger audit_events_append_only`.execute(tx);
      await sql`delete from audit_events where chain_pos = (select max(chain_pos) from audit_events)`.execute(tx);
      await sql`alter table audit_events enable trigger audit_events_append_only`.execute(tx);
    });
    await t.close();
    const alone = runScript(dir, 'audit-verify');
    expect(alone.status).toBe(1);
    expect(alone.stderr).toContain('不再包含服务器锚定的链头');
    fs.rmSync(path.join(dir, 'audit-head.json'));
    expect(runScript(dir, 'audit-verify').status).toBe(0);
    const against = runScript(dir, 'audit-verify', ['--head', head]);
    expect(against.status).toBe(1);
    expect(against.stderr).toContain('与记录的链头不符');

    // A changed event: the chain itself is broken.
    const u = await openDatabase({ dataDir: dir });
    await u.db.transaction().execute(async (tx) => {
      await sql`alter table audit_events disable trigger audit_events_append_only`.execute(tx);
      await sql`update audit_events set summary = '{"forged":true}' where chain_pos = 1`.execute(tx);
      await sql`alter table audit_events enable trigger audit_events_append_only`.execute(tx);
    });
    await u.close();
    const broken = runScript(dir, 'audit-verify');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('哈希链被破坏');
  }, 120_000);
});
