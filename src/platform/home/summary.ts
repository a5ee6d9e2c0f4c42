import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/index.js';
import { officeToday } from '../time.js';
import { inboxCounts } from '../approvals/inbox.js';
import { unionScopes, type DataScope } from '../org/scope.js';

/**
 * The 工作台 (home page) in one request: every module says, through its manifest's `homeCards`,
 * what work waits for the signed-in user (to-dos) and which of their key figures to show. A module
 * returns no card to a user its work does not concern (permission), and counts only inside the
 * scope of the permission the card is about — the same scope the page the card links to lists.
 */
export interface HomeCard {
  /** `<module>.<card>`; the web module's card of the same key draws it and links to the page where the work is done. */
  key: string;
  kind: 'todo' | 'figure';
  /** The headline number (to-dos: how many wait). */
  count: number;
  /** Of `count`, how many are past their deadline. */
  overdue?: number;
  /** The oldest waiting item, for a to-do card. */
  oldest?: { id: string; title: string; at: string } | null;
  /** Further named figures of the card. */
  figures?: Record<string, number>;
}

export type HomeCardsSource = (db: Db, actor: Actor) => Promise<HomeCard[]>;

const sources: HomeCardsSource[] = [];

export function registerHomeCards(source: HomeCardsSource): void {
  if (!sources.includes(source)) sources.push(source);
}

/** The actor as a route guarded by any of `permissions` sees it (auth plugin): the scope of the grants giving them. */
export function actorFor(actor: Actor, permissions: string[]): Actor & { scope: DataScope } {
  return { ...actor, scope: unionScopes(permissions.map((p) => actor.scopeByPermission.get(p)).filter((s) => s !== undefined)) };
}

export const mayAny = (actor: Actor, permissions: string[]) => permissions.some((p) => actor.permissions.has(p));

/** The platform's own cards: approvals waiting for me (with the oldest), returned to me, copied unread (the header's bell counts notifications). */
export const platformHomeCards: HomeCardsSource = async (db, actor) => {
  const cards: HomeCard[] = [];
  if (!actor.permissions.has('approval:use')) return cards;
  const c = await inboxCounts(db, actor.userId);
  const oldest = c.todo === 0 ? undefined : (await sql<{ id: string; title: string; created_at: Date | string }>`select a.id, a.title, t.created_at
    from approval_tasks t join approvals a on a.id = t.approval_id
    where t.assignee_id = ${actor.userId} and t.status = 'open' and a.status = 'pending'
    order by t.created_at asc, t.id limit 1`.execute(db)).rows[0];
  cards.push({
    key: 'approvals.todo', kind: 'todo', count: c.todo, overdue: c.overdue,
    oldest: oldest ? { id: oldest.id, title: oldest.title, at: new Date(oldest.created_at).toISOString() } : null,
  });
  if (c.returned > 0) cards.push({ key: 'approvals.returned', kind: 'todo', count: c.returned });
  if (c.ccUnread > 0) cards.push({ key: 'approvals.cc', kind: 'todo', count: c.ccUnread });
  return cards;
};

/** Every source's cards, asked in parallel; to-dos first, in the order the modules are installed. */
export async function homeSummary(db: Db, actor: Actor): Promise<{ asOf: string; cards: HomeCard[] }> {
  const lists = await Promise.all([platformHomeCards, ...sources].map((s) => s(db, actor)));
  const cards = lists.flat();
  return { asOf: officeToday(), cards: [...cards.filter((c) => c.kind === 'todo'), ...cards.filter((c) => c.kind === 'figure')] };
}
