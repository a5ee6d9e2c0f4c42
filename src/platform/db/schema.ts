import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Timestamps are written as Date and read back as Date. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills in (now()) when not given. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** Calendar dates travel as 'YYYY-MM-DD' strings (the pg type parser is set so). */
type DateCol = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface MetaTable { key: string; value: Json<unknown> }

export interface SurveySnapshot {
  areaKm2: number | null; streets: number | null; residents: number; migrants: number;
  houses: number; rentals: number; shops: number; employers: number; asOf: string;
}
export interface KeyDesignation { reason: string; decidedOn: string; decisionRef?: string }

export interface OrgUnitTable {
  id: string;
  parent_id: string | null;
  kind: string;
  code: string;
  name: string;
  street_code: string;
  sort_order: number;
  valid_from: DateCol;
  valid_to: DateCol | null;
  survey: Json<SurveySnapshot | null> | null;
  key_designation: Json<KeyDesignation | null> | null;
  created_at: DefaultTimestamp;
}
export interface OrgUnitLinkTable {
  id: string; kind: string; from_unit_id: string; to_unit_id: string;
  valid_from: DateCol; valid_to: DateCol | null;
}
export interface OrgUnitParentHistoryTable {
  id: string; unit_id: string; parent_id: string | null; valid_from: DateCol; valid_to: DateCol | null;
  changed_by: string | null; reason: string | null; created_at: DefaultTimestamp;
}
export interface UserTable {
  id: string; username: string; name: string; password_hash: string;
  must_change_password: boolean; status: string;
  created_at: DefaultTimestamp; password_changed_at: Timestamp | null;
  /** 职级 (e.g. 一级科员, 四级主任科员), for chain conditions; null when not recorded. */
  rank: ColumnType<string | null, string | null | undefined, string | null>;
  /** Start of service (参加工作时间), for annual-leave entitlement. */
  work_started_on: ColumnType<string | null, string | null | undefined, string | null>;
}
export interface StaffPostTable {
  id: string; user_id: string; org_unit_id: string; post: string; is_primary: boolean;
  valid_from: DateCol; valid_to: DateCol | null; created_at: DefaultTimestamp; created_by: string | null;
}
export interface RoleGrantTable {
  id: string; user_id: string; role: string; data_scope: string; custom_unit_ids: string[];
  granted_by: string | null; granted_at: DefaultTimestamp;
  revoked_at: Timestamp | null; revoked_by: string | null; revoke_reason: string | null;
}
export interface SessionTable {
  id: string; user_id: string; kind: string; csrf_token: string;
  created_at: DefaultTimestamp; last_seen_at: Timestamp; expires_at: Timestamp; ended_at: Timestamp | null;
  ip: string | null;
}
export interface LoginFailureTable {
  username: string; failures: number; window_started_at: Timestamp; locked_until: Timestamp | null;
}
export interface AuditEventTable {
  seq: Generated<string>;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  ip: string | null;
  summary: string;
  chain_pos: string | null;
  hash: string | null;
}
export interface IdempotencyKeyTable {
  actor_key: string; key: string; method: string; path: string; body_hash: string;
  status: number | null; response: Json<unknown> | null; created_at: DefaultTimestamp;
}
export interface CalendarOverrideTable {
  id: string; date: DateCol; kind: string; note: string;
  created_by: string | null; created_at: DefaultTimestamp;
  withdrawn_at: Timestamp | null; withdrawn_by: string | null; withdraw_reason: string | null;
}
export interface CalendarPublishedYearTable {
  year: number; notice_ref: string; created_by: string | null; created_at: DefaultTimestamp;
}
export interface PolicyPackTable { code: string; name: string; created_at: DefaultTimestamp }
export interface PolicyVersionTable {
  id: string; pack_code: string; version: number; document: Json<unknown>;
  author_id: string | null; created_at: DefaultTimestamp; reason: string; decision_ref: string | null;
  effective_from: DateCol; diff: Json<unknown>;
}
export interface PolicyActivationTable {
  id: string; pack_code: string; activated_by: string | null; activated_at: DefaultTimestamp; reason: string;
}
export interface FileTable {
  id: string;
  /** Set only on files stored before encryption at rest: the plaintext blob's name (files/service.ts); cleared once sealed. */
  sha256: string | null;
  size: number; mime: string; original_name: string;
  created_by: string | null; created_at: DefaultTimestamp; owner_kind: string | null; owner_id: string | null;
  /** When retention deleted the content (files/retention.ts); the row stays as history. */
  expired_at: Timestamp | null;
}
export interface JobTable {
  id: string; kind: string; status: 'queued' | 'running' | 'done' | 'failed';
  created_by: string | null; created_at: DefaultTimestamp;
  started_at: Timestamp | null; finished_at: Timestamp | null; heartbeat_at: Timestamp | null;
  attempts: number; params: Json<unknown>;
  processed: number; succeeded: number; failed: number;
  /** Where a resumed run continues (set with the progress of each committed chunk). */
  cursor: Json<unknown> | null;
  result: Json<unknown> | null;
  error: string | null;
  error_file_id: string | null;
  result_file_id: string | null;
}

