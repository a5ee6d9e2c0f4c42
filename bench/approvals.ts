// Approval engine benchmarks (ARCHITECTURE.md "Performance budgets"; the engine's own budgets:
// inbox p95 ≤ 50 ms, decide p95 ≤ 60 ms, submit p95 ≤ 80 ms) over HTTP, each beside the same work
// without HTTP: the service function called in-process, and for the inbox the very statements it
// runs (captured from Kysely) replayed directly and under EXPLAIN ANALYZE. The data set is
// generated into the database when it is not there yet (bench/approvals-data.ts: 300 staff,
// 100,000 approvals). Run by `npm run bench` after the population benchmarks (bench/run.ts), or on
// its own: `node --import tsx bench/approvals.ts [--approvals N]`. Results go under the key
// `approvals-<db>` in bench/results/<date>.json and .md.
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import type { Db, DbKind } from '../src/platform/db/index.js';
import { decideTask } from '../src/platform/approvals/engine.js';
import { approvalDetail, inbox, type Box } from '../src/platform/approvals/inbox.js';
import { addDays, workdayCalendar } from '../src/platform/calendar/service.js';
import { officeToday } from '../src/platform/time.js';
import { submitLeave } from '../src/modules/leave/service.js';
import { leaveDb } from '../src/modules/leave/schema.js';
import { BENCH_USER_PREFIX, approvalsDataLoaded, generateApprovalsDataSet } from './approvals-data.js';
import { recordBenchResults } from './results.js';
import { runStandalone, summary, timed, type Session, type Stat } from './common.js';

export interface ApprovalsBenchContext {
  base: string;
  db: Db;
  kind: DbKind;
  login: (username: string) => Promise<Session>;
  /** Approvals to generate when the data set is missing (default 100,000). */
  approvals?: number;
  log?: (msg: string) => void;
}


/** A view of the database that records every statement it compiles (the SQL a service call runs). */
function capturing(db: Db): { db: Db; take: () => CompiledQuery[] } {
  const compiler = new PostgresQueryCompiler();
  let captured: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (a) => { captured.push(compiler.compileQuery(a.node, a.queryId)); return a.node; },
    transformResult: async (a) => a.result,
  };
  return { db: db.withPlugin(plugin) as unknown as Db, take: () => { const c = captured; captured = []; return c; } };
}

