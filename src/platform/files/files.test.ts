import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, testApp, type TestApp } from '../../../test/helpers/app.js';
import { buildApp, type App } from '../../server/app.js';
import { inTransaction } from '../db/index.js';
import { AppError } from '../http/errors.js';
import { attachFile, contentDisposition, MAX_FILE_BYTES, openFile, registerFileAccess, storedFilePath, storeFile } from './index.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000000dIHDR-png-body')]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([40, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(20)]);
const GIF = Buffer.from('GIF89a-gif-body');
const XLSX = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(30)]);

let t: TestApp;
let userId: (username: string) => Promise<string>;
beforeAll(async () => {
  t = await testApp();
  userId = async (username) => (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
});
afterAll(async () => { await t.close(); });

const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};

describe('storing files', () => {
  it('a PNG renamed .pdf is stored as image/png; a text file renamed .jpg is refused', async () => {
    const png = await storeFile(t.db, t.config.dataDir, { buffer: PNG, originalName: '现场照片.pdf', createdBy: null, allowed: 'image_pdf' });
    expect(png.mime).toBe('image/png');
    for (const [buffer, mime] of [[PDF, 'application/pdf'], [JPEG, 'image/jpeg'], [WEBP, 'image/webp'], [GIF, 'image/gif']] as const) {
      expect((await storeFile(t.db, t.config.dataDir, { buffer, originalName: 'x.bin', createdBy: null, allowed: 'image_pdf' })).mime).toBe(mime);
    }
    const err = await refusal(storeFile(t.db, t.config.dataDir, { buffer: Buffer.from('hello, not an image'), originalName: '照片.jpg', createdBy: null, allowed: 'image_pdf' }));
    expect([err.status, err.code]).toEqual([422, 'FILE_TYPE_NOT_ALLOWED']);
    // An xlsx upload must be a zip; a PDF named .xlsx is refused; 'any' takes anything.
    expect((await storeFile(t.db, t.config.dataDir, { buffer: XLSX, originalName: 'a.xlsx', createdBy: null, allowed: 'xlsx' })).mime)
      .toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect((await refusal(storeFile(t.db, t.config.dataDir, { buffer: PDF, originalName: 'a.xlsx', createdBy: null, allowed: 'xlsx' }))).code).toBe('FILE_TYPE_NOT_ALLOWED');
    expect((await storeFile(t.db, t.config.dataDir, { buffer: Buffer.from('plain'), originalName: 'a.txt', createdBy: null, allowed: 'any' })).mime).toBe('application/octet-stream');
  });

  it('a file larger than 10 MB is refused', async () => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 0);
    big.set(PNG);
    const err = await refusal(storeFile(t.db, t.config.dataDir, { buffer: big, originalName: 'big.png', createdBy: null, allowed: 'image_pdf' }));
    expect([err.status, err.code]).toEqual([422, 'FILE_TOO_LARGE']);
    const onDisk = path.join(t.config.dataDir, 'big-upload.png');
    fs.writeFileSync(onDisk, big);
    expect((await refusal(storeFile(t.db, t.config.dataDir, { path: onDisk, originalName: 'big.png', createdBy: null, allowed: 'image_pdf' }))).code).toBe('FILE_TOO_LARGE');
    fs.rmSync(onDisk);
    // Exactly at the limit is fine; a smaller limit can be given.
    expect((await storeFile(t.db, t.config.dataDir, { buffer: big.subarray(0, MAX_FILE_BYTES), originalName: 'ok.png', createdBy: null, allowed: 'image_pdf' })).size).toBe(MAX_FILE_BYTES);
    expect((await refusal(storeFile(t.db, t.config.dataDir, { buffer: PNG, originalName: 'x.png', createdBy: null, allowed: 'image_pdf', maxBytes: 10 }))).code).toBe('FILE_TOO_LARGE');
  });

  it('each upload has its own sealed blob, named after its row and not after its content, with a row per upload', async () => {
    // Deduplication by content was dropped with encryption at rest (README: one blob per row).
    const content = Buffer.concat([PDF, Buffer.from(`dedup-${Date.now()}`)]);
    const a = await storeFile(t.db, t.config.dataDir, { buffer: content, originalName: '甲.pdf', createdBy: null, allowed: 'image_pdf' });
    const src = path.join(t.config.dataDir, 'dedup-source.pdf');
    fs.writeFileSync(src, content);
    const b = await storeFile(t.db, t.config.dataDir, { path: src, originalName: '..\\..\\乙.pdf', createdBy: null, allowed: 'image_pdf' });
    fs.rmSync(src);
    expect(a.id).not.toBe(b.id);
    expect(b.originalName).toBe('乙.pdf'); // no directories kept from the client's name
    const blobA = storedFilePath(t.config.dataDir, a.id);
    const blobB = storedFilePath(t.config.dataDir, b.id);
    expect(fs.existsSync(blobA) && fs.existsSync(blobB)).toBe(true);
    expect(fs.readFileSync(blobA).equals(fs.readFileSync(blobB))).toBe(false); // a random IV per file
    const opened = await openFile(t.db, b.id);
    const chunks: Buffer[] = [];
    for await (const c of opened.stream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(content);
    expect(opened).toMatchObject({ mime: 'application/pdf', size: content.length, originalName: '乙.pdf' });
  });

  it('a file attached to one record cannot be attached to another', async () => {
    const f = await storeFile(t.db, t.config.dataDir, { buffer: PNG, originalName: 'p.png', createdBy: null, allowed: 'image_pdf' });
    const owner = '018f0000-0000-7000-8000-000000000001';
    await inTransaction(t.db, (tx) => attachFile(tx, f.id, 'test_record', owner));
    await attachFile(t.db, f.id, 'test_record', owner); // the same owner again: no change
    const err = await refusal(attachFile(t.db, f.id, 'test_record', '018f0000-0000-7000-8000-000000000002'));
    expect([err.status, err.code]).toEqual([409, 'FILE_ALREADY_ATTACHED']);
    // With createdBy, only that user's own upload can be attached.
    const g = await storeFile(t.db, t.config.dataDir, { buffer: PNG, originalName: 'p.png', createdBy: await userId('liuguan'), allowed: 'image_pdf' });
    expect((await refusal(attachFile(t.db, g.id, 'test_record', owner, { createdBy: await userId('zhan-sh') }))).code).toBe('NOT_FOUND');
  });
});

