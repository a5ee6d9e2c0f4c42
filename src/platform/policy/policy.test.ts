import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows, errorOf, testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { resetIpRateLimits } from '../auth/service.js';
import { activePolicy, invalidatePolicyCache, officeToday, validatePack } from './service.js';
import { addDays } from '../calendar/service.js';
import { diffDocuments } from './diff.js';
import { defaultPacks, registerDefaultSection } from './packs.js';
import { registerPolicySection } from './schema.js';
import { sql } from 'kysely';
import { z } from 'zod';

let t: TestApp;
let admin: Client;
let shuji: Client;
beforeAll(async () => {
  t = await testApp();
  admin = await t.login('admin');
  shuji = await t.login('shuji');
});
afterAll(async () => { await t?.close(); });

type Doc = Record<string, any>;
const streetDoc = async (): Promise<Doc> => (await admin.get('/api/v1/policy/packs/street')).json().document;
const newVersion = (code: string, document: unknown, c: Client = admin, extra: Record<string, unknown> = {}) =>
  c.post(`/api/v1/policy/packs/${code}/versions`, {
    document, reason: '党工委会议决定调整', decisionRef: '浆街党工委〔2026〕3号', effectiveFrom: officeToday(), ...extra,
  });
const activate = (code: string, c: Client = admin) => c.post('/api/v1/policy/active', { code, reason: '切换制度' });
const login = (username: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
const versionCount = () => countRows(t.db, 'policy_versions');

describe('shipped packs', () => {
  it('street (active) and bureau exist, version 1 each; any policy:read holder may list them', async () => {
    const res = await shuji.get('/api/v1/policy/packs');
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([
      expect.objectContaining({ code: 'bureau', active: false, currentVersion: 1 }),
      expect.objectContaining({ code: 'street', active: true, currentVersion: 1 }),
    ]);
    const active = await activePolicy(t.db);
    expect(active).toMatchObject({ packCode: 'street', version: 1 });
  });

  it('GET /policy/packs/street returns the document with the default numbers', async () => {
    const res = await shuji.get('/api/v1/policy/packs/street');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ code: 'street', active: true, currentVersion: 1 });
    expect(body.document.security).toEqual({
      password: { minLength: 8, minClasses: 3 },
      lockout: { maxFailures: 5, windowMinutes: 15, lockMinutes: 15 },
      session: { idleTimeoutMinutes: 30, bearerTokenHours: 12 },
      loginRateLimitPerMinute: 60,
    });
    expect(body.document.audit.retentionDays).toBe(180);
    expect(body.document.grid.regular).toEqual({ maxMigrantShare: 0.4, maxRentalShare: 0.3, combine: 'or' });
    expect(validatePack(body.document).ok).toBe(true);
    const bureau = (await shuji.get('/api/v1/policy/packs/bureau')).json();
    expect(bureau).toMatchObject({ code: 'bureau', active: false, currentVersion: 1 });
    expect(bureau.document.meta.sources).toEqual(['004']);
    expect((await shuji.get('/api/v1/policy/packs/nope')).statusCode).toBe(404);
  });

  it('version 1 is listed with its history fields', async () => {
    const res = await shuji.get('/api/v1/policy/packs/street/versions');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(res.json().items[0]).toMatchObject({ version: 1, author: null, effectiveFrom: '2000-01-01' });
    expect((await shuji.get('/api/v1/policy/packs/street/versions/1')).json()).toMatchObject({ version: 1, diff: [] });
    expect((await shuji.get('/api/v1/policy/packs/street/versions/9')).statusCode).toBe(404);
  });

  it('policy:read is needed to read, policy:manage to write', async () => {
    // The audit admin and the police liaison hold neither.
    const auditor = await t.login('auditor');
    expect((await auditor.get('/api/v1/policy/packs')).statusCode).toBe(403);
    expect((await auditor.get('/api/v1/policy/packs/street')).statusCode).toBe(403);
    const before = await versionCount();
    const doc = await streetDoc();
    doc.audit.retentionDays = 365;
    const res = await newVersion('street', doc, shuji);
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('FORBIDDEN');
    const act = await activate('bureau', shuji);
    expect(act.statusCode).toBe(403);
    expect(await versionCount()).toBe(before);
    expect((await shuji.get('/api/v1/policy/packs')).json().items.find((p: { code: string }) => p.code === 'street').active).toBe(true);
  });
});

