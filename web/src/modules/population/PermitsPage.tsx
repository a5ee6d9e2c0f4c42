import { useEffect, useState } from 'react';
import dayjs, { type Dayjs } from 'dayjs';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Drawer, Empty, Form, Input, Radio, Segmented, Select, Space, Tag, Timeline, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, fmtDateTime, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { QueryTable } from '../../app/ui/QueryTable';
import { useUrlState } from '../../app/ui/useUrlState';
import { PERMIT_KINDS, PERMIT_STATUSES, popPath, useMyGrids, type Permit, type PermitDetail, type PermitKind, type PermitsPage as PermitsList, type PermitStatus, type Person } from './api';
import { DateInput, DrawerBody, notFuture } from './components';
import { FilterHint, GridFilter, NewButton } from './lists';
import './population.css';

const PAGE_SIZE = 20;
const STATUS_COLORS: Record<PermitStatus, string> = { applied: 'gold', accepted: 'blue', issued: 'green', refused: 'red' };
type View = 'all' | 'open' | 'expiring' | 'expired';
type Step = 'accept' | 'issue' | 'refuse' | 'renew';

export function PermitStatusTag({ status }: { status: PermitStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={STATUS_COLORS[status]} data-testid="permit-status" data-value={status}>
      {t(`pop.permit.status.${status}`)}
    </Tag>
  );
}

/** Days left (or past) of an issued permit, coloured when renewal is due. */
function ValidityCell({ p }: { p: Permit }) {
  const { t } = useI18n();
  if (!p.validUntil) return <>—</>;
  return (
    <Space size={4}>
      <span>{fmtDate(p.validUntil)}</span>
      {p.renewedById ? (
        <Tag>{t('pop.permit.renewed')}</Tag>
      ) : p.expired ? (
        <Tag color="red">{t('pop.permit.expiredDays', { n: -(p.daysLeft ?? 0) })}</Tag>
      ) : p.expiring ? (
        <Tag color="orange">{t('pop.permit.daysLeft', { n: p.daysLeft ?? 0 })}</Tag>
      ) : null}
    </Space>
  );
}

/**
 * 居住证申领 — applications of residents in the user's area, their status (applied → accepted →
 * issued | refused) and the permits due for renewal, with the station's steps as buttons.
 */
