import type { JiedaoModule } from '../index.js';
import * as migration from './migration.js';
import * as collectionPointsMigration from './migration-collection-points.js';
import * as permitsMigration from './migration-permits.js';
import * as jobUploadsMigration from './migration-job-uploads.js';
import * as collectionEntryMigration from './migration-collection-entry.js';
import * as crimeLeadsMigration from './migration-crime-leads.js';
import * as assessmentMigration from './migration-assessment.js';
import * as exchangeMigration from './migration-exchange.js';
import * as policyPackMigration from './migration-policy-pack.js';
import { EXCHANGE, exchangeJobKinds } from './exchange.js';
import { shortfallSchedule } from './assessment.js';
import { MANAGE_POINTS } from './collection-points.js';
import { populationPolicySection } from './policy.js';
import { populationRoutes } from './routes.js';
import { seedPopulationDemo } from './demo.js';
import { generatePopulation } from './generate.js';
import { transferJobKinds } from './transfer.js';
import { populationAuditNames } from './audit-names.js';

import { populationHomeCards } from './home.js';
/**
 * M2 — population, rental houses and grids. Permissions by role (data scope bounds each of them):
 * grid workers collect and patrol their grid; stations review, re-check and confirm moves inside
 * the community; 流管办 confirms moves across communities, ranks and rewards, uploads the map;
 * the police liaison searches, reveals (audited), exports, compares and acknowledges error reports.
 * 居住证 applications: grid workers and stations take them; stations (and above) accept, issue,
 * refuse. 责任书: stations (and the street) sign letters with landlords and employers; grid workers
 * see them. Stations (and the street) name each collection point's contact.
 */
const READ = ['person:read', 'population:stats'];
/** 000:27 — only the community station (and the street office above it) enters records into the registry. */
const ENTER = 'record:enter';
const COLLECT = [...READ, 'person:write', 'incident:report', 'crime_lead:report'];
const PERMIT_LETTER_READ = ['permit:read', 'letter:read'];
/** 000:40 — the annual target assessment: stations and leaders see their communities' deductions; 流管办 records them. */
const ASSESS_READ = 'assessment:read';
const PERMIT_LETTER_OFFICE = [...PERMIT_LETTER_READ, 'permit:write', 'permit:decide', 'letter:write'];
const GRID_WORK = [...COLLECT, 'patrol:grid', ...PERMIT_LETTER_READ, 'permit:write'];
const STATION_WORK = [...COLLECT, ENTER, 'person:review', 'move:confirm', 'recheck:write', 'patrol:station', 'incident:dispatch', 'person:import', 'person:export', MANAGE_POINTS, ASSESS_READ, ...PERMIT_LETTER_OFFICE];

export const populationModule: JiedaoModule = {
  name: 'population',
  migrations: { '0100_population': migration, '0101_population_permits': permitsMigration, '0102_collection_point_contacts': collectionPointsMigration, '0103_job_uploads_owned': jobUploadsMigration, '0104_collection_entry': collectionEntryMigration, '0105_crime_leads': crimeLeadsMigration, '0106_assessment_items': assessmentMigration, '0107_exchange_syncs': exchangeMigration, '0108_collection_policy_pack': policyPackMigration },
  permissions: {
    grid_worker: GRID_WORK,
    station: STATION_WORK,
    // The community admin (station head) staffs the station and its grids, so holds what it grants.
    community_admin: [...STATION_WORK, ...GRID_WORK],
    population_office: [...COLLECT, ENTER, 'person:review', 'move:confirm', 'move:confirm_cross', 'recheck:write', 'patrol:street', 'incident:dispatch',
      'person:import', 'person:export', 'person:reveal', 'population:ranking', 'population:map', 'error_report:read', 'crime_lead:read', MANAGE_POINTS, ASSESS_READ, 'assessment:deduct', EXCHANGE, ...PERMIT_LETTER_OFFICE],
    police_liaison: ['crime_lead:read', ...READ, 'person:reveal', 'person:export', 'person:compare', 'error_report:read', 'error_report:acknowledge', ...PERMIT_LETTER_READ],
    leader: [...READ, 'population:ranking', 'error_report:read', ASSESS_READ, ...PERMIT_LETTER_READ],
  },
  policy: populationPolicySection,
  jobKinds: { ...transferJobKinds, ...exchangeJobKinds },
  schedules: [shortfallSchedule],
  auditNames: populationAuditNames,
  homeCards: populationHomeCards,
  // Every row of these belongs to a grid (a patrol: its target unit; a contact: its collection
  // point); lists filter with inScope, single rows are read by a key and checked (requireInScope).
  scopedTables: {
    persons: { unit: 'grid_id', keys: ['id', 'id_hmac'] },
    residences: { unit: 'grid_id', keys: ['id', 'person_id'] },
    houses: { unit: 'grid_id' },
    employers: { unit: 'grid_id' },
    collection_records: { unit: 'grid_id', keys: ['id', 'person_id'] },
    rechecks: { unit: 'grid_id', keys: ['id', 'record_id'] },
    work_counters: { unit: 'grid_id', keys: ['user_id'] },
    population_counters: { unit: 'grid_id', keys: ['grid_id'] },
    moves: { unit: ['to_grid_id', 'from_grid_id'], keys: ['id', 'person_id'] },
    patrols: { unit: 'target_unit_id', keys: ['id', 'house_id'] },
    grid_incidents: { unit: 'grid_id' },
    responsibility_letters: { unit: 'grid_id', keys: ['id', 'house_id', 'employer_id', 'renews_id'] },
    collection_point_contacts: { unit: 'point_id', keys: ['id', 'point_id'] },
    // A reporter always sees their own leads; the ranking counts the ranked people's by reporter.
    crime_leads: { unit: 'grid_id', keys: ['id', 'reported_by'] },
    // A community's annual assessment (000:40): read by the communities the caller's scope covers.
    assessment_items: { unit: 'org_unit_id', keys: ['id', 'org_unit_id'] },
    funding_deduction_flags: { unit: 'org_unit_id', keys: ['org_unit_id'] },
  },
  routes: populationRoutes,
  seedDemo: seedPopulationDemo,
  generate: generatePopulation,
};
