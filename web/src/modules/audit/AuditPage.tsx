import { useMemo, useState, type ReactNode } from 'react';
import type { Dayjs } from 'dayjs';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, DatePicker, Descriptions, Drawer, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { FilterOutlined, SafetyCertificateOutlined, SearchOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { AuditEvent, AuditName, AuditVerify, Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { pickLabel, readablePolicyPath } from '../policy/codes';
import {
  AUDIT_ACTIONS, AUDIT_ENTITIES, INTERNAL_KEYS, actionKeys, entityKeys, nameKindKeys, summaryKeyKeys, summaryUnitKeys, summaryValueKeys,
} from './codes';

const PAGE_SIZE = 20;

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

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** The summary as an object of named values, or its plain text. */
function parseSummary(raw: unknown): Record<string, unknown> | string | null {
  let v = raw;
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      /* plain text */
    }
  }
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'object' && !Array.isArray(v)) return Object.keys(v).length ? (v as Record<string, unknown>) : null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Everything of an audit event in words: the action, the entity type, the record acted on (named
 * by the server: a person masked, a unit by name, a job by kind and file), each summary key and
 * value (ids → names, codes → words, yes / no, units, policy paths).
 */
function useAuditText() {
  const { t, tx } = useI18n();
  return useMemo(() => {
    const pick = (keys: readonly string[], fallback: string) => pickLabel(tx, keys, fallback);
    const action = (a: string) => pick(actionKeys(a), a);
    const entity = (e: string) => pick(entityKeys(e), e);
    const name = (n: AuditName): string => {
      const kind = n.kind ? pick(nameKindKeys(n.entity ?? '', n.kind), '') : '';
      if (n.entity === 'user') return n.detail ? `${n.name}（${n.detail}）` : n.name;
      // A file by its name, what it belongs to after it.
      if (n.entity === 'file') return kind ? `${n.name}（${kind}）` : n.name;
      return [kind, n.name].filter(Boolean).join(' · ') + (n.detail ? ` ${n.detail}` : '');
    };
    const key = (a: string, k: string) => pick(summaryKeyKeys(a, k), k);
    const value = (a: string, k: string, v: unknown, names: Record<string, AuditName>): string => {
      if (v === null || v === undefined || v === '') return '—';
      if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
      if (typeof v === 'number') {
        if (k === 'size') return fmtBytes(v);
        const unit = pick(summaryUnitKeys(k), '');
        return unit ? `${v} ${unit}` : String(v);
      }
      if (typeof v === 'string') {
        const named = names[v];
        if (named) return name(named);
        if (k === 'changedPaths') return readablePolicyPath(v, tx);
        if (ISO_TIME.test(v)) return fmtDateTime(v, true);
        return pick(summaryValueKeys(a, k, v), v);
      }
      if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => value(a, k, x, names)).join('、');
      if (typeof v === 'object') {
        // A nested record (survey figures before / after): its own keys named as summary or survey keys.
        return Object.entries(v as Record<string, unknown>)
          .map(([nk, nv]) => `${pick([...summaryKeyKeys(a, nk), `survey.${nk}`], nk)} ${value(a, nk, nv, names)}`)
          .join('，');
      }
      return String(v);
    };
    /** The one-line summary of the table (internal ids left out; the drawer has everything). */
    const line = (e: AuditEvent): string => {
      const s = parseSummary(e.summary);
      if (s === null) return '—';
      if (typeof s === 'string') return s;
      return Object.entries(s)
        .filter(([k, v]) => !INTERNAL_KEYS.has(k) && v !== null && v !== undefined)
        .map(([k, v]) => `${key(e.action, k)}：${value(e.action, k, v, e.names ?? {})}`)
        .join('；') || '—';
    };
    return { action, entity, name, key, value, line };
  }, [t, tx]);
}

