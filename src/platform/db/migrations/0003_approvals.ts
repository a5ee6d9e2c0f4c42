import { sql, type Kysely } from 'kysely';

/**
 * The platform pieces every office module needs: staff rank (职级) and service start for chain
 * conditions and leave entitlements, case numbers per kind and year, the approval engine (approvals,
 * steps, tasks, the append-only action log, CC receipts, out-of-office delegations), in-app
 * notifications and the periodic scheduler's run claims.
 */
const statements = [
  `alter table users add column rank text`,
  `alter table users add column work_started_on date`,
  `create index staff_posts_unit_post_idx on staff_posts (org_unit_id, post)`,

  `create table case_numbers (
     kind text not null, year integer not null, last_value integer not null,
     primary key (kind, year))`,

  `create table approvals (
     id uuid primary key,
     kind text not null,
     subject_id text not null,
     case_no text not null unique,
     title text not null,
     applicant_id uuid not null references users(id),
     applicant_unit_id uuid not null references org_units(id),
     street_code text not null,
     form jsonb not null,
     policy_pack text not null,
     policy_version integer not null,
     status text not null check (status in ('pending','returned','approved','rejected','withdrawn')),
     current_step integer,
     first_decision_at timestamptz,
     created_at timestamptz not null default now(),
     finished_at timestamptz)`,
  `create index approvals_applicant_idx on approvals (applicant_id, created_at desc)`,
  `create index approvals_kind_subject_idx on approvals (kind, subject_id)`,

  `create table approval_steps (
     id uuid primary key,
     approval_id uuid not null references approvals(id),
     step_order integer not null,
     round integer not null default 1,
     key text not null,
     name text not null,
     rule jsonb not null,
     approver_post text not null,
     planned_ids uuid[] not null default '{}',
     mode text not null check (mode in ('one','all','any')),
     status text not null check (status in ('waiting','open','approved','rejected','returned','skipped','cancelled')),
     due_on date,
     timeout_action text not null default 'remind',
     opened_at timestamptz,
     closed_at timestamptz,
     unique (approval_id, step_order, round))`,

  `create table approval_tasks (
     id uuid primary key,
     approval_id uuid not null references approvals(id),
     step_id uuid not null references approval_steps(id),
     assignee_id uuid not null references users(id),
     owner_id uuid not null references users(id),
     on_behalf_of_id uuid references users(id),
     origin text not null check (origin in ('resolved','added_before','added_after','delegated','transferred','escalated')),
     parent_task_id uuid references approval_tasks(id),
     status text not null check (status in ('open','waiting','done','cancelled')),
     decision text,
     comment text,
     kind text not null,
     due_on date,
     created_at timestamptz not null default now(),
     decided_at timestamptz)`,
  `create index approval_tasks_todo_idx on approval_tasks (assignee_id, status, due_on, created_at)`,
  `create index approval_tasks_done_idx on approval_tasks (assignee_id, decided_at desc) where status = 'done'`,
  `create index approval_tasks_approval_idx on approval_tasks (approval_id)`,
  // A decision finds the other tasks of its step (或签 ends them, the step closes when none is left)
  // and the signers added after it (后加签): without these every decision scans all tasks.
  `create index approval_tasks_step_idx on approval_tasks (step_id)`,
  `create index approval_tasks_parent_idx on approval_tasks (parent_task_id) where parent_task_id is not null`,

  `create table approval_actions (
     id uuid primary key,
     approval_id uuid not null references approvals(id),
     step_id uuid references approval_steps(id),
     task_id uuid references approval_tasks(id),
     actor_id uuid references users(id),
     on_behalf_of_id uuid references users(id),
     action text not null,
     comment text,
     payload jsonb not null default '{}'::jsonb,
     idempotency_key text,
     at timestamptz not null default now())`,
  `create index approval_actions_approval_idx on approval_actions (approval_id, at)`,
  `create unique index approval_actions_auto_once on approval_actions (step_id, action, ((payload->>'slot'))) where action in ('auto_remind','auto_pass','escalate')`,

  `create table approval_cc (
     id uuid primary key,
     approval_id uuid not null references approvals(id),
     user_id uuid not null references users(id),
     added_by uuid references users(id),
     created_at timestamptz not null default now(),
     read_at timestamptz,
     unique (approval_id, user_id))`,
  `create index approval_cc_user_idx on approval_cc (user_id, created_at desc)`,

  `create table delegations (
     id uuid primary key,
     from_user_id uuid not null references users(id),
     to_user_id uuid not null references users(id),
     valid_from date not null,
     valid_to date not null,
     kinds text[],
     reason text not null,
     created_by uuid references users(id),
     created_at timestamptz not null default now(),
     revoked_at timestamptz,
     revoked_by uuid references users(id),
     check (valid_to > valid_from),
     check (from_user_id <> to_user_id))`,
  `create index delegations_from_idx on delegations (from_user_id, valid_from)`,

  `create table notifications (
     id uuid primary key,
     user_id uuid not null references users(id),
     kind text not null,
     title text not null,
     body text not null default '',
     link text,
     entity text,
     entity_id text,
     created_at timestamptz not null default now(),
     read_at timestamptz)`,
  `create index notifications_user_idx on notifications (user_id, created_at desc)`,
  `create index notifications_unread_idx on notifications (user_id) where read_at is null`,

  `create table schedule_runs (
     name text not null,
     slot timestamptz not null,
     started_at timestamptz not null default now(),
     finished_at timestamptz,
     error text,
     primary key (name, slot))`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
