import type { PolicyPack } from './schema.js';

/**
 * The two packs that ship (PRODUCT.md "Principles"): `street` — 浆洗街's own rules (seed 000)
 * completed by seed 002 and, where both are silent, seed 004; `bureau` — the Weifang bureau
 * rulebook (seed 004 篇1). Modules add their sections to both through `registerDefaultSection`.
 */
const streetPack: PolicyPack = {
  meta: {
    name: '浆洗街街道（默认）',
    description: '浆洗街街道办事处自身制度（种子文件 000），以便民服务大厅制度（002）补充，二者未规定处参照局机关制度（004）。',
    sources: ['000', '002', '004'],
  },
  security: {
    password: { minLength: 8, minClasses: 3 },
    lockout: { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 },
    session: { idleTimeoutMinutes: 30, bearerTokenHours: 12 },
    loginRateLimitPerMinute: 60,
  },
  audit: { retentionDays: 180 },
  /** Transient work files (exports, uploads, error lists) are kept 7 days after their job finished. */
  files: { retentionDays: 7 },
  grid: {
    regular: { maxMigrantShare: 0.4, maxRentalShare: 0.3, combine: 'or' },
    sizeHint: { rentals: [200, 250], migrants: [800, 1000] },
  },
};

const bureauPack: PolicyPack = {
  ...structuredClone(streetPack),
  meta: {
    name: '局机关制度',
    description: '潍坊市某局机关管理制度汇编（种子文件 004 篇1）。',
    sources: ['004'],
  },
  files: { retentionDays: 7 },
};

const defaults: Record<string, PolicyPack> = { street: streetPack, bureau: bureauPack };

export const DEFAULT_PACK_CODE = 'street';

export function registerDefaultSection(section: string, values: { street: unknown; bureau: unknown }): void {
  (defaults.street as Record<string, unknown>)[section] = values.street;
  (defaults.bureau as Record<string, unknown>)[section] = values.bureau;
}

export function defaultPacks(): Record<string, PolicyPack> {
  return structuredClone(defaults);
}
