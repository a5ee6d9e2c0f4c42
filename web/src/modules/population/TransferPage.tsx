import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Col, Form, Modal, Row, Segmented, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, ExportOutlined, FileSearchOutlined, ImportOutlined, InboxOutlined, TableOutlined } from '@ant-design/icons';
import { API_BASE, api } from '../../app/api/client';
import { LoadError, useShowError } from '../../app/api/errors';
import type { Page } from '../../app/api/types';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { JobProgress } from '../../app/ui/JobProgress';
import { PageHeader } from '../../app/ui/PageHeader';
import { ExchangeCard } from './ExchangeCard';
import { popPath, useMyGrids } from './api';
import { groupGrids } from './components';
import './population.css';

/** 导入导出 — legacy spreadsheet import, exports for the police, comparison of an ID list against the registry. */
export default function TransferPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  return (
    <div className="page" data-testid="transfer-page">
      <PageHeader title={t('pop.transfer.title')} />
      <Row gutter={[16, 16]}>
        {can('person:import') && (
          <Col xs={24} xl={8}>
            <ImportCard />
          </Col>
        )}
        {can('person:export') && (
          <Col xs={24} xl={8}>
            <ExportCard />
          </Col>
        )}
        {can('person:compare') && (
          <Col xs={24} xl={8}>
            <CompareCard />
          </Col>
        )}
        {can('population:exchange') && (
          <Col span={24}>
            <ExchangeCard />
          </Col>
        )}
      </Row>
    </div>
  );
}

