import { sql, type Kysely } from 'kysely';

/**
 * 000:41 — crime leads (违法犯罪线索 / 犯罪嫌疑人) reported from a household visit: routed to the police
 * liaison of the grid's police area, reward-eligible. The suspect's name, document number and phone
 * are sealed like every other personal field (SM4), with masked forms for lists.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table crime_leads (
    id uuid primary key,
    grid_id uuid not null references org_units(id),
    police_area_id uuid references org_units(id),
    what text not null,
    place text not null,
    occurred_at timestamptz not null,
    suspect_name_enc text,
    suspect_name_masked text,
    suspect_id_enc text,
    suspect_id_masked text,
    suspect_phone_enc text,
    suspect_phone_masked text,
    reward_eligible boolean not null default true,
    routed_to jsonb not null default '[]'::jsonb,
    reported_by uuid not null references users(id),
    reported_at timestamptz not null default now())`.execute(db);
  await sql`create index crime_leads_grid_idx on crime_leads (grid_id, reported_at)`.execute(db);
  await sql`create index crime_leads_reporter_idx on crime_leads (reported_by, reported_at)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
