import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectAuditWrites, type AuditWrites } from './helpers/audit-writes.js';
import { collectDocumentKeys, collectPolicyKeys } from './helpers/policy-keys.js';
import { defaultPacks } from '../src/platform/policy/packs.js';
import { modules } from '../src/modules/index.js';
import { APPLICANT_REFS, STAFF_LEVELS } from '../src/platform/approvals/chain.js';
import { LEAVE_FORM_FIELDS } from '../src/modules/leave/policy.js';

/**
 * Issue 6: every code a user sees goes through i18n. The audit log's actions, entity types, summary
 * keys and the codes summaries hold — all that the server can write, read from its source — and every
 * key of the policy pack (with a unit where it holds a number) have a zh-CN name and an English one,
 * found by the same rules the pages use (web/src/modules/audit/codes.ts, web/src/modules/policy/codes.ts).
 */
type Dict = Record<string, string>;
type AuditCodes = typeof import('../web/src/modules/audit/codes.js');
type PolicyCodes = typeof import('../web/src/modules/policy/codes.js');

const root = path.resolve(import.meta.dirname, '..');
// The web app's files, loaded at run time (they are the browser build's, outside the server's tsconfig).
const load = async <T>(p: string): Promise<T> => (await import(pathToFileURL(path.join(root, p)).href)) as T;

let zh: Dict;
let en: Dict;
let audit: AuditCodes;
let policy: PolicyCodes;
let writes: AuditWrites;
beforeAll(async () => {
  zh = (await load<{ default: Dict }>('web/src/app/i18n/zh-CN.ts')).default;
  en = (await load<{ default: Dict }>('web/src/app/i18n/en.ts')).default;
  audit = await load<AuditCodes>('web/src/modules/audit/codes.ts');
  policy = await load<PolicyCodes>('web/src/modules/policy/codes.ts');
  writes = collectAuditWrites();
}, 120_000);

const CJK = /[\u3400-\u9fff]/;
/** What is missing for one code: its Chinese name (with a Chinese character in it) or its English one. */
function missing(what: string, keys: string[], code: string): string[] {
  const zhKey = keys.find((k) => zh[k] !== undefined);
  const enKey = keys.find((k) => en[k] !== undefined);
  const out: string[] = [];
  if (!zhKey || !CJK.test(zh[zhKey]!)) out.push(`${what}: no zh-CN name (${keys.join(' | ')})`);
  if (!enKey || en[enKey]!.trim() === '' || (en[enKey] === code && /[_.]/.test(code))) out.push(`${what}: no English name (${keys.join(' | ')})`);
  return out;
}

describe('audit log codes', () => {
  it('every audit write names its action and entity with literals the checker can enumerate', () => {
    expect(writes.unresolved).toEqual([]);
    expect(writes.writes.length).toBeGreaterThan(50);
  });

  it('every action the server can write has a zh-CN and an English name, and is offered in the filter', () => {
    const actions = [...new Set(writes.writes.flatMap((w) => w.actions))].sort();
    expect(actions).toEqual(expect.arrayContaining(['auth.login', 'file.download', 'population.import.start', 'record.return']));
    const problems = actions.flatMap((a) => missing(`action ${a}`, audit.actionKeys(a), a));
    const notListed = actions.filter((a) => !(audit.AUDIT_ACTIONS as readonly string[]).includes(a)).map((a) => `action ${a}: not in AUDIT_ACTIONS`);
    expect([...problems, ...notListed]).toEqual([]);
  });

  it('every entity type has a zh-CN and an English name, and is offered in the filter', () => {
    const entities = [...new Set(writes.writes.flatMap((w) => w.entities))].sort();
    const problems = entities.flatMap((e) => missing(`entity ${e}`, audit.entityKeys(e), e));
    const notListed = entities.filter((e) => !(audit.AUDIT_ENTITIES as readonly string[]).includes(e)).map((e) => `entity ${e}: not in AUDIT_ENTITIES`);
    expect([...problems, ...notListed]).toEqual([]);
  });

  it('every summary key, and every code a summary value can hold, has a zh-CN and an English name', () => {
    const problems = new Set<string>();
    for (const w of writes.writes) {
      for (const action of w.actions) {
        for (const [key, codes] of Object.entries(w.summary)) {
          for (const p of missing(`${action} summary key ${key} (${w.file}:${w.line})`, audit.summaryKeyKeys(action, key), key)) problems.add(p);
          for (const code of codes) {
            for (const p of missing(`${action} ${key}=${code} (${w.file}:${w.line})`, audit.summaryValueKeys(action, key, code), code)) problems.add(p);
          }
        }
      }
    }
    expect([...problems]).toEqual([]);
  });

  it('every background job kind (the object of a job event) has a name', () => {
    const kinds = modules.flatMap((m) => Object.keys(m.jobKinds ?? {}));
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.flatMap((k) => missing(`job kind ${k}`, audit.jobKindKeys(k), k))).toEqual([]);
  });
});

describe('policy pack keys', () => {
  it('every key of the pack schema has a zh-CN and an English name', () => {
    const keys = collectPolicyKeys();
    expect(keys.map((k) => k.key)).toEqual(expect.arrayContaining(['population', 'reviewDeadlineHours', 'leave', 'chain', 'timeout']));
    expect(keys.flatMap((k) => missing(`${k.parent || '(section)'}.${k.key}`, policy.policyKeyKeys(k.parent, k.key), k.key))).toEqual([]);
  });

  it('every key of the shipped packs has a name where the tree shows it (a fallback approver\'s type, a leave type\'s days …)', () => {
    const packs = defaultPacks();
    expect(Object.keys(packs)).toEqual(expect.arrayContaining(['street', 'bureau']));
    const problems = Object.entries(packs).flatMap(([code, doc]) => collectDocumentKeys(doc)
      .flatMap((k) => missing(`${code}: ${k.parent || '(section)'}.${k.key}`, policy.policyKeyKeys(k.parent, k.key), k.key)));
    // A chain step's code is shown too (步骤代码): named like who approves.
    const steps = Object.values(packs).flatMap((doc) => JSON.stringify(doc).match(/"key":"[a-z_]+"/g) ?? []).map((m) => m.slice(7, -1));
    expect(steps).toContain('district');
    const stepProblems = [...new Set(steps)].flatMap((k) => missing(`step code ${k}`, policy.policyValueKeys('steps', 'key', k), k));
    expect([...new Set(problems), ...stepProblems]).toEqual([]);
  });

  it('every number has its unit (天, 小时, 次 …), money and shares their own form', () => {
    const problems = collectPolicyKeys().filter((k) => k.number).flatMap((k) => {
      const unit = policy.policyUnitKeys(k.parent, k.key);
      return unit === null ? [] : missing(`unit of ${k.parent}.${k.key}`, unit, k.key);
    });
    expect(problems).toEqual([]);
  });

  it('every code an enum key holds has a name, and so has every field and level a condition may compare', () => {
    const problems = collectPolicyKeys().flatMap((k) => k.codes.flatMap((c) => missing(`${k.parent}.${k.key}=${c}`, policy.policyValueKeys(k.parent, k.key, c), c)));
    const fields = [...APPLICANT_REFS, ...LEAVE_FORM_FIELDS.map((f) => `form.${f}`)].flatMap((f) => missing(`condition field ${f}`, policy.policyFieldKeys(f), f));
    const levels = STAFF_LEVELS.flatMap((l) => missing(`staff level ${l}`, policy.policyValueKeys('when', 'value', l), l));
    expect([...problems, ...fields, ...levels]).toEqual([]);
  });
});
