import { sql, type Kysely } from 'kysely';

/**
 * 000:27 — the grid worker collects (采集), the community station enters (录入): a collection record
 * reported by someone who may not enter waits in `collected` until a station user enters it, who is
 * stamped (entered_by, entered_at). Records from before were entered by their collector when reported.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table collection_records add column entered_by uuid references users(id)`.execute(db);
  await sql`alter table collection_records add column entered_at timestamptz`.execute(db);
  await sql`alter table collection_records drop constraint collection_records_review_status_check`.execute(db);
  await sql`alter table collection_records add constraint collection_records_review_status_check check (review_status in ('collected','reported','passed','returned'))`.execute(db);
  await sql`update collection_records set entered_by = collected_by, entered_at = reported_at where entered_at is null`.execute(db);
  await sql`alter table collection_records add constraint collection_records_entered_check check ((review_status = 'collected') = (entered_at is null))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
