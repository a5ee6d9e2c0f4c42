import { useEffect, useState, type ReactNode } from 'react';
import dayjs, { type Dayjs } from 'dayjs';
import { useQuery } from '@tanstack/react-query';
import {
  Alert,
  Button,
  type SelectProps,
  Card,
  Checkbox,
  DatePicker,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Input,
  InputNumber,
  Select,
  Skeleton,
  Space,
  Switch,
  Table,
  type TableProps,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { EyeOutlined, LogoutOutlined } from '@ant-design/icons';
import { CorrectButton, CorrectPersonModal, useFieldLabel } from './CorrectPersonModal';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { fmtDate, fmtDateTime, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import {
  popPath,
  useDictNames,
  type DuePatrol,
  type GridOption,
  type House,
  type HouseDetail,
  type PatrolLevel,
  type PersonDetail,
  type PersonStatus,
  type RecordKind,
  type ReviewStatus,
  type Tenancy,
} from './api';

// ------------------------------------------------------------------ tags

const REVIEW_COLORS: Record<ReviewStatus, string> = { collected: 'blue', reported: 'gold', passed: 'green', returned: 'red' };

export function ReviewTag({ status }: { status: ReviewStatus }) {
  const { t } = useI18n();
  return (
    <Tag color={REVIEW_COLORS[status]} data-testid="review-status" data-value={status}>
      {t(`pop.review.${status}`)}
    </Tag>
  );
}

export function PersonStatusTag({ status }: { status: PersonStatus }) {
  const { t } = useI18n();
  return <Tag color={status === 'active' ? 'blue' : 'default'}>{t(`pop.person.status.${status}`)}</Tag>;
}

export function KindLabel({ kind }: { kind: RecordKind }) {
  const { t } = useI18n();
  return <Tag>{t(`pop.record.kind.${kind}`)}</Tag>;
}

/** Disables dates after today (office time). */
/** A patrol's state: never patrolled (从未巡查) reads as such — not as a count of overdue days since the house was added. */
export function DueStatusTag({ d }: { d: Pick<DuePatrol, 'neverPatrolled' | 'overdue' | 'overdueDays' | 'dueOn'> }) {
  const { t } = useI18n();
  if (d.neverPatrolled) {
    return d.overdue ? (
      <Tag color="red" data-testid="due-never">{t('pop.patrol.neverOverdue')}</Tag>
    ) : (
      <Tag color="blue" data-testid="due-never">{t('pop.patrol.neverDue', { date: fmtDate(d.dueOn) })}</Tag>
    );
  }
  return d.overdue ? <Tag color="red">{t('pop.patrol.overdueDays', { n: d.overdueDays })}</Tag> : <Tag color="green">{t('pop.patrol.onTime')}</Tag>;
}

export const notFuture = (d: Dayjs) => d.isAfter(officeToday(), 'day');
export const notPast = (d: Dayjs) => d.isBefore(officeToday(), 'day');

/** A date picker that does not open the phone keyboard. */
export function DateInput(props: React.ComponentProps<typeof DatePicker>) {
  const isMobile = useIsMobile();
  return <DatePicker inputReadOnly={isMobile} style={{ width: '100%' }} {...props} />;
}

// ------------------------------------------------------------------ grid field

/**
 * The grid of a form: fixed (shown, not chosen) when the user works in one grid — a grid
 * worker — else a select of the grids in their scope.
 */
export function GridField({ grids, name = 'gridId', label, disabled }: { grids: GridOption[]; name?: string; label?: ReactNode; disabled?: boolean }) {
  const { t } = useI18n();
  const form = Form.useFormInstance();
  const only = grids.length === 1 ? grids[0].id : null;
  // The grids arrive after the form has mounted: fill the only one in then.
  useEffect(() => {
    if (only && !form.getFieldValue(name)) form.setFieldValue(name, only);
  }, [only, form, name]);
  if (grids.length === 1) {
    return (
      <Form.Item name={name} label={label ?? t('pop.grid')} initialValue={grids[0].id}>
        <Select disabled options={[{ value: grids[0].id, label: grids[0].name }]} data-testid="grid-select" />
      </Form.Item>
    );
  }
  return (
    <Form.Item name={name} label={label ?? t('pop.grid')} rules={[{ required: true, message: t('pop.gridRequired') }]}>
      <Select
        showSearch
        disabled={disabled}
        optionFilterProp="label"
        placeholder={t('pop.gridPlaceholder')}
        data-testid="grid-select"
        options={groupGrids(grids)}
      />
    </Form.Item>
  );
}

/** Select options of grids, grouped by community when there are several. */
export function groupGrids(grids: GridOption[]): NonNullable<SelectProps['options']> {
  const byCommunity = new Map<string, { label: string; options: { value: string; label: string }[] }>();
  for (const g of grids) {
    const key = g.communityId ?? '';
    const group = byCommunity.get(key) ?? { label: g.communityName ?? '', options: [] };
    group.options.push({ value: g.id, label: g.name });
    byCommunity.set(key, group);
  }
  if (byCommunity.size <= 1) return grids.map((g) => ({ value: g.id, label: g.name }));
  return [...byCommunity.values()];
}

// ------------------------------------------------------------------ detail drawers

/** A detail drawer's body: a skeleton while it loads, the error (with 重试), then its sections one under another. */
export function DrawerBody<T>({ query, children }: { query: { isLoading: boolean; error: unknown; refetch: () => unknown; data: T | undefined }; children: (data: T) => ReactNode }) {
  if (query.isLoading) return <Skeleton active />;
  if (query.error) return <LoadError error={query.error} onRetry={() => void query.refetch()} />;
  if (!query.data) return null;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {children(query.data)}
    </Space>
  );
}

/** A small table in a detail drawer's card: every row, "无" when there is none. */
export function CardTable<T extends object>({ title, ...table }: { title: ReactNode } & Omit<TableProps<T>, 'title'>) {
  const { t } = useI18n();
  return (
    <Card size="small" title={title}>
      <Table<T> size="small" rowKey="id" pagination={false} scroll={{ x: 'max-content' }} locale={{ emptyText: t('common.none') }} {...table} />
    </Card>
  );
}

/** A stay or tenancy: "from 至 to", or "since from" while it lasts. */
const periodText = (t: ReturnType<typeof useI18n>['t'], r: { from: string; to: string | null }) =>
  r.to ? `${fmtDate(r.from)} ${t('common.to')} ${fmtDate(r.to)}` : t('pop.person.sinceNow', { date: fmtDate(r.from) });

// ------------------------------------------------------------------ person drawer

export function PersonDrawer({ id, onClose, reveal: revealInitial = false }: { id: string | null; onClose: () => void; reveal?: boolean }) {
  const { t, tx } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const names = useDictNames();
  const [reveal, setReveal] = useState(revealInitial);
  const [departOpen, setDepartOpen] = useState(false);
  const [correctOpen, setCorrectOpen] = useState(false);
  const fieldLabel = useFieldLabel();
  useEffect(() => setReveal(revealInitial), [revealInitial, id]);
  const q = useQuery({
    queryKey: ['population', 'person', id, reveal],
    queryFn: ({ signal }) => api.get<PersonDetail>(popPath(`/persons/${id}`), { reveal: reveal || undefined }, signal),
    enabled: !!id,
  });
  const p = q.data;
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width={isMobile ? '100%' : 620}
      title={p ? p.name : t('pop.person.detail')}
      destroyOnHidden
      data-testid="person-drawer"
      extra={
        p && can('person:write') ? (
          <Space size={6}>
            <CorrectButton onClick={() => setCorrectOpen(true)} />
            {p.status === 'active' && (
              <Button icon={<LogoutOutlined />} onClick={() => setDepartOpen(true)} data-testid="person-depart">
                {t('pop.depart.button')}
              </Button>
            )}
          </Space>
        ) : null
      }
    >
      <DrawerBody query={q}>
        {(p) => (
          <>
            {can('person:reveal') && (
              <Space>
                <Switch checked={reveal} onChange={setReveal} data-testid="person-reveal" />
                <span>
                  <EyeOutlined /> {t('pop.reveal.toggle')}
                </span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('pop.reveal.audited')}
                </Typography.Text>
              </Space>
            )}
            <Descriptions column={isMobile ? 1 : 2} size="small" bordered>
              <Descriptions.Item label={t('pop.person.name')}>{p.name}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.status')}>
                <Space size={4}>
                  <PersonStatusTag status={p.status} />
                  <ReviewTag status={p.reviewStatus} />
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.person.idType')}>{tx(`pop.idType.${p.idType}`, p.idType)}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.idNumber')}>
                <span className="mono" data-testid="person-id-number">
                  {reveal ? (p.idNumber ?? '—') : (p.idNumberMasked ?? '—')}
                </span>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.person.gender')}>{p.gender ? t(`pop.gender.${p.gender}`) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.birthDate')}>{fmtDate(p.birthDate) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.phone')}>
                <span className="mono">{reveal ? (p.phone ?? '—') : (p.phoneMasked ?? '—')}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.person.ethnicity')}>{(p.ethnicity && names.ethnicity.get(p.ethnicity)) || p.ethnicity || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.origin')}>{names.originLabel(p.origin) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.education')}>{(p.education && names.education.get(p.education)) || p.education || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.occupation')}>{p.occupation || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.grid')}>{p.gridName ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.arrivedOn')}>{fmtDate(p.arrivedOn) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.leftOn')}>{fmtDate(p.leftOn) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.person.reason')} span={isMobile ? 1 : 2}>
                {p.arrivalReason || '—'}
              </Descriptions.Item>
            </Descriptions>

            <Card size="small" title={t('pop.person.residences')}>
              {p.residences.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              ) : (
                <Timeline
                  items={p.residences.map((r) => ({
                    color: r.to ? 'gray' : 'blue',
                    children: (
                      <div data-testid="person-residence">
                        <div>
                          <Typography.Text strong>{r.gridName ?? '—'}</Typography.Text>
                          {r.address ? <Typography.Text type="secondary"> · {r.address}</Typography.Text> : null}
                        </div>
                        <div>
                          {periodText(t, r)}
                        </div>
                        {(r.arrivalReason || r.departureReason) && (
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {[r.arrivalReason && `${t('pop.person.reason')}${t('pop.colon')}${reasonText(r.arrivalReason, tx)}`, r.departureReason && `${t('pop.depart.reason')}${t('pop.colon')}${reasonText(r.departureReason, tx)}`]
                              .filter(Boolean)
                              .join(t('pop.semicolon'))}
                          </Typography.Text>
                        )}
                      </div>
                    ),
                  }))}
                />
              )}
            </Card>

            <CardTable
              title={t('pop.person.records')}
              dataSource={p.records}
              columns={[
                { title: t('pop.record.kind'), dataIndex: 'kind', render: (k: RecordKind) => <KindLabel kind={k} /> },
                { title: t('pop.record.reportedAt'), dataIndex: 'reportedAt', render: (v: string) => fmtDateTime(v) },
                {
                  title: t('pop.record.status'),
                  key: 's',
                  render: (_, r) => (
                    <Space size={4} wrap>
                      <ReviewTag status={r.reviewStatus} />
                      {r.late && <Tag color="red">{t('pop.record.late')}</Tag>}
                    </Space>
                  ),
                },
                { title: t('pop.record.returnReasons'), dataIndex: 'returnReasons', render: (v: string | null) => v || '' },
              ]}
            />

            <Card size="small" title={t('pop.person.events')}>
              {p.events.length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              ) : (
                <Timeline
                  items={p.events.map((e, i) => ({
                    key: i,
                    children: (
                      <span data-testid={`person-event-${e.kind}`}>
                        <Typography.Text type="secondary">{fmtDateTime(e.at)}</Typography.Text> {tx(`pop.event.${e.kind}`, e.kind)}
                        {e.kind === 'corrected' && <CorrectedDetail data={e.data} label={fieldLabel} />}
                      </span>
                    ),
                  }))}
                />
              )}
            </Card>
          </>
        )}
      </DrawerBody>
      <DepartModal person={departOpen && p ? { id: p.id, name: p.name, arrivedOn: p.arrivedOn } : null} onClose={() => setDepartOpen(false)} />
      <CorrectPersonModal person={correctOpen && p ? p : null} onClose={() => setCorrectOpen(false)} />
    </Drawer>
  );
}

