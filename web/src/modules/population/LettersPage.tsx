import { useState } from 'react';
import dayjs, { type Dayjs } from 'dayjs';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Empty, Form, Input, Radio, Segmented, Select, Space, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { QueryTable } from '../../app/ui/QueryTable';
import { useUrlState } from '../../app/ui/useUrlState';
import { popPath, useMyGrids, type House, type HouseMissingLetter, type Letter, type LettersPage as LettersList, type LetterState, type PartyKind } from './api';
import { DateInput, HouseDrawer, notFuture } from './components';
import { FilterHint, GridFilter, NewButton } from './lists';
import './population.css';

const PAGE_SIZE = 20;
const STATE_COLORS: Record<LetterState, string> = { upcoming: 'default', valid: 'green', expiring: 'orange', expired: 'red', ended: 'default' };
type View = 'all' | 'expiring' | 'expired' | 'missing';

export function LetterStateTag({ state }: { state: LetterState }) {
  const { t } = useI18n();
  return (
    <Tag color={STATE_COLORS[state]} data-testid="letter-state" data-value={state}>
      {t(`pop.letter.state.${state}`)}
    </Tag>
  );
}

/**
 * 责任书 — letters signed with landlords of rental houses and with employers; the ones about to
 * end or ended; and the rental houses with no letter in force today (缺签), each with a button to sign.
 */