export async function runApprovalsBench(ctx: ApprovalsBenchContext): Promise<Record<string, unknown>> {
  const { base, db, kind } = ctx;
  const log = ctx.log ?? ((m: string) => console.log(m));
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  const say = (k: string, v: unknown) => { results[k] = v; log(`${k} ${JSON.stringify(v)}`); };

  if (!(await approvalsDataLoaded(db))) {
    const made = await generateApprovalsDataSet(db, { approvals: ctx.approvals, log });
    notes.push(`数据集由 bench/approvals-data.ts 以集合式 SQL 生成：${made.staff} 名工作人员、${made.approvals.toLocaleString('en')} 条审批，用时 ${made.seconds} 秒（含 VACUUM ANALYZE）。`);
    say('generated', made);
  }

  // ---------------------------------------------------------------- the data set: states and inbox sizes per approver
  const count = async (q: string) => Number(((await db.executeQuery(CompiledQuery.raw(q, []))).rows[0] as { n: string }).n);
  const byStatus = Object.fromEntries(((await db.executeQuery(CompiledQuery.raw(`select status, count(*)::int as n from approvals group by status order by status`, []))).rows as { status: string; n: number }[]).map((r) => [r.status, r.n]));
  const pendingAt = Object.fromEntries(((await db.executeQuery(CompiledQuery.raw(`select current_step, count(*)::int as n from approvals where status = 'pending' group by 1 order by 1`, []))).rows as { current_step: number; n: number }[]).map((r) => [`step${r.current_step}`, r.n]));
  const staff = await count(`select count(*) as n from users where status = 'active'`);
  const perApprover = (await db.executeQuery(CompiledQuery.raw(`select u.id, u.username, u.name,
      count(*) filter (where t.status = 'open' and a.status = 'pending')::int as open, count(*) filter (where t.status = 'done')::int as done
    from approval_tasks t join approvals a on a.id = t.approval_id join users u on u.id = t.assignee_id group by u.id order by done desc`, []))).rows as { id: string; username: string; name: string; open: number; done: number }[];
  say('dataSet', {
    staff, approvals: await count(`select count(*) as n from approvals`), byStatus, pendingAt,
    steps: await count(`select count(*) as n from approval_steps`), tasks: await count(`select count(*) as n from approval_tasks`),
    actions: await count(`select count(*) as n from approval_actions`), notifications: await count(`select count(*) as n from notifications`),
    leaveRequests: await count(`select count(*) as n from leave_requests`),
    approvers: perApprover.map((p) => ({ username: p.username, open: p.open, done: p.done })),
  });
  if (kind === 'postgres') {
    const t = performance.now();
    for (const table of ['approvals', 'approval_steps', 'approval_tasks', 'approval_actions', 'approval_cc', 'notifications', 'leave_requests']) {
      await db.executeQuery(CompiledQuery.raw(`vacuum (analyze) ${table}`, []));
    }
    notes.push(`测量前执行 VACUUM (ANALYZE)（${((performance.now() - t) / 1000).toFixed(1)} 秒），相当于自动清理完成后的状态。`);
  }

  // The typical approver: the median of those with a thousand or more done tasks; the heaviest: the most done.
  const regular = perApprover.filter((p) => p.done >= 1000).sort((a, b) => a.done - b.done);
  if (!regular.length) throw new Error('no approver with 1,000 done tasks: generate the data set first');
  const typical = regular[Math.floor(regular.length / 2)]!;
  const heaviest = regular[regular.length - 1]!;
  say('approvers', { typical, heaviest });

  const get = async (url: string, s: Session) => {
    const r = await fetch(`${base}${url}`, { headers: { cookie: s.cookie } });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${body.slice(0, 300)}`);
    return body;
  };
  const post = async (url: string, s: Session, body: unknown, expect: number) => {
    const r = await fetch(`${base}${url}`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await r.text();
    if (r.status !== expect) throw new Error(`POST ${url}: ${r.status} ${text.slice(0, 300)}`);
    return text;
  };
  const N = 200;

  // ---------------------------------------------------------------- inbox: todo and done, page 1 (p95 ≤ 50 ms)
  const spy = capturing(db);
  const explainMs = async (q: CompiledQuery) => {
    const r = await db.executeQuery(CompiledQuery.raw(`explain (analyze, format json) ${q.sql}`, [...q.parameters]));
    const plan = (r.rows[0] as Record<string, unknown>)['QUERY PLAN'] as { 'Execution Time': number; 'Planning Time': number }[];
    return plan[0]!['Execution Time'] + plan[0]!['Planning Time'];
  };
  const plans: Record<string, string[]> = {};
  for (const [who, approver] of [['typical', typical], ['heaviest', heaviest]] as const) {
    const s = await ctx.login(approver.username);
    for (const box of ['todo', 'done'] as Box[]) {
      const label = `inbox_${box}_${who}`;
      say(`${label}Api`, await timed(N, () => get(`/api/v1/approvals/inbox?box=${box}`, s)));
      say(`${label}Service`, await timed(N, () => inbox(db, approver.id, { box, page: 1, pageSize: 20 })));
      await inbox(spy.db, approver.id, { box, page: 1, pageSize: 20 });
      const statements = spy.take();
      say(`${label}Sql`, await timed(N, async () => { for (const q of statements) await db.executeQuery(q); }));
      const explained: number[] = [];
      for (let i = 0; i < 50; i++) { let ms = 0; for (const q of statements) ms += await explainMs(q); explained.push(ms); }
      say(`${label}Explain`, summary(explained));
      const text: string[] = [];
      for (const q of statements) {
        const r = await db.executeQuery(CompiledQuery.raw(`explain (analyze, costs off, timing off, summary off) ${q.sql}`, [...q.parameters]));
        text.push((r.rows as Record<string, string>[]).map((x) => x['QUERY PLAN']).join('\n'));
      }
      plans[label] = text;
    }
    if (who === 'typical') say('inboxCountsApi_typical', await timed(N, () => get('/api/v1/approvals/inbox/counts', s)));
  }
  results.plans = plans;

  // ---------------------------------------------------------------- decide (p95 ≤ 60 ms): approve open tasks of the typical approvers (section and station heads)
  const heads = await db.selectFrom('users as u').innerJoin('staff_posts as p', 'p.user_id', 'u.id').select(['u.id', 'u.username', 'u.name'])
    .where('u.username', 'like', `${BENCH_USER_PREFIX}%`).where('p.post', 'in', ['section_head', 'station_head']).orderBy('u.username').execute();
  const openTasks = await db.selectFrom('approval_tasks as t').innerJoin('approvals as a', 'a.id', 't.approval_id')
    .select(['t.id', 't.assignee_id']).where('t.status', '=', 'open').where('a.status', '=', 'pending').where('t.assignee_id', 'in', heads.map((h) => h.id))
    .orderBy('t.created_at').execute();
  // Round robin over the approvers, so consecutive decisions belong to different people and approvals.
  const queues = new Map(heads.map((h) => [h.id, openTasks.filter((t) => t.assignee_id === h.id).map((t) => t.id)]));
  const nextTask = (() => { let k = 0; return () => { for (let tries = 0; tries < heads.length; tries++) { const h = heads[k++ % heads.length]!; const id = queues.get(h.id)!.shift(); if (id) return { head: h, taskId: id }; } throw new Error('no open tasks left to decide'); }; })();
  const sessions = new Map<string, Session>();
  for (const h of heads) sessions.set(h.id, await ctx.login(h.username));
  const DECIDE_N = Math.min(150, Math.floor((openTasks.length - 40) / 2));
  say('decideApi', await timed(DECIDE_N, async () => {
    const { head, taskId } = nextTask();
    await post(`/api/v1/approvals/tasks/${taskId}/decide`, sessions.get(head.id)!, { decision: 'approve', comment: '同意。' }, 200);
  }));
  // The same work in-process: the engine's decision and the approval detail the route answers with.
  const decideInProcess = async (target: Db) => {
    const { head, taskId } = nextTask();
    const approvalId = await decideTask(target, taskId, { userId: head.id, name: head.name }, { decision: 'approve', comment: '同意。' });
    await approvalDetail(target, approvalId, { userId: head.id });
  };
  say('decideService', await timed(DECIDE_N, () => decideInProcess(db)));
  await decideInProcess(spy.db); spy.take(); await decideInProcess(spy.db);
  const decideStatements = spy.take();
  say('decideStatements', { statements: decideStatements.length });

  // ---------------------------------------------------------------- submit a leave request (p95 ≤ 80 ms): 1–3 days, far enough ahead never to overlap
  const applicants = await db.selectFrom('users as u').innerJoin('staff_posts as p', 'p.user_id', 'u.id').select(['u.id', 'u.username', 'u.name'])
    .where('u.username', 'like', `${BENCH_USER_PREFIX}%`).where('p.post', 'in', ['grid_worker', 'staff', 'window_staff']).orderBy('u.username').limit(60).execute();
  const cal = await workdayCalendar(db);
  const slots = new Map<string, number>();
  // Each applicant takes the next free fortnight from a year ahead — or after the last leave an earlier
  // run of this benchmark left on the same database; a request is 1, 1, 2 or 3 working days.
  const lastBenchLeave = await leaveDb(db).selectFrom('leave_requests').select(sql<string | null>`max(end_date)::text`.as('d')).where('reason', '=', '基准测试：处理家中私事。').executeTakeFirst();
  const yearAhead = addDays(officeToday(), 7 * 52);
  const firstDay = lastBenchLeave?.d && lastBenchLeave.d > yearAhead ? addDays(lastBenchLeave.d, 7) : yearAhead;
  const nextLeave = (k: number) => {
    const a = applicants[((k % applicants.length) + applicants.length) % applicants.length]!;
    const slot = slots.get(a.id) ?? 0;
    slots.set(a.id, slot + 1);
    const start = cal.addWorkdays(addDays(firstDay, 14 * slot), 1).date;
    const days = [1, 1, 2, 3][slot % 4]!;
    return { a, input: { type: 'personal', startDate: start, endDate: days === 1 ? start : cal.addWorkdays(start, days - 1).date, reason: '基准测试：处理家中私事。' } };
  };
  const applicantSessions = new Map<string, Session>();
  for (const a of applicants.slice(0, 30)) applicantSessions.set(a.id, await ctx.login(a.username));
  say('submitApi', await timed(N, async (i) => {
    const { a, input } = nextLeave(i % 30);
    await post('/api/v1/leave/requests', applicantSessions.get(a.id)!, input, 201);
  }));
  // In-process with the other half of the applicants.
  say('submitService', await timed(N, async (i) => {
    const { a, input } = nextLeave(30 + (i % 30));
    await submitLeave(db, { userId: a.id, name: a.name }, input, null);
  }));
  { const { a, input } = nextLeave(31); await submitLeave(spy.db, { userId: a.id, name: a.name }, input, null); spy.take(); }
  { const { a, input } = nextLeave(32); await submitLeave(spy.db, { userId: a.id, name: a.name }, input, null); }
  say('submitStatements', { statements: spy.take().length });

  // ---------------------------------------------------------------- record
  const machine = {
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, db: kind,
    note: `${os.cpus().length} cores: the API server, the benchmark client and ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} share them`,
  };
  const date = new Date().toISOString().slice(0, 10);
  const key = `approvals-${kind}`;
  results.notes = notes;
  const r = results as Record<string, Stat & Record<string, unknown>>;
  const cell = (k: string) => (r[k] ? `p50 ${r[k].p50} / p95 ${r[k].p95} ms` : '—');
  const ds = r.dataSet as unknown as { staff: number; approvals: number; byStatus: Record<string, number>; pendingAt: Record<string, number>; tasks: number; actions: number; notifications: number };
  const inboxRow = (box: string, who: 'typical' | 'heaviest') => {
    const p = who === 'typical' ? typical : heaviest;
    const l = `inbox_${box}_${who}`;
    return `| GET /approvals/inbox?box=${box}, ${who} approver (${p.open} open, ${p.done.toLocaleString('en')} done) | ${cell(`${l}Api`)} | ${cell(`${l}Service`)} | ${cell(`${l}Sql`)}; EXPLAIN ANALYZE ${cell(`${l}Explain`)} | p95 ≤ 50 ms |`;
  };
  const markdown = [
    `Approval engine benchmark, ${kind}: ${ds.staff} active staff, ${ds.approvals.toLocaleString('en')} approvals (${Object.entries(ds.byStatus).map(([s, n]) => `${s} ${n.toLocaleString('en')}`).join(', ')}; pending at ${Object.entries(ds.pendingAt).map(([s, n]) => `${s} ${n}`).join(', ')}), ${ds.tasks.toLocaleString('en')} tasks, ${ds.actions.toLocaleString('en')} actions, ${ds.notifications.toLocaleString('en')} notifications. Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node} — ${machine.note}.`, '',
    '| Work | API over HTTP (p50 / p95) | service in-process (p50 / p95) | same SQL alone (p50 / p95) | Budget |', '|---|---|---|---|---|',
    inboxRow('todo', 'typical'), inboxRow('done', 'typical'), inboxRow('todo', 'heaviest'), inboxRow('done', 'heaviest'),
    `| GET /approvals/inbox/counts, typical approver | ${cell('inboxCountsApi_typical')} | — | — | — |`,
    `| POST /approvals/tasks/:id/decide (approve; answers with the approval detail) | ${cell('decideApi')} | ${cell('decideService')} (decideTask + approvalDetail) | ${(r.decideStatements as unknown as { statements: number }).statements} statements | p95 ≤ 60 ms |`,
    `| POST /leave/requests (submit, 1–3 days) | ${cell('submitApi')} | ${cell('submitService')} (submitLeave) | ${(r.submitStatements as unknown as { statements: number }).statements} statements | p95 ≤ 80 ms |`,
    '', 'SQL alone: the statements the service ran for that request (captured from Kysely), replayed one after the other on the pool; EXPLAIN ANALYZE: planning + execution time of the same statements, summed. The typical approver is the median of those with ≥ 1,000 done tasks; the heaviest has the most. Decisions and submissions are sequential (one at a time).',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  const written = recordBenchResults({ dir: path.resolve('bench/results'), date, key, entry: { date, machine, results }, markdown });
  log(`结果已写入 ${written.json}（键 ${key}）和 ${written.md}`);
  return results;
}

// ---------------------------------------------------------------- on its own: `node --import tsx bench/approvals.ts [--approvals N]`
await runStandalone(import.meta.url, async ({ base, database, login }) => {
  const { option } = await import('../scripts/lib.js');
  await runApprovalsBench({ base, db: database.db, kind: database.kind, login, approvals: Number(option('approvals', '100000')) });
});