/** A correction in the person's history: which fields changed (before → after, ID and phone masked) and why. */
function CorrectedDetail({ data, label }: { data: unknown; label: (f: string) => string }) {
  const { t } = useI18n();
  const d = (data ?? {}) as { fields?: string[]; reason?: string; changes?: Record<string, { from: string | null; to: string | null }> };
  const fields = d.fields ?? [];
  const shown = ['name', 'phone', 'idNumber', 'occupation', 'birthDate'];
  return (
    <div style={{ fontSize: 12 }}>
      <Typography.Text type="secondary">{t('pop.event.correctedDetail', { fields: fields.map(label).join(t('pop.listSep')), reason: d.reason ?? '—' })}</Typography.Text>
      {fields
        .filter((f) => shown.includes(f) && d.changes?.[f])
        .map((f) => (
          <div key={f} className={f === 'idNumber' || f === 'phone' ? 'mono' : undefined}>
            <Typography.Text type="secondary">
              {label(f)}
              {t('pop.colon')}
              {d.changes![f]!.from ?? '—'} → {d.changes![f]!.to ?? '—'}
            </Typography.Text>
          </div>
        ))}
    </div>
  );
}

const reasonText = (v: string, tx: (k: string, f: string) => string) => (v === 'moved' ? tx('pop.event.moved', v) : v);

