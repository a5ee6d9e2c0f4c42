import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { randomBlock } from './random.js';
import { dataKeys } from './keys.js';

/**
 * Personal identifiers at rest (ID numbers, phones): SM4-CBC encrypted and authenticated with
 * HMAC-SM3 (encrypt-then-MAC), plus a keyed blind index (HMAC-SM3) for exact lookups. The stored
 * text is `v1.<iv>.<ciphertext>.<tag>` in base64url; the index is hex.
 */
const b64 = (b: Buffer) => b.toString('base64url');

export function sealPersonal(plain: string): string {
  const { encKey, macKey } = dataKeys();
  const iv = randomBlock(16);
  const cipher = createCipheriv('sm4-cbc', encKey, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = createHmac('sm3', macKey).update(iv).update(ct).digest().subarray(0, 16);
  return `v1.${b64(iv)}.${b64(ct)}.${b64(tag)}`;
}

export function openPersonal(sealed: string): string {
  const { encKey, macKey } = dataKeys();
  const [v, ivs, cts, tags] = sealed.split('.');
  if (v !== 'v1' || !ivs || !cts || !tags) throw new Error('sealed value has an unknown format');
  const iv = Buffer.from(ivs, 'base64url');
  const ct = Buffer.from(cts, 'base64url');
  const expected = createHmac('sm3', macKey).update(iv).update(ct).digest().subarray(0, 16);
  const tag = Buffer.from(tags, 'base64url');
  if (tag.length !== expected.length || !timingSafeEqual(tag, expected)) throw new Error('sealed value failed authentication');
  const decipher = createDecipheriv('sm4-cbc', encKey, iv);
  return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
}

/** Keyed blind index for exact lookup; `domain` separates kinds (e.g. `id:resident_id`, `phone`). */
export function blindIndex(domain: string, normalized: string): string {
  return createHmac('sm3', dataKeys().indexKey).update(domain).update('\u0000').update(normalized).digest('hex');
}

/** 138****1234 */
export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

/** A resident's name in lists: 张* / 欧阳** (the surname stays, the rest is hidden). */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return name;
  const keep = chars.length >= 4 ? 2 : 1;
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - keep);
}
