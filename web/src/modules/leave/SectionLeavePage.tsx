import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Button, DatePicker, Form, Input, InputNumber, Select, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs from 'dayjs';
import { api } from '../../app/api/client';
import type { CalendarDay } from '../../app/api/types';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useT } from '../../app/i18n';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { PageHeader } from '../../app/ui/PageHeader';
import { QueryTable } from '../../app/ui/QueryTable';
import { fmtDate, fmtDateTime, officeToday } from '../../app/ui/format';
import { useUrlState } from '../../app/ui/useUrlState';
import { StaffPicker } from '../approvals/StaffPicker';
import { leaveApi, leaveKeys, type LeaveRequest } from './api';
import { LeaveStatusTag, useLeaveTypes, usePeriodText } from './components';

/** 科室请假: who is away this month (a person a row, a day a column), who has not closed their leave, and — for the office — balances. */
export default function SectionLeavePage() {
  const t = useT();
  const { can } = useAuth();
  const [params, set] = useUrlState();
  const tab = params.get('tab') ?? 'calendar';
  return (
    <div data-testid="leave-section-page">
      <PageHeader title={t('nav.leave.section')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => set({ tab: k })}
        items={[
          { key: 'calendar', label: t('leave.tab.calendar'), children: <LeaveCalendar /> },
          { key: 'unclosed', label: t('leave.tab.unclosed'), children: <Unclosed /> },
          ...(can('leave:manage') ? [{ key: 'balances', label: t('leave.tab.balances'), children: <BalanceAdmin /> }] : []),
        ]}
      />
    </div>
  );
}

interface PersonRow { id: string; name: string; unitName: string; byDay: Map<string, LeaveRequest> }

function LeaveCalendar() {
  const t = useT();
  const types = useLeaveTypes();
  const period = usePeriodText();
  const [params, set] = useUrlState();
  const month = dayjs(params.get('month') ?? officeToday().format('YYYY-MM'));
  const from = month.startOf('month').format('YYYY-MM-DD');
  const to = month.endOf('month').format('YYYY-MM-DD');
  const cal = useQuery({ queryKey: leaveKeys.calendar(from, to), queryFn: () => leaveApi.calendar({ from, to }) });
  const days = useQuery({ queryKey: ['calendar', 'days', from, to], queryFn: () => api.get<{ items: CalendarDay[] }>('/calendar/days', { from, to }), staleTime: 600_000 });
  const dayList = useMemo(() => Array.from({ length: month.daysInMonth() }, (_, i) => month.startOf('month').add(i, 'day').format('YYYY-MM-DD')), [month]);
  const workday = new Map((days.data?.items ?? []).map((d) => [d.date, d.workday]));
  const rows = useMemo(() => {
    const m = new Map<string, PersonRow>();
    for (const r of cal.data?.items ?? []) {
      const row = m.get(r.userId) ?? { id: r.userId, name: r.userName ?? '', unitName: r.unitName ?? '', byDay: new Map() };
      const end = r.actualEndDate ?? r.endDate;
      for (let d = dayjs(r.startDate); !d.isAfter(dayjs(end)); d = d.add(1, 'day')) row.byDay.set(d.format('YYYY-MM-DD'), r);
      m.set(r.userId, row);
    }
    return [...m.values()];
  }, [cal.data]);
  const columns: ColumnsType<PersonRow> = [
    { title: t('leave.col.person'), dataIndex: 'name', fixed: 'left', width: 90 },
    { title: t('leave.col.unit'), dataIndex: 'unitName', fixed: 'left', width: 110, ellipsis: true },
    ...dayList.map((d) => ({
      title: <span className={workday.get(d) === false ? 'leave-cal-rest' : ''}>{Number(d.slice(8))}</span>,
      key: d,
      width: 34,
      align: 'center' as const,
      onCell: () => ({ className: workday.get(d) === false ? 'leave-cal-rest' : '' }),
      render: (_: unknown, row: PersonRow) => {
        const r = row.byDay.get(d);
        if (!r) return null;
        return (
          <Tooltip title={`${types.name(r.type)} ${period(r)} · ${r.status === 'pending' ? t('leave.status.pending') : t('leave.status.approved')}`}>
            <span className={`leave-cal-cell ${r.status}`} data-testid={`cal-${row.name}-${d}`}>{types.name(r.type).slice(0, 1)}</span>
          </Tooltip>
        );
      },
    })),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <Button onClick={() => set({ month: month.subtract(1, 'month').format('YYYY-MM') })}>‹</Button>
        <DatePicker picker="month" value={month} allowClear={false} onChange={(m) => m && set({ month: m.format('YYYY-MM') })} />
        <Button onClick={() => set({ month: month.add(1, 'month').format('YYYY-MM') })}>›</Button>
        <Typography.Text type="secondary">{t('leave.calendarLegend')}</Typography.Text>
      </Space>
      <QueryTable<PersonRow> query={cal} dataSource={rows} columns={columns} rowKey="id" pagination={false} size="small" bordered locale={{ emptyText: t('leave.calendarEmpty') }} />
    </Space>
  );
}

