// Population (M2) benchmarks of ARCHITECTURE.md "Performance budgets", through the HTTP API as
// liuguan (流管办, street scope) and wangge-sh-1 (grid worker, one grid), each beside the same query
// run directly in SQL: ID-number lookup, name search (exact 2 characters, 1-character prefix,
// 3 characters with trigram similarity, pinyin initials), statistics (street, community, grid),
// spreadsheet import (rows/s, through upload + background job) and a ~100,000-row export (time and
// memory). Run by `npm run bench` after the platform benchmarks (bench/run.ts), or on its own:
// `node --import tsx bench/population.ts [--seed S]`. Load the data first:
// `npm run generate -- --persons 1000000`. Results go under the key `population-<db>`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Db, DbKind } from '../src/platform/db/index.js';
import { startJobRunner } from '../src/platform/jobs/index.js';
import { readXlsxRows, streamXlsxExport } from '../src/platform/excel/index.js';
import { loadOrgTree } from '../src/platform/org/tree.js';
import { officeToday } from '../src/platform/time.js';
import { idIndex } from '../src/modules/population/identity.js';
import { IMPORT_HEADERS } from '../src/modules/population/import.js';
import { pop } from '../src/modules/population/schema.js';
import { escapeLike } from '../src/platform/db/like.js';
import { Rng, fictionalName, nextSyntheticIndex, originOf, syntheticIdentity } from '../src/modules/population/synthetic.js';
import { recordBenchResults } from './results.js';
import { runStandalone, timed, type Session, type Stat } from './common.js';

export interface PopulationBenchContext {
  base: string;
  db: Db;
  kind: DbKind;
  dataDir: string;
  login: (username: string) => Promise<Session>;
  /** The seed the registry was generated with (npm run generate --seed, default 1). */
  seed?: number;
  log?: (msg: string) => void;
}


