import type { Db } from '../db/index.js';

/**
 * How the audit admin sees a record an event names: its name in words, never an internal id, a full
 * ID number, a phone or a resident's full name (a person is `张* 110***********1234`).
 */
export interface AuditName {
  /** The record in words: a unit's name, a person's masked name, a file's name, an address … */
  name: string;
  /** A second line: a person's masked ID number, a user's username, a leave request's applicant … */
  detail?: string | null;
  /** A code the page translates: a job's kind, a file's owner, a record's kind, a post … */
  kind?: string | null;
}

/** Names of the records of one entity type, looked up together (one query per page of events, never one per event). */
export type AuditNameResolver = (db: Db, ids: readonly string[]) => Promise<Map<string, AuditName>>;

export interface AuditNames {
  /** Entity type (as written in `audit_events.entity`, or a kind a summary key points at) → its resolver. */
  entities?: Record<string, AuditNameResolver>;
  /**
   * Summary keys holding ids (or arrays of ids) → the entity type they name: `gridId` → `org_unit`.
   * `<action>:<key>` applies to one action only (`org_unit.move:from` → `org_unit`).
   */
  summaryRefs?: Record<string, string>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Only well-formed ids reach a uuid column (a summary is free JSON). */
export const uuidsOf = (ids: readonly string[]): string[] => ids.filter((id) => UUID.test(id));

const resolvers = new Map<string, AuditNameResolver>();
const refs = new Map<string, string>();

/** Platform parts and modules declare how their records are named in the audit log (modules through `JiedaoModule.auditNames`). */
export function registerAuditNames(spec: AuditNames): void {
  for (const [entity, r] of Object.entries(spec.entities ?? {})) {
    if (resolvers.has(entity) && resolvers.get(entity) !== r) throw new Error(`audit names of ${entity} already registered`);
    resolvers.set(entity, r);
  }
  for (const [key, entity] of Object.entries(spec.summaryRefs ?? {})) refs.set(key, entity);
}

export const auditNameResolver = (entity: string): AuditNameResolver | undefined => resolvers.get(entity);

/** The entity type a summary value names, or undefined when it is not a reference. */
export const summaryRef = (action: string, key: string): string | undefined => refs.get(`${action}:${key}`) ?? refs.get(key);
