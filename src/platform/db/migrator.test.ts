import { afterAll, describe, expect, it } from 'vitest';
import { sql, type Kysely, type Migration } from 'kysely';
import { freshDatabase } from '../../../test/helpers/app.js';
import { migrateToLatest } from './migrator.js';

const table = (name: string): Migration => ({
  up: async (db: Kysely<unknown>) => { await db.schema.createTable(name).addColumn('id', 'integer').execute(); },
});

describe('migrations', () => {
  const dbs: { drop: () => Promise<void> }[] = [];
  afterAll(async () => { for (const d of dbs) await d.drop(); });

  it('a platform migration added after a module migration runs on an already-migrated database', async () => {
    const fresh = await freshDatabase();
    dbs.push(fresh);
    const db = fresh.database.db;
    expect(await migrateToLatest(db, { '0001_a': table('m_a'), '0100_module': table('m_module') })).toEqual(['0001_a', '0100_module']);
    // A later release ships a platform migration whose name sorts before the module's.
    expect(await migrateToLatest(db, { '0001_a': table('m_a'), '0003_platform_later': table('m_later'), '0100_module': table('m_module') }))
      .toEqual(['0003_platform_later']);
    const r = await sql<{ n: string }>`select count(*) as n from information_schema.tables where table_name in ('m_a','m_module','m_later')`.execute(db);
    expect(Number(r.rows[0]!.n)).toBe(3);
    // Applied once: a second run does nothing.
    expect(await migrateToLatest(db, { '0001_a': table('m_a'), '0003_platform_later': table('m_later'), '0100_module': table('m_module') })).toEqual([]);
  });
});