function Unclosed() {
  const t = useT();
  const types = useLeaveTypes();
  const period = usePeriodText();
  const list = useQuery({ queryKey: leaveKeys.unclosed, queryFn: leaveApi.unclosed });
  const columns: ColumnsType<LeaveRequest> = [
    { title: t('leave.col.person'), dataIndex: 'userName', width: 90 },
    { title: t('leave.col.unit'), dataIndex: 'unitName', width: 120 },
    { title: t('leave.field.type'), dataIndex: 'type', width: 90, render: (v: string) => types.name(v) },
    { title: t('leave.field.period'), key: 'p', render: (_, r) => period(r) },
    { title: t('leave.col.closeBy'), dataIndex: 'closeBy', width: 110, render: (v: string) => fmtDate(v) },
    { title: t('leave.col.status'), key: 's', width: 160, render: (_, r) => <LeaveStatusTag r={r} /> },
  ];
  return <QueryTable<LeaveRequest> query={list} dataSource={list.data?.items} columns={columns} rowKey="id" pagination={false} locale={{ emptyText: t('leave.unclosedEmpty') }} />;
}

interface AdjustValues { type: string; days: number; note: string }

/** 党政办: a person's balances and their ledger; a grant or deduction with its reason is one more ledger line. */
function BalanceAdmin() {
  const t = useT();
  const rules = useRequiredRules();
  const types = useLeaveTypes();
  const [userId, setUserId] = useState<string | undefined>();
  const year = officeToday().year();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<AdjustValues>();
  const b = useQuery({ queryKey: leaveKeys.balances(year, userId), queryFn: () => leaveApi.balances(year, userId), enabled: !!userId });
  const save = useFormMutation<AdjustValues>(form, {
    mutationFn: (v) => leaveApi.adjust({ userId: userId!, type: v.type, year, days: v.days, note: v.note.trim() }),
    success: t('leave.adjusted'),
    invalidate: [leaveKeys.all],
    onDone: () => setOpen(false),
  });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space wrap>
        <div style={{ width: 320 }}><StaffPicker value={userId} onChange={(v) => setUserId(v as string)} testId="balance-person" /></div>
        <Button disabled={!userId} onClick={() => setOpen(true)} data-testid="balance-adjust">{t('leave.adjust')}</Button>
      </Space>
      {b.data && (
        <>
          <Space wrap>{b.data.types.map((x) => <Tag key={x.type} color="blue">{t('leave.balanceLine', { name: x.name, left: x.left, granted: x.granted })}</Tag>)}</Space>
          <Table
            size="small"
            rowKey="id"
            pagination={{ pageSize: 10 }}
            dataSource={b.data.ledger}
            columns={[
              { title: t('leave.col.at'), dataIndex: 'at', width: 150, render: (v: string) => fmtDateTime(v) },
              { title: t('leave.field.type'), dataIndex: 'type', width: 90, render: (v: string) => types.name(v) },
              { title: t('leave.col.entry'), dataIndex: 'entry', width: 80, render: (v: string) => t(`leave.entry.${v}` as 'leave.entry.grant') },
              { title: t('leave.col.days'), dataIndex: 'days', width: 70 },
              { title: t('leave.col.caseNo'), dataIndex: 'caseNo', width: 140 },
              { title: t('leave.col.note'), dataIndex: 'note' },
            ]}
          />
        </>
      )}
      <FormModal open={open} title={t('leave.adjust')} form={form} save={save} onClose={() => setOpen(false)} width={480}>
        <Form.Item name="type" label={t('leave.field.type')} rules={rules.required(t('leave.field.type'))}>
          <Select options={types.types.filter((x) => x.balance).map((x) => ({ value: x.code, label: x.name }))} />
        </Form.Item>
        <Form.Item name="days" label={t('leave.field.adjustDays')} rules={rules.required(t('leave.field.adjustDays'))} extra={t('leave.adjustHelp')}>
          <InputNumber step={0.5} min={-365} max={365} style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="note" label={t('leave.col.note')} rules={[...rules.requiredText(t('leave.col.note')), { max: 200 }]}><Input maxLength={200} /></Form.Item>
      </FormModal>
    </Space>
  );
}
