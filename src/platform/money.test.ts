import { describe, expect, it } from 'vitest';
import { fenToChineseCapital, formatYuan } from './money.js';

describe('money in fen', () => {
  it('Chinese capitals (大写) as printed on forms', () => {
    expect(fenToChineseCapital(1_000_000)).toBe('壹万元整');
    expect(fenToChineseCapital(1_234_560)).toBe('壹万贰仟叁佰肆拾伍元陆角整');
    expect(fenToChineseCapital(100_050_000)).toBe('壹佰万零伍佰元整');
    expect(fenToChineseCapital(10_010_000)).toBe('壹拾万零壹佰元整');
    expect(fenToChineseCapital(101)).toBe('壹元零壹分');
    expect(fenToChineseCapital(5)).toBe('伍分');
    expect(fenToChineseCapital(0)).toBe('零元整');
    expect(fenToChineseCapital(12_000_000_000)).toBe('壹亿贰仟万元整');
  });
  it('yuan with two decimals', () => {
    expect(formatYuan(1_234_567)).toBe('¥12,345.67');
    expect(formatYuan(5)).toBe('¥0.05');
  });
});
