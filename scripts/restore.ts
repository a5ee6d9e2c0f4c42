// `npm run restore -- FILE`: restores a backup made by `npm run backup`. PGlite: the archive is
// first loaded into a temporary directory beside pgdata and checked (it opens and holds the
// `users` table); only then is the old pgdata moved aside and the restored one moved into place —
// a bad archive leaves the old data untouched. PostgreSQL: pg_restore into DATABASE_URL.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../src/server/config.js';
import { lockDataDirOrExit } from './lib.js';

const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file || !fs.existsSync(file)) {
  console.error('用法：npm run restore -- <备份文件>');
  process.exit(1);
}
const config = loadConfig();

/** Puts the backup's key file in place when the data directory has none; says what to do otherwise. */
function restoreKey(): void {
  const keyFile = path.join(config.dataDir, 'jiedao.key');
  if (fs.existsSync(`${file}.key`) && !fs.existsSync(keyFile)) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.copyFileSync(`${file}.key`, keyFile);
    fs.chmodSync(keyFile, 0o600);
    console.log(`密钥文件已从 ${file}.key 恢复到 ${keyFile}`);
  } else if (!fs.existsSync(`${file}.key`)) {
    console.log(config.dataKey
      ? '备份旁没有密钥文件：将使用环境变量 JIEDAO_DATA_KEY，请确认它与备份时的密钥相同。'
      : `备份旁没有密钥文件（${file}.key）：启动时请设置备份时使用的 JIEDAO_DATA_KEY，或放回对应的密钥文件。`);
  }
}

if (config.databaseUrl) {
  const r = spawnSync('pg_restore', ['--clean', '--if-exists', '--no-owner', `--dbname=${config.databaseUrl}`, file], { stdio: 'inherit' });
  if (r.status === 0) restoreKey();
  process.exit(r.status ?? 1);
}

class BadArchiveError extends Error {}

/** The archive as an uncompressed tar (what `npm run backup` writes is a gzipped tar of pgdata). */
function readTar(bytes: Buffer): Buffer {
  let tar = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      tar = zlib.gunzipSync(bytes);
    } catch {
      throw new BadArchiveError('文件已损坏，无法解压');
    }
  }
  // A tar archive: 512-byte headers with the "ustar" magic at offset 257.
  if (tar.length < 1024 || tar.subarray(257, 262).toString('latin1') !== 'ustar') {
    throw new BadArchiveError('不是 npm run backup 生成的备份文件');
  }
  return tar;
}

/** Loads the archive into `dir` and checks that it opens as a Jiedao database. */
async function loadAndCheck(tar: Buffer, dir: string): Promise<void> {
  let pg: PGlite | undefined;
  // PGlite's loader can leave a stray rejected promise behind on a corrupt archive; the awaited
  // call rejects as well, and that is the error reported.
  const ignore = () => {};
  process.on('unhandledRejection', ignore);
  try {
    pg = await PGlite.create(dir, { loadDataDir: new Blob([new Uint8Array(tar)], { type: 'application/x-tar' }) });
    const r = await pg.query<{ t: string | null }>(`select to_regclass('public.users')::text as t`);
    if (!r.rows[0]?.t) throw new BadArchiveError('备份中的数据库没有 users 表，不是街道通的数据库');
  } catch (e) {
    throw e instanceof BadArchiveError ? e : new BadArchiveError(`无法打开备份中的数据库（${e instanceof Error ? e.message : String(e)}）`);
  } finally {
    await pg?.close().catch(() => undefined);
    process.off('unhandledRejection', ignore);
  }
}

const release = lockDataDirOrExit(config.dataDir);
const pgdata = path.join(config.dataDir, 'pgdata');
const staging = `${pgdata}.restoring-${Date.now()}`;
let exitCode = 0;
try {
  await loadAndCheck(readTar(fs.readFileSync(file)), staging);
  if (fs.existsSync(pgdata) && fs.readdirSync(pgdata).length > 0) {
    const aside = `${pgdata}.before-restore-${Date.now()}`;
    fs.renameSync(pgdata, aside);
    console.log(`原数据已移至 ${aside}`);
  } else {
    fs.rmSync(pgdata, { recursive: true, force: true });
  }
  fs.renameSync(staging, pgdata);
  restoreKey();
  console.log(`已从 ${file} 恢复到 ${config.dataDir}`);
} catch (e) {
  if (!(e instanceof BadArchiveError)) throw e;
  console.error(`恢复失败：${file} ${e.message}。原数据未作任何改动。`);
  exitCode = 1;
} finally {
  fs.rmSync(staging, { recursive: true, force: true });
  release();
}
// Explicitly: closing PGlite resets process.exitCode.
process.exit(exitCode);
