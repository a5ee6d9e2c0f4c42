import { describe, expect, it } from 'vitest';
import { isLate } from './persons.js';

/**
 * The 24-hour reporting clock (seed 000 §7 #10, PRODUCT.md M2): a record reported more than the
 * pack's `reviewDeadlineHours` natural hours after collection is late. Exactly at the deadline is on
 * time; one second after is late; the hours come from the pack (varied here), not from the code.
 */
describe('24-hour reporting clock at its boundary', () => {
  const collected = new Date('2026-12-01T09:30:00+08:00');
  const after = (ms: number) => new Date(collected.getTime() + ms);
  const H = 3_600_000;

  for (const hours of [24, 48, 1]) {
    it(`with a ${hours} h deadline: reported at exactly ${hours} h is on time, ${hours} h + 1 s is late`, () => {
      expect(isLate(collected, after(hours * H - 1000), hours)).toBe(false);
      expect(isLate(collected, after(hours * H), hours)).toBe(false);
      expect(isLate(collected, after(hours * H + 1000), hours)).toBe(true);
    });
  }

  it('a report before the collection time (clock skew on a phone) is never late', () => {
    expect(isLate(collected, after(-5 * 60_000), 24)).toBe(false);
  });
});
