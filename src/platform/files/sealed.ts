import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual, type Cipher, type Decipher } from 'node:crypto';
import { randomBlock } from '../crypto/random.js';
import { dataKeys } from '../crypto/keys.js';
import { AppError } from '../http/errors.js';

/**
 * Stored files at rest (国密): SM4-CTR encrypted and authenticated with HMAC-SM3 per segment, so a
 * file of any size is written and read as a stream and no byte is released before its segment's
 * tag is checked.
 *
 * Keys: the data keys' `fileKey` (HKDF from the master key, label `jiedao-file`, like the fields'
 * keys) is the root; each file has a random 16-byte IV, and its own keys, bound to its row id (so a
 * blob copied over another file's does not authenticate there), are
 *   enc = HMAC-SM3(fileKey, "jiedao-file-sm4" 0x00 IV 0x00 id)[0..16]   (SM4-CTR, counter starting at IV)
 *   mac = HMAC-SM3(fileKey, "jiedao-file-sm3-mac" 0x00 IV 0x00 id)
 *
 * Format (version 1):
 *   header  magic 89 4A 44 46 0D 0A 1A 0A ("\x89JDF\r\n\x1a\n") · version 01 · log2(segment) 10 · 00 00 · IV (16)
 *   then segments: ciphertext (2^16 = 64 KiB, the last one 0…64 KiB) · tag (32)
 *   tag_i = HMAC-SM3(mac, header · u64be(i) · u8(final) · ciphertext_i)   — encrypt-then-MAC
 * The index stops segments being reordered, the final flag stops truncation or extension, and the
 * header (with the IV) is bound into every tag. An empty file is one empty final segment.
 */
export const SEALED_MAGIC = Buffer.from([0x89, 0x4a, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const VERSION = 1;
const SEGMENT_LOG2 = 16;
const HEADER_BYTES = SEALED_MAGIC.length + 4 + 16;
const TAG_BYTES = 32;

/** A stored file whose bytes do not authenticate: altered, truncated, or not ours. Never served. */
export class FileIntegrityError extends AppError {
  constructor() {
    super(500, 'FILE_INTEGRITY', '文件内容校验未通过（可能已损坏或被篡改），已拒绝提供。请联系系统管理员。');
  }
}

export const isSealed = (head: Buffer) => head.length >= SEALED_MAGIC.length && head.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC);

function fileKeys(iv: Buffer, fileId: string, root: Buffer) {
  const derive = (label: string) => createHmac('sm3', root).update(label).update('\u0000').update(iv).update('\u0000').update(fileId).digest();
  return { enc: derive('jiedao-file-sm4').subarray(0, 16), mac: derive('jiedao-file-sm3-mac') };
}

function segmentTag(mac: Buffer, header: Buffer, index: number, final: boolean, ct: Buffer): Buffer {
  const meta = Buffer.alloc(9);
  meta.writeBigUInt64BE(BigInt(index), 0);
  meta[8] = final ? 1 : 0;
  return createHmac('sm3', mac).update(header).update(meta).update(ct).digest();
}

/** Collects chunks and hands out exact-size pieces without copying more than needed. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const first = this.chunks[0]!;
      const need = n - at;
      if (first.length <= need) {
        first.copy(out, at);
        at += first.length;
        this.chunks.shift();
      } else {
        first.copy(out, at, 0, need);
        this.chunks[0] = first.subarray(need);
        at += need;
      }
    }
    this.length -= n;
    return out;
  }
}

const toBuffer = (c: Buffer | string | Uint8Array) => (Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));

/** Encrypts a stream of plaintext into the sealed format for the file `fileId` (a `pipeline` stage). `counter.bytes` ends as the plaintext size. */
export function sealStream(fileId: string, counter: { bytes: number } = { bytes: 0 }, root: Buffer = dataKeys().fileKey) {
  return async function* seal(source: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<Buffer> {
    const iv = randomBlock(16);
    const header = Buffer.alloc(HEADER_BYTES);
    SEALED_MAGIC.copy(header, 0);
    header[SEALED_MAGIC.length] = VERSION;
    header[SEALED_MAGIC.length + 1] = SEGMENT_LOG2;
    iv.copy(header, SEALED_MAGIC.length + 4);
    const { enc, mac } = fileKeys(iv, fileId, root);
    const cipher: Cipher = createCipheriv('sm4-ctr', enc, iv);
    const segment = 1 << SEGMENT_LOG2;
    const queue = new ByteQueue();
    let index = 0;
    const emit = (plain: Buffer, final: boolean): [Buffer, Buffer] => {
      const ct = cipher.update(plain);
      return [ct, segmentTag(mac, header, index++, final, ct)];
    };
    yield header;
    for await (const chunk of source) {
      const b = toBuffer(chunk);
      counter.bytes += b.length;
      queue.push(b);
      // Strictly more than a segment: the segment taken is not the last one.
      while (queue.length > segment) yield* emit(queue.take(segment), false);
    }
    yield* emit(queue.take(queue.length), true);
    cipher.final();
  };
}

/**
 * Decrypts a sealed stream (a `pipeline` stage), releasing each segment only after its tag checks;
 * anything wrong — header, a tag, order, truncation, extra bytes — throws FileIntegrityError.
 * With `verifyOnly` nothing is decrypted or yielded: the whole file is only checked.
 */
export function openSealedStream(fileId: string, opts: { verifyOnly?: boolean; root?: Buffer } = {}) {
  const root = opts.root ?? dataKeys().fileKey;
  return async function* open(source: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<Buffer> {
    const queue = new ByteQueue();
    let header: Buffer | null = null;
    let keys: { enc: Buffer; mac: Buffer } | null = null;
    let decipher: Decipher | null = null;
    let unit = 0;
    let index = 0;
    const segmentOf = (raw: Buffer, final: boolean): Buffer | null => {
      const ct = raw.subarray(0, raw.length - TAG_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const expected = segmentTag(keys!.mac, header!, index++, final, ct);
      if (!timingSafeEqual(tag, expected)) throw new FileIntegrityError();
      return opts.verifyOnly ? null : decipher!.update(ct);
    };
    for await (const chunk of source) {
      queue.push(toBuffer(chunk));
      if (!header) {
        if (queue.length < HEADER_BYTES) continue;
        header = queue.take(HEADER_BYTES);
        const log2 = header[SEALED_MAGIC.length + 1]!;
        if (!isSealed(header) || header[SEALED_MAGIC.length] !== VERSION || log2 < 12 || log2 > 24) throw new FileIntegrityError();
        const iv = header.subarray(SEALED_MAGIC.length + 4);
        keys = fileKeys(iv, fileId, root);
        decipher = createDecipheriv('sm4-ctr', keys.enc, iv);
        unit = (1 << log2) + TAG_BYTES;
      }
      while (queue.length > unit) {
        const plain = segmentOf(queue.take(unit), false);
        if (plain) yield plain;
      }
    }
    if (!header || queue.length < TAG_BYTES) throw new FileIntegrityError();
    const plain = segmentOf(queue.take(queue.length), true);
    if (plain && plain.length) yield plain;
  };
}

/** The sealed size of a plaintext of `size` bytes (header, ciphertext, one tag per segment). */
export function sealedSize(size: number): number {
  const segment = 1 << SEGMENT_LOG2;
  const segments = Math.max(1, Math.ceil(size / segment));
  return HEADER_BYTES + size + segments * TAG_BYTES;
}