export default function AuditPage() {
  const { t } = useI18n();
  const text = useAuditText();
  const isMobile = useIsMobile();
  const showError = useShowError();
  const [form] = Form.useForm<FilterForm>();
  const [filters, setFilters] = useState<Filters>({});
  const [page, setPage] = useState(1);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const activeFilters = Object.values(filters).filter(Boolean).length;
  // Actors seen in results (the audit admin has no access to the staff list): id → name (username).
  const [actors, setActors] = useState<Map<string, string>>(new Map());
  // Any action seen in results that the list does not know yet (a newer server).
  const [seenActions, setSeenActions] = useState<string[]>([]);

  const q = useQuery({
    queryKey: ['audit', 'events', filters, page],
    queryFn: async ({ signal }) => {
      const res = await api.get<Page<AuditEvent>>('/audit/events', { ...filters, page, pageSize: PAGE_SIZE }, signal);
      setSeenActions((prev) => {
        const known = AUDIT_ACTIONS as readonly string[];
        const extra = res.items.map((e) => e.action).filter((a) => !known.includes(a) && !prev.includes(a));
        return extra.length > 0 ? [...prev, ...new Set(extra)] : prev;
      });
      setActors((prev) => {
        let changed = false;
        const next = new Map(prev);
        for (const e of res.items) {
          if (e.actorId && !next.has(e.actorId)) {
            next.set(e.actorId, e.actorUsername ? `${e.actorName ?? ''}（${e.actorUsername}）` : (e.actorName ?? e.actorId));
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
    setOpen(null);
  };

  const actionOptions = useMemo(
    () => [...AUDIT_ACTIONS, ...seenActions].map((a) => ({ value: a, label: text.action(a) })),
    [text, seenActions],
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
              style={{ width: isMobile ? '100%' : 180 }}
              popupMatchSelectWidth={false}
              options={[...actors.entries()].map(([id, name]) => ({ value: id, label: name }))}
              data-testid="audit-actor"
            />
          </Form.Item>
          <Form.Item name="action" label={t('audit.action')}>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              style={{ width: isMobile ? '100%' : 200 }}
              options={actionOptions}
              popupMatchSelectWidth={false}
              data-testid="audit-action"
            />
          </Form.Item>
          <Form.Item name="entity" label={t('audit.entity')}>
            <Select
              allowClear
              style={{ width: isMobile ? '100%' : 150 }}
              popupMatchSelectWidth={false}
              options={AUDIT_ENTITIES.map((e) => ({ value: e, label: text.entity(e) }))}
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
          // Fixed widths and an ellipsis on the summary: nothing is cut at 1366 px (the whole summary is in the drawer).
          tableLayout="fixed"
          scroll={isMobile ? { x: 960 } : undefined}
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
            { title: t('audit.at'), dataIndex: 'at', width: 158, render: (v: string) => <span style={{ whiteSpace: 'nowrap' }}>{fmtDateTime(v, true)}</span> },
            {
              title: t('audit.actor'),
              key: 'actor',
              width: 130,
              render: (_, e) => <ActorCell e={e} onFilter={(actor) => filterBy({ actor })} />,
            },
            {
              title: t('audit.action'),
              dataIndex: 'action',
              width: 168,
              render: (a: string) => (
                <Tag
                  color={a.includes('failed') || a.includes('locked') ? 'red' : a.includes('reveal') ? 'orange' : undefined}
                  style={{ cursor: 'pointer', maxWidth: '100%', overflow: 'hidden', textOverflow: 'ellipsis' }}
                  title={text.action(a)}
                  onClick={() => filterBy({ action: a })}
                  data-testid="audit-action-tag"
                >
                  {text.action(a)}
                </Tag>
              ),
            },
            {
              title: t('audit.object'),
              key: 'object',
              width: 236,
              render: (_, e) => {
                const name = e.object ? text.name(e.object) : null;
                return (
                  <div style={{ minWidth: 0 }} data-testid="audit-object">
                    <Typography.Text ellipsis={{ tooltip: name ?? undefined }} style={{ display: 'block' }}>
                      {name ?? '—'}
                    </Typography.Text>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {e.entity ? text.entity(e.entity) : ''}
                    </Typography.Text>
                  </div>
                );
              },
            },
            { title: t('audit.ip'), dataIndex: 'ip', width: 118, render: (v?: string | null) => <span className="mono">{v ?? '—'}</span> },
            {
              title: t('audit.summary'),
              key: 'summary',
              ellipsis: { showTitle: false },
              render: (_, e) => {
                const s = text.line(e);
                return (
                  <Typography.Text ellipsis={{ tooltip: s }} style={{ fontSize: 12 }} data-testid="audit-summary">
                    {s}
                  </Typography.Text>
                );
              },
            },
            {
              title: '',
              key: 'detail',
              width: 56,
              render: (_, e) => (
                <Typography.Link onClick={() => setOpen(e)} data-testid="audit-detail">
                  {t('audit.detail')}
                </Typography.Link>
              ),
            },
          ]}
        />
      )}
      <EventDrawer event={open} onClose={() => setOpen(null)} onFilter={filterBy} />
    </div>
  );
}

/** Who acted without an account: someone trying to log in, or the system / the server's operator. */
const noAccount = (e: AuditEvent, t: ReturnType<typeof useI18n>['t']) => (e.action.startsWith('auth.') ? t('audit.notLoggedIn') : t('audit.systemActor'));

function ActorCell({ e, onFilter }: { e: AuditEvent; onFilter: (actor: string) => void }) {
  const { t } = useI18n();
  if (!e.actorId) {
    // A failed login: the name typed, nobody logged in; else the system (a schedule) or the server's operator.
    return (
      <div style={{ minWidth: 0 }}>
        <Typography.Text ellipsis={{ tooltip: e.actorName ?? undefined }} style={{ display: 'block' }}>
          {e.actorName ?? '—'}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {noAccount(e, t)}
        </Typography.Text>
      </div>
    );
  }
  return (
    <div style={{ minWidth: 0 }} data-testid="audit-actor-cell">
      <Typography.Link onClick={() => onFilter(e.actorId!)} title={t('audit.onlyActor')} style={{ display: 'block', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>
        {e.actorName ?? '—'}
      </Typography.Link>
      {e.actorUsername && (
        <Typography.Text type="secondary" className="mono" style={{ fontSize: 12 }}>
          {e.actorUsername}
        </Typography.Text>
      )}
    </div>
  );
}

/** One event whole: who, what, on what, from where, and the summary as a key / value list. */
function EventDrawer({ event: e, onClose, onFilter }: { event: AuditEvent | null; onClose: () => void; onFilter: (patch: { actor?: string; action?: string }) => void }) {
  const { t } = useI18n();
  const text = useAuditText();
  const isMobile = useIsMobile();
  const summary = e ? parseSummary(e.summary) : null;
  const row = (label: ReactNode, children: ReactNode, testId?: string) => ({ key: String(label), label, children: <span data-testid={testId}>{children}</span> });
  return (
    <Drawer
      open={e !== null}
      onClose={onClose}
      width={isMobile ? '100%' : 600}
      title={e ? t('audit.detailTitle', { seq: String(e.seq) }) : ''}
      destroyOnHidden
      data-testid="audit-drawer"
    >
      {e && (
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions
            size="small"
            column={1}
            bordered
            styles={{ label: { width: 120 } }}
            items={[
              row(t('audit.at'), fmtDateTime(e.at, true)),
              row(
                t('audit.actor'),
                e.actorId ? (
                  <Space wrap>
                    <span>{e.actorUsername ? `${e.actorName ?? ''}（${e.actorUsername}）` : (e.actorName ?? '—')}</span>
                    <Typography.Link onClick={() => onFilter({ actor: e.actorId! })}>{t('audit.onlyActor')}</Typography.Link>
                  </Space>
                ) : (
                  `${e.actorName ?? '—'}（${noAccount(e, t)}）`
                ),
                'audit-drawer-actor',
              ),
              row(
                t('audit.action'),
                <Space wrap>
                  <span>{text.action(e.action)}</span>
                  <Typography.Link onClick={() => onFilter({ action: e.action })}>{t('audit.onlyAction')}</Typography.Link>
                </Space>,
                'audit-drawer-action',
              ),
              row(t('audit.entity'), e.entity ? text.entity(e.entity) : '—'),
              row(t('audit.object'), e.object ? text.name(e.object) : '—', 'audit-drawer-object'),
              row(t('audit.entityId'), e.entityId ? <Typography.Text className="mono" copyable>{e.entityId}</Typography.Text> : '—'),
              row(t('audit.ip'), <span className="mono">{e.ip ?? '—'}</span>, 'audit-drawer-ip'),
              row(t('audit.seq'), <span className="mono">{String(e.seq)}</span>),
              row(t('audit.sealed'), e.sealed ? t('audit.sealedYes') : t('audit.sealedNo')),
              row(t('audit.actionCode'), <span className="mono">{e.action}</span>),
            ]}
          />
          <div>
            <Typography.Title level={5}>{t('audit.summary')}</Typography.Title>
            {summary === null ? (
              <Typography.Text type="secondary">{t('audit.noSummary')}</Typography.Text>
            ) : typeof summary === 'string' ? (
              <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }} data-testid="audit-drawer-text">
                {summary}
              </Typography.Paragraph>
            ) : (
              <Descriptions
                size="small"
                column={1}
                bordered
                styles={{ label: { width: 160 } }}
                data-testid="audit-drawer-summary"
                items={Object.entries(summary).map(([k, v]) => ({
                  key: k,
                  label: text.key(e.action, k),
                  children: (
                    <span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid={`audit-kv-${k}`}>
                      {text.value(e.action, k, v, e.names ?? {})}
                    </span>
                  ),
                }))}
              />
            )}
          </div>
        </Space>
      )}
    </Drawer>
  );
}
