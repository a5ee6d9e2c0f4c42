import { loadConfig, type Config } from '../src/server/config.js';
import { openDatabase, type Database } from '../src/platform/db/index.js';
import { acquireDataDirLock, DataDirLockedError } from '../src/platform/db/datadir-lock.js';
import { prepareDatabase } from '../src/server/bootstrap.js';
import { checkKeyFingerprint, deriveKeys, loadMasterKey, setDataKeys } from '../src/platform/crypto/keys.js';

/**
 * Opens the configured database for a script. On PGlite this takes the data-directory lock, so a
 * script refuses a directory that a running server holds (exit code 2, with the reason).
 */
export async function openForScript(opts: { prepare?: boolean } = {}): Promise<{ config: Config; database: Database }> {
  const config = loadConfig();
  try {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    if (opts.prepare) await prepareDatabase(database.db, config, (m) => console.log(m));
    return { config, database };
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

/** Loads the data keys (checked against the database's fingerprint) for a script that needs them. */
export async function loadDataKeysForScript(config: Config, db: Database['db']): Promise<void> {
  const keys = deriveKeys(loadMasterKey(config.dataKey, config.dataDir));
  await checkKeyFingerprint(db, keys);
  setDataKeys(keys);
}

/** `--name value` command-line options. */
export function option(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Takes the PGlite data-directory lock for a script, or exits with code 2 when a server holds it. */
export function lockDataDirOrExit(dir: string): () => void {
  try {
    return acquireDataDirLock(dir);
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}
