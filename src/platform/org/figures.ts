import type { KeyDesignation, SurveySnapshot } from '../db/schema.js';
import type { PolicyPack } from '../policy/schema.js';

/**
 * Grid figures: the ratios of 000:122, the grid classification (常规型 regular / 重点型 key)
 * and the flags a street would want raised on its survey data.
 */
export interface Flag { code: string; message: string }
export interface Ratios { migrantShare: number | null; rentalShare: number | null }
export interface Classification { kind: 'regular' | 'key'; designated: boolean; reason?: string; meetsRegularCriterion: boolean | null }

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function ratiosOf(s: SurveySnapshot): Ratios {
  const actualPopulation = s.residents + s.migrants; // 实有人口 = 常住 + 流动
  return {
    migrantShare: actualPopulation > 0 ? s.migrants / actualPopulation : null,
    rentalShare: s.houses > 0 ? s.rentals / s.houses : null,
  };
}

/** 000:122 — regular when migrants < 40 % of actual population OR rentals < 30 % of houses (pack: thresholds and or/and). */
export function meetsRegularCriterion(r: Ratios, grid: PolicyPack['grid']): boolean | null {
  const a = r.migrantShare === null ? null : r.migrantShare < grid.regular.maxMigrantShare;
  const b = r.rentalShare === null ? null : r.rentalShare < grid.regular.maxRentalShare;
  if (a === null && b === null) return null;
  if (grid.regular.combine === 'or') return a === true || b === true;
  return a !== false && b !== false;
}

export function classifyGrid(s: SurveySnapshot | null, designation: KeyDesignation | null, grid: PolicyPack['grid']): { classification: Classification; flags: Flag[] } {
  const flags: Flag[] = [];
  const ratios = s ? ratiosOf(s) : { migrantShare: null, rentalShare: null };
  const meets = s ? meetsRegularCriterion(ratios, grid) : null;
  const classification: Classification = designation
    ? { kind: 'key', designated: true, reason: designation.reason, meetsRegularCriterion: meets }
    : { kind: 'regular', designated: false, meetsRegularCriterion: meets };
  if (s) {
    const share = `流动人口占比 ${ratios.migrantShare === null ? '—' : pct(ratios.migrantShare)}，出租房屋占比 ${ratios.rentalShare === null ? '—' : pct(ratios.rentalShare)}`;
    if (designation && meets === true) {
      flags.push({ code: 'KEY_GRID_MEETS_REGULAR_CRITERION', message: `已指定为重点型网格，但按常规型标准（${share}）属于常规型。` });
    }
    if (!designation && meets === false) {
      flags.push({ code: 'REGULAR_CRITERION_NOT_MET', message: `未指定为重点型网格，但不符合常规型标准（${share}）。` });
    }
    if (!designation && meets === true) {
      const [rMin, rMax] = grid.sizeHint.rentals;
      const [mMin, mMax] = grid.sizeHint.migrants;
      const inRentals = s.rentals >= rMin && s.rentals <= rMax;
      const inMigrants = s.migrants >= mMin && s.migrants <= mMax;
      if (!inRentals && !inMigrants) {
        flags.push({ code: 'SIZE_OUTSIDE_HINT', message: `常规型网格规模建议为出租房屋 ${rMin}–${rMax} 户或流动人口 ${mMin}–${mMax} 人（现为 ${s.rentals} 户、${s.migrants} 人）。` });
      }
    }
  }
  return { classification, flags };
}

/** Flags that hold for any unit's survey, including sums of its children. */
export function surveyFlags(s: SurveySnapshot, children: SurveySnapshot[]): Flag[] {
  const flags: Flag[] = [];
  if (s.rentals > s.houses) flags.push({ code: 'RENTALS_EXCEED_HOUSES', message: `出租房屋（${s.rentals} 套）多于房屋总数（${s.houses} 套）。` });
  if (s.residents + s.migrants === 0) flags.push({ code: 'ZERO_POPULATION', message: '实有人口为 0，无法计算流动人口占比。' });
  if (s.houses === 0) flags.push({ code: 'ZERO_HOUSES', message: '房屋数为 0，无法计算出租房屋占比。' });
  if (children.length > 0) {
    const fields: [keyof SurveySnapshot, string][] = [
      ['residents', '常住人口'], ['migrants', '流动人口'], ['houses', '房屋'], ['rentals', '出租房屋'], ['shops', '店铺'], ['employers', '用工单位'],
    ];
    const diffs = fields.flatMap(([f, label]) => {
      const sum = children.reduce((acc, c) => acc + Number(c[f] ?? 0), 0);
      return sum !== Number(s[f]) ? [`${label} 下级合计 ${sum} ≠ 本级 ${s[f]}`] : [];
    });
    if (diffs.length) flags.push({ code: 'CHILD_SUMS_DIFFER', message: `下级汇总与本级数据不一致：${diffs.join('；')}。` });
  }
  return flags;
}
