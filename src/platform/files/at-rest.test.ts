import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type TestApp } from '../../../test/helpers/app.js';
import { uuidv7 } from '../db/ids.js';
import { streamXlsxExport } from '../excel/index.js';
import {
  encryptLegacyFiles, FileIntegrityError, legacyFilePath, MAX_GENERATED_BYTES, openFile, SEALED_MAGIC, storedFilePath, storeFile,
  VERIFY_BEFORE_SEND_BYTES,
} from './index.js';
import { sealedSize } from './sealed.js';

/**
 * Stored files at rest (issue: "stored files hold full ID numbers in clear"): sealed with SM4 and
 * HMAC-SM3 (sealed.ts), 0600 in 0700 directories, streamed both ways, refused when altered, and
 * files from before still served and then sealed. One test per rule.
 */
const ID_NUMBER = '110101199003078515'; // a fake resident ID number
const SEGMENT = 64 * 1024;

let t: TestApp;
let me: string;
let dir: string;
beforeAll(async () => {
  t = await testApp();
  dir = t.config.dataDir;
  me = (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id;
});
afterAll(async () => { await t.close(); });

const collect = async (s: AsyncIterable<unknown>) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return chunks;
};
/** Reproducible bytes (no wall-clock randomness in tests). */
function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
const allFiles = (root: string): string[] => fs.readdirSync(root, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
const download = async (id: string) => (await t.login('liuguan')).get(`/api/v1/files/${id}`);

describe('encryption at rest', () => {
  it('the bytes on disk hold no plaintext: a fake ID number in an upload or an export is not in the stored file', async () => {
    const csv = Buffer.from(`证件号码,姓名,手机\n${ID_NUMBER},张测试,13800138000\n`.repeat(500));
    const a = await storeFile(t.db, dir, { buffer: csv, originalName: '名单.csv', createdBy: me, allowed: 'any' });
    // An export as the export job writes it (a file on disk, stored from its path).
    const xlsx = path.join(dir, `export-${process.pid}.xlsx`);
    await streamXlsxExport(xlsx, [{ header: '证件号码', key: 'id', width: 22 }], (async function* () { for (let i = 0; i < 50; i++) yield { id: ID_NUMBER }; })());
    const b = await storeFile(t.db, dir, { path: xlsx, originalName: '导出.xlsx', createdBy: me, allowed: 'xlsx', maxBytes: MAX_GENERATED_BYTES });
    const xlsxBytes = fs.readFileSync(xlsx);
    fs.rmSync(xlsx);
    for (const [f, plain] of [[a, csv], [b, xlsxBytes]] as const) {
      const raw = fs.readFileSync(storedFilePath(dir, f.id));
      expect(raw.subarray(0, SEALED_MAGIC.length)).toEqual(SEALED_MAGIC);
      expect(raw.length).toBe(sealedSize(plain.length));
      for (const needle of [ID_NUMBER, Buffer.from(ID_NUMBER, 'utf16le'), '张测试', '13800138000', plain.subarray(0, 64)]) expect(raw.includes(needle)).toBe(false);
      // The stored name says nothing of the content: no file or directory is named after its SHA-256.
      const sha = createHash('sha256').update(plain).digest('hex');
      expect(allFiles(path.join(dir, 'files')).some((p) => p.includes(sha))).toBe(false);
      // Decrypted on the way out, byte for byte.
      const res = await download(f.id);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(plain)).toBe(true);
    }
    // The xlsx export's stored bytes do not even look like a zip.
    expect(fs.readFileSync(storedFilePath(dir, b.id)).includes(Buffer.from('PK\u0003\u0004'))).toBe(false);
  });

  it('stored files are mode 0600 in directories of mode 0700, also when the directories were made 0755 before', async () => {
    fs.chmodSync(path.join(dir, 'files'), 0o755);
    const f = await storeFile(t.db, dir, { buffer: Buffer.from('%PDF-1.7 mode'), originalName: 'a.pdf', createdBy: me, allowed: 'image_pdf' });
    const blob = storedFilePath(dir, f.id);
    expect(fs.statSync(blob).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(blob)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'files')).mode & 0o777).toBe(0o700);
    // A shard directory left 0755 by an older version is tightened on the next write into it.
    fs.chmodSync(path.dirname(blob), 0o755);
    const g = await storeFile(t.db, dir, { buffer: Buffer.from('%PDF-1.7 mode again'), originalName: 'b.pdf', createdBy: me, allowed: 'image_pdf' });
    expect(fs.statSync(path.dirname(storedFilePath(dir, g.id))).mode & 0o777).toBe(0o700);
    // No temporary file is left behind.
    expect(fs.readdirSync(path.join(dir, 'files')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('a multi-megabyte file is stored from disk and read back as a stream of segments, byte for byte', async () => {
    const size = 12 * 1024 * 1024 + 7;
    const content = pattern(size);
    const src = path.join(dir, `big-${process.pid}.bin`);
    fs.writeFileSync(src, content);
    const f = await storeFile(t.db, dir, { path: src, originalName: 'big.bin', createdBy: me, allowed: 'any', maxBytes: MAX_GENERATED_BYTES });
    fs.rmSync(src);
    expect(f.size).toBe(size);
    expect(fs.statSync(storedFilePath(dir, f.id)).size).toBe(sealedSize(size));
    const opened = await openFile(t.db, f.id);
    const chunks = await collect(opened.stream());
    // Released segment by segment, never the whole file at once.
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(size / SEGMENT));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(SEGMENT);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    await opened.verify();
    const res = await download(f.id);
    expect(res.statusCode).toBe(200);
    expect(Number(res.headers['content-length'])).toBe(size);
    expect(res.rawPayload.equals(content)).toBe(true);
    // Sizes at and around the segment boundaries, and the empty file.
    for (const n of [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT]) {
      const c = pattern(n, n + 2);
      const g = await storeFile(t.db, dir, { buffer: c, originalName: 'x.bin', createdBy: me, allowed: 'any' });
      expect(Buffer.concat(await collect((await openFile(t.db, g.id)).stream())).equals(c), String(n)).toBe(true);
    }
  });
});

describe('altered files', () => {
  const plain = pattern(4 * SEGMENT + 1000, 9);
  const segmentAt = (i: number) => 28 + i * (SEGMENT + 32); // header 28 bytes; each segment carries a 32-byte tag

  it('a tampered, truncated, reordered or replaced file is refused on download (500 FILE_INTEGRITY), never served corrupted', async () => {
    const f = await storeFile(t.db, dir, { buffer: plain, originalName: 'x.bin', createdBy: me, allowed: 'any' });
    const blob = storedFilePath(dir, f.id);
    const sealed = fs.readFileSync(blob);
    const flip = (at: number) => { const b = Buffer.from(sealed); b[at]! ^= 0x01; return b; };
    const mutations: [string, Buffer][] = [
      ['a ciphertext byte', flip(segmentAt(2) + 100)],
      ['a tag byte', flip(segmentAt(1) + SEGMENT + 5)],
      ['the IV in the header', flip(20)],
      ['the version byte', flip(8)],
      ['cut inside the last segment', sealed.subarray(0, sealed.length - 10)],
      ['cut at a segment boundary (final segment dropped)', sealed.subarray(0, segmentAt(4))],
      ['bytes appended', Buffer.concat([sealed, Buffer.from('extra')])],
      ['two segments swapped', Buffer.concat([sealed.subarray(0, segmentAt(0)), sealed.subarray(segmentAt(1), segmentAt(2)), sealed.subarray(segmentAt(0), segmentAt(1)), sealed.subarray(segmentAt(2))])],
      ['another file\'s sealed bytes', fs.readFileSync(storedFilePath(dir, (await storeFile(t.db, dir, { buffer: pattern(1000, 3), originalName: 'y', createdBy: me, allowed: 'any' })).id))],
      ['plaintext planted in its place', plain],
      ['emptied', Buffer.alloc(0)],
    ];
    const downloads = async () => Number((await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('action', '=', 'file.download').where('entity_id', '=', f.id).executeTakeFirstOrThrow()).n);
    const before = await downloads();
    for (const [label, bytes] of mutations) {
      fs.writeFileSync(blob, bytes);
      const res = await download(f.id);
      expect(res.statusCode, label).toBe(500);
      expect(errorOf(res).code, label).toBe('FILE_INTEGRITY');
      expect(errorOf(res).message, label).toMatch(/校验未通过/);
      expect(res.rawPayload.includes(plain.subarray(0, 32)), label).toBe(false);
      await expect((await openFile(t.db, f.id)).verify(), label).rejects.toBeInstanceOf(FileIntegrityError);
    }
    expect(await downloads()).toBe(before); // nothing was handed out
    fs.writeFileSync(blob, sealed);
    expect((await download(f.id)).rawPayload.equals(plain)).toBe(true);
  });

  it('read as a stream (files too large to check first), a file stops at the altered segment: only the checked segments before it are released', async () => {
    const f = await storeFile(t.db, dir, { buffer: plain, originalName: 'x.bin', createdBy: me, allowed: 'any' });
    const blob = storedFilePath(dir, f.id);
    const sealed = fs.readFileSync(blob);
    sealed[segmentAt(2) + 7]! ^= 0x80;
    fs.writeFileSync(blob, sealed);
    const received: Buffer[] = [];
    const err = await (async () => { for await (const c of (await openFile(t.db, f.id)).stream()) received.push(c as Buffer); })().then(() => null, (e) => e);
    expect(err).toBeInstanceOf(FileIntegrityError);
    const got = Buffer.concat(received);
    expect(got.length).toBe(2 * SEGMENT);
    expect(got.equals(plain.subarray(0, 2 * SEGMENT))).toBe(true);
  });
  it('over HTTP, a file too large to check before sending is cut at the altered segment: the answer is aborted, never completed', async () => {
    const big = Buffer.alloc(VERIFY_BEFORE_SEND_BYTES + 3 * SEGMENT, 0x37);
    const f = await storeFile(t.db, dir, { buffer: big, originalName: 'big.bin', createdBy: me, allowed: 'any', maxBytes: MAX_GENERATED_BYTES });
    const blob = storedFilePath(dir, f.id);
    const at = segmentAt(100) + 5;
    const fd = fs.openSync(blob, 'r+');
    try {
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0]! ^= 0x01;
      fs.writeSync(fd, b, 0, 1, at);
    } finally { fs.closeSync(fd); }
    const outcome = await download(f.id).then((res) => ({ status: res.statusCode, complete: res.rawPayload.length === big.length }), (e: Error) => ({ aborted: e.message }));
    expect(outcome).toEqual({ aborted: expect.stringMatching(/destroyed|aborted|closed/i) });
  }, 120_000);
});

