import { useEffect, useState } from 'react';
import type { Dayjs } from 'dayjs';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, List, Radio, Select, Space, Switch, Tabs, Tag, Tooltip, Typography } from 'antd';
import { CheckOutlined, ClockCircleOutlined, FormOutlined, RollbackOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { useShowError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, fmtDateTime, officeToday, toDateStr } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { QueryTable } from '../../app/ui/QueryTable';
import { useUrlState } from '../../app/ui/useUrlState';
import { popPath, RECHECK_RESULTS, useMyGrids, type Recheck, type RecheckResult, type RechecksPage, type RecordKind, type RecordsPage, type ReviewRecord, type ReviewStatus } from './api';
import { DateInput, KindLabel, notFuture, notPast, PersonDrawer, ReviewTag } from './components';
import { GridFilter } from './lists';
import './population.css';

const PAGE_SIZE = 20;
type Tab = ReviewStatus | 'rechecks';

/** 审核 — the station's queue of what grid workers reported (24 h clock), pass / return, spot re-checks. */
export default function ReviewPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params, set] = useUrlState();
  const tab = (params.get('tab') ?? (can('record:enter') ? 'collected' : can('person:review') ? 'reported' : 'rechecks')) as Tab;
  const tabs = [
    // 000:27 — the station enters what grid workers collect, then reviews it.
    ...(can('record:enter') ? [{ key: 'collected', label: t('pop.reviewTab.collected'), children: <RecordsTab status="collected" params={params} set={set} /> }] : []),
    ...(can('person:review')
      ? (['reported', 'passed', 'returned'] as const).map((s) => ({ key: s, label: t(`pop.reviewTab.${s}`), children: <RecordsTab status={s} params={params} set={set} /> }))
      : []),
    ...(can('recheck:write') ? [{ key: 'rechecks', label: t('pop.reviewTab.rechecks'), children: <RechecksTab params={params} set={set} /> }] : []),
  ];
  return (
    <div className="page" data-testid="review-page">
      <PageHeader title={t('pop.review.title')} />
      <Tabs activeKey={tab} onChange={(k) => set({ tab: k, page: null })} items={tabs} data-testid="review-tabs" />
    </div>
  );
}

