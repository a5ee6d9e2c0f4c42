import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Breadcrumb, Card, Col, Progress, Row, Skeleton, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { WarningOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { KindTag } from '../../app/ui/KindTag';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, fmtInt, fmtPercent } from '../../app/ui/format';
import { ancestorsOf } from '../org/orgTree';
import { StaffingCard } from './StaffingCard';
import { popPath, useMyGrids, useOrgIndexFlat, type Stats, type StatsUnit } from './api';
import './population.css';

type Figure = 'migrants' | 'houses' | 'rentals' | 'employers';
const FIGURES: Figure[] = ['migrants', 'houses', 'rentals', 'employers'];

export function ClassificationTag({ unit }: { unit: Pick<StatsUnit, 'classification' | 'keyReason'> }) {
  const { t } = useI18n();
  if (!unit.classification) return null;
  const tag = (
    <Tag color={unit.classification === 'key' ? 'volcano' : 'default'} data-testid="stats-classification" data-value={unit.classification}>
      {t(unit.classification === 'key' ? 'class.key' : 'class.regular')}
    </Tag>
  );
  return unit.keyReason ? <Tooltip title={`${t('class.reason')}${t('pop.colon')}${unit.keyReason}`}>{tag}</Tooltip> : tag;
}

/** Statistics street → community → grid: the survey snapshot beside live counts, classification and flags. */
export default function StatsPage() {
  const { t, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const unitId = params.get('unit') ?? undefined;
  const index = useOrgIndexFlat();
  const { roots } = useMyGrids();
  const q = useQuery({
    queryKey: ['population', 'stats', unitId ?? 'default'],
    queryFn: ({ signal }) => api.get<Stats>(popPath('/stats'), { orgUnitId: unitId }, signal),
    placeholderData: keepPreviousData,
  });
  const s = q.data;
  const crumbs = useMemo(() => {
    if (!s) return [];
    const ids = [...ancestorsOf(roots, s.orgUnitId), s.orgUnitId];
    return ids.map((id) => index.get(id)).filter((n) => n && ['street', 'community', 'grid'].includes(n.kind));
  }, [s, roots, index]);
  const drill = (id: string) => setParams({ unit: id });

  if (q.isLoading) return <Skeleton active />;
  if (q.error || !s) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;

  const n = (v: number | null | undefined) => fmtInt(v, locale);
  const figureRows = [
    { key: 'residents', label: t('survey.residents'), survey: s.survey?.residents ?? null, live: null as number | null },
    ...FIGURES.map((f) => ({ key: f, label: t(`survey.${f}`), survey: s.survey?.[f] ?? null, live: s.live[f] })),
    { key: 'shops', label: t('survey.shops'), survey: s.survey?.shops ?? null, live: null as number | null },
  ];

  return (
    <div className="page" data-testid="stats-page">
      <PageHeader title={t('pop.stats.title')} extra={<Typography.Text type="secondary">{t('pop.stats.asOf', { date: fmtDate(s.asOf) })}</Typography.Text>} />
      <Breadcrumb
        items={crumbs.map((c, i) => ({
          key: c!.id,
          title: i < crumbs.length - 1 ? <Typography.Link onClick={() => drill(c!.id)}>{c!.name}</Typography.Link> : c!.name,
        }))}
      />
      <Card
        title={
          <Space wrap size={4}>
            <KindTag kind={s.kind} />
            <span data-testid="stats-unit-name">{s.name}</span>
            <ClassificationTag unit={s} />
          </Space>
        }
        extra={s.survey ? <Typography.Text type="secondary">{t('org.surveyAsOf', { date: fmtDate(s.survey.asOf) })}</Typography.Text> : null}
        loading={q.isFetching && q.isPlaceholderData}
      >
        {s.keyReason && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${t('class.key')} · ${t('class.reason')}${t('pop.colon')}${s.keyReason}`} />}
        {s.flags.length > 0 && (
          <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }} data-testid="stats-flags">
            {s.flags.map((f) => (
              <Alert key={f.code + f.message} type="warning" showIcon message={f.message} />
            ))}
          </Space>
        )}
        <Row gutter={[24, 16]}>
          <Col xs={24} lg={14}>
            <Table
              className="pop-figure-table"
              size="small"
              rowKey="key"
              pagination={false}
              dataSource={figureRows}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('pop.stats.figure'), dataIndex: 'label' },
                { title: t('pop.stats.survey'), dataIndex: 'survey', align: 'right', render: (v: number | null, r) => <span data-testid={`stats-survey-${r.key}`}>{n(v)}</span> },
                {
                  title: t('pop.stats.live'),
                  dataIndex: 'live',
                  align: 'right',
                  render: (v: number | null, r) => (v === null ? <Typography.Text type="secondary">—</Typography.Text> : <strong data-testid={`stats-live-${r.key}`}>{n(v)}</strong>),
                },
                {
                  title: t('pop.stats.coverage'),
                  key: 'cov',
                  render: (_, r) =>
                    r.live === null || !r.survey ? (
                      <Typography.Text type="secondary">—</Typography.Text>
                    ) : (
                      <Progress percent={Math.min(100, Math.round((r.live / r.survey) * 1000) / 10)} size="small" style={{ width: 140, margin: 0 }} format={() => fmtPercent(r.live! / r.survey!)} />
                    ),
                },
              ]}
            />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('pop.stats.liveHint')}
            </Typography.Text>
          </Col>
          <Col xs={24} lg={10}>
            <div style={{ marginBottom: 12 }}>
              <Typography.Text>{t('ratio.migrantShare')}</Typography.Text>
              <Progress percent={s.ratios?.migrantShare == null ? 0 : Math.round(s.ratios.migrantShare * 1000) / 10} format={() => fmtPercent(s.ratios?.migrantShare)} />
              <div className="ratio-formula">{t('ratio.migrantFormula')}</div>
            </div>
            <div>
              <Typography.Text>{t('ratio.rentalShare')}</Typography.Text>
              <Progress percent={s.ratios?.rentalShare == null ? 0 : Math.round(s.ratios.rentalShare * 1000) / 10} format={() => fmtPercent(s.ratios?.rentalShare)} strokeColor="#d48806" />
              <div className="ratio-formula">{t('ratio.rentalFormula')}</div>
            </div>
            {s.kind === 'grid' && (
              <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 12 }}>
                {t('pop.stats.classRule')}
              </Typography.Paragraph>
            )}
          </Col>
        </Row>
      </Card>

      <StaffingCard unitId={s.orgUnitId} kind={s.kind} />

      {s.children.length > 0 && (
        <Card title={t(s.kind === 'street' ? 'pop.stats.communities' : 'pop.stats.grids')} extra={<Typography.Text type="secondary">{t('pop.stats.drillHint')}</Typography.Text>}>
          <Table<StatsUnit>
            rowKey="orgUnitId"
            size="middle"
            pagination={false}
            dataSource={s.children}
            scroll={{ x: 'max-content' }}
            rowClassName={() => 'pop-child-row'}
            onRow={(r) => ({ onClick: () => drill(r.orgUnitId), 'data-testid': 'stats-child', 'data-name': r.name }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              {
                title: t('org.name'),
                dataIndex: 'name',
                fixed: 'left',
                render: (v: string, r) => (
                  <Space size={4}>
                    <Typography.Link>{v}</Typography.Link>
                    {r.flags.length > 0 && (
                      <Tooltip title={<ul style={{ paddingLeft: 16, margin: 0 }}>{r.flags.map((f) => <li key={f.code + f.message}>{f.message}</li>)}</ul>}>
                        <WarningOutlined style={{ color: '#d48806' }} data-testid="stats-child-flag" />
                      </Tooltip>
                    )}
                  </Space>
                ),
              },
              ...(s.kind === 'community' ? [{ title: t('org.classification'), key: 'class', render: (_: unknown, r: StatsUnit) => <ClassificationTag unit={r} /> }] : []),
              { title: t('pop.stats.migrantsSurvey'), key: 'ms', align: 'right' as const, render: (_: unknown, r: StatsUnit) => n(r.survey?.migrants) },
              { title: t('pop.stats.migrantsLive'), key: 'ml', align: 'right' as const, render: (_: unknown, r: StatsUnit) => <strong>{n(r.live.migrants)}</strong> },
              { title: t('pop.stats.rentalsSurvey'), key: 'rs', align: 'right' as const, render: (_: unknown, r: StatsUnit) => n(r.survey?.rentals) },
              { title: t('pop.stats.rentalsLive'), key: 'rl', align: 'right' as const, render: (_: unknown, r: StatsUnit) => <strong>{n(r.live.rentals)}</strong> },
              { title: t('pop.stats.housesLive'), key: 'hl', align: 'right' as const, render: (_: unknown, r: StatsUnit) => n(r.live.houses) },
              { title: t('pop.stats.migrantShare'), key: 'mr', align: 'right' as const, render: (_: unknown, r: StatsUnit) => fmtPercent(r.ratios?.migrantShare) },
              { title: t('pop.stats.rentalShare'), key: 'rr', align: 'right' as const, render: (_: unknown, r: StatsUnit) => fmtPercent(r.ratios?.rentalShare) },
            ]}
          />
        </Card>
      )}
    </div>
  );
}
