/**
 * Roles are code-defined bundles of permissions; grants (data) give a role to a person with a
 * data scope. Modules add permissions to roles through `extendRole` when they register.
 */
export type DataScopeKind = 'all' | 'unit_and_below' | 'unit' | 'self' | 'custom';
export const DATA_SCOPES: DataScopeKind[] = ['all', 'unit_and_below', 'unit', 'self', 'custom'];

export interface RoleDef {
  code: string;
  name: string;
  permissions: string[];
  defaultDataScope: DataScopeKind;
}

/** 三员分立: the separated admin roles — one person never holds two of them. */
export const SEPARATED_ADMIN_ROLES = ['system_admin', 'security_admin', 'audit_admin'] as const;

const roles: Record<string, RoleDef> = {};
function define(code: string, name: string, defaultDataScope: DataScopeKind, permissions: string[]): void {
  roles[code] = { code, name, defaultDataScope, permissions };
}

const BASIC = ['org:read', 'calendar:read', 'policy:read'];
/** Every business role: the basics and the approval inbox (待办, 我发起的, 委托) — never the three admins. */
const STAFF = [...BASIC, 'approval:use'];
define('system_admin', '系统管理员', 'all', [...BASIC, 'org:manage', 'user:manage', 'policy:manage', 'calendar:manage']);
define('security_admin', '安全管理员', 'all', ['org:read', 'role:assign', 'user:unlock', 'session:manage']);
define('audit_admin', '审计管理员', 'all', ['org:read', 'audit:read']);
define('leader', '街道领导', 'all', [...STAFF]);
define('section_head', '科室负责人', 'unit_and_below', [...STAFF]);
define('staff', '工作人员', 'unit', [...STAFF]);
define('window_staff', '窗口人员', 'unit', [...STAFF]);
define('population_office', '流管办', 'all', [...STAFF]);
define('station', '社区流管站', 'unit_and_below', [...STAFF]);
define('grid_worker', '网格员', 'unit', [...STAFF]);
define('discipline', '纪工委', 'all', [...STAFF]);
define('police_liaison', '派出所（只读）', 'all', ['org:read']);
/**
 * Assigns roles inside a community; can never grant a permission or a scope it does not hold itself.
 * A community's own staff member, so a business role (inbox, leave) like the roles it assigns.
 */
define('community_admin', '社区管理员', 'unit_and_below', [...STAFF, 'role:assign']);

export function extendRole(code: string, permissions: string[]): void {
  const r = roles[code];
  if (!r) throw new Error(`unknown role ${code}`);
  for (const p of permissions) if (!r.permissions.includes(p)) r.permissions.push(p);
}

export const getRole = (code: string): RoleDef | undefined => roles[code];
export const allRoles = (): RoleDef[] => Object.values(roles);

/** Post codes (API.md "Posts"). */
export const POSTS = [
  'main_leader', 'party_secretary', 'director', 'leader_in_charge', 'section_head', 'staff', 'window_staff',
  'station_head', 'station_clerk', 'grid_worker', 'discipline', 'police_liaison', 'system_admin',
  'security_admin', 'audit_admin', 'finance_office', 'collective_decision', 'presiding_leader', 'bureau_leader',
] as const;
export type PostCode = (typeof POSTS)[number];

export const ORG_KINDS = ['street', 'community', 'grid', 'police_area', 'collection_point', 'department', 'service_hall'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];
