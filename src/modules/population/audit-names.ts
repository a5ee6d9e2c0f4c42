import { maskName } from '../../platform/crypto/personal.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { uuidsOf, type AuditName, type AuditNameResolver, type AuditNames } from '../../platform/audit/names.js';
import type { Db } from '../../platform/db/index.js';
import { formatHouseAddress } from './address.js';
import { pop } from './schema.js';

/**
 * How the audit log names this module's records: a person by masked name and masked ID number
 * (张* 110***********1234), never in full; a house by its address; a landlord by masked name.
 * Each resolver is one query for a whole page of events.
 */
const person = (p: { name: string | null; id_masked: string | null }): Pick<AuditName, 'name' | 'detail'> =>
  ({ name: p.name ? maskName(p.name) : '', detail: p.id_masked });

const address = (h: { address: string | null; building: string | null; unit_no: string | null; room: string | null }) =>
  (h.address === null ? '' : formatHouseAddress(h) ?? h.address);

/** Runs `lookup` over the well-formed ids only (a summary is free JSON; the columns are uuids). */
const byIds = (lookup: (db: Db, ids: string[]) => Promise<[string, AuditName][]>): AuditNameResolver => async (db, ids) => {
  const list = uuidsOf(ids);
  return new Map(list.length === 0 ? [] : await lookup(db, list));
};

const persons = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('persons').select(['id', 'name', 'id_masked']).where('id', 'in', ids).execute();
  return rows.map((r) => [r.id, person(r)]);
});

const houses = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('houses').select(['id', 'address', 'building', 'unit_no', 'room']).where('id', 'in', ids).execute();
  return rows.map((r) => [r.id, { name: address(r) }]);
});

const tenancies = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('tenancies').innerJoin('houses', 'houses.id', 'tenancies.house_id')
    .select(['tenancies.id', 'tenancies.tenant_name', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
    .where('tenancies.id', 'in', ids).execute();
  return rows.map((r) => [r.id, { name: address(r), detail: maskName(r.tenant_name) }]);
});

const employers = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('employers').select(['id', 'name']).where('id', 'in', ids).execute();
  return rows.map((r) => [r.id, { name: r.name }]);
});

/** A collection record (or a re-check of one): its person, or for a house record the address; its kind as the kind. */
const recordName = (r: Parameters<typeof person>[0] & Parameters<typeof address>[0] & { kind: string }): AuditName =>
  ({ ...(r.name !== null ? person(r) : { name: address(r) }), kind: r.kind });

/** A collection record by its person (or, for a house record, the address), its kind as the kind. */
const records = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('collection_records')
    .leftJoin('persons', 'persons.id', 'collection_records.person_id')
    .leftJoin('houses', 'houses.id', 'collection_records.house_id')
    .select(['collection_records.id', 'collection_records.kind', 'persons.name', 'persons.id_masked', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
    .where('collection_records.id', 'in', ids).execute();
  return rows.map((r) => [r.id, recordName(r)]);
});

const rechecks = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('rechecks')
    .innerJoin('collection_records', 'collection_records.id', 'rechecks.record_id')
    .leftJoin('persons', 'persons.id', 'collection_records.person_id')
    .leftJoin('houses', 'houses.id', 'collection_records.house_id')
    .select(['rechecks.id', 'collection_records.kind', 'persons.name', 'persons.id_masked', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
    .where('rechecks.id', 'in', ids).execute();
  return rows.map((r) => [r.id, recordName(r)]);
});

const moves = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('moves').innerJoin('persons', 'persons.id', 'moves.person_id')
    .select(['moves.id', 'persons.name', 'persons.id_masked']).where('moves.id', 'in', ids).execute();
  return rows.map((r) => [r.id, person(r)]);
});

const permits = byIds(async (db, ids) => {
  const rows = await pop(db).selectFrom('residence_permits').innerJoin('persons', 'persons.id', 'residence_permits.person_id')
    .select(['residence_permits.id', 'residence_permits.kind', 'persons.name', 'persons.id_masked']).where('residence_permits.id', 'in', ids).execute();
  return rows.map((r) => [r.id, { ...person(r), kind: r.kind }]);
});

/** A letter by its party: a landlord is a resident (masked name), an employer a business (its name). */
const letters = byIds(async (db, ids) => {
  const [rows, tree] = await Promise.all([
    pop(db).selectFrom('responsibility_letters').select(['id', 'party_kind', 'party_name', 'grid_id']).where('id', 'in', ids).execute(),
    loadOrgTree(db),
  ]);
  return rows.map((r) => [r.id, {
    name: r.party_kind === 'landlord' ? maskName(r.party_name) : r.party_name, detail: tree.units.get(r.grid_id)?.name ?? null, kind: r.party_kind,
  }]);
});

/** A patrol by what was patrolled (a house's address, or the unit), its level as the kind. */
const patrols = byIds(async (db, ids) => {
  const [rows, tree] = await Promise.all([
    pop(db).selectFrom('patrols').leftJoin('houses', 'houses.id', 'patrols.house_id')
      .select(['patrols.id', 'patrols.level', 'patrols.target_unit_id', 'patrols.patrolled_on', 'houses.address', 'houses.building', 'houses.unit_no', 'houses.room'])
      .where('patrols.id', 'in', ids).execute(),
    loadOrgTree(db),
  ]);
  return rows.map((r) => [r.id, { name: address(r) || (tree.units.get(r.target_unit_id)?.name ?? ''), detail: String(r.patrolled_on), kind: r.level }]);
});

const incidents = byIds(async (db, ids) => {
  const [rows, tree] = await Promise.all([
    pop(db).selectFrom('grid_incidents').select(['id', 'title', 'grid_id', 'category']).where('id', 'in', ids).execute(),
    loadOrgTree(db),
  ]);
  return rows.map((r) => [r.id, { name: r.title, detail: tree.units.get(r.grid_id)?.name ?? null, kind: r.category }]);
});

/** Collection points are org units. */
const points: AuditNameResolver = async (db, ids) => {
  const tree = await loadOrgTree(db);
  return new Map(ids.flatMap((id) => {
    const u = tree.units.get(id);
    return u ? [[id, { name: u.name }] as [string, AuditName]] : [];
  }));
};

/** A deduction item by its community, the reason as detail. */
const assessmentItems = byIds(async (db, ids) => {
  const [rows, tree] = await Promise.all([
    pop(db).selectFrom('assessment_items').select(['id', 'org_unit_id', 'year', 'reason', 'source']).where('id', 'in', ids).execute(),
    loadOrgTree(db),
  ]);
  return rows.map((r) => [r.id, { name: `${tree.units.get(r.org_unit_id)?.name ?? ''} ${r.year}`, detail: r.reason, kind: r.source }]);
});

export const populationAuditNames: AuditNames = {
  entities: {
    person: persons, house: houses, tenancy: tenancies, employer: employers, collection_record: records, recheck: rechecks,
    move: moves, residence_permit: permits, responsibility_letter: letters, patrol: patrols, grid_incident: incidents, collection_point: points,
    assessment_item: assessmentItems,
  },
  summaryRefs: {
    personId: 'person', houseId: 'house', recordId: 'collection_record',
    'permit.renew:renewsId': 'residence_permit', 'letter.renew:renewsId': 'responsibility_letter',
  },
};
