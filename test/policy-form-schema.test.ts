import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/modules/index.js'; // installs the modules: their pack sections are part of the schema
import { policyPackJsonSchema } from '../src/platform/policy/schema.js';
import { validatePack } from '../src/platform/policy/service.js';
import { defaultPacks } from '../src/platform/policy/packs.js';

/**
 * Issue 11 item 11: the 制度参数 form checks each field against the pack's JSON Schema before
 * anything is sent (web/src/modules/policy/jsonSchema.ts), each problem at the path the server
 * names — and what the form refuses, the server refuses too.
 */
type FormSchema = typeof import('../web/src/modules/policy/jsonSchema.js');
let form: FormSchema;
beforeAll(async () => {
  form = (await import(pathToFileURL(path.resolve(import.meta.dirname, '../web/src/modules/policy/jsonSchema.ts')).href)) as FormSchema;
}, 120_000);

type Doc = Record<string, any>;
const street = (): Doc => defaultPacks().street as Doc;
const check = (doc: Doc) => form.validate(policyPackJsonSchema() as never, doc);

describe('the pack form checks each field against the schema', () => {
  it('the shipped packs pass', () => {
    for (const pack of Object.values(defaultPacks())) expect(check(pack as Doc)).toEqual([]);
  });

  it('a number outside its range is refused at its path, with the range in the problem (idle timeout ≤ 30 minutes)', () => {
    const doc = street();
    doc.security.session.idleTimeoutMinutes = 45;
    expect(check(doc)).toEqual([{ path: 'security.session.idleTimeoutMinutes', rule: 'range', min: 1, max: 30 }]);
    expect(validatePack(doc).ok).toBe(false);
    doc.security.session.idleTimeoutMinutes = 0;
    expect(check(doc)).toEqual([{ path: 'security.session.idleTimeoutMinutes', rule: 'range', min: 1, max: 30 }]);
  });

  it('whole numbers, required keys, enums, list lengths and record codes are checked where they are', () => {
    const doc = street();
    doc.leave.annualTiers[1].days = 7.5;
    delete doc.population.reward.topN;
    doc.grid.regular.combine = 'xor';
    doc.leave.types.Study = { name: '学习', unit: 'workday' };
    doc.leave.chain.steps[0].approver = { type: 'main_leader', which: 'nobody' };
    expect(check(doc)).toEqual(expect.arrayContaining([
      { path: 'leave.annualTiers[1].days', rule: 'integer' },
      { path: 'population.reward.topN', rule: 'required' },
      { path: 'grid.regular.combine', rule: 'enum' },
      { path: 'leave.types.Study', rule: 'pattern' },
      { path: 'leave.chain.steps[0].approver.which', rule: 'enum' },
    ]));
    const empty = street();
    empty.leave.annualTiers = [];
    expect(check(empty)).toEqual([{ path: 'leave.annualTiers', rule: 'minItems', limit: 1 }]);
    expect(validatePack(empty).ok).toBe(false);
  });
});
