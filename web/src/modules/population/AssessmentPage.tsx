import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Form, Input, InputNumber, Select, Space, Table, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../../app/api/client';
import { useShowError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { notifier } from '../../app/ui/notify';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime } from '../../app/ui/format';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { popPath } from './api';
import './population.css';

/** 000:40 — the communities' annual target assessment: deduction items and the funding-deduction flag. */
interface Deduction { id: string; source: 'entry_shortfall' | 'district'; month: string | null; points: number; reason: string; createdBy: string | null; createdAt: string }
interface CommunityAssessment { orgUnitId: string; name: string; totalPoints: number; fundingDeduction: boolean; deductions: Deduction[] }
interface EntryRow { orgUnitId: string; name: string; entries: number; standard: number; short: boolean; shortfall: number; itemId: string | null }
interface EntryCheck { month: string; monthOver: boolean; shortfallPoints: number; items: EntryRow[] }

export default function AssessmentPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [year, setYear] = useState(dayjs().year());
  const [month, setMonth] = useState<Dayjs>(dayjs().subtract(1, 'month'));
  const [open, setOpen] = useState(false);
  const m = month.format('YYYY-MM');
  const list = useQuery({
    queryKey: ['population', 'assessment', year],
    queryFn: ({ signal }) => api.get<{ items: CommunityAssessment[] }>(popPath('/assessment'), { year }, signal),
  });
  const entries = useQuery({
    queryKey: ['population', 'assessment', 'entries', m],
    queryFn: ({ signal }) => api.get<EntryCheck>(popPath('/assessment/entries'), { month: m }, signal),
  });
  const qc = useQueryClient();
  const showError = useShowError();
  const evaluate = useMutation({
    mutationFn: () => api.post<{ added: number; short: number }>(popPath('/assessment/evaluate'), { month: m }),
    onSuccess: (r) => {
      notifier.message?.success(t('pop.assess.evaluated', { short: r.short, added: r.added }));
      void qc.invalidateQueries({ queryKey: ['population', 'assessment'] });
    },
    onError: (e) => showError(e),
  });
  const years = Array.from({ length: 5 }, (_, i) => dayjs().year() - i);
  return (
    <div className="page" data-testid="assessment-page">
      <PageHeader
        title={t('pop.assess.title')}
        extra={(
          <Space wrap>
            <Select value={year} onChange={setYear} options={years.map((y) => ({ value: y, label: `${y}` }))} style={{ width: 100 }} aria-label={t('pop.assess.year')} />
            {can('assessment:deduct') && <Button type="primary" onClick={() => setOpen(true)} data-testid="assess-deduct">{t('pop.assess.addDeduction')}</Button>}
          </Space>
        )}
      />
      <Alert type="info" showIcon message={t('pop.assess.rule')} style={{ marginBottom: 12 }} />
      <Card size="small" title={t('pop.assess.itemsTab')} style={{ marginBottom: 16 }}>
        <Table<CommunityAssessment>
          rowKey="orgUnitId" size="small" loading={list.isLoading} dataSource={list.data?.items ?? []} pagination={false}
          onRow={(r) => ({ 'data-testid': 'assess-row', 'data-name': r.name }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('pop.assess.community'), dataIndex: 'name', width: 140 },
            { title: t('pop.assess.totalPoints'), dataIndex: 'totalPoints', width: 90, align: 'right', render: (v: number) => (v ? <strong>−{v}</strong> : '0') },
            { title: t('pop.assess.funding'), dataIndex: 'fundingDeduction', width: 100, render: (v: boolean) => (v ? <Tag color="error">{t('pop.assess.fundingYes')}</Tag> : t('pop.assess.fundingNo')) },
            {
              title: t('pop.assess.itemsTab'), key: 'd',
              render: (_, r) => (r.deductions.length === 0 ? <Typography.Text type="secondary">{t('pop.assess.none')}</Typography.Text> : (
                <div>
                  {r.deductions.map((d) => (
                    <div key={d.id}>
                      <Tag color={d.source === 'district' ? 'orange' : 'red'}>{t(`pop.assess.source.${d.source}`)}</Tag>
                      {t('pop.assess.pointsN', { n: d.points })}：{d.reason}
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}> · {d.createdBy ?? t('pop.assess.system')} {fmtDateTime(d.createdAt)}</Typography.Text>
                    </div>
                  ))}
                </div>
              )),
            },
          ]}
        />
      </Card>
      <Card
        size="small" title={t('pop.assess.entriesTab')}
        extra={(
          <Space>
            <DatePicker picker="month" value={month} allowClear={false} onChange={(d) => d && setMonth(d)} disabledDate={(d) => d.isAfter(dayjs(), 'month')} aria-label={t('pop.assess.month')} />
            {can('assessment:deduct') && (
              <Button onClick={() => evaluate.mutate()} loading={evaluate.isPending} disabled={!entries.data?.monthOver} data-testid="assess-evaluate">{t('pop.assess.evaluate')}</Button>
            )}
          </Space>
        )}
      >
        {entries.data && !entries.data.monthOver && <Alert type="warning" showIcon message={t('pop.assess.monthOpen')} style={{ marginBottom: 8 }} />}
        <Table<EntryRow>
          rowKey="orgUnitId" size="small" loading={entries.isLoading} dataSource={entries.data?.items ?? []} pagination={false}
          onRow={(r) => ({ 'data-testid': 'entry-row', 'data-name': r.name }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('pop.assess.community'), dataIndex: 'name' },
            { title: t('pop.assess.entries'), dataIndex: 'entries', align: 'right' },
            { title: t('pop.assess.standard'), dataIndex: 'standard', align: 'right' },
            { title: t('pop.assess.shortfall'), dataIndex: 'shortfall', align: 'right', render: (v: number) => (v ? <strong>{v}</strong> : '—') },
            {
              title: t('pop.staffing.status'), key: 's',
              render: (_, r) => (!r.short ? <Tag color="success">{t('pop.assess.ok')}</Tag>
                : <Space size={4}><Tag color="error">{t('pop.assess.short')}</Tag>{r.itemId && <Tag>{t('pop.assess.deducted')}</Tag>}</Space>),
            },
          ]}
        />
      </Card>
      <DeductionModal open={open} year={year} communities={list.data?.items ?? []} onClose={() => setOpen(false)} />
    </div>
  );
}

