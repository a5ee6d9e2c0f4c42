import { useEffect, useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Checkbox, DatePicker, Descriptions, Form, Input, InputNumber, Radio, Select, Space, Spin, Steps, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useErrorText } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useT } from '../../app/i18n';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { toDateStr } from '../../app/ui/format';
import { useLabels } from '../../app/ui/labels';
import { leaveApi, leaveKeys, type LeaveInput, type LeaveType } from './api';

interface Values {
  type: string;
  period: [Dayjs, Dayjs];
  halfDay?: 'full' | 'am' | 'pm';
  reason: string;
  extraBabies?: number;
  difficultBirth?: boolean;
}

function toInput(v: Partial<Values>): LeaveInput | null {
  if (!v.type || !v.period?.[0] || !v.period?.[1]) return null;
  const startDate = toDateStr(v.period[0])!;
  const endDate = toDateStr(v.period[1])!;
  return {
    type: v.type,
    startDate,
    endDate,
    ...(v.halfDay && v.halfDay !== 'full' && startDate === endDate ? { halfDay: v.halfDay } : {}),
    reason: (v.reason ?? '').trim() || '—',
    ...(v.extraBabies ? { extraBabies: v.extraBabies } : {}),
    ...(v.difficultBirth ? { difficultBirth: true } : {}),
  };
}

/** A value that settles: the preview is asked for once the user stops changing the form. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const h = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(h);
  }, [value, ms]);
  return settled;
}

/** 请假: type, dates (half a day when it is one day), reason — and, live, the days counted on the office calendar and who will approve, in order. */
export function LeaveForm({ open, onClose, types }: { open: boolean; onClose: () => void; types: LeaveType[] }) {
  const t = useT();
  const labels = useLabels();
  const errorText = useErrorText();
  const rules = useRequiredRules();
  const [form] = Form.useForm<Values>();
  const values = Form.useWatch([], form) as Partial<Values> | undefined;
  const input = useMemo(() => (values ? toInput(values) : null), [values]);
  const settled = useSettled(input ? JSON.stringify(input) : null, 300);
  const preview = useQuery({
    queryKey: ['leave', 'preview', settled],
    queryFn: () => leaveApi.preview(JSON.parse(settled!) as LeaveInput),
    enabled: open && !!settled,
    retry: false,
    staleTime: 10_000,
  });
  const type = types.find((x) => x.code === values?.type);
  const oneDay = !!values?.period?.[0] && !!values?.period?.[1] && values.period[0].isSame(values.period[1], 'day');
  const save = useFormMutation<Values>(form, {
    mutationFn: (v) => leaveApi.submit(toInput(v)!),
    success: t('leave.submitted'),
    invalidate: [leaveKeys.all, ['approvals']],
    onDone: onClose,
  });
  const p = preview.data;
  return (
    <FormModal open={open} title={t('leave.new')} form={form} save={save} onClose={onClose} okText={t('leave.submit')} okTestId="leave-submit" width={640} data-testid="leave-form">
      <Form.Item name="type" label={t('leave.field.type')} rules={rules.required(t('leave.field.type'))}>
        <Select data-testid="leave-type" options={types.map((x) => ({ value: x.code, label: x.fixedDays ? t('leave.typeWithDays', { name: x.name, days: x.fixedDays }) : x.name }))} />
      </Form.Item>
      <Form.Item name="period" label={t('leave.field.period')} rules={rules.required(t('leave.field.period'))}>
        <DatePicker.RangePicker style={{ width: '100%' }} data-testid="leave-period" />
      </Form.Item>
      {oneDay && type?.halfDayAllowed && (
        <Form.Item name="halfDay" label={t('leave.field.halfDay')} initialValue="full">
          <Radio.Group options={[{ value: 'full', label: t('leave.halfDay.full') }, { value: 'am', label: t('leave.halfDay.am') }, { value: 'pm', label: t('leave.halfDay.pm') }]} />
        </Form.Item>
      )}
      {values?.type === 'maternity' && (
        <Space>
          <Form.Item name="extraBabies" label={t('leave.field.extraBabies')}><InputNumber min={0} max={10} /></Form.Item>
          <Form.Item name="difficultBirth" valuePropName="checked" label=" "><Checkbox>{t('leave.field.difficultBirth')}</Checkbox></Form.Item>
        </Space>
      )}
      <Form.Item name="reason" label={t('leave.field.reason')} rules={[...rules.requiredText(t('leave.field.reason')), { max: 500 }]}>
        <Input.TextArea rows={2} maxLength={500} showCount data-testid="leave-reason" />
      </Form.Item>
      <div className="leave-preview" data-testid="leave-preview">
        {!input ? (
          <Typography.Text type="secondary">{t('leave.preview.hint')}</Typography.Text>
        ) : preview.isFetching && !p ? (
          <Spin size="small" />
        ) : preview.error ? (
          <Alert type="error" showIcon message={errorText(preview.error)} data-testid="leave-preview-error" />
        ) : p ? (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Descriptions size="small" column={2}>
              <Descriptions.Item label={t('leave.preview.days')}>
                <Typography.Text strong data-testid="leave-preview-days">{t(p.unit === 'workday' ? 'leave.daysWork' : 'leave.daysNatural', { days: p.days })}</Typography.Text>
              </Descriptions.Item>
              {p.balance !== null && <Descriptions.Item label={t('leave.preview.balance')}>{t('leave.daysLeft', { days: p.balance })}</Descriptions.Item>}
              {p.entitlement !== null && <Descriptions.Item label={t('leave.preview.entitlement')}>{t('leave.days', { days: p.entitlement })}</Descriptions.Item>}
            </Descriptions>
            {p.retroactive && <Alert type="warning" showIcon message={t('leave.preview.retroactive')} />}
            {p.provisional && <Alert type="warning" showIcon message={t('leave.preview.provisional')} />}
            <Typography.Text type="secondary">{t('leave.preview.chain')}</Typography.Text>
            <Steps
              size="small"
              direction="vertical"
              current={-1}
              data-testid="leave-preview-chain"
              items={p.steps.map((s) => ({
                title: s.name,
                description: s.external ? t('leave.preview.external') : s.approvers.map((a) => a.name).join('、') + (s.approverPost ? ` · ${labels.post(s.approverPost)}` : ''),
              }))}
            />
            {p.cc.length > 0 && <div>{t('leave.preview.cc')} {p.cc.map((c) => <Tag key={c.id}>{c.name}</Tag>)}</div>}
          </Space>
        ) : null}
      </div>
    </FormModal>
  );
}