function RecordsTab({ status, params, set }: { status: ReviewStatus; params: URLSearchParams; set: (p: Record<string, string | null>) => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const qc = useQueryClient();
  const showError = useShowError();
  const { grids } = useMyGrids();
  const page = Number(params.get('page') ?? '1') || 1;
  const gridId = params.get('gridId') ?? undefined;
  const late = params.get('late') === '1' ? true : undefined;
  const kind = (params.get('kind') ?? undefined) as RecordKind | undefined;
  const q = params.get('q') ?? undefined;
  const [qInput, setQInput] = useState(q ?? '');
  useEffect(() => setQInput(q ?? ''), [q]);
  const [selected, setSelected] = useState<string[]>([]);
  const [returning, setReturning] = useState<ReviewRecord[] | null>(null);
  const [recheck, setRecheck] = useState<ReviewRecord | null>(null);
  const [person, setPerson] = useState<string | null>(null);

  const list = useQuery({
    queryKey: ['population', 'records', status, gridId, late, kind, q, page],
    queryFn: ({ signal }) => api.get<RecordsPage>(popPath('/records'), { status, gridId, late, kind, q, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const deadline = list.data?.deadlineHours ?? 24;

  const pass = useMutation({
    mutationFn: async (ids: string[]) => {
      let ok = 0;
      for (const id of ids) {
        await api.post(popPath(`/records/${id}/review`), { decision: 'pass' });
        ok++;
      }
      return ok;
    },
    onSuccess: (n) => {
      notifier.message?.success(t('pop.review.passedN', { n }));
      setSelected([]);
    },
    onError: (e) => showError(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['population'] }),
  });

  const enter = useMutation({
    mutationFn: (id: string) => api.post(popPath(`/records/${id}/enter`), {}),
    onSuccess: () => notifier.message?.success(t('pop.review.enteredOne')),
    onError: (e) => showError(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['population'] }),
  });

  const clock = (r: ReviewRecord) => (
    <Tooltip title={t('pop.review.clockTip', { collected: fmtDateTime(r.collectedAt), reported: fmtDateTime(r.reportedAt), deadline })}>
      <span className={r.late ? 'pop-clock pop-late' : 'pop-clock'} data-testid="record-clock" data-late={r.late ? '1' : '0'}>
        <ClockCircleOutlined /> {t('pop.review.hoursShort', { h: r.reportingHours })}
        {r.late && (
          <Tag color="red" style={{ marginInlineStart: 6 }}>
            {t('pop.record.late')}
          </Tag>
        )}
      </span>
    </Tooltip>
  );
  const subject = (r: ReviewRecord) =>
    r.personId ? (
      <Typography.Link onClick={() => setPerson(r.personId)} data-testid="record-person">
        {r.personName}
      </Typography.Link>
    ) : (
      <span>{r.address}</span>
    );
  const actions = (r: ReviewRecord) =>
    status === 'collected' && can('record:enter') ? (
      <Button type="primary" size="small" icon={<FormOutlined />} loading={enter.isPending && enter.variables === r.id} onClick={() => enter.mutate(r.id)} data-testid="record-enter">
        {t('pop.review.enter')}
      </Button>
    ) : status === 'reported' && can('person:review') && r.ownRecord ? (
      <Tooltip title={t('pop.review.ownRecordHint')}>
        <Tag data-testid="record-own">{t('pop.review.ownRecord')}</Tag>
      </Tooltip>
    ) : status === 'reported' && can('person:review') ? (
      <Space size={6}>
        <Button type="primary" size="small" icon={<CheckOutlined />} loading={pass.isPending && pass.variables?.includes(r.id)} onClick={() => pass.mutate([r.id])} data-testid="record-pass">
          {t('pop.review.pass')}
        </Button>
        <Button size="small" danger icon={<RollbackOutlined />} onClick={() => setReturning([r])} data-testid="record-return">
          {t('pop.review.return')}
        </Button>
      </Space>
    ) : status === 'passed' && can('recheck:write') ? (
      r.recheckable === false ? (
        <Tooltip title={t('pop.recheck.tooOld', { days: list.data?.recheckLookbackDays ?? '' })}>
          <Button size="small" disabled data-testid="record-recheck">
            {t('pop.recheck.schedule')}
          </Button>
        </Tooltip>
      ) : (
        <Button size="small" onClick={() => setRecheck(r)} data-testid="record-recheck">
          {t('pop.recheck.schedule')}
        </Button>
      )
    ) : null;

  const items = list.data?.items ?? [];
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Space wrap>
        <Input.Search
          allowClear
          placeholder={t('pop.review.searchName')}
          style={{ width: 200 }}
          value={qInput}
          onChange={(e) => setQInput(e.target.value)}
          onSearch={(v) => set({ q: v.trim() || null, page: null })}
          autoComplete="off"
          data-testid="records-q"
        />
        <GridFilter grids={grids} value={gridId} onChange={(v) => set({ gridId: v, page: null })} />
        <Select
          allowClear
          placeholder={t('pop.record.kind')}
          style={{ minWidth: 120 }}
          value={kind}
          onChange={(v) => set({ kind: v ?? null, page: null })}
          options={(['arrival', 'departure', 'move', 'house'] as const).map((k) => ({ value: k, label: t(`pop.record.kind.${k}`) }))}
        />
        <Space size={6}>
          <Switch size="small" checked={!!late} onChange={(v) => set({ late: v ? '1' : null, page: null })} />
          <span>{t('pop.review.lateOnly')}</span>
        </Space>
        {status === 'reported' && selected.length > 0 && (
          <Button type="primary" icon={<CheckOutlined />} loading={pass.isPending} onClick={() => pass.mutate(selected)}>
            {t('pop.review.passSelected', { n: selected.length })}
          </Button>
        )}
      </Space>
      {status === 'collected' ? (
        <Alert type="info" showIcon message={t('pop.review.collectedHint')} description={`${t('pop.review.deadlineHint', { deadline })} ${t('pop.review.orderCollected')}`} />
      ) : status === 'reported' ? (
        <Alert type="info" showIcon message={t('pop.review.deadlineHint', { deadline })} description={t('pop.review.orderReported', { deadline })} />
      ) : (
        <Typography.Text type="secondary" data-testid="records-order">
          {t('pop.review.orderReviewed')}
          {status === 'passed' && can('recheck:write') && list.data?.recheckFrom
            ? ` ${t('pop.recheck.period', { days: list.data.recheckLookbackDays ?? '', from: fmtDate(list.data.recheckFrom) })}`
            : ''}
        </Typography.Text>
      )}
      <QueryTable<ReviewRecord>
        query={list}
        mobile={
          isMobile && (
            <List
              loading={list.isFetching}
              dataSource={items}
              locale={{ emptyText: t('pop.review.empty') }}
              pagination={(list.data?.total ?? 0) > PAGE_SIZE ? { current: page, pageSize: PAGE_SIZE, total: list.data?.total, simple: true, onChange: (p) => set({ page: String(p) }) } : false}
              renderItem={(r) => (
                <List.Item data-testid="record-row" data-person={r.personName ?? ''}>
                  <Card size="small" className="pop-person-card">
                    <Space direction="vertical" size={4} style={{ width: '100%' }}>
                      <Space size={6} wrap>
                        <KindLabel kind={r.kind} />
                        {subject(r)}
                        <span className="mono">{r.idNumberMasked}</span>
                        <ReviewTag status={r.reviewStatus} />
                      </Space>
                      <Typography.Text type="secondary">
                        {r.gridName} · {r.collectorName}
                      </Typography.Text>
                      {clock(r)}
                      {r.returnReasons && <Typography.Text type="danger">{r.returnReasons}</Typography.Text>}
                      {actions(r)}
                    </Space>
                  </Card>
                </List.Item>
              )}
            />
          )
        }
        dataSource={items}
        locale={{ emptyText: t('pop.review.empty') }}
        rowClassName={(r) => (r.late ? 'row-late' : '')}
        onRow={(r) => ({ 'data-testid': 'record-row', 'data-person': r.personName ?? '' }) as React.HTMLAttributes<HTMLElement>}
        rowSelection={
          status === 'reported' && can('person:review')
            ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys.map(String)), getCheckboxProps: (r) => ({ disabled: r.ownRecord }) }
            : undefined
        }
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => set({ page: String(p) }) }}
        columns={[
          { title: t('pop.record.kind'), dataIndex: 'kind', render: (k: RecordKind) => <KindLabel kind={k} /> },
          { title: t('pop.review.subject'), key: 'subject', render: (_, r) => subject(r) },
          { title: t('pop.person.idNumber'), dataIndex: 'idNumberMasked', render: (v: string | null) => <span className="mono">{v ?? ''}</span> },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.review.collector'), dataIndex: 'collectorName' },
          { title: t('pop.record.collectedAt'), dataIndex: 'collectedAt', render: (v: string) => fmtDateTime(v) },
          { title: t('pop.review.clockTitle', { deadline }), key: 'clock', render: (_, r) => clock(r) },
          ...(status !== 'collected'
            ? [{ title: t('pop.review.enterer'), key: 'enterer', render: (_: unknown, r: ReviewRecord) => (r.enteredAt ? <Tooltip title={t('pop.review.enteredAtTip', { at: fmtDateTime(r.enteredAt) })}><span data-testid="record-enterer">{r.entererName}</span></Tooltip> : '—') }]
            : []),
          ...(status !== 'reported' && status !== 'collected' ? [{ title: t('pop.review.reviewedAt'), dataIndex: 'reviewedAt', render: (v: string | null) => fmtDateTime(v) }] : []),
          ...(status === 'returned' ? [{ title: t('pop.record.returnReasons'), dataIndex: 'returnReasons' }] : []),
          ...(status !== 'reported' && status !== 'collected' ? [{ title: t('pop.record.status'), dataIndex: 'reviewStatus', render: (s: ReviewStatus) => <ReviewTag status={s} /> }] : []),
          { title: t('common.actions'), key: 'a', fixed: 'right', render: (_, r) => actions(r) },
        ]}
      />
      <ReturnModal records={returning} onClose={() => setReturning(null)} />
      <ScheduleRecheckModal record={recheck} period={list.data?.recheckFrom ? { days: list.data.recheckLookbackDays ?? 0, from: list.data.recheckFrom } : null} onClose={() => setRecheck(null)} />
      <PersonDrawer id={person} onClose={() => setPerson(null)} />
    </Space>
  );
}

