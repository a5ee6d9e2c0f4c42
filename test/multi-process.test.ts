import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import ExcelJS from '../src/platform/excel/exceljs.js';
import { IMPORT_HEADERS } from '../src/modules/population/import.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { nextResidentId } from './helpers/idnumbers.js';
import { scratchPostgres, startServer, stopServer, waitHealthy, type ServerProcess } from './helpers/server-process.js';

/**
 * Several server processes on one PostgreSQL (README "Several processes"): sessions, idempotency
 * keys and jobs live in the database, so a session made on one process works on the other, a
 * request retried on the other is answered once, and an import whose process is killed mid-way is
 * finished by the other, each row once. PostgreSQL only: the embedded PGlite is one process by design.
 */
const onPostgres = Boolean(process.env.DATABASE_URL);
const servers: ServerProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of servers) await stopServer(s, 'SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

async function sharedEnv(): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-multi-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const scratch = await scratchPostgres('jiedao_multi');
  cleanups.push(scratch.drop);
  // One database, one data key, one file store (a shared directory) for both processes.
  return { DATABASE_URL: scratch.url, JIEDAO_DATA_DIR: dir, JIEDAO_DATA_KEY: randomBytes(32).toString('hex'), JIEDAO_DEMO: '1' };
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const s = await startServer(env);
  servers.push(s);
  expect(await waitHealthy(s, 90_000), s.output()).toBe(true);
  return s;
}

async function login(url: string, username: string) {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
  expect(r.status).toBe(200);
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
}

async function importFile(rows: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Sheet1');
  ws.addRow(IMPORT_HEADERS);
  for (let i = 0; i < rows; i++) {
    const v: Record<string, string> = { 证件号码: nextResidentId(), 姓名: `多进程${i}`, 网格: '蜀汉街社区第3网格', 来本地日期: '2026-03-01', 民族: '汉族' };
    ws.addRow(IMPORT_HEADERS.map((h) => v[h] ?? ''));
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe.skipIf(!onPostgres)('two server processes on one PostgreSQL', () => {
  it('a session and an idempotency key made on one process hold on the other; an import killed on one finishes on the other, each row once', async () => {
    const env = await sharedEnv();
    const [a, b] = [await start(env), await start(env)];

    // A session made on A works on B; logging out on B ends it on A.
    const liuguan = await login(a.url, 'liuguan');
    expect((await fetch(`${b.url}/api/v1/auth/me`, { headers: { cookie: liuguan.cookie } })).status).toBe(200);
    const other = await login(b.url, 'keyuan1');
    expect((await fetch(`${b.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: other.cookie, 'x-csrf-token': other.csrf } })).status).toBe(204);
    expect((await fetch(`${a.url}/api/v1/auth/me`, { headers: { cookie: other.cookie } })).status).toBe(401);

    // A POST answered by A and retried on B with the same key acts once.
    const key = randomUUID();
    const grids = (await (await fetch(`${a.url}/api/v1/org/units?kind=grid&pageSize=1`, { headers: { cookie: liuguan.cookie } })).json()) as { items: { id: string }[] };
    const house = (url: string) => fetch(`${url}/api/v1/population/houses`, {
      method: 'POST', headers: { cookie: liuguan.cookie, 'x-csrf-token': liuguan.csrf, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ gridId: grids.items[0]!.id, address: '双进程街1号', ownerName: '欧阳青', rental: true }),
    });
    const first = await house(a.url);
    expect(first.status).toBe(201);
    const retried = await house(b.url);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replay')).toBe('true');
    expect(((await retried.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);

    // An import runs on A (B is stopped, so A's runner claims it); A is killed mid-way; B, started again, finishes it.
    await stopServer(b);
    const rows = 12_000;
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await importFile(rows))]), 'multi.xlsx');
    const started = await fetch(`${a.url}/api/v1/population/imports`, { method: 'POST', headers: { cookie: liuguan.cookie, 'x-csrf-token': liuguan.csrf }, body: form });
    expect(started.status, await started.clone().text()).toBe(202);
    const { jobId } = (await started.json()) as { jobId: string };
    const jobOn = async (url: string) => (await (await fetch(`${url}/api/v1/jobs/${jobId}`, { headers: { cookie: liuguan.cookie } })).json()) as { status: string; processed: number; succeeded: number; failed: number };
    for (let i = 0; i < 600; i++) {
      const j = await jobOn(a.url);
      if (j.status === 'running' && j.processed > 0) break;
      expect(j.status).not.toBe('done'); // the file is large enough to be caught mid-way
      await new Promise((r) => setTimeout(r, 50));
    }
    a.proc.kill('SIGKILL');
    await a.exited;
    const b2 = await start(env);
    let job = await jobOn(b2.url);
    for (let i = 0; i < 240 && job.status !== 'done' && job.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      job = await jobOn(b2.url);
    }
    expect(job).toMatchObject({ status: 'done', processed: rows, succeeded: rows, failed: 0 });
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    try {
      const n = (await c.query(`select count(*)::int as n from persons where name like '多进程%'`)).rows[0].n;
      expect(n).toBe(rows);
      const attempts = (await c.query(`select attempts from jobs where id = $1`, [jobId])).rows[0].attempts;
      expect(attempts).toBe(2);
    } finally {
      await c.end();
    }
  }, 400_000);
});
