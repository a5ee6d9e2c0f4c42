import { useMemo, useState } from 'react';
import type { Dayjs } from 'dayjs';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Form, Input, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { FilterOutlined, SafetyCertificateOutlined, SearchOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { AuditEvent, AuditVerify, Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { useLabels } from '../../app/ui/labels';
import { fmtDateTime, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { useOrgIndex } from '../org/api';

const PAGE_SIZE = 20;

/** Known audit actions and entities (more appear as modules are added; any code may be typed). */
const KNOWN_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.login_locked',
  'auth.logout',
  'auth.password_change',
  'auth.token',
  'user.create',
  'user.post_add',
  'user.post_end',
  'user.role_grant',
  'user.role_revoke',
  'user.unlock',
  'user.password_reset',
  'policy.version_create',
  'policy.activate',
  'calendar.override_add',
  'calendar.override_withdraw',
  'calendar.year_publish',
  'session.force_end',
  'org_unit.create',
  'org_unit.move',
  'org_unit.close',
  'org_unit.survey_record',
  'org_unit.designate',
  'person.read',
  'person.search',
  'person.reveal',
  'person.create',
  'person.depart',
];
const KNOWN_ENTITIES = ['user', 'session', 'org_unit', 'policy_pack', 'calendar_override', 'calendar_year', 'person'];

interface Filters {
  actor?: string;
  action?: string;
  entity?: string;
  entityId?: string;
  from?: string;
  to?: string;
}

interface FilterForm {
  actor?: string;
  action?: string;
  entity?: string;
  entityId?: string;
  range?: [Dayjs | null, Dayjs | null];
}

export default function AuditPage() {
  const { t } = useI18n();
  const labels = useLabels();
  const isMobile = useIsMobile();
  const showError = useShowError();
  const [form] = Form.useForm<FilterForm>();
  const [filters, setFilters] = useState<Filters>({});
  const [page, setPage] = useState(1);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const activeFilters = Object.values(filters).filter(Boolean).length;
  // Actors seen in results (the audit admin has no access to the staff list): id → name.
  const [actors, setActors] = useState<Map<string, string>>(new Map());

  const q = useQuery({
    queryKey: ['audit', 'events', filters, page],
    queryFn: async ({ signal }) => {
      const res = await api.get<Page<AuditEvent>>('/audit/events', { ...filters, page, pageSize: PAGE_SIZE }, signal);
      setSeenActions((prev) => {
        const extra = res.items.map((e) => e.action).filter((a) => !KNOWN_ACTIONS.includes(a) && !prev.includes(a));
        return extra.length > 0 ? [...prev, ...new Set(extra)] : prev;
      });
      setActors((prev) => {
        let changed = false;
        const next = new Map(prev);
        for (const e of res.items) {
          if (e.actorId && !next.has(e.actorId)) {
            next.set(e.actorId, e.actorName ?? e.actorId);
            changed = true;
          }
        }
        return changed ? next : prev;
      });
      return res;
    },
    placeholderData: keepPreviousData,
  });

  const verify = useMutation({
    mutationFn: () => api.get<AuditVerify>('/audit/verify'),
    onError: (e) => showError(e),
  });

  const apply = (v: FilterForm) => {
    setPage(1);
    setFiltersOpen(false);
    setFilters({
      actor: v.actor || undefined,
      action: v.action?.trim() || undefined,
      entity: v.entity || undefined,
      entityId: v.entityId?.trim() || undefined,
      from: toDateStr(v.range?.[0] ?? null),
      to: toDateStr(v.range?.[1] ?? null),
    });
  };

  const filterBy = (patch: { actor?: string; action?: string }) => {
    form.setFieldsValue(patch);
    apply(form.getFieldsValue());
  };

  // Known actions plus any other action seen in results (modules add their own).
  const [seenActions, setSeenActions] = useState<string[]>([]);
  const actionOptions = useMemo(
    () => [...new Set([...KNOWN_ACTIONS, ...seenActions])].map((a) => ({ value: a, label: labels.action(a) })),
    [labels, seenActions],
  );

  return (
    <div className="page" data-testid="audit-page">
      <PageHeader
        title={t('audit.title')}
        extra={
          <Button icon={<SafetyCertificateOutlined />} onClick={() => verify.mutate()} loading={verify.isPending} data-testid="audit-verify">
            {t('audit.verify')}
          </Button>
        }
      />
      {verify.data && (
        <Alert
          type={verify.data.ok ? 'success' : 'error'}
          showIcon
          closable
          onClose={() => verify.reset()}
          data-testid="audit-verify-result"
          message={
            verify.data.ok
              ? t('audit.verifyOk', { checked: verify.data.checked })
              : t('audit.verifyBroken', { checked: verify.data.checked, seq: String(verify.data.firstBrokenSeq ?? '?') })
          }
        />
      )}
      {isMobile && (
        <Button icon={<FilterOutlined />} onClick={() => setFiltersOpen(!filtersOpen)} style={{ alignSelf: 'flex-start' }}>
          {t('audit.filters')}
          {activeFilters > 0 ? `（${activeFilters}）` : ''}
        </Button>
      )}
      <Card size="small" style={!isMobile || filtersOpen ? undefined : { display: 'none' }}>
        <Form<FilterForm> form={form} layout={isMobile ? 'vertical' : 'inline'} onFinish={apply} style={{ rowGap: 8 }}>
          <Form.Item name="actor" label={t('audit.actor')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              style={{ width: isMobile ? '100%' : 160 }}
              options={[...actors.entries()].map(([id, name]) => ({ value: id, label: name }))}
              data-testid="audit-actor"
            />
          </Form.Item>
          <Form.Item name="action" label={t('audit.action')}>
            <Select allowClear showSearch optionFilterProp="label" style={{ width: isMobile ? '100%' : 200 }} options={actionOptions} popupMatchSelectWidth={false} />
          </Form.Item>
          <Form.Item name="entity" label={t('audit.entity')}>
            <Select
              allowClear
              style={{ width: isMobile ? '100%' : 150 }}
              options={KNOWN_ENTITIES.map((e) => ({ value: e, label: labels.entity(e) }))}
            />
          </Form.Item>
          <Form.Item name="entityId" label={t('audit.entityId')}>
            <Input allowClear style={{ width: isMobile ? '100%' : 180 }} maxLength={100} />
          </Form.Item>
          <Form.Item name="range" label={t('audit.dateRange')}>
            <DatePicker.RangePicker format="YYYY-MM-DD" allowEmpty={[true, true]} style={isMobile ? { width: '100%' } : undefined} />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="audit-search">
                {t('common.search')}
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
                  apply({});
                }}
              >
                {t('common.reset')}
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      {q.error ? (
        <LoadError error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <Table<AuditEvent>
          rowKey={(e) => String(e.seq)}
          size="small"
          loading={q.isFetching}
          dataSource={q.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          data-testid="audit-table"
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: q.data?.total ?? 0,
            showSizeChanger: false,
            onChange: setPage,
            showTotal: (total) => t('common.total', { total }),
          }}
          columns={[
            { title: t('audit.seq'), dataIndex: 'seq', render: (v: number | string) => <span className="mono">{String(v)}</span> },
            { title: t('audit.at'), dataIndex: 'at', render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmtDateTime(v, true)}</span> },
            {
              title: t('audit.actor'),
              key: 'actor',
              render: (_, e) =>
                e.actorId ? (
                  <Tooltip title={e.actorId}>
                    <Typography.Link onClick={() => filterBy({ actor: e.actorId! })}>{e.actorName ?? e.actorId}</Typography.Link>
                  </Tooltip>
                ) : (
                  <Typography.Text type="secondary">{e.actorName ?? '—'}</Typography.Text>
                ),
            },
            {
              title: t('audit.action'),
              dataIndex: 'action',
              render: (a: string) => (
                <Tooltip title={a}>
                  <Tag color={a.includes('failed') || a.includes('locked') ? 'red' : undefined} style={{ cursor: 'pointer' }} onClick={() => filterBy({ action: a })}>
                    {labels.action(a)}
                  </Tag>
                </Tooltip>
              ),
            },
            { title: t('audit.entity'), dataIndex: 'entity', render: (v?: string | null) => (v ? labels.entity(v) : '—') },
            {
              title: t('audit.entityId'),
              dataIndex: 'entityId',
              render: (v?: string | null) => (v ? <span className="mono">{v.length > 18 ? `${v.slice(0, 8)}…${v.slice(-6)}` : v}</span> : '—'),
            },
            { title: t('audit.ip'), dataIndex: 'ip', render: (v?: string | null) => <span className="mono">{v ?? '—'}</span> },
            { title: t('audit.summary'), dataIndex: 'summary', render: (v: unknown) => <Summary value={v} /> },
          ]}
        />
      )}
    </div>
  );
}

