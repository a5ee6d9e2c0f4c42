import { z } from 'zod';
import { POSTS } from '../org/roles.js';
import type { StaffLevel } from '../org/holders.js';

/**
 * The chain language of the approval engine (审批链): a chain is an ordered list of steps declared
 * in the policy pack. A step applies when its condition holds over the submitted form and the
 * applicant; it names who approves (an approver rule, resolved when the step opens), how several
 * approvers decide (`one`, `all` 会签, `any` 或签), an optional time limit in working days and what
 * happens when it passes. Not BPMN: no loops, no parallel branches — what the office rulebooks say.
 */

export const STAFF_LEVELS = ['main_leader', 'deputy', 'section_head', 'staff'] as const satisfies readonly StaffLevel[];

const postCode = z.enum(POSTS);
const scalar = z.union([z.string().max(100), z.number(), z.boolean()]);

/** A reference a condition reads: `form.<field>` or `applicant.level|rank|post`. */
export const APPLICANT_REFS = ['applicant.level', 'applicant.rank', 'applicant.post'] as const;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { field: string; op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'notIn'; value: z.infer<typeof scalar> | z.infer<typeof scalar>[] };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() => z.union([
  z.strictObject({ all: z.array(conditionSchema).min(1).max(20) }),
  z.strictObject({ any: z.array(conditionSchema).min(1).max(20) }),
  z.strictObject({ not: conditionSchema }),
  z.strictObject({
    field: z.string().regex(/^(form\.[a-zA-Z][a-zA-Z0-9]*|applicant\.(level|rank|post))$/, '条件字段应为 form.<字段> 或 applicant.level/rank/post'),
    op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn']),
    value: z.union([scalar, z.array(scalar).max(50)]),
  }),
]));

export type ApproverRule = (
  /** The applicant's section head (科室负责人), found in the unit or its nearest ancestor. */
  | { type: 'section_head' }
  /** The leader in charge (分管领导) of the applicant's section. */
  | { type: 'leader_in_charge' }
  /** The main leader of the street: the director (主任), the party secretary (书记) or either. */
  | { type: 'main_leader'; which: 'director' | 'party_secretary' | 'any' }
  /** For a main leader's own request: the other main leader (书记 ↔ 主任). */
  | { type: 'other_main_leader' }
  /** The presiding leader (主持工作的领导). */
  | { type: 'presiding_leader' }
  /** A bureau leader (局领导). */
  | { type: 'bureau_leader' }
  /** Holders of a post in a named unit (by its code), or in the applicant's street when no unit is named. */
  | { type: 'post'; post: (typeof POSTS)[number]; unitCode?: string }
  /** Holders of a role (any grant of it). */
  | { type: 'role'; role: string }
  /** A collective decision (集体研究): the office records the meeting, its date, the minutes. */
  | { type: 'collective_decision' }
  /** Approved outside the system (e.g. by the district): recorded as such at submission. */
  | { type: 'external'; authority: string }
) & { fallback?: ApproverRule };

const fallback = () => ({ fallback: approverRuleSchema.optional() });
export const approverRuleSchema: z.ZodType<ApproverRule> = z.lazy(() => z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('section_head'), ...fallback() }),
  z.strictObject({ type: z.literal('leader_in_charge'), ...fallback() }),
  z.strictObject({ type: z.literal('main_leader'), which: z.enum(['director', 'party_secretary', 'any']).default('any'), ...fallback() }),
  z.strictObject({ type: z.literal('other_main_leader'), ...fallback() }),
  z.strictObject({ type: z.literal('presiding_leader'), ...fallback() }),
  z.strictObject({ type: z.literal('bureau_leader'), ...fallback() }),
  z.strictObject({ type: z.literal('post'), post: postCode, unitCode: z.string().max(40).optional(), ...fallback() }),
  z.strictObject({ type: z.literal('role'), role: z.string().min(1).max(40), ...fallback() }),
  z.strictObject({ type: z.literal('collective_decision'), ...fallback() }),
  z.strictObject({ type: z.literal('external'), authority: z.string().min(1).max(60), ...fallback() }),
])) as z.ZodType<ApproverRule>;

export const stepSchema = z.strictObject({
  key: z.string().regex(/^[a-z][a-z0-9_]*$/).max(40),
  name: z.string().min(1).max(60),
  when: conditionSchema.optional(),
  approver: approverRuleSchema,
  mode: z.enum(['one', 'all', 'any']).default('one'),
  /** Time limit in working days from the day the step opens; absent: no limit. */
  dueWorkdays: z.number().int().min(1).max(60).optional(),
  /** When the limit passes: remind the approvers daily, escalate to the main leader, or pass (marked 超时自动通过). */
  timeout: z.enum(['remind', 'escalate', 'auto_pass']).default('remind'),
});
export type ChainStep = z.infer<typeof stepSchema>;