interface DeductionForm { orgUnitId: string; points: number; reason: string }

function DeductionModal({ open, year, communities, onClose }: { open: boolean; year: number; communities: CommunityAssessment[]; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<DeductionForm>();
  const save = useFormMutation(form, {
    mutationFn: (v: DeductionForm) => api.post(popPath('/assessment/deductions'), { orgUnitId: v.orgUnitId, year, points: v.points, reason: v.reason.trim() }),
    success: t('pop.assess.deductionSaved'),
    invalidate: [['population', 'assessment']],
    onDone: () => { form.resetFields(); onClose(); },
  });
  return (
    <FormModal open={open} title={`${t('pop.assess.addDeduction')}（${year}）`} form={form} save={save} onClose={onClose} okTestId="deduct-submit" width={480} initialValues={{ points: 1 }}>
      <Form.Item name="orgUnitId" label={t('pop.assess.community')} rules={required(t('pop.assess.community'))}>
        <Select options={communities.map((c) => ({ value: c.orgUnitId, label: c.name }))} data-testid="deduct-community" />
      </Form.Item>
      <Form.Item name="points" label={t('pop.assess.points')} rules={required(t('pop.assess.points'))}>
        <InputNumber min={0.5} max={100} step={0.5} style={{ width: 120 }} />
      </Form.Item>
      <Form.Item name="reason" label={t('pop.assess.reason')} rules={required(t('pop.assess.reason'))}>
        <Input.TextArea rows={2} maxLength={200} data-testid="deduct-reason" />
      </Form.Item>
    </FormModal>
  );
}
