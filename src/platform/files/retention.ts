import fs from 'node:fs';
import { inTransaction, type Db } from '../db/index.js';
import { recordAudit } from '../audit/service.js';
import { activePolicy } from '../policy/service.js';
import type { PolicyPack } from '../policy/schema.js';
import type { Schedule } from '../jobs/scheduler.js';
import type { JiedaoModule } from '../module.js';
import { fileStoreDir, storedFilePath } from './service.js';
import { removeLegacyBlobIfUnused } from './legacy.js';

/**
 * Retention of transient work files (PRODUCT/issue: "expire generated exports and processed uploads").
 *
 * Which files: those owned by a background job (`owner_kind = 'job'`) — the uploaded import or
 * comparison spreadsheet, the export, the comparison result and the error list. Files attached to
 * records (incident photos, permit scans…) or to nobody yet are never expired.
 * When: `files.retentionDays` of the active policy pack after the job finished (a job still queued
 * or running keeps its files), and never sooner than that after the file was stored.
 * How: the content is deleted from disk and the row is kept with `expired_at` (records are
 * histories); a download then answers 410 FILE_EXPIRED. Each run is audited once, with the count.
 */
export const TRANSIENT_OWNER_KINDS: readonly string[] = ['job'];
export const FILE_RETENTION_SCHEDULE = 'files.expire-transient';
const DAY_MS = 86_400_000;
const BATCH = 200;

export const retentionDaysOf = (pack: PolicyPack): number => (pack.files as { retentionDays: number }).retentionDays;

export interface ExpiryResult { expired: number; retentionDays: number; cutoff: Date }

export async function expireTransientFiles(db: Db, opts: { now?: Date; dataDir?: string } = {}): Promise<ExpiryResult> {
  const now = opts.now ?? new Date();
  const root = fileStoreDir(opts.dataDir);
  const policy = await activePolicy(db);
  const retentionDays = retentionDaysOf(policy.pack);
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  let expired = 0;
  for (;;) {
    const legacy: string[] = [];
    const n = await inTransaction(db, async (tx) => {
      const due = await tx.selectFrom('files as f')
        .innerJoin('jobs as j', 'j.id', 'f.owner_id')
        .select(['f.id'])
        .where('f.owner_kind', 'in', [...TRANSIENT_OWNER_KINDS])
        .where('f.expired_at', 'is', null)
        .where('f.created_at', '<', cutoff)
        .where('j.finished_at', 'is not', null)
        .where('j.finished_at', '<', cutoff)
        .orderBy('f.id').limit(BATCH)
        .forUpdate('f').skipLocked()
        .execute();
      if (due.length === 0) return 0;
      const rows = await tx.updateTable('files').set({ expired_at: now })
        .where('id', 'in', due.map((d) => d.id)).where('expired_at', 'is', null)
        .returning(['id', 'sha256']).execute();
      // Deleted before the commit: a crash in between leaves the row unexpired, and the next run expires it again.
      for (const r of rows) {
        fs.rmSync(storedFilePath(root, r.id), { force: true });
        if (r.sha256) legacy.push(r.sha256);
      }
      return rows.length;
    });
    // A plaintext blob from before encryption may be shared with a row that stays.
    for (const sha256 of legacy) await removeLegacyBlobIfUnused(db, root, sha256);
    expired += n;
    if (n < BATCH) break;
  }
  await recordAudit(db, {
    actorId: null, actorName: '系统（定时任务）', action: 'file.expire', entity: 'file',
    summary: { count: expired, retentionDays, cutoff: cutoff.toISOString(), packCode: policy.packCode, policyVersion: policy.version },
  });
  return { expired, retentionDays, cutoff };
}

/** Once a day at 03:30 office time, once per slot across server processes (jobs/scheduler.ts). */
export const fileRetentionSchedule: Schedule = {
  name: FILE_RETENTION_SCHEDULE,
  spec: { dailyAt: '03:30' },
  run: async ({ db, now }) => { await expireTransientFiles(db, { now }); },
};

/** The file store's part of the platform, declared like a module (installed in src/modules/index.ts). */
export const fileStoreModule: JiedaoModule = {
  name: 'platform.files',
  schedules: [fileRetentionSchedule],
};
