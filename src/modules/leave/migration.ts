import { sql, type Kysely } from 'kysely';

/**
 * Leave (请假/销假), M4. A request is a header row (projection: status, days, the approval it runs
 * on, its 销假) whose history is its approval's action log plus the close; balances are a ledger
 * in half-days (grants, holds at submission, releases when refused or withdrawn, returns when a
 * leave ends early, adjustments with a reason, expiry), never a counter that is overwritten.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const run = (q: string) => sql.raw(q).execute(db);
  await run(`create table leave_requests (
    id uuid primary key,
    user_id uuid not null references users(id),
    org_unit_id uuid not null references org_units(id),
    street_code text not null,
    type text not null,
    start_date date not null,
    end_date date not null,
    half_day text check (half_day in ('am','pm')),
    day_unit text not null check (day_unit in ('workday','natural')),
    half_days integer not null check (half_days > 0),
    provisional boolean not null default false,
    retroactive boolean not null default false,
    reason text not null,
    details jsonb not null default '{}'::jsonb,
    status text not null check (status in ('pending','approved','rejected','withdrawn')),
    approval_id uuid references approvals(id),
    case_no text,
    policy_pack text not null,
    policy_version integer not null,
    calendar_version text not null,
    closed_at timestamptz,
    closed_by uuid references users(id),
    actual_end_date date,
    actual_half_days integer,
    close_note text,
    created_at timestamptz not null default now(),
    check (end_date >= start_date))`);
  await run(`create index leave_requests_user_idx on leave_requests (user_id, start_date desc)`);
  await run(`create index leave_requests_unit_idx on leave_requests (org_unit_id, start_date, end_date)`);
  await run(`create index leave_requests_unclosed_idx on leave_requests (end_date) where status = 'approved' and closed_at is null`);
  await run(`create table leave_ledger (
    id uuid primary key,
    user_id uuid not null references users(id),
    leave_type text not null,
    year integer not null,
    entry text not null check (entry in ('grant','hold','release','return','adjust','expire')),
    half_days integer not null,
    request_id uuid references leave_requests(id),
    note text not null default '',
    actor_id uuid references users(id),
    created_at timestamptz not null default now())`);
  await run(`create index leave_ledger_user_idx on leave_ledger (user_id, leave_type, year)`);
  await run(`create unique index leave_ledger_grant_once on leave_ledger (user_id, leave_type, year) where entry = 'grant'`);
}
