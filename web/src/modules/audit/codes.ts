/**
 * The audit log's codes in words: which message keys name an action, an entity type, a summary key
 * and the codes a summary value may hold, tried in order. Pure (no React) so the coverage test
 * (test/i18n-codes.test.ts) reads the same rules the page uses: every action and entity type the
 * server can write, every summary key and every code value has a zh-CN and an English name.
 */

/** Every action the server writes (the filter lists them; the coverage test keeps this complete). */
export const AUDIT_ACTIONS = [
  'auth.login', 'auth.token', 'auth.login_failed', 'auth.login_locked', 'auth.logout', 'auth.password_change',
  'session.force_end',
  'user.create', 'user.post_add', 'user.post_end', 'user.role_grant', 'user.role_revoke', 'user.unlock', 'user.password_reset',
  'org_unit.create', 'org_unit.move', 'org_unit.close', 'org_unit.survey_record', 'org_unit.designate',
  'policy.version_create', 'policy.activate',
  'calendar.override_add', 'calendar.override_withdraw', 'calendar.year_publish',
  'file.upload', 'file.download', 'file.expire',
  'person.search', 'person.read', 'person.reveal', 'person.create', 'person.correct', 'person.depart', 'person.import', 'person.export',
  'population.import.start', 'population.export.start', 'population.compare.start', 'population.compare.view', 'population.compare.download',
  'population.exchange.start', 'population.exchange',
  'record.enter', 'record.pass', 'record.return', 'record.resubmit',
  'recheck.create', 'recheck.result', 'recheck.acknowledge',
  'move.create', 'move.confirm', 'move.reject',
  'house.create', 'house.update', 'tenancy.create', 'tenancy.end', 'employer.create',
  'patrol.create', 'crime_lead.report', 'incident.create', 'incident.dispatch', 'incident.handle', 'incident.close', 'grid_map.upload',
  'collection_point.contact_set', 'collection_point.contact_change',
  'permit.apply', 'permit.renew', 'permit.accept', 'permit.issue', 'permit.refuse', 'permit.reveal',
  'letter.create', 'letter.renew', 'letter.end',
  'assessment.evaluate', 'assessment.deduct',
  'leave.close', 'leave.balance_adjust',
] as const;

/** Every entity type the server writes. */
export const AUDIT_ENTITIES = [
  'session', 'user', 'org_unit', 'policy_pack', 'calendar_override', 'calendar_year', 'file', 'job',
  'person', 'collection_record', 'crime_lead', 'recheck', 'move', 'house', 'tenancy', 'employer', 'patrol', 'grid_incident', 'grid_map',
  'collection_point', 'residence_permit', 'responsibility_letter', 'assessment_item', 'leave_request',
] as const;

export const actionKeys = (action: string): string[] => [`action.${action}`];
export const entityKeys = (entity: string): string[] => [`entity.${entity}`];
export const jobKindKeys = (kind: string): string[] => [`jobkind.${kind}`];

/** A summary key: a name for this action first (`summary.org_unit.move.from`), then the common one. */
export const summaryKeyKeys = (action: string, key: string): string[] => [`summary.${action}.${key}`, `summary.${key}`];

/** Code families the pages already name, by summary key (a value is looked up in each, in order). */
const VALUE_FAMILIES: Record<string, string[]> = {
  kind: ['kind.', 'cal.override.kind.', 'pop.permit.kind.'],
  recordKind: ['pop.record.kind.'],
  idType: ['pop.idType.'],
  category: ['pop.incident.category.'],
  result: ['pop.recheck.result.'],
  level: ['pop.patrol.level.'],
  post: ['post.'],
  role: ['role.'],
  dataScope: ['scope.'],
  ownerKind: ['entity.'],
  fields: ['pop.person.'],
};

/** A code a summary value holds (`decision: return`, `idType: resident_id`, an item of `filters` …). */
export const summaryValueKeys = (action: string, key: string, value: string): string[] => [
  `auditv.${action}.${key}.${value}`,
  `auditv.${key}.${value}`,
  ...(VALUE_FAMILIES[key] ?? []).map((p) => `${p}${value}`),
];

/** The kind code of a named record (AuditName.kind), by its entity type (a unit's name says its kind already). */
const KIND_FAMILIES: Record<string, string[]> = {
  job: ['jobkind.'],
  file: ['entity.'],
  collection_record: ['pop.record.kind.'],
  recheck: ['pop.record.kind.'],
  residence_permit: ['pop.permit.kind.'],
  responsibility_letter: ['auditv.partyKind.'],
  patrol: ['pop.patrol.level.'],
  grid_incident: ['pop.incident.category.'],
  staff_post: ['post.'],
  role_grant: ['role.'],
  calendar_override: ['cal.override.kind.'],
};
export const nameKindKeys = (entity: string, kind: string): string[] => (KIND_FAMILIES[entity] ?? []).map((p) => `${p}${kind}`);

/** Summary keys holding numbers with a unit (`rows: 3` → 3 行). */
export const summaryUnitKeys = (key: string): string[] => [`auditu.${key}`];

/** Internal ids the table's one-line summary leaves out (the drawer shows them). */
export const INTERNAL_KEYS = new Set(['postId', 'grantId']);
