import { lazy } from 'react';
import { AuditOutlined, UserSwitchOutlined } from '@ant-design/icons';
import type { WebModule } from '../types';

/** The approval engine's pages: open to every member of staff (what they see is their own). */
export const approvalsWeb: WebModule = {
  name: 'approvals',
  nav: [
    { key: 'approvals', path: '/approvals', label: 'nav.approvals.inbox', desc: 'home.desc.approvals.inbox', icon: <AuditOutlined />, anyOf: ['approval:use'], group: 'nav.group.approvals' },
    { key: 'approvals-delegations', path: '/approvals/delegations', label: 'nav.approvals.delegations', desc: 'home.desc.approvals.delegations', icon: <UserSwitchOutlined />, anyOf: ['approval:use'], group: 'nav.group.approvals' },
  ],
  // Loaded with the home page, not with the app's first screen (the login page).
  homeCards: [lazy(() => import('./TodoCard').then((m) => ({ default: m.TodoCard })))],
  pages: {
    approvals: lazy(() => import('./ApprovalsPage')),
    'approvals-delegations': lazy(() => import('./DelegationsPage')),
  },
};
