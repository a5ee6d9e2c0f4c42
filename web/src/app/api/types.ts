/** Shapes of the platform API (see docs API.md). Optional fields are tolerated when absent. */

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export type OrgKind =
  | 'street'
  | 'community'
  | 'grid'
  | 'police_area'
  | 'collection_point'
  | 'department'
  | 'service_hall';

export interface UserPost {
  id?: string;
  orgUnitId: string;
  orgUnitName?: string;
  orgUnitKind?: OrgKind;
  post: string;
  primary: boolean;
  validFrom?: string;
  validTo?: string | null;
}

export interface SessionUser {
  id: string;
  username: string;
  name: string;
  roles: string[];
  permissions?: string[];
  posts: UserPost[];
  mustChangePassword: boolean;
}

export interface SessionResponse {
  user: SessionUser;
  csrfToken: string;
}

export interface OrgNode {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  code?: string | null;
  name: string;
  validFrom?: string | null;
  validTo?: string | null;
  children?: OrgNode[];
}

export interface Survey {
  areaKm2?: number | null;
  streets?: number | null;
  residents?: number | null;
  migrants?: number | null;
  houses?: number | null;
  rentals?: number | null;
  shops?: number | null;
  employers?: number | null;
  asOf?: string | null;
}

export interface OrgUnitDetail {
  id: string;
  parentId: string | null;
  parentName?: string | null;
  kind: OrgKind;
  code?: string | null;
  name: string;
  validFrom?: string | null;
  validTo?: string | null;
  /** false: an ancestor of the user's units, shown only to place them in the tree (no figures, no staff). */
  inScope?: boolean;
  survey?: Survey | null;
  ratios?: { migrantShare?: number | null; rentalShare?: number | null } | null;
  classification?: { kind: 'regular' | 'key'; designated?: boolean; reason?: string | null; meetsRegularCriterion?: boolean } | null;
  flags?: { code: string; message: string }[];
  links?: { id: string; kind: OrgKind; code?: string | null; name: string }[];
  staff?: { userId: string; name: string; post: string; primary: boolean }[];
}

export interface AdminUser {
  id: string;
  username: string;
  name: string;
  status: 'active' | 'disabled';
  locked: boolean;
  mustChangePassword: boolean;
  roles: string[];
  posts: UserPost[];
}

export interface Grant {
  id: string;
  role: string;
  roleName?: string;
  dataScope: string;
  customUnitIds?: string[] | null;
  grantedAt: string;
  grantedBy?: string | null;
  grantedByName?: string | null;
  revokedAt?: string | null;
  revokeReason?: string | null;
}

export interface AdminUserDetail extends AdminUser {
  grants: Grant[];
}

export interface Role {
  code: string;
  name: string;
  permissions: string[];
  defaultDataScope?: string;
}

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup_workday';

export interface CalendarDay {
  date: string;
  workday: boolean;
  kind: DayKind;
  name?: string | null;
  override?: { id: string; note?: string | null } | null;
}

export interface CalendarOverride {
  id: string;
  date: string;
  kind: 'holiday' | 'makeup_workday';
  note?: string | null;
  createdBy?: string | null;
  createdByName?: string | null;
  createdAt?: string | null;
  withdrawnAt?: string | null;
  withdrawReason?: string | null;
}

export interface PolicyPackSummary {
  code: string;
  name: string;
  active: boolean;
  /** The version in force today. */
  currentVersion: number;
  /** The newest version; greater than currentVersion while it awaits its effective date. */
  latestVersion: number;
}

export interface PolicyPack extends PolicyPackSummary {
  /** The document in force today. */
  document: unknown;
  /** Effective date of a newer version not yet in force. */
  pendingEffectiveFrom: string | null;
}

export interface PolicyVersion {
  version: number;
  author?: string | null;
  authorName?: string | null;
  createdAt: string;
  reason?: string | null;
  decisionRef?: string | null;
  effectiveFrom?: string | null;
}

export interface PolicyVersionDetail extends PolicyVersion {
  document: unknown;
  diff: { path: string; before: unknown; after: unknown }[];
}

export interface AuditEvent {
  seq: number | string;
  at: string;
  actorId?: string | null;
  actorName?: string | null;
  action: string;
  entity?: string | null;
  entityId?: string | null;
  ip?: string | null;
  /** Free-form: a string or an object of named values. */
  summary?: unknown;
  sealed?: boolean;
  /** The actor's username (a failed login has none: `actorName` is what was typed). */
  actorUsername?: string | null;
  /** The record acted on, named by the server (a person masked, a unit by name, a job by kind and file). */
  object?: AuditName | null;
  /** Ids the summary holds → their names. */
  names?: Record<string, AuditName>;
}

/** A record named for the audit admin: never an internal id, a full ID number or a resident's full name. */
export interface AuditName {
  name: string;
  /** A person's masked ID number, a user's username, a request's applicant … */
  detail?: string | null;
  /** A code named by the page (a job's kind, a record's kind, a post …), read with `entity`. */
  kind?: string | null;
  entity?: string;
}

export interface AuditVerify {
  ok: boolean;
  checked: number;
  firstBrokenSeq?: number | string | null;
}