function ReturnModal({ records, onClose }: { records: ReviewRecord[] | null; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reasons: string }>();
  const save = useFormMutation(form, {
    mutationFn: async (v: { reasons: string }) => {
      for (const r of records ?? []) await api.post(popPath(`/records/${r.id}/review`), { decision: 'return', reasons: v.reasons.trim() });
    },
    success: t('pop.review.returnedDone'),
    invalidate: [['population']],
    onDone: onClose,
  });
  const quick = ['idWrong', 'addressMissing', 'dateWrong', 'photoUnclear'] as const;
  return (
    <FormModal
      open={!!records}
      title={t('pop.review.returnTitle', { name: records?.[0]?.personName ?? records?.[0]?.address ?? '' })}
      form={form}
      save={save}
      onClose={onClose}
      okText={t('pop.review.return')}
      danger
      okTestId="return-submit"
    >
      <Space wrap size={[6, 6]} style={{ marginBottom: 8 }}>
        {quick.map((k) => (
          <Tag.CheckableTag
            key={k}
            checked={false}
            onChange={() => {
              const cur = (form.getFieldValue('reasons') as string | undefined) ?? '';
              form.setFieldValue('reasons', cur ? `${cur}${t('pop.semicolon')}${t(`pop.review.quick.${k}`)}` : t(`pop.review.quick.${k}`));
            }}
            style={{ border: '1px solid #d9d9d9' }}
          >
            {t(`pop.review.quick.${k}`)}
          </Tag.CheckableTag>
        ))}
      </Space>
      <Form.Item name="reasons" label={t('pop.review.reasons')} rules={[{ required: true, whitespace: true, message: t('pop.review.reasonsRequired') }]}>
        <Input.TextArea rows={3} maxLength={500} data-testid="return-reasons" />
      </Form.Item>
    </FormModal>
  );
}

