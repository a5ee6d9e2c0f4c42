import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './index.js';
import * as m0001 from './migrations/0001_platform.js';
import * as m0002 from './migrations/0002_jobs_files.js';

/**
 * Migrations are TypeScript modules listed here in order (platform first, then modules).
 * Modules append theirs through `registerMigrations` before the app starts.
 */
const migrations: Record<string, Migration> = { '0001_platform': m0001, '0002_jobs_files': m0002 };

export function registerMigrations(more: Record<string, Migration>): void {
  for (const [name, m] of Object.entries(more)) {
    if (migrations[name] && migrations[name] !== m) throw new Error(`duplicate migration ${name}`);
    migrations[name] = m;
  }
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
