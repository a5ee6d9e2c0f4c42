import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../../test/helpers/app.js';
import { rulesEnv, type RulesEnv } from '../../../test/helpers/approvals.js';
import { officeToday } from '../../platform/time.js';

/**
 * Leave (请假/销假) rules of PRODUCT.md M4, one test per rule: the approval tiers of both packs
 * (street 000:284, bureau 004:L191), the pinned pack of a running request, days on the office
 * calendar (National Day 2026 with its 调休 make-up workdays), half days, balances as a ledger.
 */
let e: RulesEnv;
beforeAll(async () => { e = await rulesEnv(); }, 120_000);
afterAll(async () => { await e?.close(); });

const STREET_L1 = 'leader_in_charge';

describe('street pack leave chain (000:284)', () => {
  it('staff, 1 day: the section head alone, the leader in charge informed (cc)', async () => {
    const body = e.leave('personal', 1);
    expect(await e.previewSteps('keyuan1', body)).toEqual([['section_head', ['dangzhengban']]]);
    const preview = (await (await e.as('keyuan1')).post('/api/v1/leave/requests/preview', body)).json();
    expect(preview.cc.map((c: { id: string }) => e.username(c.id))).toEqual(['fenguan2']);
  });

  it('staff, half a day: counts 0.5 and goes to the section head alone', async () => {
    const body = e.leave('personal', 1, { halfDay: 'am' });
    const preview = (await (await e.as('keyuan1')).post('/api/v1/leave/requests/preview', body)).json();
    expect(preview.days).toBe(0.5);
    expect(await e.previewSteps('keyuan1', body)).toEqual([['section_head', ['dangzhengban']]]);
  });

  it('staff, ≥ 2 days: section head, then the leader in charge (fenguan1 acting for the away fenguan2); nobody cc', async () => {
    const body = e.leave('personal', 2);
    expect(await e.previewSteps('keyuan1', body)).toEqual([['section_head', ['dangzhengban']], [STREET_L1, ['fenguan1']]]);
    const preview = (await (await e.as('keyuan1')).post('/api/v1/leave/requests/preview', body)).json();
    expect(preview.cc).toEqual([]);
  });

  it('staff, ≥ 3 days: section head, leader in charge, then the director', async () => {
    expect(await e.previewSteps('keyuan1', e.leave('personal', 3))).toEqual([['section_head', ['dangzhengban']], [STREET_L1, ['fenguan1']], ['director', ['zhuren']]]);
    expect(await e.previewSteps('keyuan1', e.leave('personal', 10))).toEqual([['section_head', ['dangzhengban']], [STREET_L1, ['fenguan1']], ['director', ['zhuren']]]);
  });

  it('staff of a unit without a section head (the hall): the section-head step falls back to the leader in charge', async () => {
    expect(await e.previewSteps('chuangkou1', e.leave('personal', 1))).toEqual([['section_head', ['fenguan1']]]);
  });

  it('section head, 1 day: the leader in charge alone (never their own section-head step)', async () => {
    expect(await e.previewSteps('dangzhengban', e.leave('personal', 1))).toEqual([[STREET_L1, ['fenguan1']]]);
  });

  it('section head, ≥ 2 days: the leader in charge, then the director', async () => {
    expect(await e.previewSteps('dangzhengban', e.leave('personal', 2))).toEqual([[STREET_L1, ['fenguan1']], ['director', ['zhuren']]]);
    expect(await e.previewSteps('liuguan', e.leave('personal', 2))).toEqual([[STREET_L1, ['fenguan1']], ['director', ['zhuren']]]);
  });

  it('deputy (leader in charge), any length: the director', async () => {
    expect(await e.previewSteps('fenguan1', e.leave('personal', 1))).toEqual([['director', ['zhuren']]]);
    expect(await e.previewSteps('fenguan2', e.leave('personal', 5))).toEqual([['director', ['zhuren']]]);
  });

  it('director / secretary: approved by the district outside the system — recorded, approved at submission', async () => {
    for (const u of ['zhuren', 'shuji']) {
      const body = e.leave('personal', 2);
      const preview = (await (await e.as(u)).post('/api/v1/leave/requests/preview', body)).json();
      expect(preview.steps).toEqual([expect.objectContaining({ approverPost: 'external', external: '区委、区政府', approvers: [] })]);
      const r = await e.submit(u, body);
      expect(r.body.status).toBe('approved');
      const d = await e.detail(r.approvalId);
      expect(d.status).toBe('approved');
      expect(d.timeline.map((x) => x.action)).toEqual(['submit', 'external', 'finish_approved']);
    }
  });

  it('a submitted request materialises exactly the planned steps, the first open with its approver task', async () => {
    const r = await e.submit('keyuan1', e.leave('personal', 3));
    expect(r.body.approval.policyPack).toBe('street');
    expect(r.body.approval.steps.map((s: { approverPost: string; status: string }) => `${s.approverPost}:${s.status}`)).toEqual(['section_head:open', 'leader_in_charge:waiting', 'director:waiting']);
    expect(await e.openTasks(r.approvalId)).toEqual(['section_head:dangzhengban']);
  });
});