/** An xlsx drop zone that starts a job. */
function UploadJob({ path, testId, onJob }: { path: string; testId: string; onJob: (id: string) => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const [file, setFile] = useState<File | null>(null);
  const start = useMutation({
    mutationFn: (f: File) => api.upload<{ jobId: string }>(path, f),
    onSuccess: (r) => {
      setFile(null);
      onJob(r.jobId);
    },
    onError: (e) => showError(e),
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Upload.Dragger
        accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        maxCount={1}
        showUploadList={false}
        beforeUpload={(f) => {
          setFile(f);
          return false;
        }}
        data-testid={`${testId}-file`}
      >
        <p className="ant-upload-drag-icon">
          <InboxOutlined />
        </p>
        <p>{file ? file.name : t('pop.transfer.drop')}</p>
      </Upload.Dragger>
      <Button type="primary" block disabled={!file} loading={start.isPending} onClick={() => file && start.mutate(file)} data-testid={`${testId}-start`}>
        {t('pop.transfer.start')}
      </Button>
    </Space>
  );
}

function ImportCard() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [jobId, setJobId] = useState<string | null>(null);
  return (
    <Card
      title={
        <Space>
          <ImportOutlined />
          {t('pop.transfer.import')}
        </Space>
      }
      data-testid="import-card"
    >
      <Space direction="vertical" style={{ width: '100%' }} size={12}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
          {t('pop.transfer.importHint')}
        </Typography.Paragraph>
        <Button icon={<DownloadOutlined />} href={`${API_BASE}${popPath('/imports/template')}`} download data-testid="import-template">
          {t('pop.transfer.template')}
        </Button>
        <UploadJob path={popPath('/imports')} testId="import" onJob={setJobId} />
        {jobId && (
          <JobProgress
            key={jobId}
            jobId={jobId}
            testId="import-job"
            // Rows already registered (or repeated, or departed) are skipped, not failed: processed − succeeded − failed.
            counts={(j) => t('pop.transfer.importCounts', { processed: j.processed, succeeded: j.succeeded, skipped: Math.max(0, j.processed - j.succeeded - j.failed), failed: j.failed })}
            onFinished={() => void qc.invalidateQueries({ queryKey: ['population'] })}
          />
        )}
      </Space>
    </Card>
  );
}

interface ExportValues {
  status?: 'active' | 'left';
  communityId?: string;
  gridId?: string;
  reviewStatus?: 'reported' | 'passed' | 'returned';
  reveal?: boolean;
}

function ExportCard() {
  const { t } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const { grids, communities } = useMyGrids();
  const [form] = Form.useForm<ExportValues>();
  const [jobId, setJobId] = useState<string | null>(null);
  const reveal = Form.useWatch('reveal', form);
  const start = useMutation({
    mutationFn: (v: ExportValues) =>
      api.post<{ jobId: string }>(popPath('/exports'), {
        filters: { status: v.status, communityId: v.communityId, gridId: v.gridId, reviewStatus: v.reviewStatus, reveal: v.reveal || undefined },
      }),
    onSuccess: (r) => setJobId(r.jobId),
    onError: (e) => showError(e, form),
  });
  return (
    <Card
      title={
        <Space>
          <ExportOutlined />
          {t('pop.transfer.export')}
        </Space>
      }
      data-testid="export-card"
    >
      <Form form={form} layout="vertical" initialValues={{ status: 'active' }} onFinish={(v) => start.mutate(v)}>
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="status" label={t('pop.person.status')}>
              <Select allowClear options={(['active', 'left'] as const).map((s) => ({ value: s, label: t(`pop.person.status.${s}`) }))} placeholder={t('pop.transfer.all')} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="reviewStatus" label={t('pop.record.status')}>
              <Select allowClear options={(['reported', 'passed', 'returned'] as const).map((s) => ({ value: s, label: t(`pop.review.${s}`) }))} placeholder={t('pop.transfer.all')} />
            </Form.Item>
          </Col>
          {communities.length > 1 && (
            <Col span={12}>
              <Form.Item name="communityId" label={t('kind.community')}>
                <Select allowClear options={communities.map((c) => ({ value: c.id, label: c.name }))} placeholder={t('pop.transfer.all')} onChange={() => form.setFieldValue('gridId', undefined)} />
              </Form.Item>
            </Col>
          )}
          <Col span={12}>
            <Form.Item name="gridId" label={t('pop.grid')}>
              <Select allowClear showSearch optionFilterProp="label" options={groupGrids(grids)} placeholder={t('pop.transfer.all')} />
            </Form.Item>
          </Col>
        </Row>
        {can('person:reveal') && (
          <Form.Item name="reveal" valuePropName="checked" style={{ marginBottom: 8 }}>
            <Checkbox>{t('pop.transfer.reveal')}</Checkbox>
          </Form.Item>
        )}
        {reveal && <Alert type="warning" showIcon style={{ marginBottom: 12 }} message={t('pop.reveal.warning')} />}
        <Button type="primary" htmlType="submit" block loading={start.isPending} data-testid="export-start">
          {t('pop.transfer.exportStart')}
        </Button>
      </Form>
      {jobId && (
        <div style={{ marginTop: 12 }}>
          <JobProgress key={jobId} jobId={jobId} testId="export-job" resultLabel={t('pop.transfer.downloadExport')} />
        </div>
      )}
    </Card>
  );
}

type CompareResult = 'registered' | 'left' | 'unknown' | 'invalid';
interface CompareCounts {
  rows: number;
  registered: number;
  left: number;
  unknown: number;
  invalid: number;
}
interface CompareRow {
  rowNumber: number;
  uploaded: string;
  result: CompareResult;
  registryMasked: string | null;
  grid: string | null;
  leftOn: string | null;
}
const RESULT_COLOR: Record<CompareResult, string> = { registered: 'green', left: 'default', unknown: 'orange', invalid: 'red' };

function CompareCard() {
  const { t } = useI18n();
  const [jobId, setJobId] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  return (
    <Card
      title={
        <Space>
          <FileSearchOutlined />
          {t('pop.transfer.compare')}
        </Space>
      }
      data-testid="compare-card"
    >
      <Space direction="vertical" style={{ width: '100%' }} size={12}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
          {t('pop.transfer.compareHint')}
        </Typography.Paragraph>
        <UploadJob
          path={popPath('/comparisons')}
          testId="compare"
          onJob={(id) => {
            setDone(null);
            setJobId(id);
          }}
        />
        {jobId && (
          <JobProgress
            key={jobId}
            jobId={jobId}
            testId="compare-job"
            counts={(j) => {
              const c = j.result as CompareCounts | undefined;
              return j.status === 'done' && c ? t('pop.transfer.compareDone', { ...c }) : t('pop.transfer.compareCounts', { processed: j.processed });
            }}
            onFinished={(j) => j.status === 'done' && setDone(j.id)}
          />
        )}
        {done && (
          <Space wrap>
            <Button type="primary" icon={<TableOutlined />} onClick={() => setOpen(true)} data-testid="compare-show">
              {t('pop.compare.show')}
            </Button>
            <Button icon={<DownloadOutlined />} href={`${API_BASE}${popPath(`/comparisons/${done}/result`)}`} download data-testid="compare-download">
              {t('pop.transfer.downloadCompare')}
            </Button>
          </Space>
        )}
      </Space>
      {done && <CompareRowsModal jobId={done} open={open} onClose={() => setOpen(false)} />}
    </Card>
  );
}

/** The comparison's rows with the numbers as uploaded (each page fetched is audited by the server). */
function CompareRowsModal({ jobId, open, onClose }: { jobId: string; open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const [result, setResult] = useState<CompareResult | 'all'>('all');
  const [page, setPage] = useState(1);
  const pageSize = 20;
  const q = useQuery({
    queryKey: ['population', 'comparison', jobId, result, page],
    queryFn: ({ signal }) =>
      api.get<Page<CompareRow> & { counts: CompareCounts }>(
        popPath(`/comparisons/${jobId}/rows`),
        { page, pageSize, ...(result === 'all' ? {} : { result }) },
        signal,
      ),
    enabled: open,
    staleTime: Infinity,
  });
  const counts = q.data?.counts;
  const results: CompareResult[] = ['registered', 'left', 'unknown', 'invalid'];
  return (
    <Modal open={open} onCancel={onClose} footer={null} width={920} title={t('pop.compare.title')} destroyOnHidden>
      <Space direction="vertical" style={{ width: '100%' }} size={12}>
        <Alert type="warning" showIcon message={t('pop.compare.audited')} />
        <Segmented
          data-testid="compare-filter"
          value={result}
          onChange={(v) => {
            setResult(v as CompareResult | 'all');
            setPage(1);
          }}
          options={[
            { value: 'all', label: `${t('pop.transfer.all')}${counts ? ` ${counts.rows}` : ''}` },
            ...results.map((r) => ({ value: r, label: `${t(`pop.compare.result.${r}`)}${counts ? ` ${counts[r]}` : ''}` })),
          ]}
        />
        {q.error ? (
          <LoadError error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <Table<CompareRow>
            size="small"
            rowKey="rowNumber"
            loading={q.isLoading}
            dataSource={q.data?.items ?? []}
            data-testid="compare-rows"
            scroll={{ x: 720 }}
            pagination={{ current: page, pageSize, total: q.data?.total ?? 0, showSizeChanger: false, onChange: setPage }}
            columns={[
              { title: t('pop.compare.rowNumber'), dataIndex: 'rowNumber', width: 70 },
              { title: t('pop.compare.uploaded'), dataIndex: 'uploaded', render: (v: string) => <Typography.Text copyable={!!v}>{v}</Typography.Text> },
              { title: t('pop.compare.result'), dataIndex: 'result', width: 120, render: (v: CompareResult) => <Tag color={RESULT_COLOR[v]}>{t(`pop.compare.result.${v}`)}</Tag> },
              { title: t('pop.compare.registryMasked'), dataIndex: 'registryMasked', render: (v: string | null) => v ?? '—' },
              { title: t('pop.compare.grid'), dataIndex: 'grid', render: (v: string | null) => v ?? '—' },
              { title: t('pop.compare.leftOn'), dataIndex: 'leftOn', width: 110, render: (v: string | null) => v ?? '—' },
            ]}
          />
        )}
      </Space>
    </Modal>
  );
}
