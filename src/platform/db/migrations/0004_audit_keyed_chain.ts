import { sql, type Kysely } from 'kysely';

/**
 * The audit chain becomes keyed (HMAC-SM3, platform/audit/service.ts). Links sealed before this
 * migration keep their unkeyed SHA-256 hashes and are verified as such; every position from
 * `audit_chain_keyed_from` on is keyed. A fresh database is keyed from position 1.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`insert into meta (key, value)
    select 'audit_chain_keyed_from', to_jsonb(coalesce(max(chain_pos), 0) + 1) from audit_events
    on conflict (key) do nothing`.execute(db);
}
