import { useMemo, useState } from 'react';
import type { Dayjs } from 'dayjs';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Drawer,
  Empty,
  Form,
  Input,
  List,
  Modal,
  Row,
  Segmented,
  Skeleton,
  Space,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { CheckCircleFilled } from '@ant-design/icons';
import { api, isApiError, type ApiErrorDetail } from '../../app/api/client';
import { useFormMutation } from '../../app/api/useFormMutation';
import type { Page, PolicyPack, PolicyPackSummary, PolicyVersion, PolicyVersionDetail } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { useAuth } from '../../app/auth/AuthContext';
import { PageHeader } from '../../app/ui/PageHeader';
import { DATE_FORMAT, fmtDate, fmtDateTime, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { notifier } from '../../app/ui/notify';
import { PolicyTree } from './PolicyTree';
import { readablePolicyPath } from './codes';
import { PolicyForm, problemText } from './PolicyForm';
import { pathText, setIn, validate, type JsonSchema, type Path } from './jsonSchema';
import { isScalar, policyWords } from './words';
import { diffDocuments, type DiffEntry } from '../../../../src/platform/policy/diff';

export default function PolicyPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const packs = useQuery({
    queryKey: ['policy', 'packs'],
    queryFn: ({ signal }) => api.get<{ items: PolicyPackSummary[] }>('/policy/packs', undefined, signal),
  });
  const items = packs.data?.items ?? [];
  const selected = params.get('pack') ?? items.find((p) => p.active)?.code ?? items[0]?.code ?? null;
  const manage = can('policy:manage');
  const [activating, setActivating] = useState<PolicyPackSummary | null>(null);

  return (
    <div className="page" data-testid="policy-page">
      <PageHeader title={t('policy.title')} />
      {!manage && <Alert type="info" showIcon message={t('policy.noEdit')} />}
      {packs.error ? (
        <LoadError error={packs.error} onRetry={() => void packs.refetch()} />
      ) : (
        <Card size="small" title={t('policy.packs')} loading={packs.isLoading} data-testid="policy-packs">
          <List
            dataSource={items}
            renderItem={(p) => (
              <List.Item
                className={p.code === selected ? 'pack-item pack-item-selected' : 'pack-item'}
                onClick={() => setParams({ pack: p.code })}
                style={{ cursor: 'pointer' }}
                data-testid={`pack-${p.code}`}
                actions={
                  manage && !p.active
                    ? [
                        <Button
                          key="activate"
                          size="small"
                          onClick={(e) => {
                            e.stopPropagation();
                            setActivating(p);
                          }}
                        >
                          {t('policy.setActive')}
                        </Button>,
                      ]
                    : []
                }
              >
                <Space wrap>
                  {p.active ? <CheckCircleFilled style={{ color: '#52c41a' }} /> : <span style={{ display: 'inline-block', width: 14 }} />}
                  <Typography.Text strong={p.code === selected}>{p.name}</Typography.Text>
                  {p.active ? <Tag color="green">{t('policy.active')}</Tag> : <Tag>{t('policy.inactive')}</Tag>}
                  <Typography.Text type="secondary">
                    {t('policy.currentVersion')} {t('policy.version', { version: p.currentVersion })}
                  </Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        </Card>
      )}
      {selected && <PackDetail code={selected} manage={manage} />}
      {manage && <ActivateModal pack={activating} onClose={() => setActivating(null)} />}
    </div>
  );
}

function PackDetail({ code, manage }: { code: string; manage: boolean }) {
  const { t } = useI18n();
  const q = useQuery({
    queryKey: ['policy', 'pack', code],
    queryFn: ({ signal }) => api.get<PolicyPack>(`/policy/packs/${encodeURIComponent(code)}`, undefined, signal),
  });
  const [view, setView] = useState<'tree' | 'raw'>('tree');
  if (q.isLoading) return <Card><Skeleton active /></Card>;
  if (q.error || !q.data) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;
  const pack = q.data;
  const pending = pack.pendingEffectiveFrom ? (
    <Alert
      type="info"
      showIcon
      style={{ marginBottom: 12 }}
      data-testid="policy-pending"
      message={t('policy.pending', { version: pack.latestVersion, date: pack.pendingEffectiveFrom })}
    />
  ) : null;
  const tabs = [
    {
      key: 'document',
      label: t('policy.document'),
      children: (
        <>
          {pending}
          <Segmented
            value={view}
            onChange={(v) => setView(v as 'tree' | 'raw')}
            options={[
              { value: 'tree', label: t('policy.treeView') },
              { value: 'raw', label: t('policy.rawView') },
            ]}
            style={{ marginBottom: 12 }}
          />
          {view === 'tree' ? (
            <PolicyTree key={`${pack.code}-${pack.currentVersion}`} document={pack.document} />
          ) : (
            <pre className="json-raw" data-testid="policy-raw">
              {JSON.stringify(pack.document, null, 2)}
            </pre>
          )}
        </>
      ),
    },
    { key: 'versions', label: t('policy.versions'), children: <Versions code={pack.code} /> },
    ...(manage ? [{ key: 'edit', label: t('policy.edit'), children: <Editor pack={pack} /> }] : []),
  ];
  return (
    <Card
      title={
        <Space wrap>
          <span>{pack.name}</span>
          {pack.active && <Tag color="green">{t('policy.active')}</Tag>}
          <Typography.Text type="secondary">{t('policy.version', { version: pack.currentVersion })}</Typography.Text>
        </Space>
      }
      data-testid="policy-detail"
    >
      <Tabs items={tabs} destroyOnHidden={false} />
    </Card>
  );
}

const V_PAGE_SIZE = 10;

function Versions({ code }: { code: string }) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<number | null>(null);
  const q = useQuery({
    queryKey: ['policy', 'versions', code, page],
    queryFn: ({ signal }) =>
      api.get<Page<PolicyVersion>>(`/policy/packs/${encodeURIComponent(code)}/versions`, { page, pageSize: V_PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  if (q.error) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;
  return (
    <>
      <Table<PolicyVersion>
        rowKey="version"
        size={isMobile ? 'small' : 'middle'}
        loading={q.isFetching}
        dataSource={q.data?.items ?? []}
        scroll={{ x: 'max-content' }}
        pagination={{ current: page, pageSize: V_PAGE_SIZE, total: q.data?.total ?? 0, onChange: setPage, hideOnSinglePage: true }}
        columns={[
          { title: t('policy.v.version'), dataIndex: 'version', render: (v: number) => t('policy.version', { version: v }) },
          { title: t('policy.v.effectiveFrom'), dataIndex: 'effectiveFrom', render: (v?: string) => fmtDate(v) || '—' },
          { title: t('policy.v.reason'), dataIndex: 'reason', render: (v?: string) => v || '—' },
          { title: t('policy.v.decisionRef'), dataIndex: 'decisionRef', render: (v?: string) => v || '—' },
          { title: t('policy.v.author'), key: 'author', render: (_, r) => r.authorName ?? r.author ?? '—' },
          { title: t('policy.v.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtDateTime(v) },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, r) => <Typography.Link onClick={() => setOpen(r.version)}>{t('policy.v.viewDiff')}</Typography.Link>,
          },
        ]}
      />
      <VersionDrawer code={code} version={open} onClose={() => setOpen(null)} />
    </>
  );
}

/** A pack path in words (keys without a name stay as they are). */
const readable = readablePolicyPath;

function valueText(v: unknown, absent: string): string {
  if (v === undefined) return absent;
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

function VersionDrawer({ code, version, onClose }: { code: string; version: number | null; onClose: () => void }) {
  const { t, tx } = useI18n();
  const isMobile = useIsMobile();
  const q = useQuery({
    queryKey: ['policy', 'version', code, version],
    queryFn: ({ signal }) => api.get<PolicyVersionDetail>(`/policy/packs/${encodeURIComponent(code)}/versions/${version}`, undefined, signal),
    enabled: version !== null,
  });
  const absent = t('policy.diff.absent');
  return (
    <Drawer open={version !== null} onClose={onClose} width={isMobile ? '100%' : 820} title={version !== null ? t('policy.diff', { version }) : ''}>
      <div data-testid="policy-diff">
        {q.isLoading ? (
          <Skeleton active />
        ) : q.error || !q.data ? (
          <LoadError error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <Space direction="vertical" size={16} style={{ width: '100%' }}>
            <Descriptions column={1} size="small" bordered>
              <Descriptions.Item label={t('policy.v.reason')}>{q.data.reason || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.decisionRef')}>{q.data.decisionRef || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.effectiveFrom')}>{fmtDate(q.data.effectiveFrom) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.author')}>{q.data.authorName ?? q.data.author ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.createdAt')}>{fmtDateTime(q.data.createdAt)}</Descriptions.Item>
            </Descriptions>
            {q.data.diff.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('policy.diff.empty')} />
            ) : (
              <Table
                size="small"
                rowKey="path"
                pagination={false}
                dataSource={q.data.diff}
                scroll={{ x: 'max-content' }}
                columns={[
                  {
                    title: t('policy.diff.path'),
                    dataIndex: 'path',
                    render: (p: string) => (
                      <div>
                        <div>{readable(p, tx)}</div>
                        <div className="mono" style={{ color: 'rgba(0,0,0,0.45)' }}>
                          {p}
                        </div>
                      </div>
                    ),
                  },
                  {
                    title: t('policy.diff.before'),
                    dataIndex: 'before',
                    onCell: () => ({ className: 'diff-before' }),
                    render: (v: unknown) => <pre className="diff-value">{valueText(v, absent)}</pre>,
                  },
                  {
                    title: t('policy.diff.after'),
                    dataIndex: 'after',
                    onCell: () => ({ className: 'diff-after' }),
                    render: (v: unknown) => <pre className="diff-value">{valueText(v, absent)}</pre>,
                  },
                ]}
              />
            )}
          </Space>
        )}
      </div>
    </Drawer>
  );
}

interface SaveForm {
  reason: string;
  decisionRef: string;
  effectiveFrom: Dayjs;
}

type Doc = Record<string, unknown>;
const asDoc = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});
/** The section a path lies in (`leave` for `leave.chain.steps[0].name`). */
const sectionOf = (path: string) => path.split(/[.[]/)[0] ?? '';

/**
 * Editing a pack: the form generated from the pack's schema (raw JSON as the expert's view of the
 * same document), checked field by field as it is filled; the changes against the current version
 * listed in words beside it and confirmed before a new version is saved.
 */
function Editor({ pack }: { pack: PolicyPack }) {
  const { t, tx } = useI18n();
  const showError = useShowError();
  const qc = useQueryClient();
  const [form] = Form.useForm<SaveForm>();
  const schema = useQuery({
    queryKey: ['policy', 'schema'],
    queryFn: ({ signal }) => api.get<JsonSchema>('/policy/schema', undefined, signal),
    staleTime: Infinity,
  });
  const original = useMemo(() => asDoc(pack.document), [pack.document]);
  const [doc, setDoc] = useState<Doc>(() => structuredClone(original));
  const [view, setView] = useState<'form' | 'raw'>('form');
  const [rawText, setRawText] = useState('');
  const [rawError, setRawError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<ApiErrorDetail[] | null>(null);
  const [problemTitle, setProblemTitle] = useState<string>('');
  const [openSections, setOpenSections] = useState<string[]>([]);
  const [confirming, setConfirming] = useState<SaveForm | null>(null);

  const problems = useMemo(() => (schema.data ? validate(schema.data, doc) : []), [schema.data, doc]);
  const errors = useMemo(() => {
    const m = new Map<string, string>();
    for (const d of serverErrors ?? []) m.set(d.path, d.message);
    for (const p of problems) m.set(p.path, problemText(p, t));
    return m;
  }, [serverErrors, problems, t]);
  const changes = useMemo(() => diffDocuments(original, doc), [original, doc]);

  const setAll = (next: Doc) => {
    setDoc(next);
    setRawText(JSON.stringify(next, null, 2));
    setRawError(null);
  };
  const onFieldChange = (path: Path, value: unknown) => {
    setDoc((d) => asDoc(setIn(d, path, value)));
    const p = pathText(path);
    const related = (q: string) => q === p || q.startsWith(`${p}.`) || q.startsWith(`${p}[`) || p.startsWith(`${q}.`) || p.startsWith(`${q}[`);
    setServerErrors((prev) => (prev ? prev.filter((e) => !related(e.path)) : prev));
  };
  const openWith = (paths: string[]) => setOpenSections((o) => [...new Set([...o, ...paths.map(sectionOf)])]);

  const submit = useMutation({
    mutationFn: (v: { document: unknown; reason: string; decisionRef: string; effectiveFrom: string }) =>
      api.post<PolicyVersionDetail>(`/policy/packs/${encodeURIComponent(pack.code)}/versions`, v),
    onSuccess: (res) => {
      setServerErrors(null);
      setConfirming(null);
      notifier.message?.success(t('policy.saved', { version: res.version }));
      form.resetFields(['reason', 'decisionRef']);
      void qc.invalidateQueries({ queryKey: ['policy'] });
    },
    onError: (e) => {
      setConfirming(null);
      if (isApiError(e) && e.code === 'POLICY_INVALID') {
        setProblemTitle(e.message || t('policy.invalidTitle'));
        setServerErrors(e.details);
        openWith(e.details.map((d) => d.path));
        notifier.message?.error(e.message || t('policy.invalidTitle'));
      } else {
        setServerErrors(null);
        showError(e, form);
      }
    },
  });

  /** Checks before the confirmation: JSON that parses, every field within its rules, something changed. */
  const onFinish = (v: SaveForm) => {
    if (rawError) {
      notifier.message?.error(rawError);
      return;
    }
    if (problems.length > 0) {
      openWith(problems.map((p) => p.path));
      notifier.message?.error(t('policy.changes.fixFirst', { count: problems.length }));
      return;
    }
    if (changes.length === 0) {
      notifier.message?.warning(t('policy.changes.none'));
      return;
    }
    setConfirming(v);
  };

  const switchView = (next: 'form' | 'raw') => {
    if (next === 'raw') setAll(doc);
    else if (rawError) {
      notifier.message?.error(t('policy.rawInvalid'));
      return;
    }
    setView(next);
  };

  const onRawChange = (text: string) => {
    setRawText(text);
    try {
      setDoc(asDoc(JSON.parse(text)));
      setRawError(null);
    } catch (err) {
      setRawError(t('policy.invalidJson', { message: (err as Error).message }));
    }
  };

  const formatRaw = () => {
    if (!rawError) setRawText(JSON.stringify(doc, null, 2));
  };

  return (
    <div data-testid="policy-editor">
      <Typography.Paragraph type="secondary">{t('policy.editHint')}</Typography.Paragraph>
      {serverErrors && serverErrors.length > 0 && (
        <Alert
          type="error"
          showIcon
          closable
          onClose={() => setServerErrors(null)}
          style={{ marginBottom: 16 }}
          message={problemTitle}
          data-testid="policy-errors"
          description={
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {serverErrors.map((d, i) => (
                <li key={i}>
                  {readable(d.path, tx)}
                  {d.path ? <span className="mono" style={{ color: 'rgba(0,0,0,0.45)', marginInlineStart: 6 }}>{d.path}</span> : null}：{d.message}
                </li>
              ))}
            </ul>
          }
        />
      )}
      <Row gutter={16}>
        <Col xs={24} lg={16}>
          <Space style={{ marginBottom: 12 }} wrap>
            <Segmented
              value={view}
              onChange={(v) => switchView(v as 'form' | 'raw')}
              options={[
                { value: 'form', label: <span data-testid="policy-view-form">{t('policy.formView')}</span> },
                { value: 'raw', label: <span data-testid="policy-view-raw">{t('policy.rawExpert')}</span> },
              ]}
            />
            {view === 'raw' && (
              <Button size="small" onClick={formatRaw} disabled={!!rawError}>
                {t('policy.format')}
              </Button>
            )}
            <Button size="small" onClick={() => { setAll(structuredClone(original)); setServerErrors(null); }} disabled={changes.length === 0 && !rawError}>
              {t('policy.resetEditor')}
            </Button>
          </Space>
          {view === 'raw' || schema.error ? (
            <>
              {schema.error && <LoadError error={schema.error} onRetry={() => void schema.refetch()} />}
              <Input.TextArea
                className="json-editor"
                rows={22}
                spellCheck={false}
                value={view === 'raw' ? rawText : JSON.stringify(doc, null, 2)}
                onChange={(e) => onRawChange(e.target.value)}
                status={rawError ? 'error' : undefined}
                data-testid="policy-json"
              />
              {rawError && <Typography.Text type="danger" data-testid="policy-json-error">{rawError}</Typography.Text>}
            </>
          ) : schema.data ? (
            <PolicyForm
              schema={schema.data}
              value={doc}
              original={original}
              onChange={onFieldChange}
              errors={errors}
              openSections={openSections}
              onOpenSections={setOpenSections}
            />
          ) : (
            <Skeleton active />
          )}
        </Col>
        <Col xs={24} lg={8}>
          <Card size="small" className="policy-save-panel" title={t('policy.changes.title', { count: changes.length })}>
            <ChangeList changes={changes} />
            {problems.length > 0 && (
              <Alert type="error" showIcon style={{ marginTop: 12 }} message={t('policy.changes.fixFirst', { count: problems.length })} data-testid="policy-problems" />
            )}
            <Form<SaveForm> form={form} layout="vertical" initialValues={{ effectiveFrom: officeToday() }} onFinish={onFinish} style={{ marginTop: 12 }}>
              <Form.Item
                name="reason"
                label={t('policy.reason')}
                rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('policy.reason') }) }]}
              >
                <Input.TextArea rows={2} maxLength={500} showCount data-testid="policy-reason" />
              </Form.Item>
              <Form.Item
                name="decisionRef"
                label={t('policy.decisionRef')}
                rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('policy.decisionRef') }) }]}
              >
                <Input maxLength={200} placeholder={t('policy.decisionRefPlaceholder')} data-testid="policy-decision" />
              </Form.Item>
              <Form.Item
                name="effectiveFrom"
                label={t('policy.effectiveFrom')}
                rules={[{ required: true, message: t('common.requiredField', { field: t('policy.effectiveFrom') }) }]}
              >
                <DatePicker format={DATE_FORMAT} />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={submit.isPending} data-testid="policy-submit">
                {t('policy.check')}
              </Button>
            </Form>
          </Card>
        </Col>
      </Row>
      <Modal
        open={!!confirming}
        title={t('policy.changes.confirmTitle')}
        onCancel={() => setConfirming(null)}
        onOk={() =>
          confirming &&
          submit.mutate({ document: doc, reason: confirming.reason.trim(), decisionRef: confirming.decisionRef.trim(), effectiveFrom: toDateStr(confirming.effectiveFrom)! })
        }
        okText={t('policy.submit')}
        okButtonProps={{ 'data-testid': 'policy-confirm-ok' } as Record<`data-${string}`, string>}
        cancelText={t('common.cancel')}
        confirmLoading={submit.isPending}
        width={720}
        destroyOnHidden
      >
        <div data-testid="policy-confirm">
          <ChangeList changes={changes} />
          {confirming && (
            <Descriptions column={1} size="small" bordered style={{ marginTop: 16 }}>
              <Descriptions.Item label={t('policy.v.reason')}>{confirming.reason}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.decisionRef')}>{confirming.decisionRef}</Descriptions.Item>
              <Descriptions.Item label={t('policy.v.effectiveFrom')}>{fmtDate(toDateStr(confirming.effectiveFrom))}</Descriptions.Item>
            </Descriptions>
          )}
        </div>
      </Modal>
    </div>
  );
}