function ScheduleRecheckModal({ record, period, onClose }: { record: ReviewRecord | null; period: { days: number; from: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<{ scheduledOn: Dayjs }>();
  const save = useFormMutation(form, {
    mutationFn: (v: { scheduledOn: Dayjs }) => api.post(popPath('/rechecks'), { recordId: record!.id, scheduledOn: toDateStr(v.scheduledOn) }),
    success: t('pop.recheck.scheduled'),
    invalidate: [['population', 'rechecks']],
    onDone: onClose,
  });
  return (
    <FormModal open={!!record} title={t('pop.recheck.schedule')} form={form} initialValues={{ scheduledOn: officeToday() }} save={save} onClose={onClose}>
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 12 }}
        message={`${record?.personName ?? record?.address ?? ''} · ${record?.gridName ?? ''}`}
        description={
          <>
            <div>{t('pop.recheck.hint')}</div>
            {record && <div>{t('pop.record.collectedAt')}{t('pop.colon')}{fmtDateTime(record.collectedAt)}</div>}
            {period && <div data-testid="recheck-period">{t('pop.recheck.period', { days: period.days, from: fmtDate(period.from) })}</div>}
          </>
        }
      />
      <Form.Item name="scheduledOn" label={t('pop.recheck.scheduledOn')} rules={required(t('pop.recheck.scheduledOn'))}>
        <DateInput disabledDate={notPast} />
      </Form.Item>
    </FormModal>
  );
}

const RESULT_COLORS: Record<RecheckResult, string> = { correct: 'green', error: 'red', concealment: 'volcano', omission: 'orange' };

export function RecheckResultTag({ result }: { result: RecheckResult | null }) {
  const { t } = useI18n();
  if (!result) return <Tag color="gold">{t('pop.recheck.open')}</Tag>;
  return <Tag color={RESULT_COLORS[result]}>{t(`pop.recheck.result.${result}`)}</Tag>;
}