describe('bureau pack leave chain (004:L191)', () => {
  beforeAll(async () => { expect((await e.activate('bureau')).statusCode).toBe(200); });
  afterAll(async () => { expect((await e.activate('street')).statusCode).toBe(200); });
  const MAIN = ['shuji', 'zhuren'];

  it('staff, 1 day: the section head alone', async () => {
    expect(await e.previewSteps('keyuan1', e.leave('personal', 1))).toEqual([['section_head', ['dangzhengban']]]);
  });

  it('staff, > 1 day: the section head, then a bureau leader (none held: falls back to either main leader)', async () => {
    expect(await e.previewSteps('keyuan1', e.leave('personal', 2))).toEqual([['section_head', ['dangzhengban']], ['bureau_leader', MAIN]]);
    expect(await e.previewSteps('keyuan1', e.leave('personal', 6))).toEqual([['section_head', ['dangzhengban']], ['bureau_leader', MAIN]]);
  });

  it('section head, 1 day: the leader in charge alone', async () => {
    expect(await e.previewSteps('dangzhengban', e.leave('personal', 1))).toEqual([['leader_in_charge', ['fenguan1']]]);
  });

  it('section head, > 1 day: the leader in charge, then a bureau leader', async () => {
    expect(await e.previewSteps('dangzhengban', e.leave('personal', 2))).toEqual([['leader_in_charge', ['fenguan1']], ['bureau_leader', MAIN]]);
  });

  it('leader in charge: the main leaders (either)', async () => {
    expect(await e.previewSteps('fenguan1', e.leave('personal', 1))).toEqual([['main_leader', MAIN]]);
  });

  it('main leader: 区委/区政府 outside the system', async () => {
    const preview = (await (await e.as('shuji')).post('/api/v1/leave/requests/preview', e.leave('personal', 1))).json();
    expect(preview.policyPack).toBe('bureau');
    expect(preview.steps.map((s: { approverPost: string; external: string }) => [s.approverPost, s.external])).toEqual([['external', '区委、区政府']]);
  });
});

describe('pack switch and pinned versions', () => {
  it('switching the pack changes the chain of a new request; a running request keeps its pinned pack and version', async () => {
    const running = await e.submit('keyuan1', e.leave('personal', 3));
    expect(running.body.approval).toMatchObject({ policyPack: 'street' });
    const pinnedVersion = running.body.approval.policyVersion as number;
    expect((await e.activate('bureau')).statusCode).toBe(200);
    try {
      const fresh = await e.submit('keyuan1', e.leave('personal', 3));
      expect(fresh.body.approval.policyPack).toBe('bureau');
      expect(fresh.body.approval.steps.map((s: { approverPost: string }) => s.approverPost)).toEqual(['section_head', 'bureau_leader']);
      // The running one still follows the street chain: after its section head, the leader in charge, then the director.
      expect((await e.decide('dangzhengban', running.approvalId, 'approve')).statusCode).toBe(200);
      expect(await e.openTasks(running.approvalId)).toEqual(['leader_in_charge:fenguan1']);
      expect((await e.decide('fenguan1', running.approvalId, 'approve')).statusCode).toBe(200);
      expect(await e.openTasks(running.approvalId)).toEqual(['main_leader:zhuren']);
      const d = await e.detail(running.approvalId);
      expect([d.policyPack, d.policyVersion]).toEqual(['street', pinnedVersion]);
    } finally {
      expect((await e.activate('street')).statusCode).toBe(200);
    }
  });

  it('editing the chain (a new pack version) applies to new requests only; the request records the version it used', async () => {
    const running = await e.submit('keyuan1', e.leave('personal', 1));
    const chain = await e.leaveChainOf('street');
    const edited = { ...chain, steps: chain.steps.map((s) => (s.key === 'section_head' ? { ...s, approver: { type: 'main_leader' as const, which: 'party_secretary' as const } } : s)) };
    await e.withLeaveChain('street', edited, async () => {
      const fresh = await e.submit('keyuan1', e.leave('personal', 1));
      expect(fresh.body.approval.policyVersion).toBe(running.body.approval.policyVersion + 1);
      expect(await e.openTasks(fresh.approvalId)).toEqual(['section_head:shuji']);
      expect(await e.openTasks(running.approvalId)).toEqual(['section_head:dangzhengban']);
    });
  });
});

