import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { CloudSyncOutlined, DownloadOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { fmtDateTime } from '../../app/ui/format';
import { JobProgress } from '../../app/ui/JobProgress';
import { popPath } from './api';

/** 000:43 — 导入导出 → 市级系统交换: the sync log and the button producing the next exchange file. */
interface Sync {
  id: string; jobId: string; requestedBy: string; requestedAt: string; since: string | null; until: string;
  status: 'running' | 'done' | 'failed'; persons: number | null; houses: number | null; fileId: string | null; mayDownload: boolean;
}
const STATUS_COLOR = { running: 'processing', done: 'success', failed: 'error' } as const;

export function ExchangeCard() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const showError = useShowError();
  const [page, setPage] = useState(1);
  const [jobId, setJobId] = useState<string | null>(null);
  const log = useQuery({
    queryKey: ['population', 'exchange', page],
    queryFn: ({ signal }) => api.get<Page<Sync>>(popPath('/exchange/syncs'), { page, pageSize: 10 }, signal),
  });
  const start = useMutation({
    mutationFn: () => api.post<{ jobId: string }>(popPath('/exchange/syncs'), {}),
    onSuccess: (r) => { setJobId(r.jobId); void qc.invalidateQueries({ queryKey: ['population', 'exchange'] }); },
    onError: (e) => showError(e),
  });
  return (
    <Card title={<Space><CloudSyncOutlined />{t('pop.exchange.title')}</Space>} data-testid="exchange-card"
      extra={<Button type="primary" onClick={() => start.mutate()} loading={start.isPending} data-testid="exchange-start">{t('pop.exchange.next')}</Button>}>
      <Alert type="info" showIcon message={t('pop.exchange.hint')} style={{ marginBottom: 12 }} />
      {jobId && (
        <div style={{ marginBottom: 12 }}>
          <JobProgress key={jobId} jobId={jobId} testId="exchange-job" resultLabel={t('pop.exchange.download')}
            onFinished={() => void qc.invalidateQueries({ queryKey: ['population', 'exchange'] })} />
        </div>
      )}
      <Table<Sync>
        rowKey="id" size="small" loading={log.isLoading} dataSource={log.data?.items ?? []}
        locale={{ emptyText: t('pop.exchange.empty') }}
        pagination={(log.data?.total ?? 0) > 10 ? { current: page, pageSize: 10, total: log.data?.total, onChange: setPage, size: 'small' } : false}
        onRow={() => ({ 'data-testid': 'exchange-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('pop.exchange.requestedAt'), dataIndex: 'requestedAt', render: (v: string) => fmtDateTime(v) },
          { title: t('pop.exchange.by'), dataIndex: 'requestedBy' },
          {
            title: t('pop.exchange.window'), key: 'w',
            render: (_, s) => (s.since ? `${fmtDateTime(s.since)} ~ ${fmtDateTime(s.until)}` : <Typography.Text type="secondary">{t('pop.exchange.first')}</Typography.Text>),
          },
          { title: t('pop.exchange.persons'), dataIndex: 'persons', align: 'right', render: (v: number | null) => v ?? '—' },
          { title: t('pop.exchange.houses'), dataIndex: 'houses', align: 'right', render: (v: number | null) => v ?? '—' },
          { title: t('pop.exchange.status'), dataIndex: 'status', render: (v: Sync['status']) => <Tag color={STATUS_COLOR[v]}>{t(`pop.exchange.status.${v}`)}</Tag> },
          {
            title: t('pop.exchange.file'), key: 'f',
            render: (_, s) => (s.mayDownload ? <Button size="small" icon={<DownloadOutlined />} href={`/api/v1/files/${s.fileId}`} download>{t('pop.exchange.download')}</Button>
              : s.fileId ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('pop.exchange.notYours')}</Typography.Text> : '—'),
          },
        ]}
      />
    </Card>
  );
}