function RechecksTab({ params, set }: { params: URLSearchParams; set: (p: Record<string, string | null>) => void }) {
  const { t } = useI18n();
  const page = Number(params.get('page') ?? '1') || 1;
  const open = params.get('open') !== '0';
  const [recording, setRecording] = useState<Recheck | null>(null);
  const list = useQuery({
    queryKey: ['population', 'rechecks', open, page],
    queryFn: ({ signal }) => api.get<RechecksPage>(popPath('/rechecks'), { open: open ? true : undefined, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Space wrap>
        <Radio.Group value={open ? '1' : '0'} onChange={(e) => set({ open: e.target.value === '1' ? null : '0', page: null })} optionType="button">
          <Radio.Button value="1">{t('pop.recheck.filterOpen')}</Radio.Button>
          <Radio.Button value="0">{t('pop.recheck.filterAll')}</Radio.Button>
        </Radio.Group>
        <Typography.Text type="secondary">{t('pop.recheck.howTo')}</Typography.Text>
        {list.data?.lookbackFrom && (
          <Typography.Text type="secondary" data-testid="rechecks-period">
            {t('pop.recheck.period', { days: list.data.lookbackDays ?? '', from: fmtDate(list.data.lookbackFrom) })}
          </Typography.Text>
        )}
      </Space>
      <QueryTable<Recheck>
        query={list}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: t('pop.recheck.empty') }}
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => set({ page: String(p) }) }}
        columns={[
          { title: t('pop.recheck.scheduledOn'), dataIndex: 'scheduledOn', render: (v: string) => fmtDate(v) },
          { title: t('pop.record.kind'), dataIndex: 'recordKind', render: (k: RecordKind) => <KindLabel kind={k} /> },
          { title: t('pop.person.name'), dataIndex: 'personName', render: (v: string | null) => v ?? '—' },
          { title: t('pop.person.idNumber'), dataIndex: 'idNumberMasked', render: (v: string | null) => <span className="mono">{v ?? ''}</span> },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.recheck.doneOn'), dataIndex: 'doneOn', render: (v: string | null) => fmtDate(v) },
          { title: t('pop.recheck.resultLabel'), dataIndex: 'result', render: (r: RecheckResult | null) => <RecheckResultTag result={r} /> },
          { title: t('pop.recheck.notes'), dataIndex: 'notes', render: (v: string | null) => v ?? '' },
          {
            title: t('common.actions'),
            key: 'a',
            render: (_, r) =>
              r.result ? null : (
                <Button size="small" type="primary" onClick={() => setRecording(r)}>
                  {t('pop.recheck.record')}
                </Button>
              ),
          },
        ]}
      />
      <RecheckResultModal recheck={recording} onClose={() => setRecording(null)} />
    </Space>
  );
}

function RecheckResultModal({ recheck, onClose }: { recheck: Recheck | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<{ doneOn: Dayjs; result: RecheckResult; notes?: string }>();
  const result = Form.useWatch('result', form);
  const save = useFormMutation(form, {
    mutationFn: (v: { doneOn: Dayjs; result: RecheckResult; notes?: string }) =>
      api.post(popPath(`/rechecks/${recheck!.id}/result`), { doneOn: toDateStr(v.doneOn), result: v.result, notes: v.notes?.trim() || undefined }),
    success: t('pop.recheck.recorded'),
    invalidate: [['population', 'rechecks']],
    onDone: onClose,
  });
  return (
    <FormModal open={!!recheck} title={t('pop.recheck.record')} form={form} initialValues={{ doneOn: officeToday(), result: 'correct' }} save={save} onClose={onClose}>
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${recheck?.personName ?? ''} · ${recheck?.gridName ?? ''}`} />
      <Form.Item name="doneOn" label={t('pop.recheck.doneOn')} rules={required(t('pop.recheck.doneOn'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
      <Form.Item name="result" label={t('pop.recheck.resultLabel')}>
        <Radio.Group>
          <Space direction="vertical">
            {RECHECK_RESULTS.map((r) => (
              <Radio key={r} value={r}>
                {t(`pop.recheck.result.${r}`)}
                <Typography.Text type="secondary" style={{ fontSize: 12, marginInlineStart: 6 }}>
                  {t(`pop.recheck.resultHint.${r}`)}
                </Typography.Text>
              </Radio>
            ))}
          </Space>
        </Radio.Group>
      </Form.Item>
      <Form.Item
        name="notes"
        label={t('pop.recheck.notes')}
        rules={[{ required: result !== undefined && result !== 'correct', whitespace: true, message: t('pop.recheck.notesRequired') }]}
      >
        <Input.TextArea rows={3} maxLength={1000} />
      </Form.Item>
      {result && result !== 'correct' && <Alert type="warning" showIcon message={t('pop.recheck.reportedTo')} />}
    </FormModal>
  );
}