/** What changed against the current version, one line per changed value, in words: 安全 › 登录会话 › 空闲超时：30 分钟 → 20 分钟. */
function ChangeList({ changes }: { changes: DiffEntry[] }) {
  const { t, tx } = useI18n();
  const w = policyWords(t, tx);
  if (changes.length === 0) return <Typography.Text type="secondary">{t('policy.changes.none')}</Typography.Text>;
  const words = (path: string, v: unknown): string => {
    if (v === undefined || v === null) return t('policy.diff.absent');
    const keys = path.split(/[.[\]]/).filter((s) => s && !/^\d+$/.test(s));
    const [parent, key] = [keys[keys.length - 2] ?? '', keys[keys.length - 1] ?? ''];
    if (isScalar(v)) return w.valueText(parent, key, v);
    if (Array.isArray(v) && v.every(isScalar)) return w.arrayText(parent, key, v);
    if (w.isCondition(v)) return w.conditionText(v);
    if (v && typeof v === 'object' && typeof (v as Doc).name === 'string') return String((v as Doc).name);
    const json = JSON.stringify(v);
    return json.length > 120 ? `${json.slice(0, 117)}…` : json;
  };
  return (
    <ul className="policy-changes" data-testid="policy-changes">
      {changes.map((c) => (
        <li key={c.path}>
          <div>{readable(c.path, tx)}</div>
          <div>
            <span className="diff-before-text">{words(c.path, c.before)}</span>
            {' → '}
            <span className="diff-after-text">{words(c.path, c.after)}</span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function ActivateModal({ pack, onClose }: { pack: PolicyPackSummary | null; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const activate = useFormMutation(form, {
    mutationFn: (v: { reason: string }) => api.post('/policy/active', { code: pack!.code, reason: v.reason.trim() }),
    success: t('policy.activated'),
    invalidate: [['policy']],
    onDone: onClose,
  });
  return (
    <Modal
      open={!!pack}
      title={pack ? t('policy.setActiveTitle', { name: pack.name }) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('policy.setActive')}
      cancelText={t('common.cancel')}
      confirmLoading={activate.isPending}
      destroyOnHidden
    >
      <Alert type="warning" showIcon message={t('policy.setActiveBody')} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" preserve={false} onFinish={(v) => activate.mutate(v)}>
        <Form.Item
          name="reason"
          label={t('common.reason')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('common.reason') }) }]}
        >
          <Input.TextArea rows={3} maxLength={500} showCount data-testid="activate-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

