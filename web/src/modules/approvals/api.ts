import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';

/** Shapes of the approval engine's API (src/platform/approvals/routes.ts, inbox.ts). */

export type Box = 'todo' | 'done' | 'mine' | 'cc';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'returned' | 'withdrawn';
export type Decision = 'approve' | 'reject' | 'return';

export interface InboxItem {
  id: string;
  approvalId: string;
  kind: string;
  kindName: string;
  subjectId: string;
  caseNo: string;
  title: string;
  status: ApprovalStatus;
  applicantName: string;
  step: string | null;
  dueAt: string | null;
  overdue: boolean;
  createdAt: string;
  decision?: Decision;
  decidedAt?: string;
  onBehalfOfName?: string;
  origin?: string;
  read?: boolean;
}

export interface InboxCounts {
  todo: number;
  overdue: number;
  ccUnread: number;
  returned: number;
  notificationsUnread: number;
}

export interface ApprovalTask {
  id: string;
  assigneeId: string;
  assigneeName: string;
  ownerId: string | null;
  onBehalfOfName: string | null;
  origin: string;
  status: string;
  decision: Decision | null;
  comment: string | null;
  dueOn: string | null;
  decidedAt: string | null;
  parentTaskId: string | null;
}

export interface ApprovalStep {
  id: string;
  order: number;
  round: number;
  key: string;
  name: string;
  approverPost: string | null;
  mode: 'one' | 'all' | 'any';
  status: string;
  dueOn: string | null;
  openedAt: string | null;
  closedAt: string | null;
  approverIds: string[];
  plannedNames: string[];
  tasks: ApprovalTask[];
}

export interface TimelineEntry {
  id: string;
  at: string;
  action: string;
  label: string;
  actorName: string;
  onBehalfOfName: string | null;
  stepName: string | null;
  comment: string | null;
}

export interface ApprovalDetail {
  id: string;
  caseNo: string;
  kind: string;
  kindName: string;
  subjectId: string;
  title: string;
  status: ApprovalStatus;
  applicant: { id: string; name: string; unitName: string | null };
  form: Record<string, unknown>;
  policyPack: string;
  policyVersion: number;
  createdAt: string;
  finishedAt: string | null;
  currentStep: number | null;
  link: string | null;
  steps: ApprovalStep[];
  cc: { userId: string; name: string; readAt: string | null }[];
  timeline: TimelineEntry[];
  myTaskId: string | null;
  can: {
    withdraw: boolean;
    resubmit: boolean;
    remind: boolean;
    decide: boolean;
    collective: boolean;
    returnTargets: { order: number; name: string }[];
  };
}

export interface StaffOption {
  id: string;
  name: string;
  unitName: string;
  post: string;
}

export interface Delegation {
  id: string;
  fromUserId: string;
  fromName: string;
  toUserId: string;
  toName: string;
  validFrom: string;
  validTo: string;
  kinds: string[] | null;
  reason: string;
  createdAt: string;
  revokedAt: string | null;
  state: 'active' | 'upcoming' | 'ended' | 'revoked';
  /** I gave it (else it was given to me). */
  mine: boolean;
}

export interface DecideBody {
  decision: Decision;
  comment?: string;
  returnTo?: 'applicant' | number;
  collective?: { meetingDate: string; minutesRef: string };
}

export const approvalsApi = {
  inbox: (q: { box: Box; kind?: string; page: number; pageSize: number; unread?: 'true' }) => api.get<Page<InboxItem>>('/approvals/inbox', q),
  counts: () => api.get<InboxCounts>('/approvals/inbox/counts'),
  detail: (id: string) => api.get<ApprovalDetail>(`/approvals/${id}`),
  decide: (taskId: string, body: DecideBody) => api.post(`/approvals/tasks/${taskId}/decide`, body),
  withdraw: (id: string, comment?: string) => api.post(`/approvals/${id}/withdraw`, { comment }),
  resubmit: (id: string, comment?: string) => api.post(`/approvals/${id}/resubmit`, { comment }),
  remind: (id: string, comment?: string) => api.post(`/approvals/${id}/remind`, { comment }),
  cc: (id: string, userIds: string[], comment?: string) => api.post(`/approvals/${id}/cc`, { userIds, comment }),
  markRead: (id: string) => api.post(`/approvals/${id}/read`),
  addSigner: (taskId: string, body: { userId: string; position: 'before' | 'after'; comment?: string }) => api.post(`/approvals/tasks/${taskId}/add-signer`, body),
  handOver: (taskId: string, how: 'delegate' | 'transfer', body: { userId: string; comment?: string }) => api.post(`/approvals/tasks/${taskId}/${how}`, body),
  staff: (q?: string) => api.get<{ items: StaffOption[] }>('/approvals/staff', { q }),
  delegations: () => api.get<{ items: Delegation[] }>('/approvals/delegations'),
  createDelegation: (body: { toUserId: string; validFrom: string; validTo: string; reason: string; applyToOpenTasks?: boolean }) => api.post<Delegation>('/approvals/delegations', body),
  revokeDelegation: (id: string) => api.post(`/approvals/delegations/${id}/revoke`),
};

/** Query keys, so a decision refreshes every list and count that shows it. */
export const approvalKeys = {
  all: ['approvals'] as const,
  inbox: (box: Box, page: number) => ['approvals', 'inbox', box, page] as const,
  counts: ['approvals', 'counts'] as const,
  detail: (id: string) => ['approvals', 'detail', id] as const,
  delegations: ['approvals', 'delegations'] as const,
  notifications: ['notifications'] as const,
};
