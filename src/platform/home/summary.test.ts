import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type Client, type TestApp } from '../../../test/helpers/app.js';
import { nextResidentId } from '../../../test/helpers/idnumbers.js';
import { officeToday } from '../time.js';

/**
 * GET /api/v1/home/summary — the 工作台's cards in one request, through the demo accounts: each
 * module gives a card only to the users its work concerns, and counts in the scope of the card's
 * permission, the same numbers as the page the card links to.
 */
let t: TestApp;
const as: Record<string, Client> = {};
const USERS = ['admin', 'chuangkou1', 'keyuan1', 'wangge-sh-1', 'zhan-sh', 'liuguan', 'fenguan1', 'dangzhengban'] as const;

interface Card { key: string; kind: 'todo' | 'figure'; count: number; overdue?: number; oldest?: { id: string; title: string; at: string } | null; figures?: Record<string, number> }
const summary = async (u: string): Promise<Card[]> => {
  const res = await as[u]!.get('/api/v1/home/summary');
  expect(res.statusCode, res.body).toBe(200);
  return res.json().cards;
};
const card = async (u: string, key: string) => (await summary(u)).find((c) => c.key === key);

beforeAll(async () => {
  t = await testApp();
  for (const u of USERS) as[u] = await t.login(u);
}, 120_000);
afterAll(async () => { await t?.close(); });

describe('home summary', () => {
  it('needs a session', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/home/summary' })).statusCode).toBe(401);
  });

  it('takes no query parameters (400 VALIDATION_FAILED)', async () => {
    const res = await as.keyuan1!.get('/api/v1/home/summary?userId=x');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('cards follow permissions: the system admin has none, a window clerk only approvals and own leave, never population work', async () => {
    expect(await summary('admin')).toEqual([]);
    const keys = (await summary('chuangkou1')).map((c) => c.key);
    expect(keys).toContain('approvals.todo');
    expect(keys).toContain('leave.balance');
    expect(keys.filter((k) => k.startsWith('population.'))).toEqual([]);
  });

  it('to-dos come before figures', async () => {
    const kinds = (await summary('wangge-sh-1')).map((c) => c.kind);
    expect(kinds).toEqual([...kinds].sort((a, b) => (a === b ? 0 : a === 'todo' ? -1 : 1)));
  });

  it('待审核 counts the reported records in the reviewer\'s scope, as the review queue does (station < 流管办)', async () => {
    for (const u of ['zhan-sh', 'liuguan']) {
      const queue = (await as[u]!.get('/api/v1/population/records?status=reported&pageSize=1')).json();
      const c = await card(u, 'population.review');
      expect(c?.count, u).toBe(queue.total);
      expect(c?.oldest?.id, u).toBe(queue.items[0]?.id);
    }
    expect((await card('zhan-sh', 'population.review'))!.count).toBeLessThan((await card('liuguan', 'population.review'))!.count);
    expect(await card('wangge-sh-1', 'population.review')).toBeUndefined();
  });

  it('待录入 counts what grid workers collected and the station has not entered, as the 待录入 tab does; a grid worker has no such card', async () => {
    const wg = as['wangge-sh-1']!;
    const grid = (await t.db.selectFrom('org_units').select('id').where('name', '=', '蜀汉街社区第1网格').executeTakeFirstOrThrow()).id;
    const before = (await card('zhan-sh', 'population.toEnter'))!.count;
    const queue = async () => (await as['zhan-sh']!.get('/api/v1/population/records?status=collected&pageSize=1')).json().total;
    expect(before).toBe(await queue());
    const reg = await wg.post('/api/v1/population/persons', { name: '欧阳未录', gridId: grid, arrivedOn: officeToday(), idNumber: nextResidentId() });
    expect(reg.statusCode, reg.body).toBe(201);
    expect((await card('zhan-sh', 'population.toEnter'))!.count).toBe(before + 1);
    expect(await queue()).toBe(before + 1);
    expect(await card('wangge-sh-1', 'population.toEnter')).toBeUndefined();
  });

  it('a grid worker\'s patrols due are those of 我的网格, with the overdue ones', async () => {
    const due = (await as['wangge-sh-1']!.get('/api/v1/population/patrols/due?level=grid')).json();
    const c = await card('wangge-sh-1', 'population.gridPatrols');
    expect(c).toMatchObject({ kind: 'todo', count: due.byLevel.grid.due, overdue: due.byLevel.grid.overdue });
    expect(c!.count).toBeGreaterThan(0);
  });

  it('待我审批 is the inbox\'s count, with the oldest waiting approval', async () => {
    const counts = (await as.fenguan1!.get('/api/v1/approvals/inbox/counts')).json();
    const todo = (await as.fenguan1!.get('/api/v1/approvals/inbox?box=todo&pageSize=200')).json();
    const c = await card('fenguan1', 'approvals.todo');
    expect(c).toMatchObject({ count: counts.todo, overdue: counts.overdue });
    expect(c!.count).toBeGreaterThan(0);
    const oldest = [...todo.items].sort((a: { createdAt: string }, b: { createdAt: string }) => a.createdAt.localeCompare(b.createdAt))[0];
    expect(c!.oldest).toMatchObject({ id: oldest.approvalId, title: oldest.title });
  });

  it('待销假 counts one\'s own ended, unclosed leave; the balance is the annual leave left', async () => {
    const mine = (await as.dangzhengban!.get('/api/v1/leave/requests?pageSize=200')).json().items.filter((l: { unclosed: boolean }) => l.unclosed);
    expect(mine.length).toBeGreaterThan(0);
    expect((await card('dangzhengban', 'leave.toClose'))?.count).toBe(mine.length);
    const balance = (await as.dangzhengban!.get(`/api/v1/leave/balances?year=${(await summaryAsOf('dangzhengban')).slice(0, 4)}`)).json();
    expect((await card('dangzhengban', 'leave.balance'))!.count).toBe(balance.types.find((x: { type: string }) => x.type === 'annual').left);
  });
});

describe('org units above one\'s own (the street over a window clerk)', () => {
  it('say inScope: false, with no figures and no staff; one\'s own unit says inScope: true', async () => {
    const street = (await t.db.selectFrom('org_units').select('id').where('kind', '=', 'street').executeTakeFirstOrThrow()).id;
    const hall = (await t.db.selectFrom('org_units').select('id').where('kind', '=', 'service_hall').executeTakeFirstOrThrow()).id;
    const up = (await as.chuangkou1!.get(`/api/v1/org/units/${street}`)).json();
    expect(up).toMatchObject({ inScope: false, survey: null, staff: [] });
    expect((await as.chuangkou1!.get(`/api/v1/org/units/${hall}`)).json()).toMatchObject({ inScope: true });
    expect((await as.fenguan1!.get(`/api/v1/org/units/${street}`)).json().inScope).toBe(true);
  });
});

const summaryAsOf = async (u: string): Promise<string> => (await as[u]!.get('/api/v1/home/summary')).json().asOf;
