import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { Db, Tx } from '../../platform/db/index.js';

/** Row types of the population module's tables (see migration.ts). */
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type DateCol = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string | undefined, string>;

export interface PersonTable {
  id: string; id_type: string; id_hmac: string | null; id_enc: string | null; id_masked: string | null;
  name: string; name_initials: string; gender: string | null; birth_date: DateCol | null;
  ethnicity: string | null; origin: string | null; education: string | null; occupation: string | null;
  phone_hmac: string | null; phone_enc: string | null; phone_masked: string | null;
  employer_id: string | null; status: 'active' | 'left'; grid_id: string; house_id: string | null;
  arrived_on: DateCol; left_on: DateCol | null; arrival_reason: string | null;
  review_status: 'reported' | 'passed' | 'returned';
  created_by: string | null; created_at: Ts; updated_at: Ts; version: Generated<number>;
}
export interface ResidenceTable {
  id: string; person_id: string; grid_id: string; house_id: string | null; from_date: DateCol; to_date: DateCol | null;
  arrival_reason: string | null; departure_reason: string | null; created_by: string | null; created_at: Ts;
  ended_by: string | null; ended_at: Date | null;
}
export interface HouseTable {
  id: string; grid_id: string; address: string; building: string | null; unit_no: string | null; room: string | null;
  owner_name: string; owner_id_hmac: string | null; owner_id_enc: string | null; owner_id_masked: string | null;
  owner_phone_enc: string | null; owner_phone_masked: string | null;
  rental: boolean; rooms: number | null; area_m2: ColumnType<string | null, number | null, number | null>;
  status: Generated<'active' | 'removed'>; created_by: string | null; created_at: Ts;
  /** 000:43 — when the house last changed (the municipal exchange sends changed houses). */
  updated_at: Generated<Date>;
}
export interface TenancyTable {
  id: string; house_id: string; tenant_person_id: string | null; tenant_name: string; landlord_name: string;
  from_date: DateCol; to_date: DateCol | null; created_by: string | null; created_at: Ts;
}
export interface EmployerTable {
  id: string; grid_id: string; name: string; uscc: string | null; address: string; contact_name: string | null;
  phone_enc: string | null; phone_masked: string | null; employees: number; status: Generated<'active' | 'closed'>;
  created_by: string | null; created_at: Ts;
}
export interface PersonEventTable { id: string; person_id: string; kind: string; at: Ts; actor_id: string | null; data: Json<Record<string, unknown>> }
export interface CollectionRecordTable {
  id: string; kind: 'arrival' | 'departure' | 'move' | 'house'; person_id: string | null; house_id: string | null; grid_id: string;
  collected_by: string; collected_at: Date; reported_at: Date; late: boolean;
  review_status: 'collected' | 'reported' | 'passed' | 'returned'; reviewed_by: string | null; reviewed_at: Date | null;
  /** 000:27 — who entered it into the registry (录入), and when; null while only collected. */
  entered_by: string | null; entered_at: Date | null;
  return_reasons: string | null; policy_pack: string | null; policy_version: number | null; created_at: Ts;
}
export interface CollectionReviewTable { id: string; record_id: string; decision: 'pass' | 'return'; reasons: string | null; actor_id: string; at: Ts }
/** 000:41 — a crime lead from a household visit; suspect data sealed. */
export interface CrimeLeadTable {
  id: string; grid_id: string; police_area_id: string | null; what: string; place: string; occurred_at: Date;
  suspect_name_enc: string | null; suspect_name_masked: string | null; suspect_id_enc: string | null; suspect_id_masked: string | null;
  suspect_phone_enc: string | null; suspect_phone_masked: string | null;
  reward_eligible: Generated<boolean>; routed_to: Json<string[]>; reported_by: string; reported_at: Generated<Date>;
}
export interface WorkCounterTable { user_id: string; month: string; grid_id: string; collected: number; entered: number; passed: number }
export interface PopulationCounterTable { grid_id: string; migrants: number; houses: number; rentals: number; employers: number }
export interface MoveTable {
  id: string; person_id: string; from_grid_id: string; to_grid_id: string; house_id: string | null; arrived_on: DateCol;
  status: 'pending' | 'confirmed' | 'rejected'; cross_community: boolean; requested_by: string; requested_at: Ts;
  decided_by: string | null; decided_at: Date | null; decision_reason: string | null;
}
export interface PatrolTable {
  id: string; level: 'street' | 'station' | 'grid'; target_unit_id: string; house_id: string | null; patrolled_on: DateCol;
  patroller_id: string; checked: string; findings: string; arrivals_found: number; departures_found: number;
  rentals_counted: number | null; migrants_counted: number | null; created_at: Ts;
}
export interface RecheckTable {
  id: string; record_id: string; grid_id: string; scheduled_on: DateCol; scheduled_by: string; done_on: DateCol | null;
  done_by: string | null; result: 'correct' | 'error' | 'concealment' | 'omission' | null; notes: string | null;
  police_ack_by: string | null; police_ack_at: Date | null; created_at: Ts;
}
export interface GridIncidentTable {
  id: string; grid_id: string; category: 'person' | 'place' | 'event' | 'object' | 'organization'; title: string; description: string;
  location: string | null; lat: ColumnType<string | null, number | null, number | null>; lng: ColumnType<string | null, number | null, number | null>;
  photo_file_ids: Json<string[]>; status: 'reported' | 'dispatched' | 'handling' | 'closed'; reported_by: string; reported_at: Ts;
  assignee_id: string | null; closed_at: Date | null; resolution: string | null;
}
export interface GridIncidentActionTable { id: string; incident_id: string; action: string; note: string | null; actor_id: string; at: Ts }
export interface GridMapTable { id: string; geojson: Json<unknown>; uploaded_by: string | null; uploaded_at: Ts; note: string | null }
/** 居住证 / 暂住证 applications and their dated steps (see migration-permits.ts). */
export interface ResidencePermitTable {
  id: string; person_id: string; kind: 'residence_permit' | 'temporary_permit'; applied_on: DateCol;
  status: 'applied' | 'accepted' | 'issued' | 'refused'; accepted_on: DateCol | null; issued_on: DateCol | null; valid_until: DateCol | null;
  card_no_hmac: string | null; card_no_enc: string | null; card_no_masked: string | null; refused_on: DateCol | null; refused_reason: string | null;
  renews_id: string | null; note: string | null; created_by: string; created_at: Ts; updated_at: Ts;
}
export interface ResidencePermitActionTable { id: string; permit_id: string; action: 'apply' | 'accept' | 'issue' | 'refuse'; on_date: DateCol; actor_id: string; at: Ts; data: Json<Record<string, unknown>> }
/** 责任书 signed by a landlord (house) or an employer. */
/** 000:40 — a deduction item of a community's annual target assessment (年度目标考核扣分项目). */
export interface AssessmentItemTable {
  id: string; org_unit_id: string; year: number; month: string | null; source: 'entry_shortfall' | 'district';
  /** numeric: read back as a string on PostgreSQL. */
  points: ColumnType<string, number, number>; reason: string; entries: number | null; standard: number | null;
  policy_pack: string | null; policy_version: number | null; created_by: string | null; created_at: Generated<Date>;
}
/** 000:40 — 扣除此项工作的部分经费: set once per community and year by its first deduction item. */
export interface FundingDeductionFlagTable { org_unit_id: string; year: number; first_item_id: string; set_at: Generated<Date> }
/** 000:43 — one synchronisation with the municipal migrant system (市级系统交换): the file covers (since, until]. */
export interface ExchangeSyncTable {
  id: string; job_id: string; requested_by: string; requested_at: Generated<Date>; since: Date | null; until: Date;
  status: Generated<'running' | 'done' | 'failed'>; persons: number | null; houses: number | null; file_id: string | null; finished_at: Date | null;
}
export interface ResponsibilityLetterTable {
  id: string; party_kind: 'landlord' | 'employer'; house_id: string | null; employer_id: string | null; grid_id: string; party_name: string;
  signed_on: DateCol; term_from: DateCol; term_to: DateCol; note: string | null; ended_on: DateCol | null; end_reason: string | null;
  ended_by: string | null; renews_id: string | null; created_by: string; created_at: Ts;
}

export type PopulationTables = {
  persons: PersonTable; residences: ResidenceTable; houses: HouseTable; tenancies: TenancyTable; employers: EmployerTable;
  person_events: PersonEventTable; collection_records: CollectionRecordTable; collection_reviews: CollectionReviewTable; crime_leads: CrimeLeadTable;
  work_counters: WorkCounterTable; population_counters: PopulationCounterTable; moves: MoveTable; patrols: PatrolTable;
  rechecks: RecheckTable; grid_incidents: GridIncidentTable; grid_incident_actions: GridIncidentActionTable; grid_maps: GridMapTable;
  residence_permits: ResidencePermitTable; residence_permit_actions: ResidencePermitActionTable; responsibility_letters: ResponsibilityLetterTable;
  assessment_items: AssessmentItemTable; exchange_syncs: ExchangeSyncTable; funding_deduction_flags: FundingDeductionFlagTable;
};
export type PopDb = Kysely<DB & PopulationTables>;
export type PopTx = Transaction<DB & PopulationTables>;

/** The platform database seen with this module's tables. */
export const pop = (db: Db): PopDb => db.withTables<PopulationTables>();
export const popTx = (tx: Tx): PopTx => tx.withTables<PopulationTables>();
