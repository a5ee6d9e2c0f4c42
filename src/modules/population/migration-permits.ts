import { sql, type Kysely } from 'kysely';

/**
 * Residence permits (居住证 / 暂住证 申领) and responsibility letters (责任书), seed 000 l.10, l.25.
 *
 * A permit application is a header row (projection: status, card, validity) plus an append-only
 * `residence_permit_actions` history of dated steps (applied → accepted 受理 → issued 制证发放 |
 * refused); the header is updated in the same transaction as the step, never rewritten otherwise.
 * Scope follows the applicant: queries join `persons` and filter on its grid.
 *
 * A responsibility letter is signed by a landlord (a house) or an employer with the community /
 * street for rental and public-security duties, for a term; it ends early or is renewed by a new
 * letter pointing at the old one. It carries the grid of its house / employer for the scope filter.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const run = (q: string) => sql.raw(q).execute(db);

  await run(`create table residence_permits (
    id uuid primary key,
    person_id uuid not null references persons(id),
    kind text not null check (kind in ('residence_permit','temporary_permit')),
    applied_on date not null,
    status text not null check (status in ('applied','accepted','issued','refused')),
    accepted_on date,
    issued_on date,
    valid_until date,
    card_no_hmac text, card_no_enc text, card_no_masked text,
    refused_on date,
    refused_reason text,
    renews_id uuid references residence_permits(id),
    note text,
    created_by uuid not null references users(id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (valid_until is null or issued_on is null or valid_until > issued_on),
    check (status <> 'issued' or (card_no_enc is not null and valid_until is not null and issued_on is not null)),
    check (status <> 'refused' or refused_reason is not null))`);
  // One open application (申领中) per person and kind; a card number is issued once.
  await run(`create unique index residence_permits_one_open_uq on residence_permits (person_id, kind) where status in ('applied','accepted')`);
  await run('create unique index residence_permits_card_uq on residence_permits (card_no_hmac) where card_no_hmac is not null');
  await run('create index residence_permits_person_idx on residence_permits (person_id, applied_on)');
  await run('create index residence_permits_status_idx on residence_permits (status, valid_until)');
  await run('create index residence_permits_renews_idx on residence_permits (renews_id) where renews_id is not null');

  await run(`create table residence_permit_actions (
    id uuid primary key,
    permit_id uuid not null references residence_permits(id),
    action text not null check (action in ('apply','accept','issue','refuse')),
    on_date date not null,
    actor_id uuid not null references users(id),
    at timestamptz not null default now(),
    data jsonb not null default '{}'::jsonb)`);
  await run('create index residence_permit_actions_idx on residence_permit_actions (permit_id, at)');

  await run(`create table responsibility_letters (
    id uuid primary key,
    party_kind text not null check (party_kind in ('landlord','employer')),
    house_id uuid references houses(id),
    employer_id uuid references employers(id),
    grid_id uuid not null references org_units(id),
    party_name text not null,
    signed_on date not null,
    term_from date not null,
    term_to date not null,
    note text,
    ended_on date,
    end_reason text,
    ended_by uuid references users(id),
    renews_id uuid references responsibility_letters(id),
    created_by uuid not null references users(id),
    created_at timestamptz not null default now(),
    check (term_to >= term_from),
    check (ended_on is null or ended_on >= term_from),
    check ((party_kind = 'landlord' and house_id is not null and employer_id is null)
        or (party_kind = 'employer' and employer_id is not null and house_id is null)))`);
  await run('create index responsibility_letters_grid_idx on responsibility_letters (grid_id, term_to)');
  await run('create index responsibility_letters_house_idx on responsibility_letters (house_id, term_to) where house_id is not null');
  await run('create index responsibility_letters_employer_idx on responsibility_letters (employer_id, term_to) where employer_id is not null');
  await run('create unique index responsibility_letters_renews_uq on responsibility_letters (renews_id) where renews_id is not null');
}

export async function down(): Promise<void> {
  throw new Error('population migrations are not reversible; restore a backup instead');
}
