import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Popconfirm, Tag } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useShowError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, fmtDateTime } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { QueryTable } from '../../app/ui/QueryTable';
import { popPath, type Recheck, type RecheckResult, type RecordKind } from './api';
import { KindLabel } from './components';
import { RecheckResultTag } from './ReviewPage';
import './population.css';

/** 问题报送 — re-checks that found errors, concealment or omissions; the police liaison signs for them. */
export default function ErrorReportsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const qc = useQueryClient();
  const showError = useShowError();
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? '1') || 1;
  const list = useQuery({
    queryKey: ['population', 'rechecks', 'problems', page],
    queryFn: ({ signal }) => api.get<Page<Recheck>>(popPath('/rechecks'), { problems: true, page, pageSize: 20 }, signal),
    placeholderData: keepPreviousData,
  });
  const ack = useMutation({
    mutationFn: (id: string) => api.post(popPath(`/rechecks/${id}/acknowledge`), {}),
    onSuccess: () => notifier.message?.success(t('pop.errors.acknowledged')),
    onError: (e) => showError(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['population', 'rechecks'] }),
  });
  const open = (list.data?.items ?? []).filter((r) => !r.policeAcknowledgedAt).length;
  return (
    <div className="page" data-testid="error-reports-page">
      <PageHeader title={t('pop.errors.title')} />
      <Alert type={open > 0 && can('error_report:acknowledge') ? 'warning' : 'info'} showIcon message={t('pop.errors.hint')} />
      <QueryTable<Recheck>
        query={list}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: t('pop.errors.empty') }}
        paging={{ page, pageSize: 20, total: list.data?.total, onChange: (p) => setParams({ page: String(p) }) }}
        columns={[
          { title: t('pop.recheck.doneOn'), dataIndex: 'doneOn', render: (v: string | null) => fmtDate(v) },
          { title: t('pop.recheck.resultLabel'), dataIndex: 'result', render: (r: RecheckResult | null) => <RecheckResultTag result={r} /> },
          { title: t('pop.record.kind'), dataIndex: 'recordKind', render: (k: RecordKind) => <KindLabel kind={k} /> },
          { title: t('pop.person.name'), dataIndex: 'personName', render: (v: string | null) => v ?? '—' },
          { title: t('pop.person.idNumber'), dataIndex: 'idNumberMasked', render: (v: string | null) => <span className="mono">{v ?? ''}</span> },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.recheck.notes'), dataIndex: 'notes', width: 300 },
          {
            title: t('pop.errors.police'),
            key: 'ack',
            fixed: 'right',
            render: (_, r) =>
              r.policeAcknowledgedAt ? (
                <Tag color="green">{t('pop.errors.ackAt', { at: fmtDateTime(r.policeAcknowledgedAt) })}</Tag>
              ) : can('error_report:acknowledge') ? (
                <Popconfirm title={t('pop.errors.ackConfirm')} okText={t('pop.errors.ack')} cancelText={t('common.cancel')} onConfirm={() => ack.mutateAsync(r.id)}>
                  <Button type="primary" size="small" data-testid="error-ack">
                    {t('pop.errors.ack')}
                  </Button>
                </Popconfirm>
              ) : (
                <Tag color="gold">{t('pop.errors.notAck')}</Tag>
              ),
          },
        ]}
      />
    </div>
  );
}
