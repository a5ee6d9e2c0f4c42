import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, DatePicker, Form, Input, Select, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime } from '../../app/ui/format';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { QueryTable } from '../../app/ui/QueryTable';
import { popPath, useMyGrids } from './api';
import { groupGrids } from './components';
import { NewButton } from './lists';
import './population.css';

interface CrimeLead {
  id: string; gridName: string | null; policeAreaName: string | null; what: string; place: string; occurredAt: string;
  suspectNameMasked: string | null; suspectIdMasked: string | null; suspectPhoneMasked: string | null;
  rewardEligible: boolean; routed: boolean; reporterName: string; reportedAt: string;
}
interface LeadForm { gridId: string; what: string; place: string; occurredAt: Dayjs; suspectName?: string; suspectIdNumber?: string; suspectPhone?: string }

/** 违法犯罪线索 (000:41) — leads from household visits, sent to the police liaison of the grid's police area. */
export default function CrimeLeadsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? '1') || 1;
  const [open, setOpen] = useState(false);
  const list = useQuery({
    queryKey: ['population', 'crime-leads', page],
    queryFn: ({ signal }) => api.get<Page<CrimeLead>>(popPath('/crime-leads'), { page, pageSize: 20 }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page" data-testid="crime-leads-page">
      <PageHeader
        title={t('pop.lead.title')}
        extra={<NewButton allowed={can('crime_lead:report')} onClick={() => setOpen(true)} testId="lead-new">{t('pop.lead.report')}</NewButton>}
      />
      <Alert type="info" showIcon message={t('pop.lead.hint')} style={{ marginBottom: 12 }} />
      <QueryTable<CrimeLead>
        query={list}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: t('pop.lead.empty') }}
        onRow={() => ({ 'data-testid': 'lead-row' }) as React.HTMLAttributes<HTMLElement>}
        paging={{ page, pageSize: 20, total: list.data?.total, onChange: (p) => setParams({ page: String(p) }) }}
        columns={[
          { title: t('pop.lead.reportedAt'), dataIndex: 'reportedAt', render: (v: string) => fmtDateTime(v) },
          { title: t('pop.lead.what'), dataIndex: 'what', width: 200 },
          {
            title: `${t('pop.lead.place')} / ${t('pop.lead.occurredAt')}`, key: 'where',
            render: (_, r) => (<><div>{r.place}</div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{fmtDateTime(r.occurredAt)}</Typography.Text></>),
          },
          {
            title: t('pop.lead.suspect'), key: 'suspect',
            render: (_, r) => [r.suspectNameMasked, r.suspectIdMasked, r.suspectPhoneMasked].filter(Boolean).join(' · ') || '—',
          },
          {
            title: `${t('pop.lead.grid')} / ${t('pop.lead.policeArea')}`, key: 'grid',
            render: (_, r) => (<><div>{r.gridName}</div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{r.policeAreaName ?? '—'}</Typography.Text></>),
          },
          { title: t('pop.lead.reporter'), dataIndex: 'reporterName' },
          {
            title: t('pop.lead.status'), key: 's',
            render: (_, r) => (
              <Space size={4} wrap>
                {r.routed ? <Tag color="blue">{t('pop.lead.routed')}</Tag> : <Tag color="red">{t('pop.lead.notRouted')}</Tag>}
                {r.rewardEligible && <Tag color="gold">{t('pop.lead.rewardEligible')}</Tag>}
              </Space>
            ),
          },
        ]}
      />
      <ReportLeadModal open={open} onClose={() => setOpen(false)} />
    </div>
  );
}

function ReportLeadModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const { grids } = useMyGrids();
  const [form] = Form.useForm<LeadForm>();
  const save = useFormMutation(form, {
    mutationFn: (v: LeadForm) => api.post(popPath('/crime-leads'), {
      gridId: v.gridId, what: v.what.trim(), place: v.place.trim(), occurredAt: v.occurredAt.toISOString(),
      ...(v.suspectName?.trim() ? { suspectName: v.suspectName.trim() } : {}),
      ...(v.suspectIdNumber?.trim() ? { suspectIdNumber: v.suspectIdNumber.trim() } : {}),
      ...(v.suspectPhone?.trim() ? { suspectPhone: v.suspectPhone.trim() } : {}),
    }),
    success: t('pop.lead.sent'),
    invalidate: [['population', 'crime-leads']],
    onDone: () => { form.resetFields(); onClose(); },
  });
  return (
    <FormModal open={open} title={t('pop.lead.report')} form={form} save={save} onClose={onClose} okText={t('pop.lead.submit')} okTestId="lead-submit" width={560}
      initialValues={{ gridId: grids[0]?.id, occurredAt: dayjs() }}>
      <Form.Item name="gridId" label={t('pop.lead.grid')} rules={required(t('pop.lead.grid'))}>
        <Select options={groupGrids(grids)} showSearch optionFilterProp="label" data-testid="lead-grid" />
      </Form.Item>
      <Form.Item name="what" label={t('pop.lead.what')} rules={required(t('pop.lead.what'))}>
        <Input.TextArea rows={3} maxLength={500} placeholder={t('pop.lead.whatPlaceholder')} data-testid="lead-what" />
      </Form.Item>
      <Form.Item name="place" label={t('pop.lead.place')} rules={required(t('pop.lead.place'))}>
        <Input maxLength={200} data-testid="lead-place" />
      </Form.Item>
      <Form.Item name="occurredAt" label={t('pop.lead.occurredAt')} rules={required(t('pop.lead.occurredAt'))}>
        <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" disabledDate={(d) => d.isAfter(dayjs(), 'day')} style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item label={t('pop.lead.suspect')} style={{ marginBottom: 0 }}>
        <Space wrap size={8}>
          <Form.Item name="suspectName"><Input maxLength={50} style={{ width: 140 }} placeholder={t('pop.lead.suspectName')} data-testid="lead-suspect-name" /></Form.Item>
          <Form.Item name="suspectIdNumber"><Input maxLength={18} style={{ width: 190 }} placeholder={t('pop.lead.suspectId')} className="mono" /></Form.Item>
          <Form.Item name="suspectPhone"><Input maxLength={20} style={{ width: 140 }} placeholder={t('pop.lead.suspectPhone')} /></Form.Item>
        </Space>
      </Form.Item>
    </FormModal>
  );
}