export default function PermitsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const { grids } = useMyGrids();
  const [params, set] = useUrlState();
  const view = (params.get('view') as View | null) ?? 'all';
  const status = (params.get('status') as PermitStatus | null) ?? undefined;
  const kind = (params.get('kind') as PermitKind | null) ?? undefined;
  const gridId = params.get('gridId') ?? undefined;
  const page = Number(params.get('page') ?? '1') || 1;
  const openId = params.get('permit');
  const applyFor = params.get('apply');
  const [applying, setApplying] = useState(false);
  const [step, setStep] = useState<{ step: Step; permit: Permit } | null>(null);
  useEffect(() => {
    if (applyFor && can('permit:write')) setApplying(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [applyFor]);

  const query = {
    gridId,
    kind,
    status: view === 'all' ? status : undefined,
    expiring: view === 'expiring' || undefined,
    expired: view === 'expired' || undefined,
    page,
    pageSize: PAGE_SIZE,
  };
  const list = useQuery({
    queryKey: ['population', 'permits', query, view],
    queryFn: async ({ signal }) => {
      if (view !== 'open') return api.get<PermitsList>(popPath('/permits'), query, signal);
      // To process: applied and accepted together, oldest first within each.
      const [a, b] = await Promise.all([
        api.get<PermitsList>(popPath('/permits'), { ...query, status: 'applied', page: 1, pageSize: 200 }, signal),
        api.get<PermitsList>(popPath('/permits'), { ...query, status: 'accepted', page: 1, pageSize: 200 }, signal),
      ]);
      const items = [...a.items, ...b.items].sort((x, y) => x.appliedOn.localeCompare(y.appliedOn));
      return { ...a, items: items.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), total: items.length };
    },
    placeholderData: keepPreviousData,
  });
  const items = list.data?.items ?? [];
  const notice = list.data?.renewalNoticeDays;

  const actions = (p: Permit) => {
    const buttons: { step: Step; label: string; primary?: boolean; danger?: boolean }[] = [];
    if (can('permit:decide') && p.status === 'applied') buttons.push({ step: 'accept', label: t('pop.permit.accept'), primary: true });
    if (can('permit:decide') && p.status === 'accepted') buttons.push({ step: 'issue', label: t('pop.permit.issue'), primary: true });
    if (can('permit:decide') && (p.status === 'applied' || p.status === 'accepted')) buttons.push({ step: 'refuse', label: t('pop.permit.refuse'), danger: true });
    if (can('permit:write') && p.status === 'issued' && !p.renewedById && (p.expiring || p.expired) && p.personStatus === 'active') buttons.push({ step: 'renew', label: t('pop.permit.renew'), primary: true });
    return (
      <Space size={4} wrap>
        {buttons.map((b) => (
          <Button
            key={b.step}
            size="small"
            type={b.primary ? 'primary' : 'default'}
            danger={b.danger}
            data-testid={`permit-${b.step}`}
            onClick={(e) => {
              e.stopPropagation();
              setStep({ step: b.step, permit: p });
            }}
          >
            {b.label}
          </Button>
        ))}
        <Typography.Link onClick={() => set({ permit: p.id })}>{t('common.detail')}</Typography.Link>
      </Space>
    );
  };

  return (
    <div className="page" data-testid="permits-page">
      <PageHeader
        title={t('pop.permit.title')}
        extra={
          <NewButton allowed={can('permit:write')} onClick={() => setApplying(true)} testId="permit-new">
            {t('pop.permit.new')}
          </NewButton>
        }
      />
      <Card size="small">
        <Space wrap style={{ width: '100%' }}>
          <Segmented<View>
            value={view}
            onChange={(v) => set({ view: v === 'all' ? null : v, status: null, page: null })}
            options={(['all', 'open', 'expiring', 'expired'] as const).map((v) => ({ value: v, label: t(`pop.permit.view.${v}`) }))}
          />
          {view === 'all' && (
            <Select
              allowClear
              placeholder={t('pop.permit.status')}
              style={{ minWidth: 130 }}
              value={status}
              onChange={(v) => set({ status: v ?? null, page: null })}
              options={PERMIT_STATUSES.map((s) => ({ value: s, label: t(`pop.permit.status.${s}`) }))}
            />
          )}
          <Select
            allowClear
            placeholder={t('pop.permit.kind')}
            style={{ minWidth: 130 }}
            value={kind}
            onChange={(v) => set({ kind: v ?? null, page: null })}
            options={PERMIT_KINDS.map((k) => ({ value: k, label: t(`pop.permit.kind.${k}`) }))}
          />
          <GridFilter grids={grids} value={gridId} onChange={(v) => set({ gridId: v, page: null })} />
        </Space>
        {view !== 'all' && (
          <FilterHint>
            {view === 'expiring' ? t('pop.permit.expiringHint', { days: notice ?? '…' }) : view === 'expired' ? t('pop.permit.expiredHint') : t('pop.permit.openHint')}
          </FilterHint>
        )}
      </Card>
      <QueryTable<Permit>
        query={list}
        dataSource={items}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.permit.empty')} /> }}
        onRow={(p) => ({ onClick: () => set({ permit: p.id }), style: { cursor: 'pointer' } })}
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => set({ page: String(p) }) }}
        columns={[
          {
            title: t('pop.permit.person'),
            key: 'person',
            fixed: isMobile ? undefined : 'left',
            render: (_, p) => (
              <Space direction="vertical" size={0}>
                <span>
                  {p.personName} {p.personStatus === 'left' && <Tag>{t('pop.permit.left')}</Tag>}
                </span>
                <Typography.Text type="secondary" className="mono" style={{ fontSize: 12 }}>
                  {p.idNumberMasked ?? '—'}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('pop.grid'), dataIndex: 'gridName' },
          { title: t('pop.permit.kind'), dataIndex: 'kind', render: (k: PermitKind, p) => <Space size={4}>{t(`pop.permit.kind.${k}`)}{p.renewsId && <Tag color="cyan">{t('pop.permit.renewal')}</Tag>}</Space> },
          { title: t('pop.permit.appliedOn'), dataIndex: 'appliedOn', render: (v: string) => fmtDate(v) },
          { title: t('pop.permit.status'), dataIndex: 'status', render: (s: PermitStatus) => <PermitStatusTag status={s} /> },
          { title: t('pop.permit.cardNumber'), dataIndex: 'cardNumberMasked', render: (v: string | null) => <span className="mono">{v ?? '—'}</span> },
          { title: t('pop.permit.validUntil'), key: 'valid', render: (_, p) => <ValidityCell p={p} /> },
          { title: t('common.actions'), key: 'a', render: (_, p) => actions(p) },
        ]}
      />
      <ApplyModal
        open={applying}
        personId={applyFor}
        onClose={() => {
          setApplying(false);
          if (applyFor) set({ apply: null });
        }}
        onDone={(p) => set({ apply: null, permit: p.id })}
      />
      <StepModal target={step} onClose={() => setStep(null)} />
      <PermitDrawer id={openId} onClose={() => set({ permit: null })} onStep={(s, p) => setStep({ step: s, permit: p })} />
    </div>
  );
}

