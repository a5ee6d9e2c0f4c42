import type { MessageKey, Vars } from '../../app/i18n';
import { isFenKey, isShareKey, pickLabel, policyFieldKeys, policyKeyKeys, policyUnitKeys, policyValueKeys } from './codes';

export type Scalar = string | number | boolean | null;
export const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);

type Condition = { field: string; op: string; value: Scalar | Scalar[] } | { all: Condition[] } | { any: Condition[] } | { not: Condition };
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Pack values in words, shared by the tree, the form and the list of changes: a key by its name
 * (named for the key of the object holding it), a number with its unit (天, 小时, 元, %), a code by
 * its name, a condition of an approval chain as a sentence.
 */
export function policyWords(t: (key: MessageKey, vars?: Vars) => string, tx: (key: string, fallback: string) => string) {
  const empty = t('policy.emptyValue');
  const keyName = (parent: string, key: string): string => pickLabel(tx, policyKeyKeys(parent, key), key);
  const unitOf = (parent: string, key: string): string => {
    const keys = policyUnitKeys(parent, key);
    return keys ? pickLabel(tx, keys, '') : '';
  };
  const codeName = (parent: string, key: string, code: string): string => pickLabel(tx, policyValueKeys(parent, key, code), code);
  const valueText = (parent: string, key: string, v: Scalar): string => {
    if (v === null || v === '') return empty;
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (typeof v === 'number') {
      if (isFenKey(key)) return `${(v / 100).toFixed(2)} ${t('policy.unit.yuan')}`;
      if (isShareKey(key)) return `${Math.round(v * 1000) / 10}%`;
      const unit = unitOf(parent, key);
      return unit ? `${v} ${unit}` : String(v);
    }
    return codeName(parent, key, v);
  };
  /** A short list of plain values: 200 – 250 户 for a numeric range, else a, b, c. */
  const arrayText = (parent: string, key: string, v: Scalar[]): string => {
    if (v.length === 0) return empty;
    if (v.length === 2 && v.every((x) => typeof x === 'number')) {
      const unit = unitOf(parent, key);
      return `${v[0]} – ${v[1]}${unit ? ` ${unit}` : ''}`;
    }
    return v.map((x) => valueText(parent, key, x)).join('、');
  };
  const conditionText = (c: Condition): string => {
    if ('all' in c) return c.all.map((x) => `（${conditionText(x)}）`).join(t('policy.cond.and'));
    if ('any' in c) return c.any.map((x) => `（${conditionText(x)}）`).join(t('policy.cond.or'));
    if ('not' in c) return t('policy.cond.not', { condition: conditionText(c.not) });
    const values = Array.isArray(c.value) ? c.value : [c.value];
    return t('policy.condition', {
      field: pickLabel(tx, policyFieldKeys(c.field), c.field),
      op: codeName('when', 'op', c.op),
      value: values.map((x) => valueText('when', 'value', x)).join('、'),
    });
  };
  const isCondition = (v: unknown): v is Condition =>
    isObj(v) && (('field' in v && 'op' in v) || Array.isArray(v.all) || Array.isArray(v.any) || isObj(v.not));
  return { empty, keyName, unitOf, codeName, valueText, arrayText, conditionText, isCondition };
}

export type PolicyWords = ReturnType<typeof policyWords>;
