import { useQuery } from '@tanstack/react-query';
import { Badge, Button, Space, Tabs, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useT, useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { QueryTable } from '../../app/ui/QueryTable';
import { fmtDate, fmtDateTime } from '../../app/ui/format';
import { useUrlState } from '../../app/ui/useUrlState';
import { approvalKeys, approvalsApi, type Box, type InboxItem } from './api';
import { ApprovalDrawer, ApprovalStatusTag } from './ApprovalDrawer';

const BOXES: Box[] = ['todo', 'done', 'mine', 'cc'];
const PAGE_SIZE = 20;

/** 审批中心: the one inbox of every approval kind — 待办, 已办, 我发起的, 抄送我的 — and the drawer of one approval. */
export default function ApprovalsPage() {
  const t = useT();
  const { tx } = useI18n();
  const [params, set] = useUrlState();
  const box = (BOXES.includes(params.get('box') as Box) ? params.get('box') : 'todo') as Box;
  const page = Number(params.get('page') ?? 1) || 1;
  const openId = params.get('open');
  const list = useQuery({ queryKey: approvalKeys.inbox(box, page), queryFn: () => approvalsApi.inbox({ box, page, pageSize: PAGE_SIZE }) });
  const counts = useQuery({ queryKey: approvalKeys.counts, queryFn: approvalsApi.counts, refetchInterval: 60_000 });

  const columns: ColumnsType<InboxItem> = [
    { title: t('appr.col.caseNo'), dataIndex: 'caseNo', width: 150 },
    { title: t('appr.col.kind'), dataIndex: 'kindName', width: 90 },
    {
      title: t('appr.col.title'),
      dataIndex: 'title',
      render: (v: string, r) => (
        <Space direction="vertical" size={0}>
          <Typography.Link onClick={() => set({ open: r.approvalId })} data-testid="inbox-title">{v}</Typography.Link>
          {r.onBehalfOfName && <Typography.Text type="secondary">{t('appr.onBehalfOf', { name: r.onBehalfOfName })}</Typography.Text>}
        </Space>
      ),
    },
    { title: t('appr.col.applicant'), dataIndex: 'applicantName', width: 90 },
    ...(box === 'done'
      ? [
          { title: t('appr.col.decision'), dataIndex: 'decision', width: 90, render: (v: string) => (v ? tx(`appr.decision.${v}`, v) : '') },
          { title: t('appr.col.decidedAt'), dataIndex: 'decidedAt', width: 150, render: (v: string) => fmtDateTime(v) },
        ]
      : [
          { title: t('appr.col.step'), dataIndex: 'step', width: 150, render: (v: string | null) => v ?? '—' },
          {
            title: t('appr.col.due'),
            dataIndex: 'dueAt',
            width: 120,
            render: (v: string | null, r: InboxItem) => (
              <Space size={4}>
                {fmtDate(v) || '—'}
                {r.overdue && <Tag color="red">{t('appr.overdue')}</Tag>}
              </Space>
            ),
          },
        ]),
    { title: t('appr.col.status'), dataIndex: 'status', width: 90, render: (v: string) => <ApprovalStatusTag status={v} /> },
    { title: t('appr.col.createdAt'), dataIndex: 'createdAt', width: 150, render: (v: string) => fmtDateTime(v) },
    ...(box === 'cc' ? [{ title: t('appr.col.read'), dataIndex: 'read', width: 70, render: (v: boolean) => (v ? '✓' : <Badge status="processing" />) }] : []),
    {
      title: '',
      key: 'op',
      width: 80,
      fixed: 'right' as const,
      render: (_: unknown, r: InboxItem) => (
        <Button size="small" type={box === 'todo' ? 'primary' : 'default'} onClick={() => set({ open: r.approvalId })}>
          {box === 'todo' ? t('appr.open') : t('appr.view')}
        </Button>
      ),
    },
  ];

  const c = counts.data;
  const badge = (b: Box) => (b === 'todo' ? c?.todo : b === 'cc' ? c?.ccUnread : b === 'mine' ? c?.returned : 0) ?? 0;
  return (
    <div data-testid="approvals-page">
      <PageHeader title={t('nav.approvals.inbox')} />
      <Tabs
        activeKey={box}
        onChange={(k) => set({ box: k, page: null })}
        items={BOXES.map((b) => ({
          key: b,
          label: (
            <span data-testid={`box-${b}`}>
              {t(`appr.box.${b}`)} <Badge count={badge(b)} size="small" color={b === 'todo' && (c?.overdue ?? 0) > 0 ? 'red' : undefined} />
            </span>
          ),
        }))}
      />
      <QueryTable<InboxItem>
        query={list}
        dataSource={list.data?.items}
        columns={columns}
        rowKey="id"
        rowClassName={(r) => (r.overdue ? 'row-overdue' : '')}
        locale={{ emptyText: t(box === 'todo' ? 'appr.empty.todo' : 'appr.empty.other') }}
        paging={{ page, pageSize: PAGE_SIZE, total: list.data?.total, onChange: (p) => set({ page: String(p) }) }}
        cards={{
          empty: t(box === 'todo' ? 'appr.empty.todo' : 'appr.empty.other'),
          card: (r) => (
            <div className="approval-card" onClick={() => set({ open: r.approvalId })} role="button" tabIndex={0}>
              <Space wrap><Typography.Text strong>{r.title}</Typography.Text><ApprovalStatusTag status={r.status} />{r.overdue && <Tag color="red">{t('appr.overdue')}</Tag>}</Space>
              <div><Typography.Text type="secondary">{r.kindName} · {r.applicantName} · {r.step ?? ''} · {fmtDateTime(r.createdAt)}</Typography.Text></div>
            </div>
          ),
        }}
      />
      <ApprovalDrawer id={openId} onClose={() => set({ open: null })} />
    </div>
  );
}
