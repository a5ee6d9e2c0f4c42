import path from 'node:path';

/** Runtime configuration, read once from the environment (API.md "Running"). */
export interface Config {
  port: number;
  host: string;
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /**
   * PostgreSQL connection string of the role that runs migrations and owns the tables
   * (`DATABASE_URL_OWNER`); the runtime role of `databaseUrl` then cannot alter the audit table.
   */
  databaseOwnerUrl: string | undefined;
  /** Directory of the embedded database, the key file and stored files. */
  dataDir: string;
  /** Load the demo street into an empty database. */
  demo: boolean;
  /** Hex key material for personal-data encryption; when absent a key file in dataDir is used. */
  dataKey: string | undefined;
  /** Log level for pino. */
  logLevel: string;
  /** Directory of the built web app served at `/`. */
  webDir: string;
  /** Trust X-Forwarded-For (behind a reverse proxy). */
  trustProxy: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  const demoRaw = env.JIEDAO_DEMO?.trim();
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    databaseOwnerUrl: databaseUrl ? env.DATABASE_URL_OWNER?.trim() || undefined : undefined,
    dataDir: path.resolve(env.JIEDAO_DATA_DIR ?? './data'),
    demo: demoRaw === undefined || demoRaw === '' ? !databaseUrl : demoRaw === '1' || demoRaw === 'true',
    dataKey: env.JIEDAO_DATA_KEY?.trim() || undefined,
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    webDir: path.resolve(env.JIEDAO_WEB_DIR ?? 'web/dist'),
    trustProxy: env.JIEDAO_TRUST_PROXY === '1',
  };
}
