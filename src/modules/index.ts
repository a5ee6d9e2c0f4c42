import { installModules, type JiedaoModule } from '../platform/module.js';
import { populationModule } from './population/index.js';
import { leaveModule } from './leave/index.js';

export type { JiedaoModule };

/** The business modules of this build, in order (one line each). */
export const modules: JiedaoModule[] = [populationModule, leaveModule];

installModules(modules);
