import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import * as echarts from 'echarts/core';
import { MapChart } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { Alert, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Row, Skeleton, Space, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined, UploadOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime, fmtInt, fmtPercent } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { popPath, type GridMap, type Stats } from './api';
import { ClassificationTag } from './StatsPage';
import { SchematicMap } from './SchematicMap';
import './population.css';

echarts.use([MapChart, TooltipComponent, CanvasRenderer]);

const MAP_NAME = 'jiedao-grids';
/** Five well-separated fills (one per community; repeats only past five). */
const PALETTE = ['#8fb8f0', '#9fe0c0', '#f7d67a', '#f2a3a0', '#c9b3ec', '#8fd3e8', '#f5b98a'];
const PALETTE_STRONG = ['#1d5fb8', '#1f8a55', '#b8860b', '#c0392b', '#6b46c1', '#0e7490', '#c2410c'];

/**
 * 网格总图 — until a surveyed GeoJSON is uploaded, a schematic (communities at their place, grids as
 * named cells shaded by live migrants); an uploaded map is drawn with communities in distinct colours,
 * grids outlined (dashed). Click a grid for its figures.
 */
export default function MapPage() {
  const { t, locale } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const navigate = useNavigate();
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [uploadOpen, setUploadOpen] = useState(false);

  const map = useQuery({
    queryKey: ['population', 'map'],
    queryFn: ({ signal }) => api.get<GridMap>(popPath('/map'), undefined, signal),
  });
  const features = useMemo(() => map.data?.geojson.features ?? [], [map.data]);
  const schematic = map.data?.schematic ?? null;
  const communities = useMemo(() => {
    const seen = new Map<string, { id: string; name: string; color: string; strong: string }>();
    for (const f of features) {
      const id = String(f.properties.communityId ?? '');
      if (!seen.has(id)) {
        const i = seen.size;
        seen.set(id, { id, name: String(f.properties.communityName ?? '—'), color: PALETTE[i % PALETTE.length], strong: PALETTE_STRONG[i % PALETTE_STRONG.length] });
      }
    }
    return seen;
  }, [features]);
  const nameOf = useMemo(() => new Map(features.map((f) => [String(f.properties.gridId), String(f.properties.name ?? '')])), [features]);

  // One grid only (a grid worker): show its figures straight away.
  useEffect(() => {
    if (features.length === 1 && !selected) setSelected(String(features[0].properties.gridId));
  }, [features, selected]);

  const stats = useQuery({
    queryKey: ['population', 'stats', selected],
    queryFn: ({ signal }) => api.get<Stats>(popPath('/stats'), { orgUnitId: selected! }, signal),
    enabled: !!selected,
  });

  useEffect(() => {
    if (!el.current || features.length === 0 || schematic) return;
    echarts.registerMap(MAP_NAME, { type: 'FeatureCollection', features } as unknown as Parameters<typeof echarts.registerMap>[1]);
    const c = chart.current ?? echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.setOption(
      {
        tooltip: {
          trigger: 'item',
          formatter: (p: { name: string }) => {
            const f = features.find((x) => x.properties.gridId === p.name);
            return `${f?.properties.communityName ?? ''}<br/><b>${nameOf.get(p.name) ?? ''}</b>`;
          },
        },
        series: [
          {
            type: 'map',
            map: MAP_NAME,
            nameProperty: 'gridId',
            roam: true,
            selectedMode: 'single',
            // Default box: centred, 80 % of the longer side, the map's aspect kept.
            label: {
              show: true,
              fontSize: isMobile ? 9 : 11,
              color: '#1f1f1f',
              formatter: (p: { name: string }) => (nameOf.get(p.name) ?? '').replace(/^.*?社区/, ''),
            },
            itemStyle: { borderColor: '#3d3d3d', borderWidth: 1, borderType: 'dashed' },
            emphasis: { label: { show: true, fontWeight: 'bold' }, itemStyle: { areaColor: '#ffe58f' } },
            select: { label: { show: true, fontWeight: 'bold', color: '#000' }, itemStyle: { areaColor: '#ffd666', borderType: 'solid', borderWidth: 2, borderColor: '#000' } },
            data: features.map((f) => {
              const com = communities.get(String(f.properties.communityId ?? ''));
              return { name: String(f.properties.gridId), itemStyle: { areaColor: com?.color ?? '#ddd' } };
            }),
          },
        ],
      },
      { notMerge: true },
    );
    c.off('click');
    c.on('click', (p) => {
      if (p.componentType === 'series') setSelected(String(p.name));
    });
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => ro.disconnect();
  }, [features, communities, nameOf, isMobile, schematic]);

  useEffect(
    () => () => {
      chart.current?.dispose();
      chart.current = null;
    },
    [],
  );

  const s = stats.data;
  const panel = !selected ? (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.map.pickGrid')} />
  ) : stats.isLoading ? (
    <Skeleton active />
  ) : stats.error || !s ? (
    <LoadError error={stats.error} onRetry={() => void stats.refetch()} />
  ) : (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="map-grid-figures">
      <Space wrap size={4}>
        <Typography.Text strong style={{ fontSize: 16 }} data-testid="map-grid-name">
          {s.name}
        </Typography.Text>
        <ClassificationTag unit={s} />
      </Space>
      <Descriptions column={1} size="small" bordered>
        {(['migrants', 'houses', 'rentals', 'employers'] as const).map((k) => (
          <Descriptions.Item key={k} label={t(`survey.${k}`)}>
            <Space size={8}>
              <strong>{fmtInt(s.live[k], locale)}</strong>
              <Typography.Text type="secondary">
                {t('pop.map.surveyShort')} {fmtInt(s.survey?.[k], locale)}
              </Typography.Text>
            </Space>
          </Descriptions.Item>
        ))}
        <Descriptions.Item label={t('survey.residents')}>{fmtInt(s.survey?.residents, locale)}</Descriptions.Item>
        <Descriptions.Item label={t('pop.stats.migrantShare')}>{fmtPercent(s.ratios?.migrantShare)}</Descriptions.Item>
        <Descriptions.Item label={t('pop.stats.rentalShare')}>{fmtPercent(s.ratios?.rentalShare)}</Descriptions.Item>
      </Descriptions>
      {s.keyReason && <Alert type="info" showIcon message={`${t('class.reason')}${t('pop.colon')}${s.keyReason}`} />}
      {s.flags.map((f) => (
        <Alert key={f.code + f.message} type="warning" showIcon message={f.message} />
      ))}
      <Button onClick={() => navigate(`/population/stats?unit=${s.orgUnitId}`)}>{t('pop.map.openStats')}</Button>
    </Space>
  );

  return (
    <div className="page" data-testid="map-page">
      <PageHeader
        title={t('pop.map.title')}
        extra={
          can('population:map') ? (
            <Button icon={<UploadOutlined />} onClick={() => setUploadOpen(true)} data-testid="map-upload">
              {t('pop.map.upload')}
            </Button>
          ) : null
        }
      />
      {map.error ? (
        <LoadError error={map.error} onRetry={() => void map.refetch()} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={16}>
            <Card
              size="small"
              title={
                map.data ? (
                  <Space size={6} wrap>
                    <Tag color={map.data.source === 'uploaded' ? 'green' : 'default'}>{t(`pop.map.source.${map.data.source}`)}</Tag>
                    {map.data.uploadedAt && <Typography.Text type="secondary">{fmtDateTime(map.data.uploadedAt)}</Typography.Text>}
                    {map.data.note && <Typography.Text type="secondary">{map.data.note}</Typography.Text>}
                  </Space>
                ) : null
              }
            >
              {map.isLoading ? <Skeleton active /> : features.length === 0 ? <Empty description={t('pop.map.empty')} /> : null}
              {schematic && features.length > 0 && <SchematicMap schematic={schematic} selected={selected} onSelect={setSelected} />}
              <div ref={el} className="pop-map" data-testid="grid-map" style={features.length === 0 || schematic ? { display: 'none' } : undefined} />
              {!schematic && (
              <div className="pop-legend" data-testid="map-legend">
                {[...communities.values()].map((c) => (
                  <span key={c.id}>
                    <span className="pop-legend-swatch" style={{ background: c.color, border: `1px solid ${c.strong}` }} />
                    {c.name}
                  </span>
                ))}
                <span>
                  <span className="pop-legend-dashed" />
                  {t('pop.map.gridBorder')}
                </span>
              </div>
              )}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t(schematic ? 'pop.map.howToSchematic' : 'pop.map.howTo')}
              </Typography.Text>
            </Card>
            {map.data && <SurveyedMapCard data={map.data} canUpload={can('population:map')} onUpload={() => setUploadOpen(true)} />}
          </Col>
          <Col xs={24} lg={8}>
            <Card size="small" title={t('pop.map.figures')}>
              {panel}
            </Card>
          </Col>
        </Row>
      )}
      <UploadMapModal open={uploadOpen} onClose={() => setUploadOpen(false)} />
    </div>
  );
}

