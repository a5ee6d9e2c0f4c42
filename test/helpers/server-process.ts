import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** A real server process (`src/server/start.ts`), for tests of start-up, locking and crashes. */
export interface ServerProcess { url: string; proc: ChildProcess; output: () => string; exited: Promise<number | null> }

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address() as net.AddressInfo; s.close(() => resolve(a.port)); });
    s.on('error', reject);
  });
}

export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server/start.ts'], {
    cwd: root, env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1', JIEDAO_WEB_DIR: '/nonexistent', ...env },
  });
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { url: `http://127.0.0.1:${port}`, proc, output: () => out, exited };
}

export async function waitHealthy(s: ServerProcess, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  let done = false;
  void s.exited.then(() => { done = true; });
  while (Date.now() < end && !done) {
    try {
      if ((await fetch(`${s.url}/api/v1/health`)).status === 200) return true;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export async function stopServer(s: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  s.proc.kill(signal);
  await s.exited;
}

/**
 * A new, empty PostgreSQL database on the server of DATABASE_URL, for server processes a test
 * starts itself; `drop` removes it (even while connections are open).
 */
export async function scratchPostgres(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const { randomBytes } = await import('node:crypto');
  const url = process.env.DATABASE_URL!;
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
