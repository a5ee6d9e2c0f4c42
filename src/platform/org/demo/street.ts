import type { SurveySnapshot } from '../../db/schema.js';

/**
 * The demo street 浆洗街街道 (seed 000): 5 communities, 11 police areas (000:50), 35 grids with
 * the per-grid survey figures of 000:53–102 (area km², streets, residents, migrants, houses,
 * rentals, shops, employers), the street totals of 000:52 and the 3 key grids (000:122, 000:125).
 */
export const STREET = {
  code: '510107013', // GB/T 2260 county 510107 (武侯区) + street 013 (demo code)
  name: '浆洗街街道',
  survey: { areaKm2: 2.35, streets: 27, residents: 43861, migrants: 18916, houses: 21426, rentals: 4174, shops: 1731, employers: 150, asOf: '2011-07-31' },
};

type Row = [number, number, number, number, number, number, number, number]; // area, streets, residents, migrants, houses, rentals, shops, employers

export interface DemoCommunity {
  key: string; name: string; asOf: string; total: Row; grids: Row[];
  /** Police areas (警务区) and the grid ordinals each covers. */
  policeAreas: number[][];
  /**
   * Where the community sits on the street's schematic map (示意图): a box on a 100 × 64 canvas, x to
   * the east, y to the south. Approximate relative positions (蜀汉街 and 凉水井街 to the north,
   * 大石东路 by 武侯祠 to the south-west, 洗面桥 to the south, 洗面桥横街 to the east), not a survey:
   * the office's surveyed GCJ-02 GeoJSON, once uploaded, replaces the schematic.
   */
  schematic: { x: number; y: number; w: number; h: number };
}

export const COMMUNITIES: DemoCommunity[] = [
  { key: 'sh', name: '蜀汉街社区', asOf: '2011-07-31', total: [0.282, 6, 8925, 4594, 3981, 990, 301, 61], schematic: { x: 0, y: 0, w: 36, h: 30 }, policeAreas: [[1, 2, 3, 4], [5, 6, 7]], grids: [
    [0.051, 3, 2259, 1287, 826, 135, 36, 8], [0.039, 2, 1181, 285, 506, 110, 36, 2], [0.052, 4, 1482, 845, 702, 187, 15, 41],
    [0.049, 3, 1179, 424, 536, 133, 16, 3], [0.048, 3, 891, 764, 536, 158, 106, 5], [0.022, 2, 878, 418, 462, 129, 48, 1],
    [0.021, 2, 1055, 571, 413, 138, 44, 1]] },
  { key: 'xmq', name: '洗面桥社区', asOf: '2011-10-01', total: [0.6, 5, 8738, 6470, 5591, 992, 366, 38], schematic: { x: 36, y: 32, w: 34, h: 32 }, policeAreas: [[1, 2, 3], [4, 5], [6, 7]], grids: [
    [0.08, 1, 333, 427, 532, 124, 72, 0], [0.02, 1, 655, 318, 413, 67, 86, 5], [0.054, 1, 1180, 717, 564, 263, 49, 6],
    [0.05, 1, 2230, 819, 632, 327, 44, 2], [0.07, 1, 330, 693, 543, 241, 77, 6], [0.29, 0, 2849, 743, 655, 233, 37, 0],
    [0.05, 1, 983, 2895, 2572, 1561, 40, 1]] },
  { key: 'xmqhj', name: '洗面桥横街社区', asOf: '2011-10-01', total: [0.6, 6, 11959, 5731, 6204, 1407, 308, 72], schematic: { x: 72, y: 0, w: 28, h: 64 }, policeAreas: [[1, 2, 3, 4], [5, 6, 7]], grids: [
    [0.08, 1, 953, 720, 474, 174, 54, 4], [0.07, 3, 2173, 1760, 1522, 531, 37, 23], [0.08, 2, 2152, 1030, 950, 1385, 27, 25],
    [0.1, 2, 2884, 1340, 1279, 2010, 68, 12], [0.12, 2, 1659, 380, 701, 182, 46, 4], [0.09, 1, 2138, 230, 872, 97, 42, 3],
    [0.06, 3, 966, 271, 406, 84, 32, 1]] },
  { key: 'dsdl', name: '大石东路社区', asOf: '2011-10-01', total: [0.81, 2, 4837, 6543, 2399, 656, 243, 43], schematic: { x: 0, y: 32, w: 34, h: 32 }, policeAreas: [[1, 2, 3], [4, 5, 6, 7]], grids: [
    [0.18, 1, 782, 1313, 452, 215, 134, 15], [0.07, 1, 247, 639, 170, 91, 20, 4], [0.11, 1, 439, 804, 216, 52, 18, 3],
    [0.1, 1, 403, 430, 318, 15, 10, 4], [0.09, 1, 259, 513, 177, 177, 5, 4], [0.21, 1, 786, 2131, 398, 118, 52, 7],
    [0.05, 1, 1921, 713, 668, 62, 4, 6]] },
  { key: 'lsj', name: '凉水井街社区', asOf: '2011-07-31', total: [0.37, 7, 10563, 2714, 3983, 350, 559, 10], schematic: { x: 38, y: 0, w: 32, h: 30 }, policeAreas: [[1, 2, 3], [4, 5, 6, 7]], grids: [
    [0.02, 2, 405, 260, 282, 35, 64, 3], [0.04, 3, 534, 846, 230, 52, 126, 2], [0.05, 2, 1803, 351, 636, 35, 24, 2],
    [0.03, 2, 948, 268, 386, 70, 7, 1], [0.03, 1, 768, 192, 320, 64, 0, 0], [0.19, 2, 6105, 301, 2129, 94, 90, 2],
    [0.01, 1, 0, 496, 0, 0, 248, 0]] },
];

/** 000:125 — the three key grids (重点型网格) the street designates. */
export const KEY_GRIDS: { community: string; grid: number; reason: string }[] = [
  { community: 'xmq', grid: 6, reason: '西南民族大学校区，大型院校，流动人口集中，管理难度大' },
  { community: 'dsdl', grid: 1, reason: '武侯祠锦里风景区，游客与商户集中' },
  { community: 'lsj', grid: 2, reason: '耍都休闲娱乐区，娱乐场所集中' },
];

/** The schematic boxes by community code (the seed's codes: street code + 3-digit ordinal). */
export const SCHEMATIC_BY_CODE: ReadonlyMap<string, DemoCommunity['schematic']> = new Map(
  COMMUNITIES.map((c, i) => [`${STREET.code}${String(i + 1).padStart(3, '0')}`, c.schematic]),
);

export const toSurvey = (r: Row, asOf: string): SurveySnapshot => ({
  areaKm2: r[0], streets: r[1], residents: r[2], migrants: r[3], houses: r[4], rentals: r[5], shops: r[6], employers: r[7], asOf,
});

export const DEPARTMENTS: { key: string; name: string }[] = [
  { key: 'dzb', name: '党政办' }, { key: 'czs', name: '财政所' }, { key: 'lgb', name: '流管办' }, { key: 'sqjsk', name: '社区建设科' },
  { key: 'cgk', name: '城管科' }, { key: 'shswk', name: '社会事务科' }, { key: 'jgw', name: '纪工委' },
];
