import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './index.js';
import * as m0001 from './migrations/0001_platform.js';
import * as m0002 from './migrations/0002_jobs_files.js';
import * as m0003 from './migrations/0003_approvals.js';
import * as m0004 from './migrations/0004_audit_keyed_chain.js';
import * as m0005 from './migrations/0005_files_at_rest.js';

/**
 * Migrations are TypeScript modules, named `NNNN_what`. The platform owns 0001–0099, each module a
 * range of its own (population 0100–0199, leave 0200–0299, …, declared in its manifest).
 *
 * Unordered migrations are allowed on purpose: a platform migration added after a module's
 * (`0003_…` on a database that already has `0100_population`) must still run, so Kysely applies
 * every pending migration in name order instead of refusing one that sorts before the last
 * applied. Within a range names only grow, so a module's own migrations still apply in order.
 */
const platformMigrations: Record<string, Migration> = { '0001_platform': m0001, '0002_jobs_files': m0002, '0003_approvals': m0003, '0004_audit_keyed_chain': m0004, '0005_files_at_rest': m0005 };
const migrations: Record<string, Migration> = { ...platformMigrations };

export function registerMigrations(more: Record<string, Migration>): void {
  for (const [name, m] of Object.entries(more)) {
    if (!/^\d{4}_[a-z0-9_]+$/.test(name)) throw new Error(`migration name ${name} must be NNNN_snake_case`);
    if (migrations[name] && migrations[name] !== m) throw new Error(`duplicate migration ${name}`);
    migrations[name] = m;
  }
}

const provider = (set: Record<string, Migration>): MigrationProvider => ({ getMigrations: async () => set });

export async function migrateToLatest(db: Db, only?: Record<string, Migration>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: provider(only ?? migrations), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
