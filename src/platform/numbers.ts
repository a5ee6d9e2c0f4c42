import { sql } from 'kysely';
import type { Db } from './db/index.js';

/**
 * Public case numbers (编号), sequential per kind and year, gap-free within committed transactions:
 * the counter row is incremented in the caller's transaction, so a rolled-back submission gives its
 * number back. `QJ-2026-000123` for a leave request; `浆街办〔2026〕12号` for a document number (文号).
 */
export async function nextSequence(tx: Db, kind: string, year: number): Promise<number> {
  const r = await sql<{ last_value: number }>`insert into case_numbers (kind, year, last_value) values (${kind}, ${year}, 1)
    on conflict (kind, year) do update set last_value = case_numbers.last_value + 1 returning last_value`.execute(tx);
  return r.rows[0]!.last_value;
}

export const formatCaseNo = (prefix: string, year: number, n: number): string => `${prefix}-${year}-${String(n).padStart(6, '0')}`;
/** 文号: issuing-organ abbreviation, year in 六角括号, number. */
export const formatDocumentNo = (organ: string, year: number, n: number): string => `${organ}〔${year}〕${n}号`;

export async function nextCaseNo(tx: Db, prefix: string, year: number): Promise<string> {
  return formatCaseNo(prefix, year, await nextSequence(tx, `case:${prefix}`, year));
}
export async function nextDocumentNo(tx: Db, organ: string, year: number): Promise<string> {
  return formatDocumentNo(organ, year, await nextSequence(tx, `doc:${organ}`, year));
}
