import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Form, Input, Row, Select, Space, Switch, Typography } from 'antd';
import { EyeOutlined, LogoutOutlined, SearchOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { QueryTable } from '../../app/ui/QueryTable';
import { useUrlState } from '../../app/ui/useUrlState';
import { popPath, useMyGrids, type Person } from './api';
import { DepartModal, groupGrids, PersonDrawer, PersonStatusTag, ReviewTag } from './components';
import { FilterHint } from './lists';
import './population.css';

const PAGE_SIZE = 20;
const FILTERS = ['idNumber', 'name', 'status', 'gridId', 'reviewStatus'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** 人员查询 — search by ID number / name / status / grid; masked IDs, reveal (audited) for person:reveal. */
export default function PersonsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const [params, update] = useUrlState();
  const { grids } = useMyGrids();
  const [form] = Form.useForm<Filters>();
  const filters: Filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v));
  const page = Number(params.get('page') ?? '1') || 1;
  const reveal = can('person:reveal') && params.get('reveal') === '1';
  const openId = params.get('person');
  const [depart, setDepart] = useState<Person | null>(null);

  useEffect(() => {
    form.setFieldsValue({ idNumber: undefined, name: undefined, status: undefined, gridId: undefined, reviewStatus: undefined, ...filters });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [params.toString()]);

  const list = useQuery({
    queryKey: ['population', 'persons', filters, page, reveal],
    queryFn: ({ signal }) => api.get<Page<Person> & { totalIsLowerBound?: boolean }>(popPath('/persons'), { ...filters, reveal: reveal || undefined, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });

  const search = (v: Filters) => update({ ...Object.fromEntries(FILTERS.map((k) => [k, v[k]?.toString().trim() || null])), page: null });

  const idCell = (p: Person) => <span className="mono" data-testid="person-id">{reveal ? (p.idNumber ?? p.idNumberMasked ?? '—') : (p.idNumberMasked ?? '—')}</span>;
  const items = list.data?.items ?? [];
  /** A narrow filter of a few choices. */
  const choice = (name: 'status' | 'reviewStatus', placeholder: string, options: { value: string; label: string }[]) => (
    <Col xs={12} sm={8} lg={3}>
      <Form.Item name={name} style={{ marginBottom: 0 }}>
        <Select allowClear placeholder={placeholder} options={options} />
      </Form.Item>
    </Col>
  );

  return (
    <div className="page" data-testid="persons-page">
      <PageHeader
        title={t('pop.persons.title')}
        extra={
          can('person:reveal') ? (
            <Space>
              <Switch checked={reveal} onChange={(v) => update({ reveal: v ? '1' : null })} data-testid="reveal-toggle" />
              <span>
                <EyeOutlined /> {t('pop.reveal.toggle')}
              </span>
            </Space>
          ) : null
        }
      />
      {reveal && <Alert type="warning" showIcon message={t('pop.reveal.warning')} />}
      <Card size="small">
        <Form form={form} layout={isMobile ? 'vertical' : 'inline'} onFinish={search} className="pop-filters" size={isMobile ? 'large' : 'middle'}>
          <Row gutter={[12, 8]} style={{ width: '100%' }}>
            <Col xs={24} sm={12} lg={5}>
              <Form.Item name="idNumber" style={{ marginBottom: 0 }}>
                <Input allowClear placeholder={t('pop.persons.idNumber')} autoComplete="off" data-testid="persons-id" />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} lg={4}>
              <Form.Item name="name" style={{ marginBottom: 0 }}>
                <Input allowClear placeholder={t('pop.persons.name')} autoComplete="off" data-testid="persons-name" />
              </Form.Item>
            </Col>
            {choice('status', t('pop.person.status'), (['active', 'left'] as const).map((s) => ({ value: s, label: t(`pop.person.status.${s}`) })))}
            {choice('reviewStatus', t('pop.record.status'), (['reported', 'passed', 'returned'] as const).map((s) => ({ value: s, label: t(`pop.review.${s}`) })))}
            {grids.length > 1 && (
              <Col xs={24} sm={8} lg={4}>
                <Form.Item name="gridId" style={{ marginBottom: 0 }}>
                  <Select allowClear showSearch optionFilterProp="label" placeholder={t('pop.grid')} options={groupGrids(grids)} />
                </Form.Item>
              </Col>
            )}
            <Col xs={24} lg={5}>
              <Space>
                <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="persons-search">
                  {t('common.search')}
                </Button>
                <Button
                  onClick={() => {
                    form.resetFields();
                    update({ idNumber: null, name: null, status: null, gridId: null, reviewStatus: null, page: null });
                  }}
                >
                  {t('common.reset')}
                </Button>
              </Space>
            </Col>
          </Row>
        </Form>
        <FilterHint>{t('pop.persons.hint')}</FilterHint>
      </Card>

      <QueryTable<Person>
        query={list}
        cards={{
          empty: t('pop.persons.empty'),
          card: (p) => (
            <Card className="pop-person-card" size="small" onClick={() => update({ person: p.id })} data-testid="person-row">
              <div className="pop-person-line">
                <span className="pop-person-name">{p.name}</span>
                <Space size={4}>
                  <PersonStatusTag status={p.status} />
                  <ReviewTag status={p.reviewStatus} />
                </Space>
              </div>
              <div>{idCell(p)}</div>
              <div className="pop-person-line">
                <Typography.Text type="secondary">
                  {p.gridName} · {t('pop.person.arrivedShort', { date: fmtDate(p.arrivedOn) })}
                </Typography.Text>
                {p.status === 'active' && can('person:write') && (
                  <Button
                    size="middle"
                    icon={<LogoutOutlined />}
                    onClick={(e) => {
                      e.stopPropagation();
                      setDepart(p);
                    }}
                    data-testid="person-row-depart"
                  >
                    {t('pop.depart.button')}
                  </Button>
                )}
              </div>
            </Card>
          ),
        }}
        dataSource={items}
        locale={{ emptyText: t('pop.persons.empty') }}
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => update({ page: String(p) }) }}
        onRow={(r) => ({ onClick: () => update({ person: r.id }), style: { cursor: 'pointer' }, 'data-testid': 'person-row' }) as React.HTMLAttributes<HTMLElement>}
        pagination={{
          current: page,
          pageSize: PAGE_SIZE,
          total: list.data?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => (list.data?.totalIsLowerBound ? t('pop.persons.totalMore', { total }) : t('common.total', { total })),
          onChange: (p) => update({ page: String(p) }),
        }}
        columns={[
          { title: t('pop.person.name'), dataIndex: 'name', fixed: 'left' },
          { title: t('pop.person.idNumber'), key: 'id', render: (_, p) => idCell(p) },
          { title: t('pop.person.gender'), dataIndex: 'gender', render: (g: Person['gender']) => (g ? t(`pop.gender.${g}`) : '—') },
          { title: t('pop.person.birthDate'), dataIndex: 'birthDate', render: (v: string | null) => fmtDate(v) || '—' },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.person.arrivedOn'), dataIndex: 'arrivedOn', render: (v: string | null) => fmtDate(v) },
          { title: t('pop.person.leftOn'), dataIndex: 'leftOn', render: (v: string | null) => fmtDate(v) || '' },
          { title: t('pop.person.status'), dataIndex: 'status', render: (s: Person['status']) => <PersonStatusTag status={s} /> },
          { title: t('pop.record.status'), dataIndex: 'reviewStatus', render: (s: Person['reviewStatus']) => <ReviewTag status={s} /> },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_, p) => (
              <Space size={4}>
                <Typography.Link onClick={() => update({ person: p.id })}>{t('common.detail')}</Typography.Link>
                {p.status === 'active' && can('person:write') && (
                  <Typography.Link
                    onClick={(e) => {
                      e.stopPropagation();
                      setDepart(p);
                    }}
                  >
                    {t('pop.depart.button')}
                  </Typography.Link>
                )}
                {p.status === 'active' && can('permit:write') && (
                  <Link to={`/population/permits?apply=${p.id}`} onClick={(e) => e.stopPropagation()} data-testid="person-row-permit">
                    {t('pop.permit.applyButton')}
                  </Link>
                )}
              </Space>
            ),
          },
        ]}
      />
      <PersonDrawer id={openId} reveal={reveal} onClose={() => update({ person: null })} />
      <DepartModal person={depart ? { id: depart.id, name: depart.name, arrivedOn: depart.arrivedOn } : null} onClose={() => setDepart(null)} />
    </div>
  );
}