describe('the pack schema for the form (GET /api/v1/policy/schema)', () => {
  type Js = Record<string, any>;
  const schema = async (): Promise<Js> => (await shuji.get('/api/v1/policy/schema')).json();

  it('needs policy:read, like the pack itself: the audit admin and an anonymous caller are refused', async () => {
    expect((await shuji.get('/api/v1/policy/schema')).statusCode).toBe(200);
    const auditor = await t.login('auditor');
    const denied = await auditor.get('/api/v1/policy/schema');
    expect(denied.statusCode).toBe(403);
    expect(errorOf(denied).code).toBe('FORBIDDEN');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/policy/schema' })).statusCode).toBe(401);
  });

  it('holds every section, platform and module, with the bounds, integers, enums and required keys the server checks on save', async () => {
    const s = await schema();
    expect(s).toMatchObject({ type: 'object', additionalProperties: false });
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['meta', 'security', 'audit', 'files', 'grid', 'population', 'leave']));
    expect(s.required).toEqual(expect.arrayContaining(['security', 'population', 'leave']));
    // Numbers: integer or number, with their range.
    expect(s.properties.security.properties.session.properties.idleTimeoutMinutes).toMatchObject({ type: 'integer', exclusiveMinimum: 0, maximum: 30 });
    expect(s.properties.security.properties.password.properties.minLength).toMatchObject({ type: 'integer', minimum: 8, maximum: 64 });
    expect(s.properties.audit.properties.retentionDays).toMatchObject({ type: 'integer', minimum: 180 });
    expect(s.properties.grid.properties.regular.properties.maxMigrantShare).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
    expect(s.properties.grid.properties.regular.properties.combine).toMatchObject({ enum: ['or', 'and'] });
    // A module's section (population), nested objects and enums.
    const pop = s.properties.population;
    expect(pop.required).toEqual(expect.arrayContaining(['reviewDeadlineHours', 'patrolIntervalDays', 'reward']));
    expect(pop.properties.reviewDeadlineHours).toMatchObject({ type: 'integer', minimum: 1, maximum: 720 });
    expect(pop.properties.patrolIntervalDays.properties.grid).toMatchObject({ type: 'integer', minimum: 1, maximum: 366 });
    expect(pop.properties.reward.properties.rankedLevel.enum).toEqual(['grid_worker', 'community', 'street']);
    // Leave: a record of types, an array of tiers with bounds, the approval chain with its steps.
    const leave = s.properties.leave.properties;
    expect(leave.types).toMatchObject({ type: 'object', additionalProperties: { type: 'object', required: ['name', 'unit'] } });
    expect(leave.types.additionalProperties.properties.fixedDays).toMatchObject({ type: 'integer', minimum: 1, maximum: 365 });
    expect(leave.types.additionalProperties.properties.balance).toMatchObject({ type: 'boolean' });
    expect(leave.annualTiers).toMatchObject({ type: 'array', minItems: 1, maxItems: 10, items: { type: 'object', required: ['minYears', 'days'] } });
    expect(leave.annualTiers.items.properties.days).toMatchObject({ type: 'integer', minimum: 0, maximum: 60 });
    const step = leave.chain.properties.steps.items;
    expect(step.properties.dueWorkdays).toMatchObject({ type: 'integer', minimum: 1, maximum: 60 });
    expect(step.properties.timeout.enum).toEqual(['remind', 'escalate', 'auto_pass']);
    // Recursive parts (approver fallbacks, nested conditions) are shared definitions.
    const approver = s.$defs[step.properties.approver.$ref.replace('#/$defs/', '')];
    expect(approver.oneOf.map((o: Js) => o.properties.type.const)).toEqual(expect.arrayContaining(['section_head', 'main_leader', 'external']));
  });
});

describe('diff', () => {
  it('lists one entry per changed leaf path, with before and after', () => {
    const a = { x: { y: 1, z: [1, 2] }, k: 'a' };
    expect(diffDocuments(a, structuredClone(a))).toEqual([]);
    expect(diffDocuments(a, { x: { y: 2, z: [1, 3] }, k: 'a' })).toEqual([
      { path: 'x.y', before: 1, after: 2 },
      { path: 'x.z[1]', before: 2, after: 3 },
    ]);
    expect(diffDocuments(a, { x: { y: 1, z: [1, 2, 3] }, k: 'a', n: true })).toEqual([
      { path: 'n', before: null, after: true },
      { path: 'x.z', before: [1, 2], after: [1, 2, 3] },
    ]);
  });
});

