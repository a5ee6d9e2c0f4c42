import { installModules, type JiedaoModule } from '../platform/module.js';
import { populationModule } from './population/index.js';
import { leaveModule } from './leave/index.js';
import { fileStoreModule } from '../platform/files/retention.js';

export type { JiedaoModule };

/** The business modules of this build, in order (one line each). */
export const modules: JiedaoModule[] = [populationModule, leaveModule];

/** Platform parts that declare schedules like a module (the file store's retention), installed with them. */
const platformParts: JiedaoModule[] = [fileStoreModule];

installModules([...platformParts, ...modules]);
