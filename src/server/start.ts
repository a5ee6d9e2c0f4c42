import { loadConfig } from './config.js';
import { openDatabase } from '../platform/db/index.js';
import { DataDirLockedError } from '../platform/db/datadir-lock.js';
import { buildApp } from './app.js';
import { prepareDatabase } from './bootstrap.js';
import { startAuditSealer } from '../platform/audit/service.js';
import { purgeExpiredIdempotencyKeys } from './plugins/idempotency.js';
import { startJobRunner } from '../platform/jobs/service.js';
import { startScheduler } from '../platform/jobs/scheduler.js';
import { encryptLegacyFiles } from '../platform/files/legacy.js';
import '../platform/approvals/schedules.js';

/** `npm start`: open the database, listen at once (health 503), prepare, then serve (health 200). */
async function main(): Promise<void> {
  const config = loadConfig();
  let database;
  try {
    database = await openDatabase({
      databaseUrl: config.databaseUrl, dataDir: config.dataDir,
      onIdleError: (e) => console.error(`数据库空闲连接断开（将自动重连）：${e.message}`),
    });
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`无法打开数据库：${(e as Error).message}`);
    if (!config.databaseUrl) {
      console.error(`若服务器曾被强制终止且数据目录损坏，请用 npm run restore -- <备份文件> 从最近的备份恢复（数据目录：${config.dataDir}）。`);
    }
    process.exit(1);
  }
  const app = await buildApp(config, database, { ready: false });
  await app.listen({ port: config.port, host: config.host });
  try {
    await prepareDatabase(database.db, config, (m) => app.log.info(m));
  } catch (e) {
    app.log.error(e as Error);
    console.error((e as Error).message);
    await app.close();
    await database.close();
    process.exit(1);
  }
  const stopSealer = startAuditSealer(database.db, 1000, (e) => app.log.error({ err: e }, 'audit sealer failed'), config.dataDir);
  const stopJobs = startJobRunner(database.db, {
    intervalMs: 1000, dataDir: config.dataDir,
    onError: (e, job) => app.log.error({ err: e, jobId: job?.id, kind: job?.kind }, 'job failed'),
  });
  // Files stored before encryption at rest: sealed in the background (still served as they are meanwhile).
  const stopSealing = new AbortController();
  const sealing = encryptLegacyFiles(database.db, config.dataDir, { signal: stopSealing.signal })
    .then((r) => { if (r.sealed || r.removed) app.log.info(`已加密此前明文存储的文件 ${r.sealed} 个，删除明文文件 ${r.removed} 个`); })
    .catch((e) => app.log.error({ err: e }, 'encrypting stored files failed'));
  const stopScheduler = startScheduler(database.db, { intervalMs: 30_000, onError: (e, name) => app.log.error({ err: e, schedule: name }, 'schedule failed') });
  // Idempotency keys older than 24 h are of no further use: purge them every 10 minutes.
  const purge = setInterval(() => { purgeExpiredIdempotencyKeys(database.db).catch((e) => app.log.error({ err: e }, 'idempotency purge failed')); }, 600_000);
  purge.unref();
  app.ctx.ready = true;
  app.log.info(`街道通已启动：http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}（数据库：${database.kind}）`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`收到 ${signal}，正在停止…`);
    clearInterval(purge);
    await app.close();
    await stopScheduler();
    stopSealing.abort();
    await sealing;
    await stopJobs();
    await stopSealer();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
