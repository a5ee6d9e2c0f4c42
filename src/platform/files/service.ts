import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import type { FileRow } from '../db/schema.js';
import type { Actor } from '../auth/actor.js';
import { AppError, notFound, unprocessable } from '../http/errors.js';

/**
 * Stored files (附件): the bytes live once per content under `<dataDir>/files/<sha[0..2]>/<sha>`,
 * each upload gets its own row in `files` (name, uploader, owner). The type is decided by the
 * content's magic bytes, never by the file name.
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

const blobPath = (dataDir: string, sha256: string) => path.join(dataDir, 'files', sha256.slice(0, 2), sha256);

/** A name safe to keep and to send back: no directories, no control characters, at most 200 characters. */
function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return (base || 'file').slice(0, 200);
}

export interface StoredFile { id: string; sha256: string; size: number; mime: string; originalName: string }

export interface StoreFileInput {
  buffer?: Buffer;
  /** A file on disk (left in place; its content is copied). */
  path?: string;
  originalName: string;
  createdBy: string | null;
  allowed: AllowedKind;
  maxBytes?: number;
}

/** Checks type and size, writes the blob once per content and records a `files` row (in `db`, which may be a transaction). */
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
  const tmp = path.join(root, 'files', `.tmp-${randomBytes(8).toString('hex')}`);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  const hash = createHash('sha256');
  try {
    if (input.buffer) {
      hash.update(input.buffer);
      fs.writeFileSync(tmp, input.buffer);
    } else {
      await pipeline(fs.createReadStream(input.path!), async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) { hash.update(chunk); yield chunk; }
      }, fs.createWriteStream(tmp));
    }
    const sha256 = hash.digest('hex');
    const target = blobPath(root, sha256);
    if (fs.existsSync(target)) {
      fs.rmSync(tmp);
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(tmp, target);
    }
    const row = { id: uuidv7(), sha256, size, mime, original_name: cleanName(input.originalName), created_by: input.createdBy };
    await db.insertInto('files').values(row).execute();
    return { id: row.id, sha256, size, mime, originalName: row.original_name };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface OpenedFile {
  id: string; sha256: string; size: number; mime: string; originalName: string;
  createdBy: string | null; ownerKind: string | null; ownerId: string | null;
  /** The blob on disk (read-only: it may be shared with other uploads of the same content). */
  path: string;
  stream(): Readable;
}

/** The file's metadata and content; 404 NOT_FOUND when there is no such file. */
export async function openFile(db: Db, id: string, dataDir?: string): Promise<OpenedFile> {
  const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('未找到该文件。');
  const p = blobPath(fileStoreDir(dataDir), row.sha256);
  if (!fs.existsSync(p)) throw notFound('文件内容已丢失，请联系系统管理员。');
  return {
    id: row.id, sha256: row.sha256, size: row.size, mime: row.mime, originalName: row.original_name,
    createdBy: row.created_by, ownerKind: row.owner_kind, ownerId: row.owner_id,
    path: p, stream: () => fs.createReadStream(p),
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
