/**
 * The policy pack's keys and codes in words: which message keys name a key (by the key of the
 * object holding it first: `patrolIntervalDays.grid` is not the `grid` section), the unit of a
 * number and the codes an enum holds. Pure (no React): the coverage test (test/i18n-codes.test.ts)
 * checks every key of the pack schema against these same rules.
 */

/** A key's name: for its parent first (`pk.patrolIntervalDays.grid`), then the common one (`pk.grid`). */
export const policyKeyKeys = (parent: string, key: string): string[] => (parent ? [`pk.${parent}.${key}`, `pk.${key}`] : [`pk.${key}`]);

/** Numbers shown in another form than "n unit": money in fen as 元, shares as percentages. */
export const isFenKey = (key: string): boolean => key.endsWith('Fen');
export const isShareKey = (key: string): boolean => key.endsWith('Share');

/** A number's unit (天, 小时, 次 …); null when the number is shown as money or a percentage instead. */
export const policyUnitKeys = (parent: string, key: string): string[] | null =>
  (isFenKey(key) || isShareKey(key) ? null : parent ? [`pku.${parent}.${key}`, `pku.${key}`] : [`pku.${key}`]);

/** Codes the pages already name, by key. */
const VALUE_FAMILIES: Record<string, string[]> = {
  post: ['post.'],
  mode: ['appr.mode.'],
  rankedLevel: ['pop.ranking.level.'],
  value: ['pv.level.', 'post.'],
  // A chain step's code: the shipped packs name steps after who approves.
  key: ['pv.type.', 'pv.level.'],
};

/** A code an enum key holds (`timeout: remind`, `approver.type: section_head`). */
export const policyValueKeys = (parent: string, key: string, value: string): string[] => [
  ...(parent ? [`pv.${parent}.${key}.${value}`] : []),
  `pv.${key}.${value}`,
  ...(VALUE_FAMILIES[key] ?? []).map((p) => `${p}${value}`),
];

/** What a condition compares (`form.days`, `applicant.level`). */
export const policyFieldKeys = (field: string): string[] => [`pv.field.${field}`];

/** The first of `keys` the dictionary has, else `fallback` (`tx` returns its fallback for an unknown key). */
export function pickLabel(tx: (key: string, fallback: string) => string, keys: readonly string[], fallback: string): string {
  for (const k of keys) {
    const s = tx(k, '\u0000');
    if (s !== '\u0000') return s;
  }
  return fallback;
}

/** "security.password.minLength" or "leave.chain.steps[1].approver" → "安全 › 密码规则 › 最短长度" (each key named for its parent). */
export function readablePolicyPath(path: string, tx: (key: string, fallback: string) => string): string {
  let parent = '';
  return path
    .replace(/^document[./]/, '')
    .split(/[./[\]]/)
    .filter(Boolean)
    .map((seg) => {
      if (/^\d+$/.test(seg)) return `#${Number(seg) + 1}`;
      const label = pickLabel(tx, policyKeyKeys(parent, seg), seg);
      parent = seg;
      return label;
    })
    .join(' › ');
}
