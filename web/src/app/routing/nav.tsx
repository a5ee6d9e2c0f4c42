import type { ReactNode } from 'react';
import {
  ApartmentOutlined,
  AuditOutlined,
  CalendarOutlined,
  FileProtectOutlined,
  HomeOutlined,
  LoginOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { MessageKey } from '../i18n';
import { MODULE_NAV } from '../../modules';

export interface NavItem {
  key: string;
  path: string;
  label: MessageKey;
  desc?: MessageKey;
  icon: ReactNode;
  /** The page opens when the user holds any of these permissions (empty: everyone). */
  anyOf: string[];
  /** Menu group heading (business modules); ungrouped items come first. */
  group?: MessageKey;
  /** The page a user who may open it lands on after login instead of the 工作台 (a grid worker's 我的网格). */
  landing?: boolean;
}

/** The pages of the app, in menu order. The side menu shows only what the user may open. */
export const NAV_ITEMS: NavItem[] = [
  { key: 'home', path: '/', label: 'nav.home', icon: <HomeOutlined />, anyOf: [] },
  { key: 'org', path: '/org', label: 'nav.org', desc: 'home.desc.org', icon: <ApartmentOutlined />, anyOf: ['org:read'] },
  {
    key: 'users',
    path: '/admin/users',
    label: 'nav.users',
    desc: 'home.desc.users',
    icon: <TeamOutlined />,
    anyOf: ['user:manage', 'role:assign', 'user:unlock'],
  },
  {
    key: 'sessions',
    path: '/admin/sessions',
    label: 'nav.sessions',
    desc: 'home.desc.sessions',
    icon: <LoginOutlined />,
    anyOf: ['session:manage'],
  },
  {
    key: 'calendar',
    path: '/calendar',
    label: 'nav.calendar',
    desc: 'home.desc.calendar',
    icon: <CalendarOutlined />,
    anyOf: ['calendar:read', 'calendar:manage'],
  },
  {
    key: 'policy',
    path: '/policy',
    label: 'nav.policy',
    desc: 'home.desc.policy',
    icon: <FileProtectOutlined />,
    anyOf: ['policy:read', 'policy:manage'],
  },
  { key: 'audit', path: '/audit', label: 'nav.audit', desc: 'home.desc.audit', icon: <AuditOutlined />, anyOf: ['audit:read'] },
  ...MODULE_NAV,
];

export function allowedNav(permissions: string[] | undefined): NavItem[] {
  const set = new Set(permissions ?? []);
  return NAV_ITEMS.filter((n) => n.anyOf.length === 0 || n.anyOf.some((p) => set.has(p)));
}

/** Where a user lands after login or when opening the app: the first landing page they may open, else the 工作台. */
export function landingPath(permissions: string[] | undefined): string {
  return allowedNav(permissions).find((n) => n.landing)?.path ?? '/';
}

export function navKeyForPath(pathname: string): string {
  const match = NAV_ITEMS.filter((n) => n.path !== '/' && (pathname === n.path || pathname.startsWith(n.path + '/')));
  // The most specific entry wins (/leave/section over /leave).
  match.sort((a, b) => b.path.length - a.path.length);
  return match.length > 0 ? match[0].key : 'home';
}
