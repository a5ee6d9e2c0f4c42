/**
 * Valid GB 11643 numbers for tests, computed independently of the code under test (MOD 11-2).
 * Fictional: the sequence part is arbitrary.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function checkChar(first17: string): string {
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * WEIGHTS[i]!, 0);
  return CHECK[sum % 11]!;
}

/** An 18-character resident ID: address code, birth date YYYYMMDD, 3-digit sequence (odd = male). */
export function residentId(address = '510107', birth = '19900101', seq = 123): string {
  const first17 = `${address}${birth}${String(seq).padStart(3, '0')}`;
  return first17 + checkChar(first17);
}

let counter = 100;
/** A fresh valid number on every call (unique within a test run). */
export function nextResidentId(opts: { birth?: string; address?: string; male?: boolean } = {}): string {
  counter += 2;
  const seq = (counter % 998) + (opts.male === false ? 0 : 1);
  const birth = opts.birth ?? `19${70 + Math.floor(counter / 998) % 30}0${1 + (counter % 9)}1${counter % 10}`;
  return residentId(opts.address ?? '510107', birth, seq);
}
