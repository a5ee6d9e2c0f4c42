import { sql, type Kysely } from 'kysely';

/**
 * M2 population (流动人口), rental houses (出租房屋) and grids: the module's own tables.
 * Residence and tenancy are dated relationships, never flags; every change to a person is also an
 * event in `person_events`; counters per grid are kept in the same transaction as the change.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const run = (q: string) => sql.raw(q).execute(db);
  await run('create extension if not exists pg_trgm');

  await run(`create table employers (
    id uuid primary key,
    grid_id uuid not null references org_units(id),
    name text not null,
    uscc text unique,
    address text not null,
    contact_name text,
    phone_enc text, phone_masked text,
    employees integer not null default 0 check (employees >= 0),
    status text not null default 'active' check (status in ('active','closed')),
    created_by uuid references users(id),
    created_at timestamptz not null default now())`);
  await run('create index employers_grid_idx on employers (grid_id)');

  await run(`create table houses (
    id uuid primary key,
    grid_id uuid not null references org_units(id),
    address text not null,
    building text, unit_no text, room text,
    owner_name text not null,
    owner_id_hmac text, owner_id_enc text, owner_id_masked text,
    owner_phone_enc text, owner_phone_masked text,
    rental boolean not null,
    rooms integer check (rooms is null or rooms between 0 and 500),
    area_m2 numeric(10,2) check (area_m2 is null or area_m2 > 0),
    status text not null default 'active' check (status in ('active','removed')),
    created_by uuid references users(id),
    created_at timestamptz not null default now())`);
  await run('create index houses_grid_idx on houses (grid_id, rental) where status = \'active\'');

  await run(`create table persons (
    id uuid primary key,
    id_type text not null check (id_type in ('resident_id','passport','hk_mo_permit','tw_permit','foreign_permanent_id','none')),
    id_hmac text, id_enc text, id_masked text,
    name text not null,
    name_initials text not null,
    gender text check (gender in ('male','female')),
    birth_date date,
    ethnicity text, origin text, education text, occupation text,
    phone_hmac text, phone_enc text, phone_masked text,
    employer_id uuid references employers(id),
    status text not null check (status in ('active','left')),
    grid_id uuid not null references org_units(id),
    house_id uuid references houses(id),
    arrived_on date not null,
    left_on date,
    arrival_reason text,
    review_status text not null check (review_status in ('reported','passed','returned')),
    created_by uuid references users(id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1)`);
  // One person per document: the blind index (HMAC-SM3 of type + normalised number) is unique.
  await run('create unique index persons_id_hmac_uq on persons (id_hmac) where id_hmac is not null');
  await run('create index persons_grid_status_idx on persons (grid_id, status, review_status)');
  // Lists show the most recently changed first: street-wide and per grid without sorting a million rows.
  await run('create index persons_recent_idx on persons (updated_at desc, id desc)');
  await run('create index persons_grid_recent_idx on persons (grid_id, updated_at desc, id desc)');
  await run('create index persons_name_idx on persons (name text_pattern_ops)');
  // A grid worker's name search stays inside the grid.
  await run('create index persons_grid_name_idx on persons (grid_id, name text_pattern_ops)');
  await run('create index persons_initials_idx on persons (name_initials text_pattern_ops)');
  await run('create index persons_name_birth_idx on persons (birth_date, name)');
  await run('create index persons_name_trgm_idx on persons using gin (name gin_trgm_ops)');
  // phone_hmac has no index: no screen looks a person up by phone, and a random-keyed index is the
  // most expensive one to keep on every registration and import. Add it with a phone search.

  await run(`create table residences (
    id uuid primary key,
    person_id uuid not null references persons(id),
    grid_id uuid not null references org_units(id),
    house_id uuid references houses(id),
    from_date date not null,
    to_date date,
    arrival_reason text,
    departure_reason text,
    created_by uuid references users(id),
    created_at timestamptz not null default now(),
    ended_by uuid references users(id),
    ended_at timestamptz,
    check (to_date is null or to_date >= from_date))`);
  // 一人一处有效居住: at most one open residence per person.
  await run('create unique index residences_one_active_uq on residences (person_id) where to_date is null');
  await run('create index residences_person_idx on residences (person_id, from_date)');
  await run('create index residences_house_idx on residences (house_id) where to_date is null');

  await run(`create table tenancies (
    id uuid primary key,
    house_id uuid not null references houses(id),
    tenant_person_id uuid references persons(id),
    tenant_name text not null,
    landlord_name text not null,
    from_date date not null,
    to_date date,
    created_by uuid references users(id),
    created_at timestamptz not null default now(),
    check (to_date is null or to_date >= from_date))`);
  await run('create index tenancies_house_idx on tenancies (house_id, from_date)');

  await run(`create table person_events (
    id uuid primary key,
    person_id uuid not null references persons(id),
    kind text not null,
    at timestamptz not null default now(),
    actor_id uuid references users(id),
    data jsonb not null default '{}'::jsonb)`);
  await run('create index person_events_person_idx on person_events (person_id, at)');

  // 采集记录: what a grid worker reports; the station reviews it (reported → passed | returned).
  await run(`create table collection_records (
    id uuid primary key,
    kind text not null check (kind in ('arrival','departure','move','house')),
    person_id uuid references persons(id),
    house_id uuid references houses(id),
    grid_id uuid not null references org_units(id),
    collected_by uuid not null references users(id),
    collected_at timestamptz not null,
    reported_at timestamptz not null,
    late boolean not null,
    review_status text not null check (review_status in ('reported','passed','returned')),
    reviewed_by uuid references users(id),
    reviewed_at timestamptz,
    return_reasons text,
    policy_version integer,
    created_at timestamptz not null default now())`);
  await run('create index collection_records_queue_idx on collection_records (grid_id, review_status, reported_at)');
  await run('create index collection_records_person_idx on collection_records (person_id)');
  await run('create index collection_records_collector_idx on collection_records (collected_by, collected_at)');

  await run(`create table collection_reviews (
    id uuid primary key,
    record_id uuid not null references collection_records(id),
    decision text not null check (decision in ('pass','return')),
    reasons text,
    actor_id uuid not null references users(id),
    at timestamptz not null default now())`);
  await run('create index collection_reviews_record_idx on collection_reviews (record_id)');

  // Monthly work counters per collector (采集 / 录入 / 审核合格), kept in the same transaction.
  await run(`create table work_counters (
    user_id uuid not null references users(id),
    month text not null,
    grid_id uuid not null references org_units(id),
    collected integer not null default 0,
    entered integer not null default 0,
    passed integer not null default 0,
    primary key (user_id, month))`);

  // Live counts per grid (流动人口 / 房屋 / 出租房屋 / 用工单位), kept in the same transaction.
  await run(`create table population_counters (
    grid_id uuid primary key references org_units(id),
    migrants integer not null default 0,
    houses integer not null default 0,
    rentals integer not null default 0,
    employers integer not null default 0)`);

  await run(`create table moves (
    id uuid primary key,
    person_id uuid not null references persons(id),
    from_grid_id uuid not null references org_units(id),
    to_grid_id uuid not null references org_units(id),
    house_id uuid references houses(id),
    arrived_on date not null,
    status text not null check (status in ('pending','confirmed','rejected')),
    cross_community boolean not null,
    requested_by uuid not null references users(id),
    requested_at timestamptz not null default now(),
    decided_by uuid references users(id),
    decided_at timestamptz,
    decision_reason text)`);
  await run('create unique index moves_one_pending_uq on moves (person_id) where status = \'pending\'');
  await run('create index moves_to_grid_idx on moves (to_grid_id, status)');
  await run('create index moves_from_grid_idx on moves (from_grid_id, status)');

  // 三级巡查: street → station (weekly), station → collection point, grid worker → rental houses.
  await run(`create table patrols (
    id uuid primary key,
    level text not null check (level in ('street','station','grid')),
    target_unit_id uuid not null references org_units(id),
    house_id uuid references houses(id),
    patrolled_on date not null,
    patroller_id uuid not null references users(id),
    checked text not null,
    findings text not null,
    arrivals_found integer not null default 0 check (arrivals_found >= 0),
    departures_found integer not null default 0 check (departures_found >= 0),
    rentals_counted integer check (rentals_counted >= 0),
    migrants_counted integer check (migrants_counted >= 0),
    created_at timestamptz not null default now())`);
  await run('create index patrols_target_idx on patrols (target_unit_id, patrolled_on)');
  await run('create index patrols_house_idx on patrols (house_id, patrolled_on) where house_id is not null');

  // 倒查: spot re-checks of collected records; non-correct results reach the street and the police.
  await run(`create table rechecks (
    id uuid primary key,
    record_id uuid not null references collection_records(id),
    grid_id uuid not null references org_units(id),
    scheduled_on date not null,
    scheduled_by uuid not null references users(id),
    done_on date,
    done_by uuid references users(id),
    result text check (result in ('correct','error','concealment','omission')),
    notes text,
    police_ack_by uuid references users(id),
    police_ack_at timestamptz,
    created_at timestamptz not null default now())`);
  await run('create index rechecks_grid_idx on rechecks (grid_id, done_on)');

  // 网格事件 (人、地、事、物、组织): reported from a phone, dispatched, handled, closed.
  await run(`create table grid_incidents (
    id uuid primary key,
    grid_id uuid not null references org_units(id),
    category text not null check (category in ('person','place','event','object','organization')),
    title text not null,
    description text not null,
    location text,
    lat numeric(9,6), lng numeric(9,6),
    photo_file_ids jsonb not null default '[]'::jsonb,
    status text not null check (status in ('reported','dispatched','handling','closed')),
    reported_by uuid not null references users(id),
    reported_at timestamptz not null default now(),
    assignee_id uuid references users(id),
    closed_at timestamptz,
    resolution text)`);
  await run('create index grid_incidents_grid_idx on grid_incidents (grid_id, status)');
  await run(`create table grid_incident_actions (
    id uuid primary key,
    incident_id uuid not null references grid_incidents(id),
    action text not null,
    note text,
    actor_id uuid not null references users(id),
    at timestamptz not null default now())`);
  await run('create index grid_incident_actions_idx on grid_incident_actions (incident_id, at)');

  // An uploaded grid map (GCJ-02 GeoJSON) replacing the schematic demo map.
  await run(`create table grid_maps (
    id uuid primary key,
    geojson jsonb not null,
    uploaded_by uuid references users(id),
    uploaded_at timestamptz not null default now(),
    note text)`);
}

export async function down(): Promise<void> {
  throw new Error('population migrations are not reversible; restore a backup instead');
}
