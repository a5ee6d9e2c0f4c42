import { sql } from 'kysely';
import { openDatabase, type Db } from './index.js';
import { migrateToLatest } from './migrator.js';

/**
 * Migrations as an owner role distinct from the runtime role (PostgreSQL, `DATABASE_URL_OWNER`).
 *
 * The runtime role then owns no table, so it cannot `ALTER TABLE audit_events DISABLE TRIGGER`,
 * and it holds only the privileges it needs: read and write the business tables; on the audit
 * table insert and read, and update of the two columns the sealer sets (chain_pos, hash — the
 * append-only trigger still checks that nothing else changes); on `meta` (key fingerprint, where
 * the keyed chain starts) insert and read only; on the migration tables read only. The grants are
 * renewed after every migration, so tables a later migration adds are covered.
 */
export class RuntimeRoleError extends Error {}

export async function migrateAsOwner(ownerUrl: string, runtime: Db): Promise<string[]> {
  const me = await sql<{ role: string; super: boolean }>`select current_user as role, rolsuper as super from pg_roles where rolname = current_user`.execute(runtime);
  const { role, super: isSuper } = me.rows[0]!;
  const owner = await openDatabase({ databaseUrl: ownerUrl, poolSize: 1 });
  try {
    const ownerRole = (await sql<{ role: string }>`select current_user as role`.execute(owner.db)).rows[0]!.role;
    if (ownerRole === role) {
      throw new RuntimeRoleError(`DATABASE_URL_OWNER 与 DATABASE_URL 是同一个数据库角色（${role}）：迁移角色与运行角色必须不同，否则运行角色仍拥有审计表。`);
    }
    if (isSuper) {
      throw new RuntimeRoleError(`运行角色 ${role} 是超级用户：它可以绕过审计表的只追加保护。请为 DATABASE_URL 使用一个普通角色（CREATE ROLE … LOGIN，不带 SUPERUSER）。`);
    }
    const applied = await migrateToLatest(owner.db);
    await grantRuntimeAccess(owner.db, role);
    return applied;
  } finally {
    await owner.close();
  }
}

async function grantRuntimeAccess(owner: Db, role: string): Promise<void> {
  const r = sql.id(role);
  const owned = await sql<{ n: number }>`select count(*)::int as n from pg_tables where schemaname = 'public' and tableowner = ${role}`.execute(owner);
  if (owned.rows[0]!.n > 0) {
    // Tables the runtime role created itself (an installation that migrated as that role before).
    try {
      await sql`reassign owned by ${r} to current_user`.execute(owner);
    } catch (e) {
      throw new RuntimeRoleError(`运行角色 ${role} 仍拥有 ${owned.rows[0]!.n} 张表，且迁移角色无法接管（${(e as Error).message}）。请以超级用户执行：REASSIGN OWNED BY "${role}" TO <迁移角色>;`);
    }
  }
  await owner.transaction().execute(async (tx) => {
    await sql`grant usage on schema public to ${r}`.execute(tx);
    await sql`grant select, insert, update, delete on all tables in schema public to ${r}`.execute(tx);
    await sql`grant usage, select, update on all sequences in schema public to ${r}`.execute(tx);
    await sql`revoke insert, update, delete, truncate on kysely_migration, kysely_migration_lock from ${r}`.execute(tx);
    await sql`revoke update, delete, truncate on audit_events, meta from ${r}`.execute(tx);
    await sql`grant update (chain_pos, hash) on audit_events to ${r}`.execute(tx);
  });
}
