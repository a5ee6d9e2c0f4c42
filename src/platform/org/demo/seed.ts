import { inTransaction, type Db, type Tx } from '../../db/index.js';
import { uuidv7 } from '../../db/ids.js';
import { hashPassword } from '../../auth/passwords.js';
import type { DataScopeKind } from '../roles.js';
import { COMMUNITIES, DEPARTMENTS, KEY_GRIDS, STREET, toSurvey } from './street.js';

/** Every demo account's initial password (API.md "Running"). */
export const DEMO_PASSWORD = 'Jiedao@2026';
const VALID_FROM = '2026-01-01';

interface DemoAccount {
  username: string; name: string;
  posts: { unit: string; post: string }[];
  grants: { role: string; scope: DataScopeKind }[];
}

/** Demo staff on every post — fictional names only (the seeds name real people). */
const ACCOUNTS: DemoAccount[] = [
  { username: 'admin', name: '高明', posts: [{ unit: 'dept:dzb', post: 'system_admin' }], grants: [{ role: 'system_admin', scope: 'all' }] },
  { username: 'secadmin', name: '宋安琪', posts: [{ unit: 'dept:dzb', post: 'security_admin' }], grants: [{ role: 'security_admin', scope: 'all' }] },
  { username: 'auditor', name: '唐慎之', posts: [{ unit: 'dept:jgw', post: 'audit_admin' }], grants: [{ role: 'audit_admin', scope: 'all' }] },
  { username: 'shuji', name: '赵立新', posts: [{ unit: 'street', post: 'party_secretary' }, { unit: 'street', post: 'main_leader' }], grants: [{ role: 'leader', scope: 'all' }] },
  { username: 'zhuren', name: '钱志远', posts: [{ unit: 'street', post: 'director' }, { unit: 'street', post: 'main_leader' }], grants: [{ role: 'leader', scope: 'all' }] },
  {
    username: 'fenguan1', name: '孙海燕',
    posts: [{ unit: 'dept:lgb', post: 'leader_in_charge' }, { unit: 'dept:sqjsk', post: 'leader_in_charge' }, ...COMMUNITIES.map((c) => ({ unit: `community:${c.key}`, post: 'leader_in_charge' }))],
    grants: [{ role: 'leader', scope: 'all' }],
  },
  {
    username: 'fenguan2', name: '李卫东',
    posts: ['dzb', 'czs', 'cgk', 'shswk'].map((d) => ({ unit: `dept:${d}`, post: 'leader_in_charge' })).concat([{ unit: 'hall', post: 'leader_in_charge' }]),
    grants: [{ role: 'leader', scope: 'all' }],
  },
  { username: 'liuguan', name: '吴晓梅', posts: [{ unit: 'dept:lgb', post: 'section_head' }], grants: [{ role: 'population_office', scope: 'all' }] },
  { username: 'caizheng', name: '郑国平', posts: [{ unit: 'dept:czs', post: 'section_head' }, { unit: 'dept:czs', post: 'finance_office' }], grants: [{ role: 'section_head', scope: 'unit_and_below' }] },
  { username: 'dangzhengban', name: '王丽华', posts: [{ unit: 'dept:dzb', post: 'section_head' }], grants: [{ role: 'section_head', scope: 'unit_and_below' }] },
  { username: 'keyuan1', name: '何小雨', posts: [{ unit: 'dept:dzb', post: 'staff' }], grants: [{ role: 'staff', scope: 'unit' }] },
  { username: 'chuangkou1', name: '陈思远', posts: [{ unit: 'hall', post: 'window_staff' }], grants: [{ role: 'window_staff', scope: 'unit' }] },
  { username: 'zhan-sh', name: '刘婷', posts: [{ unit: 'community:sh', post: 'station_clerk' }], grants: [{ role: 'station', scope: 'unit_and_below' }] },
  { username: 'wangge-sh-1', name: '张伟', posts: [{ unit: 'grid:sh:1', post: 'grid_worker' }], grants: [{ role: 'grid_worker', scope: 'unit' }] },
  { username: 'wangge-sh-2', name: '黄磊', posts: [{ unit: 'grid:sh:2', post: 'grid_worker' }], grants: [{ role: 'grid_worker', scope: 'unit' }] },
  { username: 'wangge-xmq-1', name: '林芳', posts: [{ unit: 'grid:xmq:1', post: 'grid_worker' }], grants: [{ role: 'grid_worker', scope: 'unit' }] },
  { username: 'jigongwei', name: '马建军', posts: [{ unit: 'dept:jgw', post: 'discipline' }], grants: [{ role: 'discipline', scope: 'all' }] },
  { username: 'paichusuo', name: '杨振华', posts: [{ unit: 'street', post: 'police_liaison' }], grants: [{ role: 'police_liaison', scope: 'all' }] },
];
export const DEMO_USERNAMES = ACCOUNTS.map((a) => a.username);

