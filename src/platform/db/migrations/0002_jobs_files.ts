import { sql, type Kysely } from 'kysely';

/** Stored files (content-addressed blobs on disk, metadata here) and background jobs. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('files')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('original_name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('owner_kind', 'text')
    .addColumn('owner_id', 'uuid')
    .execute();
  await db.schema.createIndex('files_owner_idx').on('files').columns(['owner_kind', 'owner_id']).execute();
  await db.schema.createIndex('files_sha256_idx').on('files').column('sha256').execute();

  await db.schema.createTable('jobs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued','running','done','failed')`))
    .addColumn('created_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('processed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('succeeded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cursor', 'jsonb')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('error_file_id', 'uuid', (c) => c.references('files.id'))
    .addColumn('result_file_id', 'uuid', (c) => c.references('files.id'))
    .execute();
  // The runner's claim query only looks at unfinished jobs.
  await sql`create index jobs_pending_idx on jobs (created_at, id) where status in ('queued','running')`.execute(db);
  await db.schema.createIndex('jobs_created_by_idx').on('jobs').column('created_by').execute();
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