describe('editing a pack', () => {
  it('invalid edits → 422 POLICY_INVALID naming each bad path; nothing saved', async () => {
    const before = await versionCount();
    const auditBefore = await countRows(t.db, 'audit_events');
    const cases: [string, (d: Doc) => void, string[]][] = [
      ['password too short', (d) => { d.security.password.minLength = 4; }, ['security.password.minLength']],
      ['share above 1', (d) => { d.grid.regular.maxMigrantShare = 1.5; }, ['grid.regular.maxMigrantShare']],
      ['two errors at once', (d) => { d.security.password.minLength = 4; d.grid.regular.maxMigrantShare = 1.5; },
        ['security.password.minLength', 'grid.regular.maxMigrantShare']],
      ['unknown section', (d) => { d.bogus = { a: 1 }; }, ['bogus']],
      ['unknown field in a section', (d) => { d.security.lockout.extra = 1; }, ['security.lockout.extra']],
      ['missing section', (d) => { delete d.grid; }, ['grid']],
      ['wrong type', (d) => { d.security.lockout.maxFailures = '5'; }, ['security.lockout.maxFailures']],
      ['retention below 180 days', (d) => { d.audit.retentionDays = 90; }, ['audit.retentionDays']],
      ['idle timeout above 30', (d) => { d.security.session.idleTimeoutMinutes = 60; }, ['security.session.idleTimeoutMinutes']],
      ['tuple element', (d) => { d.grid.sizeHint.rentals = [200, -1]; }, ['grid.sizeHint.rentals[1]']],
    ];
    for (const [label, edit, paths] of cases) {
      const doc = await streetDoc();
      edit(doc);
      const res = await newVersion('street', doc);
      expect(res.statusCode, label).toBe(422);
      const err = errorOf(res);
      expect(err.code, label).toBe('POLICY_INVALID');
      expect(err.details.map((d) => d.path).sort(), label).toEqual([...paths].sort());
      for (const d of err.details) expect(d.message.length, label).toBeGreaterThan(0);
    }
    expect(await versionCount()).toBe(before);
    expect(await countRows(t.db, 'audit_events')).toBe(auditBefore);
    expect((await admin.get('/api/v1/policy/packs/street')).json().currentVersion).toBe(1);
  });

  it('an identical document → 422 POLICY_UNCHANGED, nothing saved', async () => {
    const before = await versionCount();
    const res = await newVersion('street', await streetDoc());
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('POLICY_UNCHANGED');
    expect(await versionCount()).toBe(before);
  });

  it('a malformed request (no reason, bad date, unknown pack) is refused and saves nothing', async () => {
    const before = await versionCount();
    const doc = await streetDoc();
    doc.audit.retentionDays = 200;
    expect((await admin.post('/api/v1/policy/packs/street/versions', { document: doc, decisionRef: 'x', effectiveFrom: '2026-12-01' })).statusCode).toBe(400);
    expect((await newVersion('street', doc, admin, { effectiveFrom: '2026-13-01' })).statusCode).toBe(400);
    expect((await newVersion('street', doc, admin, { reason: '' })).statusCode).toBe(400);
    expect((await newVersion('street', 'not an object')).statusCode).toBe(400);
    expect((await newVersion('nope', doc)).statusCode).toBe(404);
    expect(await versionCount()).toBe(before);
  });

  it('an edit creates version 2 with author, reason, decision, effective date and the diff of exactly the changed paths', async () => {
    const doc = await streetDoc();
    doc.security.lockout.maxFailures = 3;
    doc.grid.sizeHint.rentals = [180, 250];
    const res = await newVersion('street', doc);
    expect(res.statusCode).toBe(201);
    const v = res.json();
    const adminId = (await admin.get('/api/v1/auth/me')).json().user.id;
    expect(v).toMatchObject({
      version: 2, author: adminId, authorName: expect.any(String), reason: '党工委会议决定调整',
      decisionRef: '浆街党工委〔2026〕3号', effectiveFrom: officeToday(),
    });
    expect(v.diff).toEqual([
      { path: 'grid.sizeHint.rentals[0]', before: 200, after: 180 },
      { path: 'security.lockout.maxFailures', before: 5, after: 3 },
    ]);
    expect(v.document.security.lockout.maxFailures).toBe(3);

    // The same version, read back.
    expect((await shuji.get('/api/v1/policy/packs/street/versions/2')).json()).toMatchObject({ version: 2, diff: v.diff, author: adminId });
    const list = (await shuji.get('/api/v1/policy/packs/street/versions')).json();
    expect(list.total).toBe(2);
    expect(list.items.map((i: { version: number }) => i.version)).toEqual([2, 1]);
    // Version 1 is kept unchanged.
    expect((await shuji.get('/api/v1/policy/packs/street/versions/1')).json().document.security.lockout.maxFailures).toBe(5);
    expect((await shuji.get('/api/v1/policy/packs/street')).json()).toMatchObject({ currentVersion: 2 });

    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'policy.version_create').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: adminId, entity: 'policy_pack', entity_id: 'street' });
    expect(JSON.parse(audit[0]!.summary)).toMatchObject({ version: 2, changedPaths: ['grid.sizeHint.rentals[0]', 'security.lockout.maxFailures'] });

    invalidatePolicyCache();
    expect(await activePolicy(t.db)).toMatchObject({ packCode: 'street', version: 2 });
  });

  it('the edited number changes behaviour without code: with maxFailures 3 the 4th attempt after 3 failures is 423', async () => {
    invalidatePolicyCache();
    resetIpRateLimits();
    for (let i = 1; i <= 3; i++) expect((await login('liuguan', `bad-${i}`)).statusCode).toBe(401);
    const locked = await login('liuguan', 'Jiedao@2026');
    expect(locked.statusCode).toBe(423);
    expect(errorOf(locked).code).toBe('ACCOUNT_LOCKED');
  });
});

