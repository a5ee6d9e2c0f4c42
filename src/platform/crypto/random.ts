import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes drawn from a pooled buffer: one `randomFillSync` per 64 KiB
 * instead of one system call per identifier or IV (an import of a thousand rows needs thousands).
 * Callers get a copy, never a view of the pool.
 */
const pool = Buffer.alloc(64 * 1024);
let at = pool.length;

export function randomBlock(size: number): Buffer {
  if (size > pool.length) throw new RangeError('random block too large');
  if (at + size > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const out = Buffer.from(pool.subarray(at, at + size));
  pool.fill(0, at, at + size); // what was handed out is not kept
  at += size;
  return out;
}
