import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Drawer, Empty, Form, Image, Input, List, Radio, Segmented, Select, Space, Table, Tag, Timeline, Typography, Upload, type UploadFile } from 'antd';
import { AimOutlined, PlusOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useUrlState } from '../../app/ui/useUrlState';
import { INCIDENT_CATEGORIES, popPath, useMyGrids, type Incident, type IncidentAssignee, type IncidentCategory, type IncidentDetail, type IncidentRate, type IncidentStatus } from './api';
import { DrawerBody, GridField } from './components';
import './population.css';

const STATUS_COLORS: Record<IncidentStatus, string> = { reported: 'gold', dispatched: 'blue', handling: 'processing', closed: 'green' };
const STATUSES: IncidentStatus[] = ['reported', 'dispatched', 'handling', 'closed'];

/**
 * 网格事件 — report an incident from the phone (photo, location); the grid's incidents by status,
 * each opening its detail where it is dispatched (派遣), handled (处理) and closed (办结); the
 * resolution rate per grid (办结率).
 */
export default function IncidentsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const [params, set] = useUrlState();
  const reporting = params.get('new') === '1';
  const page = Number(params.get('page') ?? '1') || 1;
  const status = (params.get('status') ?? undefined) as IncidentStatus | undefined;
  const openId = params.get('incident');
  const list = useQuery({
    queryKey: ['population', 'incidents', status, page],
    queryFn: ({ signal }) => api.get<Page<Incident>>(popPath('/incidents'), { status, page, pageSize: 20 }, signal),
    placeholderData: keepPreviousData,
  });
  const setReporting = (v: boolean) => set({ new: v ? '1' : null });
  return (
    <div className="page pop-narrow" data-testid="incidents-page">
      <PageHeader
        title={t('pop.incidents.title')}
        extra={
          can('incident:report') ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setReporting(true)} size={isMobile ? 'large' : 'middle'} data-testid="incident-new">
              {t('pop.incidents.report')}
            </Button>
          ) : null
        }
      />
      <IncidentRates />
      <Segmented
        block={isMobile}
        style={{ margin: '12px 0' }}
        value={status ?? 'all'}
        onChange={(v) => set({ status: v === 'all' ? null : String(v), page: null })}
        options={[{ value: 'all', label: t('pop.incidents.all') }, ...STATUSES.map((s) => ({ value: s, label: t(`pop.incident.status.${s}`) }))]}
        data-testid="incident-status-filter"
      />
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <List
          loading={list.isFetching}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: <Empty description={t('pop.incidents.empty')} /> }}
          pagination={(list.data?.total ?? 0) > 20 ? { current: page, pageSize: 20, total: list.data?.total, simple: isMobile, onChange: (p) => set({ page: String(p) }) } : false}
          renderItem={(i) => (
            <List.Item style={{ padding: '4px 0', border: 'none' }} data-testid="incident-row" data-status={i.status} data-title={i.title}>
              <Card size="small" className="pop-person-card" hoverable onClick={() => set({ incident: i.id })}>
                <div className="pop-person-line">
                  <Space size={6} wrap>
                    <Tag>{t(`pop.incident.category.${i.category}`)}</Tag>
                    <span className="pop-person-name">{i.title}</span>
                  </Space>
                  <IncidentStatusTag status={i.status} />
                </div>
                <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ margin: '4px 0' }}>
                  {i.description}
                </Typography.Paragraph>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {i.gridName} · {fmtDateTime(i.reportedAt)}
                  {i.location ? ` · ${i.location}` : ''}
                  {i.assigneeName ? ` · ${t('pop.incident.assignee')}${t('pop.colon')}${i.assigneeName}` : ''}
                </Typography.Text>
                {i.photoUrls.length > 0 && <Photos urls={i.photoUrls} size={64} />}
                {i.resolution && (
                  <Alert type="success" style={{ marginTop: 6 }} message={`${t('pop.incident.resolution')}${t('pop.colon')}${i.resolution}`} />
                )}
              </Card>
            </List.Item>
          )}
        />
      )}
      <ReportDrawer open={reporting} onClose={() => setReporting(false)} />
      <IncidentDrawer id={openId} onClose={() => set({ incident: null })} />
    </div>
  );
}

function IncidentStatusTag({ status }: { status: IncidentStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status]} data-testid="incident-status" data-value={status}>
      {t(`pop.incident.status.${status}`)}
    </Tag>
  );
}

function Photos({ urls, size }: { urls: string[]; size: number }) {
  return (
    <div style={{ marginTop: 6 }} onClick={(e) => e.stopPropagation()}>
      <Image.PreviewGroup>
        <Space size={6} wrap>
          {urls.map((u) => (
            <Image key={u} src={u} width={size} height={size} style={{ objectFit: 'cover', borderRadius: 4 }} />
          ))}
        </Space>
      </Image.PreviewGroup>
    </div>
  );
}

