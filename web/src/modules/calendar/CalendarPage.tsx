import { useMemo, useState, type CSSProperties } from 'react';
import dayjs, { type Dayjs } from 'dayjs';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, DatePicker, Form, Input, InputNumber, Modal, Row, Select, Space, Spin, Table, Tag, Tooltip, Typography } from 'antd';
import { LeftOutlined, PlusOutlined, RightOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { useFormMutation } from '../../app/api/useFormMutation';
import type { CalendarDay, CalendarOverride, Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { useAuth } from '../../app/auth/AuthContext';
import { PageHeader } from '../../app/ui/PageHeader';
import { DATE_FORMAT, fmtDate, fmtDateTime, isoWeekday, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';

interface DaysResponse {
  items: CalendarDay[];
  provisional: boolean;
}

type OverrideKind = 'holiday' | 'makeup_workday';

export default function CalendarPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const monthParam = params.get('month');
  const month = useMemo(() => {
    const m = monthParam ? dayjs(`${monthParam}-01`) : null;
    return m && m.isValid() ? m.startOf('month') : officeToday().startOf('month');
  }, [monthParam]);
  const setMonth = (m: Dayjs) => setParams({ month: m.format('YYYY-MM') }, { replace: true });
  const manage = can('calendar:manage');
  const [addFor, setAddFor] = useState<{ date?: string; kind?: OverrideKind } | null>(null);

  return (
    <div className="page" data-testid="calendar-page">
      <PageHeader
        title={t('cal.title')}
        extra={
          manage ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setAddFor({})} data-testid="override-add">
              {t('cal.addOverride')}
            </Button>
          ) : null
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <MonthView
            manage={manage}
            month={month}
            onMonth={setMonth}
            onDayClick={
              manage
                ? (d) => setAddFor({ date: d.date, kind: d.workday ? 'holiday' : 'makeup_workday' })
                : undefined
            }
          />
        </Col>
        <Col xs={24} xl={8}>
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Calculator />
            <Legend />
          </Space>
        </Col>
      </Row>
      <Overrides manage={manage} />
      {manage && <AddOverrideModal initial={addFor} onClose={() => setAddFor(null)} />}
    </div>
  );
}

function gridRange(month: Dayjs): { from: Dayjs; to: Dayjs } {
  const first = month.startOf('month');
  const wd = first.day() === 0 ? 7 : first.day();
  const from = first.subtract(wd - 1, 'day');
  const last = month.endOf('month').startOf('day');
  const lwd = last.day() === 0 ? 7 : last.day();
  const to = last.add(7 - lwd, 'day');
  return { from, to };
}

function MonthView({ month, onMonth, onDayClick, manage }: { month: Dayjs; onMonth: (m: Dayjs) => void; onDayClick?: (d: CalendarDay) => void; manage: boolean }) {
  const [publishing, setPublishing] = useState(false);
  const { t, tx, locale } = useI18n();
  const isMobile = useIsMobile();
  const { from, to } = gridRange(month);
  const today = officeToday().format(DATE_FORMAT);
  const q = useQuery({
    queryKey: ['calendar', 'days', from.format(DATE_FORMAT), to.format(DATE_FORMAT)],
    queryFn: ({ signal }) => api.get<DaysResponse>('/calendar/days', { from: from.format(DATE_FORMAT), to: to.format(DATE_FORMAT) }, signal),
    placeholderData: keepPreviousData,
  });
  const byDate = useMemo(() => new Map((q.data?.items ?? []).map((d) => [d.date, d])), [q.data]);
  const days: Dayjs[] = [];
  for (let d = from; !d.isAfter(to); d = d.add(1, 'day')) days.push(d);

  const label = (d: CalendarDay): string => {
    if (d.kind === 'holiday') return d.name || t('cal.kind.holiday');
    if (d.kind === 'makeup_workday') return d.name ? `${t('cal.kind.makeup_workday')}（${d.name}）` : t('cal.kind.makeup_workday');
    if (d.kind === 'weekend') return t('cal.short.weekend');
    return d.name ?? '';
  };

  return (
    <Card
      data-testid="calendar-month"
      title={
        <Space wrap>
          <Button icon={<LeftOutlined />} onClick={() => onMonth(month.subtract(1, 'month'))} aria-label={t('cal.prev')} />
          <DatePicker
            picker="month"
            value={month}
            allowClear={false}
            format={isMobile || locale === 'en' ? 'YYYY-MM' : 'YYYY年MM月'}
            onChange={(m) => m && onMonth(m.startOf('month'))}
            style={{ width: isMobile ? 110 : 140 }}
          />
          <Button icon={<RightOutlined />} onClick={() => onMonth(month.add(1, 'month'))} aria-label={t('cal.next')} />
          <Button onClick={() => onMonth(officeToday().startOf('month'))}>{t('cal.thisMonth')}</Button>
        </Space>
      }
      extra={q.isFetching ? <Spin size="small" /> : null}
    >
      {q.data?.provisional && (
        <Alert
          type="warning"
          showIcon
          message={t('cal.provisional')}
          style={{ marginBottom: 12 }}
          data-testid="calendar-provisional"
          action={manage ? <Button size="small" onClick={() => setPublishing(true)}>{t('cal.publish.button')}</Button> : undefined}
        />
      )}
      {manage && <PublishYearModal open={publishing} year={month.year()} onClose={() => setPublishing(false)} />}
      {q.error ? (
        <LoadError error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <div className="month-grid">
          {[1, 2, 3, 4, 5, 6, 7].map((w) => (
            <div key={w} className="month-grid-head">
              {tx(`cal.wd.${w}`, String(w))}
            </div>
          ))}
          {days.map((d) => {
            const ds = d.format(DATE_FORMAT);
            const info = byDate.get(ds);
            const cls = ['day-cell'];
            if (info && info.kind !== 'workday') cls.push(`day-${info.kind}`);
            if (d.month() !== month.month()) cls.push('other-month');
            if (ds === today) cls.push('today');
            if (onDayClick && info) cls.push('clickable');
            const text = info ? label(info) : '';
            const tip = [ds, info ? t(`cal.kind.${info.kind}` as 'cal.kind.workday') : '', info?.name ?? '', info?.override?.note ? `${t('cal.overrideMark')}：${info.override.note}` : '']
              .filter(Boolean)
              .join(' · ');
            return (
              <Tooltip key={ds} title={tip} mouseEnterDelay={0.4}>
                <div
                  className={cls.join(' ')}
                  data-testid={`day-${ds}`}
                  data-kind={info?.kind ?? ''}
                  onClick={() => info && onDayClick?.(info)}
                >
                  <span className="day-num">{d.date()}</span>
                  {text && <span className="day-label">{text}</span>}
                  {info?.override && <span className="day-override-mark" />}
                </div>
              </Tooltip>
            );
          })}
        </div>
      )}
    </Card>
  );
}

function Legend() {
  const { t } = useI18n();
  const items: { cls: string; label: string; style?: CSSProperties }[] = [
    { cls: '', label: t('cal.kind.workday'), style: { background: '#fff' } },
    { cls: 'day-weekend', label: t('cal.kind.weekend') },
    { cls: 'day-holiday', label: t('cal.kind.holiday') },
    { cls: 'day-makeup_workday', label: t('cal.kind.makeup_workday') },
  ];
  return (
    <Card size="small">
      <div className="legend">
        {items.map((i) => (
          <span key={i.label}>
            <span className={`legend-swatch ${i.cls}`} style={i.style} />
            {i.label}
          </span>
        ))}
        <span>
          <span className="legend-swatch" style={{ background: '#722ed1', borderRadius: '50%', width: 8, height: 8, border: 0 }} />
          {t('cal.overrideMark')}
        </span>
      </div>
    </Card>
  );
}

function Calculator() {
  const { t, tx } = useI18n();
  const showError = useShowError();
  const [form] = Form.useForm<{ from: Dayjs; days: number }>();
  const [result, setResult] = useState<{ date: string; provisional: boolean; days: number } | null>(null);
  const calc = useMutation({
    mutationFn: async (v: { from: Dayjs; days: number }) => {
      const r = await api.get<{ date: string; provisional: boolean }>('/calendar/add-workdays', { from: toDateStr(v.from), days: v.days });
      return { ...r, days: v.days };
    },
    onSuccess: setResult,
    onError: (e) => showError(e, form),
  });
  return (
    <Card size="small" title={t('cal.calc')} data-testid="calendar-calc">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('cal.calc.hint')}
      </Typography.Paragraph>
      <Form form={form} layout="inline" initialValues={{ from: officeToday(), days: 5 }} onFinish={(v) => calc.mutate(v)} style={{ rowGap: 8 }}>
        <Form.Item name="from" label={t('cal.calc.from')} rules={[{ required: true, message: t('common.requiredField', { field: t('cal.calc.from') }) }]}>
          <DatePicker format={DATE_FORMAT} allowClear={false} style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="days" label={t('cal.calc.days')} rules={[{ required: true, message: t('common.requiredField', { field: t('cal.calc.days') }) }]}>
          <InputNumber min={0} max={366} precision={0} style={{ width: 90 }} data-testid="calc-days" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={calc.isPending} data-testid="calc-submit">
            {t('cal.calc.submit')}
          </Button>
        </Form.Item>
      </Form>
      {result && (
        <Alert
          style={{ marginTop: 12 }}
          type={result.provisional ? 'warning' : 'success'}
          showIcon
          data-testid="calc-result"
          message={t('cal.calc.result', { days: result.days, date: fmtDate(result.date), weekday: tx(`weekday.${isoWeekday(result.date)}`, '') })}
          description={result.provisional ? t('cal.calc.provisional') : undefined}
        />
      )}
    </Card>
  );
}

