import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Col, Row, Segmented, Space, Statistic, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { LoadError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { popPath, type DuePatrol, type DueResponse, type Patrol, type PatrolLevel } from './api';
import { DueStatusTag, PatrolModal, type PatrolTarget } from './components';
import './population.css';

const LEVELS: PatrolLevel[] = ['street', 'station', 'grid'];
const LEVEL_COLORS: Record<PatrolLevel, string> = { street: 'red', station: 'blue', grid: 'green' };

export function LevelTag({ level }: { level: PatrolLevel }) {
  const { t } = useI18n();
  return <Tag color={LEVEL_COLORS[level]}>{t(`pop.patrol.level.${level}`)}</Tag>;
}

/** 三级巡查 — patrols due and overdue at the three levels; stations and 流管办 record theirs here. */
export default function PatrolsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const [params, setParams] = useSearchParams();
  const mine: PatrolLevel | undefined = can('patrol:street') ? 'street' : can('patrol:station') ? 'station' : undefined;
  const level = (params.get('level') ?? mine ?? 'all') as PatrolLevel | 'all';
  const overdueOnly = params.get('overdue') ? params.get('overdue') === '1' : can('patrol:street');
  const tab = params.get('tab') ?? 'due';
  const page = Number(params.get('page') ?? '1') || 1;
  const [target, setTarget] = useState<PatrolTarget | null>(null);
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };

  const summary = useQuery({
    queryKey: ['population', 'due', 'summary'],
    queryFn: ({ signal }) => api.get<DueResponse>(popPath('/patrols/due'), { overdueOnly: true }, signal),
  });
  const due = useQuery({
    queryKey: ['population', 'due', level, overdueOnly],
    queryFn: ({ signal }) => api.get<DueResponse>(popPath('/patrols/due'), { level: level === 'all' ? undefined : level, overdueOnly: overdueOnly || undefined }, signal),
    placeholderData: keepPreviousData,
    enabled: tab === 'due',
  });
  const history = useQuery({
    queryKey: ['population', 'patrols', level, page],
    queryFn: ({ signal }) => api.get<Page<Patrol>>(popPath('/patrols'), { level: level === 'all' ? undefined : level, page, pageSize: 20 }, signal),
    placeholderData: keepPreviousData,
    enabled: tab === 'history',
  });
  const mayRecord = (l: PatrolLevel) => can(`patrol:${l}`);
  const intervals = summary.data?.intervals ?? due.data?.intervals;

  return (
    <div className="page" data-testid="patrols-page">
      <PageHeader title={t('pop.patrols.title')} />
      <Row gutter={[12, 12]}>
        {LEVELS.map((l) => {
          const n = summary.data?.items.filter((i) => i.level === l).length ?? 0;
          return (
            <Col xs={24} sm={8} key={l}>
              <Card size="small" hoverable onClick={() => set({ level: l, overdue: '1', tab: null })} data-testid={`overdue-${l}`} data-value={n}>
                <Statistic
                  title={
                    <Space size={4}>
                      <LevelTag level={l} />
                      {intervals ? t('pop.patrols.every', { n: intervals[l] }) : null}
                    </Space>
                  }
                  value={summary.isLoading ? '…' : n}
                  suffix={t('pop.patrols.overdueSuffix')}
                  valueStyle={{ color: n > 0 ? '#cf1322' : '#389e0d' }}
                />
              </Card>
            </Col>
          );
        })}
      </Row>
      <Tabs
        activeKey={tab}
        onChange={(k) => set({ tab: k === 'due' ? null : k, page: null })}
        items={[
          { key: 'due', label: t('pop.patrols.tabDue') },
          { key: 'history', label: t('pop.patrols.tabHistory') },
        ]}
        tabBarExtraContent={
          isMobile ? undefined : (
            <Segmented
              value={level}
              onChange={(v) => set({ level: String(v), page: null })}
              options={[{ value: 'all', label: t('pop.patrols.allLevels') }, ...LEVELS.map((l) => ({ value: l, label: t(`pop.patrol.level.${l}`) }))]}
            />
          )
        }
      />
      {isMobile && (
        <Segmented
          block
          value={level}
          onChange={(v) => set({ level: String(v), page: null })}
          options={[{ value: 'all', label: t('pop.patrols.allLevels') }, ...LEVELS.map((l) => ({ value: l, label: t(`pop.patrol.levelShort.${l}`) }))]}
        />
      )}
      {tab === 'due' ? (
        <>
          <Space>
            <Switch checked={overdueOnly} onChange={(v) => set({ overdue: v ? '1' : '0' })} data-testid="overdue-only" />
            <span>{t('pop.patrols.overdueOnly')}</span>
            {due.data && <Typography.Text type="secondary">{t('common.total', { total: due.data.total })}</Typography.Text>}
          </Space>
          {due.error ? (
            <LoadError error={due.error} onRetry={() => void due.refetch()} />
          ) : (
            <Table<DuePatrol>
              rowKey={(r) => `${r.level}-${r.targetUnitId}-${r.houseId ?? ''}`}
              size="middle"
              loading={due.isFetching}
              dataSource={due.data?.items ?? []}
              scroll={{ x: 'max-content' }}
              locale={{ emptyText: t(overdueOnly ? 'pop.patrols.noOverdue' : 'pop.patrols.none') }}
              pagination={{ pageSize: 20, showSizeChanger: false, showTotal: (total) => t('common.total', { total }) }}
              rowClassName={(r) => (r.overdue ? 'row-late' : '')}
              columns={[
                { title: t('pop.patrol.levelLabel'), dataIndex: 'level', render: (l: PatrolLevel) => <LevelTag level={l} /> },
                {
                  title: t('pop.patrol.target'),
                  key: 'target',
                  render: (_, r) =>
                    r.level === 'grid' ? (
                      <Space direction="vertical" size={0}>
                        <span>{r.address}</span>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {r.targetName}
                        </Typography.Text>
                      </Space>
                    ) : (
                      r.targetName
                    ),
                },
                {
                  title: t('pop.patrol.lastOn'),
                  dataIndex: 'lastPatrolledOn',
                  render: (v: string | null, r) =>
                    v ? (
                      fmtDate(v)
                    ) : (
                      <Space direction="vertical" size={0}>
                        <Typography.Text type="secondary">{t('pop.patrol.never')}</Typography.Text>
                        {r.since && (
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {t('pop.patrol.since', { date: fmtDate(r.since) })}
                          </Typography.Text>
                        )}
                      </Space>
                    ),
                },
                { title: t('pop.patrol.dueOnLabel'), dataIndex: 'dueOn', render: (v: string) => fmtDate(v) },
                {
                  title: t('pop.patrol.status'),
                  key: 's',
                  render: (_, r) => <DueStatusTag d={r} />,
                },
                {
                  title: t('common.actions'),
                  key: 'a',
                  render: (_, r) =>
                    mayRecord(r.level) ? (
                      <Button
                        size="small"
                        type={r.overdue ? 'primary' : 'default'}
                        onClick={() => setTarget({ level: r.level, targetUnitId: r.targetUnitId, targetName: r.targetName, houseId: r.houseId, address: r.address })}
                        data-testid="patrol-record"
                      >
                        {t('pop.patrol.record')}
                      </Button>
                    ) : null,
                },
              ]}
            />
          )}
        </>
      ) : history.error ? (
        <LoadError error={history.error} onRetry={() => void history.refetch()} />
      ) : (
        <Table<Patrol>
          rowKey="id"
          size="middle"
          loading={history.isFetching}
          dataSource={history.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('pop.patrols.noHistory') }}
          pagination={{ current: page, pageSize: 20, total: history.data?.total ?? 0, showSizeChanger: false, showTotal: (total) => t('common.total', { total }), onChange: (p) => set({ page: String(p) }) }}
          columns={[
            { title: t('pop.patrol.date'), dataIndex: 'patrolledOn', render: (v: string) => fmtDate(v) },
            { title: t('pop.patrol.levelLabel'), dataIndex: 'level', render: (l: PatrolLevel) => <LevelTag level={l} /> },
            { title: t('pop.patrol.target'), key: 't', render: (_, r) => (r.address ? `${r.address} · ${r.targetName ?? ''}` : r.targetName) },
            { title: t('pop.patrol.patroller'), dataIndex: 'patrollerName' },
            { title: t('pop.patrol.checked'), dataIndex: 'checked', width: 220 },
            { title: t('pop.patrol.findings'), dataIndex: 'findings', width: 280 },
            { title: t('pop.patrol.found'), key: 'f', render: (_, r) => t('pop.patrol.foundShort', { a: r.arrivalsFound, d: r.departuresFound }) },
          ]}
        />
      )}
      <PatrolModal target={target} onClose={() => setTarget(null)} />
    </div>
  );
}