/** 办结率: closed of reported, per grid of the caller (a grid worker: their grid). */
function IncidentRates() {
  const { t } = useI18n();
  const rates = useQuery({
    queryKey: ['population', 'incidents', 'rates'],
    queryFn: ({ signal }) => api.get<{ items: IncidentRate[] }>(popPath('/incidents/rates'), undefined, signal),
  });
  const items = [...(rates.data?.items ?? [])].sort((a, b) => (a.gridName ?? '').localeCompare(b.gridName ?? '', 'zh-CN'));
  if (rates.error || items.length === 0) return null;
  const pct = (r: IncidentRate) => (r.rate === null ? '—' : `${Math.round(r.rate * 1000) / 10}%`);
  return (
    <Card size="small" title={t('pop.incidents.rates')} data-testid="incident-rates">
      <Table<IncidentRate>
        rowKey="gridId"
        size="small"
        pagination={items.length > 10 ? { pageSize: 10, size: 'small' } : false}
        dataSource={items}
        onRow={(r) => ({ 'data-testid': 'incident-rate', 'data-grid': r.gridName ?? '' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.incidents.rateTotal'), dataIndex: 'total', align: 'right' },
          { title: t('pop.incidents.rateClosed'), dataIndex: 'closed', align: 'right' },
          { title: t('pop.incidents.rate'), key: 'rate', align: 'right', render: (_, r) => <span data-testid="incident-rate-value">{pct(r)}</span> },
        ]}
      />
    </Card>
  );
}

type Step = 'dispatch' | 'handle' | 'close';

/** An incident, its photos and history, and the next steps the caller may take. */
function IncidentDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t, tx } = useI18n();
  const { can, user } = useAuth();
  const isMobile = useIsMobile();
  const [step, setStep] = useState<Step | null>(null);
  const q = useQuery({
    queryKey: ['population', 'incidents', 'detail', id],
    queryFn: ({ signal }) => api.get<IncidentDetail>(popPath(`/incidents/${id}`), undefined, signal),
    enabled: !!id,
  });
  const i = q.data;
  const dispatcher = can('incident:dispatch');
  const steps: Step[] = !i
    ? []
    : [
        ...(dispatcher && i.status === 'reported' ? (['dispatch'] as const) : []),
        ...((i.status === 'dispatched' || i.status === 'handling') && (dispatcher || i.assigneeId === user?.id) ? (['handle'] as const) : []),
        ...(dispatcher && i.status !== 'closed' ? (['close'] as const) : []),
      ];
  const size = isMobile ? 'large' : 'middle';
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width={isMobile ? '100%' : 600}
      title={i?.title ?? t('pop.incident.detail')}
      destroyOnHidden
      data-testid="incident-detail"
      footer={
        steps.length > 0 ? (
          <Space wrap>
            {steps.map((s) => (
              <Button key={s} size={size} type={s === 'close' && steps.length > 1 ? 'default' : 'primary'} onClick={() => setStep(s)} data-testid={`incident-${s}`}>
                {t(`pop.incident.step.${s}`)}
              </Button>
            ))}
          </Space>
        ) : null
      }
    >
      <DrawerBody query={q}>
        {(i) => (
          <>
            <Descriptions column={1} size="small" bordered styles={{ label: { width: 96, whiteSpace: 'nowrap' } }}>
              <Descriptions.Item label={t('pop.record.status')}>
                <IncidentStatusTag status={i.status} />
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.incident.category')}>{t(`pop.incident.category.${i.category}`)}</Descriptions.Item>
              <Descriptions.Item label={t('pop.grid')}>{i.gridName}</Descriptions.Item>
              <Descriptions.Item label={t('pop.incident.description')}>
                <span style={{ whiteSpace: 'pre-wrap' }}>{i.description}</span>
              </Descriptions.Item>
              {i.location && <Descriptions.Item label={t('pop.incident.location')}>{i.location}</Descriptions.Item>}
              {i.lat !== null && i.lng !== null && <Descriptions.Item label={t('pop.incident.coords')}>{t('pop.incidents.coords', { lat: i.lat, lng: i.lng })}</Descriptions.Item>}
              <Descriptions.Item label={t('pop.incident.reporter')}>
                {i.reporterName ?? '—'} · {fmtDateTime(i.reportedAt)}
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.incident.assignee')}>
                <span data-testid="incident-assignee">{i.assigneeName ?? '—'}</span>
              </Descriptions.Item>
              {i.resolution && (
                <Descriptions.Item label={t('pop.incident.resolution')}>
                  <span data-testid="incident-resolution">{i.resolution}</span>
                </Descriptions.Item>
              )}
            </Descriptions>
            {i.photoUrls.length > 0 && <Photos urls={i.photoUrls} size={96} />}
            <Typography.Title level={5} style={{ marginTop: 16 }}>
              {t('pop.incident.history')}
            </Typography.Title>
            <Timeline
              items={i.actions.map((a) => ({
                color: a.action === 'close' ? 'green' : 'blue',
                children: (
                  <div data-testid="incident-action" data-action={a.action}>
                    <Typography.Text strong>{tx(`pop.incident.action.${a.action}`, a.action)}</Typography.Text>
                    <Typography.Text type="secondary">
                      {' '}
                      · {a.actorName} · {fmtDateTime(a.at)}
                    </Typography.Text>
                    {a.note && <div style={{ whiteSpace: 'pre-wrap' }}>{a.note}</div>}
                  </div>
                ),
              }))}
            />
          </>
        )}
      </DrawerBody>
      {i && <StepModal incident={i} step={step} onClose={() => setStep(null)} />}
    </Drawer>
  );
}

