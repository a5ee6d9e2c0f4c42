import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { useT, useI18n } from '../../app/i18n';
import { PrintSheet } from '../../app/print/PrintSheet';
import { fmtDate, fmtDateTime, officeToday } from '../../app/ui/format';
import { approvalKeys, approvalsApi } from '../approvals/api';
import { leaveApi, leaveKeys } from './api';
import { useLeaveTypes, usePeriodText } from './components';

/** "同意。请安排好交接" — the decision, then the comment unless it already says it. */
const opinionText = (word: string, comment: string | null) => (!comment ? word : comment.startsWith(word) ? comment : `${word}。${comment}`);

/** 请假审批单: the A4 form of one leave request with each step's opinion, signer and date, and its 销假. */
export default function LeavePrintPage() {
  const t = useT();
  const { tx } = useI18n();
  const { id = '' } = useParams();
  const types = useLeaveTypes();
  const period = usePeriodText();
  const leave = useQuery({ queryKey: leaveKeys.one(id), queryFn: () => leaveApi.get(id) });
  const approvalId = leave.data?.approvalId;
  const approval = useQuery({ queryKey: approvalKeys.detail(approvalId ?? ''), queryFn: () => approvalsApi.detail(approvalId!), enabled: !!approvalId });
  const r = leave.data;
  const a = approval.data;
  const steps = (a?.steps ?? []).filter((s) => s.status !== 'cancelled' && s.status !== 'skipped');
  return (
    <PrintSheet
      title={t('leave.print.title', { street: t('app.street') })}
      docNo={r?.caseNo}
      date={r ? t('leave.print.filed', { date: fmtDateTime(r.createdAt).slice(0, 10) }) : undefined}
      loading={leave.isLoading || (!!approvalId && approval.isLoading)}
      error={leave.error ?? approval.error}
    >
      {r && (
        <table className="print-form" data-testid="leave-print-form">
          <tbody>
            <tr>
              <th>{t('leave.print.name')}</th>
              <td>{r.userName}</td>
              <th>{t('leave.col.unit')}</th>
              <td>{r.unitName}</td>
            </tr>
            <tr>
              <th>{t('leave.field.type')}</th>
              <td>{types.name(r.type)}</td>
              <th>{t('leave.col.days')}</th>
              <td>{t(r.unit === 'workday' ? 'leave.daysWork' : 'leave.daysNatural', { days: r.days })}</td>
            </tr>
            <tr>
              <th>{t('leave.field.period')}</th>
              <td colSpan={3}>{period(r)}{r.retroactive ? `（${t('leave.retroactive')}）` : ''}</td>
            </tr>
            <tr>
              <th>{t('leave.field.reason')}</th>
              <td colSpan={3} style={{ height: '18mm', verticalAlign: 'top' }}>{r.reason}</td>
            </tr>
            {steps.map((s) => {
              const decided = s.tasks.filter((x) => x.decision && x.status === 'done');
              return (
                <tr key={s.id}>
                  <th>{s.name.replace(/审批$/, '')}{t('leave.print.opinion')}</th>
                  <td colSpan={3} className="opinion" data-testid={`print-step-${s.order}`}>
                    {decided.length === 0 ? (
                      <span>{s.status === 'open' ? t('leave.print.waiting') : ''}</span>
                    ) : (
                      decided.map((x) => <div key={x.id}>{opinionText(tx(`appr.decision.${x.decision}`, x.decision ?? ''), x.comment)}</div>)
                    )}
                    {decided.length > 0 && (
                      <div className="sign">
                        {decided.map((x) => (
                          <div key={x.id}>
                            {x.assigneeName}{x.onBehalfOfName ? t('appr.timeline.onBehalf', { name: x.onBehalfOfName }) : ''}　{fmtDateTime(x.decidedAt).slice(0, 10)}
                          </div>
                        ))}
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
            <tr>
              <th>{t('leave.print.closing')}</th>
              <td colSpan={3}>
                {r.closedAt
                  ? t('leave.print.closedLine', { end: fmtDate(r.actualEndDate), days: r.actualDays ?? r.days, at: fmtDateTime(r.closedAt).slice(0, 10) })
                  : r.status === 'approved' ? t('leave.print.notClosed', { by: fmtDate(r.closeBy) }) : '—'}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      {r && (
        <div className="print-foot">
          {t('leave.print.foot', { pack: tx(`appr.pack.${r.policyPack}`, r.policyPack), version: r.policyVersion, status: tx(`leave.status.${r.status}`, r.status), at: officeToday().format('YYYY-MM-DD HH:mm') })}
        </div>
      )}
    </PrintSheet>
  );
}
