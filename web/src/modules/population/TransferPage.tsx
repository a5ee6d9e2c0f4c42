import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Checkbox, Col, Form, Row, Select, Space, Typography, Upload } from 'antd';
import { DownloadOutlined, ExportOutlined, FileSearchOutlined, ImportOutlined, InboxOutlined } from '@ant-design/icons';
import { API_BASE, api } from '../../app/api/client';
import { useShowError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { JobProgress } from '../../app/ui/JobProgress';
import { PageHeader } from '../../app/ui/PageHeader';
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

function CompareCard() {
  const { t } = useI18n();
  const [jobId, setJobId] = useState<string | null>(null);
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
        <UploadJob path={popPath('/comparisons')} testId="compare" onJob={setJobId} />
        {jobId && <JobProgress key={jobId} jobId={jobId} testId="compare-job" resultLabel={t('pop.transfer.downloadCompare')} />}
      </Space>
    </Card>
  );
}
