import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { testApp, type TestApp } from './helpers/app.js';
import { DEMO_PASSWORD } from '../src/platform/org/demo/seed.js';
import { attachFile, registerFileAccess, storeFile } from '../src/platform/files/index.js';

/**
 * Page weight: the web app's files go out compressed (the build's .br/.gz copies), hashed assets are
 * cached for good and index.html is revalidated; the API's JSON is compressed on the fly, files and
 * spreadsheets never are. A small built app in a temporary directory stands in for web/dist.
 */
const JS = `/* app */\n${Array.from({ length: 400 }, (_, i) => `export const label${i} = "街道通 label ${i}";`).join('\n')}\n`;
const HTML = `<!doctype html><html lang="zh-CN"><head><meta charset="UTF-8"><title>街道通</title><script type="module" crossorigin src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div>${'<!-- padding -->'.repeat(80)}</body></html>`;
const IMMUTABLE = 'public, max-age=31536000, immutable';

let t: TestApp;
let webDir: string;

function writeWithCopies(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(content));
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(content));
}

beforeAll(async () => {
  webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jiedao-web-'));
  writeWithCopies(path.join(webDir, 'index.html'), HTML);
  writeWithCopies(path.join(webDir, 'assets', 'index-Ab12Cd34.js'), JS);
  t = await testApp({ webDir });
});
afterAll(async () => {
  await t?.close();
  if (webDir) fs.rmSync(webDir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}, extra: Partial<InjectOptions> = {}) =>
  t.app.inject({ method: 'GET', url, headers, ...extra });

async function sessionCookie(username: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: DEMO_PASSWORD } });
  expect(res.statusCode).toBe(200);
  return res.cookies.find((c) => c.name === 'jiedao_sid')!.value;
}

describe('the web app\'s files', () => {
  it('a hashed asset is sent as its brotli copy to a browser that accepts br, cached immutably', async () => {
    const res = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^(?:application|text)\/javascript/);
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(String(res.headers.vary)).toMatch(/accept-encoding/i);
    expect(Number(res.headers['content-length'])).toBeLessThan(Buffer.byteLength(JS) / 4);
    expect(zlib.brotliDecompressSync(res.rawPayload).toString()).toBe(JS);
  });

  it('gzip to a browser without br; the plain file to one that accepts neither', async () => {
    const gz = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['cache-control']).toBe(IMMUTABLE);
    expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(JS);

    const plain = await get('/assets/index-Ab12Cd34.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe(IMMUTABLE);
    expect(plain.body).toBe(JS);
  });

  it('index.html is revalidated on every visit (no-cache), at / and as the fallback of the app\'s routes', async () => {
    for (const url of ['/', '/login', '/population/persons?page=2']) {
      const res = await get(url, { 'accept-encoding': 'br' });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.headers['content-encoding'], url).toBe('br');
      expect(zlib.brotliDecompressSync(res.rawPayload).toString(), url).toBe(HTML);
      // Revalidation: the same page answers 304 to its ETag.
      const etag = res.headers.etag as string;
      expect(etag, url).toBeTruthy();
      expect((await get(url, { 'accept-encoding': 'br', 'if-none-match': etag })).statusCode, url).toBe(304);
    }
    const plain = await get('/login');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(HTML);
  });

  it('a missing asset (a chunk of an older build) is a 404, never the HTML page; compressed copies have no URL of their own', async () => {
    for (const url of ['/assets/index-Zz99Yy88.js', '/assets/index-Ab12Cd34.js.br', '/assets/index-Ab12Cd34.js.gz']) {
      const res = await get(url, { 'accept-encoding': 'br' });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    // Outside /assets/ an unknown path is one of the app's routes: the page, not the gzip bytes.
    const page = await get('/index.html.gz');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-encoding']).toBeUndefined();
    expect(page.body).toBe(HTML);
  });
});

describe('API answers', () => {
  it('JSON above 1 KB is compressed for a client that accepts it, and stays no-store; small answers are not', async () => {
    const cookie = await sessionCookie('shuji');
    const plain = await get('/api/v1/org/tree', {}, { cookies: { jiedao_sid: cookie } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(1024);

    const br = await get('/api/v1/org/tree', { 'accept-encoding': 'br' }, { cookies: { jiedao_sid: cookie } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('no-store');
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(JSON.parse(zlib.brotliDecompressSync(br.rawPayload).toString())).toEqual(plain.json());

    const gz = await get('/api/v1/org/tree', { 'accept-encoding': 'gzip' }, { cookies: { jiedao_sid: cookie } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(zlib.gunzipSync(gz.rawPayload).toString())).toEqual(plain.json());

    const health = await get('/api/v1/health', { 'accept-encoding': 'br' });
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-encoding']).toBeUndefined();
  });

  it('file downloads and spreadsheets go out as stored: no content-encoding, exact bytes and length', async () => {
    const owner = '018f0000-0000-7000-8000-0000000000bb';
    registerFileAccess('test_web_assets', async () => true);
    const liuguan = await sessionCookie('liuguan');
    const me = (await get('/api/v1/auth/me', {}, { cookies: { jiedao_sid: liuguan } })).json().user.id as string;
    // An export-like spreadsheet, an image and an unknown binary (text inside, which compresses well).
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(4096, 0x41)]);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4096, 0x42)]);
    const bin = Buffer.from('plain text pretending to be a file '.repeat(200));
    for (const [buffer, allowed] of [[xlsx, 'xlsx'], [png, 'image_pdf'], [bin, 'any']] as const) {
      const f = await storeFile(t.db, t.config.dataDir, { buffer, originalName: `f.${allowed}`, createdBy: me, allowed });
      await attachFile(t.db, f.id, 'test_web_assets', owner);
      const res = await get(`/api/v1/files/${f.id}`, { 'accept-encoding': 'br, gzip' }, { cookies: { jiedao_sid: liuguan } });
      expect(res.statusCode, allowed).toBe(200);
      expect(res.headers['content-encoding'], allowed).toBeUndefined();
      expect(Number(res.headers['content-length']), allowed).toBe(buffer.length);
      expect(res.rawPayload.equals(buffer), allowed).toBe(true);
    }

    // The import template, a spreadsheet built per request.
    const tpl = await get('/api/v1/population/imports/template', { 'accept-encoding': 'br, gzip' }, { cookies: { jiedao_sid: liuguan } });
    expect(tpl.statusCode).toBe(200);
    expect(tpl.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(tpl.headers['content-encoding']).toBeUndefined();
    expect(tpl.rawPayload.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
  });
});
