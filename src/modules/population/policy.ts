import { z } from 'zod';
import { activePolicy } from '../../platform/policy/service.js';
import type { Db } from '../../platform/db/index.js';

/**
 * Pack section `population` (流动人口管理): the numbers M2 applies. Grid classification thresholds
 * and size hints live in the platform's `grid` section (they describe the org tree).
 */
const days = z.number().int().min(1).max(366);
const fen = z.number().int().min(0).max(1_000_000);

export const populationSection = z.strictObject({
  /** 000:36 — a grid worker reports what was collected to the station within 24 hours (natural hours). */
  reviewDeadlineHours: z.number().int().min(1).max(24 * 30),
  /** 000:38 三级巡查 — natural days between patrols at each level. */
  patrolIntervalDays: z.strictObject({
    /** 街道流管办 → each community station: weekly. */
    street: days,
    /** 社区流管站 → each collection point: every 2 weeks. */
    station: days,
    /** 网格员 → each rental house of the grid: every 2 weeks. */
    grid: days,
  }),
  /** 000:40 — reward per collected / entered / passed record, in fen, for the monthly top N. */
  reward: z.strictObject({
    topN: z.number().int().min(0).max(100),
    /** Who is ranked (the seed leaves it open): grid workers by default. */
    rankedLevel: z.enum(['grid_worker', 'community', 'street']),
    collectedFen: fen,
    enteredFen: fen,
    passedFen: fen,
    /**
     * 000:41 — reward per crime lead (违法犯罪线索) reported from a household visit. The seed pays "by the
     * public-security standards" without a figure: 0 until the street records the police's rate.
     */
    crimeLeadFen: fen.default(0),
  }),
  /** How many days of records a spot re-check (倒查) may pick from, looking back. */
  recheckLookbackDays: days,
  /** 居住证 renewal: issued permits expiring within this many natural days are listed for renewal (续办). */
  permitRenewalNoticeDays: days.default(30),
  /** 责任书: letters whose term ends within this many natural days are listed as expiring. */
  letterRenewalNoticeDays: days.default(30),
  /**
   * 000:16, 000:103, 000:127 — staffing: each grid has exactly this many full-time assistants (专职协管员,
   * the `grid_worker` post) and each community station this many information entry clerks (信息录入员,
   * the `station_clerk` post); a unit with fewer or more is flagged.
   */
  staffing: z.strictObject({
    gridWorkersPerGrid: z.number().int().min(1).max(20),
    entryClerksPerStation: z.number().int().min(1).max(20),
  }).default({ gridWorkersPerGrid: 1, entryClerksPerStation: 1 }),
  /**
   * 000:40 — 每月录入工作未达标: a community whose records entered (录入) in a month are fewer than its
   * standard gets a deduction item in its annual target assessment and the funding-deduction flag.
   * The seed names the standard (达标) but gives no figure: the shipped default of 20 entries a month
   * per community is a placeholder until the street records the district's figure; `byCommunity`
   * (community name → entries a month) overrides it for one community. `shortfallPoints` is what a
   * short month deducts (also unstated in the seed; 1 point by default).
   */
  entryStandard: z.strictObject({
    monthlyEntries: z.number().int().min(0).max(100_000),
    byCommunity: z.record(z.string().min(1).max(50), z.number().int().min(0).max(100_000)),
    shortfallPoints: z.number().min(0.5).max(100).multipleOf(0.5),
  }).default({ monthlyEntries: 20, byCommunity: {}, shortfallPoints: 1 }),
});
export type PopulationPolicy = z.infer<typeof populationSection>;

export const streetDefaults: PopulationPolicy = {
  reviewDeadlineHours: 24,
  patrolIntervalDays: { street: 7, station: 14, grid: 14 },
  reward: { topN: 3, rankedLevel: 'grid_worker', collectedFen: 50, enteredFen: 100, passedFen: 150, crimeLeadFen: 0 },
  recheckLookbackDays: 90,
  permitRenewalNoticeDays: 30,
  letterRenewalNoticeDays: 30,
  staffing: { gridWorkersPerGrid: 1, entryClerksPerStation: 1 },
  entryStandard: { monthlyEntries: 20, byCommunity: {}, shortfallPoints: 1 },
};

/** The module's pack section; the bureau rulebook (004) has no migrant-management rules: it keeps the street's numbers. */
export const populationPolicySection = { section: 'population', schema: populationSection, defaults: { street: streetDefaults, bureau: structuredClone(streetDefaults) } };

export async function populationPolicy(db: Db): Promise<{ packCode: string; version: number; rules: PopulationPolicy; grid: { regular: { maxMigrantShare: number; maxRentalShare: number; combine: 'or' | 'and' }; sizeHint: { rentals: [number, number]; migrants: [number, number] } } }> {
  const p = await activePolicy(db);
  return { packCode: p.packCode, version: p.version, rules: (p.pack as Record<string, unknown>).population as PopulationPolicy, grid: p.pack.grid };
}
