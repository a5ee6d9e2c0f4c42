import type { Config } from './config.js';
import type { Database } from '../platform/db/index.js';
import type { Actor } from '../platform/auth/actor.js';

/** What every route and plugin can reach: configuration and the database. */
export interface AppContext {
  config: Config;
  database: Database;
  /** Set once migrations and demo data are complete (health answers 200 from then on). */
  ready: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
  interface FastifyRequest {
    actor: Actor | null;
    idempotency: { actorKey: string; key: string; bodyHash: string } | null;
  }
  interface FastifyContextConfig {
    /** No login needed (login, token, health, public portal). */
    public?: boolean;
    /** Permission code the caller must hold; with a list, any one of them. */
    permission?: string | readonly string[];
    /** Exempt from CSRF and idempotency handling (auth endpoints). */
    authEndpoint?: boolean;
  }
}