// ------------------------------------------------------------------ apply

interface ApplyValues {
  personId: string;
  kind: PermitKind;
  appliedOn: Dayjs;
  note?: string;
}

function ApplyModal({ open, personId, onClose, onDone }: { open: boolean; personId: string | null; onClose: () => void; onDone: (p: PermitDetail) => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<ApplyValues>();
  const [search, setSearch] = useState('');
  const chosenId = Form.useWatch('personId', form) ?? personId ?? undefined;
  // The person opened from the person search (?apply=…) is shown by name, not by id.
  const preset = useQuery({
    queryKey: ['population', 'person', personId],
    queryFn: ({ signal }) => api.get<Person>(popPath(`/persons/${personId}`), undefined, signal),
    enabled: open && !!personId,
  });
  const found = useQuery({
    queryKey: ['population', 'persons', 'permit-search', search],
    queryFn: ({ signal }) => api.get<Page<Person>>(popPath('/persons'), { name: search, status: 'active', pageSize: 20 }, signal),
    enabled: open && search.trim().length > 0,
  });
  const options = [...(preset.data ? [preset.data] : []), ...(found.data?.items ?? []).filter((p) => p.id !== preset.data?.id)];
  const chosen = options.find((p) => p.id === chosenId);
  useEffect(() => {
    if (open && personId) form.setFieldValue('personId', personId);
  }, [open, personId, form]);
  const save = useFormMutation(form, {
    mutationFn: (v: ApplyValues) =>
      api.post<PermitDetail>(popPath(`/persons/${v.personId}/permits`), { kind: v.kind, appliedOn: toDateStr(v.appliedOn), note: v.note?.trim() || undefined }),
    success: t('pop.permit.saved'),
    invalidate: [['population', 'permits'], ['population', 'person']],
    onDone: (p) => {
      onClose();
      onDone(p);
    },
  });
  return (
    <FormModal open={open} title={t('pop.permit.new')} form={form} initialValues={{ kind: 'residence_permit', appliedOn: officeToday() }} save={save} onClose={onClose} width={560}>
      <Form.Item name="personId" label={t('pop.permit.person')} rules={required(t('pop.permit.person'))}>
        <Select
          showSearch
          filterOption={false}
          onSearch={setSearch}
          placeholder={t('pop.permit.personSearch')}
          loading={found.isFetching || preset.isLoading}
          notFoundContent={search ? undefined : null}
          data-testid="permit-person"
          options={options.map((p) => ({ value: p.id, label: `${p.name}  ${p.idNumberMasked ?? ''}  ${p.gridName ?? ''}` }))}
        />
      </Form.Item>
      {chosen?.arrivedOn && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('pop.permit.arrivedOn', { date: fmtDate(chosen.arrivedOn) })} />}
      <Form.Item name="kind" label={t('pop.permit.kind')}>
        <Radio.Group optionType="button" options={PERMIT_KINDS.map((k) => ({ value: k, label: t(`pop.permit.kind.${k}`) }))} />
      </Form.Item>
      <Form.Item name="appliedOn" label={t('pop.permit.appliedOn')} rules={required(t('pop.permit.appliedOn'))}>
        <DateInput disabledDate={(d) => notFuture(d) || (!!chosen?.arrivedOn && d.isBefore(dayjs(chosen.arrivedOn), 'day'))} />
      </Form.Item>
      <Form.Item name="note" label={t('pop.permit.note')}>
        <Input.TextArea maxLength={500} rows={2} placeholder={t('common.optional')} />
      </Form.Item>
    </FormModal>
  );
}