export async function runPopulationBench(ctx: PopulationBenchContext): Promise<Record<string, unknown>> {
  const { base, db, kind } = ctx;
  const log = ctx.log ?? ((m: string) => console.log(m));
  const seed = ctx.seed ?? 1;
  const p = pop(db);
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  const say = (k: string, v: unknown) => { results[k] = v; log(`${k} ${JSON.stringify(v)}`); };

  const persons = Number((await p.selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const houses = Number((await p.selectFrom('houses').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  say('dataSet', { persons, houses });
  if (persons < 100_000) notes.push(`数据量仅 ${persons} 人（预算按 1,000,000 人）：先运行 npm run generate -- --persons 1000000。`);
  if (kind === 'postgres') {
    // The state autovacuum leaves a database in: planner statistics and visibility maps (index-only scans).
    const t = performance.now();
    for (const table of ['persons', 'residences', 'houses', 'collection_records', 'person_events', 'population_counters', 'work_counters']) {
      await sql`vacuum (analyze) ${sql.table(table)}`.execute(db);
    }
    notes.push(`测量前执行 VACUUM (ANALYZE)（${((performance.now() - t) / 1000).toFixed(1)} 秒），相当于自动清理完成后的状态。`);
  }

  const tree = await loadOrgTree(db);
  const grid = (community: string, n: number) => [...tree.units.values()].find((u) => u.kind === 'grid' && u.name === `${community}社区第${n}网格`);
  const shGrid1 = grid('蜀汉街', 1)?.id;
  const shCommunity = [...tree.units.values()].find((u) => u.kind === 'community' && u.name === '蜀汉街社区')?.id;
  if (!shGrid1 || !shCommunity) throw new Error('population bench needs the demo street (蜀汉街社区第1网格)');

  const liuguan = await ctx.login('liuguan');
  const wangge = await ctx.login('wangge-sh-1');
  const get = async (url: string, s: Session) => {
    const r = await fetch(`${base}${url}`, { headers: { cookie: s.cookie } });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${body.slice(0, 300)}`);
    return body;
  };

  // ---------------------------------------------------------------- sample persons (numbers regenerated, nothing decrypted)
  const end = await nextSyntheticIndex(db, seed);
  const rng = new Rng(20_261_122, seed);
  const sampleIds: { idNumber: string; hmac: string }[] = [];
  for (let i = 0; i < 6000 && end > 0; i++) {
    const idNumber = syntheticIdentity(seed, rng.int(end)).idNumber;
    sampleIds.push({ idNumber, hmac: idIndex(idNumber) });
  }
  const found = sampleIds.length ? await p.selectFrom('persons').select(['id_hmac', 'name', 'name_initials', 'grid_id']).where('id_hmac', 'in', sampleIds.map((s) => s.hmac)).execute() : [];
  const byHmac = new Map(found.map((f) => [f.id_hmac, f]));
  const sample = sampleIds.flatMap((s) => { const f = byHmac.get(s.hmac); return f ? [{ ...s, ...f }] : []; });
  const inGrid = sample.filter((s) => s.grid_id === shGrid1);
  say('sample', { drawn: sampleIds.length, registered: sample.length, inWanggeGrid: inGrid.length });
  if (sample.length < 50) throw new Error(`too few synthetic persons of seed ${seed} found (${sample.length}); generate the data set first`);
  const pick = <T>(arr: T[], i: number) => arr[i % arr.length]!;

  // The SQL the service runs for a person search (persons.ts listPersons): page + count, scope-filtered.
  const scopeOf = (s: 'street' | 'grid') => (s === 'street' ? null : [shGrid1]);
  const searchSql = (scope: string[] | null, where: (q: any) => any) => {
    let q = p.selectFrom('persons');
    if (scope) q = q.where(sql<boolean>`grid_id = any(${scope}::uuid[])`);
    q = where(q);
    return Promise.all([
      q.selectAll().orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(20).offset(0).execute(),
      q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
  };
  const N = 200;

  // ---------------------------------------------------------------- ID-number lookup (p95 ≤ 20 ms)
  for (const [who, s, pool] of [['street', liuguan, sample], ['grid', wangge, inGrid.length ? inGrid : sample]] as const) {
    say(`idLookupApi_${who}`, await timed(N, (i) => get(`/api/v1/population/persons?idNumber=${pick(pool, i).idNumber}`, s)));
    say(`idLookupSql_${who}`, await timed(N, (i) => searchSql(scopeOf(who), (q) => q.where('id_hmac', 'in', [pick(pool, i).hmac]))));
  }

  // ---------------------------------------------------------------- name search (p95 ≤ 100 ms)
  const twoChar = [...new Set(sample.map((s) => s.name).filter((n) => [...n].length === 2))];
  const threeChar = [...new Set(sample.map((s) => s.name).filter((n) => [...n].length === 3 && !/^(欧阳|司马|诸葛|上官)/.test(n)))];
  const surnames = [...new Set(sample.map((s) => [...s.name][0]!))];
  const initials = [...new Set(sample.map((s) => s.name_initials).filter((x) => x.length >= 2))];
  const gridNames = inGrid.length ? inGrid : sample;
  const nameCases: [string, (who: 'street' | 'grid', i: number) => string, (v: string) => (q: any) => any][] = [
    ['exact2', (who, i) => (who === 'grid' ? pick(gridNames.filter((s) => [...s.name].length === 2).map((s) => s.name).concat(twoChar), i) : pick(twoChar, i)),
      (v) => (q) => q.where('name', 'like', `${escapeLike(v)}%`)],
    ['prefix1', (_who, i) => pick(surnames, i), (v) => (q) => q.where('name', 'like', `${escapeLike(v)}%`)],
    ['trigram3', (who, i) => (who === 'grid' ? pick(gridNames.filter((s) => [...s.name].length === 3).map((s) => s.name).concat(threeChar), i) : pick(threeChar, i)),
      (v) => (q) => q.where((eb: any) => eb.or([eb('name', 'like', `${escapeLike(v)}%`), sql<boolean>`name % ${v}`]))],
    ['initials', (_who, i) => pick(initials, i), (v) => (q) => q.where('name_initials', 'like', `${v.toLowerCase()}%`)],
  ];
  for (const [label, value, where] of nameCases) {
    for (const [who, s] of [['street', liuguan], ['grid', wangge]] as const) {
      say(`name_${label}Api_${who}`, await timed(N, (i) => get(`/api/v1/population/persons?name=${encodeURIComponent(value(who, i))}`, s)));
      say(`name_${label}Sql_${who}`, await timed(N, (i) => searchSql(scopeOf(who), where(value(who, i)))));
    }
  }

  // ---------------------------------------------------------------- statistics (p95 ≤ 150 ms)
  const gridsUnder = (id: string): string[] => {
    const u = tree.units.get(id);
    if (!u) return [];
    return u.kind === 'grid' ? [id] : (tree.children.get(id) ?? []).flatMap(gridsUnder);
  };
  const streetId = [...tree.units.values()].find((u) => u.kind === 'street')!.id;
  const statsCases: [string, Session, string, string][] = [
    ['street', liuguan, '/api/v1/population/stats', streetId],
    ['community', liuguan, `/api/v1/population/stats?orgUnitId=${shCommunity}`, shCommunity],
    ['grid', liuguan, `/api/v1/population/stats?orgUnitId=${shGrid1}`, shGrid1],
    ['gridWorker', wangge, '/api/v1/population/stats', shGrid1],
  ];
  for (const [label, s, url, unit] of statsCases) {
    say(`stats_${label}Api`, await timed(N, () => get(url, s)));
    const ids = gridsUnder(unit);
    say(`stats_${label}Sql`, await timed(N, () => p.selectFrom('population_counters').selectAll().where('grid_id', 'in', ids).execute()));
  }

  // ---------------------------------------------------------------- import (≥ 5,000 rows/s) and export (100,000 rows ≤ 30 s, flat memory)
  const stopJobs = startJobRunner(db, { intervalMs: 50, dataDir: ctx.dataDir, onError: (e) => log(`job error: ${(e as Error).message}`) });
  const waitJob = async (jobId: string, s: Session, onTick?: () => void) => {
    for (;;) {
      onTick?.();
      const job = JSON.parse(await get(`/api/v1/jobs/${jobId}`, s)) as { status: string; processed: number; succeeded: number; failed: number; error?: string; resultUrl?: string };
      if (job.status === 'done' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const jobTimes = async (jobId: string) => {
    const j = await db.selectFrom('jobs').select(['started_at', 'finished_at', 'result_file_id']).where('id', '=', jobId).executeTakeFirstOrThrow();
    const size = j.result_file_id ? (await db.selectFrom('files').select('size').where('id', '=', j.result_file_id).executeTakeFirst())?.size : undefined;
    return { jobSeconds: j.started_at && j.finished_at ? +((new Date(j.finished_at).getTime() - new Date(j.started_at).getTime()) / 1000).toFixed(2) : null, resultBytes: size ?? null };
  };
  try {
    // Import: 20,000 new rows (numbers of a fresh seed, so a re-run imports new people too) across all grids.
    const importRows = 20_000;
    const importSeed = 100_000 + (Date.now() % 1_000_000);
    const grids = [...tree.units.values()].filter((u) => u.kind === 'grid' && u.valid_to === null).map((u) => u.name);
    const file = path.join(os.tmpdir(), `jiedao-bench-import-${process.pid}.xlsx`);
    const today = officeToday();
    async function* rows() {
      for (let i = 0; i < importRows; i++) {
        const s = syntheticIdentity(importSeed, i);
        const r = new Rng(importSeed, 77, i);
        yield {
          证件类型: '居民身份证', 证件号码: s.idNumber, 姓名: fictionalName(r, s.gender), 性别: s.gender === 'male' ? '男' : '女', 出生日期: s.birthDate,
          民族: '汉族', 户籍地: originOf(s.addressCode) ?? '', 文化程度: '初中毕业', 职业: '餐饮服务', 联系电话: `139${String(r.int(1e8)).padStart(8, '0')}`,
          网格: grids[i % grids.length]!, 房屋地址: '', 来本地日期: today, 来本地事由: '务工',
        };
      }
    }
    await streamXlsxExport(file, IMPORT_HEADERS.map((h) => ({ header: h })), rows());
    const buffer = fs.readFileSync(file);
    // The spreadsheet reading alone (platform/excel), to tell parsing from validation and writing.
    {
      const t = performance.now();
      let n = 0;
      let garbled = 0;
      for await (const row of readXlsxRows(file, { expectedHeaders: IMPORT_HEADERS })) {
        n++;
        if (Object.values(row.values).some((v) => v.includes('\uFFFD'))) garbled++;
      }
      const secs = (performance.now() - t) / 1000;
      say('importReadOnly', { rows: n, seconds: +secs.toFixed(2), rowsPerSec: Math.round(n / secs), rowsWithReplacementChar: garbled });
    }
    fs.rmSync(file, { force: true });
    const t0 = performance.now();
    const form = new FormData();
    form.append('file', new Blob([buffer], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), 'bench-import.xlsx');
    const up = await fetch(`${base}/api/v1/population/imports`, { method: 'POST', headers: { cookie: liuguan.cookie, 'x-csrf-token': liuguan.csrf }, body: form });
    if (up.status !== 202) throw new Error(`import upload: ${up.status} ${await up.text()}`);
    const { jobId } = (await up.json()) as { jobId: string };
    const job = await waitJob(jobId, liuguan);
    const seconds = (performance.now() - t0) / 1000;
    say('import', {
      rows: importRows, fileBytes: buffer.length, status: job.status, succeeded: job.succeeded, failed: job.failed, error: job.error,
      seconds: +seconds.toFixed(2), rowsPerSec: Math.round(job.succeeded / seconds), ...(await jobTimes(jobId)), budget: '≥ 5,000 rows/s',
    });

    // Export: the unit (grid or community) whose registry holds closest to 100,000 persons.
    const perGrid = await p.selectFrom('persons').select(['grid_id', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('grid_id').execute();
    const countOf = new Map(perGrid.map((g) => [g.grid_id, Number(g.n)]));
    const units = [...tree.units.values()].filter((u) => u.kind === 'grid' || u.kind === 'community')
      .map((u) => ({ u, n: gridsUnder(u.id).reduce((s, g) => s + (countOf.get(g) ?? 0), 0) }));
    const closest = (n: number) => [...units].sort((a, b) => Math.abs(a.n - n) - Math.abs(b.n - n))[0]!;
    const MiB = (b: number) => Math.round(b / 2 ** 20);
    const runExport = async (target: { u: { id: string; name: string; kind: string }; n: number }) => {
      const filters = target.u.kind === 'grid' ? { gridId: target.u.id } : { communityId: target.u.id };
      const mem0 = process.memoryUsage();
      let peakRss = mem0.rss;
      let peakHeap = mem0.heapUsed;
      const t1 = performance.now();
      // Memory every second while the job runs (the job runs in this process): flat means no growth with rows.
      const series: { s: number; rssMiB: number; heapMiB: number }[] = [];
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss); peakHeap = Math.max(peakHeap, m.heapUsed);
        if (series.length === 0 || performance.now() - t1 - series[series.length - 1]!.s * 1000 >= 1000) series.push({ s: +((performance.now() - t1) / 1000).toFixed(1), rssMiB: MiB(m.rss), heapMiB: MiB(m.heapUsed) });
      }, 100);
      try {
        const ex = await fetch(`${base}/api/v1/population/exports`, { method: 'POST', headers: { cookie: liuguan.cookie, 'x-csrf-token': liuguan.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ filters }) });
        if (ex.status !== 202) throw new Error(`export: ${ex.status} ${await ex.text()}`);
        const exportJobId = ((await ex.json()) as { jobId: string }).jobId;
        const exportJob = await waitJob(exportJobId, liuguan);
        const exportSeconds = (performance.now() - t1) / 1000;
        const mem1 = process.memoryUsage();
        return {
          unit: target.u.name, unitPersons: target.n, status: exportJob.status, rows: exportJob.processed, error: exportJob.error,
          seconds: +exportSeconds.toFixed(2), rowsPerSec: Math.round(exportJob.processed / exportSeconds), ...(await jobTimes(exportJobId)),
          rssMiB: { start: MiB(mem0.rss), peak: MiB(peakRss), end: MiB(mem1.rss) }, heapMiB: { start: MiB(mem0.heapUsed), peak: MiB(peakHeap), end: MiB(mem1.heapUsed) },
          series, budget: '100,000 rows ≤ 30 s, memory flat',
        };
      } finally {
        clearInterval(sampler);
      }
    };
    global.gc?.();
    const exported = await runExport(closest(100_000));
    say('export', exported);
    if (exported.status !== 'done' && /10 MB/.test(exported.error ?? '')) {
      // The stored result is refused above the upload limit (files/service MAX_FILE_BYTES): measure the largest unit whose file fits.
      notes.push(`导出 ${exported.rows} 行在保存结果文件时失败：${exported.error}（transfer.ts 的导出用了上传文件的 10 MB 上限）。另测一个约 75,000 人的单位。`);
      say('exportSmaller', await runExport(closest(75_000)));
    }
  } finally {
    await stopJobs();
  }

  // ---------------------------------------------------------------- record
  const machine = {
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, db: kind,
    note: `${os.cpus().length} cores: the API server, the benchmark client and ${kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} share them`,
  };
  const date = new Date().toISOString().slice(0, 10);
  const key = `population-${kind}`;
  results.notes = notes;
  const r = results as Record<string, Stat & Record<string, unknown>>;
  const cell = (k: string) => (r[k] ? `p50 ${r[k].p50} / p95 ${r[k].p95} ms` : '—');
  const pair = (label: string, api: string, q: string, budget: string) => `| ${label} | ${cell(api)} | ${cell(q)} | ${budget} |`;
  const imp = r.import as unknown as { rowsPerSec?: number; rows?: number; seconds?: number; status?: string } | undefined;
  const markdown = [
    `Population benchmark, ${kind}, ${persons.toLocaleString('en')} persons / ${houses.toLocaleString('en')} houses. Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node} — ${machine.note}.`, '',
    '| Work | API (p50 / p95) | same query in SQL (p50 / p95) | Budget |', '|---|---|---|---|',
    pair('ID lookup, street (liuguan)', 'idLookupApi_street', 'idLookupSql_street', 'p95 ≤ 20 ms'),
    pair('ID lookup, grid (wangge-sh-1)', 'idLookupApi_grid', 'idLookupSql_grid', 'p95 ≤ 20 ms'),
    ...nameCases.flatMap(([label]) => [
      pair(`name ${label}, street`, `name_${label}Api_street`, `name_${label}Sql_street`, 'p95 ≤ 100 ms'),
      pair(`name ${label}, grid`, `name_${label}Api_grid`, `name_${label}Sql_grid`, 'p95 ≤ 100 ms'),
    ]),
    ...statsCases.map(([label]) => pair(`stats, ${label}`, `stats_${label}Api`, `stats_${label}Sql`, 'p95 ≤ 150 ms')),
    `| Import 20,000 rows (upload + job) | ${imp?.status === 'done' ? `${imp.rowsPerSec} rows/s (${imp.seconds} s)` : `failed: ${JSON.stringify(imp)}`} | — | ≥ 5,000 rows/s |`,
    `| Import: reading the .xlsx alone | ${(r.importReadOnly as unknown as { rowsPerSec?: number } | undefined)?.rowsPerSec ?? '—'} rows/s | — | — |`,
    ...(['export', 'exportSmaller'] as const).filter((k) => r[k]).map((k) => {
      const e = r[k] as unknown as { rows?: number; seconds?: number; status?: string; rssMiB?: { start: number; peak: number; end: number }; heapMiB?: { start: number; peak: number; end: number }; error?: string; unit?: string };
      return `| Export ${e.unit} (${e.rows ?? '?'} rows, job) | ${e.status === 'done' ? `${e.seconds} s` : `failed after ${e.seconds} s: ${e.error ?? ''}`}; RSS ${e.rssMiB?.start} → peak ${e.rssMiB?.peak} → ${e.rssMiB?.end} MiB, heap ${e.heapMiB?.start} → peak ${e.heapMiB?.peak} → ${e.heapMiB?.end} MiB | — | 100,000 rows ≤ 30 s, memory flat |`;
    }),
    '', 'API p50 budget: ≤ SQL p50 + 3 ms. The API figures include session lookup, scope resolution and the audit event every search writes.',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  const written = recordBenchResults({ dir: path.resolve('bench/results'), date, key, entry: { date, machine, results }, markdown });
  log(`结果已写入 ${written.json}（键 ${key}）和 ${written.md}`);
  return results;
}

// ---------------------------------------------------------------- on its own: `node --import tsx bench/population.ts [--seed S]`
await runStandalone(import.meta.url, async ({ base, config, database, login }) => {
  const { option } = await import('../scripts/lib.js');
  await runPopulationBench({ base, db: database.db, kind: database.kind, dataDir: config.dataDir, login, seed: Number(option('seed', '1')) });
});
