import { sql } from 'kysely';
import type { PopTx } from './schema.js';

/**
 * Bulk writes of the population tables (synthetic data, spreadsheet imports).
 * Column types of the tables written in bulk. Rows go in as one array per column through
 * `unnest(...)`: a statement has one bind parameter per column whatever the number of rows, which
 * is cheap to build and to plan on both engines (and PGlite's protocol allows only 32,767 parameters).
 */
export const BULK_COLUMNS: Record<string, readonly (readonly [string, string])[]> = {
  houses: [['id', 'uuid'], ['grid_id', 'uuid'], ['address', 'text'], ['building', 'text'], ['unit_no', 'text'], ['room', 'text'], ['owner_name', 'text'],
    ['owner_id_hmac', 'text'], ['owner_id_enc', 'text'], ['owner_id_masked', 'text'], ['owner_phone_enc', 'text'], ['owner_phone_masked', 'text'],
    ['rental', 'boolean'], ['rooms', 'integer'], ['area_m2', 'numeric'], ['created_by', 'uuid'], ['created_at', 'timestamptz']],
  persons: [['id', 'uuid'], ['id_type', 'text'], ['id_hmac', 'text'], ['id_enc', 'text'], ['id_masked', 'text'], ['name', 'text'], ['name_initials', 'text'],
    ['gender', 'text'], ['birth_date', 'date'], ['ethnicity', 'text'], ['origin', 'text'], ['education', 'text'], ['occupation', 'text'],
    ['phone_hmac', 'text'], ['phone_enc', 'text'], ['phone_masked', 'text'], ['employer_id', 'uuid'], ['status', 'text'], ['grid_id', 'uuid'],
    ['house_id', 'uuid'], ['arrived_on', 'date'], ['left_on', 'date'], ['arrival_reason', 'text'], ['review_status', 'text'], ['created_by', 'uuid'],
    ['created_at', 'timestamptz'], ['updated_at', 'timestamptz']],
  residences: [['id', 'uuid'], ['person_id', 'uuid'], ['grid_id', 'uuid'], ['house_id', 'uuid'], ['from_date', 'date'], ['to_date', 'date'],
    ['arrival_reason', 'text'], ['departure_reason', 'text'], ['created_by', 'uuid'], ['created_at', 'timestamptz'], ['ended_by', 'uuid'], ['ended_at', 'timestamptz']],
  tenancies: [['id', 'uuid'], ['house_id', 'uuid'], ['tenant_person_id', 'uuid'], ['tenant_name', 'text'], ['landlord_name', 'text'], ['from_date', 'date'],
    ['to_date', 'date'], ['created_by', 'uuid'], ['created_at', 'timestamptz']],
  collection_records: [['id', 'uuid'], ['kind', 'text'], ['person_id', 'uuid'], ['house_id', 'uuid'], ['grid_id', 'uuid'], ['collected_by', 'uuid'],
    ['collected_at', 'timestamptz'], ['reported_at', 'timestamptz'], ['late', 'boolean'], ['review_status', 'text'], ['reviewed_by', 'uuid'],
    ['reviewed_at', 'timestamptz'], ['return_reasons', 'text'], ['policy_pack', 'text'], ['policy_version', 'integer'], ['entered_by', 'uuid'], ['entered_at', 'timestamptz'],
    ['created_at', 'timestamptz']],
  collection_reviews: [['id', 'uuid'], ['record_id', 'uuid'], ['decision', 'text'], ['reasons', 'text'], ['actor_id', 'uuid'], ['at', 'timestamptz']],
  person_events: [['id', 'uuid'], ['person_id', 'uuid'], ['kind', 'text'], ['at', 'timestamptz'], ['actor_id', 'uuid'], ['data', 'jsonb']],
  patrols: [['id', 'uuid'], ['level', 'text'], ['target_unit_id', 'uuid'], ['house_id', 'uuid'], ['patrolled_on', 'date'], ['patroller_id', 'uuid'],
    ['checked', 'text'], ['findings', 'text'], ['arrivals_found', 'integer'], ['departures_found', 'integer'], ['rentals_counted', 'integer'],
    ['migrants_counted', 'integer'], ['created_at', 'timestamptz']],
};

/**
 * A column as a PostgreSQL array literal (`{a,"b c",NULL}`), written directly: cheaper than the
 * driver's generic per-element escaping. Text and JSON elements are quoted; the other types
 * (uuid, date, timestamptz as ISO, numbers, booleans) never contain a character needing it.
 */
export function arrayLiteral(rows: object[], column: string, type: string): string {
  const quote = type === 'text' || type === 'jsonb';
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    if (i) out += ',';
    const v = (rows[i] as Record<string, unknown>)[column];
    if (v === null || v === undefined) { out += 'NULL'; continue; }
    const s = v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? (v ? 't' : 'f') : String(v);
    out += quote ? `"${/[\\"]/.test(s) ? s.replace(/[\\"]/g, '\\$&') : s}"` : s;
  }
  return `${out}}`;
}

/** `insert into <table> (...) select * from unnest($1::type[], ...)`, optionally skipping conflicts and returning ids. */
export function bulkInsert(table: string, rows: object[], opts: { skipConflicts?: boolean } = {}) {
  const cols = BULK_COLUMNS[table]!;
  return sql<{ id: string }>`insert into ${sql.table(table)} (${sql.join(cols.map(([c]) => sql.ref(c)))})
    select * from unnest(${sql.join(cols.map(([c, type]) => sql`${arrayLiteral(rows, c, type)}::${sql.raw(type)}[]`))})
    ${opts.skipConflicts ? sql`on conflict do nothing returning id` : sql``}`;
}

export async function insertRows(tx: PopTx, table: string, rows: object[]): Promise<void> {
  if (rows.length) await bulkInsert(table, rows).execute(tx);
}
