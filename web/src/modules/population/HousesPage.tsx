import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Input, List, Pagination, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { LoadError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { popPath, useMyGrids, type House } from './api';
import { groupGrids, HouseDrawer, HouseModal, PatrolModal, type PatrolTarget } from './components';
import './population.css';

const PAGE_SIZE = 20;

/** 房屋 — houses and rentals of the grid: add a house, open it for residents, tenancies and patrols. */
export default function HousesPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const { grids } = useMyGrids();
  const [params, setParams] = useSearchParams();
  const gridId = params.get('gridId') ?? (grids.length === 1 ? grids[0].id : undefined);
  const rental = params.get('rental') ?? 'all';
  const q = params.get('q') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const openId = params.get('house');
  const [search, setSearch] = useState(q);
  const [adding, setAdding] = useState(false);
  const [patrol, setPatrol] = useState<PatrolTarget | null>(null);
  const set = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };
  const list = useQuery({
    queryKey: ['population', 'houses', gridId, rental, q, page],
    queryFn: ({ signal }) =>
      api.get<Page<House>>(popPath('/houses'), { gridId, rental: rental === 'all' ? undefined : rental === 'yes', q: q || undefined, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const items = list.data?.items ?? [];
  const patrolButton = (h: House) =>
    h.rental && can('patrol:grid') ? (
      <Button
        size={isMobile ? 'middle' : 'small'}
        onClick={(e) => {
          e.stopPropagation();
          setPatrol({ level: 'grid', targetUnitId: h.gridId, targetName: h.gridName, houseId: h.id, address: h.address });
        }}
      >
        {t('pop.patrol.record')}
      </Button>
    ) : null;

  return (
    <div className="page pop-narrow" data-testid="houses-page">
      <PageHeader
        title={t('pop.houses.title')}
        extra={
          can('person:write') ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="house-new">
              {t('pop.house.new')}
            </Button>
          ) : null
        }
      />
      <Card size="small">
        <Space wrap style={{ width: '100%' }}>
          {grids.length > 1 && (
            <Select allowClear showSearch optionFilterProp="label" placeholder={t('pop.grid')} style={{ minWidth: 200 }} value={gridId} onChange={(v) => set({ gridId: v ?? null, page: null })} options={groupGrids(grids)} />
          )}
          <Segmented
            value={rental}
            onChange={(v) => set({ rental: v === 'all' ? null : String(v), page: null })}
            options={[
              { value: 'all', label: t('pop.houses.all') },
              { value: 'yes', label: t('pop.house.rentalYes') },
              { value: 'no', label: t('pop.house.rentalNo') },
            ]}
          />
          <Input.Search allowClear value={search} onChange={(e) => setSearch(e.target.value)} onSearch={(v) => set({ q: v.trim() || null, page: null })} placeholder={t('pop.houses.search')} style={{ width: isMobile ? '100%' : 280 }} />
        </Space>
      </Card>
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : isMobile ? (
        <>
          <List
            loading={list.isFetching}
            dataSource={items}
            locale={{ emptyText: <Empty description={t('pop.houses.empty')} /> }}
            renderItem={(h) => (
              <List.Item style={{ padding: '4px 0', border: 'none' }}>
                <Card size="small" className="pop-person-card" onClick={() => set({ house: h.id })}>
                  <div className="pop-person-line">
                    <span className="pop-person-name">{h.address}</span>
                    {h.rental ? <Tag color="orange">{t('pop.house.rentalYes')}</Tag> : <Tag>{t('pop.house.rentalNo')}</Tag>}
                  </div>
                  <Typography.Text type="secondary">
                    {h.ownerName} · {t('pop.houses.residentsN', { n: h.residents ?? 0 })}
                  </Typography.Text>
                  <div className="pop-person-line">
                    <Typography.Text type="secondary">{h.lastPatrolledOn ? t('pop.patrol.last', { date: fmtDate(h.lastPatrolledOn) }) : h.rental ? t('pop.patrol.never') : ''}</Typography.Text>
                    {patrolButton(h)}
                  </div>
                </Card>
              </List.Item>
            )}
          />
          {(list.data?.total ?? 0) > PAGE_SIZE && (
            <Pagination simple current={page} pageSize={PAGE_SIZE} total={list.data?.total ?? 0} onChange={(p) => set({ page: String(p) })} style={{ textAlign: 'center' }} />
          )}
        </>
      ) : (
        <Table<House>
          rowKey="id"
          size="middle"
          loading={list.isFetching}
          dataSource={items}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('pop.houses.empty') }}
          onRow={(h) => ({ onClick: () => set({ house: h.id }), style: { cursor: 'pointer' } })}
          pagination={{ current: page, pageSize: PAGE_SIZE, total: list.data?.total ?? 0, showSizeChanger: false, showTotal: (total) => t('common.total', { total }), onChange: (p) => set({ page: String(p) }) }}
          columns={[
            {
              title: t('pop.house.address'),
              key: 'addr',
              render: (_, h) =>
                [h.address, h.building && `${h.building}${t('pop.house.buildingSuffix')}`, h.unitNo && `${h.unitNo}${t('pop.house.unitSuffix')}`, h.room && `${h.room}${t('pop.house.roomSuffix')}`]
                  .filter(Boolean)
                  .join(' '),
            },
            { title: t('pop.grid'), dataIndex: 'gridName' },
            { title: t('pop.house.ownerName'), dataIndex: 'ownerName' },
            { title: t('pop.house.rental'), dataIndex: 'rental', render: (v: boolean) => (v ? <Tag color="orange">{t('pop.house.rentalYes')}</Tag> : <Tag>{t('pop.house.rentalNo')}</Tag>) },
            { title: t('pop.house.residents'), dataIndex: 'residents', align: 'right' },
            { title: t('pop.patrol.lastOn'), dataIndex: 'lastPatrolledOn', render: (v: string | null, h) => (v ? fmtDate(v) : h.rental ? <Typography.Text type="secondary">{t('pop.patrol.never')}</Typography.Text> : '') },
            ...(can('patrol:grid') ? [{ title: t('common.actions'), key: 'a', render: (_: unknown, h: House) => patrolButton(h) }] : []),
          ]}
        />
      )}
      <HouseModal open={adding} grids={gridId ? grids.filter((g) => g.id === gridId) : grids} onClose={() => setAdding(false)} onCreated={(h) => set({ house: h.id })} />
      <HouseDrawer id={openId} onClose={() => set({ house: null })} />
      <PatrolModal target={patrol} onClose={() => setPatrol(null)} />
    </div>
  );
}
