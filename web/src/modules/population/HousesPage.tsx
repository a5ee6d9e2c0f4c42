import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Input, Segmented, Space, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { QueryTable } from '../../app/ui/QueryTable';
import { useUrlState } from '../../app/ui/useUrlState';
import { popPath, useMyGrids, type House } from './api';
import { HouseDrawer, HouseModal, PatrolModal, type PatrolTarget } from './components';
import { GridFilter, NewButton } from './lists';
import './population.css';

const PAGE_SIZE = 20;

/** 房屋 — houses and rentals of the grid: add a house, open it for residents, tenancies and patrols. */
export default function HousesPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const { grids } = useMyGrids();
  const [params, set] = useUrlState();
  const gridId = params.get('gridId') ?? (grids.length === 1 ? grids[0].id : undefined);
  const rental = params.get('rental') ?? 'all';
  const q = params.get('q') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const openId = params.get('house');
  const [search, setSearch] = useState(q);
  const [adding, setAdding] = useState(false);
  const [patrol, setPatrol] = useState<PatrolTarget | null>(null);
  const list = useQuery({
    queryKey: ['population', 'houses', gridId, rental, q, page],
    queryFn: ({ signal }) =>
      api.get<Page<House>>(popPath('/houses'), { gridId, rental: rental === 'all' ? undefined : rental === 'yes', q: q || undefined, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const items = list.data?.items ?? [];
  const paging = { page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p: number) => set({ page: String(p) }) };
  const patrolButton = (h: House) =>
    h.rental && can('patrol:grid') ? (
      <Button
        size={isMobile ? 'middle' : 'small'}
        onClick={(e) => {
          e.stopPropagation();
          setPatrol({ level: 'grid', targetUnitId: h.gridId, targetName: h.gridName, houseId: h.id, address: h.fullAddress });
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
          <NewButton allowed={can('person:write')} onClick={() => setAdding(true)} testId="house-new">
            {t('pop.house.new')}
          </NewButton>
        }
      />
      <Card size="small">
        <Space wrap style={{ width: '100%' }}>
          <GridFilter grids={grids} value={gridId} onChange={(v) => set({ gridId: v, page: null })} />
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
      <QueryTable<House>
        query={list}
        cards={{
          empty: t('pop.houses.empty'),
          card: (h) => (
            <Card size="small" className="pop-person-card" onClick={() => set({ house: h.id })}>
              <div className="pop-person-line">
                <span className="pop-person-name" data-testid="house-address-line">{h.fullAddress}</span>
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
          ),
        }}
        dataSource={items}
        locale={{ emptyText: t('pop.houses.empty') }}
        onRow={(h) => ({ onClick: () => set({ house: h.id }), style: { cursor: 'pointer' } })}
        paging={paging}
        columns={[
          {
            title: t('pop.house.address'),
            key: 'addr',
            render: (_, h) => <span data-testid="house-address-line">{h.fullAddress}</span>,
          },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.house.ownerName'), dataIndex: 'ownerName' },
          { title: t('pop.house.rental'), dataIndex: 'rental', render: (v: boolean) => (v ? <Tag color="orange">{t('pop.house.rentalYes')}</Tag> : <Tag>{t('pop.house.rentalNo')}</Tag>) },
          { title: t('pop.house.residents'), dataIndex: 'residents', align: 'right' },
          { title: t('pop.patrol.lastOn'), dataIndex: 'lastPatrolledOn', render: (v: string | null, h) => (v ? fmtDate(v) : h.rental ? <Typography.Text type="secondary">{t('pop.patrol.never')}</Typography.Text> : '') },
          ...(can('patrol:grid') ? [{ title: t('common.actions'), key: 'a', render: (_: unknown, h: House) => patrolButton(h) }] : []),
        ]}
      />
      <HouseModal open={adding} grids={gridId ? grids.filter((g) => g.id === gridId) : grids} onClose={() => setAdding(false)} onCreated={(h) => set({ house: h.id })} />
      <HouseDrawer id={openId} onClose={() => set({ house: null })} />
      <PatrolModal target={patrol} onClose={() => setPatrol(null)} />
    </div>
  );
}
