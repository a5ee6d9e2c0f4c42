import type { JiedaoModule } from '../../platform/module.js';
import * as migration from './migration.js';
import { leavePolicySection, leaveRulesOf, LEAVE_FORM_FIELDS } from './policy.js';
import { LEAVE_KIND, onLeaveFinished, remindUnclosedLeave } from './service.js';
import { LEAVE_MANAGE, LEAVE_REQUEST, LEAVE_SECTION, leaveRoutes } from './routes.js';
import { seedLeaveDemo } from './demo.js';
import { leaveAuditNames } from './audit-names.js';

import { leaveHomeCards } from './home.js';
/**
 * M4 leave (请假/销假) — the approval engine's first consumer. Everyone with a post asks for leave
 * and closes it; section heads and leaders see the leave calendar and unclosed leave of the units
 * in their scope; 党政办 (the office) adjusts balances and closes leave for others.
 */
export const leaveModule: JiedaoModule = {
  name: 'leave',
  migrations: { '0200_leave': migration },
  permissions: {
    ...Object.fromEntries(['staff', 'window_staff', 'population_office', 'station', 'grid_worker', 'discipline', 'community_admin'].map((role) => [role, [LEAVE_REQUEST]])),
    section_head: [LEAVE_REQUEST, LEAVE_SECTION],
    leader: [LEAVE_REQUEST, LEAVE_SECTION, LEAVE_MANAGE, 'approval:remind'],
  },
  policy: leavePolicySection,
  approvalKinds: [{
    kind: LEAVE_KIND, name: '请假', caseNoPrefix: 'QJ', formFields: LEAVE_FORM_FIELDS,
    chainOf: (pack) => leaveRulesOf(pack).chain, onFinished: onLeaveFinished, linkOf: (id) => `/leave?open=${id}`,
  }],
  schedules: [{ name: 'leave.close-reminders', spec: { dailyAt: '09:00' }, run: async ({ db, now }) => { await remindUnclosedLeave(db, now); } }],
  homeCards: leaveHomeCards,
  routes: leaveRoutes,
  auditNames: leaveAuditNames,
  // A request belongs to the applicant's unit; the applicant reads their own (by user_id).
  scopedTables: { leave_requests: { unit: 'org_unit_id', keys: ['id', 'user_id', 'approval_id'] } },
  seedDemo: seedLeaveDemo,
};
