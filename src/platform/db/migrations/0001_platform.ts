import { sql, type Kysely } from 'kysely';

/** Platform core: org tree, staff, posts, roles, sessions, audit, idempotency, calendar, policy packs. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .execute();

  await db.schema.createTable('org_units')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('parent_id', 'uuid', (c) => c.references('org_units.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('street','community','grid','police_area','collection_point','department','service_hall')`))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('street_code', 'text', (c) => c.notNull())
    .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('valid_from', 'date', (c) => c.notNull())
    .addColumn('valid_to', 'date')
    .addColumn('survey', 'jsonb')
    .addColumn('key_designation', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('org_units_parent_idx').on('org_units').column('parent_id').execute();
  await db.schema.createIndex('org_units_code_uq').on('org_units').columns(['code']).unique().execute();

  await db.schema.createTable('org_unit_links')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_unit_id', 'uuid', (c) => c.notNull().references('org_units.id'))
    .addColumn('to_unit_id', 'uuid', (c) => c.notNull().references('org_units.id'))
    .addColumn('valid_from', 'date', (c) => c.notNull())
    .addColumn('valid_to', 'date')
    .execute();
  await db.schema.createIndex('org_unit_links_from_idx').on('org_unit_links').column('from_unit_id').execute();
  await db.schema.createIndex('org_unit_links_to_idx').on('org_unit_links').column('to_unit_id').execute();

  await db.schema.createTable('org_unit_parent_history')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('unit_id', 'uuid', (c) => c.notNull().references('org_units.id'))
    .addColumn('parent_id', 'uuid', (c) => c.references('org_units.id'))
    .addColumn('valid_from', 'date', (c) => c.notNull())
    .addColumn('valid_to', 'date')
    .addColumn('changed_by', 'uuid')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema.createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('must_change_password', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('password_changed_at', 'timestamptz')
    .execute();

  await db.schema.createTable('staff_posts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('org_unit_id', 'uuid', (c) => c.notNull().references('org_units.id'))
    .addColumn('post', 'text', (c) => c.notNull())
    .addColumn('is_primary', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('valid_from', 'date', (c) => c.notNull())
    .addColumn('valid_to', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'uuid')
    .execute();
  await db.schema.createIndex('staff_posts_user_idx').on('staff_posts').column('user_id').execute();
  await db.schema.createIndex('staff_posts_unit_idx').on('staff_posts').columns(['org_unit_id', 'post']).execute();

  await db.schema.createTable('role_grants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('data_scope', 'text', (c) => c.notNull().check(sql`data_scope in ('all','unit_and_below','unit','self','custom')`))
    .addColumn('custom_unit_ids', sql`uuid[]`, (c) => c.notNull().defaultTo(sql`'{}'::uuid[]`))
    .addColumn('granted_by', 'uuid')
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'uuid')
    .addColumn('revoke_reason', 'text')
    .execute();
  await db.schema.createIndex('role_grants_user_idx').on('role_grants').column('user_id').execute();
  // 三员分立: one person never holds two of the separated admin roles. Enforced in the service
  // and, as a backstop against concurrent grants, by this index: at most one live admin grant per user.
  await sql`create unique index role_grants_one_admin_role on role_grants (user_id)
    where revoked_at is null and role in ('system_admin','security_admin','audit_admin')`.execute(db);

  await db.schema.createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await db.schema.createTable('login_failures')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .execute();

  await db.schema.createTable('audit_events')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_name', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('chain_pos', 'bigint', (c) => c.unique())
    .addColumn('hash', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_entity_idx').on('audit_events').columns(['entity', 'entity_id']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_id', 'at']).execute();
  await sql`create index audit_events_unsealed_idx on audit_events (seq) where hash is null and chain_pos is null`.execute(db);
  // Append-only: rows can never be deleted or changed. Every row is inserted unsealed (hash and
  // chain_pos null — only the sealer links rows into the chain); the only allowed update is the
  // sealer setting chain_pos and hash together, once, on an unsealed row, changing nothing else.
  await sql`create function audit_events_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        if new.hash is null and new.chain_pos is null then
          return new;
        end if;
        raise exception 'audit_events is append-only: events are inserted unsealed, only the sealer sets hash and chain_pos'
          using errcode = 'insufficient_privilege';
      end if;
      if tg_op = 'UPDATE' and old.hash is null and old.chain_pos is null
         and new.hash is not null and new.chain_pos is not null
         and (new.seq, new.at, new.actor_id, new.actor_name, new.action, new.entity, new.entity_id, new.ip, new.summary)
             is not distinct from
             (old.seq, old.at, old.actor_id, old.actor_name, old.action, old.entity, old.entity_id, old.ip, old.summary) then
        return new;
      end if;
      raise exception 'audit_events is append-only' using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger audit_events_append_only before insert or update or delete on audit_events
    for each row execute function audit_events_guard()`.execute(db);
  await sql`create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function audit_events_guard()`.execute(db);

  await db.schema.createTable('idempotency_keys')
    .addColumn('actor_key', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['actor_key', 'key'])
    .execute();

  await db.schema.createTable('calendar_overrides')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('holiday','makeup_workday')`))
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('withdrawn_at', 'timestamptz')
    .addColumn('withdrawn_by', 'uuid')
    .addColumn('withdraw_reason', 'text')
    .execute();
  await sql`create unique index calendar_overrides_live_date on calendar_overrides (date) where withdrawn_at is null`.execute(db);

  await db.schema.createTable('calendar_published_years')
    .addColumn('year', 'integer', (c) => c.primaryKey())
    .addColumn('notice_ref', 'text', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema.createTable('policy_packs')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createTable('policy_versions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('pack_code', 'text', (c) => c.notNull().references('policy_packs.code'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('document', 'jsonb', (c) => c.notNull())
    .addColumn('author_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('decision_ref', 'text')
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('diff', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('policy_versions_pack_version_uq', ['pack_code', 'version'])
    .execute();
  await db.schema.createTable('policy_activations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('pack_code', 'text', (c) => c.notNull().references('policy_packs.code'))
    .addColumn('activated_by', 'uuid')
    .addColumn('activated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