const OV_PAGE_SIZE = 10;

function Overrides({ manage }: { manage: boolean }) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  const [page, setPage] = useState(1);
  const [withdrawing, setWithdrawing] = useState<CalendarOverride | null>(null);
  const q = useQuery({
    queryKey: ['calendar', 'overrides', page],
    queryFn: ({ signal }) => api.get<Page<CalendarOverride>>('/calendar/overrides', { page, pageSize: OV_PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <Card title={t('cal.overrides')} data-testid="calendar-overrides">
      <Typography.Paragraph type="secondary">{t('cal.overridesHint')}</Typography.Paragraph>
      {q.error ? (
        <LoadError error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <Table<CalendarOverride>
          rowKey="id"
          size={isMobile ? 'small' : 'middle'}
          loading={q.isFetching}
          dataSource={q.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('cal.noOverrides') }}
          rowClassName={(o) => (o.withdrawnAt ? 'row-muted' : '')}
          pagination={{
            current: page,
            pageSize: OV_PAGE_SIZE,
            total: q.data?.total ?? 0,
            onChange: setPage,
            hideOnSinglePage: true,
            showTotal: (total) => t('common.total', { total }),
          }}
          columns={[
            { title: t('cal.override.date'), dataIndex: 'date', render: (v: string) => fmtDate(v) },
            {
              title: t('cal.override.kind'),
              dataIndex: 'kind',
              render: (k: OverrideKind) => <Tag color={k === 'holiday' ? 'red' : 'orange'}>{t(`cal.override.kind.${k}`)}</Tag>,
            },
            { title: t('cal.override.note'), dataIndex: 'note', render: (v?: string) => v || '—' },
            { title: t('cal.override.createdBy'), key: 'by', render: (_, o) => o.createdByName ?? o.createdBy ?? '—' },
            { title: t('cal.override.createdAt'), dataIndex: 'createdAt', render: (v?: string) => fmtDateTime(v) },
            {
              title: t('cal.override.status'),
              key: 'status',
              render: (_, o) =>
                o.withdrawnAt ? (
                  <Tooltip title={o.withdrawReason ? `${t('cal.override.withdrawReason')}：${o.withdrawReason}` : undefined}>
                    <Tag>
                      {t('cal.override.withdrawn')} {fmtDateTime(o.withdrawnAt)}
                    </Tag>
                  </Tooltip>
                ) : (
                  <Tag color="green">{t('cal.override.effective')}</Tag>
                ),
            },
            ...(manage
              ? [
                  {
                    title: t('common.actions'),
                    key: 'actions',
                    render: (_: unknown, o: CalendarOverride) =>
                      o.withdrawnAt ? null : (
                        <Typography.Link type="danger" onClick={() => setWithdrawing(o)}>
                          {t('cal.override.withdraw')}
                        </Typography.Link>
                      ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {manage && <WithdrawModal override={withdrawing} onClose={() => setWithdrawing(null)} />}
    </Card>
  );
}

function AddOverrideModal({ initial, onClose }: { initial: { date?: string; kind?: OverrideKind } | null; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ date: Dayjs; kind: OverrideKind; note: string }>();
  const add = useFormMutation(form, {
    mutationFn: (v: { date: Dayjs; kind: OverrideKind; note: string }) =>
      api.post<CalendarOverride>('/calendar/overrides', { date: toDateStr(v.date), kind: v.kind, note: v.note.trim() }),
    success: t('cal.override.added'),
    invalidate: [['calendar']],
    onDone: onClose,
  });
  return (
    <Modal
      open={!!initial}
      title={t('cal.addOverride')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={add.isPending}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{ date: initial?.date ? dayjs(initial.date) : undefined, kind: initial?.kind ?? 'holiday' }}
        onFinish={(v) => add.mutate(v)}
      >
        <Form.Item name="date" label={t('cal.override.date')} rules={[{ required: true, message: t('common.requiredField', { field: t('cal.override.date') }) }]}>
          <DatePicker format={DATE_FORMAT} />
        </Form.Item>
        <Form.Item name="kind" label={t('cal.override.kind')} rules={[{ required: true }]}>
          <Select
            options={[
              { value: 'holiday', label: t('cal.override.kind.holiday') },
              { value: 'makeup_workday', label: t('cal.override.kind.makeup_workday') },
            ]}
          />
        </Form.Item>
        <Form.Item
          name="note"
          label={t('cal.override.note')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('cal.override.note') }) }]}
        >
          <Input.TextArea rows={2} maxLength={200} showCount placeholder={t('cal.override.notePlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function WithdrawModal({ override, onClose }: { override: CalendarOverride | null; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const withdraw = useFormMutation(form, {
    mutationFn: (v: { reason: string }) => api.post(`/calendar/overrides/${override!.id}/withdraw`, { reason: v.reason.trim() }),
    success: t('common.success'),
    invalidate: [['calendar']],
    onDone: onClose,
  });
  return (
    <Modal
      open={!!override}
      title={override ? t('cal.override.withdrawTitle', { date: fmtDate(override.date) }) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('cal.override.withdraw')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={withdraw.isPending}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" preserve={false} onFinish={(v) => withdraw.mutate(v)}>
        <Form.Item
          name="reason"
          label={t('cal.override.withdrawReason')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('cal.override.withdrawReason') }) }]}
        >
          <Input.TextArea rows={3} maxLength={500} showCount />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/**
 * Registers the State Council holiday notice of a year the bundled data lacks: the office enters
 * that year's holidays and make-up workdays as overrides first, then records the notice here, and
 * answers for that year stop being provisional.
 */
function PublishYearModal({ open, year, onClose }: { open: boolean; year: number; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ year: number; noticeRef: string }>();
  const publish = useFormMutation(form, {
    mutationFn: (v: { year: number; noticeRef: string }) => api.post('/calendar/published-years', v),
    success: t('common.success'),
    invalidate: [['calendar']],
    onDone: onClose,
  });
  return (
    <Modal
      open={open}
      title={t('cal.publish.title')}
      okText={t('cal.publish.ok')}
      okButtonProps={{ loading: publish.isPending }}
      onOk={() => void form.validateFields().then((v) => publish.mutate(v))}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('cal.publish.help')}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ year }} preserve={false}>
        <Form.Item name="year" label={t('cal.publish.year')} rules={[{ required: true }]}>
          <InputNumber min={2000} max={2100} style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="noticeRef" label={t('cal.publish.noticeRef')} rules={[{ required: true, message: t('cal.publish.noticeRequired') }]}>
          <Input maxLength={200} placeholder={t('cal.publish.noticePlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