export type ApprovalStatus = 'pending' | 'returned' | 'approved' | 'rejected' | 'withdrawn';
export type StepStatus = 'waiting' | 'open' | 'approved' | 'rejected' | 'returned' | 'skipped' | 'cancelled';
export type TaskStatus = 'open' | 'waiting' | 'done' | 'cancelled';
export type TaskOrigin = 'resolved' | 'added_before' | 'added_after' | 'delegated' | 'transferred' | 'escalated';
export interface CaseNumberTable { kind: string; year: number; last_value: number }
export interface ApprovalTable {
  id: string; kind: string; subject_id: string; case_no: string; title: string;
  applicant_id: string; applicant_unit_id: string; street_code: string;
  form: Json<Record<string, unknown>>; policy_pack: string; policy_version: number;
  status: ApprovalStatus; current_step: number | null; first_decision_at: Timestamp | null;
  created_at: DefaultTimestamp; finished_at: Timestamp | null;
}
export interface ApprovalStepTable {
  id: string; approval_id: string; step_order: number; round: ColumnType<number, number | undefined, number>;
  key: string; name: string; rule: Json<unknown>; approver_post: string;
  /** Who the step was expected to go to when the request was submitted (preview; resolved again on opening). */
  planned_ids: ColumnType<string[], string[] | undefined, string[]>; mode: 'one' | 'all' | 'any'; status: StepStatus;
  due_on: DateCol | null; timeout_action: ColumnType<string, string | undefined, string>;
  opened_at: Timestamp | null; closed_at: Timestamp | null;
}
export interface ApprovalTaskTable {
  id: string; approval_id: string; step_id: string; assignee_id: string; owner_id: string; on_behalf_of_id: string | null;
  origin: TaskOrigin; parent_task_id: string | null; status: TaskStatus; decision: string | null; comment: string | null;
  kind: string; due_on: DateCol | null; created_at: DefaultTimestamp; decided_at: Timestamp | null;
}
export interface ApprovalActionTable {
  id: string; approval_id: string; step_id: string | null; task_id: string | null; actor_id: string | null;
  on_behalf_of_id: string | null; action: string; comment: string | null;
  payload: ColumnType<Record<string, unknown>, string | undefined, string>; idempotency_key: string | null; at: DefaultTimestamp;
}
export interface ApprovalCcTable { id: string; approval_id: string; user_id: string; added_by: string | null; created_at: DefaultTimestamp; read_at: Timestamp | null }
export interface DelegationTable {
  id: string; from_user_id: string; to_user_id: string; valid_from: DateCol; valid_to: DateCol; kinds: string[] | null;
  reason: string; created_by: string | null; created_at: DefaultTimestamp; revoked_at: Timestamp | null; revoked_by: string | null;
}
export interface NotificationTable {
  id: string; user_id: string; kind: string; title: string; body: ColumnType<string, string | undefined, string>;
  link: string | null; entity: string | null; entity_id: string | null; created_at: DefaultTimestamp; read_at: Timestamp | null;
}
export interface ScheduleRunTable { name: string; slot: Timestamp; started_at: DefaultTimestamp; finished_at: Timestamp | null; error: string | null }

export interface DB {
  meta: MetaTable;
  org_units: OrgUnitTable;
  org_unit_links: OrgUnitLinkTable;
  org_unit_parent_history: OrgUnitParentHistoryTable;
  users: UserTable;
  staff_posts: StaffPostTable;
  role_grants: RoleGrantTable;
  sessions: SessionTable;
  login_failures: LoginFailureTable;
  audit_events: AuditEventTable;
  idempotency_keys: IdempotencyKeyTable;
  calendar_overrides: CalendarOverrideTable;
  calendar_published_years: CalendarPublishedYearTable;
  policy_packs: PolicyPackTable;
  policy_versions: PolicyVersionTable;
  policy_activations: PolicyActivationTable;
  files: FileTable;
  jobs: JobTable;
  case_numbers: CaseNumberTable;
  approvals: ApprovalTable;
  approval_steps: ApprovalStepTable;
  approval_tasks: ApprovalTaskTable;
  approval_actions: ApprovalActionTable;
  approval_cc: ApprovalCcTable;
  delegations: DelegationTable;
  notifications: NotificationTable;
  schedule_runs: ScheduleRunTable;
}

export type OrgUnitRow = Selectable<OrgUnitTable>;
export type UserRow = Selectable<UserTable>;
export type FileRow = Selectable<FileTable>;
export type JobRow = Selectable<JobTable>;
export type NewAuditEvent = Insertable<AuditEventTable>;
