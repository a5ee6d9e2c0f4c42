import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../../test/helpers/app.js';
import { uuidv7 } from '../../platform/db/ids.js';
import { invalidateProfiles, loadProfile } from '../../platform/org/profile.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AppError } from '../../platform/http/errors.js';
import { advanceIncident, getIncident, listIncidents, reportIncident } from './incidents.js';
import { addDays, todayOffice } from './common.js';

/** Incidents go through the platform's posts in force: an ended post is no post. */
let t: TestApp;
const actorOf = async (username: string): Promise<Actor> => {
  const id = (await t.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;
  invalidateProfiles(id);
  return { ...(await loadProfile(t.db, id))!, session: { id: 'test', kind: 'bearer', csrfToken: '' } };
};
const status = async (fn: () => Promise<unknown>): Promise<number> => {
  try { await fn(); return 200; } catch (e) { if (e instanceof AppError) return e.status; throw e; }
};

beforeAll(async () => { t = await testApp(); }, 600_000);
afterAll(async () => { await t?.close(); });

describe('an ended post is no post', () => {
  it('a grid worker whose post ended yesterday can no longer report or see that grid\'s incidents, nor be dispatched one', async () => {
    const street = await actorOf('liuguan');
    const grid = (await t.db.selectFrom('org_units').select('id').where('kind', '=', 'grid').orderBy('code').executeTakeFirstOrThrow()).id;
    const id = uuidv7();
    await t.db.insertInto('users').values({ id, username: 'ended-post', name: '已离岗网格员', password_hash: 'x', must_change_password: false, status: 'active', password_changed_at: null }).execute();
    await t.db.insertInto('staff_posts').values({ id: uuidv7(), user_id: id, org_unit_id: grid, post: 'grid_worker', is_primary: true, valid_from: '2020-01-01', valid_to: addDays(todayOffice(), -1), created_by: null }).execute();
    await t.db.insertInto('role_grants').values({ id: uuidv7(), user_id: id, role: 'grid_worker', data_scope: 'unit', custom_unit_ids: [], granted_by: null }).execute();
    const ended = await actorOf('ended-post');
    const incident = await reportIncident(t.db, street, { gridId: grid, category: 'event', title: '离岗测试', description: '测试' }, null);
    expect(await status(() => reportIncident(t.db, ended, { gridId: grid, category: 'event', title: '离岗后上报', description: '测试' }, null))).toBe(403);
    expect((await listIncidents(t.db, ended, { page: 1, pageSize: 500 })).items.map((i) => i.id)).not.toContain(incident.id);
    expect(await status(() => getIncident(t.db, ended, incident.id))).toBe(404);
    // The street may dispatch to any staff in its scope — but not to someone whose post has ended.
    expect(await status(() => advanceIncident(t.db, street, incident.id, 'dispatch', { assigneeId: id }, null))).toBe(403);
  });
});
