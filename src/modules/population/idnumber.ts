/**
 * Citizen ID numbers (公民身份号码, GB 11643-1999), the 18-character foreigners' permanent-residence
 * ID (外国人永久居留身份证, same layout starting with 9), other document numbers, and the unified
 * social credit code (统一社会信用代码, GB 32100-2015).
 *
 * Layout of an 18-character number:
 *   positions 1–6   address code (GB/T 2260; for foreigners: 9 + issuing province + country code)
 *   positions 7–14  birth date YYYYMMDD
 *   positions 15–17 sequence number; the 17th digit is odd for men, even for women
 *   position 18     check character, ISO 7064 MOD 11-2 over the first 17 digits ('X' stands for 10)
 *
 * Error messages are zh-CN and never echo the number (it is personal data and messages get logged).
 */

export type IdNumberProblem = 'LENGTH' | 'CHARSET' | 'BIRTH_DATE' | 'CHECKSUM' | 'ADDRESS_CODE';

export interface ParsedIdNumber {
  /** 18 characters, check character 'X' upper-case. */
  normalized: string;
  /** YYYY-MM-DD */
  birthDate: string;
  gender: 'male' | 'female';
  /** First 6 digits (for a foreigners' permanent ID: 9 + province + country code). */
  addressCode: string;
  /** The input was a 15-digit legacy number, upgraded to 18 digits. */
  upgradedFrom15: boolean;
  /** A foreigners' permanent-residence ID (starts with 9). */
  foreignPermanent: boolean;
}

export type IdNumberKind = 'resident_id' | 'foreign_permanent_id';

export type IdNumberResult =
  | { ok: true; value: ParsedIdNumber }
  | { ok: false; problem: IdNumberProblem; message: string };

export type DocumentNumberResult =
  | { ok: true; value: { normalized: string; birthDate: string | null; gender: 'male' | 'female' | null } }
  | { ok: false; problem: IdNumberProblem; message: string };

/** GB 11643 weights 2^(17-i) mod 11 for positions 1..17. */
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character by (weighted sum mod 11). */
const ID_CHECK_CHARS = '10X98765432';

/** GB/T 2260 province-level codes (first two digits of a resident's address code). */
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

/** Earliest birth date accepted. */
const MIN_BIRTH_DATE = '1900-01-01';

const MESSAGES = {
  LENGTH: '号码位数不正确：居民身份证号码应为18位（旧号码为15位）。',
  LENGTH_FOREIGN: '号码位数不正确：外国人永久居留身份证号码应为18位。',
  CHARSET: '号码含有不允许的字符：前17位应为数字，末位应为数字或X。',
  CHARSET_15: '号码含有不允许的字符：15位旧号码应全部为数字。',
  ADDRESS_CODE: '号码前两位不是有效的省级行政区划代码。',
  ADDRESS_CODE_FOREIGN: '外国人永久居留身份证号码应以9开头。',
  BIRTH_DATE_INVALID: '号码中的出生日期不是有效日期。',
  BIRTH_DATE_FUTURE: '号码中的出生日期晚于今天。',
  BIRTH_DATE_TOO_EARLY: '号码中的出生日期早于1900年1月1日。',
  CHECKSUM: '号码校验位不正确，请核对后重新输入。',
  DOC_LENGTH: '证件号码应为1至32位。',
  DOC_CHARSET: '证件号码只能包含字母、数字和连字符（-）。',
} as const;

const fail = (problem: IdNumberProblem, message: string): IdNumberResult => ({ ok: false, problem, message });