export const ccRuleSchema = z.strictObject({ when: conditionSchema.optional(), approver: approverRuleSchema });

export const chainBody = z.strictObject({
  steps: z.array(stepSchema).min(1).max(20),
  /** Who is informed (抄送) at submission. */
  cc: z.array(ccRuleSchema).max(10).default([]),
});
export type Chain = z.infer<typeof chainBody>;

type Leaf = Extract<Condition, { field: string }>;
function leavesOf(c: Condition | undefined, out: Leaf[] = []): Leaf[] {
  if (!c) return out;
  if ('all' in c) c.all.forEach((x) => leavesOf(x, out));
  else if ('any' in c) c.any.forEach((x) => leavesOf(x, out));
  else if ('not' in c) leavesOf(c.not, out);
  else out.push(c);
  return out;
}

/** What `applicant.post` / `applicant.level` may be compared with: a typo would silently never match. */
const KNOWN_VALUES: Record<string, readonly string[]> = { 'applicant.post': POSTS, 'applicant.level': STAFF_LEVELS };
function problemsOf(c: Condition | undefined, known: Set<string>, formFields: readonly string[]): string[] {
  return leavesOf(c).flatMap((l) => {
    if (l.field.startsWith('form.') && !known.has(l.field)) return [`未知的表单字段 ${l.field}（可用：${formFields.join('、')}）`];
    const allowed = KNOWN_VALUES[l.field];
    const bad = allowed ? (Array.isArray(l.value) ? l.value : [l.value]).filter((v) => !allowed.includes(v as string)) : [];
    return bad.length ? [`${l.field} 的取值 ${bad.join('、')} 未知（可用：${allowed!.join('、')}）`] : [];
  });
}

/**
 * The pack schema of one kind's chain: the chain language plus a check that every `form.*` a
 * condition reads is a field the kind's form has (a pack edit naming an unknown field is refused
 * with the path of the error), that `applicant.post` / `applicant.level` are compared with known
 * posts and levels, and that step keys are unique.
 */
export function chainSchemaFor(formFields: readonly string[]) {
  const known = new Set(formFields.map((f) => `form.${f}`));
  return chainBody.superRefine((chain, ctx) => {
    const keys = new Set<string>();
    chain.steps.forEach((s, i) => {
      if (keys.has(s.key)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'key'], message: `步骤键 ${s.key} 重复` });
      keys.add(s.key);
      for (const message of problemsOf(s.when, known, formFields)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'when'], message });
    });
    chain.cc.forEach((c, i) => {
      for (const message of problemsOf(c.when, known, formFields)) ctx.addIssue({ code: 'custom', path: ['cc', i, 'when'], message });
    });
  });
}

/** What conditions are evaluated over. */
export interface ChainContext {
  form: Record<string, unknown>;
  applicant: { level: StaffLevel; rank: string | null; posts: string[] };
}

function read(ref: string, ctx: ChainContext): unknown {
  if (ref.startsWith('form.')) return ctx.form[ref.slice(5)];
  if (ref === 'applicant.level') return ctx.applicant.level;
  if (ref === 'applicant.rank') return ctx.applicant.rank;
  return ctx.applicant.posts; // applicant.post: matches when any post matches
}

function compare(actual: unknown, op: string, value: unknown): boolean {
  const list = Array.isArray(value) ? value : [value];
  switch (op) {
    case 'eq': return actual === value;
    case 'ne': return actual !== value;
    case 'in': return list.includes(actual as never);
    case 'notIn': return !list.includes(actual as never);
  }
  if (typeof actual !== 'number' || typeof value !== 'number') return false;
  switch (op) {
    case 'gt': return actual > value;
    case 'gte': return actual >= value;
    case 'lt': return actual < value;
    default: return actual <= value;
  }
}

export function evaluateCondition(c: Condition | undefined, ctx: ChainContext): boolean {
  if (!c) return true;
  if ('all' in c) return c.all.every((x) => evaluateCondition(x, ctx));
  if ('any' in c) return c.any.some((x) => evaluateCondition(x, ctx));
  if ('not' in c) return !evaluateCondition(c.not, ctx);
  const actual = read(c.field, ctx);
  if (Array.isArray(actual)) return c.op === 'ne' || c.op === 'notIn' ? actual.every((a) => compare(a, c.op, c.value)) : actual.some((a) => compare(a, c.op, c.value));
  return compare(actual, c.op, c.value);
}

/** The code shown as a step's approver post (`approverPost` in API.md). */
export function approverPostOf(rule: ApproverRule): string {
  switch (rule.type) {
    case 'main_leader': return rule.which === 'any' ? 'main_leader' : rule.which;
    case 'post': return rule.post;
    case 'role': return `role:${rule.role}`;
    case 'external': return 'external';
    default: return rule.type;
  }
}
