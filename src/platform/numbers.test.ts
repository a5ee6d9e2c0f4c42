import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/helpers/app.js';
import { migrateToLatest } from './db/migrator.js';
import { inTransaction, type Database } from './db/index.js';
import { formatDocumentNo, nextCaseNo, nextDocumentNo } from './numbers.js';

describe('case numbers', () => {
  let database: Database; let drop: () => Promise<void>;
  beforeAll(async () => { ({ database, drop } = await freshDatabase()); await migrateToLatest(database.db); });
  afterAll(async () => drop());

  it('sequential per kind and year; a rolled-back number is given back', async () => {
    const db = database.db;
    expect(await nextCaseNo(db, 'QJ', 2026)).toBe('QJ-2026-000001');
    expect(await nextCaseNo(db, 'QJ', 2026)).toBe('QJ-2026-000002');
    expect(await nextCaseNo(db, 'QJ', 2027)).toBe('QJ-2027-000001');
    expect(await nextCaseNo(db, 'BX', 2026)).toBe('BX-2026-000001');
    await expect(inTransaction(db, async (tx) => { await nextCaseNo(tx, 'QJ', 2026); throw new Error('rollback'); })).rejects.toThrow('rollback');
    expect(await nextCaseNo(db, 'QJ', 2026)).toBe('QJ-2026-000003');
    expect(await nextDocumentNo(db, '浆街办', 2026)).toBe('浆街办〔2026〕1号');
    expect(formatDocumentNo('浆街办', 2026, 12)).toBe('浆街办〔2026〕12号');
  });
});