/** The GB 11643 check character of 17 digits (caller guarantees /^\d{17}$/). */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK_CHARS[sum % 11]!;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** YYYYMMDD (8 digits) → YYYY-MM-DD if it is a real calendar date, else null. */
function calendarDate(yyyymmdd: string): string | null {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  if (m < 1 || m > 12 || d < 1) return null;
  const daysInMonth = m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
  if (d > daysInMonth) return null;
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/**
 * Validates and normalises a citizen ID number (or a foreigners' permanent-residence ID).
 *
 * Checks run in this order and the first failure is reported: LENGTH, CHARSET, ADDRESS_CODE,
 * BIRTH_DATE, CHECKSUM. The address code is only format-checked (a valid province prefix), so
 * numbers issued under since-abolished county codes stay valid. A 15-digit legacy number
 * (6 address + YYMMDD in the 1900s + 3 sequence) is upgraded to 18 digits. Numbers starting
 * with 9 are foreigners' permanent-residence IDs: accepted for both kinds, without the
 * province check; kind 'foreign_permanent_id' accepts only those.
 *
 * @param opts.today the office date (YYYY-MM-DD); birth dates after it are rejected.
 */
export function parseIdNumber(raw: string, opts: { today: string; kind: IdNumberKind }): IdNumberResult {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.today)) throw new Error(`parseIdNumber: opts.today must be YYYY-MM-DD`);
  const foreignKind = opts.kind === 'foreign_permanent_id';
  const value = raw.trim().toUpperCase();
  // Count code points, so that a stray emoji counts as one (wrong) character, not two.
  const length = Array.from(value).length;

  // 1. LENGTH — foreigners' IDs have no 15-character numeric legacy form.
  if (length !== 18 && (length !== 15 || foreignKind)) {
    return fail('LENGTH', foreignKind ? MESSAGES.LENGTH_FOREIGN : MESSAGES.LENGTH);
  }
  const legacy = length === 15;

  // 2. CHARSET
  if (legacy ? !/^\d{15}$/.test(value) : !/^\d{17}[\dX]$/.test(value)) {
    return fail('CHARSET', legacy ? MESSAGES.CHARSET_15 : MESSAGES.CHARSET);
  }

  // 3. ADDRESS_CODE — province prefix only; a leading 9 marks a foreigners' permanent ID.
  const foreignPermanent = !legacy && value[0] === '9';
  if (foreignKind && !foreignPermanent) return fail('ADDRESS_CODE', MESSAGES.ADDRESS_CODE_FOREIGN);
  if (!foreignPermanent && !PROVINCE_CODES.has(value.slice(0, 2))) return fail('ADDRESS_CODE', MESSAGES.ADDRESS_CODE);

  // 4. BIRTH_DATE — legacy numbers carry YYMMDD of the 1900s.
  const birthDigits = legacy ? `19${value.slice(6, 12)}` : value.slice(6, 14);
  const birthDate = calendarDate(birthDigits);
  if (birthDate === null) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_INVALID);
  if (birthDate < MIN_BIRTH_DATE) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_TOO_EARLY);
  if (birthDate > opts.today) return fail('BIRTH_DATE', MESSAGES.BIRTH_DATE_FUTURE);

  // 5. CHECKSUM — computed for an upgraded legacy number, verified otherwise.
  const first17 = legacy ? `${value.slice(0, 6)}${birthDigits}${value.slice(12, 15)}` : value.slice(0, 17);
  const check = idCheckChar(first17);
  if (!legacy && value[17] !== check) return fail('CHECKSUM', MESSAGES.CHECKSUM);

  return {
    ok: true,
    value: {
      normalized: first17 + check,
      birthDate,
      gender: Number(first17[16]) % 2 === 1 ? 'male' : 'female',
      addressCode: first17.slice(0, 6),
      upgradedFrom15: legacy,
      foreignPermanent,
    },
  };
}

/**
 * Masks a document number for display: an 18-character number shows its first 6 and last 4
 * characters (110105********002X); any other shows its first 2 and last 2 with at least four
 * stars between. Numbers of 4 characters or fewer are masked completely ('****'), since
 * 2 + 2 visible characters would reveal them whole.
 */
export function maskIdNumber(n: string): string {
  const chars = Array.from(n.trim());
  if (chars.length === 18) return `${chars.slice(0, 6).join('')}********${chars.slice(14).join('')}`;
  if (chars.length <= 4) return '****';
  return `${chars.slice(0, 2).join('')}${'*'.repeat(Math.max(4, chars.length - 4))}${chars.slice(-2).join('')}`;
}

/**
 * Validates a document number by document type. 'resident_id' and 'foreign_permanent_id' get the
 * full GB 11643 check (birth date and gender derived); every other type ('passport',
 * 'hk_mo_permit', 'tw_permit', 'none', or any unknown type) is only normalised: trimmed,
 * upper-cased, 1–32 characters of [A-Z0-9-].
 */
export function checkIdNumberFor(idType: string, raw: string, today: string): DocumentNumberResult {
  if (idType === 'resident_id' || idType === 'foreign_permanent_id') {
    const r = parseIdNumber(raw, { today, kind: idType });
    if (!r.ok) return r;
    return { ok: true, value: { normalized: r.value.normalized, birthDate: r.value.birthDate, gender: r.value.gender } };
  }
  const normalized = raw.trim().toUpperCase();
  const length = Array.from(normalized).length;
  if (length < 1 || length > 32) return { ok: false, problem: 'LENGTH', message: MESSAGES.DOC_LENGTH };
  if (!/^[A-Z0-9-]+$/.test(normalized)) return { ok: false, problem: 'CHARSET', message: MESSAGES.DOC_CHARSET };
  return { ok: true, value: { normalized, birthDate: null, gender: null } };
}

/** GB 32100 character set: digits and upper-case letters except I, O, S, V, Z (value = index). */
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** GB 32100 weights 3^(i) mod 31 for positions 1..17. */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/** The GB 32100 check character of 17 code characters, or null if one is outside the charset. */
export function usccCheckChar(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARS.indexOf(first17[i]!);
    if (v < 0) return null;
    sum += v * USCC_WEIGHTS[i]!;
  }
  return USCC_CHARS[(31 - (sum % 31)) % 31]!;
}

/**
 * Whether a unified social credit code (统一社会信用代码) is well-formed: 18 characters of the
 * GB 32100 charset (upper-case only; callers normalise) with a correct MOD 31 check character.
 * The embedded organisation code's own GB 11714 check digit is not verified.
 */
export function validUscc(code: string): boolean {
  if (code.length !== 18) return false;
  const check = usccCheckChar(code.slice(0, 17));
  return check !== null && code[17] === check;
}
