import { useEffect, useRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Progress, Space, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { api } from '../api/client';
import { LoadError } from '../api/errors';
import { useI18n } from '../i18n';

/** GET /api/v1/jobs/:id (API.md "Platform"). `total`, `error` and `result` are shown when a job kind provides them. */
export interface Job {
  id: string;
  kind?: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  processed: number;
  succeeded: number;
  failed: number;
  total?: number | null;
  errorFileUrl?: string | null;
  resultUrl?: string | null;
  error?: string | { message?: string } | null;
  result?: unknown;
}

const ACTIVE = new Set(['queued', 'running']);

/**
 * Progress of a background job (import, export, comparison, …): polls every second until the job is
 * done or failed, shows a progress bar and the counts, then the download links (result file, error
 * file). Reusable by any module that starts a job.
 */
export function JobProgress({
  jobId,
  onFinished,
  resultLabel,
  counts,
  testId = 'job-progress',
}: {
  jobId: string;
  onFinished?: (job: Job) => void;
  /** Label of the result download (default: "下载结果"). */
  resultLabel?: string;
  /** The counts line in the job kind's own words (default: 已处理 N 行：成功 S，失败 F). */
  counts?: (job: Job) => string;
  testId?: string;
}) {
  const { t } = useI18n();
  const q = useQuery({
    queryKey: ['jobs', jobId],
    queryFn: ({ signal }) => api.get<Job>(`/jobs/${encodeURIComponent(jobId)}`, undefined, signal),
    refetchInterval: (query) => (query.state.data && !ACTIVE.has(query.state.data.status) ? false : 1000),
    refetchIntervalInBackground: true,
    staleTime: 0,
  });
  const finished = useRef(false);
  const job = q.data;
  useEffect(() => {
    if (job && !ACTIVE.has(job.status) && !finished.current) {
      finished.current = true;
      onFinished?.(job);
    }
  }, [job, onFinished]);

  if (q.error) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;
  const status = job?.status ?? 'queued';
  const total = job?.total ?? null;
  const percent =
    status === 'done' ? 100 : total && total > 0 ? Math.min(99, Math.floor(((job?.processed ?? 0) / total) * 100)) : status === 'queued' ? 0 : null;
  const errorText = typeof job?.error === 'string' ? job.error : job?.error?.message;

  return (
    <div className="job-progress" data-testid={testId} data-status={status} data-processed={job?.processed ?? 0}>
      <Space direction="vertical" style={{ width: '100%' }} size={8}>
        <Typography.Text strong>{t(`job.status.${status}`)}</Typography.Text>
        {percent === null ? (
          // Running, total unknown: an animated full bar, the counts below tell how far it got.
          <Progress percent={100} status="active" showInfo={false} strokeColor="#91caff" />
        ) : (
          <Progress percent={percent} status={status === 'failed' ? 'exception' : status === 'done' ? 'success' : 'active'} />
        )}
        <Typography.Text type="secondary" data-testid={`${testId}-counts`}>
          {job && counts
            ? counts(job)
            : total
            ? t('job.countsOf', { processed: job?.processed ?? 0, total, succeeded: job?.succeeded ?? 0, failed: job?.failed ?? 0 })
            : t('job.counts', { processed: job?.processed ?? 0, succeeded: job?.succeeded ?? 0, failed: job?.failed ?? 0 })}
        </Typography.Text>
        {status === 'failed' && <Alert type="error" showIcon message={t('job.failedTitle')} description={errorText || t('job.failedHint')} />}
        {(job?.resultUrl || job?.errorFileUrl) && (
          <Space wrap>
            {job?.resultUrl && (
              <Button type="primary" icon={<DownloadOutlined />} href={job.resultUrl} download data-testid={`${testId}-result`}>
                {resultLabel ?? t('job.downloadResult')}
              </Button>
            )}
            {job?.errorFileUrl && (
              <Button danger icon={<DownloadOutlined />} href={job.errorFileUrl} download data-testid={`${testId}-errors`}>
                {t('job.downloadErrors')}
              </Button>
            )}
          </Space>
        )}
      </Space>
    </div>
  );
}
