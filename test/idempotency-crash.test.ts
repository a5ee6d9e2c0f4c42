import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/index.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { pop } from '../src/modules/population/schema.js';
import { scratchPostgres, startServer, stopServer, waitHealthy, type ServerProcess } from './helpers/server-process.js';

/**
 * API.md "Idempotency" across a crash: a real server process is killed (SIGKILL) right after an
 * idempotent request's transaction commits and before its answer is sent (JIEDAO_FAULT). The
 * client sees the connection drop and retries with the same key on the restarted server: it gets
 * the first answer, and the write exists once. Runs on the suite's engine (PGlite data directory,
 * or a fresh PostgreSQL database when DATABASE_URL is set).
 */
const servers: ServerProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const s of servers) await stopServer(s, 'SIGKILL');
  for (const c of cleanups) await c();
});

async function serverEnv(): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-idem-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (!process.env.DATABASE_URL) return { JIEDAO_DATA_DIR: dir, DATABASE_URL: '', JIEDAO_DEMO: '1' };
  const scratch = await scratchPostgres('jiedao_idem');
  cleanups.push(scratch.drop);
  return { JIEDAO_DATA_DIR: dir, DATABASE_URL: scratch.url, JIEDAO_DEMO: '1' };
}

async function login(url: string, username: string) {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: DEMO_PASSWORD }) });
  expect(r.status).toBe(200);
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: ((await r.json()) as { csrfToken: string }).csrfToken };
}

describe('idempotency across a crash', () => {
  it('killed between commit and answer: the retry with the same key gets the first answer and the house exists once', async () => {
    const env = await serverEnv();
    const s1 = await startServer({ ...env, JIEDAO_FAULT: 'kill-after-commit' });
    servers.push(s1);
    expect(await waitHealthy(s1), s1.output()).toBe(true);
    const liuguan = await login(s1.url, 'liuguan');
    const grids = (await (await fetch(`${s1.url}/api/v1/org/units?kind=grid&pageSize=1`, { headers: { cookie: liuguan.cookie } })).json()) as { items: { id: string }[] };
    const gridId = grids.items[0]!.id;
    const key = randomUUID();
    const body = JSON.stringify({ gridId, address: '断电重试街9号1栋1单元101室', ownerName: '司徒明远', rental: true, rooms: 2 });
    const send = (url: string) => fetch(`${url}/api/v1/population/houses`, {
      method: 'POST', body,
      headers: { cookie: liuguan.cookie, 'x-csrf-token': liuguan.csrf, 'content-type': 'application/json', 'idempotency-key': key },
    });
    const lost = await send(s1.url).then((r) => r.status).catch(() => 'connection lost');
    expect(lost).toBe('connection lost');
    expect(await s1.exited).toBe(null); // ended by its signal, not an exit code

    const s2 = await startServer(env);
    servers.push(s2);
    expect(await waitHealthy(s2), s2.output()).toBe(true);
    // The session is in the database, so it survives the restart; the retry carries the same key and body.
    const retry = await send(s2.url);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replay')).toBe('true');
    const house = (await retry.json()) as { id: string };
    const again = await send(s2.url);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: string }).id).toBe(house.id);
    await stopServer(s2);

    const { db, close } = await openDatabase(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: env.JIEDAO_DATA_DIR });
    try {
      const rows = await pop(db).selectFrom('houses').select('id').where('address', '=', '断电重试街9号1栋1单元101室').execute();
      expect(rows.map((r) => r.id)).toEqual([house.id]);
      expect(await db.selectFrom('audit_events').select('seq').where('action', '=', 'house.create').where('entity_id', '=', house.id).execute()).toHaveLength(1);
    } finally {
      await close();
    }
  }, 180_000);
});
