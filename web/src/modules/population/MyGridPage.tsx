import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, Button, Card, DatePicker, Empty, Form, Input, List, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { AlertOutlined, HomeOutlined, LogoutOutlined, SafetyCertificateOutlined, UserAddOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth, useUser } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { fmtDate, fmtDateTime, officeToday } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { popPath, useMyGrids, type DueResponse, type Move, type RecordsPage, type ReviewRecord, type WorkCounter } from './api';
import { DueStatusTag, HouseModal, KindLabel, monthDayjs, PatrolModal, thisMonth, type PatrolTarget } from './components';
import './population.css';

/** 我的网格 — the grid worker's phone home: this month's counters, rentals due for patrol, returns, moves out. */
export default function MyGridPage() {
  const { t } = useI18n();
  const user = useUser();
  const { can } = useAuth();
  const navigate = useNavigate();
  const isMobile = useIsMobile();
  const { grids, loading } = useMyGrids();
  const [gridId, setGridId] = useState<string | null>(null);
  const grid = grids.find((g) => g.id === gridId) ?? grids[0];
  const [month, setMonth] = useState(thisMonth());
  const [patrol, setPatrol] = useState<PatrolTarget | null>(null);
  const [houseOpen, setHouseOpen] = useState(false);
  const [resubmit, setResubmit] = useState<ReviewRecord | null>(null);

  const counters = useQuery({
    queryKey: ['population', 'work-counters', month],
    queryFn: ({ signal }) => api.get<{ month: string; items: WorkCounter[] }>(popPath('/work-counters'), { month }, signal),
  });
  const due = useQuery({
    queryKey: ['population', 'due', 'grid', grid?.id],
    queryFn: ({ signal }) => api.get<DueResponse>(popPath('/patrols/due'), { level: 'grid', gridId: grid?.id }, signal),
    enabled: !!grid,
  });
  const returned = useQuery({
    queryKey: ['population', 'records', 'returned', grid?.id],
    queryFn: ({ signal }) => api.get<RecordsPage>(popPath('/records'), { status: 'returned', gridId: grid?.id, pageSize: 50 }, signal),
    enabled: !!grid,
  });
  const outgoing = useQuery({
    queryKey: ['population', 'moves', 'outgoing'],
    queryFn: ({ signal }) => api.get<{ items: Move[]; total: number }>(popPath('/moves'), { box: 'outgoing', pageSize: 20 }, signal),
  });
  const incoming = useQuery({
    queryKey: ['population', 'moves', 'incoming'],
    queryFn: ({ signal }) => api.get<{ items: Move[]; total: number }>(popPath('/moves'), { box: 'incoming', status: 'pending', pageSize: 20 }, signal),
  });

  if (loading) return <Skeleton active />;
  if (!grid) return <Alert type="warning" showIcon message={t('pop.noGrid')} />;

  const mine = counters.data?.items.filter((c) => c.userId === user.id) ?? [];
  const sum = (k: 'collected' | 'entered' | 'passed') => mine.reduce((a, c) => a + c[k], 0);
  const dueItems = due.data?.items ?? [];
  const overdue = dueItems.filter((d) => d.overdue).length;

  return (
    <div className="page pop-narrow" data-testid="my-grid-page">
      <Card className="pop-hero" size="small">
        <div className="pop-hero-row">
          <div>
            <div className="pop-hero-title" data-testid="my-grid-name">
              {grid.name}
            </div>
            <Typography.Text type="secondary">{grid.communityName}</Typography.Text>
          </div>
          {grids.length > 1 && (
            <Select size="small" value={grid.id} onChange={setGridId} options={grids.map((g) => ({ value: g.id, label: g.name }))} style={{ minWidth: 140 }} />
          )}
        </div>
        <div className="pop-month">
          <Typography.Text type="secondary">{t('pop.my.counters')}</Typography.Text>
          <DatePicker
            picker="month"
            size="small"
            allowClear={false}
            inputReadOnly
            value={monthDayjs(month)}
            disabledDate={(d) => d.isAfter(officeToday(), 'month')}
            onChange={(d) => d && setMonth(d.format('YYYY-MM'))}
            data-testid="counters-month"
          />
        </div>
        {counters.error ? (
          <LoadError error={counters.error} onRetry={() => void counters.refetch()} />
        ) : (
          <div className="pop-counters" data-testid="work-counters">
            {(['collected', 'entered', 'passed'] as const).map((k) => (
              <div className={`pop-counter pop-counter-${k}`} key={k} data-testid={`counter-${k}`} data-value={sum(k)}>
                <div className="pop-counter-value">{counters.isLoading ? '…' : sum(k)}</div>
                <div className="pop-counter-label">{t(`pop.counter.${k}`)}</div>
              </div>
            ))}
          </div>
        )}
      </Card>

      <div className="pop-tiles">
        {can('person:write') && (
          <button type="button" className="pop-tile pop-tile-primary" onClick={() => navigate('/population/register')} data-testid="tile-register">
            <UserAddOutlined />
            <span>{t('pop.my.register')}</span>
          </button>
        )}
        <button type="button" className="pop-tile" onClick={() => navigate(`/population/persons?gridId=${grid.id}&status=active`)} data-testid="tile-depart">
          <LogoutOutlined />
          <span>{t('pop.my.depart')}</span>
        </button>
        {can('person:write') && (
          <button type="button" className="pop-tile" onClick={() => setHouseOpen(true)} data-testid="tile-house">
            <HomeOutlined />
            <span>{t('pop.my.addHouse')}</span>
          </button>
        )}
        {can('incident:report') && (
          <button type="button" className="pop-tile" onClick={() => navigate('/population/incidents?new=1')} data-testid="tile-incident">
            <AlertOutlined />
            <span>{t('pop.my.incident')}</span>
          </button>
        )}
      </div>

      <Card
        size="small"
        title={
          <Space>
            <SafetyCertificateOutlined />
            {t('pop.my.due')}
            {overdue > 0 && <Badge count={t('pop.my.overdueCount', { n: overdue })} style={{ backgroundColor: '#cf1322' }} />}
          </Space>
        }
        extra={due.data ? <Typography.Text type="secondary">{t('pop.my.interval', { n: due.data.intervals.grid })}</Typography.Text> : null}
        data-testid="due-patrols"
      >
        {due.error ? (
          <LoadError error={due.error} onRetry={() => void due.refetch()} />
        ) : (
          <List
            loading={due.isLoading}
            dataSource={dueItems}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.my.noDue')} /> }}
            renderItem={(d) => (
              <List.Item
                className={d.overdue ? 'pop-overdue' : undefined}
                data-testid="due-item"
                actions={[
                  <Button
                    key="p"
                    type={d.overdue ? 'primary' : 'default'}
                    size={isMobile ? 'large' : 'middle'}
                    onClick={() => setPatrol({ level: 'grid', targetUnitId: d.targetUnitId, targetName: d.targetName, houseId: d.houseId, address: d.address })}
                  >
                    {t('pop.patrol.record')}
                  </Button>,
                ]}
              >
                <List.Item.Meta
                  title={d.address}
                  description={
                    <Space size={[8, 2]} wrap>
                      {d.neverPatrolled ? (
                        d.since && <span>{t('pop.patrol.since', { date: fmtDate(d.since) })}</span>
                      ) : (
                        <span>{t('pop.patrol.last', { date: fmtDate(d.lastPatrolledOn) })}</span>
                      )}
                      {d.neverPatrolled || d.overdue ? <DueStatusTag d={d} /> : <Tag>{t('pop.patrol.dueOn', { date: fmtDate(d.dueOn) })}</Tag>}
                    </Space>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>

      {(returned.data?.items.length ?? 0) > 0 && (
        <Card size="small" title={<span className="pop-danger-title">{t('pop.my.returned', { n: returned.data!.total })}</span>} data-testid="returned-records">
          <List
            dataSource={returned.data!.items}
            renderItem={(r) => (
              <List.Item
                actions={[
                  <Button key="r" size={isMobile ? 'large' : 'middle'} onClick={() => setResubmit(r)}>
                    {t('pop.record.resubmit')}
                  </Button>,
                ]}
              >
                <List.Item.Meta
                  title={
                    <Space size={6} wrap>
                      <KindLabel kind={r.kind} />
                      <span>{r.personName ?? r.address}</span>
                    </Space>
                  }
                  description={
                    <Typography.Text type="danger">
                      {t('pop.record.returnReasons')}{t('pop.colon')}{r.returnReasons}
                    </Typography.Text>
                  }
                />
              </List.Item>
            )}
          />
        </Card>
      )}

      <Card size="small" title={t('pop.my.moves')} data-testid="outgoing-moves">
        {outgoing.error ? (
          <LoadError error={outgoing.error} onRetry={() => void outgoing.refetch()} />
        ) : (
          <List
            loading={outgoing.isLoading || incoming.isLoading}
            dataSource={[...(incoming.data?.items ?? []).map((m) => ({ ...m, dir: 'in' as const })), ...(outgoing.data?.items ?? []).map((m) => ({ ...m, dir: 'out' as const }))]}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.my.noMoves')} /> }}
            renderItem={(m) => (
              <List.Item>
                <List.Item.Meta
                  title={
                    <Space size={6} wrap>
                      <span>{m.personName}</span>
                      <span className="mono">{m.idNumberMasked}</span>
                    </Space>
                  }
                  description={
                    <Space size={[8, 2]} wrap>
                      <Tag color={m.dir === 'in' ? 'blue' : 'purple'}>{t(m.dir === 'in' ? 'pop.move.in' : 'pop.move.out')}</Tag>
                      <span>
                        {m.fromGridName ?? t('pop.move.otherGrid')} → {m.toGridName ?? t('pop.move.otherGrid')}
                      </span>
                      <span>{t('pop.move.arrivedOn', { date: fmtDate(m.arrivedOn) })}</span>
                      <Tag color={m.status === 'pending' ? 'gold' : m.status === 'confirmed' ? 'green' : 'red'}>{t(`pop.move.status.${m.status}`)}</Tag>
                    </Space>
                  }
                />
              </List.Item>
            )}
          />
        )}
      </Card>

      <PatrolModal target={patrol} onClose={() => setPatrol(null)} />
      <HouseModal open={houseOpen} grids={[grid]} onClose={() => setHouseOpen(false)} />
      <ResubmitModal record={resubmit} onClose={() => setResubmit(null)} />
    </div>
  );
}

function ResubmitModal({ record, onClose }: { record: ReviewRecord | null; onClose: () => void }) {
  const { t } = useI18n();
  const { requiredText } = useRequiredRules();
  const [form] = Form.useForm<{ note: string }>();
  const save = useFormMutation(form, {
    mutationFn: (v: { note: string }) => api.post(popPath(`/records/${record!.id}/resubmit`), { note: v.note.trim() }),
    success: t('pop.record.resubmitted'),
    invalidate: [['population']],
    onDone: onClose,
  });
  return (
    <FormModal open={!!record} title={t('pop.record.resubmit')} form={form} save={save} onClose={onClose} okText={t('common.submit')}>
      {record && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          message={`${record.personName ?? record.address ?? ''} · ${fmtDateTime(record.reportedAt)}`}
          description={`${t('pop.record.returnReasons')}${t('pop.colon')}${record.returnReasons ?? ''}`}
        />
      )}
      <Form.Item name="note" label={t('pop.record.resubmitNote')} rules={requiredText(t('pop.record.resubmitNote'))}>
        <Input.TextArea rows={3} maxLength={500} placeholder={t('pop.record.resubmitPlaceholder')} />
      </Form.Item>
    </FormModal>
  );
}
