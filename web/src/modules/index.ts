import type { WebModule } from './types';
import { approvalsWeb } from './approvals/nav';
import { leaveWeb } from './leave/nav';
import { populationWeb } from './population/nav';

/** The business modules of the web app, in menu order. A new module is one folder and one line here (and one in ./messages.ts). */
export const WEB_MODULES: WebModule[] = [approvalsWeb, leaveWeb, populationWeb];

export const MODULE_NAV = WEB_MODULES.flatMap((m) => m.nav);
export const MODULE_PAGES: WebModule['pages'] = Object.assign({}, ...WEB_MODULES.map((m) => m.pages));
export const MODULE_PRINT_PAGES = WEB_MODULES.flatMap((m) => m.printPages ?? []);
export const APPROVAL_FORMS: NonNullable<WebModule['approvalForms']> = Object.assign({}, ...WEB_MODULES.map((m) => m.approvalForms ?? {}));
/** key → how the 工作台 draws the server's card of that key. */
export const MODULE_HOME_CARDS = new Map(WEB_MODULES.flatMap((m) => m.homeCards ?? []).map((c) => [c.key, c]));
