import type { HomeCard, HomeCardsSource } from '../../platform/home/summary.js';
import { actorFor } from '../../platform/home/summary.js';
import { officeToday } from '../../platform/time.js';
import { leaveDb } from './schema.js';
import { balances, unclosedLeave } from './service.js';
import { LEAVE_REQUEST, LEAVE_SECTION } from './routes.js';

/**
 * 工作台 cards of M4: my own leave to close (销假, the oldest first) and my balances left this year;
 * for section heads and leaders, the unclosed leave of the units they oversee.
 */
export const leaveHomeCards: HomeCardsSource = async (db, actor) => {
  const cards: HomeCard[] = [];
  const today = officeToday();
  if (actor.permissions.has(LEAVE_REQUEST)) {
    const toClose = await leaveDb(db).selectFrom('leave_requests').select(['id', 'case_no', 'end_date'])
      .where('user_id', '=', actor.userId).where('status', '=', 'approved').where('closed_at', 'is', null).where('end_date', '<', today)
      .orderBy('end_date').orderBy('id').execute();
    if (toClose.length > 0) {
      const o = toClose[0]!;
      cards.push({ key: 'leave.toClose', kind: 'todo', count: toClose.length, oldest: { id: o.id, title: o.case_no ?? '', at: o.end_date } });
    }
    const b = await balances(db, actor.userId, Number(today.slice(0, 4)));
    const annual = b.types.find((t) => t.type === 'annual');
    cards.push({ key: 'leave.balance', kind: 'figure', count: annual?.left ?? 0, figures: Object.fromEntries(b.types.map((t) => [t.type, t.left])) });
  }
  if (actor.permissions.has(LEAVE_SECTION)) {
    const { items } = await unclosedLeave(db, actorFor(actor, [LEAVE_SECTION]).scope);
    const others = items.filter((i) => i.userId !== actor.userId);
    if (others.length > 0) cards.push({ key: 'leave.sectionUnclosed', kind: 'todo', count: others.length });
  }
  return cards;
};
