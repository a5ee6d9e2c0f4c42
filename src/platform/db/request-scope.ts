import { AsyncLocalStorage } from 'node:async_hooks';
import type { ControlledTransaction } from 'kysely';
import type { DB } from './schema.js';
import type { Db } from './index.js';

/**
 * The request an HTTP handler runs for. A POST with an `Idempotency-Key` runs its whole handler in
 * one transaction that also stores the key and the answer (server/plugins/idempotency.ts), so the
 * write and its replayable answer are committed together or not at all — a crash between commit
 * and reply leaves an answer to replay, never a write to repeat. While that transaction is open,
 * the database a request's code gets (`requestDb`, used by `app.ctx.database.db`) is the
 * transaction; `inTransaction` inside it joins it.
 */
export interface RequestScope {
  tx: ControlledTransaction<DB> | null;
  /** Run after the request's transaction commits (cache invalidations that must follow the commit). */
  afterCommit: (() => void)[];
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` (the rest of the request's handling) in a fresh request scope. */
export function runInRequestScope<T>(fn: () => T): T {
  return storage.run({ tx: null, afterCommit: [] }, fn);
}

export const currentRequestScope = (): RequestScope | undefined => storage.getStore();

/** The database for the code of the current request: its open request transaction, else `root`. */
export function requestDb(root: Db): Db {
  const tx = storage.getStore()?.tx;
  return tx && !tx.isCommitted && !tx.isRolledBack ? tx : root;
}

/**
 * Runs `fn` now, and again once the current request's transaction has committed, if one is open.
 * For cache invalidations: a cache another request refills before the commit would hold the old
 * state; the second run clears it once the new state is visible.
 */
export function nowAndAfterCommit(fn: () => void): void {
  fn();
  const scope = storage.getStore();
  if (scope?.tx && !scope.tx.isCommitted && !scope.tx.isRolledBack) scope.afterCommit.push(fn);
}
