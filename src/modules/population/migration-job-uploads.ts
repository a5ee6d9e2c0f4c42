import { sql, type Kysely } from 'kysely';

/**
 * Import and comparison uploads belong to their job (transfer-routes.ts attaches them since files
 * expire: platform/files/retention.ts). Uploads from before stayed unattached: attach each to the
 * population job that names it in `params.fileId`, so it expires with that job's other files.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update files f set owner_kind = 'job', owner_id = j.id
    from jobs j
    where f.owner_kind is null
      and j.kind in ('population.import', 'population.compare')
      and j.params ->> 'fileId' = f.id::text`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
