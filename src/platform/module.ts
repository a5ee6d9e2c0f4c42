import type { FastifyInstance } from 'fastify';
import type { Migration } from 'kysely';
import type { z } from 'zod';
import type { Db } from './db/index.js';
import { registerMigrations } from './db/migrator.js';
import { extendRole } from './org/roles.js';
import { registerPolicySection } from './policy/schema.js';
import { registerDefaultSection } from './policy/packs.js';
import { registerJobKind, type JobHandler } from './jobs/service.js';
import { registerSchedule, type Schedule } from './jobs/scheduler.js';
import { onCalendarChange, type CalendarChange } from './calendar/service.js';
import { registerApprovalKind, type ApprovalKind } from './approvals/kinds.js';
import { registerAuditNames, type AuditNames } from './audit/names.js';
import { registerHomeCards, type HomeCardsSource } from './home/summary.js';
import { declareScopedTables, declareUnscopedTables, type ScopedTable } from './org/scoped-tables.js';

/**
 * What a business module (M2 population, M3 service hall, M4 leave …) brings, declared in one
 * place: a new module is one folder exporting a `JiedaoModule` and one line in `src/modules/index.ts`.
 * The platform installs it at start-up; nothing is registered as a side effect of importing it.
 */
export interface JiedaoModule {
  name: string;
  /** Named `NNNN_snake_case` inside the module's own number range (see db/migrator.ts). */
  migrations?: Record<string, Migration>;
  /** Permissions the module adds to platform roles. */
  permissions?: Record<string, readonly string[]>;
  /** The module's section of the policy pack: its schema and the shipped values of each pack. */
  policy?: { section: string; schema: z.ZodType; defaults: { street: unknown; bureau: unknown } };
  jobKinds?: Record<string, JobHandler>;
  schedules?: Schedule[];
  calendarListeners?: ((tx: Db, change: CalendarChange) => Promise<void>)[];
  approvalKinds?: ApprovalKind[];
  /** How the audit log names the module's records (the audit admin sees names, never internal ids). */
  auditNames?: AuditNames;
  /**
   * Tables holding data-scoped rows, each with the column naming its unit; queried only through
   * `inScope` (src/platform/org/scoped-tables.ts), which the scope-guard test enforces.
   */
  scopedTables?: Readonly<Record<string, ScopedTable>>;
  /** Tables of the module that carry a unit column yet are not data-scoped, each with the reason. */
  unscopedTables?: Readonly<Record<string, string>>;
  routes?: (app: FastifyInstance) => Promise<void>;
  /** The module's cards on the 工作台 (GET /api/v1/home/summary): to-dos and key figures for the user's permissions, in their scope. */
  homeCards?: HomeCardsSource;
  /** Loads the module's demo data into a freshly seeded demo street. */
  seedDemo?: (db: Db) => Promise<void>;
  /** Adds synthetic data at scale for `npm run generate` (reproducible from `seed`). */
  generate?: (db: Db, opts: { persons: number; seed: number; log: (msg: string) => void }) => Promise<void>;
}

const installed = new Set<string>();

/** Installs modules once per process (idempotent: tests build many apps). */
export function installModules(modules: readonly JiedaoModule[]): void {
  for (const m of modules) {
    if (installed.has(m.name)) continue;
    installed.add(m.name);
    if (m.migrations) registerMigrations(m.migrations);
    for (const [role, perms] of Object.entries(m.permissions ?? {})) extendRole(role, [...perms]);
    if (m.policy) {
      registerPolicySection(m.policy.section, m.policy.schema);
      registerDefaultSection(m.policy.section, m.policy.defaults);
    }
    for (const [kind, handler] of Object.entries(m.jobKinds ?? {})) registerJobKind(kind, handler);
    for (const s of m.schedules ?? []) registerSchedule(s);
    for (const l of m.calendarListeners ?? []) onCalendarChange(l);
    for (const k of m.approvalKinds ?? []) registerApprovalKind(k);
    if (m.scopedTables) declareScopedTables(m.name, m.scopedTables);
    if (m.unscopedTables) declareUnscopedTables(m.name, m.unscopedTables);
    if (m.auditNames) registerAuditNames(m.auditNames);
    if (m.homeCards) registerHomeCards(m.homeCards);
  }
}