describe('switching the active pack', () => {
  it('is audited (policy.activate with from/to) and changes behaviour: the bureau pack still allows 5 failures', async () => {
    const res = await activate('bureau');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ code: 'bureau', active: true });
    const packs = (await shuji.get('/api/v1/policy/packs')).json().items;
    expect(packs.filter((p: { active: boolean }) => p.active).map((p: { code: string }) => p.code)).toEqual(['bureau']);

    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'policy.activate').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entity: 'policy_pack', entity_id: 'bureau' });
    expect(JSON.parse(audit[0]!.summary)).toMatchObject({ from: 'street', to: 'bureau', reason: '切换制度' });

    invalidatePolicyCache();
    expect(await activePolicy(t.db)).toMatchObject({ packCode: 'bureau', version: 1 });
    resetIpRateLimits();
    for (let i = 1; i <= 3; i++) expect((await login('caizheng', `bad-${i}`)).statusCode).toBe(401);
    expect((await login('caizheng', 'Jiedao@2026')).statusCode).toBe(200);
  });

  it('switching to the pack already active → 409 POLICY_ALREADY_ACTIVE; an unknown pack → 404; nothing recorded', async () => {
    const res = await activate('bureau');
    expect(res.statusCode).toBe(409);
    expect(errorOf(res).code).toBe('POLICY_ALREADY_ACTIVE');
    expect((await activate('nope')).statusCode).toBe(404);
    const audit = await t.db.selectFrom('audit_events').select('action').where('action', '=', 'policy.activate').execute();
    expect(audit).toHaveLength(1);
  });

  it('switching back to street restores its edited rules (maxFailures 3)', async () => {
    expect((await activate('street')).statusCode).toBe(200);
    const audit = await t.db.selectFrom('audit_events').selectAll().where('action', '=', 'policy.activate').orderBy('seq').execute();
    expect(JSON.parse(audit.at(-1)!.summary)).toMatchObject({ from: 'bureau', to: 'street' });
    invalidatePolicyCache();
    expect(await activePolicy(t.db)).toMatchObject({ packCode: 'street', version: 2 });
    resetIpRateLimits();
    for (let i = 1; i <= 3; i++) expect((await login('fenguan1', `bad-${i}`)).statusCode).toBe(401);
    expect((await login('fenguan1', 'Jiedao@2026')).statusCode).toBe(423);
  });

  it('the shipped defaults in code are untouched by edits to stored versions', () => {
    expect(defaultPacks().street!.security.lockout.maxFailures).toBe(5);
  });
});