describe('leave days on the office calendar', () => {
  const preview = async (u: string, body: object) => (await e.as(u)).post('/api/v1/leave/requests/preview', { reason: '日历', ...body });

  it('a request spanning National Day 2026 (1–7 Oct holiday, Sat 10 Oct a 调休 workday) counts working days only', async () => {
    // Mon 28 Sep – Sun 11 Oct: 28, 29, 30 Sep, 8, 9 Oct and the make-up Saturday 10 Oct.
    const res = await preview('liuguan', { type: 'personal', startDate: '2026-09-28', endDate: '2026-10-11' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ days: 6, unit: 'workday', provisional: false });
    const stored = await e.submit('liuguan', { type: 'personal', startDate: '2026-09-28', endDate: '2026-10-11', reason: '国庆前后' });
    expect(stored.body.days).toBe(6);
  });

  it('the make-up Sunday before National Day (20 Sep 2026) is a working day; a plain weekend is not', async () => {
    expect((await preview('caizheng', { type: 'personal', startDate: '2026-09-19', endDate: '2026-09-20' })).json().days).toBe(1);
    expect(errorOf(await preview('caizheng', { type: 'personal', startDate: '2026-09-12', endDate: '2026-09-13' })).code).toBe('NO_WORKDAYS');
  });

  it('leave inside the holiday alone has no working days: 422 NO_WORKDAYS', async () => {
    const res = await preview('caizheng', { type: 'personal', startDate: '2026-10-01', endDate: '2026-10-07' });
    expect(res.statusCode).toBe(422);
    expect(errorOf(res).code).toBe('NO_WORKDAYS');
  });

  it('natural-day types (maternity) count the holiday days too', async () => {
    expect((await preview('caizheng', { type: 'maternity', startDate: '2026-10-01', endDate: '2026-10-07' })).json()).toMatchObject({ days: 7, unit: 'natural' });
  });

  it('half days: 0.5 on one working day (also the make-up Saturday); not over several days, not for types without halves, not on a holiday', async () => {
    expect((await preview('caizheng', { type: 'personal', startDate: '2026-10-10', endDate: '2026-10-10', halfDay: 'pm' })).json().days).toBe(0.5);
    expect(errorOf(await preview('caizheng', { type: 'personal', startDate: '2026-10-08', endDate: '2026-10-09', halfDay: 'am' })).code).toBe('HALF_DAY_MULTI_DAY');
    expect(errorOf(await preview('caizheng', { type: 'marriage', startDate: '2026-10-08', endDate: '2026-10-08', halfDay: 'am' })).code).toBe('HALF_DAY_NOT_ALLOWED');
    expect(errorOf(await preview('caizheng', { type: 'personal', startDate: '2026-10-02', endDate: '2026-10-02', halfDay: 'am' })).code).toBe('NO_WORKDAYS');
  });
});

