import { sql, type Kysely } from 'kysely';
import { DEFAULT_PACK_CODE } from '../../platform/policy/packs.js';

/**
 * A collection record names the policy pack it was judged under (its 24 h clock), not a version
 * number alone: versions are numbered per pack. Records from before take the pack that was active
 * when they were made (the latest activation before them, else the default pack).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table collection_records add column policy_pack text`.execute(db);
  await sql`update collection_records r set policy_pack = coalesce(
      (select a.pack_code from policy_activations a where a.activated_at <= r.created_at order by a.activated_at desc, a.id desc limit 1),
      ${DEFAULT_PACK_CODE})
    where r.policy_version is not null`.execute(db);
  await sql`alter table collection_records add constraint collection_records_policy_pack_check
    check ((policy_version is null) = (policy_pack is null))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