// ------------------------------------------------------------------ steps: accept, issue, refuse, renew

interface StepValues {
  on: Dayjs;
  cardNumber?: string;
  validUntil?: Dayjs;
  reason?: string;
  note?: string;
}

function StepModal({ target, onClose }: { target: { step: Step; permit: Permit } | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<StepValues>();
  const step = target?.step;
  const p = target?.permit;
  const dateLabel = step === 'accept' ? t('pop.permit.acceptedOn') : step === 'issue' ? t('pop.permit.issuedOn') : step === 'refuse' ? t('pop.permit.refusedOn') : t('pop.permit.appliedOn');
  const earliest = p ? (step === 'issue' ? p.acceptedOn : step === 'renew' ? null : p.appliedOn) : null;
  const success = { accept: t('pop.permit.acceptedDone'), issue: t('pop.permit.issuedDone'), refuse: t('pop.permit.refusedDone'), renew: t('pop.permit.renewedDone') };
  const save = useFormMutation(form, {
    mutationFn: (v: StepValues) => {
      const on = toDateStr(v.on);
      const url = popPath(`/permits/${p!.id}/${step}`);
      if (step === 'accept') return api.post<PermitDetail>(url, { acceptedOn: on });
      if (step === 'issue') return api.post<PermitDetail>(url, { issuedOn: on, cardNumber: v.cardNumber?.trim() ?? '', validUntil: toDateStr(v.validUntil) });
      if (step === 'refuse') return api.post<PermitDetail>(url, { refusedOn: on, reason: v.reason?.trim() ?? '' });
      return api.post<PermitDetail>(url, { appliedOn: on, note: v.note?.trim() || undefined });
    },
    success: step ? success[step] : '',
    invalidate: [['population', 'permits'], ['population', 'permit']],
    onDone: onClose,
  });
  const actionLabel = step === 'renew' ? t('pop.permit.renew') : step ? t(`pop.permit.${step}`) : '';
  return (
    <FormModal
      open={!!target}
      title={p ? t('pop.permit.stepTitle', { action: actionLabel, name: p.personName }) : ''}
      form={form}
      initialValues={{ on: officeToday(), validUntil: officeToday().add(1, 'year') }}
      save={save}
      onClose={onClose}
      okText={actionLabel}
      danger={step === 'refuse'}
      okTestId="permit-step-ok"
    >
      {p && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          message={`${t(`pop.permit.kind.${p.kind}`)} · ${t('pop.permit.appliedOn')} ${fmtDate(p.appliedOn)}${p.acceptedOn ? ` · ${t('pop.permit.acceptedOn')} ${fmtDate(p.acceptedOn)}` : ''}`}
          description={step === 'renew' && p.validUntil ? t('pop.permit.renewOf', { date: fmtDate(p.validUntil) }) : undefined}
        />
      )}
      <Form.Item name="on" label={dateLabel} rules={required(dateLabel)}>
        <DateInput disabledDate={(d) => notFuture(d) || (!!earliest && d.isBefore(dayjs(earliest), 'day'))} />
      </Form.Item>
      {step === 'issue' && (
        <>
          <Form.Item name="cardNumber" label={t('pop.permit.cardNumber')} extra={t('pop.permit.cardHint')} rules={requiredText(t('pop.permit.cardNumber'))}>
            <Input maxLength={32} autoComplete="off" className="mono" data-testid="permit-card" />
          </Form.Item>
          <Form.Item name="validUntil" label={t('pop.permit.validUntil')} rules={required(t('pop.permit.validUntil'))}>
            <DateInput disabledDate={(d) => !d.isAfter(form.getFieldValue('on') ?? officeToday(), 'day')} />
          </Form.Item>
        </>
      )}
      {step === 'refuse' && (
        <Form.Item name="reason" label={t('pop.permit.refuseReason')} rules={requiredText(t('pop.permit.refuseReason'))}>
          <Input.TextArea maxLength={500} rows={3} />
        </Form.Item>
      )}
      {step === 'renew' && (
        <Form.Item name="note" label={t('pop.permit.note')}>
          <Input.TextArea maxLength={500} rows={2} placeholder={t('common.optional')} />
        </Form.Item>
      )}
    </FormModal>
  );
}

