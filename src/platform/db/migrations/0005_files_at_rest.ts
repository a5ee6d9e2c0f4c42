import { sql, type Kysely } from 'kysely';

/**
 * Stored files at rest (files/service.ts): new files are sealed blobs named after their row, so
 * `sha256` now only names the plaintext blob of a file stored before (cleared once it is sealed);
 * transient files expire (files/retention.ts) and keep their row with `expired_at`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('files').alterColumn('sha256', (c) => c.dropNotNull()).execute();
  await db.schema.alterTable('files').addColumn('expired_at', 'timestamptz').execute();
  // The retention sweep looks at job-owned files still holding content.
  await sql`create index files_live_job_idx on files (owner_id) where owner_kind = 'job' and expired_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
