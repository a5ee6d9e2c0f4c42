import type { Db } from '../../platform/db/index.js';
import { generateRegistry } from './synthetic.js';

/**
 * `npm run generate -- --persons N [--seed S]`: brings the registry to N persons (synthetic.ts),
 * adding only the difference to what is there; reproducible for a seed.
 */
export async function generatePopulation(db: Db, opts: { persons: number; seed: number; log: (msg: string) => void }): Promise<void> {
  if (opts.persons <= 0) return;
  await generateRegistry(db, { persons: opts.persons, seed: opts.seed, log: opts.log });
}
