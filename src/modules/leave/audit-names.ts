import { activePolicy } from '../../platform/policy/service.js';
import { uuidsOf, type AuditNameResolver, type AuditNames } from '../../platform/audit/names.js';
import { leaveDb } from './schema.js';
import { leaveRulesOf } from './policy.js';

/** Leave types by their name in the active pack (年休假, 事假 …). */
const typeNames = async (db: Parameters<AuditNameResolver>[0]) => {
  const types = leaveRulesOf((await activePolicy(db)).pack).types;
  return (code: string) => types[code]?.name ?? null;
};

/** A leave request by its case number, the applicant and the type beside it. */
const requests: AuditNameResolver = async (db, ids) => {
  const list = uuidsOf(ids);
  if (list.length === 0) return new Map();
  const [rows, typeName] = await Promise.all([
    leaveDb(db).selectFrom('leave_requests').innerJoin('users', 'users.id', 'leave_requests.user_id')
      .select(['leave_requests.id', 'leave_requests.case_no', 'leave_requests.type', 'users.name']).where('leave_requests.id', 'in', list).execute(),
    typeNames(db),
  ]);
  return new Map(rows.map((r) => [r.id, { name: r.case_no ?? '', detail: [r.name, typeName(r.type) ?? r.type].join(' · ') }]));
};

const types: AuditNameResolver = async (db, codes) => {
  const typeName = await typeNames(db);
  return new Map(codes.flatMap((c) => {
    const name = typeName(c);
    return name ? [[c, { name }]] : [];
  }));
};

export const leaveAuditNames: AuditNames = {
  entities: { leave_request: requests, leave_type: types },
  summaryRefs: { 'leave.balance_adjust:type': 'leave_type' },
};
