import { lazy } from 'react';
import { CalendarOutlined, ScheduleOutlined } from '@ant-design/icons';
import type { WebModule } from '../types';

/** M4 请假/销假: one's own leave for everyone with a post; the section's calendar for heads and leaders. */
export const leaveWeb: WebModule = {
  name: 'leave',
  nav: [
    { key: 'leave', path: '/leave', label: 'nav.leave.mine', desc: 'home.desc.leave.mine', icon: <ScheduleOutlined />, anyOf: ['leave:request'], group: 'nav.group.approvals' },
    { key: 'leave-section', path: '/leave/section', label: 'nav.leave.section', desc: 'home.desc.leave.section', icon: <CalendarOutlined />, anyOf: ['leave:section'], group: 'nav.group.approvals' },
  ],
  homeCards: [
    { key: 'leave.toClose', title: 'home.card.leave.toClose', path: '/leave', icon: <ScheduleOutlined />, unit: 'home.unit.items' },
    { key: 'leave.sectionUnclosed', title: 'home.card.leave.sectionUnclosed', path: '/leave/section', icon: <CalendarOutlined />, unit: 'home.unit.items' },
    { key: 'leave.balance', title: 'home.card.leave.balance', path: '/leave', icon: <ScheduleOutlined />, unit: 'home.unit.days', figures: { compensatory: 'home.card.leave.compensatory' } },
  ],
  pages: {
    leave: lazy(() => import('./LeavePage')),
    'leave-section': lazy(() => import('./SectionLeavePage')),
  },
  printPages: [{ path: '/print/leave/:id', page: lazy(() => import('./LeavePrintPage')) }],
  approvalForms: { leave: lazy(() => import('./components').then((m) => ({ default: m.LeaveApprovalForm }))) },
};