// ------------------------------------------------------------------ detail

function PermitDrawer({ id, onClose, onStep }: { id: string | null; onClose: () => void; onStep: (s: Step, p: Permit) => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const q = useQuery({
    queryKey: ['population', 'permit', id],
    queryFn: ({ signal }) => api.get<PermitDetail>(popPath(`/permits/${id}`), undefined, signal),
    enabled: !!id,
  });
  const p = q.data;
  const steps: Step[] = !p
    ? []
    : [
        ...(can('permit:decide') && p.status === 'applied' ? (['accept'] as const) : []),
        ...(can('permit:decide') && p.status === 'accepted' ? (['issue'] as const) : []),
        ...(can('permit:decide') && (p.status === 'applied' || p.status === 'accepted') ? (['refuse'] as const) : []),
        ...(can('permit:write') && p.status === 'issued' && !p.renewedById && (p.expiring || p.expired) && p.personStatus === 'active' ? (['renew'] as const) : []),
      ];
  return (
    <Drawer open={!!id} onClose={onClose} width={isMobile ? '100%' : 560} title={p ? `${p.personName} · ${t(`pop.permit.kind.${p.kind}`)}` : t('pop.permit.detail')} destroyOnHidden data-testid="permit-drawer">
      <DrawerBody query={q}>
        {(p) => (
          <>
            {steps.length > 0 && (
              <div className="pop-actions">
                {steps.map((s) => (
                  <Button key={s} type={s === 'refuse' ? 'default' : 'primary'} danger={s === 'refuse'} onClick={() => onStep(s, p)}>
                    {s === 'renew' ? t('pop.permit.renew') : t(`pop.permit.${s}`)}
                  </Button>
                ))}
              </div>
            )}
            <Descriptions column={isMobile ? 1 : 2} size="small" bordered>
              <Descriptions.Item label={t('pop.permit.person')}>{p.personName}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.idNumber')}>
                <span className="mono">{p.idNumberMasked ?? '—'}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.grid')}>{p.gridName}</Descriptions.Item>
              <Descriptions.Item label={t('pop.permit.status')}>
                <PermitStatusTag status={p.status} />
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.permit.cardNumber')}>
                <span className="mono">{p.cardNumberMasked ?? '—'}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.permit.validUntil')}>
                <ValidityCell p={p} />
              </Descriptions.Item>
              {p.refusedReason && (
                <Descriptions.Item label={t('pop.permit.refuseReason')} span={isMobile ? 1 : 2}>
                  {p.refusedReason}
                </Descriptions.Item>
              )}
              {p.note && (
                <Descriptions.Item label={t('pop.permit.note')} span={isMobile ? 1 : 2}>
                  {p.note}
                </Descriptions.Item>
              )}
            </Descriptions>
            <Card size="small" title={t('pop.permit.history')}>
              <Timeline
                items={p.history.map((h) => ({
                  key: h.id,
                  color: h.action === 'refuse' ? 'red' : h.action === 'issue' ? 'green' : 'blue',
                  children: (
                    <div>
                      <Typography.Text strong>{fmtDate(h.onDate)}</Typography.Text> {t(`pop.permit.action.${h.action}`)}
                      {h.actorName && <Typography.Text type="secondary"> · {h.actorName}</Typography.Text>}
                      {typeof h.data.reason === 'string' && <div>{h.data.reason}</div>}
                      {typeof h.data.validUntil === 'string' && <div>{`${t('pop.permit.validUntil')} ${fmtDate(h.data.validUntil)}`}</div>}
                      <div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {fmtDateTime(h.at)}
                        </Typography.Text>
                      </div>
                    </div>
                  ),
                }))}
              />
            </Card>
          </>
        )}
      </DrawerBody>
    </Drawer>
  );
}
