import { Descriptions, Tag } from 'antd';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useT, useI18n } from '../../app/i18n';
import { fmtDate } from '../../app/ui/format';
import { leaveApi, leaveKeys, type LeaveRequest } from './api';

/** Leave type names from the pack in force (codes never shown). */
export function useLeaveTypes() {
  const q = useQuery({ queryKey: leaveKeys.types, queryFn: leaveApi.types, staleTime: 300_000 });
  const names = new Map((q.data?.items ?? []).map((x) => [x.code, x.name]));
  return { query: q, types: q.data?.items ?? [], name: (code: string) => names.get(code) ?? code };
}

const STATUS_COLOR: Record<string, string> = { pending: 'processing', approved: 'success', rejected: 'error', withdrawn: 'default' };

export function LeaveStatusTag({ r }: { r: Pick<LeaveRequest, 'status' | 'approvalStatus' | 'closedAt' | 'unclosed' | 'closeOverdue'> }) {
  const { tx } = useI18n();
  const t = useT();
  const status = r.status === 'pending' && r.approvalStatus === 'returned' ? 'returned' : r.status;
  return (
    <>
      <Tag color={STATUS_COLOR[status] ?? 'warning'}>{tx(`leave.status.${status}`, status)}</Tag>
      {r.closedAt && <Tag color="default">{t('leave.closed')}</Tag>}
      {r.unclosed && <Tag color={r.closeOverdue ? 'red' : 'orange'}>{t(r.closeOverdue ? 'leave.closeOverdue' : 'leave.toClose')}</Tag>}
    </>
  );
}

/** "2026-12-07 ~ 2026-12-09" or "2026-12-07 上午". */
export function usePeriodText() {
  const t = useT();
  return (r: { startDate: string; endDate: string; halfDay: string | null }) =>
    r.startDate === r.endDate ? `${fmtDate(r.startDate)}${r.halfDay ? ' ' + t(r.halfDay === 'am' ? 'leave.halfDay.am' : 'leave.halfDay.pm') : ''}` : `${fmtDate(r.startDate)} ~ ${fmtDate(r.endDate)}`;
}

/** A leave request's form inside the approval drawer (kind `leave`). */
export function LeaveApprovalForm({ form }: { form: Record<string, unknown> }) {
  const t = useT();
  const types = useLeaveTypes();
  const period = usePeriodText();
  const f = form as { type: string; startDate: string; endDate: string; halfDay: string | null; days: number; reason: string; retroactive?: boolean };
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered data-testid="leave-approval-form">
      <Descriptions.Item label={t('leave.field.type')}>{types.name(f.type)}</Descriptions.Item>
      <Descriptions.Item label={t('leave.col.days')}>{t('leave.days', { days: f.days })}{f.retroactive ? <Tag color="orange" style={{ marginLeft: 8 }}>{t('leave.retroactive')}</Tag> : null}</Descriptions.Item>
      <Descriptions.Item label={t('leave.field.period')} span={2}>{period(f)}</Descriptions.Item>
      <Descriptions.Item label={t('leave.field.reason')} span={2}>{f.reason}</Descriptions.Item>
    </Descriptions>
  );
}

export function PrintLink({ id }: { id: string }) {
  const t = useT();
  return <Link to={`/print/leave/${id}`} target="_blank" data-testid="leave-print">{t('leave.print')}</Link>;
}
