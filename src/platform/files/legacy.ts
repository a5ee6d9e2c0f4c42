import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inTransaction, type Db } from '../db/index.js';
import { ensureBlobDir, fileStoreDir, legacyFilePath, readStored, storedFilePath } from './service.js';
import { sealStream } from './sealed.js';

/**
 * Files stored before encryption at rest: plaintext blobs named by their SHA-256, shared by every
 * row with that content. `encryptLegacyFiles` seals each such row's content into the row's own
 * blob, clears the row's `sha256`, and removes a plaintext blob once no row needs it. It runs in the
 * background at start-up (src/server/start.ts); until it has reached a row, the row's plaintext blob
 * is still served. Safe to run in several processes at once and to interrupt: a row is switched to
 * its sealed blob by one conditional update, and only the process whose update matched moves its
 * blob in place.
 */
const LEGACY_NAME = /^[0-9a-f]{64}$/;
/** Written into `files/` after a complete pass: later start-ups skip the directory sweep. */
const SWEPT_MARKER = '.sealed-at-rest';
const STALE_TMP_MS = 3_600_000;

export interface LegacyResult { sealed: number; missing: number; removed: number }

/** Removes a plaintext blob that no live row (unexpired, not yet sealed) names any more. */
export async function removeLegacyBlobIfUnused(db: Db, dataDir: string, sha256: string): Promise<boolean> {
  const user = await db.selectFrom('files').select('id').where('sha256', '=', sha256).where('expired_at', 'is', null).limit(1).executeTakeFirst();
  if (user) return false;
  const file = legacyFilePath(dataDir, sha256);
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/** `signal`: stop after the row in hand (shutdown); the rest is sealed at the next start. */
export async function encryptLegacyFiles(db: Db, dataDir?: string, opts: { signal?: AbortSignal } = {}): Promise<LegacyResult> {
  const root = fileStoreDir(dataDir);
  const result: LegacyResult = { sealed: 0, missing: 0, removed: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db.selectFrom('files').select(['id', 'sha256']).where('sha256', 'is not', null).where('expired_at', 'is', null)
      .where('id', '>', after).orderBy('id').limit(100).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      if (opts.signal?.aborted) return result;
      after = row.id;
      const sha256 = row.sha256!;
      const legacy = legacyFilePath(root, sha256);
      if (!fs.existsSync(legacy)) {
        result.missing++;
        continue;
      }
      const target = storedFilePath(root, row.id);
      ensureBlobDir(root, path.dirname(target));
      const tmp = path.join(root, 'files', `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        try {
          await pipeline(Readable.from(readStored(legacy, row.id, true, false)), sealStream(row.id), fs.createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
        } catch (e) {
          // Sealed meanwhile by another process, which then removed the plaintext.
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
        const switched = await inTransaction(db, async (tx) => {
          const r = await tx.updateTable('files').set({ sha256: null })
            .where('id', '=', row.id).where('sha256', '=', sha256).where('expired_at', 'is', null).executeTakeFirst();
          if (r.numUpdatedRows === 0n) return false;
          fs.renameSync(tmp, target);
          return true;
        });
        if (switched) result.sealed++;
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      if (await removeLegacyBlobIfUnused(db, root, sha256)) result.removed++;
    }
  }
  result.removed += await sweep(db, root);
  return result;
}

/**
 * Once per data directory: plaintext blobs no live row names (a rolled-back upload, an interrupted
 * pass) and leftover temporary files of interrupted writes are removed, so no plaintext stays.
 */
async function sweep(db: Db, root: string): Promise<number> {
  const files = path.join(root, 'files');
  if (!fs.existsSync(files) || fs.existsSync(path.join(files, SWEPT_MARKER))) return 0;
  let removed = 0;
  for (const entry of fs.readdirSync(files, { withFileTypes: true })) {
    const full = path.join(files, entry.name);
    if (entry.isFile() && entry.name.startsWith('.tmp-')) {
      if (Date.now() - fs.statSync(full).mtimeMs > STALE_TMP_MS) { fs.rmSync(full, { force: true }); removed++; }
      continue;
    }
    if (!entry.isDirectory()) continue;
    if ((fs.statSync(full).mode & 0o777) !== 0o700) fs.chmodSync(full, 0o700);
    const names = fs.readdirSync(full).filter((n) => LEGACY_NAME.test(n));
    for (let i = 0; i < names.length; i += 500) {
      const batch = names.slice(i, i + 500);
      const used = new Set((await db.selectFrom('files').select('sha256').where('sha256', 'in', batch).where('expired_at', 'is', null).execute()).map((r) => r.sha256));
      for (const n of batch) {
        if (used.has(n)) continue;
        fs.rmSync(path.join(full, n), { force: true });
        removed++;
      }
    }
  }
  // Only when nothing is left to seal: a later start-up with legacy rows still pending sweeps again.
  const pending = await db.selectFrom('files').select('id').where('sha256', 'is not', null).where('expired_at', 'is', null).limit(1).executeTakeFirst();
  if (!pending) fs.writeFileSync(path.join(files, SWEPT_MARKER), `${new Date().toISOString()}\n`, { mode: 0o600 });
  return removed;
}