describe('serving files', () => {
  it('a file is served only to users allowed by its owner\'s access check (others get 404)', async () => {
    const incident = '018f0000-0000-7000-8000-0000000000aa';
    registerFileAccess('test_incident', async (_db, actor, ownerId) => ownerId === incident && actor.username === 'zhan-sh');
    const uploader = await userId('wangge-sh-1');
    const f = await storeFile(t.db, t.config.dataDir, { buffer: PNG, originalName: '现场照片 (1).png', createdBy: uploader, allowed: 'image_pdf' });
    await attachFile(t.db, f.id, 'test_incident', incident);

    const station = await t.login('zhan-sh');
    const ok = await station.get(`/api/v1/files/${f.id}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('image/png');
    expect(ok.headers['content-disposition']).toBe(`inline; filename="____ (1).png"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87%20%281%29.png`);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.rawPayload).toEqual(PNG);
    // The uploader may always read their own file.
    expect((await (await t.login('wangge-sh-1')).get(`/api/v1/files/${f.id}`)).statusCode).toBe(200);
    // Anyone else: 404, exactly as for a file that does not exist.
    const other = await t.login('wangge-sh-2');
    const denied = await other.get(`/api/v1/files/${f.id}`);
    expect(denied.statusCode).toBe(404);
    expect(errorOf(denied).code).toBe('NOT_FOUND');
    expect(errorOf(await other.get('/api/v1/files/018f0000-0000-7000-8000-00000000ffff')).code).toBe('NOT_FOUND');
    // A file of an owner kind nobody registered a check for: the uploader only.
    const g = await storeFile(t.db, t.config.dataDir, { buffer: PDF, originalName: 'x.pdf', createdBy: uploader, allowed: 'image_pdf' });
    await attachFile(t.db, g.id, 'unregistered_kind', incident);
    expect((await station.get(`/api/v1/files/${g.id}`)).statusCode).toBe(404);
    // Not signed in: 401; a malformed id: 400.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/files/${f.id}` })).statusCode).toBe(401);
    expect(errorOf(await station.get('/api/v1/files/not-a-uuid')).code).toBe('VALIDATION_FAILED');
  });

  it('a download is audited as file.download', async () => {
    const f = await storeFile(t.db, t.config.dataDir, { buffer: XLSX, originalName: '导出.xlsx', createdBy: await userId('liuguan'), allowed: 'xlsx' });
    const res = await (await t.login('liuguan')).get(`/api/v1/files/${f.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="__\.xlsx"; filename\*=UTF-8''%E5%AF%BC%E5%87%BA\.xlsx$/);
    const events = await t.db.selectFrom('audit_events').select(['action', 'entity_id']).where('action', '=', 'file.download').where('entity_id', '=', f.id).execute();
    expect(events).toHaveLength(1);
  });

  it('Content-Disposition encodes names per RFC 5987 and keeps an ASCII fallback', () => {
    expect(contentDisposition('a"b\\c.pdf')).toBe(`attachment; filename="a_b_c.pdf"; filename*=UTF-8''a%22b%5Cc.pdf`);
    expect(contentDisposition("it's (x)*.pdf", 'inline')).toBe(`inline; filename="it's (x)*.pdf"; filename*=UTF-8''it%27s%20%28x%29%2A.pdf`);
  });
});

describe('uploads', () => {
  let app: App;
  beforeAll(async () => {
    // The test app plus one upload route, as a module would write it.
    app = await buildApp(t.config, { db: t.db, kind: process.env.DATABASE_URL ? 'postgres' : 'pglite', close: async () => {} });
    app.post('/api/v1/test/uploads', async (req, reply) => {
      const file = await req.file();
      const stored = await storeFile(t.db, t.config.dataDir, { buffer: await file!.toBuffer(), originalName: file!.filename, createdBy: req.actor!.userId, allowed: 'image_pdf' });
      return reply.status(201).send({ fileId: stored.id });
    });
    await app.ready();
  });
  afterAll(async () => { await app.close(); });

  const upload = async (content: Buffer, filename: string, files = 1) => {
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'liuguan', password: 'Jiedao@2026' } });
    const sid = login.cookies.find((c) => c.name === 'jiedao_sid')!.value;
    const boundary = '----jiedao-test-boundary';
    const part = (i: number) => Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file${i}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content, Buffer.from('\r\n'),
    ]);
    const payload = Buffer.concat([...Array.from({ length: files }, (_, i) => part(i)), Buffer.from(`--${boundary}--\r\n`)]);
    return app.inject({
      method: 'POST', url: '/api/v1/test/uploads', payload, cookies: { jiedao_sid: sid },
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-csrf-token': login.json().csrfToken },
    });
  };

  it('an upload over the limit answers 422 FILE_TOO_LARGE in the standard error shape', async () => {
    const ok = await upload(PNG, '照片.png');
    expect(ok.statusCode).toBe(201);
    const big = Buffer.alloc(MAX_FILE_BYTES + 200 * 1024, 1);
    big.set(PNG);
    const res = await upload(big, 'big.png');
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('FILE_TOO_LARGE');
    // Just over 10 MB (inside multipart's margin): storeFile refuses it the same way.
    const res2 = await upload(big.subarray(0, MAX_FILE_BYTES + 1), 'big.png');
    expect([res2.statusCode, errorOf(res2).code]).toEqual([422, 'FILE_TOO_LARGE']);
    // Content decides, not the name.
    const txt = await upload(Buffer.from('just text'), 'photo.jpg');
    expect([txt.statusCode, errorOf(txt).code]).toEqual([422, 'FILE_TYPE_NOT_ALLOWED']);
  });

  it('an upload that is not multipart answers 400 VALIDATION_FAILED', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'liuguan', password: 'Jiedao@2026' } });
    const res = await app.inject({
      method: 'POST', url: '/api/v1/test/uploads', payload: { file: 'x' }, cookies: { jiedao_sid: login.cookies.find((c) => c.name === 'jiedao_sid')!.value },
      headers: { 'x-csrf-token': login.json().csrfToken },
    });
    expect([res.statusCode, errorOf(res).code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