// ------------------------------------------------------------------ departure

export function DepartModal({ person, onClose }: { person: { id: string; name: string; arrivedOn: string | null } | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required } = useRequiredRules();
  const [form] = Form.useForm<{ leftOn: Dayjs; reason?: string }>();
  const depart = useFormMutation(form, {
    mutationFn: (v: { leftOn: Dayjs; reason?: string }) =>
      api.post(popPath(`/persons/${person!.id}/depart`), { leftOn: toDateStr(v.leftOn), reason: v.reason?.trim() || undefined }),
    success: t('pop.depart.done'),
    invalidate: [['population']],
    onDone: onClose,
  });
  return (
    <FormModal
      open={!!person}
      title={person ? t('pop.depart.title', { name: person.name }) : ''}
      form={form}
      initialValues={{ leftOn: officeToday() }}
      save={depart}
      onClose={onClose}
      okText={t('pop.depart.submit')}
    >
      {person?.arrivedOn && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('pop.depart.arrivedOn', { date: fmtDate(person.arrivedOn) })} />}
      <Form.Item name="leftOn" label={t('pop.depart.leftOn')} rules={required(t('pop.depart.leftOn'))}>
        <DateInput disabledDate={notFuture} data-testid="depart-date" />
      </Form.Item>
      <Form.Item name="reason" label={t('pop.depart.reason')}>
        <Input maxLength={200} placeholder={t('common.optional')} />
      </Form.Item>
    </FormModal>
  );
}

