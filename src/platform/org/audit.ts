import type { Db } from '../db/index.js';
import type { Actor } from '../auth/actor.js';
import { recordAudit } from '../audit/service.js';

/**
 * Audits an org or staff write, in the caller's transaction. The action is `<entity>.<verb>`
 * (API.md "Audit actions"), so the entity is read from it: `user.post_add` → `user`,
 * `org_unit.move` → `org_unit`.
 */
export function audit(db: Db, actor: Actor, ip: string | null, action: string, entityId: string, summary: Record<string, unknown>): Promise<void> {
  const entity = action.slice(0, action.indexOf('.'));
  return recordAudit(db, { actorId: actor.userId, actorName: actor.name, action, entity, entityId, ip, summary });
}
