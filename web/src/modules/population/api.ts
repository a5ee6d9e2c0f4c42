import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../app/api/client';
import type { OrgNode, Page } from '../../app/api/types';
import { useAuth } from '../../app/auth/AuthContext';
import { useOrgTree } from '../org/api';
import { flattenTree } from '../org/orgTree';

/** Shapes of the M2 API (src/modules/population/routes.ts and its services). */

export interface DictEntry {
  code: string;
  name: string;
}
export interface Dictionaries {
  ethnicities: DictEntry[];
  education: DictEntry[];
  origins: DictEntry[];
  idTypes: DictEntry[];
}
export type IdType = 'resident_id' | 'passport' | 'hk_mo_permit' | 'tw_permit' | 'foreign_permanent_id' | 'none';
/** collected (采集, waiting for the station's entry) → reported (录入, waiting for review) → passed | returned. */
export type ReviewStatus = 'collected' | 'reported' | 'passed' | 'returned';
export type PersonStatus = 'active' | 'left';
export type Gender = 'male' | 'female';

export interface Person {
  id: string;
  idType: IdType;
  idNumberMasked: string | null;
  /** Only with ?reveal=true (person:reveal). */
  idNumber?: string | null;
  phone?: string | null;
  name: string;
  gender: Gender | null;
  birthDate: string | null;
  ethnicity: string | null;
  origin: string | null;
  education: string | null;
  occupation: string | null;
  phoneMasked: string | null;
  employerId: string | null;
  gridId: string;
  gridName: string | null;
  houseId: string | null;
  status: PersonStatus;
  reviewStatus: ReviewStatus;
  arrivedOn: string | null;
  leftOn: string | null;
  arrivalReason: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  reused?: boolean;
  /** In the answer to a registration: the standard address of the house lived in, if any. */
  houseAddress?: string | null;
}

export interface PersonDetail extends Person {
  residences: {
    id: string;
    houseId: string | null;
    address: string | null;
    gridId: string;
    gridName: string | null;
    from: string;
    to: string | null;
    arrivalReason: string | null;
    departureReason: string | null;
  }[];
  events: { kind: string; at: string; actorId: string | null; data: unknown }[];
  records: { id: string; kind: RecordKind; reviewStatus: ReviewStatus; collectedAt: string; reportedAt: string; late: boolean; returnReasons: string | null }[];
}

export interface DedupCandidate {
  id: string;
  nameMasked: string;
  birthDate: string | null;
  gridId: string;
  gridName: string | null;
  status: PersonStatus;
  score: number;
  reason: string;
}

/** Where a house is and whose it is, as lists show it. */
export interface HousePlace {
  gridId: string;
  gridName: string | null;
  address: string;
  building: string | null;
  unitNo: string | null;
  room: string | null;
  /** The standard address with building, unit and room (the server's one formatter): what lists show. */
  fullAddress: string;
  ownerName: string;
}

export interface House extends HousePlace {
  id: string;
  ownerIdNumberMasked: string | null;
  ownerPhoneMasked: string | null;
  rental: boolean;
  rooms: number | null;
  areaM2: number | null;
  status: string;
  createdAt: string;
  residents?: number;
  lastPatrolledOn?: string | null;
}

export interface Tenancy {
  id: string;
  houseId: string;
  tenantPersonId: string | null;
  tenantName: string;
  landlordName: string;
  from: string;
  to: string | null;
}

export interface HouseDetail extends Omit<House, 'residents'> {
  residents: { personId: string; name: string; idNumberMasked: string | null; from: string; to: string | null }[];
  tenancies: Tenancy[];
  patrols: { id: string; patrolledOn: string; findings: string; arrivalsFound: number; departuresFound: number }[];
}

