import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { sql } from 'kysely';
import { errorOf, testApp, type Client, type TestApp } from './helpers/app.js';
import { loggerOptions } from '../src/server/logger.js';
import { officeToday } from '../src/platform/time.js';

/**
 * Issue 7, item 6: a database error logged by the server must not carry what the request sent —
 * no SQL parameters (PGlite attaches them to its errors), no `detail` (PostgreSQL's "Failing row
 * contains (…)" / "Key (…)=(…)"), no quoted values in the message. The name is fictional.
 */
const NAME = '司马探针';
const ID_LIKE = 'E98765432';

let t: TestApp;
let wg: Client;
let chunks: string[] = [];
const logged = () => chunks.join('');

beforeAll(async () => {
  t = await testApp();
  wg = await t.login('wangge-sh-1');
  // Every line the app and its request loggers write from now on goes to `chunks`.
  const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
  (t.app.log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = stream;
  t.app.log.level = 'info';
});
afterAll(async () => { await t?.close(); });

describe('database errors reach the log without the request\'s values', () => {
  it('a 500 from a failing INSERT of a person: the log has the error (code, constraint) but not the name, the number or the date sent', async () => {
    const grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    // A fault injected in the database: every new person row now violates a check constraint.
    await sql`alter table persons add constraint log_probe_fault check (arrived_on < '1800-01-01') not valid`.execute(t.db);
    chunks = [];
    try {
      const res = await wg.post('/api/v1/population/persons', { name: NAME, idType: 'passport', idNumber: ID_LIKE, gridId: grid, arrivedOn: '2025-03-05', occupation: '探针工程师' });
      expect(res.statusCode, res.body).toBe(500);
      expect(errorOf(res).code).toBe('INTERNAL_ERROR');
      expect(res.body).not.toContain(NAME);
    } finally {
      await sql`alter table persons drop constraint log_probe_fault`.execute(t.db);
    }
    const out = logged();
    expect(out).toContain('unhandled error');
    expect(out).toContain('23514'); // check_violation: the error itself is still there to diagnose
    expect(out).toContain('log_probe_fault');
    expect(out).not.toContain(NAME);
    expect(out).not.toContain('探针工程师');
    expect(out).not.toContain(ID_LIKE);
    expect(out).not.toContain('2025-03-05');
    expect(out).not.toMatch(/"params"/);
    expect(out).not.toMatch(/"detail"/);
  });

  it('a database error whose message quotes the value (invalid input) is logged with the value removed', async () => {
    chunks = [];
    const err = await sql`select ${NAME}::date`.execute(t.db).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    t.app.log.error({ err }, 'query failed');
    t.app.log.error(err as Error); // an Error as the first argument: pino makes its message the line's msg
    const out = logged();
    expect(out).toContain('22007'); // invalid_datetime_format
    expect(out).toContain('query failed');
    expect(out).not.toContain(NAME);
    expect(out).not.toMatch(/"params"/);
  });
});

describe('the logger options alone', () => {
  function capture(): { logger: pino.Logger; lines: () => string } {
    const out: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { out.push(chunk.toString()); cb(); } });
    return { logger: pino(loggerOptions('info') as pino.LoggerOptions, stream), lines: () => out.join('') };
  }
  /** Shaped like the errors of pg and PGlite (pg-protocol DatabaseError). */
  function dbError(): Error {
    const e = Object.assign(new Error(`duplicate key value violates unique constraint "houses_address_uq" for "${NAME}"`), {
      name: 'DatabaseError', severity: 'ERROR', code: '23505', constraint: 'houses_address_uq', table: 'houses',
      detail: `Key (owner_name)=(${NAME}) already exists.`, where: `SQL statement "insert … ${NAME}"`,
      query: 'insert into "houses" ("owner_name", "born") values ($1, $2)', params: [NAME, '1970-03-05'],
    });
    return e;
  }

  it('drop params, detail and where of a database error, keep its code, table and constraint, at any depth and as the first argument', () => {
    const { logger, lines } = capture();
    logger.error({ err: dbError() }, 'unhandled error');
    logger.error(dbError());
    logger.error({ job: { error: dbError() } }, 'job failed');
    logger.error({ err: new Error('wrapped', { cause: dbError() }) }, 'wrapped');
    const out = lines();
    expect(out).not.toContain(NAME);
    expect(out).not.toContain('1970-03-05');
    expect(out).not.toMatch(/"params"|"detail"|"where"/);
    expect(out.match(/23505/g)?.length).toBeGreaterThanOrEqual(4);
    expect(out).toContain('houses_address_uq');
    expect(out).toContain('insert into \\"houses\\"'); // the statement, placeholders only
  });

  it('other errors keep their message', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error(`任务失败：${officeToday()}`) }, 'x');
    expect(lines()).toContain(`任务失败：${officeToday()}`);
  });
});
