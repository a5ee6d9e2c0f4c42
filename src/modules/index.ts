import type { FastifyInstance } from 'fastify';
import type { Migration } from 'kysely';
import type { Db } from '../platform/db/index.js';

/**
 * Business modules (M2 population, M3 service hall, …) plug in here: their migrations, routes,
 * policy sections and demo data. The platform never imports a module directly.
 */
export interface JiedaoModule {
  name: string;
  migrations?: Record<string, Migration>;
  routes?: (app: FastifyInstance) => Promise<void>;
  /** Loads the module's demo data into a freshly seeded demo street. */
  seedDemo?: (db: Db) => Promise<void>;
  /** Adds synthetic data at scale for `npm run generate` (reproducible from `seed`). */
  generate?: (db: Db, opts: { persons: number; seed: number; log: (msg: string) => void }) => Promise<void>;
}

import { populationModule } from './population/index.js';

export const modules: JiedaoModule[] = [populationModule];