describe('files stored before encryption', () => {
  it('a plaintext file from before is still served, then sealed by the start-up step, which removes every plaintext blob', async () => {
    const content = Buffer.from(`%PDF-1.4 legacy ${ID_NUMBER} 张测试 `.repeat(3000));
    const sha = createHash('sha256').update(content).digest('hex');
    const legacy = legacyFilePath(dir, sha);
    fs.mkdirSync(path.dirname(legacy), { recursive: true, mode: 0o755 });
    fs.writeFileSync(legacy, content, { mode: 0o644 });
    // Deduplicated before: two uploads of the same content shared one blob.
    const ids = [uuidv7(), uuidv7()];
    for (const id of ids) {
      await t.db.insertInto('files').values({ id, sha256: sha, size: content.length, mime: 'application/pdf', original_name: '旧.pdf', created_by: me }).execute();
    }
    // Left over from before: a plaintext blob no row names, and the temporary file of an interrupted write.
    const orphan = legacyFilePath(dir, 'f'.repeat(64));
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, `orphan ${ID_NUMBER}`);
    const tmp = path.join(dir, 'files', '.tmp-0123456789abcdef');
    fs.writeFileSync(tmp, `partial ${ID_NUMBER}`);
    fs.utimesSync(tmp, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    fs.rmSync(path.join(dir, 'files', '.sealed-at-rest'), { force: true });

    // Still served as it is, told apart by its first bytes (no sealed-file magic).
    const before = await download(ids[0]!);
    expect(before.statusCode).toBe(200);
    expect(before.rawPayload.equals(content)).toBe(true);

    const r = await encryptLegacyFiles(t.db, dir);
    expect(r.sealed).toBe(2);
    expect(r.removed).toBeGreaterThanOrEqual(3);
    for (const p of [legacy, orphan, tmp]) expect(fs.existsSync(p), p).toBe(false);
    for (const id of ids) {
      const row = await t.db.selectFrom('files').select('sha256').where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.sha256).toBeNull();
      const raw = fs.readFileSync(storedFilePath(dir, id));
      expect(raw.subarray(0, 8)).toEqual(SEALED_MAGIC);
      expect(raw.includes(ID_NUMBER)).toBe(false);
      expect(fs.statSync(storedFilePath(dir, id)).mode & 0o777).toBe(0o600);
      const res = await download(id);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(content)).toBe(true);
    }
    // No plaintext of it anywhere under files/ any more.
    for (const p of allFiles(path.join(dir, 'files'))) expect(fs.readFileSync(p).includes(`legacy ${ID_NUMBER}`), p).toBe(false);
    // One-time: a second run finds nothing to do.
    expect(await encryptLegacyFiles(t.db, dir)).toEqual({ sealed: 0, missing: 0, removed: 0 });
  });
});
