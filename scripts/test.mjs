// `npm test`: the unit and API suite (vitest), then the browser flows in headless Chromium
// against a real server started from the built web app. Browser flows are mandatory when
// CI=true; elsewhere, without Chromium, they are skipped with a clear message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const node = process.execPath;
const bin = (p) => path.join(root, 'node_modules', p);
const ci = process.env.CI === 'true' || process.env.CI === '1';
const args = process.argv.slice(2);
const only = args.includes('--e2e') ? 'e2e' : args.includes('--unit') ? 'unit' : 'all';
// Anything else on the command line is a vitest filter: `node scripts/test.mjs --e2e leave` runs one flow.
const filters = args.filter((a) => !a.startsWith('--'));
const db = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

let status = 0;
if (only === 'all') {
  console.log('\n== 类型检查 / typecheck (server and web) ==');
  status = run(node, [bin('typescript/bin/tsc'), '-p', 'tsconfig.json']) || run(node, [bin('typescript/bin/tsc'), '-p', 'web/tsconfig.json']);
}
if (only !== 'e2e') {
  console.log(`\n== 单元与接口测试（数据库：${db}）==`);
  status = run(node, [bin('vitest/vitest.mjs'), 'run', ...filters]) || status;
}
if (only !== 'unit') status = (await browserFlows()) || status;
process.exit(status);

async function browserFlows() {
  const chromium = process.env.JIEDAO_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    const how = '安装方法 / to install: sudo apt-get update && sudo apt-get install -y chromium';
    if (ci) {
      console.error(`\n浏览器流程测试无法运行：未找到 Chromium（${chromium}）。CI 中浏览器流程为必选项。\n${how}`);
      return 1;
    }
    console.log(`\n== 浏览器流程测试未运行 / browser flows NOT run: 未找到 Chromium（${chromium}）。${how} ==`);
    return 0;
  }
  console.log(`\n== 浏览器流程测试（headless Chromium，数据库：${db}）==`);
  if (run(node, [path.join(root, 'scripts/build-web.mjs')]) !== 0) return 1;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-e2e-'));
  const env = { PORT: String(port), HOST: '127.0.0.1', JIEDAO_DATA_DIR: dataDir, JIEDAO_DEMO: '1', LOG_LEVEL: 'warn' };
  let dropDb = async () => {};
  if (process.env.DATABASE_URL) {
    const { default: pg } = await import('pg');
    const name = `jiedao_e2e_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    env.DATABASE_URL = u.toString();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const server = spawn(node, ['--import', 'tsx', 'src/server/start.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    const url = `http://127.0.0.1:${port}`;
    let exited = false;
    server.once('exit', () => { exited = true; });
    if (!(await waitHealthy(url, 90_000, () => exited))) {
      console.error('浏览器流程测试：服务器未能在 90 秒内启动。');
      return 1;
    }
    return run(node, [bin('vitest/vitest.mjs'), 'run', '--config', 'vitest.e2e.config.ts', ...filters], { JIEDAO_E2E_URL: url, JIEDAO_CHROMIUM: chromium });
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r).once('error', r));
    await dropDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

async function waitHealthy(url, ms, hasExited) {
  const end = Date.now() + ms;
  while (Date.now() < end && !hasExited()) {
    try {
      const r = await fetch(`${url}/api/v1/health`);
      if (r.status === 200) return true;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}