describe('effective dates', () => {
  it('a version applies from its effective date: one effective tomorrow is pending and changes nothing today', async () => {
    await activate('bureau').catch(() => undefined);
    const doc = (await admin.get('/api/v1/policy/packs/bureau')).json().document as Doc;
    const before = (await admin.get('/api/v1/policy/packs/bureau')).json();
    doc.security.lockout.maxFailures = 2;
    const tomorrow = addDays(officeToday(), 1);
    const res = await newVersion('bureau', doc, admin, { effectiveFrom: tomorrow });
    expect(res.statusCode).toBe(201);
    invalidatePolicyCache();
    const pack = (await admin.get('/api/v1/policy/packs/bureau')).json();
    expect(pack.currentVersion).toBe(before.currentVersion);
    expect(pack.latestVersion).toBe(res.json().version);
    expect(pack.pendingEffectiveFrom).toBe(tomorrow);
    expect(pack.document.security.lockout.maxFailures).not.toBe(2);
    const active = await activePolicy(t.db);
    expect(active.packCode).toBe('bureau');
    expect(active.version).toBe(before.currentVersion);
    expect(active.pack.security.lockout.maxFailures).not.toBe(2);
  });

  it('a new version may not take effect before the latest one: a pending version is never silently cancelled (422 INVALID_EFFECTIVE_DATE)', async () => {
    const pendingDoc = (await admin.get('/api/v1/policy/packs/street')).json().document as Doc;
    pendingDoc.audit.retentionDays = 400;
    const pending = await newVersion('street', pendingDoc, admin, { effectiveFrom: '2099-01-01' });
    expect(pending.statusCode).toBe(201);
    const pendingVersion = pending.json().version as number;
    const before = await versionCount();
    const auditBefore = await countRows(t.db, 'audit_events');

    // Saved later but dated sooner — today, or any day before 2099-01-01: it would overtake the pending version.
    for (const effectiveFrom of [officeToday(), addDays(officeToday(), 1), '2098-12-31', '2020-01-01']) {
      const doc = (await admin.get('/api/v1/policy/packs/street')).json().document as Doc;
      doc.security.lockout.maxFailures = 4;
      const res = await newVersion('street', doc, admin, { effectiveFrom });
      expect(res.statusCode, effectiveFrom).toBe(422);
      const err = errorOf(res);
      expect(err.code).toBe('INVALID_EFFECTIVE_DATE');
      expect(err.details.map((d) => d.path)).toEqual(['effectiveFrom']);
      expect(err.message).toContain('2099-01-01');
    }
    expect(await versionCount()).toBe(before);
    expect(await countRows(t.db, 'audit_events')).toBe(auditBefore);
    const pack = (await admin.get('/api/v1/policy/packs/street')).json();
    expect(pack).toMatchObject({ latestVersion: pendingVersion, pendingEffectiveFrom: '2099-01-01' });

    // On or after the pending version's date it is accepted (and follows it).
    const later = (await admin.get(`/api/v1/policy/packs/street/versions/${pendingVersion}`)).json().document as Doc;
    const was = later.security.lockout.maxFailures;
    later.security.lockout.maxFailures = was === 4 ? 6 : 4;
    const ok = await newVersion('street', later, admin, { effectiveFrom: '2099-07-01' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ version: pendingVersion + 1, effectiveFrom: '2099-07-01' });
    expect(ok.json().diff).toEqual([{ path: 'security.lockout.maxFailures', before: was, after: later.security.lockout.maxFailures }]);
  });
});


describe('stored packs older than the code', () => {
  it('a field a module added later (schema default) is filled in the active pack; the stored fields keep their values', async () => {
    registerPolicySection('zzLaterSection', z.strictObject({ kept: z.number(), addedLater: z.number().default(7) }));
    registerDefaultSection('zzLaterSection', { street: { kept: 1, addedLater: 7 }, bureau: { kept: 1, addedLater: 7 } });
    // The stored packs know the section, but not its newer field.
    await t.db.updateTable('policy_versions').set({ document: sql`jsonb_set(document, '{zzLaterSection}', '{"kept": 2}'::jsonb)` }).execute();
    invalidatePolicyCache();
    const pack = (await activePolicy(t.db)).pack as Doc;
    expect(pack.zzLaterSection).toEqual({ kept: 2, addedLater: 7 });
    // Without the schema pass the field would be missing (undefined) here.
    expect(Object.keys(pack.zzLaterSection).sort()).toEqual(['addedLater', 'kept']);
  });
});
