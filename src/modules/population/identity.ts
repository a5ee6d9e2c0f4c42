import { pinyin } from 'pinyin-pro';
import { unprocessable } from '../../platform/http/errors.js';
import { blindIndex, maskPhone, openPersonal, sealPersonal } from '../../platform/crypto/personal.js';
import { maskIdNumber, parseIdNumber } from './idnumber.js';

/**
 * A person's document (证件) as the registry keeps it: validated (GB 11643 for resident and
 * foreigners' permanent-residence IDs), normalised, encrypted, indexed for exact lookup, masked.
 */
export const ID_TYPES = ['resident_id', 'passport', 'hk_mo_permit', 'tw_permit', 'foreign_permanent_id', 'none'] as const;
export type IdType = (typeof ID_TYPES)[number];

export interface CheckedDocument {
  idType: IdType;
  normalized: string | null;
  birthDate: string | null;
  gender: 'male' | 'female' | null;
}

const ID_MESSAGES: Record<string, string> = {
  LENGTH: '证件号码位数不正确。',
  CHARSET: '证件号码含有不允许的字符。',
};

/** Validates a document number for its type; every format problem is 422 INVALID_ID_NUMBER. */
export function checkDocument(idType: IdType, raw: string | undefined | null, today: string, path = 'idNumber'): CheckedDocument {
  const invalid = (code: string, message: string) => unprocessable('INVALID_ID_NUMBER', `证件号码无效：${message}`, [{ path, code, message }]);
  if (idType === 'none') return { idType, normalized: null, birthDate: null, gender: null };
  const value = (raw ?? '').trim();
  if (idType === 'resident_id' || idType === 'foreign_permanent_id') {
    const r = parseIdNumber(value, { today, kind: idType });
    if (!r.ok) throw invalid(r.problem, r.message);
    return { idType, normalized: r.value.normalized, birthDate: r.value.birthDate, gender: r.value.gender };
  }
  const upper = value.toUpperCase();
  if (upper.length < 4 || upper.length > 32) throw invalid('LENGTH', ID_MESSAGES.LENGTH!);
  if (!/^[A-Z0-9-]+$/.test(upper)) throw invalid('CHARSET', ID_MESSAGES.CHARSET!);
  return { idType, normalized: upper, birthDate: null, gender: null };
}

/** The lookup key of a document number: one namespace, so a number is found whatever its type. */
export const idIndex = (normalized: string) => blindIndex('id', normalized);
export const phoneIndex = (phone: string) => blindIndex('phone', phone);

export function sealedDocument(normalized: string | null) {
  if (!normalized) return { id_hmac: null, id_enc: null, id_masked: null };
  return { id_hmac: idIndex(normalized), id_enc: sealPersonal(normalized), id_masked: maskIdNumber(normalized) };
}

export function sealedPhone(phone: string | null | undefined) {
  if (!phone) return { phone_hmac: null, phone_enc: null, phone_masked: null };
  return { phone_hmac: phoneIndex(phone), phone_enc: sealPersonal(phone), phone_masked: maskPhone(phone) };
}

export const reveal = (sealed: string | null) => (sealed ? openPersonal(sealed) : null);

/** Names repeat (an import of thousands of rows holds far fewer names): pinyin-pro's answers are kept, up to a bound. */
const initialsCache = new Map<string, string>();
const INITIALS_CACHE_MAX = 100_000;

/** Pinyin initials of a Chinese name (张伟 → zw), for search by letters typed on a phone. */
export function nameInitials(name: string): string {
  let v = initialsCache.get(name);
  if (v === undefined) {
    v = pinyin(name, { pattern: 'first', toneType: 'none', type: 'array' }).join('').toLowerCase().replace(/[^a-z]/g, '');
    if (initialsCache.size >= INITIALS_CACHE_MAX) initialsCache.clear();
    initialsCache.set(name, v);
  }
  return v;
}

/** Mainland mobile or landline, digits only after trimming separators. */
export function normalizePhone(raw: string, path = 'phone'): string {
  const p = raw.replace(/[\s-]/g, '');
  if (!/^(1[3-9]\d{9}|0\d{9,11}|\d{7,8})$/.test(p)) {
    throw unprocessable('INVALID_PHONE', '电话号码格式不正确。', [{ path, code: 'INVALID_PHONE', message: '应为手机号或固定电话' }]);
  }
  return p;
}