export type MoveStatus = 'pending' | 'confirmed' | 'rejected';
export interface Move {
  id: string;
  personId: string;
  personName?: string;
  idNumberMasked?: string | null;
  fromGridId: string;
  fromGridName: string | null;
  toGridId: string;
  toGridName: string | null;
  houseId: string | null;
  arrivedOn: string;
  status: MoveStatus;
  crossCommunity: boolean;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export type RecordKind = 'arrival' | 'departure' | 'move' | 'house';
export interface ReviewRecord {
  id: string;
  kind: RecordKind;
  personId: string | null;
  personName: string | null;
  idNumberMasked: string | null;
  personStatus: PersonStatus | null;
  houseId: string | null;
  address: string | null;
  gridId: string;
  gridName: string | null;
  collectorName: string;
  /** 000:27 — who entered it (录入) and when; null while only collected. */
  entererName: string | null;
  enteredAt: string | null;
  /** Collected by the caller, who may not review it (someone else does). */
  ownRecord: boolean;
  collectedAt: string;
  reportedAt: string;
  reportingHours: number;
  late: boolean;
  reviewStatus: ReviewStatus;
  reviewedAt: string | null;
  returnReasons: string | null;
  /** Collected within the re-check period (policy recheckLookbackDays). */
  recheckable?: boolean;
}
export interface RecordsPage extends Page<ReviewRecord> {
  deadlineHours: number;
  recheckLookbackDays?: number;
  recheckFrom?: string;
}
export interface RechecksPage extends Page<Recheck> {
  lookbackDays?: number;
  lookbackFrom?: string;
}

/** PATCH /persons/:id — a correction (更正): `reason` and only the fields to change. */
export interface PersonCorrection {
  reason: string;
  version?: number;
  name?: string;
  phone?: string | null;
  ethnicity?: string | null;
  origin?: string | null;
  education?: string | null;
  occupation?: string | null;
  employerId?: string | null;
  houseId?: string | null;
  arrivalReason?: string | null;
  idNumber?: string;
  correctionReason?: string;
}

export type RecheckResult = 'correct' | 'error' | 'concealment' | 'omission';
export interface Recheck {
  id: string;
  recordId: string;
  recordKind: RecordKind;
  gridId: string;
  gridName: string | null;
  personName: string | null;
  idNumberMasked: string | null;
  scheduledOn: string;
  doneOn: string | null;
  result: RecheckResult | null;
  notes: string | null;
  policeAcknowledgedAt: string | null;
}

export type PatrolLevel = 'street' | 'station' | 'grid';
export interface DuePatrol {
  level: PatrolLevel;
  targetUnitId: string;
  targetName: string | null;
  houseId: string | null;
  address: string | null;
  gridId: string | null;
  lastPatrolledOn: string | null;
  dueOn: string;
  overdue: boolean;
  overdueDays: number;
  /** Never patrolled (从未巡查): due one interval after `since`. */
  neverPatrolled?: boolean;
  since?: string | null;
}
export interface DueResponse {
  items: DuePatrol[];
  total: number;
  intervals: Record<PatrolLevel, number>;
  today: string;
}
export interface Patrol {
  id: string;
  level: PatrolLevel;
  targetUnitId: string;
  targetName: string | null;
  houseId: string | null;
  address: string | null;
  patrolledOn: string;
  patrollerName: string;
  checked: string;
  findings: string;
  arrivalsFound: number;
  departuresFound: number;
  rentalsCounted: number | null;
  migrantsCounted: number | null;
}

export interface Live {
  migrants: number;
  houses: number;
  rentals: number;
  employers: number;
}
export interface StatsSurvey {
  residents: number;
  migrants: number;
  houses: number;
  rentals: number;
  shops: number;
  employers: number;
  asOf: string;
}
export interface StatsUnit {
  orgUnitId: string;
  name: string;
  kind: 'street' | 'community' | 'grid';
  survey: StatsSurvey | null;
  ratios: { migrantShare: number | null; rentalShare: number | null } | null;
  live: Live;
  classification?: 'regular' | 'key' | null;
  keyReason?: string | null;
  flags: { code: string; message: string }[];
}
export interface Stats extends StatsUnit {
  asOf: string;
  children: StatsUnit[];
}

/** GET /population/staffing — one row per grid (网格员) and community station (信息录入员). */
export interface StaffingRow {
  orgUnitId: string;
  name: string;
  kind: 'grid' | 'community';
  communityId: string | null;
  rule: 'grid_worker' | 'entry_clerk';
  required: number;
  count: number;
  holders: { userId: string; name: string }[];
  flagged: boolean;
}
export interface Staffing {
  asOf: string;
  required: { gridWorkersPerGrid: number; entryClerksPerStation: number };
  flaggedCount: number;
  items: StaffingRow[];
}

export interface WorkCounter {
  userId: string;
  name: string;
  gridId: string;
  gridName: string | null;
  collected: number;
  entered: number;
  passed: number;
}

export interface Ranking {
  month: string;
  level: 'grid_worker' | 'community' | 'street';
  rates: { collectedFen: number; enteredFen: number; passedFen: number; topN: number; crimeLeadFen: number };
  policyVersion: number;
  /** `gridName`: a grid worker's grid (null at the community and street levels). */
  items: { rank: number; id: string; name: string; gridName: string | null; collected: number; entered: number; passed: number; rewarded: boolean;
    /** 000:41 — crime leads reported in the month, paid at the pack's rate whatever the rank (included in rewardFen). */
    crimeLeads: number; crimeLeadRewardFen: number; rewardFen: number }[];
}

export interface GeoFeature {
  type: 'Feature';
  properties: { name?: string; gridId?: string; code?: string; communityId?: string | null; communityName?: string | null; [k: string]: unknown };
  geometry: { type: string; coordinates: unknown };
}
interface SchematicBox {
  x: number;
  y: number;
  w: number;
  h: number;
}
/** The schematic map (示意图): communities at their place on the street, their grids as named cells (map.ts). */
export interface Schematic {
  width: number;
  height: number;
  communities: (SchematicBox & { id: string; name: string; grids: (SchematicBox & { id: string; name: string; code: string; migrants: number })[] })[];
}
export interface GridMap {
  source: 'uploaded' | 'schematic';
  uploadedAt: string | null;
  note: string | null;
  /** Set while no surveyed GeoJSON has been uploaded. */
  schematic: Schematic | null;
  geojson: { type: 'FeatureCollection'; features: GeoFeature[] };
}

export type IncidentCategory = 'person' | 'place' | 'event' | 'object' | 'organization';
export type IncidentStatus = 'reported' | 'dispatched' | 'handling' | 'closed';
export interface Incident {
  id: string;
  gridId: string;
  gridName: string | null;
  category: IncidentCategory;
  title: string;
  description: string;
  location: string | null;
  lat: number | null;
  lng: number | null;
  photoFileIds: string[];
  photoUrls: string[];
  status: IncidentStatus;
  reportedBy: string;
  reporterName: string | null;
  reportedAt: string;
  assigneeId: string | null;
  assigneeName: string | null;
  closedAt: string | null;
  resolution: string | null;
}
export interface IncidentDetail extends Incident {
  actions: { action: 'report' | 'dispatch' | 'handle' | 'close'; note: string | null; at: string; actorName: string }[];
}
/** Someone an incident may be dispatched to; `post` 'self' is the dispatcher. */
export interface IncidentAssignee {
  userId: string;
  name: string;
  post: string;
  unitName: string | null;
}
export interface IncidentRate {
  gridId: string;
  gridName: string | null;
  total: number;
  closed: number;
  rate: number | null;
}

export const ID_TYPES: IdType[] = ['resident_id', 'passport', 'hk_mo_permit', 'tw_permit', 'foreign_permanent_id', 'none'];
export const INCIDENT_CATEGORIES: IncidentCategory[] = ['person', 'place', 'event', 'object', 'organization'];
export const RECHECK_RESULTS: RecheckResult[] = ['correct', 'error', 'concealment', 'omission'];

const P = '/population';
export const popPath = (p: string) => `${P}${p}`;

export function useDictionaries() {
  return useQuery({
    queryKey: ['population', 'dictionaries'],
    queryFn: ({ signal }) => api.get<Dictionaries>(popPath('/dictionaries'), undefined, signal),
    staleTime: Infinity,
  });
}

/** code → name lookups of the dictionaries (the origin shown with its province). */
export function useDictNames() {
  const d = useDictionaries();
  return useMemo(() => {
    const map = (list: DictEntry[] | undefined) => new Map((list ?? []).map((e) => [e.code, e.name]));
    const origins = map(d.data?.origins);
    const originLabel = (code: string | null | undefined): string => {
      if (!code) return '';
      const own = origins.get(code) ?? origins.get(`${code.slice(0, 4)}00`);
      const prov = origins.get(`${code.slice(0, 2)}0000`);
      if (!own) return prov ?? code;
      return prov && prov !== own ? `${prov} · ${own}` : own;
    };
    return { ethnicity: map(d.data?.ethnicities), education: map(d.data?.education), idType: map(d.data?.idTypes), originLabel, ready: !!d.data };
  }, [d.data]);
}

export interface GridOption {
  id: string;
  name: string;
  communityId: string | null;
  communityName: string | null;
}

/**
 * The grids the user works in: the grids of the visible org tree (ancestors shown only as
 * context are never grids), in tree order, with their community.
 */
export function useMyGrids(): { grids: GridOption[]; communities: { id: string; name: string }[]; loading: boolean; roots: OrgNode[] } {
  const tree = useOrgTree();
  const { user } = useAuth();
  return useMemo(() => {
    const roots = tree.data?.items ?? [];
    const grids: GridOption[] = [];
    const communities: { id: string; name: string }[] = [];
    const walk = (nodes: OrgNode[], community: OrgNode | null) => {
      for (const n of nodes) {
        if (n.validTo && n.validTo < new Date().toISOString().slice(0, 10)) continue;
        if (n.kind === 'community') communities.push({ id: n.id, name: n.name });
        if (n.kind === 'grid') grids.push({ id: n.id, name: n.name, communityId: community?.id ?? null, communityName: community?.name ?? null });
        if (n.children) walk(n.children, n.kind === 'community' ? n : community);
      }
    };
    walk(roots, null);
    // A grid worker's own grid first.
    const own = new Set((user?.posts ?? []).filter((p) => p.post === 'grid_worker').map((p) => p.orgUnitId));
    grids.sort((a, b) => Number(own.has(b.id)) - Number(own.has(a.id)));
    return { grids, communities, loading: tree.isLoading, roots };
  }, [tree.data, tree.isLoading, user?.posts]);
}

/** The unit a user would look at first (own grid / community / street) — for pages without a choice yet. */
export function useOrgIndexFlat(): Map<string, OrgNode> {
  const tree = useOrgTree();
  return useMemo(() => new Map(flattenTree(tree.data?.items ?? []).map((n) => [n.id, n])), [tree.data]);
}

export const yuan = (fen: number) => (fen / 100).toFixed(2);

// ------------------------------------------------------------------ residence permits (居住证申领) and responsibility letters (责任书)

export type PermitKind = 'residence_permit' | 'temporary_permit';
export type PermitStatus = 'applied' | 'accepted' | 'issued' | 'refused';
export const PERMIT_KINDS: PermitKind[] = ['residence_permit', 'temporary_permit'];
export const PERMIT_STATUSES: PermitStatus[] = ['applied', 'accepted', 'issued', 'refused'];
export interface Permit {
  id: string;
  personId: string;
  personName: string;
  idNumberMasked: string | null;
  personStatus: PersonStatus;
  gridId: string;
  gridName: string | null;
  kind: PermitKind;
  status: PermitStatus;
  appliedOn: string;
  acceptedOn: string | null;
  issuedOn: string | null;
  validUntil: string | null;
  cardNumberMasked: string | null;
  /** Only with ?reveal=true (person:reveal). */
  cardNumber?: string | null;
  refusedOn: string | null;
  refusedReason: string | null;
  renewsId: string | null;
  renewedById: string | null;
  note: string | null;
  daysLeft: number | null;
  expiring: boolean;
  expired: boolean;
}
export interface PermitDetail extends Permit {
  history: { id: string; action: 'apply' | 'accept' | 'issue' | 'refuse'; onDate: string; at: string; actorName: string | null; data: Record<string, unknown> }[];
}
export interface PermitsPage extends Page<Permit> {
  renewalNoticeDays: number;
  expiringWithinDays: number | null;
}

export type PartyKind = 'landlord' | 'employer';
export type LetterState = 'upcoming' | 'valid' | 'expiring' | 'expired' | 'ended';
export interface Letter {
  id: string;
  partyKind: PartyKind;
  houseId: string | null;
  employerId: string | null;
  partyName: string;
  address: string | null;
  building: string | null;
  unitNo: string | null;
  room: string | null;
  /** A landlord letter's house, its standard address. */
  fullAddress: string | null;
  employerName: string | null;
  gridId: string;
  gridName: string | null;
  communityName: string | null;
  signedOn: string;
  termFrom: string;
  termTo: string;
  note: string | null;
  endedOn: string | null;
  endReason: string | null;
  renewsId: string | null;
  renewedById: string | null;
  state: LetterState;
  inForce: boolean;
}
export interface LettersPage extends Page<Letter> {
  renewalNoticeDays: number;
  expiringWithinDays: number | null;
}
export interface HouseMissingLetter extends HousePlace {
  houseId: string;
  lastTermTo: string | null;
}
export interface HouseLetters {
  houseId: string;
  rental: boolean;
  hasValidLetter: boolean;
  validLetter: Letter | null;
  missing: boolean;
  letters: Letter[];
}
