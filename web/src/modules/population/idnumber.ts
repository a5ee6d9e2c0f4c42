/**
 * GB 11643-1999 citizen ID numbers, checked in the browser as the clerk types (the same rules as
 * the server's src/modules/population/idnumber.ts, so a number the form accepts is one the server
 * accepts): 18 characters (or a 15-digit legacy number), province prefix, a real birth date not in
 * the future and not before 1900, and the ISO 7064 MOD 11-2 check character ('X' stands for 10).
 * Numbers starting with 9 are foreigners' permanent-residence IDs (same layout).
 */

export type IdProblem = 'LENGTH' | 'CHARSET' | 'BIRTH_DATE' | 'CHECKSUM' | 'ADDRESS_CODE';

/** The i18n message of a problem (see pop.id.problem.* keys). */
export type IdProblemMessage =
  | 'LENGTH'
  | 'LENGTH_FOREIGN'
  | 'CHARSET'
  | 'CHARSET_15'
  | 'ADDRESS_CODE'
  | 'ADDRESS_CODE_FOREIGN'
  | 'BIRTH_DATE_INVALID'
  | 'BIRTH_DATE_FUTURE'
  | 'BIRTH_DATE_TOO_EARLY'
  | 'CHECKSUM'
  | 'DOC_LENGTH'
  | 'DOC_CHARSET';

export interface ParsedId {
  normalized: string;
  birthDate: string;
  gender: 'male' | 'female';
  upgradedFrom15: boolean;
  foreignPermanent: boolean;
}

export type IdResult = { ok: true; value: ParsedId } | { ok: false; problem: IdProblem; message: IdProblemMessage };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
]);

/** The check character of 17 digits. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

function calendarDate(yyyymmdd: string): string | null {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
  if (d > dim) return null;
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

const fail = (problem: IdProblem, message: IdProblemMessage): IdResult => ({ ok: false, problem, message });

/** Full check of a complete number (the first failure is reported, in the server's order). */
export function parseIdNumber(raw: string, today: string, kind: 'resident_id' | 'foreign_permanent_id' = 'resident_id'): IdResult {
  const foreignKind = kind === 'foreign_permanent_id';
  const value = raw.trim().toUpperCase();
  const length = Array.from(value).length;
  if (length !== 18 && (length !== 15 || foreignKind)) return fail('LENGTH', foreignKind ? 'LENGTH_FOREIGN' : 'LENGTH');
  const legacy = length === 15;
  if (legacy ? !/^\d{15}$/.test(value) : !/^\d{17}[\dX]$/.test(value)) return fail('CHARSET', legacy ? 'CHARSET_15' : 'CHARSET');
  const foreignPermanent = !legacy && value[0] === '9';
  if (foreignKind && !foreignPermanent) return fail('ADDRESS_CODE', 'ADDRESS_CODE_FOREIGN');
  if (!foreignPermanent && !PROVINCES.has(value.slice(0, 2))) return fail('ADDRESS_CODE', 'ADDRESS_CODE');
  const birthDigits = legacy ? `19${value.slice(6, 12)}` : value.slice(6, 14);
  const birthDate = calendarDate(birthDigits);
  if (birthDate === null) return fail('BIRTH_DATE', 'BIRTH_DATE_INVALID');
  if (birthDate < '1900-01-01') return fail('BIRTH_DATE', 'BIRTH_DATE_TOO_EARLY');
  if (birthDate > today) return fail('BIRTH_DATE', 'BIRTH_DATE_FUTURE');
  const first17 = legacy ? `${value.slice(0, 6)}${birthDigits}${value.slice(12, 15)}` : value.slice(0, 17);
  const check = idCheckChar(first17);
  if (!legacy && value[17] !== check) return fail('CHECKSUM', 'CHECKSUM');
  return {
    ok: true,
    value: { normalized: first17 + check, birthDate, gender: Number(first17[16]) % 2 === 1 ? 'male' : 'female', upgradedFrom15: legacy, foreignPermanent },
  };
}

/** Other documents (passport, permits): trimmed, upper-cased, 4–32 of [A-Z0-9-] (the server's rule). */
export function checkOtherDocument(raw: string): IdResult | { ok: true; value: null } {
  const v = raw.trim().toUpperCase();
  if (v.length < 4 || v.length > 32) return fail('LENGTH', 'DOC_LENGTH');
  if (!/^[A-Z0-9-]+$/.test(v)) return fail('CHARSET', 'DOC_CHARSET');
  return { ok: true, value: null };
}

/**
 * The state of a number while it is being typed: `typing` while it may still become valid
 * (only digits so far, fewer than 18), else the full check. Problems that no further typing can
 * fix (a letter in the middle, a wrong province, an impossible birth date) show at once.
 */
export type TypingState =
  | { state: 'empty' }
  | { state: 'typing'; length: number }
  | { state: 'invalid'; problem: IdProblem; message: IdProblemMessage }
  | { state: 'valid'; value: ParsedId };

export function idTypingState(raw: string, today: string, kind: 'resident_id' | 'foreign_permanent_id' = 'resident_id'): TypingState {
  const value = raw.trim().toUpperCase();
  if (!value) return { state: 'empty' };
  const len = Array.from(value).length;
  if (len > 18) return { state: 'invalid', problem: 'LENGTH', message: kind === 'foreign_permanent_id' ? 'LENGTH_FOREIGN' : 'LENGTH' };
  // Characters: digits everywhere, X only as the 18th.
  const body = len === 18 ? value.slice(0, 17) : value;
  if (!/^\d*$/.test(body) || (len === 18 && !/[\dX]/.test(value[17]))) {
    return { state: 'invalid', problem: 'CHARSET', message: 'CHARSET' };
  }
  if (len >= 2) {
    const foreign = value[0] === '9';
    if (kind === 'foreign_permanent_id' && !foreign) return { state: 'invalid', problem: 'ADDRESS_CODE', message: 'ADDRESS_CODE_FOREIGN' };
    if (!foreign && !PROVINCES.has(value.slice(0, 2))) return { state: 'invalid', problem: 'ADDRESS_CODE', message: 'ADDRESS_CODE' };
  }
  if (len >= 14 && len < 18 && len !== 15) {
    // The 8-digit birth date is complete: check it now.
    const d = calendarDate(value.slice(6, 14));
    if (d === null) return { state: 'invalid', problem: 'BIRTH_DATE', message: 'BIRTH_DATE_INVALID' };
    if (d < '1900-01-01') return { state: 'invalid', problem: 'BIRTH_DATE', message: 'BIRTH_DATE_TOO_EARLY' };
    if (d > today) return { state: 'invalid', problem: 'BIRTH_DATE', message: 'BIRTH_DATE_FUTURE' };
  }
  if (len === 18 || (len === 15 && kind === 'resident_id')) {
    const r = parseIdNumber(value, today, kind);
    // A 15-digit number may still be the start of an 18-digit one: only a valid legacy number counts.
    if (len === 15) return r.ok ? { state: 'valid', value: r.value } : { state: 'typing', length: len };
    return r.ok ? { state: 'valid', value: r.value } : { state: 'invalid', problem: r.problem, message: r.message };
  }
  return { state: 'typing', length: len };
}
