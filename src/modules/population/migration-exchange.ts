import { sql, type Kysely } from 'kysely';

/**
 * 000:43 — the exchange file for 成都市流动人口服务及综合管理信息系统 and its sync log: each sync
 * covers what changed in (since, until]; the first has no `since` and carries everything active.
 * Houses get an `updated_at` so a changed house can be found (backfilled with its creation time).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table houses add column updated_at timestamptz`.execute(db);
  await sql`update houses set updated_at = created_at`.execute(db);
  await sql`alter table houses alter column updated_at set not null`.execute(db);
  await sql`alter table houses alter column updated_at set default now()`.execute(db);
  await sql`create index houses_updated_idx on houses (updated_at)`.execute(db);
  await sql`create index persons_updated_idx on persons (updated_at)`.execute(db);
  await sql`create table exchange_syncs (
    id uuid primary key,
    job_id uuid not null unique references jobs(id),
    requested_by uuid not null references users(id),
    requested_at timestamptz not null default now(),
    since timestamptz,
    until timestamptz not null,
    status text not null default 'running' check (status in ('running', 'done', 'failed')),
    persons integer,
    houses integer,
    file_id uuid references files(id),
    finished_at timestamptz)`.execute(db);
  await sql`create unique index exchange_syncs_one_running on exchange_syncs ((true)) where status = 'running'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
