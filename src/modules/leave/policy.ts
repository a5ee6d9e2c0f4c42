import { z } from 'zod';
import type { Db } from '../../platform/db/index.js';
import { activePolicy } from '../../platform/policy/service.js';
import { chainSchemaFor, type Chain } from '../../platform/approvals/chain.js';

/**
 * Pack section `leave` (请销假): types with their counting unit and entitlement, annual-leave tiers,
 * the 销假 window and the approval chain. Street pack: 000:284 (chain), 004:L969–975 (entitlements,
 * 销假 within 3 days, where 000 is silent); bureau pack: 004:L191.
 */
export const LEAVE_FORM_FIELDS = ['type', 'days', 'halfDay', 'retroactive'] as const;

const leaveType = z.strictObject({
  name: z.string().min(1).max(20),
  /** Working days (rest days and holidays not counted) or natural days (maternity: 004:L971). */
  unit: z.enum(['workday', 'natural']),
  /** Drawn from a yearly balance (annual 年休假, compensatory 调休). */
  balance: z.boolean().default(false),
  /** A fixed entitlement per occasion (marriage 3, paternity 15, maternity 98 …), days. */
  fixedDays: z.number().int().min(1).max(365).optional(),
  /** Maternity: days added per extra baby and for a difficult birth (004:L971). */
  extraDaysPerBaby: z.number().int().min(0).max(100).optional(),
  difficultBirthDays: z.number().int().min(0).max(100).optional(),
  /** Half days allowed (a single-day leave of a morning or an afternoon). */
  halfDayAllowed: z.boolean().default(true),
});

export const leaveSection = z.strictObject({
  types: z.record(z.string().regex(/^[a-z_]+$/), leaveType).refine((t) => Object.keys(t).length > 0, '至少一种假别'),
  /** Annual leave by years of service (国务院《职工带薪年休假条例》: 1–10 y 5 d, 10–20 y 10 d, ≥ 20 y 15 d). */
  annualTiers: z.array(z.strictObject({ minYears: z.number().int().min(0).max(60), days: z.number().int().min(0).max(60) })).min(1).max(10),
  /** 销假 within this many days after the leave ends (004:L975). */
  closeWithinDays: z.number().int().min(1).max(30),
  chain: chainSchemaFor(LEAVE_FORM_FIELDS),
});
export type LeavePolicy = z.infer<typeof leaveSection>;

const TYPES: LeavePolicy['types'] = {
  personal: { name: '事假', unit: 'workday', balance: false, halfDayAllowed: true },
  sick: { name: '病假', unit: 'workday', balance: false, halfDayAllowed: true },
  annual: { name: '年休假', unit: 'workday', balance: true, halfDayAllowed: true },
  marriage: { name: '婚假', unit: 'workday', balance: false, fixedDays: 3, halfDayAllowed: false },
  maternity: { name: '产假', unit: 'natural', balance: false, fixedDays: 98, extraDaysPerBaby: 15, difficultBirthDays: 15, halfDayAllowed: false },
  paternity: { name: '护理假', unit: 'workday', balance: false, fixedDays: 15, halfDayAllowed: false },
  bereavement: { name: '丧假', unit: 'workday', balance: false, fixedDays: 3, halfDayAllowed: false },
  home_visit: { name: '探亲假', unit: 'natural', balance: false, fixedDays: 30, halfDayAllowed: false },
  compensatory: { name: '调休', unit: 'workday', balance: true, halfDayAllowed: true },
};
const TIERS = [{ minYears: 1, days: 5 }, { minYears: 10, days: 10 }, { minYears: 20, days: 15 }];
const level = (v: string[]) => ({ field: 'applicant.level', op: 'in' as const, value: v });
const days = (op: 'lt' | 'gte' | 'gt' | 'lte', value: number) => ({ field: 'form.days', op, value });

/** 000:284, step by step. The seed says nothing of a section head's leave under 2 days: the leader in charge (documented default). */
const streetChain: Chain = {
  steps: [
    { key: 'section_head', name: '科室负责人审批', when: level(['staff']), approver: { type: 'section_head', fallback: { type: 'leader_in_charge' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'leader_in_charge', name: '分管领导审批', when: { any: [{ all: [level(['staff']), days('gte', 2)] }, level(['section_head'])] }, approver: { type: 'leader_in_charge', fallback: { type: 'main_leader', which: 'director' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'main_leader', name: '主要领导审批', when: { any: [{ all: [level(['staff']), days('gte', 3)] }, { all: [level(['section_head']), days('gte', 2)] }, level(['deputy'])] }, approver: { type: 'main_leader', which: 'director', fallback: { type: 'other_main_leader' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'district', name: '报区委、区政府审批（系统外）', when: level(['main_leader']), approver: { type: 'external', authority: '区委、区政府' }, mode: 'one', timeout: 'remind' },
  ],
  cc: [{ when: { all: [level(['staff']), days('lt', 2)] }, approver: { type: 'leader_in_charge' } }],
};

/** 004:L191: staff → section head; > 1 day also a bureau leader; head → leader in charge; leader in charge → main leader; main leader → 区委/区政府. */
const bureauChain: Chain = {
  steps: [
    { key: 'section_head', name: '科室负责人审批', when: level(['staff']), approver: { type: 'section_head', fallback: { type: 'leader_in_charge' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'leader_in_charge', name: '分管领导审批', when: level(['section_head']), approver: { type: 'leader_in_charge', fallback: { type: 'main_leader', which: 'any' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'bureau_leader', name: '局领导审批（超过一天）', when: { all: [level(['staff', 'section_head']), days('gt', 1)] }, approver: { type: 'bureau_leader', fallback: { type: 'main_leader', which: 'any' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'main_leader', name: '局主要领导审批', when: level(['deputy']), approver: { type: 'main_leader', which: 'any', fallback: { type: 'other_main_leader' } }, mode: 'one', dueWorkdays: 1, timeout: 'remind' },
    { key: 'district', name: '报区委、区政府审批（系统外）', when: level(['main_leader']), approver: { type: 'external', authority: '区委、区政府' }, mode: 'one', timeout: 'remind' },
  ],
  cc: [],
};

const street: LeavePolicy = { types: TYPES, annualTiers: TIERS, closeWithinDays: 3, chain: streetChain };
const bureau: LeavePolicy = { types: structuredClone(TYPES), annualTiers: structuredClone(TIERS), closeWithinDays: 3, chain: bureauChain };

export const leavePolicySection = { section: 'leave', schema: leaveSection, defaults: { street, bureau } };

export const leaveRulesOf = (pack: Record<string, unknown>): LeavePolicy => pack.leave as LeavePolicy;

export async function leavePolicy(db: Db) {
  const p = await activePolicy(db);
  return { packCode: p.packCode, version: p.version, rules: leaveRulesOf(p.pack), policy: p };
}

/** Annual-leave days for completed years of service. */
export function annualEntitlement(rules: LeavePolicy, years: number): number {
  let d = 0;
  for (const t of [...rules.annualTiers].sort((a, b) => a.minYears - b.minYears)) if (years >= t.minYears) d = t.days;
  return d;
}