function Summary({ value: raw }: { value: unknown }) {
  let value = raw;
  const { t, tx } = useI18n();
  const labels = useLabels();
  const orgIndex = useOrgIndex();
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      /* plain text */
    }
  }
  if (value === null || value === undefined || value === '') return <>—</>;
  if (typeof value !== 'object' || Array.isArray(value)) return <span>{typeof value === 'string' ? value : JSON.stringify(value)}</span>;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return <>—</>;
  const show = (k: string, v: unknown): string => {
    if (v === null || v === undefined) return '—';
    if (k === 'post' && typeof v === 'string') return labels.post(v);
    if (k === 'dataScope' && typeof v === 'string') return labels.scope(v);
    if (k === 'role' && typeof v === 'string') return labels.role(v);
    if (k === 'kind' && typeof v === 'string') return tx(`cal.override.kind.${v}`, v);
    if (k === 'orgUnitId' && typeof v === 'string') return orgIndex.get(v)?.name ?? v;
    if (k === 'customUnitIds' && Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => orgIndex.get(String(x))?.name ?? String(x)).join('、');
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('、');
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  return (
    <span style={{ display: 'inline-block', maxWidth: 420, whiteSpace: 'normal', fontSize: 12 }}>
      {entries.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && '；'}
          <Typography.Text type="secondary">{tx(`summary.${k}`, k)}：</Typography.Text>
          {show(k, v)}
        </span>
      ))}
    </span>
  );
}
