import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Select } from 'antd';
import { useT } from '../../app/i18n';
import { useLabels } from '../../app/ui/labels';
import { approvalsApi } from './api';

/** A staff member picked by name (加签, 转办, 委派, 抄送, 委托): name · section · post. */
export function StaffPicker({ value, onChange, multiple, excludeIds = [], testId }: {
  value?: string | string[];
  onChange?: (v: string | string[]) => void;
  multiple?: boolean;
  excludeIds?: string[];
  testId?: string;
}) {
  const t = useT();
  const labels = useLabels();
  const [q, setQ] = useState('');
  const staff = useQuery({ queryKey: ['approvals', 'staff', q], queryFn: () => approvalsApi.staff(q || undefined), staleTime: 60_000 });
  const options = (staff.data?.items ?? [])
    .filter((s) => !excludeIds.includes(s.id))
    .map((s) => ({ value: s.id, label: `${s.name} · ${s.unitName} · ${labels.post(s.post)}` }));
  return (
    <Select
      showSearch
      mode={multiple ? 'multiple' : undefined}
      value={value}
      onChange={onChange}
      filterOption={false}
      onSearch={setQ}
      loading={staff.isFetching}
      options={options}
      placeholder={t('appr.form.personPh')}
      data-testid={testId}
      allowClear
    />
  );
}
