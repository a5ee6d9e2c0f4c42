import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Table, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import { useI18n } from '../../app/i18n';
import { popPath, type Staffing, type StaffingRow } from './api';

/**
 * 000:16, 000:103 — one grid worker per grid, one entry clerk per station: the units under the
 * shown unit whose staffing breaks the pack's number (0 or more than required).
 */
export function StaffingCard({ unitId, kind }: { unitId: string; kind: 'street' | 'community' | 'grid' }) {
  const { t } = useI18n();
  const q = useQuery({
    queryKey: ['population', 'staffing'],
    queryFn: ({ signal }) => api.get<Staffing>(popPath('/staffing'), undefined, signal),
  });
  if (!q.data) return null;
  const under = (r: StaffingRow) => kind === 'street' || r.orgUnitId === unitId || (kind === 'community' && r.communityId === unitId);
  const rows = q.data.items.filter((r) => r.flagged && under(r));
  const status = (r: StaffingRow) =>
    !r.flagged ? <Tag color="success">{t('pop.staffing.ok')}</Tag> : r.count < r.required ? <Tag color="error">{t('pop.staffing.missing')}</Tag> : <Tag color="warning">{t('pop.staffing.excess')}</Tag>;
  return (
    <Card title={t('pop.staffing.title')} data-testid="staffing-card" size="small" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('pop.staffing.rule', { grid: q.data.required.gridWorkersPerGrid, clerk: q.data.required.entryClerksPerStation })}
      </Typography.Paragraph>
      {rows.length === 0 ? (
        <Alert type="success" showIcon message={t('pop.staffing.allGood')} />
      ) : (
        <>
          <Alert type="warning" showIcon style={{ marginBottom: 8 }} message={t('pop.staffing.flagged', { n: rows.length })} />
          <Table<StaffingRow>
            rowKey="orgUnitId"
            size="small"
            dataSource={rows}
            pagination={rows.length > 10 ? { pageSize: 10, size: 'small' } : false}
            scroll={{ x: 'max-content' }}
            onRow={(r) => ({ 'data-testid': 'staffing-row', 'data-name': r.name }) as React.HTMLAttributes<HTMLElement>}
            columns={[
              { title: t('pop.staffing.unit'), dataIndex: 'name' },
              { title: t('pop.staffing.post'), dataIndex: 'rule', render: (v: StaffingRow['rule']) => t(`pop.staffing.rule.${v}`) },
              { title: t('pop.staffing.required'), dataIndex: 'required', align: 'right' },
              { title: t('pop.staffing.count'), dataIndex: 'count', align: 'right', render: (v: number) => <strong>{v}</strong> },
              { title: t('pop.staffing.holders'), key: 'h', render: (_, r) => r.holders.map((h) => h.name).join('、') || '—' },
              { title: t('pop.staffing.status'), key: 's', render: (_, r) => status(r) },
            ]}
          />
        </>
      )}
    </Card>
  );
}
