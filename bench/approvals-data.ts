// The approvals benchmark data set (bench/approvals.ts): 300 staff of the demo street and 100,000
// leave approvals over five years, written with set-based SQL (insert … select from
// generate_series) in one transaction instead of 100,000 engine calls — but row for row what the
// engine writes (src/platform/approvals/engine.ts: submitApproval, openStep, decideTask, finish,
// withdrawApproval; src/modules/leave/service.ts: submitLeave, onLeaveFinished, closeLeave):
// approvals, their steps (the chain planned by the engine's own planChain for each applicant),
// tasks, the append-only action log, CC receipts, notifications, the leave requests they run on,
// and the case-number counters. Reproducible: every choice is a hash of the approval's ordinal.
import { sql } from 'kysely';
import type { Db, Tx } from '../src/platform/db/index.js';
import { uuidv7 } from '../src/platform/db/ids.js';
import { hashPassword } from '../src/platform/auth/passwords.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { addDays } from '../src/platform/calendar/service.js';
import { loadOrgTree } from '../src/platform/org/tree.js';
import { engineEnv, planChain } from '../src/platform/approvals/engine.js';
import { loadApplicant } from '../src/platform/approvals/resolve.js';
import { invalidateOrgTree } from '../src/platform/org/tree.js';
import { invalidateProfiles } from '../src/platform/org/profile.js';
import { Rng, fictionalName } from '../src/modules/population/synthetic.js';

export const BENCH_USER_PREFIX = 'bench-ap-';
const POSTS_FROM = '2021-01-01';
/** The day chains are planned on: a past working day with no out-of-office delegation in the demo. */
const PLAN_DAY = '2026-11-02';

export interface ApprovalsDataSet { staff: number; approvals: number; seconds: number; rows: Record<string, number> }

/** The bench staff: who they are, where they sit, which post they hold. */
interface BenchStaff { username: string; name: string; unitKey: string; post: string; role: string; scope: 'unit' | 'unit_and_below' }

function benchStaffPlan(count: number): BenchStaff[] {
  // 5 station heads (one per community), 5 section heads (departments without one, the hall),
  // then staff: grid workers in the 35 grids and clerks in the 7 departments and the hall, round robin.
  const communities = ['sh', 'xmq', 'xmqhj', 'dsdl', 'lsj'];
  const headless = ['dept:sqjsk', 'dept:cgk', 'dept:shswk', 'dept:jgw', 'hall'];
  const desks = ['dept:dzb', 'dept:czs', 'dept:lgb', 'dept:sqjsk', 'dept:cgk', 'dept:shswk', 'dept:jgw', 'hall'];
  const out: BenchStaff[] = [];
  const name = (i: number) => fictionalName(new Rng(20_261_205, i), i % 2 ? 'female' : 'male');
  const add = (s: Omit<BenchStaff, 'username' | 'name'>) => { const i = out.length + 1; out.push({ username: `${BENCH_USER_PREFIX}${String(i).padStart(3, '0')}`, name: name(i), ...s }); };
  for (const c of communities) add({ unitKey: `community:${c}`, post: 'station_head', role: 'station', scope: 'unit_and_below' });
  for (const u of headless) add({ unitKey: u, post: 'section_head', role: 'section_head', scope: 'unit_and_below' });
  const gridWorkers = Math.round((count - out.length) * 0.72);
  for (let i = 0; out.length < count; i++) {
    if (i < gridWorkers) add({ unitKey: `grid:${communities[i % 5]}:${1 + (Math.floor(i / 5) % 7)}`, post: 'grid_worker', role: 'grid_worker', scope: 'unit' });
    else { const d = desks[(i - gridWorkers) % desks.length]!; add({ unitKey: d, post: d === 'hall' ? 'window_staff' : 'staff', role: d === 'hall' ? 'window_staff' : 'staff', scope: 'unit' }); }
  }
  return out.slice(0, count);
}

