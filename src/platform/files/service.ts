import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import type { FileRow } from '../db/schema.js';
import type { Actor } from '../auth/actor.js';
import { AppError, notFound, unprocessable } from '../http/errors.js';
import { FileIntegrityError, isSealed, openSealedStream, SEALED_MAGIC, sealStream } from './sealed.js';

/**
 * Stored files (附件): each upload's bytes are encrypted at rest (SM4-CTR + HMAC-SM3 per segment,
 * sealed.ts) in their own blob `<dataDir>/files/<id[-2..]>/<id>` (mode 0600, directories 0700), named
 * after the row, never after the content; each row carries the name, uploader and owner. The type
 * is decided by the content's magic bytes, never by the file name.
 *
 * Files stored before encryption (`sha256` set on the row) are plaintext blobs at
 * `<dataDir>/files/<sha[0..2]>/<sha>`, possibly shared by several rows: they are still served, and
 * `encryptLegacyFiles` (run at start-up) seals each into its own blob and removes the plaintext.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Uploaded spreadsheets (imports of a whole community's legacy list, comparison lists). */
export const MAX_SPREADSHEET_BYTES = 50 * 1024 * 1024;
/** Files the system writes itself (exports, comparison results, error lists): bounded by the data, not by upload rules. */
export const MAX_GENERATED_BYTES = 2 * 1024 * 1024 * 1024;
/** The largest request body the multipart parser accepts; each upload's own kind then applies its limit. */
export const MAX_UPLOAD_BYTES = Math.max(MAX_FILE_BYTES, MAX_SPREADSHEET_BYTES);

export type AllowedKind = 'image_pdf' | 'xlsx' | 'any';

export const MIME = {
  jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', other: 'application/octet-stream',
} as const;

/** The content type from the first bytes of a file (at least 12 bytes for WEBP). */
export function sniffMime(head: Buffer): string {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => head[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return MIME.jpeg;
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return MIME.png;
  if (head.subarray(0, 6).toString('latin1') === 'GIF87a' || head.subarray(0, 6).toString('latin1') === 'GIF89a') return MIME.gif;
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return MIME.webp;
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return MIME.pdf;
  if (starts([0x50, 0x4b, 0x03, 0x04])) return MIME.xlsx;
  return MIME.other;
}

const ALLOWED: Record<AllowedKind, { mimes: string[] | null; label: string }> = {
  image_pdf: { mimes: [MIME.jpeg, MIME.png, MIME.gif, MIME.webp, MIME.pdf], label: '图片（JPEG、PNG、GIF、WEBP）或 PDF' },
  xlsx: { mimes: [MIME.xlsx], label: 'Excel（.xlsx）' },
  any: { mimes: null, label: '任意' },
};

export const fileTooLarge = (maxBytes = MAX_FILE_BYTES) =>
  unprocessable('FILE_TOO_LARGE', `文件超过 ${Math.round(maxBytes / 1024 / 1024)} MB 的上限。`, [{ path: 'file', code: 'FILE_TOO_LARGE', message: `不能超过 ${maxBytes} 字节` }]);

let defaultDataDir: string | undefined;
/** Sets the data directory used when a call does not name one (buildApp sets it from the config). */
export function configureFileStore(dataDir: string): void {
  defaultDataDir = dataDir;
}
export function fileStoreDir(dataDir?: string): string {
  const dir = dataDir ?? defaultDataDir;
  if (!dir) throw new Error('file store data directory is not configured');
  return dir;
}

/** Where a file's sealed blob lives (named after the row id: its random tail spreads the directories). */
export const storedFilePath = (dataDir: string, id: string) => path.join(dataDir, 'files', id.slice(-2), id);
/** Where a plaintext blob from before encryption lives (content-addressed, shared by equal uploads). */
export const legacyFilePath = (dataDir: string, sha256: string) => path.join(dataDir, 'files', sha256.slice(0, 2), sha256);

/** Creates a blob directory; it and the `files` root are readable by the server's user only (0700, also when made earlier with 0755). */
export function ensureBlobDir(dataDir: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const d of [path.join(dataDir, 'files'), dir]) {
    if ((fs.statSync(d).mode & 0o777) !== 0o700) fs.chmodSync(d, 0o700);
  }
}