export default function LettersPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { grids } = useMyGrids();
  const [params, set] = useUrlState();
  const view = (params.get('view') as View | null) ?? 'all';
  const partyKind = (params.get('partyKind') as PartyKind | null) ?? undefined;
  const gridId = params.get('gridId') ?? undefined;
  const page = Number(params.get('page') ?? '1') || 1;
  const openHouse = params.get('house');
  const [signing, setSigning] = useState<{ houseId?: string; label?: string } | null>(null);
  const [ending, setEnding] = useState<Letter | null>(null);
  const [renewing, setRenewing] = useState<Letter | null>(null);
  const letters = useQuery({
    queryKey: ['population', 'letters', view, partyKind, gridId, page],
    queryFn: ({ signal }) =>
      api.get<LettersList>(popPath('/letters'), { gridId, partyKind, expiring: view === 'expiring' || undefined, expired: view === 'expired' || undefined, page, pageSize: PAGE_SIZE }, signal),
    enabled: view !== 'missing',
    placeholderData: keepPreviousData,
  });
  const missing = useQuery({
    queryKey: ['population', 'letters', 'missing', gridId, page],
    queryFn: ({ signal }) => api.get<Page<HouseMissingLetter>>(popPath('/letters/missing'), { gridId, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const missingTotal = missing.data?.total;
  const writer = can('letter:write');
  const paging = (total: number | undefined) => ({ page, pageSize: PAGE_SIZE, total, onChange: (p: number) => set({ page: String(p) }) });

  return (
    <div className="page" data-testid="letters-page">
      <PageHeader
        title={t('pop.letter.title')}
        extra={
          <NewButton allowed={writer} onClick={() => setSigning({})} testId="letter-new">
            {t('pop.letter.new')}
          </NewButton>
        }
      />
      <Card size="small">
        <Space wrap style={{ width: '100%' }}>
          <Segmented<View>
            value={view}
            onChange={(v) => set({ view: v === 'all' ? null : v, page: null })}
            options={(['all', 'expiring', 'expired', 'missing'] as const).map((v) => ({
              value: v,
              label: v === 'missing' && missingTotal ? `${t('pop.letter.view.missing')} (${missingTotal})` : t(`pop.letter.view.${v}`),
            }))}
          />
          {view !== 'missing' && (
            <Select
              allowClear
              placeholder={t('pop.letter.partyKind')}
              style={{ minWidth: 140 }}
              value={partyKind}
              onChange={(v) => set({ partyKind: v ?? null, page: null })}
              options={(['landlord', 'employer'] as const).map((k) => ({ value: k, label: t(`pop.letter.partyKind.${k}`) }))}
            />
          )}
          <GridFilter grids={grids} value={gridId} onChange={(v) => set({ gridId: v, page: null })} />
        </Space>
        {(view === 'missing' || view === 'expiring') && (
          <FilterHint>
            {view === 'missing' ? t('pop.letter.missingHint') : t('pop.letter.expiringHint', { days: letters.data?.renewalNoticeDays ?? '…' })}
          </FilterHint>
        )}
      </Card>

      {view === 'missing' ? (
        <QueryTable<HouseMissingLetter>
          query={missing}
          rowKey="houseId"
          dataSource={missing.data?.items ?? []}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.letter.missingEmpty')} /> }}
          onRow={(h) => ({ onClick: () => set({ house: h.houseId }), style: { cursor: 'pointer' } })}
          paging={paging(missing.data?.total)}
          columns={[
            { title: t('pop.house.address'), key: 'addr', render: (_, h) => h.fullAddress },
            { title: t('pop.grid'), dataIndex: 'gridName' },
            { title: t('pop.house.ownerName'), dataIndex: 'ownerName' },
            {
              title: t('pop.letter.lastTermTo'),
              dataIndex: 'lastTermTo',
              render: (v: string | null) => (v ? <Tag color="red">{t('pop.letter.lastUntil', { date: fmtDate(v) })}</Tag> : <Typography.Text type="secondary">{t('pop.letter.neverSigned')}</Typography.Text>),
            },
            ...(writer
              ? [
                  {
                    title: t('common.actions'),
                    key: 'a',
                    render: (_: unknown, h: HouseMissingLetter) => (
                      <Button
                        size="small"
                        type="primary"
                        data-testid="letter-sign"
                        onClick={(e) => {
                          e.stopPropagation();
                          setSigning({ houseId: h.houseId, label: `${h.fullAddress} · ${h.ownerName}` });
                        }}
                      >
                        {t('pop.letter.sign')}
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        <QueryTable<Letter>
          query={letters}
          dataSource={letters.data?.items ?? []}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('pop.letter.empty')} /> }}
          paging={paging(letters.data?.total)}
          columns={[
            {
              title: t('pop.letter.partyName'),
              key: 'party',
              render: (_, l) => (
                <Space size={4}>
                  <Tag color={l.partyKind === 'landlord' ? 'orange' : 'geekblue'}>{t(`pop.letter.partyKind.${l.partyKind}`)}</Tag>
                  {l.partyName}
                </Space>
              ),
            },
            {
              title: t('pop.letter.place'),
              key: 'place',
              render: (_, l) =>
                l.houseId ? <Typography.Link onClick={() => set({ house: l.houseId })}>{l.fullAddress}</Typography.Link> : (l.employerName ?? '—'),
            },
            { title: t('pop.grid'), dataIndex: 'gridName' },
            { title: t('pop.letter.signedOn'), dataIndex: 'signedOn', render: (v: string) => fmtDate(v) },
            { title: t('pop.letter.term'), key: 'term', render: (_, l) => `${fmtDate(l.termFrom)} ${t('common.to')} ${fmtDate(l.termTo)}` },
            {
              title: t('pop.letter.state'),
              key: 'state',
              render: (_, l) => (
                <Space size={4}>
                  <LetterStateTag state={l.state} />
                  {l.renewedById && <Tag color="cyan">{t('pop.letter.renewed')}</Tag>}
                  {l.endedOn && <Typography.Text type="secondary">{fmtDate(l.endedOn)}</Typography.Text>}
                </Space>
              ),
            },
            ...(writer
              ? [
                  {
                    title: t('common.actions'),
                    key: 'a',
                    render: (_: unknown, l: Letter) =>
                      l.state === 'ended' ? null : (
                        <Space size={4}>
                          {!l.renewedById && (
                            <Button size="small" type={l.state === 'expiring' || l.state === 'expired' ? 'primary' : 'default'} onClick={() => setRenewing(l)} data-testid="letter-renew">
                              {t('pop.letter.renew')}
                            </Button>
                          )}
                          {l.state !== 'expired' && (
                            <Button size="small" danger onClick={() => setEnding(l)} data-testid="letter-end">
                              {t('pop.letter.end')}
                            </Button>
                          )}
                        </Space>
                      ),
                  },
                ]
              : []),
          ]}
        />
      )}
      <SignModal target={signing} onClose={() => setSigning(null)} />
      <EndModal letter={ending} onClose={() => setEnding(null)} />
      <RenewModal letter={renewing} onClose={() => setRenewing(null)} />
      <HouseDrawer id={openHouse} onClose={() => set({ house: null })} />
    </div>
  );
}

// ------------------------------------------------------------------ sign

interface SignValues {
  partyKind: PartyKind;
  houseId?: string;
  employerId?: string;
  partyName?: string;
  signedOn: Dayjs;
  term: [Dayjs, Dayjs];
  note?: string;
}

function SignModal({ target, onClose }: { target: { houseId?: string; label?: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<SignValues>();
  const kind = Form.useWatch('partyKind', form) ?? 'landlord';
  const [search, setSearch] = useState('');
  const open = !!target;
  const fixedHouse = target?.houseId;
  const houses = useQuery({
    queryKey: ['population', 'houses', 'letter-search', search],
    queryFn: ({ signal }) => api.get<Page<House>>(popPath('/houses'), { rental: true, q: search.trim() || undefined, pageSize: 30 }, signal),
    enabled: open && !fixedHouse && kind === 'landlord',
  });
  const employers = useQuery({
    queryKey: ['population', 'employers', 'letter-search', search],
    queryFn: ({ signal }) => api.get<Page<{ id: string; name: string; address: string; gridName: string | null }>>(popPath('/employers'), { q: search.trim() || undefined, pageSize: 30 }, signal),
    enabled: open && kind === 'employer',
  });
  const save = useFormMutation(form, {
    mutationFn: (v: SignValues) => {
      const common = { partyName: v.partyName?.trim() || undefined, signedOn: toDateStr(v.signedOn), termFrom: toDateStr(v.term[0]), termTo: toDateStr(v.term[1]), note: v.note?.trim() || undefined };
      return api.post<Letter>(
        popPath('/letters'),
        v.partyKind === 'landlord' ? { partyKind: 'landlord', houseId: fixedHouse ?? v.houseId, ...common } : { partyKind: 'employer', employerId: v.employerId, ...common },
      );
    },
    success: t('pop.letter.saved'),
    invalidate: [['population', 'letters'], ['population', 'house']],
    onDone: onClose,
  });
  return (
    <FormModal
      open={open}
      title={t('pop.letter.new')}
      form={form}
      initialValues={{ partyKind: 'landlord', signedOn: officeToday(), term: [officeToday(), officeToday().add(1, 'year').subtract(1, 'day')] }}
      save={save}
      onClose={onClose}
      width={580}
    >
      {fixedHouse ? (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} message={target?.label} />
      ) : (
        <Form.Item name="partyKind" label={t('pop.letter.partyKind')}>
          <Radio.Group optionType="button" options={(['landlord', 'employer'] as const).map((k) => ({ value: k, label: t(`pop.letter.partyKind.${k}`) }))} onChange={() => setSearch('')} />
        </Form.Item>
      )}
      {!fixedHouse && kind === 'landlord' && (
        <Form.Item name="houseId" label={t('pop.letter.house')} rules={required(t('pop.letter.house'))}>
          <Select
            showSearch
            filterOption={false}
            onSearch={setSearch}
            placeholder={t('pop.letter.houseSearch')}
            loading={houses.isFetching}
            data-testid="letter-house"
            options={(houses.data?.items ?? []).map((h) => ({ value: h.id, label: `${h.fullAddress} · ${h.ownerName} · ${h.gridName ?? ''}` }))}
          />
        </Form.Item>
      )}
      {kind === 'employer' && (
        <Form.Item name="employerId" label={t('pop.letter.employer')} rules={required(t('pop.letter.employer'))}>
          <Select
            showSearch
            filterOption={false}
            onSearch={setSearch}
            placeholder={t('pop.letter.employerSearch')}
            loading={employers.isFetching}
            options={(employers.data?.items ?? []).map((e) => ({ value: e.id, label: `${e.name} · ${e.address}` }))}
          />
        </Form.Item>
      )}
      <Form.Item name="partyName" label={t('pop.letter.partyName')} extra={t('pop.letter.partyNameHint')}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="signedOn" label={t('pop.letter.signedOn')} rules={required(t('pop.letter.signedOn'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
      <Form.Item name="term" label={t('pop.letter.term')} rules={required(t('pop.letter.term'))}>
        <DatePicker.RangePicker style={{ width: '100%' }} inputReadOnly={isMobile} />
      </Form.Item>
      <Form.Item name="note" label={t('pop.letter.note')}>
        <Input.TextArea maxLength={500} rows={2} placeholder={t('common.optional')} />
      </Form.Item>
    </FormModal>
  );
}

// ------------------------------------------------------------------ end, renew

function EndModal({ letter, onClose }: { letter: Letter | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<{ endedOn: Dayjs; reason: string }>();
  const save = useFormMutation(form, {
    mutationFn: (v: { endedOn: Dayjs; reason: string }) => api.post<Letter>(popPath(`/letters/${letter!.id}/end`), { endedOn: toDateStr(v.endedOn), reason: v.reason.trim() }),
    success: t('pop.letter.endedDone'),
    invalidate: [['population', 'letters'], ['population', 'house']],
    onDone: onClose,
  });
  return (
    <FormModal
      open={!!letter}
      title={letter ? t('pop.letter.endTitle', { name: letter.partyName }) : ''}
      form={form}
      initialValues={{ endedOn: officeToday() }}
      save={save}
      onClose={onClose}
      okText={t('pop.letter.end')}
      danger
    >
      {letter && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${letter.fullAddress ?? letter.employerName ?? ''} · ${t('pop.letter.term')} ${fmtDate(letter.termFrom)} ${t('common.to')} ${fmtDate(letter.termTo)}`} />}
      <Form.Item name="endedOn" label={t('pop.letter.endedOn')} rules={required(t('pop.letter.endedOn'))}>
        <DateInput disabledDate={(d) => notFuture(d) || (!!letter && d.isBefore(dayjs(letter.termFrom), 'day'))} />
      </Form.Item>
      <Form.Item name="reason" label={t('pop.letter.endReason')} rules={requiredText(t('pop.letter.endReason'))}>
        <Input.TextArea maxLength={500} rows={2} />
      </Form.Item>
    </FormModal>
  );
}

function RenewModal({ letter, onClose }: { letter: Letter | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<{ signedOn: Dayjs; term: [Dayjs, Dayjs]; note?: string }>();
  const start = letter ? dayjs(letter.termTo).add(1, 'day') : officeToday();
  const save = useFormMutation(form, {
    mutationFn: (v: { signedOn: Dayjs; term: [Dayjs, Dayjs]; note?: string }) =>
      api.post<Letter>(popPath(`/letters/${letter!.id}/renew`), { signedOn: toDateStr(v.signedOn), termFrom: toDateStr(v.term[0]), termTo: toDateStr(v.term[1]), note: v.note?.trim() || undefined }),
    success: t('pop.letter.renewedDone'),
    invalidate: [['population', 'letters'], ['population', 'house']],
    onDone: onClose,
  });
  return (
    <FormModal
      open={!!letter}
      title={letter ? t('pop.letter.renewTitle', { name: letter.partyName }) : ''}
      form={form}
      initialValues={{ signedOn: officeToday(), term: [start, start.add(1, 'year').subtract(1, 'day')] }}
      save={save}
      onClose={onClose}
      okText={t('pop.letter.renew')}
    >
      {letter && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={`${letter.fullAddress ?? letter.employerName ?? ''}`} description={t('pop.letter.renewHint', { date: fmtDate(letter.termTo) })} />}
      <Form.Item name="signedOn" label={t('pop.letter.signedOn')} rules={required(t('pop.letter.signedOn'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
      <Form.Item name="term" label={t('pop.letter.term')} rules={required(t('pop.letter.term'))}>
        <DatePicker.RangePicker style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name="note" label={t('pop.letter.note')}>
        <Input.TextArea maxLength={500} rows={2} placeholder={t('common.optional')} />
      </Form.Item>
    </FormModal>
  );
}