/** Whether the data set is there (bench staff exist). */
export async function approvalsDataLoaded(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('username', 'like', `${BENCH_USER_PREFIX}%`).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function generateApprovalsDataSet(db: Db, opts: { staff?: number; approvals?: number; log?: (m: string) => void } = {}): Promise<ApprovalsDataSet> {
  const staffCount = opts.staff ?? 300;
  const N = opts.approvals ?? 100_000;
  const log = opts.log ?? ((m: string) => console.log(m));
  const t0 = performance.now();
  if (!(await db.selectFrom('meta').select('key').where('key', '=', 'demo_loaded').executeTakeFirst())) {
    throw new Error('the approvals data set goes into a demo/benchmark database only (no demo_loaded in meta)');
  }
  if (await approvalsDataLoaded(db)) throw new Error('the approvals data set is already loaded');

  // ---------------------------------------------------------------- 300 staff (accounts, posts, roles)
  const streetUnit = [...(await loadOrgTree(db)).units.values()].find((u) => u.kind === 'street');
  if (!streetUnit) throw new Error('no street in the org tree');
  const streetCode = streetUnit.street_code ?? streetUnit.code;
  const units = await db.selectFrom('org_units').select(['id', 'code', 'kind', 'name']).execute();
  const byName = new Map(units.map((u) => [u.name, u.id]));
  const deptNames: Record<string, string> = { dzb: '党政办', czs: '财政所', lgb: '流管办', sqjsk: '社区建设科', cgk: '城管科', shswk: '社会事务科', jgw: '纪工委' };
  const communityNames: Record<string, string> = { sh: '蜀汉街社区', xmq: '洗面桥社区', xmqhj: '洗面桥横街社区', dsdl: '大石东路社区', lsj: '凉水井街社区' };
  const resolveUnit = (key: string): string => {
    const [kind, a, b] = key.split(':');
    const name = kind === 'dept' ? deptNames[a!] : kind === 'community' ? communityNames[a!] : kind === 'grid' ? `${communityNames[a!]}第${b}网格` : kind === 'hall' ? '浆洗街街道便民服务大厅' : undefined;
    const id = name ? byName.get(name) : undefined;
    if (!id) throw new Error(`demo unit ${key} missing`);
    return id;
  };
  const hash = await hashPassword(DEMO_PASSWORD);
  const staff = benchStaffPlan(staffCount).map((s) => ({ ...s, id: uuidv7(), unitId: resolveUnit(s.unitKey) }));
  const rows: Record<string, number> = {};
  const env = await engineEnv(db);
  const tree = env.tree;
  await db.transaction().execute(async (tx: Tx) => {
    await tx.insertInto('users').values(staff.map((s, i) => ({
      id: s.id, username: s.username, name: s.name, password_hash: hash, must_change_password: false, status: 'active', password_changed_at: null,
      rank: s.post === 'section_head' || s.post === 'station_head' ? '四级主任科员' : '一级科员', work_started_on: addDays('2005-07-01', (i * 37) % 5000),
    }))).execute();
    await tx.insertInto('staff_posts').values(staff.map((s) => ({ id: uuidv7(), user_id: s.id, org_unit_id: s.unitId, post: s.post, is_primary: true, valid_from: POSTS_FROM, valid_to: null, created_by: null }))).execute();
    await tx.insertInto('role_grants').values(staff.map((s) => ({ id: uuidv7(), user_id: s.id, role: s.role, data_scope: s.scope, custom_unit_ids: [], granted_by: null }))).execute();
    log(`审批基准：新增 ${staff.length} 名工作人员`);

    // ---------------------------------------------------------------- the chain each applicant's request follows, planned by the engine
    type PlanRow = { user_id: string; cls: number; step_order: number; key: string; name: string; rule: object; approver_post: string; planned_ids: string[]; mode: string; timeout_action: string; assignee_id: string };
    const planRows: PlanRow[] = [];
    const ccRows: { user_id: string; cls: number; cc: string[] }[] = [];
    for (const s of staff) {
      const applicant = await loadApplicant(tx, tree, s.id, PLAN_DAY);
      if (!applicant) throw new Error(`${s.username}: no post on ${PLAN_DAY}`);
      for (const cls of [1, 2, 3]) {
        const form = { type: 'personal', startDate: PLAN_DAY, endDate: PLAN_DAY, halfDay: null, days: cls, reason: '—', retroactive: false };
        const plan = await planChain(tx, tree, { kind: 'leave', applicant, form, policy: env.policy, day: PLAN_DAY });
        for (const st of plan.steps) {
          if (st.external) throw new Error(`${s.username}: external step in a bench chain`);
          // The engine stores the rule with its time limit (engine.ts StoredRule) and opens the step for each resolved approver; the bench chains resolve one.
          planRows.push({
            user_id: s.id, cls, step_order: st.order, key: st.key, name: st.name, rule: { approver: st.rule, ...(st.dueWorkdays ? { dueWorkdays: st.dueWorkdays } : {}) },
            approver_post: st.approverPost, planned_ids: st.approverIds, mode: st.mode, timeout_action: st.timeout, assignee_id: st.approverIds[0]!,
          });
          if (st.approverIds.length !== 1 || st.dueWorkdays !== 1) throw new Error(`${s.username}: the generator expects one approver and a 1-workday limit per step`);
        }
        ccRows.push({ user_id: s.id, cls, cc: plan.cc });
      }
    }

    // ---------------------------------------------------------------- the office calendar over the span (due dates and leave days as the engine counts them)
    const today = env.day;
    const FIRST = addDays(today, -5 * 365 - 1);
    const calRows: { d: string; w1: string; w2: string }[] = [];
    for (let d = addDays(FIRST, -3); d <= addDays(today, 10); d = addDays(d, 1)) {
      calRows.push({ d, w1: env.calendar.addWorkdays(d, 1).date, w2: env.calendar.addWorkdays(d, 2).date });
    }

    const run = async (label: string, q: ReturnType<typeof sql>) => {
      const t = performance.now();
      const r = await q.execute(tx);
      if (label) { rows[label] = Number(r.numAffectedRows ?? 0); log(`  ${label}: ${rows[label]} 行（${((performance.now() - t) / 1000).toFixed(1)} 秒）`); }
    };
    await run('', sql`set local work_mem = '256MB'`);
    // A UUID v7 at a given time (as uuidv7(ms) in src/platform/db/ids.ts, for generated history):
    // 48 bits of milliseconds, version 7, 12 bits that order the rows one transaction writes at the
    // same instant (submit before step_open before approve …), the variant and random bits.
    await run('', sql.raw(`create function pg_temp.uuid7(ts timestamptz, seq int) returns uuid language sql volatile as $$
      select (lpad(to_hex(floor(extract(epoch from ts) * 1000)::bigint), 12, '0') || to_hex(28672 + (seq & 4095))
        || to_hex(32768 + floor(random() * 16384)::int) || lpad(to_hex(floor(random() * 281474976710656)::bigint), 12, '0'))::uuid $$`));
    await run('', sql`create temp table bench_cal (d date primary key, w1 date not null, w2 date not null) on commit drop`);
    await run('', sql`insert into bench_cal select * from jsonb_to_recordset(${JSON.stringify(calRows)}::jsonb) as x(d date, w1 date, w2 date)`);
    await run('', sql`create temp table bench_staff (idx int primary key, user_id uuid not null, name text not null, unit_id uuid not null) on commit drop`);
    await run('', sql`insert into bench_staff select * from jsonb_to_recordset(${JSON.stringify(staff.map((s, i) => ({ idx: i, user_id: s.id, name: s.name, unit_id: s.unitId })))}::jsonb)
      as x(idx int, user_id uuid, name text, unit_id uuid)`);
    await run('', sql`create temp table bench_plan on commit drop as select * from jsonb_to_recordset(${JSON.stringify(planRows)}::jsonb)
      as x(user_id uuid, cls int, step_order int, key text, name text, rule jsonb, approver_post text, planned_ids uuid[], mode text, timeout_action text, assignee_id uuid)`);
    await run('', sql`create index on bench_plan (user_id, cls, step_order)`);
    await run('', sql`create temp table bench_cc on commit drop as select * from jsonb_to_recordset(${JSON.stringify(ccRows)}::jsonb) as x(user_id uuid, cls int, cc uuid[])`);

    // One row per approval: who, what, which outcome, when each step was decided.
    // h(i, k): a reproducible number in [0, 1000) for the k-th choice about approval i.
    const span0 = `${FIRST} 09:00+08`;
    const span1 = `${addDays(today, -2)} 09:00+08`;
    const withdrawnPct = 6;
    const rejectedPct = 8;
    const pendingTail = Math.round(N * 0.035);
    await run('approvals (plan)', sql`create temp table bench_gen on commit drop as
      with base as (
        select i, s.user_id as applicant_id, s.name as applicant_name, s.unit_id,
          ${sql.lit(span0)}::timestamptz + (i::float8 / ${N}) * (${sql.lit(span1)}::timestamptz - ${sql.lit(span0)}::timestamptz) as created_at,
          (hashint4(i * 8 + 1) & 2147483647) % 1000 as h1, (hashint4(i * 8 + 2) & 2147483647) % 1000 as h2,
          (hashint4(i * 8 + 3) & 2147483647) % 1000 as h3, (hashint4(i * 8 + 4) & 2147483647) % 1000 as h4,
          (hashint4(i * 8 + 5) & 2147483647) % 1000 as h5
        from generate_series(0, ${N - 1}) i join bench_staff s on s.idx = i % ${staff.length}),
      shaped as (
        select b.*, case when h1 < 100 then 0.5 when h1 < 550 then 1 when h1 < 800 then 2 else 3 end as days,
          case when h2 < 600 then 'personal' else 'sick' end as type,
          case when i >= ${N - pendingTail} and h3 < 800 then 'pending' when h3 % 100 < ${withdrawnPct} then 'withdrawn' when h3 % 100 < ${withdrawnPct + rejectedPct} then 'rejected' else 'approved' end as outcome,
          interval '20 minutes' + (h4 * 30) * interval '1 second' as gap
        from base b),
      planned as (
        select s.*, case when s.days < 2 then 1 else s.days::int end as cls,
          (select count(*) from bench_plan p where p.user_id = s.applicant_id and p.cls = case when s.days < 2 then 1 else s.days::int end)::int as nsteps
        from shaped s)
      select p.*, case p.outcome when 'approved' then p.nsteps + 1 when 'withdrawn' then 1 else 1 + p.h5 % p.nsteps end as k,
        c.w1 as start_date, case when p.days <= 1 then c.w1 when p.days = 2 then c2.w1 else c2.w2 end as end_date,
        pg_temp.uuid7(p.created_at, 0) as leave_id, pg_temp.uuid7(p.created_at, 1) as id,
        (p.created_at at time zone 'Asia/Shanghai')::date as created_day
      from planned p join bench_cal c on c.d = (p.created_at at time zone 'Asia/Shanghai')::date join bench_cal c2 on c2.d = c.w1`);
    await run('', sql`alter table bench_gen add column case_no text, add column title text, add column reason text`);
    await run('', sql`update bench_gen set reason = case type when 'personal' then (array['处理家中私事。', '陪同家人就医。', '办理个人证件。', '孩子学校活动。'])[1 + h2 % 4]
      else (array['感冒发烧，门诊休息。', '体检复查。', '牙科治疗。'])[1 + h2 % 3] end`);
    await run('', sql`update bench_gen g set case_no = 'QJ-' || y || '-' || lpad((n + coalesce((select last_value from case_numbers where kind = 'case:QJ' and year = y), 0))::text, 6, '0'),
        title = g.applicant_name || ' ' || case g.type when 'personal' then '事假' else '病假' end || ' ' || g.start_date
          || case when g.end_date <> g.start_date then ' 至 ' || g.end_date else '' end || case when g.days = 0.5 then ' 上午' else '' end
          || '，' || case when g.days = 0.5 then '0.5' else g.days::int::text end || ' 天'
      from (select id, extract(year from created_day)::int as y, row_number() over (partition by extract(year from created_day) order by i) as n from bench_gen) x
      where x.id = g.id`);
    await run('', sql`create unique index on bench_gen (id)`);
    // Decision times: t(j) = created_at + j·gap (the j-th step decided); withdrawn halfway through the first.
    await run('', sql`create temp table bench_steps on commit drop as
      select g.id as approval_id, g.i, g.outcome, g.k, g.nsteps, g.applicant_id, g.applicant_name, g.created_at, g.title, p.*,
        g.created_at + (p.step_order - 1) * g.gap as opened_at, g.created_at + p.step_order * g.gap as decided_at,
        g.created_at + g.gap / 2 as withdrawn_at, g.created_at + least(g.k, g.nsteps) * g.gap as last_at,
        pg_temp.uuid7(g.created_at, 2 + p.step_order) as step_id
      from bench_gen g join bench_plan p on p.user_id = g.applicant_id and p.cls = g.cls`);
    await run('', sql`alter table bench_steps add column task_id uuid`);
    await run('', sql`update bench_steps set task_id = pg_temp.uuid7(opened_at, 20 + step_order) where step_order <= k and step_order <= nsteps`);

    await run('approvals', sql`insert into approvals (id, kind, subject_id, case_no, title, applicant_id, applicant_unit_id, street_code, form, policy_pack, policy_version, status, current_step, first_decision_at, created_at, finished_at)
      select g.id, 'leave', g.leave_id::text, g.case_no, g.title, g.applicant_id, g.unit_id, ${streetCode},
        jsonb_build_object('type', g.type, 'startDate', g.start_date::text, 'endDate', g.end_date::text, 'halfDay', case when g.days = 0.5 then 'am' end, 'days', g.days,
          'reason', g.reason, 'retroactive', false),
        ${env.policy.packCode}, ${env.policy.version}, g.outcome, case when g.outcome = 'pending' then g.k end,
        case when g.outcome = 'withdrawn' or (g.outcome = 'pending' and g.k = 1) then null else g.created_at + g.gap end,
        g.created_at,
        case g.outcome when 'pending' then null when 'withdrawn' then g.created_at + g.gap / 2 else g.created_at + least(g.k, g.nsteps) * g.gap end
      from bench_gen g`);
    await run('leave_requests', sql`insert into leave_requests (id, user_id, org_unit_id, street_code, type, start_date, end_date, half_day, day_unit, half_days, provisional, retroactive,
        reason, details, status, approval_id, case_no, policy_pack, policy_version, calendar_version, closed_at, closed_by, actual_end_date, actual_half_days, close_note, created_at)
      select g.leave_id, g.applicant_id, g.unit_id, ${streetCode}, g.type, g.start_date, g.end_date,
        case when g.days = 0.5 then 'am' end, 'workday', (g.days * 2)::int, false, false,
        g.reason, '{}'::jsonb, g.outcome, g.id, g.case_no, ${env.policy.packCode}, ${env.policy.version}, ${env.calendar.version},
        case when g.outcome = 'approved' and g.end_date < ${today}::date then ((g.end_date + 1) + time '09:30') at time zone 'Asia/Shanghai' end,
        case when g.outcome = 'approved' and g.end_date < ${today}::date then g.applicant_id end,
        case when g.outcome = 'approved' and g.end_date < ${today}::date then g.end_date end,
        case when g.outcome = 'approved' and g.end_date < ${today}::date then (g.days * 2)::int end, null, g.created_at
      from bench_gen g`);
    await run('approval_steps', sql`insert into approval_steps (id, approval_id, step_order, round, key, name, rule, approver_post, planned_ids, mode, status, due_on, timeout_action, opened_at, closed_at)
      select s.step_id, s.approval_id, s.step_order, 1, s.key, s.name, s.rule, s.approver_post, s.planned_ids, s.mode,
        case
          when s.step_order < s.k then 'approved'
          when s.outcome = 'pending' then case when s.step_order = s.k then 'open' else 'waiting' end
          when s.outcome = 'rejected' and s.step_order = s.k then 'rejected'
          else 'cancelled' end,
        case when s.step_order <= s.k then (select w1 from bench_cal c where c.d = (s.opened_at at time zone 'Asia/Shanghai')::date) end,
        s.timeout_action,
        case when s.step_order <= s.k then s.opened_at end,
        case
          when s.step_order < s.k then s.decided_at
          when s.outcome = 'pending' then null
          when s.outcome = 'withdrawn' then s.withdrawn_at
          else s.last_at end
      from bench_steps s`);
    await run('approval_tasks', sql`insert into approval_tasks (id, approval_id, step_id, assignee_id, owner_id, on_behalf_of_id, origin, parent_task_id, status, decision, comment, kind, due_on, created_at, decided_at)
      select s.task_id, s.approval_id, s.step_id, s.assignee_id, s.assignee_id, null, 'resolved', null,
        case when s.step_order < s.k or (s.outcome = 'rejected') then 'done' when s.outcome = 'pending' then 'open' else 'cancelled' end,
        case when s.step_order < s.k then 'approve' when s.outcome = 'rejected' then 'reject' end,
        case when s.step_order < s.k then case when s.i % 3 = 0 then null else '同意。' end when s.outcome = 'rejected' then '近期工作任务重，请调整时间。' end,
        'leave', (select w1 from bench_cal c where c.d = (s.opened_at at time zone 'Asia/Shanghai')::date), s.opened_at,
        case when s.step_order < s.k or s.outcome = 'rejected' then s.decided_at end
      from bench_steps s where s.task_id is not null`);
    await run('approval_cc', sql`insert into approval_cc (id, approval_id, user_id, added_by, created_at, read_at)
      select pg_temp.uuid7(g.created_at, 2), g.id, u, null, g.created_at, case when g.created_at < now() - interval '7 days' then g.created_at + interval '2 hours' end
      from bench_gen g join bench_cc c on c.user_id = g.applicant_id and c.cls = g.cls cross join unnest(c.cc) u`);
    // The action log, in the order one transaction writes it (the seq bits of the id order rows of one instant).
    await run('approval_actions', sql`insert into approval_actions (id, approval_id, step_id, task_id, actor_id, on_behalf_of_id, action, comment, payload, idempotency_key, at)
      select pg_temp.uuid7(g.created_at, 30), g.id, null::uuid, null::uuid, g.applicant_id, null::uuid, 'submit', null::text,
        jsonb_build_object('caseNo', g.case_no, 'policyPack', ${env.policy.packCode}::text, 'policyVersion', ${env.policy.version}::int), null::text, g.created_at from bench_gen g
      union all
      select pg_temp.uuid7(g.created_at, 31), g.id, null, null, null::uuid, null, 'cc', null, jsonb_build_object('userIds', to_jsonb(c.cc)), null, g.created_at
        from bench_gen g join bench_cc c on c.user_id = g.applicant_id and c.cls = g.cls where cardinality(c.cc) > 0
      union all
      select pg_temp.uuid7(s.opened_at, 32), s.approval_id, s.step_id, null, null, null, 'step_open', null, jsonb_build_object('approverIds', jsonb_build_array(s.assignee_id), 'round', 1), null, s.opened_at
        from bench_steps s where s.task_id is not null
      union all
      select pg_temp.uuid7(s.decided_at, 28), s.approval_id, s.step_id, s.task_id, s.assignee_id, null, case when s.step_order < s.k then 'approve' else 'reject' end,
        case when s.step_order < s.k then case when s.i % 3 = 0 then null else '同意。' end else '近期工作任务重，请调整时间。' end, '{}'::jsonb, null, s.decided_at
        from bench_steps s where s.step_order < s.k or (s.outcome = 'rejected' and s.step_order = s.k)
      union all
      select pg_temp.uuid7(s.last_at, 34), s.approval_id, null, null, s.assignee_id, null, 'finish_' || s.outcome, null, '{}'::jsonb, null, s.last_at
        from bench_steps s where s.outcome in ('approved', 'rejected') and s.step_order = least(s.k, s.nsteps)
      union all
      select pg_temp.uuid7(g.created_at + g.gap / 2, 28), g.id, null, null, g.applicant_id, null, 'withdraw', null, '{}'::jsonb, null, g.created_at + g.gap / 2 from bench_gen g where g.outcome = 'withdrawn'
      union all
      select pg_temp.uuid7(g.created_at + g.gap / 2, 34), g.id, null, null, g.applicant_id, null, 'finish_withdrawn', null, '{}'::jsonb, null, g.created_at + g.gap / 2 from bench_gen g where g.outcome = 'withdrawn'`);
    // Notifications: CC at submission, a task to each approver as their step opens, the outcome to the applicant, a withdrawal to the open task's approver; read after a week.
    await run('notifications', sql`insert into notifications (id, user_id, kind, title, body, link, entity, entity_id, created_at, read_at)
      select pg_temp.uuid7(n.at, n.seq), n.user_id, n.kind, n.title, n.body, '/approvals?open=' || n.approval_id, 'approval', n.approval_id::text, n.at,
        case when n.at < now() - interval '7 days' then n.at + interval '1 hour' end
      from (
        select g.created_at as at, 33 as seq, u as user_id, 'cc' as kind, g.applicant_name || '的请假申请抄送您知悉' as title, g.title as body, g.id as approval_id
          from bench_gen g join bench_cc c on c.user_id = g.applicant_id and c.cls = g.cls cross join unnest(c.cc) u
        union all
        select s.opened_at, 33, s.assignee_id, 'task', '待办：' || s.applicant_name || '的请假申请待您审批', s.title, s.approval_id from bench_steps s where s.task_id is not null
        union all
        select s.last_at, 35, s.applicant_id, 'finished', case s.outcome when 'approved' then '您的请假申请已批准' else '您的请假申请未获批准' end, s.title, s.approval_id
          from bench_steps s where s.outcome in ('approved', 'rejected') and s.step_order = least(s.k, s.nsteps)
        union all
        select s.withdrawn_at, 35, s.assignee_id, 'withdrawn', s.applicant_name || '已撤回请假申请', s.title, s.approval_id from bench_steps s where s.outcome = 'withdrawn' and s.step_order = 1
      ) n`);
    await run('case_numbers', sql`insert into case_numbers (kind, year, last_value)
      select 'case:QJ', y, n + coalesce((select last_value from case_numbers c where c.kind = 'case:QJ' and c.year = y), 0)
      from (select extract(year from created_day)::int as y, count(*) as n from bench_gen group by 1) x
      on conflict (kind, year) do update set last_value = excluded.last_value`);
  });
  invalidateOrgTree(); invalidateProfiles();
  for (const t of ['users', 'staff_posts', 'leave_requests', 'approvals', 'approval_steps', 'approval_tasks', 'approval_actions', 'approval_cc', 'notifications']) {
    await sql`vacuum (analyze) ${sql.table(t)}`.execute(db);
  }
  const seconds = +((performance.now() - t0) / 1000).toFixed(1);
  log(`审批基准数据：${staff.length} 名工作人员，${N} 条审批，用时 ${seconds} 秒（含 VACUUM ANALYZE）`);
  return { staff: staff.length, approvals: N, seconds, rows };
}
