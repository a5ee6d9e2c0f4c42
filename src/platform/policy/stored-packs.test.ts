import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, TEST_DATA_KEY } from '../../../test/helpers/app.js';
import type { Database } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { prepareDatabase } from '../../server/bootstrap.js';
import { activePolicy, checkStoredPacks, invalidatePolicyCache, InvalidPolicyPackError, officeToday } from './service.js';
import { defaultPacks } from './packs.js';
import { addDays } from '../calendar/service.js';

/**
 * A stored policy version the current schema refuses is never used silently: the server refuses
 * to start naming the pack, the version and the paths, and the running service refuses to read it.
 * (Edits through the API are validated already; this is a version stored by an older program, or
 * written around the API.)
 */
let database: Database;
let drop: () => Promise<void>;
const config = { demo: false, dataDir: `/tmp/jiedao-test-packs-${process.pid}`, dataKey: TEST_DATA_KEY };
beforeAll(async () => {
  ({ database, drop } = await freshDatabase());
  invalidatePolicyCache();
  await prepareDatabase(database.db, config);
});
afterAll(async () => { await drop(); });

const storeVersion = async (version: number, effectiveFrom: string, mutate: (doc: Record<string, any>) => void) => {
  const doc = structuredClone(defaultPacks().street!) as Record<string, any>;
  mutate(doc);
  await database.db.insertInto('policy_versions').values({
    id: uuidv7(), pack_code: 'street', version, document: JSON.stringify(doc), author_id: null, reason: '旧程序写入', decision_ref: null, effective_from: effectiveFrom, diff: JSON.stringify([]),
  }).execute();
};

describe('stored policy versions the schema refuses', () => {
  it('a superseded invalid version is history and does not stop anything', async () => {
    await storeVersion(2, '2001-01-01', (d) => { d.security.lockout.maxFailures = 'five'; });
    await storeVersion(3, '2002-01-01', () => {});
    await expect(checkStoredPacks(database.db)).resolves.toBeUndefined();
    invalidatePolicyCache();
    expect(await activePolicy(database.db)).toMatchObject({ packCode: 'street', version: 3 });
  });

  it('the version in force is invalid: start-up is refused naming pack, version and path; the service never reads it', async () => {
    await storeVersion(4, addDays(officeToday(), -1), (d) => { d.security.lockout.maxFailures = -3; });
    const err = await checkStoredPacks(database.db).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidPolicyPackError);
    expect(err.problems).toEqual([expect.objectContaining({ packCode: 'street', version: 4, details: [expect.objectContaining({ path: 'security.lockout.maxFailures' })] })]);
    expect(err.message).toContain('street 第 4 版：security.lockout.maxFailures');
    await expect(prepareDatabase(database.db, config)).rejects.toThrow(/security\.lockout\.maxFailures/);
    invalidatePolicyCache();
    await expect(activePolicy(database.db)).rejects.toThrow(InvalidPolicyPackError);
    await database.db.deleteFrom('policy_versions').where('version', '=', 4).execute();
    invalidatePolicyCache();
    expect((await activePolicy(database.db)).version).toBe(3);
  });

  it('a future version that is invalid is refused at start-up too, before its day comes', async () => {
    await storeVersion(5, addDays(officeToday(), 30), (d) => { d.security.bogus = true; });
    const err = await checkStoredPacks(database.db).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidPolicyPackError);
    expect(err.problems[0]).toMatchObject({ packCode: 'street', version: 5, details: [expect.objectContaining({ path: 'security.bogus' })] });
  });
});
