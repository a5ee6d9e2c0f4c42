import type { ReactNode } from 'react';
import { Button, Select, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useI18n } from '../../app/i18n';
import type { GridOption } from './api';
import { groupGrids } from './components';

/** The grid filter of a list, shown to whom works in more than one grid. */
export function GridFilter({ grids, value, onChange }: { grids: GridOption[]; value: string | undefined; onChange: (gridId: string | null) => void }) {
  const { t } = useI18n();
  if (grids.length <= 1) return null;
  return <Select allowClear showSearch optionFilterProp="label" placeholder={t('pop.grid')} style={{ minWidth: 200 }} value={value} onChange={(v) => onChange(v ?? null)} options={groupGrids(grids)} />;
}

/** The small grey line under a list's filters. */
export function FilterHint({ children }: { children: ReactNode }) {
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 8 }}>
      {children}
    </Typography.Text>
  );
}

/** The page header's "+ 新…" button, or nothing without the right to add. */
export function NewButton({ allowed, onClick, testId, children }: { allowed: boolean; onClick: () => void; testId: string; children: ReactNode }) {
  return allowed ? (
    <Button type="primary" icon={<PlusOutlined />} onClick={onClick} data-testid={testId}>
      {children}
    </Button>
  ) : null;
}
