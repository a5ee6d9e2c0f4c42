import fs from 'node:fs';
import path from 'node:path';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';

/**
 * Keys for personal data (国密): SM4 encryption, HMAC-SM3 tag and blind index, derived from one
 * master key — `JIEDAO_DATA_KEY` (64 hex characters) or a key file created once in the data
 * directory. The database keeps the key's fingerprint; start-up refuses a different key, so data
 * encrypted under one key is never mixed with another.
 */
export interface DataKeys {
  encKey: Buffer; macKey: Buffer; indexKey: Buffer; fingerprint: string;
  /** Root of the stored files' keys: each file's SM4 and HMAC-SM3 keys are derived from it, the file's random IV and its row id (files/sealed.ts). */
  fileKey: Buffer;
}

export class WrongDataKeyError extends Error {
  constructor() {
    super('数据加密密钥与数据库记录的密钥指纹不一致：请使用创建该数据库时的 JIEDAO_DATA_KEY 或密钥文件（data/jiedao.key）。服务器拒绝启动，以免数据无法解密。');
  }
}

export function loadMasterKey(dataKeyHex: string | undefined, dataDir: string): Buffer {
  if (dataKeyHex) {
    if (!/^[0-9a-fA-F]{64}$/.test(dataKeyHex)) throw new Error('JIEDAO_DATA_KEY 应为 64 位十六进制字符（32 字节）。');
    return Buffer.from(dataKeyHex, 'hex');
  }
  const file = path.join(dataDir, 'jiedao.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
}

export function deriveKeys(master: Buffer): DataKeys {
  const derive = (info: string, len: number) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, len));
  const fingerprint = createHmac('sm3', derive('jiedao-fingerprint', 32)).update('jiedao').digest('hex').slice(0, 32);
  return {
    encKey: derive('jiedao-sm4', 16), macKey: derive('jiedao-sm3-mac', 32), indexKey: derive('jiedao-sm3-index', 32), fingerprint,
    fileKey: derive('jiedao-file', 32),
  };
}

/** Records the fingerprint on first start; refuses a different key afterwards. */
export async function checkKeyFingerprint(db: Db, keys: DataKeys): Promise<void> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', 'data_key_fingerprint').executeTakeFirst();
  if (!row) {
    await db.insertInto('meta').values({ key: 'data_key_fingerprint', value: JSON.stringify(keys.fingerprint) })
      .onConflict((oc) => oc.column('key').doNothing()).execute();
    return checkKeyFingerprint(db, keys);
  }
  if (row.value !== keys.fingerprint) throw new WrongDataKeyError();
}

let current: DataKeys | null = null;
export const setDataKeys = (k: DataKeys) => { current = k; };
export function dataKeys(): DataKeys {
  if (!current) throw new Error('data keys not loaded');
  return current;
}
