import type { ColumnType, Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { Db } from '../../platform/db/index.js';

type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type DateCol = ColumnType<string, string, string>;

export interface LeaveRequestTable {
  id: string; user_id: string; org_unit_id: string; street_code: string; type: string;
  start_date: DateCol; end_date: DateCol; half_day: 'am' | 'pm' | null; day_unit: 'workday' | 'natural';
  half_days: number; provisional: boolean; retroactive: boolean; reason: string;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn'; approval_id: string | null; case_no: string | null;
  policy_pack: string; policy_version: number; calendar_version: string;
  closed_at: Date | null; closed_by: string | null; actual_end_date: DateCol | null; actual_half_days: number | null; close_note: string | null;
  created_at: Ts;
}
export interface LeaveLedgerTable {
  id: string; user_id: string; leave_type: string; year: number;
  entry: 'grant' | 'hold' | 'release' | 'return' | 'adjust' | 'expire'; half_days: number;
  request_id: string | null; note: ColumnType<string, string | undefined, string>; actor_id: string | null; created_at: Ts;
}
export type LeaveTables = { leave_requests: LeaveRequestTable; leave_ledger: LeaveLedgerTable };
export type LeaveDb = Kysely<DB & LeaveTables> | Transaction<DB & LeaveTables>;
export const leaveDb = (db: Db): LeaveDb => db.withTables<LeaveTables>() as LeaveDb;
