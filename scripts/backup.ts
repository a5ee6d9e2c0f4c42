// `npm run backup [-- --out FILE]`: a full backup. PGlite: a dump of the data directory (tar.gz);
// PostgreSQL: pg_dump in custom format. Refuses a PGlite directory that a running server holds.
// The data key is not part of the database: the key file (when there is one) is saved beside the
// backup as FILE.key; with JIEDAO_DATA_KEY there is no key file and the key stays in the environment.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../src/server/config.js';
import { lockDataDirOrExit, option } from './lib.js';

const config = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');

/** Saves the key file beside the backup, or says where the key is. */
function saveKey(out: string): string {
  if (config.dataKey) return '数据密钥来自环境变量 JIEDAO_DATA_KEY，没有密钥文件可备份；恢复时请设置同一个 JIEDAO_DATA_KEY，并另行妥善保管该密钥';
  const keyFile = path.join(config.dataDir, 'jiedao.key');
  if (!fs.existsSync(keyFile)) return `未找到密钥文件 ${keyFile}；没有创建该数据库时的密钥，加密的个人信息将无法解密`;
  fs.copyFileSync(keyFile, `${out}.key`);
  fs.chmodSync(`${out}.key`, 0o600);
  return `密钥文件另存为 ${out}.key，请与备份分开妥善保管`;
}

if (config.databaseUrl) {
  const out = option('out', `backup-${stamp}.pgdump`)!;
  const r = spawnSync('pg_dump', ['--format=custom', `--file=${out}`, config.databaseUrl], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`已备份到 ${out}（${saveKey(out)}；恢复：npm run restore -- ${out}）`);
} else {
  const release = lockDataDirOrExit(config.dataDir);
  try {
    const out = option('out', path.join(config.dataDir, '..', `jiedao-backup-${stamp}.tar.gz`))!;
    const pg = await PGlite.create(path.join(config.dataDir, 'pgdata'));
    const blob = await pg.dumpDataDir('gzip');
    await pg.close();
    fs.writeFileSync(out, Buffer.from(await blob.arrayBuffer()));
    console.log(`已备份到 ${out}（${saveKey(out)}；恢复：npm run restore -- ${out}）`);
  } finally {
    release();
  }
}
