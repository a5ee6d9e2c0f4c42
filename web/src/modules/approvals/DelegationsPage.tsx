import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Checkbox, DatePicker, Form, Input, Popconfirm, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import type { Dayjs } from 'dayjs';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useShowError } from '../../app/api/errors';
import { useT, useI18n } from '../../app/i18n';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { PageHeader } from '../../app/ui/PageHeader';
import { QueryTable } from '../../app/ui/QueryTable';
import { fmtDate, officeToday, toDateStr } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { approvalKeys, approvalsApi, type Delegation } from './api';
import { StaffPicker } from './StaffPicker';

const STATE_COLOR: Record<Delegation['state'], string> = { active: 'green', upcoming: 'blue', ended: 'default', revoked: 'default' };

interface NewDelegation { toUserId: string; period: [Dayjs, Dayjs]; reason: string; applyToOpenTasks?: boolean }

/** 我的委托: who approves for me while I am away, and who asked me to approve for them. */
export default function DelegationsPage() {
  const t = useT();
  const { tx } = useI18n();
  const qc = useQueryClient();
  const showError = useShowError();
  const rules = useRequiredRules();
  const [form] = Form.useForm<NewDelegation>();
  const [open, setOpen] = useState(false);
  const list = useQuery({ queryKey: approvalKeys.delegations, queryFn: approvalsApi.delegations });
  const create = useFormMutation<NewDelegation>(form, {
    mutationFn: (v) => approvalsApi.createDelegation({ toUserId: v.toUserId, validFrom: toDateStr(v.period[0])!, validTo: toDateStr(v.period[1])!, reason: v.reason.trim(), applyToOpenTasks: !!v.applyToOpenTasks }),
    success: t('deleg.created'),
    invalidate: [approvalKeys.delegations, approvalKeys.all],
    onDone: () => setOpen(false),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => approvalsApi.revokeDelegation(id),
    onSuccess: () => { notifier.message?.success(t('deleg.revoked')); void qc.invalidateQueries({ queryKey: approvalKeys.delegations }); },
    onError: (e) => showError(e),
  });
  const columns: ColumnsType<Delegation> = [
    { title: t('deleg.col.direction'), key: 'dir', width: 110, render: (_, r) => (r.mine ? t('deleg.given') : t('deleg.received')) },
    { title: t('deleg.col.person'), key: 'person', width: 110, render: (_, r) => (r.mine ? r.toName : r.fromName) },
    { title: t('deleg.col.period'), key: 'period', width: 220, render: (_, r) => `${fmtDate(r.validFrom)} ~ ${fmtDate(r.validTo)}` },
    { title: t('deleg.col.reason'), dataIndex: 'reason' },
    { title: t('deleg.col.state'), dataIndex: 'state', width: 90, render: (v: Delegation['state']) => <Tag color={STATE_COLOR[v]}>{tx(`deleg.state.${v}`, v)}</Tag> },
    {
      title: '', key: 'op', width: 80,
      render: (_, r) => r.mine && (r.state === 'active' || r.state === 'upcoming') && (
        <Popconfirm title={t('deleg.revokeConfirm')} onConfirm={() => revoke.mutate(r.id)}>
          <Button size="small" danger>{t('deleg.revoke')}</Button>
        </Popconfirm>
      ),
    },
  ];
  return (
    <div data-testid="delegations-page">
      <PageHeader title={t('deleg.title')} extra={<Button type="primary" onClick={() => setOpen(true)} data-testid="delegation-new">{t('deleg.new')}</Button>} />
      <Alert type="info" showIcon message={t('deleg.help')} style={{ marginBottom: 16 }} />
      <QueryTable<Delegation> query={list} dataSource={list.data?.items} columns={columns} rowKey="id" pagination={false} locale={{ emptyText: t('deleg.empty') }} />
      <FormModal open={open} title={t('deleg.new')} form={form} save={create} onClose={() => setOpen(false)} width={520} initialValues={{ period: [officeToday(), officeToday().add(7, 'day')] }}>
        <Form.Item name="toUserId" label={t('deleg.form.to')} rules={rules.required(t('deleg.form.to'))}><StaffPicker testId="delegation-to" /></Form.Item>
        <Form.Item name="period" label={t('deleg.form.period')} rules={rules.required(t('deleg.form.period'))}><DatePicker.RangePicker style={{ width: '100%' }} /></Form.Item>
        <Form.Item name="reason" label={t('deleg.form.reason')} rules={[...rules.requiredText(t('deleg.form.reason')), { max: 200 }]}><Input placeholder={t('deleg.form.reasonPh')} maxLength={200} /></Form.Item>
        <Form.Item name="applyToOpenTasks" valuePropName="checked"><Checkbox>{t('deleg.form.applyOpen')}</Checkbox></Form.Item>
      </FormModal>
    </div>
  );
}
