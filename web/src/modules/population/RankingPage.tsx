import { useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Card, DatePicker, Space, Table, Tag, Typography } from 'antd';
import { TrophyFilled } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { officeToday } from '../../app/ui/format';
import { popPath, yuan, type Ranking } from './api';
import { monthDayjs, thisMonth } from './components';
import './population.css';

const MEDALS = ['#d4a017', '#9e9e9e', '#b87333'];

/** 月度排名 — collectors ranked by passed / entered / collected records; rewards of the top N in yuan. */
export default function RankingPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const month = params.get('month') ?? thisMonth();
  const q = useQuery({
    queryKey: ['population', 'ranking', month],
    queryFn: ({ signal }) => api.get<Ranking>(popPath('/ranking'), { month }, signal),
    placeholderData: keepPreviousData,
  });
  const r = q.data;
  const totalFen = (r?.items ?? []).reduce((a, i) => a + i.rewardFen, 0);
  return (
    <div className="page" data-testid="ranking-page">
      <PageHeader
        title={t('pop.ranking.title')}
        extra={
          <DatePicker
            picker="month"
            allowClear={false}
            inputReadOnly
            value={monthDayjs(month)}
            disabledDate={(d) => d.isAfter(officeToday(), 'month')}
            onChange={(d) => d && setParams({ month: d.format('YYYY-MM') })}
            data-testid="ranking-month"
          />
        }
      />
      {r && (
        <Alert
          type="info"
          showIcon
          message={t('pop.ranking.rates', {
            collected: yuan(r.rates.collectedFen),
            entered: yuan(r.rates.enteredFen),
            passed: yuan(r.rates.passedFen),
            topN: r.rates.topN,
          })}
          description={t('pop.ranking.levelHint', { level: t(`pop.ranking.level.${r.level}`), version: r.policyVersion })}
        />
      )}
      {q.error ? (
        <LoadError error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <Card size="small">
          <Table
            rowKey="id"
            size="middle"
            loading={q.isFetching}
            dataSource={r?.items ?? []}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('pop.ranking.empty') }}
            onRow={(i) => ({ 'data-testid': 'ranking-row', 'data-rank': i.rank }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              {
                title: t('pop.ranking.rank'),
                dataIndex: 'rank',
                width: 80,
                render: (v: number) =>
                  v <= 3 ? (
                    <Space size={4}>
                      <TrophyFilled style={{ color: MEDALS[v - 1] }} />
                      <strong>{v}</strong>
                    </Space>
                  ) : (
                    v
                  ),
              },
              {
                title: t(r?.level === 'community' ? 'pop.ranking.community' : r?.level === 'street' ? 'pop.ranking.street' : 'pop.ranking.worker'),
                dataIndex: 'name',
                render: (name: string, i) => (
                  <span data-testid="ranking-name">
                    {name}
                    {i.gridName ? <Typography.Text type="secondary"> · {i.gridName}</Typography.Text> : null}
                  </span>
                ),
              },
              { title: t('pop.counter.collected'), dataIndex: 'collected', align: 'right' },
              { title: t('pop.counter.entered'), dataIndex: 'entered', align: 'right' },
              { title: t('pop.counter.passed'), dataIndex: 'passed', align: 'right' },
              ...(r?.level === 'grid_worker' ? [{ title: t('pop.ranking.crimeLeads'), dataIndex: 'crimeLeads', align: 'right' as const }] : []),
              {
                title: t('pop.ranking.reward'),
                dataIndex: 'rewardFen',
                align: 'right',
                render: (fen: number, i) =>
                  i.rewarded || fen > 0 ? (
                    <Typography.Text strong data-testid="ranking-reward">
                      ¥{yuan(fen)}
                    </Typography.Text>
                  ) : (
                    <Typography.Text type="secondary">—</Typography.Text>
                  ),
              },
              { title: '', key: 'tag', render: (_, i) => (i.rewarded ? <Tag color="gold">{t('pop.ranking.rewarded')}</Tag> : null) },
            ]}
            summary={() =>
              r && r.items.length > 0 ? (
                <Table.Summary.Row>
                  <Table.Summary.Cell index={0} colSpan={5}>
                    <strong>{t('pop.ranking.total')}</strong>
                  </Table.Summary.Cell>
                  <Table.Summary.Cell index={5} align="right">
                    <strong>¥{yuan(totalFen)}</strong>
                  </Table.Summary.Cell>
                  <Table.Summary.Cell index={6} />
                </Table.Summary.Row>
              ) : null
            }
          />
        </Card>
      )}
    </div>
  );
}