/**
 * Where the surveyed map comes from: GeoJSON in GCJ-02 (火星坐标, as 高德/腾讯 maps give), one polygon
 * per grid naming it by code; the current map (schematic or uploaded) downloads as a template.
 */
function SurveyedMapCard({ data, canUpload, onUpload }: { data: GridMap; canUpload: boolean; onUpload: () => void }) {
  const { t } = useI18n();
  const download = () => {
    const blob = new Blob([JSON.stringify(data.geojson, null, 1)], { type: 'application/geo+json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = data.source === 'schematic' ? 'grids-schematic.geojson' : 'grids.geojson';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Card size="small" style={{ marginTop: 16 }} title={t('pop.map.surveyedTitle')} data-testid="map-surveyed">
      <Space direction="vertical" size={8} style={{ width: '100%' }}>
        <Typography.Text>{t(data.source === 'uploaded' ? 'pop.map.surveyedHave' : 'pop.map.surveyedNone')}</Typography.Text>
        {canUpload ? (
          <>
            <ul className="pop-map-format">
              <li>{t('pop.map.format.file')}</li>
              <li>{t('pop.map.format.crs')}</li>
              <li>{t('pop.map.format.grid')}</li>
            </ul>
            <Space wrap>
              <Button type="primary" icon={<UploadOutlined />} onClick={onUpload} data-testid="map-upload-inline">
                {t('pop.map.upload')}
              </Button>
              <Button icon={<DownloadOutlined />} onClick={download} data-testid="map-template">
                {t(data.source === 'schematic' ? 'pop.map.downloadSchematic' : 'pop.map.downloadCurrent')}
              </Button>
            </Space>
          </>
        ) : (
          <Typography.Text type="secondary">{t('pop.map.askUploader')}</Typography.Text>
        )}
      </Space>
    </Card>
  );
}

function UploadMapModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ note?: string }>();
  const [geojson, setGeojson] = useState<{ name: string; data: Record<string, unknown>; features: number } | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const save = useFormMutation(form, {
    mutationFn: (v: { note?: string }) => api.post<{ id: string; features: number }>(popPath('/map'), { geojson: geojson!.data, note: v.note?.trim() || undefined }),
    success: t('pop.map.uploaded'),
    invalidate: [['population', 'map']],
    onDone: () => {
      setGeojson(null);
      onClose();
    },
  });
  return (
    <Modal
      open={open}
      title={t('pop.map.upload')}
      onCancel={onClose}
      onOk={() => (geojson ? form.submit() : setParseError(t('pop.map.chooseFile')))}
      okText={t('pop.map.uploadSubmit')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('pop.map.uploadHint')}</Typography.Paragraph>
      <Upload.Dragger
        accept=".geojson,.json,application/geo+json,application/json"
        maxCount={1}
        showUploadList={false}
        beforeUpload={(file) => {
          setParseError(null);
          file
            .text()
            .then((text) => {
              const data = JSON.parse(text) as Record<string, unknown>;
              const n = Array.isArray(data.features) ? data.features.length : 0;
              if (data.type !== 'FeatureCollection' || n === 0) throw new Error(t('pop.map.notCollection'));
              setGeojson({ name: file.name, data, features: n });
            })
            .catch((e: unknown) => {
              setGeojson(null);
              setParseError(e instanceof Error ? e.message : String(e));
            });
          return false;
        }}
      >
        <p className="ant-upload-drag-icon">
          <InboxOutlined />
        </p>
        <p>{geojson ? t('pop.map.fileChosen', { name: geojson.name, n: geojson.features }) : t('pop.map.drop')}</p>
      </Upload.Dragger>
      {parseError && <Alert type="error" showIcon style={{ marginTop: 12 }} message={parseError} />}
      <Form form={form} layout="vertical" style={{ marginTop: 12 }} onFinish={(v) => save.mutate(v)}>
        <Form.Item name="note" label={t('pop.map.note')}>
          <Input maxLength={200} placeholder={t('pop.map.notePlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
