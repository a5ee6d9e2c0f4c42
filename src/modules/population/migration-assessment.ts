import { sql, type Kysely } from 'kysely';

/**
 * 000:40 — the community's annual target assessment (年度目标考核): deduction items (扣分项目) and the
 * funding-deduction flag (经费扣减). A month whose entries (录入) fall short of the standard adds one
 * item per community and month (the unique index makes re-running the month a no-op); a district
 * deduction (区流管办扣分) recorded by the street adds an item of its own. Either sets the flag for
 * the community and year; items are never rewritten.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table assessment_items (
    id uuid primary key,
    org_unit_id uuid not null references org_units(id),
    year integer not null,
    month text,
    source text not null check (source in ('entry_shortfall', 'district')),
    points numeric(6,2) not null check (points > 0),
    reason text not null,
    entries integer,
    standard integer,
    policy_version integer,
    created_by uuid references users(id),
    created_at timestamptz not null default now(),
    check ((source = 'entry_shortfall') = (month is not null and entries is not null and standard is not null)))`.execute(db);
  await sql`create unique index assessment_items_shortfall_uq on assessment_items (org_unit_id, month) where source = 'entry_shortfall'`.execute(db);
  await sql`create index assessment_items_unit_year_idx on assessment_items (org_unit_id, year)`.execute(db);
  await sql`create table funding_deduction_flags (
    org_unit_id uuid not null references org_units(id),
    year integer not null,
    first_item_id uuid not null references assessment_items(id),
    set_at timestamptz not null default now(),
    primary key (org_unit_id, year))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Migrations are forward-only; restore a backup to go back.');
}