interface StepValues {
  assigneeId?: string;
  note?: string;
  resolution?: string;
}

/** 派遣 (to whom, with a note), 处理 (what was done), 办结 (the resolution, required). */
function StepModal({ incident, step, onClose }: { incident: IncidentDetail; step: Step | null; onClose: () => void }) {
  const { t, tx } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<StepValues>();
  const assignees = useQuery({
    queryKey: ['population', 'incidents', 'assignees', incident.id],
    queryFn: ({ signal }) => api.get<{ items: IncidentAssignee[] }>(popPath(`/incidents/${incident.id}/assignees`), undefined, signal),
    enabled: step === 'dispatch',
  });
  const save = useFormMutation(form, {
    mutationFn: (v: StepValues) =>
      api.post<Incident>(popPath(`/incidents/${incident.id}/${step}`), {
        assigneeId: step === 'dispatch' ? v.assigneeId : undefined,
        note: step !== 'close' ? v.note?.trim() || undefined : undefined,
        resolution: step === 'close' ? v.resolution?.trim() : undefined,
      }),
    success: step ? t(`pop.incident.stepDone.${step}`) : '',
    invalidate: [['population', 'incidents']],
    onDone: onClose,
  });
  const who = (a: IncidentAssignee) =>
    a.post === 'self' ? `${a.name}（${t('pop.incident.assigneeSelf')}）` : `${a.name} · ${tx(`post.${a.post}`, a.post)}${a.unitName ? ` · ${a.unitName}` : ''}`;
  return (
    <FormModal
      open={!!step}
      title={step ? t(`pop.incident.step.${step}`) : ''}
      form={form}
      save={save}
      onClose={onClose}
      okText={step ? t(`pop.incident.step.${step}`) : undefined}
      okTestId="incident-step-ok"
      width={520}
      initialValues={{ assigneeId: undefined }}
    >
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${incident.title} · ${incident.gridName ?? ''}`} />
      {step === 'dispatch' && (
        <Form.Item name="assigneeId" label={t('pop.incident.assignee')} rules={required(t('pop.incident.assignee'))}>
          <Select
            loading={assignees.isLoading}
            options={(assignees.data?.items ?? []).map((a) => ({ value: a.userId, label: who(a) }))}
            placeholder={t('pop.incident.assigneePlaceholder')}
            data-testid="incident-assignee-select"
          />
        </Form.Item>
      )}
      {step === 'close' ? (
        <Form.Item name="resolution" label={t('pop.incident.resolution')} rules={requiredText(t('pop.incident.resolution'))}>
          <Input.TextArea rows={4} maxLength={1000} data-testid="incident-resolution-input" />
        </Form.Item>
      ) : (
        <Form.Item
          name="note"
          label={t(step === 'handle' ? 'pop.incident.handleNote' : 'pop.incident.note')}
          rules={step === 'handle' ? requiredText(t('pop.incident.handleNote')) : undefined}
        >
          <Input.TextArea rows={3} maxLength={1000} data-testid="incident-note-input" />
        </Form.Item>
      )}
    </FormModal>
  );
}

interface IncidentValues {
  gridId: string;
  category: IncidentCategory;
  title: string;
  description: string;
  location?: string;
}

function ReportDrawer({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { requiredText } = useRequiredRules();
  const isMobile = useIsMobile();
  const qc = useQueryClient();
  const showError = useShowError();
  const { grids } = useMyGrids();
  const [form] = Form.useForm<IncidentValues>();
  const [files, setFiles] = useState<UploadFile<{ fileId: string }>[]>([]);
  const [coords, setCoords] = useState<{ lat: number; lng: number } | null>(null);
  const [locating, setLocating] = useState(false);
  const uploading = files.some((f) => f.status === 'uploading');

  const save = useMutation({
    mutationFn: (v: IncidentValues) =>
      api.post<Incident>(popPath('/incidents'), {
        gridId: v.gridId,
        category: v.category,
        title: v.title.trim(),
        description: v.description.trim(),
        location: v.location?.trim() || undefined,
        lat: coords?.lat,
        lng: coords?.lng,
        photoFileIds: files.flatMap((f) => (f.status === 'done' && f.response?.fileId ? [f.response.fileId] : [])),
      }),
    onSuccess: () => {
      notifier.message?.success(t('pop.incidents.reported'));
      void qc.invalidateQueries({ queryKey: ['population', 'incidents'] });
      form.resetFields();
      setFiles([]);
      setCoords(null);
      onClose();
    },
    onError: (e) => showError(e, form),
  });

  const locate = () => {
    if (!navigator.geolocation) {
      notifier.message?.warning(t('pop.incidents.noGeo'));
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        setCoords({ lat: Math.round(pos.coords.latitude * 1e6) / 1e6, lng: Math.round(pos.coords.longitude * 1e6) / 1e6 });
      },
      () => {
        setLocating(false);
        notifier.message?.warning(t('pop.incidents.geoDenied'));
      },
      { enableHighAccuracy: true, timeout: 10_000 },
    );
  };

  const size = isMobile ? 'large' : 'middle';
  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t('pop.incidents.report')}
      width={isMobile ? '100%' : 560}
      destroyOnHidden
      data-testid="incident-drawer"
      footer={
        <Button type="primary" block size={size} loading={save.isPending} disabled={uploading} onClick={() => form.submit()} data-testid="incident-submit">
          {uploading ? t('pop.incidents.uploading') : t('common.submit')}
        </Button>
      }
    >
      <Form form={form} layout="vertical" size={size} className={isMobile ? 'pop-form-mobile' : undefined} initialValues={{ category: 'event' }} onFinish={(v) => save.mutate(v)}>
        <GridField grids={grids} />
        <Form.Item name="category" label={t('pop.incident.category')}>
          <Radio.Group optionType="button" buttonStyle="solid" className="pop-radio-grid">
            {INCIDENT_CATEGORIES.map((c) => (
              <Radio.Button key={c} value={c}>
                {t(`pop.incident.category.${c}`)}
              </Radio.Button>
            ))}
          </Radio.Group>
        </Form.Item>
        <Form.Item name="title" label={t('pop.incident.titleLabel')} rules={requiredText(t('pop.incident.titleLabel'))}>
          <Input maxLength={100} placeholder={t('pop.incident.titlePlaceholder')} data-testid="incident-title" />
        </Form.Item>
        <Form.Item name="description" label={t('pop.incident.description')} rules={requiredText(t('pop.incident.description'))}>
          <Input.TextArea rows={4} maxLength={2000} data-testid="incident-description" />
        </Form.Item>
        <Form.Item label={t('pop.incident.photos')} extra={t('pop.incident.photosHint')}>
          <Upload<{ fileId: string }>
            className="pop-photo-grid"
            listType="picture-card"
            accept="image/*"
            capture={undefined}
            multiple
            maxCount={9}
            fileList={files}
            onChange={({ fileList }) => setFiles(fileList)}
            customRequest={({ file, onSuccess, onError }) => {
              api
                .upload<{ fileId: string }>(popPath('/incidents/photos'), file as File)
                .then((r) => onSuccess?.(r))
                .catch((e: unknown) => {
                  showError(e);
                  onError?.(e as Error);
                });
            }}
            data-testid="incident-photos"
          >
            {files.length >= 9 ? null : (
              <div>
                <PlusOutlined />
                <div style={{ marginTop: 4 }}>{t('pop.incident.addPhoto')}</div>
              </div>
            )}
          </Upload>
        </Form.Item>
        <Form.Item name="location" label={t('pop.incident.location')}>
          <Input maxLength={200} placeholder={t('pop.incident.locationPlaceholder')} />
        </Form.Item>
        <Space wrap>
          <Button icon={<AimOutlined />} loading={locating} onClick={locate}>
            {t('pop.incidents.locate')}
          </Button>
          {coords && (
            <Typography.Text type="secondary" data-testid="incident-coords">
              {t('pop.incidents.coords', { lat: coords.lat, lng: coords.lng })}
            </Typography.Text>
          )}
        </Space>
      </Form>
    </Drawer>
  );
}
