import { z } from 'zod';

/**
 * The policy pack: every number and chain the system applies (PRODUCT.md "Rules are data").
 * The platform defines the sections it needs; modules extend the pack with theirs through
 * `registerPolicySection`. Each field carries the seed line it comes from in the default packs.
 */
const ratio = z.number().min(0).max(1);
const positiveInt = z.number().int().positive();

export const securitySection = z.strictObject({
  password: z.strictObject({
    minLength: z.number().int().min(8, '密码长度下限不得低于 8').max(64),
    /** How many of the 4 character classes (upper, lower, digit, symbol) a password needs. */
    minClasses: z.number().int().min(3, '至少需要 3 类字符').max(4),
  }),
  lockout: z.strictObject({
    maxFailures: positiveInt.max(10),
    windowMinutes: positiveInt.max(24 * 60),
    lockMinutes: positiveInt.max(24 * 60),
  }),
  session: z.strictObject({
    idleTimeoutMinutes: positiveInt.max(30, '等保要求空闲超时不超过 30 分钟'),
    bearerTokenHours: positiveInt.max(24 * 30),
  }),
  loginRateLimitPerMinute: positiveInt.max(10_000),
});

export const auditSection = z.strictObject({
  retentionDays: z.number().int().min(180, '审计日志至少保存 180 天'),
});

/**
 * Stored files (src/platform/files): transient work files — uploaded import and comparison
 * spreadsheets, generated exports, comparison results and error lists, all owned by their job —
 * are deleted this many days after their job finished (the row stays, marked expired). Photos and
 * scans attached to records are never expired.
 */
export const filesSection = z.strictObject({
  retentionDays: z.number().int('临时文件保存天数应为整数').min(1, '临时文件至少保存 1 天').max(3650, '临时文件保存天数不超过 3650 天')
    .describe('临时文件（导入上传、导出、比对结果与错误清单）保存天数'),
}).describe('文件');

export const gridSection = z.strictObject({
  /** 000:122 — a regular (常规型) grid: migrants < 40 % of actual population OR rentals < 30 % of houses. */
  regular: z.strictObject({
    maxMigrantShare: ratio,
    maxRentalShare: ratio,
    combine: z.enum(['or', 'and']),
  }),
  /** 000:122 — a regular grid holds 200–250 rentals or 800–1000 migrants. */
  sizeHint: z.strictObject({
    rentals: z.tuple([positiveInt, positiveInt]),
    migrants: z.tuple([positiveInt, positiveInt]),
  }),
});

export const platformSections = {
  meta: z.strictObject({
    name: z.string().min(1).max(100),
    description: z.string().max(2000),
    sources: z.array(z.string().max(200)).max(50),
  }),
  security: securitySection,
  audit: auditSection,
  files: filesSection,
  grid: gridSection,
};

const moduleSections: Record<string, z.ZodType> = {};

/** Modules add their own section (e.g. `population`, `serviceHall`) before the app starts. */
export function registerPolicySection(name: string, schema: z.ZodType): void {
  if (name in platformSections || moduleSections[name]) throw new Error(`policy section ${name} already registered`);
  moduleSections[name] = schema;
}

export function policyPackSchema() {
  return z.strictObject({ ...platformSections, ...moduleSections });
}

let jsonSchema: { modules: number; schema: Record<string, unknown> } | null = null;

/**
 * The pack schema as JSON Schema (draft 2020-12) for the 制度参数 form (GET /api/v1/policy/schema):
 * ranges, integers, enums, required keys, arrays, records and nested sections as the server checks
 * them on save. Recursive parts (conditions, approver fallbacks) are `$defs` referenced by `$ref`.
 * Refinements without a JSON form (unique step keys, known form fields) stay server-side checks.
 * Input view: a key with a default may be left out.
 */
export function policyPackJsonSchema(): Record<string, unknown> {
  const modules = Object.keys(moduleSections).length;
  if (jsonSchema?.modules !== modules) {
    jsonSchema = { modules, schema: z.toJSONSchema(policyPackSchema(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> };
  }
  return jsonSchema.schema;
}

export type PolicyPack = z.infer<z.ZodObject<typeof platformSections>> & Record<string, unknown>;