// ------------------------------------------------------------------ patrol

export interface PatrolTarget {
  level: PatrolLevel;
  targetUnitId: string;
  targetName: string | null;
  houseId?: string | null;
  address?: string | null;
}

interface PatrolValues {
  patrolledOn: Dayjs;
  checked: string;
  findings: string;
  arrivalsFound?: number;
  departuresFound?: number;
  rentalsCounted?: number;
  migrantsCounted?: number;
}

/** The counts of a patrol: found on every patrol, counted on a community / station patrol only. */
const PATROL_FOUND = ['arrivalsFound', 'departuresFound'] as const;
const PATROL_COUNTED = ['rentalsCounted', 'migrantsCounted'] as const;

export function PatrolModal({ target, onClose }: { target: PatrolTarget | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<PatrolValues>();
  const save = useFormMutation(form, {
    mutationFn: (v: PatrolValues) =>
      api.post(popPath('/patrols'), {
        level: target!.level,
        targetUnitId: target!.targetUnitId,
        houseId: target!.houseId ?? undefined,
        patrolledOn: toDateStr(v.patrolledOn),
        checked: v.checked.trim(),
        findings: v.findings.trim(),
        arrivalsFound: v.arrivalsFound ?? undefined,
        departuresFound: v.departuresFound ?? undefined,
        rentalsCounted: v.rentalsCounted ?? undefined,
        migrantsCounted: v.migrantsCounted ?? undefined,
      }),
    success: t('pop.patrol.saved'),
    invalidate: [['population']],
    onDone: onClose,
  });
  const grid = target?.level === 'grid';
  return (
    <FormModal
      open={!!target}
      title={t(`pop.patrol.title.${target?.level ?? 'grid'}`)}
      form={form}
      initialValues={{ patrolledOn: officeToday(), checked: grid ? t('pop.patrol.checkedDefault.grid') : '', arrivalsFound: 0, departuresFound: 0 }}
      save={save}
      onClose={onClose}
      okTestId="patrol-save"
      width={560}
    >
      <Alert
        type="info"
        showIcon
        style={{ marginBottom: 12 }}
        message={grid ? `${target?.address ?? ''}` : target?.targetName ?? ''}
        description={grid ? target?.targetName : undefined}
      />
      <Form.Item name="patrolledOn" label={t('pop.patrol.date')} rules={required(t('pop.patrol.date'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
      <Form.Item name="checked" label={t('pop.patrol.checked')} rules={requiredText(t('pop.patrol.checked'))}>
        <Input.TextArea rows={2} maxLength={500} placeholder={t('pop.patrol.checkedPlaceholder')} />
      </Form.Item>
      <Form.Item name="findings" label={t('pop.patrol.findings')} rules={requiredText(t('pop.patrol.findings'))}>
        <Input.TextArea rows={3} maxLength={2000} placeholder={t('pop.patrol.findingsPlaceholder')} data-testid="patrol-findings" />
      </Form.Item>
      <Space size={12} wrap style={{ width: '100%' }}>
        {(grid ? PATROL_FOUND : [...PATROL_FOUND, ...PATROL_COUNTED]).map((name) => (
          <Form.Item key={name} name={name} label={t(`pop.patrol.${name}`)} style={{ marginBottom: 8 }}>
            <InputNumber min={0} max={100000} precision={0} inputMode="numeric" style={{ width: 150 }} />
          </Form.Item>
        ))}
      </Space>
    </FormModal>
  );
}

// ------------------------------------------------------------------ houses

interface HouseValues {
  gridId: string;
  address: string;
  building?: string;
  unitNo?: string;
  room?: string;
  ownerName: string;
  ownerIdNumber?: string;
  ownerPhone?: string;
  rental: boolean;
  rooms?: number;
  areaM2?: number;
}

export function HouseModal({ open, grids, onClose, onCreated }: { open: boolean; grids: GridOption[]; onClose: () => void; onCreated?: (h: House) => void }) {
  const { t } = useI18n();
  const { requiredText } = useRequiredRules();
  const [form] = Form.useForm<HouseValues>();
  const trim = (s?: string) => (s && s.trim() ? s.trim() : undefined);
  const save = useFormMutation(form, {
    mutationFn: (v: HouseValues) =>
      api.post<House>(popPath('/houses'), {
        gridId: v.gridId,
        address: v.address.trim(),
        building: trim(v.building),
        unitNo: trim(v.unitNo),
        room: trim(v.room),
        ownerName: v.ownerName.trim(),
        ownerIdNumber: trim(v.ownerIdNumber),
        ownerPhone: trim(v.ownerPhone),
        rental: v.rental,
        rooms: v.rooms ?? undefined,
        areaM2: v.areaM2 ?? undefined,
      }),
    success: t('pop.house.saved'),
    invalidate: [['population', 'houses'], ['population', 'due']],
    onDone: (h) => {
      onCreated?.(h);
      onClose();
    },
  });
  return (
    <FormModal open={open} title={t('pop.house.new')} form={form} initialValues={{ rental: true }} save={save} onClose={onClose} okTestId="house-save" width={600}>
      <GridField grids={grids} />
      <Form.Item name="address" label={t('pop.house.address')} rules={requiredText(t('pop.house.address'))}>
        <Input maxLength={200} placeholder={t('pop.house.addressPlaceholder')} data-testid="house-address" />
      </Form.Item>
      <Space.Compact block>
        <Form.Item name="building" label={t('pop.house.building')} style={{ flex: 1 }}>
          <Input maxLength={20} />
        </Form.Item>
        <Form.Item name="unitNo" label={t('pop.house.unitNo')} style={{ flex: 1 }}>
          <Input maxLength={20} />
        </Form.Item>
        <Form.Item name="room" label={t('pop.house.room')} style={{ flex: 1 }}>
          <Input maxLength={20} />
        </Form.Item>
      </Space.Compact>
      <Form.Item name="ownerName" label={t('pop.house.ownerName')} rules={requiredText(t('pop.house.ownerName'))}>
        <Input maxLength={50} data-testid="house-owner" />
      </Form.Item>
      <Form.Item name="ownerIdNumber" label={t('pop.house.ownerIdNumber')}>
        <Input maxLength={18} inputMode="text" autoComplete="off" placeholder={t('common.optional')} />
      </Form.Item>
      <Form.Item name="ownerPhone" label={t('pop.house.ownerPhone')}>
        <Input maxLength={30} inputMode="tel" placeholder={t('common.optional')} />
      </Form.Item>
      <Form.Item name="rental" valuePropName="checked">
        <Checkbox>{t('pop.house.rentalCheck')}</Checkbox>
      </Form.Item>
      <Space size={12} wrap>
        <Form.Item name="rooms" label={t('pop.house.rooms')}>
          <InputNumber min={0} max={500} precision={0} inputMode="numeric" style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="areaM2" label={t('pop.house.areaM2')}>
          <InputNumber min={0.1} max={100000} inputMode="decimal" style={{ width: 140 }} />
        </Form.Item>
      </Space>
    </FormModal>
  );
}

export function TenancyModal({ house, onClose }: { house: { id: string; fullAddress: string; ownerName: string; gridId: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<{ tenantPersonId?: string; tenantName: string; landlordName?: string; fromDate: Dayjs }>();
  // Tenants registered in the house's grid, to link the tenancy to the person.
  const persons = useQuery({
    queryKey: ['population', 'persons', 'grid', house?.gridId],
    queryFn: ({ signal }) =>
      api.get<{ items: { id: string; name: string; idNumberMasked: string | null }[] }>(popPath('/persons'), { gridId: house!.gridId, status: 'active', pageSize: 200 }, signal),
    enabled: !!house,
  });
  const save = useFormMutation(form, {
    mutationFn: (v: { tenantPersonId?: string; tenantName: string; landlordName?: string; fromDate: Dayjs }) =>
      api.post<Tenancy>(popPath(`/houses/${house!.id}/tenancies`), {
        tenantPersonId: v.tenantPersonId || undefined,
        tenantName: v.tenantName.trim(),
        landlordName: v.landlordName?.trim() || undefined,
        fromDate: toDateStr(v.fromDate),
      }),
    success: t('pop.tenancy.saved'),
    invalidate: [['population', 'house']],
    onDone: onClose,
  });
  return (
    <FormModal open={!!house} title={t('pop.tenancy.new')} form={form} initialValues={{ fromDate: officeToday(), landlordName: house?.ownerName }} save={save} onClose={onClose} width={520}>
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={house?.fullAddress} />
      <Form.Item name="tenantPersonId" label={t('pop.tenancy.person')} extra={t('pop.tenancy.personHint')}>
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          loading={persons.isLoading}
          options={(persons.data?.items ?? []).map((p) => ({ value: p.id, label: `${p.name}  ${p.idNumberMasked ?? ''}` }))}
          onChange={(v: string | undefined) => {
            const p = persons.data?.items.find((x) => x.id === v);
            if (p) form.setFieldValue('tenantName', p.name);
          }}
        />
      </Form.Item>
      <Form.Item name="tenantName" label={t('pop.tenancy.tenantName')} rules={requiredText(t('pop.tenancy.tenantName'))}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item name="landlordName" label={t('pop.tenancy.landlordName')}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item name="fromDate" label={t('pop.tenancy.fromDate')} rules={required(t('pop.tenancy.fromDate'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
    </FormModal>
  );
}

export function HouseDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const isMobile = useIsMobile();
  const [tenancyOpen, setTenancyOpen] = useState(false);
  const [patrolOpen, setPatrolOpen] = useState(false);
  const [person, setPerson] = useState<string | null>(null);
  const q = useQuery({
    queryKey: ['population', 'house', id],
    queryFn: ({ signal }) => api.get<HouseDetail>(popPath(`/houses/${id}`), undefined, signal),
    enabled: !!id,
  });
  const h = q.data;
  return (
    <Drawer open={!!id} onClose={onClose} width={isMobile ? '100%' : 620} title={h?.fullAddress ?? t('pop.house.detail')} destroyOnHidden data-testid="house-drawer">
      <DrawerBody query={q}>
        {(h) => (
          <>
            {can('person:write') && (
              <div className="pop-actions">
                {h.rental && can('patrol:grid') && (
                  <Button type="primary" size={isMobile ? 'large' : 'middle'} onClick={() => setPatrolOpen(true)}>
                    {t('pop.patrol.record')}
                  </Button>
                )}
                {h.rental && (
                  <Button size={isMobile ? 'large' : 'middle'} onClick={() => setTenancyOpen(true)}>
                    {t('pop.tenancy.new')}
                  </Button>
                )}
              </div>
            )}
            <Descriptions column={isMobile ? 1 : 2} size="small" bordered>
              <Descriptions.Item label={t('pop.house.address')} span={isMobile ? 1 : 2}>
                {h.fullAddress}
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.grid')}>{h.gridName}</Descriptions.Item>
              <Descriptions.Item label={t('pop.house.rental')}>{h.rental ? <Tag color="orange">{t('pop.house.rentalYes')}</Tag> : <Tag>{t('pop.house.rentalNo')}</Tag>}</Descriptions.Item>
              <Descriptions.Item label={t('pop.house.ownerName')}>{h.ownerName}</Descriptions.Item>
              <Descriptions.Item label={t('pop.house.ownerPhone')}>
                <span className="mono">{h.ownerPhoneMasked ?? '—'}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('pop.house.rooms')}>{h.rooms ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('pop.house.areaM2')}>{h.areaM2 ?? '—'}</Descriptions.Item>
            </Descriptions>
            <CardTable
              title={t('pop.house.residents')}
              rowKey={(r) => `${r.personId}-${r.from}`}
              dataSource={h.residents}
              onRow={(r) => ({ onClick: () => setPerson(r.personId), style: { cursor: 'pointer' } })}
              columns={[
                { title: t('pop.person.name'), dataIndex: 'name' },
                { title: t('pop.person.idNumber'), dataIndex: 'idNumberMasked', render: (v: string | null) => <span className="mono">{v ?? '—'}</span> },
                { title: t('pop.house.period'), key: 'p', render: (_, r) => periodText(t, r) },
              ]}
            />
            <CardTable
              title={t('pop.house.tenancies')}
              dataSource={h.tenancies}
              columns={[
                { title: t('pop.tenancy.tenantName'), dataIndex: 'tenantName' },
                { title: t('pop.tenancy.landlordName'), dataIndex: 'landlordName' },
                { title: t('pop.house.period'), key: 'p', render: (_, r) => periodText(t, r) },
              ]}
            />
            <Card size="small" title={t('pop.house.patrols')}>
              {h.patrols.length === 0 ? (
                <Typography.Text type="secondary">{t('pop.house.neverPatrolled')}</Typography.Text>
              ) : (
                <Timeline
                  items={h.patrols.map((p) => ({
                    key: p.id,
                    children: (
                      <div>
                        <Typography.Text strong>{fmtDate(p.patrolledOn)}</Typography.Text>{' '}
                        <Typography.Text type="secondary">{t('pop.patrol.foundShort', { a: p.arrivalsFound, d: p.departuresFound })}</Typography.Text>
                        <div>{p.findings}</div>
                      </div>
                    ),
                  }))}
                />
              )}
            </Card>
          </>
        )}
      </DrawerBody>
      <TenancyModal house={tenancyOpen && h ? { id: h.id, fullAddress: h.fullAddress, ownerName: h.ownerName, gridId: h.gridId } : null} onClose={() => setTenancyOpen(false)} />
      <PatrolModal
        target={patrolOpen && h ? { level: 'grid', targetUnitId: h.gridId, targetName: h.gridName, houseId: h.id, address: h.fullAddress } : null}
        onClose={() => setPatrolOpen(false)}
      />
      <PersonDrawer id={person} onClose={() => setPerson(null)} />
    </Drawer>
  );
}

/** "YYYY-MM" of this month in the office time zone. */
export const thisMonth = () => officeToday().format('YYYY-MM');
export const monthDayjs = (m: string) => dayjs(`${m}-01`);
