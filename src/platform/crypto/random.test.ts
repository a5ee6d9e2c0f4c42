import { describe, expect, it } from 'vitest';
import { randomBlock } from './random.js';
import { uuidv7 } from '../db/ids.js';

describe('pooled randomness', () => {
  it('blocks are copies that never repeat, also across a refill of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) { // 160 KB: the 64 KiB pool refills twice
      const b = randomBlock(16);
      const hex = b.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      b.fill(0); // a copy: zeroing it cannot touch later blocks
    }
    expect(randomBlock(16).equals(Buffer.alloc(16))).toBe(false);
    expect(() => randomBlock(1024 * 1024)).toThrow(RangeError);
  });

  it('uuidv7 carries its millisecond first, the version and variant bits, and is unique', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const at = Date.UTC(2026, 11, 3, 8, 0, 0);
    expect(uuidv7(at).replace(/-/g, '').slice(0, 12)).toBe(at.toString(16).padStart(12, '0'));
    expect(uuidv7(at + 1) > uuidv7(at)).toBe(true);
    const sameMillisecond = Array.from({ length: 3000 }, () => uuidv7());
    expect([...sameMillisecond].sort()).toEqual(sameMillisecond);
  });
});
