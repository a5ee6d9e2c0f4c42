import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Drawer, Empty, Form, Image, Input, List, Radio, Space, Tag, Typography, Upload, type UploadFile } from 'antd';
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
import { useRequiredRules } from '../../app/ui/FormModal';
import { useUrlState } from '../../app/ui/useUrlState';
import { INCIDENT_CATEGORIES, popPath, useMyGrids, type Incident, type IncidentCategory, type IncidentStatus } from './api';
import { GridField } from './components';
import './population.css';

const STATUS_COLORS: Record<IncidentStatus, string> = { reported: 'gold', dispatched: 'blue', handling: 'processing', closed: 'green' };

/** 网格事件 — report an incident from the phone (photo, location); the list of the grid's incidents. */
export default function IncidentsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const [params, set, setParams] = useUrlState();
  const reporting = params.get('new') === '1';
  const page = Number(params.get('page') ?? '1') || 1;
  const list = useQuery({
    queryKey: ['population', 'incidents', page],
    queryFn: ({ signal }) => api.get<Page<Incident>>(popPath('/incidents'), { page, pageSize: 20 }, signal),
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
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <List
          loading={list.isFetching}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: <Empty description={t('pop.incidents.empty')} /> }}
          pagination={(list.data?.total ?? 0) > 20 ? { current: page, pageSize: 20, total: list.data?.total, simple: isMobile, onChange: (p) => setParams({ page: String(p) }) } : false}
          renderItem={(i) => (
            <List.Item style={{ padding: '4px 0', border: 'none' }} data-testid="incident-row">
              <Card size="small" className="pop-person-card">
                <div className="pop-person-line">
                  <Space size={6} wrap>
                    <Tag>{t(`pop.incident.category.${i.category}`)}</Tag>
                    <span className="pop-person-name">{i.title}</span>
                  </Space>
                  <Tag color={STATUS_COLORS[i.status]}>{t(`pop.incident.status.${i.status}`)}</Tag>
                </div>
                <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ margin: '4px 0' }}>
                  {i.description}
                </Typography.Paragraph>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {i.gridName} · {fmtDateTime(i.reportedAt)}
                  {i.location ? ` · ${i.location}` : ''}
                </Typography.Text>
                {i.photoUrls.length > 0 && (
                  <div style={{ marginTop: 6 }}>
                    <Image.PreviewGroup>
                      <Space size={6} wrap>
                        {i.photoUrls.map((u) => (
                          <Image key={u} src={u} width={64} height={64} style={{ objectFit: 'cover', borderRadius: 4 }} />
                        ))}
                      </Space>
                    </Image.PreviewGroup>
                  </div>
                )}
                {i.resolution && (
                  <Alert type="success" style={{ marginTop: 6 }} message={`${t('pop.incident.resolution')}${t('pop.colon')}${i.resolution}`} />
                )}
              </Card>
            </List.Item>
          )}
        />
      )}
      <ReportDrawer open={reporting} onClose={() => setReporting(false)} />
    </div>
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
