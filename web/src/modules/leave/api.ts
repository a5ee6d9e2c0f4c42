import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';

/** Shapes of the leave API (src/modules/leave/routes.ts, service.ts). */

export interface LeaveType {
  code: string;
  name: string;
  unit: 'workday' | 'natural';
  balance: boolean;
  halfDayAllowed: boolean;
  fixedDays: number | null;
}

export interface LeaveInput {
  type: string;
  startDate: string;
  endDate: string;
  halfDay?: 'am' | 'pm';
  reason: string;
  extraBabies?: number;
  difficultBirth?: boolean;
}

export interface LeavePreview {
  days: number;
  unit: 'workday' | 'natural';
  provisional: boolean;
  retroactive: boolean;
  entitlement: number | null;
  /** Days left before this request, for a type with a balance. */
  balance: number | null;
  policyPack: string;
  policyVersion: number;
  steps: { order: number; name: string; approverPost: string | null; mode: string; external: boolean; approvers: { id: string; name: string }[] }[];
  cc: { id: string; name: string }[];
}

export interface LeaveRequest {
  id: string;
  caseNo: string | null;
  userId: string;
  userName?: string;
  unitName?: string;
  type: string;
  startDate: string;
  endDate: string;
  halfDay: 'am' | 'pm' | null;
  days: number;
  unit: 'workday' | 'natural';
  provisional: boolean;
  retroactive: boolean;
  reason: string;
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn';
  approvalId: string | null;
  approvalStatus: string | null;
  policyPack: string;
  policyVersion: number;
  createdAt: string;
  closedAt: string | null;
  actualEndDate: string | null;
  actualDays: number | null;
  closeBy: string;
  unclosed: boolean;
  closeOverdue: boolean;
  closedLate: boolean;
  effectiveEnd: string;
}

export interface Balances {
  year: number;
  types: { type: string; name: string; granted: number; used: number; adjusted: number; left: number }[];
  taken: { type: string; name: string; days: number }[];
  ledger: { id: string; type: string; entry: string; days: number; note: string; caseNo: string | null; at: string }[];
}

export const leaveApi = {
  types: () => api.get<{ policyPack: string; policyVersion: number; closeWithinDays: number; items: LeaveType[] }>('/leave/types'),
  preview: (body: LeaveInput) => api.post<LeavePreview>('/leave/requests/preview', body),
  submit: (body: LeaveInput) => api.post<{ id: string; caseNo: string; days: number; status: string }>('/leave/requests', body),
  mine: (q: { year?: number; page: number; pageSize: number }) => api.get<Page<LeaveRequest>>('/leave/requests', q),
  get: (id: string) => api.get<LeaveRequest>(`/leave/requests/${id}`),
  close: (id: string, body: { actualEndDate: string; note?: string }) => api.post<LeaveRequest>(`/leave/requests/${id}/close`, body),
  balances: (year: number, userId?: string) => api.get<Balances>('/leave/balances', { year, userId }),
  adjust: (body: { userId: string; type: string; year: number; days: number; note: string }) => api.post('/leave/balances/adjust', body),
  calendar: (q: { from: string; to: string; unitId?: string }) => api.get<{ from: string; to: string; items: LeaveRequest[] }>('/leave/calendar', q),
  unclosed: () => api.get<{ items: LeaveRequest[] }>('/leave/unclosed'),
};

export const leaveKeys = {
  all: ['leave'] as const,
  types: ['leave', 'types'] as const,
  mine: (year: number, page: number) => ['leave', 'mine', year, page] as const,
  one: (id: string) => ['leave', 'one', id] as const,
  balances: (year: number, userId?: string) => ['leave', 'balances', year, userId ?? 'me'] as const,
  calendar: (from: string, to: string) => ['leave', 'calendar', from, to] as const,
  unclosed: ['leave', 'unclosed'] as const,
};
