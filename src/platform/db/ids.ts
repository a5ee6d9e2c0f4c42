import { randomBlock } from '../crypto/random.js';

let lastMs = -1;
let sequence = 0;

/**
 * UUID version 7: time-ordered, so new rows land at the end of B-tree indexes.
 * Within one process ids are strictly increasing (RFC 9562 §6.2 method 1: the
 * 12 bits after the version are a counter within the millisecond), so "newest
 * first" by id is a total order even for rows made in the same millisecond.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBlock(16);
  let ms = now;
  let counter = ((bytes[6]! & 0x07) << 8) | bytes[7]!; // random start in the lower half leaves room to count
  if (now > lastMs) {
    lastMs = now;
    sequence = counter;
  } else if (now >= lastMs - 1000) {
    // the same millisecond (or a clock stepping back a little): count on from the last id
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
    ms = lastMs;
    counter = sequence;
  } // else: an explicit time in the past (generated history) — random within its millisecond
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
