import { lazy } from 'react';
import { AuditOutlined, MailOutlined, RollbackOutlined, UserSwitchOutlined } from '@ant-design/icons';
import type { WebModule } from '../types';

/** The approval engine's pages: open to every member of staff (what they see is their own). */
export const approvalsWeb: WebModule = {
  name: 'approvals',
  nav: [
    { key: 'approvals', path: '/approvals', label: 'nav.approvals.inbox', desc: 'home.desc.approvals.inbox', icon: <AuditOutlined />, anyOf: ['approval:use'], group: 'nav.group.approvals' },
    { key: 'approvals-delegations', path: '/approvals/delegations', label: 'nav.approvals.delegations', desc: 'home.desc.approvals.delegations', icon: <UserSwitchOutlined />, anyOf: ['approval:use'], group: 'nav.group.approvals' },
  ],
  homeCards: [
    { key: 'approvals.todo', title: 'home.card.approvals.todo', path: '/approvals?box=todo', icon: <AuditOutlined />, unit: 'home.unit.items', overdue: 'appr.overdue', none: 'home.card.none' },
    { key: 'approvals.returned', title: 'home.card.approvals.returned', path: '/approvals?box=mine', icon: <RollbackOutlined />, unit: 'home.unit.items' },
    { key: 'approvals.cc', title: 'home.card.approvals.cc', path: '/approvals?box=cc', icon: <MailOutlined />, unit: 'home.unit.items' },
  ],
  pages: {
    approvals: lazy(() => import('./ApprovalsPage')),
    'approvals-delegations': lazy(() => import('./DelegationsPage')),
  },
};