describe('balances (a ledger, never negative)', () => {
  // Two years ahead: a year no demo request touches, so the grant is untouched.
  const year = Number(officeToday().slice(0, 4)) + 2;
  let cursor = `${year}-03-01`;
  const annual = (workdays: number, extra: object = {}) => {
    const startDate = e.cal.addWorkdays(cursor, 1).date;
    const endDate = workdays <= 1 ? startDate : e.cal.addWorkdays(startDate, workdays - 1).date;
    cursor = endDate;
    return { type: 'annual', startDate, endDate, reason: '年休假', ...extra };
  };
  const balance = async () => {
    const b = (await (await e.as('keyuan1')).get(`/api/v1/leave/balances?year=${year}`)).json();
    return { left: b.types.find((x: { type: string }) => x.type === 'annual').left as number, ledger: b.ledger as { type: string; entry: string; days: number; note: string }[] };
  };
  const ledgerSum = (l: { type: string; days: number }[]) => l.filter((x) => x.type === 'annual').reduce((s, x) => s + x.days, 0);

  it('annual leave over the balance → 422 INSUFFICIENT_BALANCE and nothing written', async () => {
    const before = await balance();
    expect(before.left).toBeGreaterThan(0);
    const res = await (await e.as('keyuan1')).post('/api/v1/leave/requests', annual(before.left + 1));
    expect(res.statusCode).toBe(422);
    expect(errorOf(res)).toMatchObject({ code: 'INSUFFICIENT_BALANCE', details: [{ path: 'type', code: 'INSUFFICIENT_BALANCE' }] });
    expect(await balance()).toEqual(before);
  });

  it('the balance can be used exactly to zero, never below: two concurrent requests for the rest → one 201, one 422', async () => {
    const { left } = await balance();
    const c = await e.as('keyuan1');
    // Use all but half a day: whole days, then a morning if a whole day is left.
    const whole = Math.ceil(left) - 1;
    if (whole > 0) expect((await c.post('/api/v1/leave/requests', annual(whole))).statusCode).toBe(201);
    if (left - whole === 1) expect((await c.post('/api/v1/leave/requests', annual(1, { halfDay: 'am' }))).statusCode).toBe(201);
    expect((await balance()).left).toBe(0.5);
    const results = await Promise.all([c.post('/api/v1/leave/requests', annual(1, { halfDay: 'am' })), c.post('/api/v1/leave/requests', annual(1, { halfDay: 'pm' }))]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 422]);
    expect(errorOf(results.find((r) => r.statusCode === 422)!).code).toBe('INSUFFICIENT_BALANCE');
    const after = await balance();
    expect(after.left).toBe(0);
    expect(ledgerSum(after.ledger)).toBe(0);
    expect(errorOf(await c.post('/api/v1/leave/requests', annual(1, { halfDay: 'am' }))).code).toBe('INSUFFICIENT_BALANCE');
  });

  it('a refused request gives its held days back as a release entry', async () => {
    const office = await e.as('zhuren');
    expect((await office.post('/api/v1/leave/balances/adjust', { userId: e.id('keyuan1'), type: 'annual', year, days: 1, note: '测试补足' })).statusCode).toBe(200);
    const r = await e.submit('keyuan1', annual(1));
    expect((await balance()).left).toBe(0);
    expect((await e.decide('dangzhengban', r.approvalId, 'reject', { comment: '工作安排' })).statusCode).toBe(200);
    const after = await balance();
    expect(after.left).toBe(1);
    expect(after.ledger.filter((x) => x.type === 'annual').slice(-2).map((x) => [x.entry, x.days])).toEqual([['hold', -1], ['release', 1]]);
  });

  it('adjusting a balance is a ledger entry with its note (the office only); it may not drive the balance negative', async () => {
    const before = await balance();
    const office = await e.as('zhuren');
    const res = await office.post('/api/v1/leave/balances/adjust', { userId: e.id('keyuan1'), type: 'annual', year, days: 2.5, note: '上年结转' });
    expect(res.statusCode, res.body).toBe(200);
    const after = await balance();
    expect(after.left).toBe(before.left + 2.5);
    expect(after.ledger.length).toBe(before.ledger.length + 1);
    expect(after.ledger.at(-1)).toMatchObject({ type: 'annual', entry: 'adjust', days: 2.5, note: '上年结转' });
    expect(ledgerSum(after.ledger)).toBe(after.left);
    const negative = await office.post('/api/v1/leave/balances/adjust', { userId: e.id('keyuan1'), type: 'annual', year, days: -(after.left + 1), note: '扣减' });
    expect(negative.statusCode).toBe(422);
    expect(errorOf(negative).code).toBe('INSUFFICIENT_BALANCE');
    expect((await (await e.as('keyuan1')).post('/api/v1/leave/balances/adjust', { userId: e.id('keyuan1'), type: 'annual', year, days: 5, note: '自己加' })).statusCode).toBe(403);
    expect(await balance()).toEqual(after);
  });
});
