import { sql, type Kysely } from 'kysely';

/**
 * 采集点联系人 (000:12 "各采集点确定1名联系人"): each collection point has exactly one contact
 * person at a time. Contacts are dated (from/to), never overwritten: a change closes the current
 * one and opens the next, so the history of who answered for a point stays.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const run = (q: string) => sql.raw(q).execute(db);
  await run(`create table collection_point_contacts (
    id uuid primary key,
    point_id uuid not null references org_units(id),
    contact_name text not null,
    phone_enc text, phone_masked text,
    from_date date not null,
    to_date date,
    reason text,
    created_by uuid references users(id),
    created_at timestamptz not null default now(),
    ended_by uuid references users(id),
    check (to_date is null or to_date >= from_date))`);
  // Exactly one current contact per point.
  await run('create unique index collection_point_contacts_current_uq on collection_point_contacts (point_id) where to_date is null');
  await run('create index collection_point_contacts_point_idx on collection_point_contacts (point_id, from_date)');
}

export async function down(): Promise<void> {
  throw new Error('population migrations are not reversible; restore a backup instead');
}
