import { z } from 'zod';

/**
 * Money is integer fen (分) everywhere (ARCHITECTURE.md "Data conventions"): fields named `…Fen`,
 * never floats. Shown as ¥ with two decimals, and on printed forms in Chinese capitals (大写).
 */
export type Fen = number;
/** A non-negative amount in fen, at most 10 billion yuan. */
export const fenSchema = z.number().int('金额应为整数（分）').min(0, '金额不能为负').max(1_000_000_000_000, '金额过大');

export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

export const yuanToFen = (yuan: number): Fen => Math.round(yuan * 100);

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const UNITS = ['', '拾', '佰', '仟'];
const GROUPS = ['', '万', '亿', '万亿'];

/** 人民币大写: 12345.60 → 壹万贰仟叁佰肆拾伍元陆角整; 10000 → 壹万元整. */
export function fenToChineseCapital(fen: Fen): string {
  if (!Number.isInteger(fen) || fen < 0) throw new RangeError('amount must be non-negative integer fen');
  if (fen === 0) return '零元整';
  const yuan = Math.floor(fen / 100);
  const jiao = Math.floor(fen / 10) % 10;
  const fenDigit = fen % 10;
  let out = '';
  if (yuan > 0) {
    const groups: number[] = [];
    for (let y = yuan; y > 0; y = Math.floor(y / 10000)) groups.push(y % 10000);
    let needZero = false;
    for (let g = groups.length - 1; g >= 0; g--) {
      const v = groups[g]!;
      if (v === 0) { needZero = out.length > 0; continue; }
      if (needZero || (out.length > 0 && v < 1000)) out += '零';
      needZero = false;
      let groupText = '';
      let zero = false;
      for (let i = 3; i >= 0; i--) {
        const d = Math.floor(v / 10 ** i) % 10;
        if (d === 0) { zero = groupText.length > 0; continue; }
        if (zero) groupText += '零';
        zero = false;
        groupText += DIGITS[d]! + UNITS[i]!;
      }
      out += groupText + GROUPS[g]!;
    }
    out += '元';
  }
  if (jiao === 0 && fenDigit === 0) return `${out}整`;
  if (jiao > 0) out += `${DIGITS[jiao]}角`;
  else if (yuan > 0) out += '零';
  if (fenDigit > 0) out += `${DIGITS[fenDigit]}分`;
  else out += '整';
  return out;
}
