import { sql } from 'kysely';
import type { HomeCard, HomeCardsSource } from '../../platform/home/summary.js';
import { actorFor, mayAny } from '../../platform/home/summary.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { inScope } from '../../platform/org/scoped-tables.js';
import { monthOf, todayOffice, unitName } from './common.js';
import { duePatrols } from './patrols.js';
import { listMoves } from './moves.js';
import { pop } from './schema.js';

/**
 * 工作台 cards of M2, each counted in the scope of the permission its page needs:
 * entry clerks — collected records waiting to be entered (待录入); reviewers — records waiting for review (迟报 among them, the oldest); grid workers — rental houses
 * due for a patrol, records returned to correct, open incidents of the grid, this month's counters;
 * stations and 流管办 — overdue patrols of their level, moves to confirm, incidents to dispatch.
 */
export const populationHomeCards: HomeCardsSource = async (db, actor) => {
  const cards: HomeCard[] = [];
  const p = pop(db);
  const has = (perm: string) => actor.permissions.has(perm);

  if (has('record:enter')) {
    // 000:27 — what grid workers collected, waiting for the station's entry clerk (录入).
    const a = actorFor(actor, ['record:enter']);
    const c = await p.selectFrom('collection_records as r').select(sql<string>`count(*)`.as('n'))
      .where(inScope(a.scope, 'collection_records', { as: 'r' })).where('r.review_status', '=', 'collected').executeTakeFirstOrThrow();
    cards.push({ key: 'population.toEnter', kind: 'todo', count: Number(c.n) });
  }

  if (has('person:review')) {
    const a = actorFor(actor, ['person:review']);
    const q = p.selectFrom('collection_records as r').where(inScope(a.scope, 'collection_records', { as: 'r' })).where('r.review_status', '=', 'reported');
    const [c, oldest] = await Promise.all([
      q.select([sql<string>`count(*)`.as('n'), sql<string>`count(*) filter (where r.late)`.as('late')]).executeTakeFirstOrThrow(),
      q.select(['r.id', 'r.grid_id', 'r.reported_at']).orderBy('r.reported_at').orderBy('r.id').limit(1).executeTakeFirst(),
    ]);
    const tree = oldest ? await loadOrgTree(db) : null;
    cards.push({
      key: 'population.review', kind: 'todo', count: Number(c.n), overdue: Number(c.late),
      oldest: oldest && tree ? { id: oldest.id, title: unitName(tree, oldest.grid_id) ?? '', at: new Date(oldest.reported_at).toISOString() } : null,
    });
  }

  if (has('patrol:grid')) {
    const a = actorFor(actor, ['patrol:grid']);
    const due = await duePatrols(db, a, { level: 'grid' });
    cards.push({ key: 'population.gridPatrols', kind: 'todo', count: due.byLevel.grid.due, overdue: due.byLevel.grid.overdue });
    const returned = await p.selectFrom('collection_records as r').select(sql<string>`count(*)`.as('n'))
      .where(inScope(a.scope, 'collection_records', { as: 'r' })).where('r.review_status', '=', 'returned').executeTakeFirstOrThrow();
    if (Number(returned.n) > 0) cards.push({ key: 'population.returned', kind: 'todo', count: Number(returned.n) });
    const mine = await p.selectFrom('work_counters').select([sql<string>`coalesce(sum(collected), 0)`.as('collected'), sql<string>`coalesce(sum(passed), 0)`.as('passed')])
      .where('user_id', '=', actor.userId).where('month', '=', monthOf(todayOffice())).executeTakeFirstOrThrow();
    cards.push({ key: 'population.myMonth', kind: 'figure', count: Number(mine.collected), figures: { passed: Number(mine.passed) } });
  }

  if (mayAny(actor, ['patrol:station', 'patrol:street'])) {
    const level = has('patrol:street') ? 'street' : 'station';
    const due = await duePatrols(db, actorFor(actor, ['patrol:station', 'patrol:street']), { level, overdueOnly: true });
    cards.push({ key: 'population.overduePatrols', kind: 'todo', count: due.byLevel[level].overdue });
  }

  if (mayAny(actor, ['move:confirm', 'move:confirm_cross'])) {
    const moves = await listMoves(db, actorFor(actor, ['move:confirm', 'move:confirm_cross']), { box: 'to_decide', page: 1, pageSize: 1 });
    if (moves.total > 0) cards.push({ key: 'population.moves', kind: 'todo', count: moves.total });
  }

  if (has('incident:report')) {
    const a = actorFor(actor, ['incident:report']);
    const waiting = has('incident:dispatch') ? ['reported'] as const : ['reported', 'dispatched', 'handling'] as const;
    const c = await p.selectFrom('grid_incidents').select(sql<string>`count(*)`.as('n'))
      .where(inScope(a.scope, 'grid_incidents')).where('status', 'in', [...waiting]).executeTakeFirstOrThrow();
    cards.push({ key: has('incident:dispatch') ? 'population.incidentsToDispatch' : 'population.incidentsOpen', kind: 'todo', count: Number(c.n) });
  }
  return cards;
};
