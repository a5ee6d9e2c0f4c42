import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, isoDateTime, isoMonth, page, pageQuery, text, uuid } from '../../platform/http/schemas.js';
import { ID_TYPES } from './identity.js';
import { ETHNICITIES, EDUCATION, ID_TYPES as ID_TYPE_NAMES, ORIGINS } from './dictionaries.js';
import * as persons from './persons.js';
import * as correct from './correct.js';
import * as houses from './houses.js';
import * as moves from './moves.js';
import * as review from './review.js';
import * as patrols from './patrols.js';
import * as stats from './stats.js';
import * as incidents from './incidents.js';
import * as map from './map.js';
import * as staffing from './staffing.js';
import * as crimeLeads from './crime-leads.js';
import * as assessment from './assessment.js';
import * as exchange from './exchange.js';
import { transferRoutes } from './transfer-routes.js';
import { permitRoutes } from './permits-routes.js';
import { collectionPointRoutes } from './collection-points.js';

/** HTTP routes of M2 (API.md "Population"); rules live in the services. */
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
/** Any string: every format problem of a document number is a 422 INVALID_ID_NUMBER, never a 400. */
const idNumber = z.string().max(200);
const count = z.number().int().min(0).max(100_000);

export async function populationRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['population'];
  const P = '/api/v1/population';

  r.get(`${P}/dictionaries`, { config: { permission: 'person:read' }, schema: { tags } }, async () => ({
    ethnicities: ETHNICITIES, education: EDUCATION, origins: ORIGINS, idTypes: ID_TYPE_NAMES,
  }));

  // ------------------------------------------------------------------ persons
  r.post(`${P}/persons`, {
    config: { permission: 'person:write' },
    schema: {
      tags,
      body: z.strictObject({
        idType: z.enum(ID_TYPES).optional(), idNumber: idNumber.optional(), name: text(50), phone: z.string().max(30).optional(),
        gridId: uuid, houseId: uuid.optional(), arrivedOn: isoDate, reason: text(200).optional(), employerId: uuid.optional(),
        ethnicity: z.string().max(10).optional(), origin: z.string().max(10).optional(), education: z.string().max(10).optional(),
        occupation: text(50).optional(), birthDate: isoDate.optional(), gender: z.enum(['male', 'female']).optional(),
        correctionReason: text(200).optional(), collectedAt: isoDateTime.optional(),
      }),
    },
  }, async (req, reply) => reply.status(201).send(await persons.registerPerson(db(), req.actor!, req.body, req.ip)));

  r.post(`${P}/persons/dedup-check`, {
    config: { permission: 'person:read' },
    schema: { tags, body: z.strictObject({ name: text(50), birthDate: isoDate.optional(), idNumber: idNumber.optional(), idType: z.enum(ID_TYPES).optional() }) },
  }, async (req) => persons.dedupCheck(db(), req.actor!, req.body, req.ip));

  r.get(`${P}/persons`, {
    config: { permission: 'person:read' },
    schema: {
      tags,
      querystring: z.strictObject({
        idNumber: idNumber.optional(), name: z.string().trim().min(1).max(50).optional(), gridId: uuid.optional(), communityId: uuid.optional(),
        houseId: uuid.optional(), status: z.enum(['active', 'left']).optional(), reviewStatus: z.enum(['reported', 'passed', 'returned']).optional(),
        reveal: bool.optional(), ...pageQuery,
      }),
    },
  }, async (req) => {
    const res = await persons.listPersons(db(), req.actor!, req.query, req.ip);
    return { ...page(res.items, res.total, req.query), ...(res.totalIsLowerBound ? { totalIsLowerBound: true } : {}) };
  });

  r.get(`${P}/persons/:id`, {
    config: { permission: 'person:read' },
    schema: { tags, params: z.strictObject({ id: uuid }), querystring: z.strictObject({ reveal: bool.optional() }) },
  }, async (req) => persons.getPerson(db(), req.actor!, req.params.id, { reveal: req.query.reveal ?? false }, req.ip));

  // A correction (更正) of a registered person's fields: `reason` required; see correct.ts.
  const optionalText = (max: number) => z.union([text(max), z.literal(''), z.null()]).optional();
  const code = z.union([z.string().max(10), z.null()]).optional();
  r.patch(`${P}/persons/:id`, {
    config: { permission: 'person:write' },
    schema: {
      tags,
      params: z.strictObject({ id: uuid }),
      body: z.strictObject({
        reason: text(200), version: z.number().int().min(1).optional(),
        name: text(50).optional(), phone: z.union([z.string().max(30), z.null()]).optional(),
        ethnicity: code, origin: code, education: code, occupation: optionalText(50),
        employerId: uuid.nullable().optional(), houseId: uuid.nullable().optional(), arrivalReason: optionalText(200),
        idNumber: idNumber.optional(), correctionReason: text(200).optional(),
      }).refine((b) => Object.keys(b).some((k) => !['reason', 'version', 'correctionReason'].includes(k)), { message: '请至少更正一项内容' }),
    },
  }, async (req) => correct.correctPerson(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/persons/:id/depart`, {
    config: { permission: 'person:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ leftOn: isoDate, reason: text(200).optional(), collectedAt: isoDateTime.optional() }) },
  }, async (req) => persons.departPerson(db(), req.actor!, req.params.id, req.body, req.ip));

  // ------------------------------------------------------------------ moves
  r.post(`${P}/moves`, {
    config: { permission: 'person:write' },
    schema: { tags, body: z.strictObject({ idType: z.enum(ID_TYPES).optional(), idNumber, toGridId: uuid, houseId: uuid.optional(), arrivedOn: isoDate }) },
  }, async (req, reply) => reply.status(201).send(await moves.requestMove(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/moves`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ box: z.enum(['incoming', 'outgoing', 'to_decide']).default('to_decide'), status: z.enum(['pending', 'confirmed', 'rejected']).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await moves.listMoves(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  for (const decision of ['confirm', 'reject'] as const) {
    r.post(`${P}/moves/:id/${decision}`, {
      config: { permission: ['move:confirm', 'move:confirm_cross'] },
      schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ reason: text(500).optional() }) },
    }, async (req) => moves.decideMove(db(), req.actor!, req.params.id, { decision, reason: req.body.reason }, req.ip));
  }

  // ------------------------------------------------------------------ houses, tenancies, employers
  r.post(`${P}/houses`, {
    config: { permission: 'person:write' },
    schema: {
      tags,
      body: z.strictObject({
        gridId: uuid, address: text(200), building: text(20).optional(), unitNo: text(20).optional(), room: text(20).optional(),
        ownerName: text(50), ownerIdNumber: idNumber.optional(), ownerPhone: z.string().max(30).optional(), rental: z.boolean(),
        rooms: z.number().int().min(0).max(500).optional(), areaM2: z.number().positive().max(100_000).optional(),
      }),
    },
  }, async (req, reply) => reply.status(201).send(await houses.createHouse(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/houses`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ gridId: uuid.optional(), rental: bool.optional(), q: z.string().trim().min(1).max(100).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await houses.listHouses(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.get(`${P}/houses/:id`, { config: { permission: 'person:read' }, schema: { tags, params: z.strictObject({ id: uuid }) } },
    async (req) => houses.getHouse(db(), req.actor!, req.params.id));

  r.post(`${P}/houses/:id/rental`, {
    config: { permission: 'person:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ rental: z.boolean(), reason: text(200) }) },
  }, async (req) => houses.setRental(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/houses/:id/tenancies`, {
    config: { permission: 'person:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ tenantPersonId: uuid.optional(), tenantName: text(50), landlordName: text(50).optional(), fromDate: isoDate }) },
  }, async (req, reply) => reply.status(201).send(await houses.addTenancy(db(), req.actor!, req.params.id, req.body, req.ip)));

  r.post(`${P}/tenancies/:id/end`, {
    config: { permission: 'person:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ toDate: isoDate }) },
  }, async (req) => houses.endTenancy(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/employers`, {
    config: { permission: 'person:write' },
    schema: {
      tags,
      body: z.strictObject({ gridId: uuid, name: text(100), uscc: z.string().max(30).optional(), address: text(200), contactName: text(50).optional(), phone: z.string().max(30).optional(), employees: count.optional() }),
    },
  }, async (req, reply) => reply.status(201).send(await houses.createEmployer(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/employers`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ gridId: uuid.optional(), q: z.string().trim().min(1).max(100).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await houses.listEmployers(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  // ------------------------------------------------------------------ review, re-checks, error reports
  r.get(`${P}/records`, {
    config: { permission: 'person:read' },
    schema: {
      tags,
      querystring: z.strictObject({
        status: z.enum(['collected', 'reported', 'passed', 'returned']).optional(), gridId: uuid.optional(), late: bool.optional(), kind: z.enum(['arrival', 'departure', 'move', 'house']).optional(),
        personId: uuid.optional(), q: z.string().trim().min(1).max(50).optional(), ...pageQuery,
      }),
    },
  }, async (req) => {
    const res = await review.reviewQueue(db(), req.actor!, req.query, req.ip);
    return { ...page(res.items, res.total, req.query), deadlineHours: res.deadlineHours, recheckLookbackDays: res.recheckLookbackDays, recheckFrom: res.recheckFrom };
  });

  r.post(`${P}/records/:id/enter`, {
    config: { permission: 'record:enter' },
    schema: { tags, params: z.strictObject({ id: uuid }) },
  }, async (req) => review.enterRecord(db(), req.actor!, req.params.id, req.ip));

  r.post(`${P}/records/:id/review`, {
    config: { permission: 'person:review' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ decision: z.enum(['pass', 'return']), reasons: text(500).optional() }) },
  }, async (req) => review.reviewRecord(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/records/:id/resubmit`, {
    config: { permission: 'person:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ note: text(500) }) },
  }, async (req) => review.resubmitRecord(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/rechecks`, {
    config: { permission: 'recheck:write' },
    schema: { tags, body: z.strictObject({ recordId: uuid, scheduledOn: isoDate }) },
  }, async (req, reply) => reply.status(201).send(await review.scheduleRecheck(db(), req.actor!, req.body, req.ip)));

  r.post(`${P}/rechecks/:id/result`, {
    config: { permission: 'recheck:write' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ doneOn: isoDate, result: z.enum(['correct', 'error', 'concealment', 'omission']), notes: text(1000).optional() }) },
  }, async (req) => review.recordRecheckResult(db(), req.actor!, req.params.id, req.body, req.ip));

  r.get(`${P}/rechecks`, {
    config: { permission: ['recheck:write', 'error_report:read'] },
    schema: { tags, querystring: z.strictObject({ open: bool.optional(), problems: bool.optional(), gridId: uuid.optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await review.listRechecks(db(), req.actor!, req.query);
    return { ...page(res.items, res.total, req.query), lookbackDays: res.lookbackDays, lookbackFrom: res.lookbackFrom };
  });

  r.post(`${P}/rechecks/:id/acknowledge`, {
    config: { permission: 'error_report:acknowledge' },
    schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({}).optional() },
  }, async (req) => review.acknowledgeErrorReport(db(), req.actor!, req.params.id, req.ip));

  // ------------------------------------------------------------------ patrols
  r.post(`${P}/patrols`, {
    config: { permission: ['patrol:street', 'patrol:station', 'patrol:grid'] },
    schema: {
      tags,
      body: z.strictObject({
        level: z.enum(['street', 'station', 'grid']), targetUnitId: uuid, houseId: uuid.optional(), patrolledOn: isoDate,
        checked: text(500), findings: text(2000), arrivalsFound: count.optional(), departuresFound: count.optional(),
        rentalsCounted: count.optional(), migrantsCounted: count.optional(),
      }),
    },
  }, async (req, reply) => reply.status(201).send(await patrols.recordPatrol(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/patrols`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ level: z.enum(['street', 'station', 'grid']).optional(), targetUnitId: uuid.optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await patrols.listPatrols(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.get(`${P}/patrols/due`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ level: z.enum(['street', 'station', 'grid']).optional(), overdueOnly: bool.optional(), gridId: uuid.optional() }) },
  }, async (req) => patrols.duePatrols(db(), req.actor!, req.query));

  // ------------------------------------------------------------------ statistics, work counters, ranking, map
  r.get(`${P}/stats`, {
    config: { permission: 'population:stats' },
    schema: { tags, querystring: z.strictObject({ orgUnitId: uuid.optional() }) },
  }, async (req) => stats.populationStats(db(), req.actor!, req.query.orgUnitId));

  r.get(`${P}/work-counters`, {
    config: { permission: 'person:read' },
    schema: { tags, querystring: z.strictObject({ month: isoMonth }) },
  }, async (req) => ({ month: req.query.month, items: await stats.workCounters(db(), req.actor!, req.query.month) }));

  r.get(`${P}/ranking`, {
    config: { permission: 'population:ranking' },
    schema: { tags, querystring: z.strictObject({ month: isoMonth }) },
  }, async (req) => stats.monthlyRanking(db(), req.actor!, req.query.month));

  // ------------------------------------------------------------------ municipal exchange (000:43)
  r.get(`${P}/exchange/syncs`, {
    config: { permission: exchange.EXCHANGE },
    schema: { tags, querystring: z.strictObject({ ...pageQuery }) },
  }, async (req) => exchange.listSyncs(db(), req.actor!, req.query));

  r.post(`${P}/exchange/syncs`, {
    config: { permission: exchange.EXCHANGE },
    schema: { tags },
  }, async (req, reply) => reply.status(202).send(await exchange.startExchange(db(), req.actor!, req.ip)));

  // ------------------------------------------------------------------ annual assessment (000:40)
  r.get(`${P}/assessment`, {
    config: { permission: 'assessment:read' },
    schema: { tags, querystring: z.strictObject({ year: z.coerce.number().int().min(2000).max(2100) }) },
  }, async (req) => assessment.assessmentList(db(), req.actor!, req.query.year));

  r.get(`${P}/assessment/entries`, {
    config: { permission: 'assessment:read' },
    schema: { tags, querystring: z.strictObject({ month: isoMonth }) },
  }, async (req) => assessment.entryCheck(db(), req.actor!, req.query.month));

  r.post(`${P}/assessment/evaluate`, {
    config: { permission: 'assessment:deduct' },
    schema: { tags, body: z.strictObject({ month: isoMonth }) },
  }, async (req) => assessment.evaluateMonth(db(), req.body.month, { actor: req.actor!, ip: req.ip }));

  r.post(`${P}/assessment/deductions`, {
    config: { permission: 'assessment:deduct' },
    schema: { tags, body: z.strictObject({ orgUnitId: uuid, year: z.number().int().min(2000).max(2100), points: z.number().min(0.5).max(100).multipleOf(0.5), reason: text(200) }) },
  }, async (req, reply) => reply.status(201).send(await assessment.addDistrictDeduction(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/staffing`, {
    config: { permission: 'population:stats' },
    schema: { tags, querystring: z.strictObject({ flagged: bool.optional() }) },
  }, async (req) => staffing.staffingList(db(), req.actor!, req.query));

  // 000:41 — crime leads from household visits, routed to the police liaison.
  r.post(`${P}/crime-leads`, {
    config: { permission: 'crime_lead:report' },
    schema: {
      tags,
      body: z.strictObject({
        gridId: uuid, what: text(500), place: text(200), occurredAt: isoDateTime,
        suspectName: text(50).optional(), suspectIdNumber: z.string().max(30).optional(), suspectPhone: z.string().max(30).optional(),
      }),
    },
  }, async (req, reply) => reply.status(201).send(await crimeLeads.reportCrimeLead(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/crime-leads`, {
    config: { permission: ['crime_lead:read', 'crime_lead:report'] },
    schema: { tags, querystring: z.strictObject({ ...pageQuery }) },
  }, async (req) => {
    const res = await crimeLeads.listCrimeLeads(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.get(`${P}/map`, { config: { permission: 'population:stats' }, schema: { tags } }, async (req) => map.gridMap(db(), req.actor!));
  r.post(`${P}/map`, {
    config: { permission: 'population:map' },
    schema: { tags, body: z.strictObject({ geojson: z.record(z.string(), z.unknown()), note: text(200).optional() }) },
  }, async (req, reply) => reply.status(201).send(await map.uploadGridMap(db(), req.actor!, req.body, req.ip)));

  // ------------------------------------------------------------------ grid incidents
  const incidentBody = z.strictObject({
    gridId: uuid, category: z.enum(incidents.INCIDENT_CATEGORIES), title: text(100), description: text(2000), location: text(200).optional(),
    lat: z.number().min(-90).max(90).optional(), lng: z.number().min(-180).max(180).optional(), photoFileIds: z.array(uuid).max(9).optional(),
  });
  r.post(`${P}/incidents`, { config: { permission: 'incident:report' }, schema: { tags, body: incidentBody } },
    async (req, reply) => reply.status(201).send(await incidents.reportIncident(db(), req.actor!, req.body, req.ip)));
  r.get(`${P}/incidents`, {
    config: { permission: 'incident:report' },
    schema: { tags, querystring: z.strictObject({ gridId: uuid.optional(), status: z.enum(['reported', 'dispatched', 'handling', 'closed']).optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await incidents.listIncidents(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });
  r.get(`${P}/incidents/rates`, { config: { permission: 'incident:report' }, schema: { tags } }, async (req) => ({ items: await incidents.incidentRates(db(), req.actor!) }));
  r.get(`${P}/incidents/:id`, { config: { permission: 'incident:report' }, schema: { tags, params: z.strictObject({ id: uuid }) } },
    async (req) => incidents.getIncident(db(), req.actor!, req.params.id));
  // Who the incident may be dispatched to (the grid's worker, the community's station, oneself).
  r.get(`${P}/incidents/:id/assignees`, { config: { permission: 'incident:dispatch' }, schema: { tags, params: z.strictObject({ id: uuid }) } },
    async (req) => incidents.incidentAssignees(db(), req.actor!, req.params.id));
  for (const step of ['dispatch', 'handle', 'close'] as const) {
    r.post(`${P}/incidents/:id/${step}`, {
      config: { permission: 'incident:report' },
      schema: { tags, params: z.strictObject({ id: uuid }), body: z.strictObject({ note: text(1000).optional(), assigneeId: uuid.optional(), resolution: text(1000).optional() }) },
    }, async (req) => incidents.advanceIncident(db(), req.actor!, req.params.id, step, req.body, req.ip));
  }

  await transferRoutes(app);
  await permitRoutes(app);
  await collectionPointRoutes(app);
}
