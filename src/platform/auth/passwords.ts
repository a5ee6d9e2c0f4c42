import { hash, verify } from '@node-rs/argon2';
import { randomInt } from 'node:crypto';
import type { PolicyPack } from '../policy/schema.js';

/** argon2id with OWASP's recommended parameters (19 MiB, 2 passes). */
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 /* Argon2id */ } as const;

export const hashPassword = (plain: string): Promise<string> => hash(plain, ARGON);

export async function verifyPassword(stored: string, plain: string): Promise<boolean> {
  try {
    return await verify(stored, plain);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the username is unknown so timing is the same. */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`no-such-user-${randomInt(1e9)}`);
  return dummyHash;
}

const CLASSES: RegExp[] = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/];

/** Password policy (≥ minLength characters, minClasses of 4 classes); returns the broken rules. */
export function passwordProblems(pw: string, policy: PolicyPack['security']['password']): string[] {
  const problems: string[] = [];
  if ([...pw].length < policy.minLength) problems.push(`长度至少 ${policy.minLength} 位`);
  const classes = CLASSES.filter((re) => re.test(pw)).length;
  if (classes < policy.minClasses) problems.push(`需包含大写字母、小写字母、数字、符号中的至少 ${policy.minClasses} 类`);
  return problems;
}

/** A one-time password that satisfies any policy: 4 classes, 14 characters, no look-alikes. */
export function generateOneTimePassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnpqrstuvwxyz', '23456789', '@#%+=?'];
  const all = sets.join('');
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < 14) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
