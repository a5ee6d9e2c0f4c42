import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { DB } from './schema.js';
import { acquireDataDirLock } from './datadir-lock.js';

export type DbKind = 'pglite' | 'postgres';
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

export interface Database {
  db: Db;
  kind: DbKind;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data directory; `memory://` for an in-memory database (tests). */
  dataDir?: string;
  /** Pool size on PostgreSQL. */
  poolSize?: number;
  /** Told when an idle PostgreSQL connection fails (it is replaced; nothing is lost). */
  onIdleError?: (e: Error) => void;
}

// Dates stay 'YYYY-MM-DD' strings and bigints stay strings on both engines.
pg.types.setTypeParser(1082, (v: string) => v);
pg.types.setTypeParser(20, (v: string) => v);

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle connection the server drops (restart, admin termination) emits 'error' on the pool;
    // unhandled, that would end the process. The pool discards the client and opens a new one.
    pool.on('error', (e) => opts.onIdleError?.(e));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = opts.dataDir ?? './data';
  const inMemory = dir.startsWith('memory://');
  let release = () => {};
  let dataPath = dir;
  if (!inMemory) {
    release = acquireDataDirLock(dir);
    dataPath = path.join(dir, 'pgdata');
    fs.mkdirSync(dataPath, { recursive: true });
  }
  try {
    // One options object: PGlite.create(undefined, opts) silently ignores opts (in-memory databases
    // then lost the date/bigint parsers and pg_trgm).
    const client = await PGlite.create({
      dataDir: inMemory ? undefined : dataPath,
      extensions: { pg_trgm },
      parsers: { [pgliteTypes.DATE]: (v: string) => v, [pgliteTypes.INT8]: (v: string) => v },
    });
    const db = new Kysely<DB>({ dialect: new PGliteDialect(client) });
    return {
      db,
      kind: 'pglite',
      close: async () => {
        await db.destroy();
        release();
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}

/** Runs fn in one transaction: everything it writes is committed together or not at all. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Tx);
  return db.transaction().execute(fn);
}