/** A name safe to keep and to send back: no directories, no control characters, at most 200 characters. */
function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (base || 'file').slice(0, 200);
}

export interface StoredFile { id: string; size: number; mime: string; originalName: string }

export interface StoreFileInput {
  buffer?: Buffer;
  /** A file on disk (left in place; its content is copied). */
  path?: string;
  originalName: string;
  createdBy: string | null;
  allowed: AllowedKind;
  maxBytes?: number;
}

/**
 * Checks type and size, writes the sealed blob (streamed: a path is never read whole) and records a
 * `files` row (in `db`, which may be a transaction).
 */
export async function storeFile(db: Db, dataDir: string, input: StoreFileInput): Promise<StoredFile> {
  const maxBytes = input.maxBytes ?? MAX_FILE_BYTES;
  let size: number;
  let head: Buffer;
  if (input.buffer) {
    size = input.buffer.length;
    head = input.buffer.subarray(0, 16);
  } else if (input.path) {
    size = fs.statSync(input.path).size;
    head = Buffer.alloc(16);
    const fd = fs.openSync(input.path, 'r');
    try { head = head.subarray(0, fs.readSync(fd, head, 0, 16, 0)); } finally { fs.closeSync(fd); }
  } else {
    throw new Error('storeFile needs a buffer or a path');
  }
  if (size > maxBytes) throw fileTooLarge(maxBytes);
  const mime = sniffMime(head);
  const allowed = ALLOWED[input.allowed];
  if (allowed.mimes && !allowed.mimes.includes(mime)) {
    throw unprocessable('FILE_TYPE_NOT_ALLOWED', `文件类型不允许：只接受${allowed.label}。`, [{ path: 'file', code: 'FILE_TYPE_NOT_ALLOWED', message: '文件内容与允许的类型不符' }]);
  }

  const root = fileStoreDir(dataDir);
  const id = uuidv7();
  const target = storedFilePath(root, id);
  ensureBlobDir(root, path.dirname(target));
  const tmp = path.join(root, 'files', `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    const counted = { bytes: 0 };
    const source = input.buffer ? Readable.from([input.buffer]) : fs.createReadStream(input.path!);
    await pipeline(source, sealStream(id, counted), fs.createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
    // A file on disk that grew after it was measured is measured again.
    if (counted.bytes > maxBytes) throw fileTooLarge(maxBytes);
    fs.renameSync(tmp, target);
    const row = { id, sha256: null, size: counted.bytes, mime, original_name: cleanName(input.originalName), created_by: input.createdBy };
    try {
      await db.insertInto('files').values(row).execute();
    } catch (e) {
      fs.rmSync(target, { force: true });
      throw e;
    }
    return { id, size: row.size, mime, originalName: row.original_name };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** 410 FILE_EXPIRED: a transient file past the policy pack's `files.retentionDays` (retention.ts). */
export const fileExpired = () =>
  new AppError(410, 'FILE_EXPIRED', '该文件已超过保存期限，已按规定删除。如仍需要，请重新导出或重新上传。');

/** Files up to this size are checked whole before the first byte is sent, so a damaged one is a clean error. */
export const VERIFY_BEFORE_SEND_BYTES = 64 * 1024 * 1024;

export interface OpenedFile {
  id: string; size: number; mime: string; originalName: string;
  createdBy: string | null; ownerKind: string | null; ownerId: string | null;
  /** The plaintext, decrypted as it is read; a segment that fails its check errors the stream (FileIntegrityError) before any of its bytes. */
  stream(): Readable;
  /** Reads the whole blob and checks every tag without keeping anything (FileIntegrityError when it fails). */
  verify(): Promise<void>;
}

/**
 * The stored bytes as plaintext. The format is told by the blob's first bytes: sealed (magic) → checked
 * and decrypted; anything else is plaintext, accepted only from a legacy blob (`plaintextAllowed`)
 * — a plaintext file planted where a sealed one belongs is refused like any altered file.
 */
export async function* readStored(file: string, fileId: string, plaintextAllowed: boolean, verifyOnly: boolean): AsyncGenerator<Buffer> {
  const source = fs.createReadStream(file);
  try {
    const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first: Buffer[] = [];
    let length = 0;
    let done = false;
    while (length < SEALED_MAGIC.length) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      first.push(r.value);
      length += r.value.length;
    }
    const head = Buffer.concat(first);
    const rest = async function* () {
      yield head;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    if (isSealed(head)) {
      yield* openSealedStream(fileId, { verifyOnly })(rest());
    } else if (plaintextAllowed) {
      if (!verifyOnly) yield* rest();
    } else {
      throw new FileIntegrityError();
    }
  } finally {
    source.destroy();
  }
}

/** A row's blob: its own sealed blob, or (stored before encryption) the shared legacy one. */
function locate(dataDir: string, row: Pick<FileRow, 'id' | 'sha256'>): { file: string; legacy: boolean } {
  return row.sha256 ? { file: legacyFilePath(dataDir, row.sha256), legacy: true } : { file: storedFilePath(dataDir, row.id), legacy: false };
}

/**
 * The file's metadata and content; 404 NOT_FOUND when there is no such file, 410 FILE_EXPIRED when
 * retention removed it.
 */
export async function openFile(db: Db, id: string, dataDir?: string): Promise<OpenedFile> {
  const root = fileStoreDir(dataDir);
  const read = () => db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  let row = await read();
  if (!row) throw notFound('未找到该文件。');
  if (row.expired_at) throw fileExpired();
  let where = locate(root, row);
  // A legacy blob may have just been sealed into the row's own blob (encryptLegacyFiles): read the row again.
  if (where.legacy && !fs.existsSync(where.file)) {
    row = (await read()) ?? row;
    if (row.expired_at) throw fileExpired();
    where = locate(root, row);
  }
  if (!fs.existsSync(where.file)) throw notFound('文件内容已丢失，请联系系统管理员。');
  const { file, legacy } = where;
  return {
    id: row.id, size: row.size, mime: row.mime, originalName: row.original_name,
    createdBy: row.created_by, ownerKind: row.owner_kind, ownerId: row.owner_id,
    stream: () => Readable.from(readStored(file, row.id, legacy, false), { objectMode: false }),
    verify: async () => { for await (const _ of readStored(file, row.id, legacy, true)) { /* nothing is yielded */ } },
  };
}

/**
 * Makes a file belong to a record (an incident, a job…), whose access check then decides who may
 * read it. A file already attached to another record is refused (409 FILE_ALREADY_ATTACHED), so one
 * user's upload cannot be taken over by naming its id; with `createdBy`, only that user's upload.
 */
export async function attachFile(db: Db, fileId: string, ownerKind: string, ownerId: string, opts: { createdBy?: string } = {}): Promise<void> {
  const row = await db.selectFrom('files').select(['created_by', 'owner_kind', 'owner_id']).where('id', '=', fileId).forUpdate().executeTakeFirst();
  if (!row || (opts.createdBy !== undefined && row.created_by !== opts.createdBy)) throw notFound('未找到该文件。');
  if (row.owner_kind === ownerKind && row.owner_id === ownerId) return;
  if (row.owner_kind !== null) throw new AppError(409, 'FILE_ALREADY_ATTACHED', '该文件已属于其他记录。');
  await db.updateTable('files').set({ owner_kind: ownerKind, owner_id: ownerId }).where('id', '=', fileId).execute();
}

export type FileAccessCheck = (db: Db, actor: Actor, ownerId: string) => Promise<boolean>;
const accessChecks = new Map<string, FileAccessCheck>();

/** Who may read files attached to records of `ownerKind` (the module owning those records decides). */
export function registerFileAccess(ownerKind: string, check: FileAccessCheck): void {
  accessChecks.set(ownerKind, check);
}

/** The uploader may always read their file; anyone else only through the owner's access check. */
export async function mayReadFile(db: Db, actor: Actor, file: Pick<FileRow, 'created_by' | 'owner_kind' | 'owner_id'>): Promise<boolean> {
  if (file.created_by === actor.userId) return true;
  if (!file.owner_kind || !file.owner_id) return false;
  const check = accessChecks.get(file.owner_kind);
  return check ? check(db, actor, file.owner_id) : false;
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 5987 / RFC 6266). */
export function contentDisposition(name: string, disposition: 'inline' | 'attachment' = 'attachment'): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
