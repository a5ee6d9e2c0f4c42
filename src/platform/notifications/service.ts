import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { uuidv7 } from '../db/ids.js';
import { enqueueJob, registerJobKind } from '../jobs/service.js';

/**
 * In-app notifications (站内消息): one row per recipient, kept after reading. The in-app row is
 * the record; further channels (企业微信/钉钉 webhooks, SMS) register here and receive each batch
 * after it commits, through a job, so a slow or failing channel never holds up a decision and no
 * module changes when one is added.
 */
export type NotificationKind = 'task' | 'returned' | 'finished' | 'reminder' | 'cc' | 'delegation' | 'withdrawn' | 'info';

export interface NewNotification {
  userIds: readonly string[];
  kind: NotificationKind;
  title: string;
  body?: string;
  link?: string | null;
  entity?: string;
  entityId?: string;
}

export interface DeliveredNotification { id: string; userId: string; kind: string; title: string; body: string; link: string | null }
export interface NotificationChannel {
  name: string;
  deliver: (db: Db, items: DeliveredNotification[]) => Promise<void>;
}

const channels: NotificationChannel[] = [];
const DELIVER_JOB = 'notifications.deliver';

export function registerNotificationChannel(c: NotificationChannel): void {
  if (!channels.some((x) => x.name === c.name)) channels.push(c);
}

registerJobKind(DELIVER_JOB, async ({ db, job, progress }) => {
  const ids = (job.params as { ids: string[] }).ids;
  const rows = await db.selectFrom('notifications').select(['id', 'user_id', 'kind', 'title', 'body', 'link']).where('id', 'in', ids).execute();
  const items = rows.map((r) => ({ id: r.id, userId: r.user_id, kind: r.kind, title: r.title, body: r.body, link: r.link }));
  for (const c of channels) await c.deliver(db, items);
  await progress({ processed: items.length, succeeded: items.length, failed: 0 });
});

/** Creates the notifications in the caller's transaction. */
export async function notify(tx: Db, n: NewNotification): Promise<void> {
  const users = [...new Set(n.userIds)];
  if (users.length === 0) return;
  const rows = users.map((userId) => ({
    id: uuidv7(), user_id: userId, kind: n.kind, title: n.title, body: n.body ?? '', link: n.link ?? null,
    entity: n.entity ?? null, entity_id: n.entityId ?? null,
  }));
  await tx.insertInto('notifications').values(rows).execute();
  if (channels.length) await enqueueJob(tx, { kind: DELIVER_JOB, params: { ids: rows.map((r) => r.id) }, createdBy: null });
}

export async function listNotifications(db: Db, userId: string, q: { unread?: boolean; page: number; pageSize: number }) {
  let base = db.selectFrom('notifications').where('user_id', '=', userId);
  if (q.unread) base = base.where('read_at', 'is', null);
  const [items, total] = await Promise.all([
    base.select(['id', 'kind', 'title', 'body', 'link', 'entity', 'entity_id', 'created_at', 'read_at'])
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: items.map((r) => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, link: r.link, entity: r.entity, entityId: r.entity_id, createdAt: r.created_at, readAt: r.read_at })),
    total: Number(total.n), page: q.page, pageSize: q.pageSize,
  };
}

export async function unreadCount(db: Db, userId: string): Promise<number> {
  const r = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Marks the user's own notifications read (others' ids are ignored); returns how many changed. */
export async function markRead(db: Db, userId: string, ids: readonly string[] | 'all'): Promise<number> {
  let q = db.updateTable('notifications').set({ read_at: sql`now()` as never }).where('user_id', '=', userId).where('read_at', 'is', null);
  if (ids !== 'all') {
    if (ids.length === 0) return 0;
    q = q.where('id', 'in', [...ids]);
  }
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