/** Loads the demo street into an empty database, in one transaction. Returns false when data exists. */
export async function seedDemoStreet(db: Db): Promise<boolean> {
  const hash = await hashPassword(DEMO_PASSWORD);
  return inTransaction(db, async (tx) => {
    const any = await tx.selectFrom('org_units').select('id').limit(1).executeTakeFirst();
    if (any) return false;
    const ids = await insertOrgTree(tx);
    for (const a of ACCOUNTS) {
      const userId = uuidv7();
      await tx.insertInto('users').values({ id: userId, username: a.username, name: a.name, password_hash: hash, must_change_password: false, status: 'active', password_changed_at: null }).execute();
      for (const [i, p] of a.posts.entries()) {
        const unitId = ids.get(p.unit);
        if (!unitId) throw new Error(`demo unit ${p.unit} missing`);
        await tx.insertInto('staff_posts').values({ id: uuidv7(), user_id: userId, org_unit_id: unitId, post: p.post, is_primary: i === 0, valid_from: VALID_FROM, valid_to: null, created_by: null }).execute();
      }
      for (const g of a.grants) {
        await tx.insertInto('role_grants').values({ id: uuidv7(), user_id: userId, role: g.role, data_scope: g.scope, custom_unit_ids: [], granted_by: null }).execute();
      }
    }
    await tx.insertInto('meta').values({ key: 'demo_loaded', value: JSON.stringify(new Date().toISOString()) }).execute();
    return true;
  });
}

async function insertOrgTree(tx: Tx): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let sort = 0;
  const unit = async (key: string, parentKey: string | null, kind: string, code: string, name: string, extra: { survey?: object; key_designation?: object } = {}) => {
    const id = uuidv7();
    ids.set(key, id);
    await tx.insertInto('org_units').values({
      id, parent_id: parentKey ? ids.get(parentKey)! : null, kind, code, name, street_code: STREET.code, sort_order: sort++,
      valid_from: VALID_FROM, valid_to: null,
      survey: extra.survey ? JSON.stringify(extra.survey) : null,
      key_designation: extra.key_designation ? JSON.stringify(extra.key_designation) : null,
    }).execute();
    return id;
  };
  await unit('street', null, 'street', STREET.code, STREET.name, { survey: STREET.survey });
  for (const [i, d] of DEPARTMENTS.entries()) await unit(`dept:${d.key}`, 'street', 'department', `${STREET.code}D${String(i + 1).padStart(2, '0')}`, d.name);
  await unit('hall', 'street', 'service_hall', `${STREET.code}H01`, '浆洗街街道便民服务大厅');
  for (const [ci, c] of COMMUNITIES.entries()) {
    const cCode = `${STREET.code}${String(ci + 1).padStart(3, '0')}`;
    await unit(`community:${c.key}`, 'street', 'community', cCode, c.name, { survey: toSurvey(c.total, c.asOf) });
    for (const [gi, g] of c.grids.entries()) {
      const designation = KEY_GRIDS.find((k) => k.community === c.key && k.grid === gi + 1);
      await unit(`grid:${c.key}:${gi + 1}`, `community:${c.key}`, 'grid', `${cCode}G${String(gi + 1).padStart(2, '0')}`, `${c.name}第${gi + 1}网格`, {
        survey: toSurvey(g, c.asOf),
        ...(designation ? { key_designation: { reason: designation.reason, decidedOn: '2011-10-10', decisionRef: '浆洗街街道网格化服务管理责任体系（000:122–125）' } } : {}),
      });
    }
    for (const [pi, grids] of c.policeAreas.entries()) {
      const paId = await unit(`police:${c.key}:${pi + 1}`, `community:${c.key}`, 'police_area', `${cCode}J${String(pi + 1).padStart(2, '0')}`, `${c.name}第${pi + 1}警务区`);
      for (const g of grids) {
        await tx.insertInto('org_unit_links').values({ id: uuidv7(), kind: 'police_area_grid', from_unit_id: paId, to_unit_id: ids.get(`grid:${c.key}:${g}`)!, valid_from: VALID_FROM, valid_to: null }).execute();
      }
    }
    for (let k = 1; k <= 2; k++) {
      await unit(`cp:${c.key}:${k}`, `community:${c.key}`, 'collection_point', `${cCode}C${String(k).padStart(2, '0')}`, `${c.name}第${k}采集点`);
    }
  }
  return ids;
}
