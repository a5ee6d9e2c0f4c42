import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Col, DatePicker, Form, Input, Row, Select, Space, Statistic, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs, { type Dayjs } from 'dayjs';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useT } from '../../app/i18n';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { PageHeader } from '../../app/ui/PageHeader';
import { QueryTable } from '../../app/ui/QueryTable';
import { fmtDate, officeToday, toDateStr } from '../../app/ui/format';
import { useUrlState } from '../../app/ui/useUrlState';
import { ApprovalDrawer } from '../approvals/ApprovalDrawer';
import { leaveApi, leaveKeys, type LeaveRequest } from './api';
import { LeaveStatusTag, PrintLink, useLeaveTypes, usePeriodText } from './components';
import { LeaveForm } from './LeaveForm';

const PAGE_SIZE = 20;

/** 我的请假: balances, my requests with their approval and 销假, a new request. */
export default function LeavePage() {
  const t = useT();
  const [params, set] = useUrlState();
  const year = Number(params.get('year') ?? officeToday().year());
  const page = Number(params.get('page') ?? 1) || 1;
  const openId = params.get('open');
  const types = useLeaveTypes();
  const period = usePeriodText();
  const [formOpen, setFormOpen] = useState(false);
  const [closing, setClosing] = useState<LeaveRequest | null>(null);
  const list = useQuery({ queryKey: leaveKeys.mine(year, page), queryFn: () => leaveApi.mine({ year, page, pageSize: PAGE_SIZE }) });
  const balances = useQuery({ queryKey: leaveKeys.balances(year), queryFn: () => leaveApi.balances(year) });
  // ?open= names a leave request (from a notification or the approval's 查看原单): show its approval.
  const opened = useQuery({ queryKey: leaveKeys.one(openId ?? ''), queryFn: () => leaveApi.get(openId!), enabled: !!openId });

  const columns: ColumnsType<LeaveRequest> = [
    { title: t('leave.col.caseNo'), dataIndex: 'caseNo', width: 140 },
    { title: t('leave.field.type'), dataIndex: 'type', width: 90, render: (v: string) => types.name(v) },
    { title: t('leave.field.period'), key: 'period', width: 210, render: (_, r) => period(r) },
    { title: t('leave.col.days'), dataIndex: 'days', width: 80, render: (v: number, r) => (r.actualDays !== null && r.actualDays !== v ? `${r.actualDays}（${t('leave.planned', { days: v })}）` : v) },
    { title: t('leave.field.reason'), dataIndex: 'reason', ellipsis: true },
    { title: t('leave.col.status'), key: 'status', width: 160, render: (_, r) => <LeaveStatusTag r={r} /> },
    {
      title: '',
      key: 'op',
      width: 190,
      render: (_, r) => (
        <Space size={4}>
          {r.approvalId && <Button size="small" onClick={() => set({ open: r.id })} data-testid="leave-open">{t('leave.approval')}</Button>}
          {r.unclosed && <Button size="small" type="primary" onClick={() => setClosing(r)} data-testid="leave-close">{t('leave.close')}</Button>}
          <PrintLink id={r.id} />
        </Space>
      ),
    },
  ];
  const b = balances.data;
  return (
    <div data-testid="leave-page">
      <PageHeader
        title={t('nav.leave.mine')}
        extra={
          <Space>
            <Select value={year} onChange={(y) => set({ year: String(y), page: null })} options={[0, 1, 2].map((d) => ({ value: officeToday().year() - d, label: String(officeToday().year() - d) }))} />
            <Button type="primary" onClick={() => setFormOpen(true)} data-testid="leave-new">{t('leave.new')}</Button>
          </Space>
        }
      />
      <Row gutter={[12, 12]} style={{ marginBottom: 16 }} data-testid="leave-balances">
        {(b?.types ?? []).map((x) => (
          <Col key={x.type} xs={12} md={6}>
            <Card size="small">
              <Statistic title={t('leave.balanceOf', { name: x.name })} value={x.left} suffix={t('leave.dayUnit')} data-testid={`balance-${x.type}`} />
              <Typography.Text type="secondary">{t('leave.balanceDetail', { granted: x.granted, used: x.used, adjusted: x.adjusted })}</Typography.Text>
            </Card>
          </Col>
        ))}
        {(b?.taken ?? []).filter((x) => !(b?.types ?? []).some((y) => y.type === x.type)).map((x) => (
          <Col key={x.type} xs={12} md={6}>
            <Card size="small"><Statistic title={t('leave.takenOf', { name: x.name })} value={x.days} suffix={t('leave.dayUnit')} /></Card>
          </Col>
        ))}
      </Row>
      <QueryTable<LeaveRequest>
        query={list}
        dataSource={list.data?.items}
        columns={columns}
        rowKey="id"
        locale={{ emptyText: t('leave.empty') }}
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => set({ page: String(p) }) }}
        cards={{
          empty: t('leave.empty'),
          card: (r) => (
            <Card size="small" style={{ width: '100%' }} onClick={() => r.approvalId && set({ open: r.id })}>
              <Space wrap><Typography.Text strong>{types.name(r.type)} · {t('leave.days', { days: r.days })}</Typography.Text><LeaveStatusTag r={r} /></Space>
              <div>{period(r)}</div>
              {r.unclosed && <Button size="small" type="primary" onClick={(e) => { e.stopPropagation(); setClosing(r); }}>{t('leave.close')}</Button>}
            </Card>
          ),
        }}
      />
      {formOpen && <LeaveForm open onClose={() => setFormOpen(false)} types={types.types} />}
      {closing && <CloseLeaveModal r={closing} onClose={() => setClosing(null)} />}
      <ApprovalDrawer id={opened.data?.approvalId ?? null} onClose={() => set({ open: null })} />
    </div>
  );
}

interface CloseValues { actualEndDate: Dayjs; note?: string }

/** 销假: the day the leave really ended (earlier gives days back), within the leave and not after today. */
function CloseLeaveModal({ r, onClose }: { r: LeaveRequest; onClose: () => void }) {
  const t = useT();
  const rules = useRequiredRules();
  const [form] = Form.useForm<CloseValues>();
  const save = useFormMutation<CloseValues>(form, {
    mutationFn: (v) => leaveApi.close(r.id, { actualEndDate: toDateStr(v.actualEndDate)!, note: v.note?.trim() || undefined }),
    success: t('leave.closedOk'),
    invalidate: [leaveKeys.all],
    onDone: onClose,
  });
  const today = officeToday().format('YYYY-MM-DD');
  const last = r.endDate < today ? r.endDate : today;
  return (
    <FormModal open title={t('leave.close')} form={form} save={save} onClose={onClose} okText={t('leave.close')} okTestId="leave-close-ok" width={480} initialValues={{ actualEndDate: dayjs(last) }}>
      <Typography.Paragraph type="secondary">{t('leave.closeHelp', { from: fmtDate(r.startDate), to: fmtDate(r.endDate), by: fmtDate(r.closeBy) })}</Typography.Paragraph>
      <Form.Item name="actualEndDate" label={t('leave.field.actualEnd')} rules={rules.required(t('leave.field.actualEnd'))}>
        <DatePicker style={{ width: '100%' }} disabledDate={(d) => d.format('YYYY-MM-DD') < r.startDate || d.format('YYYY-MM-DD') > last} />
      </Form.Item>
      <Form.Item name="note" label={t('leave.field.closeNote')} rules={[{ max: 500 }]}><Input maxLength={500} /></Form.Item>
    </FormModal>
  );
}
