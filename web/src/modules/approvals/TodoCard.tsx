import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { Card, Col, Empty, List, Row, Statistic, Tag, Typography } from 'antd';
import { useAuth } from '../../app/auth/AuthContext';
import { useT } from '../../app/i18n';
import { fmtDateTime } from '../../app/ui/format';
import { approvalKeys, approvalsApi } from './api';

/** 工作台: my open approvals — how many, how many overdue, returned to me, copied unread — and the oldest five. */
export function TodoCard() {
  const t = useT();
  const { can } = useAuth();
  const navigate = useNavigate();
  const enabled = can('approval:use');
  const counts = useQuery({ queryKey: approvalKeys.counts, queryFn: approvalsApi.counts, enabled, refetchInterval: 60_000 });
  const todo = useQuery({ queryKey: approvalKeys.inbox('todo', 1), queryFn: () => approvalsApi.inbox({ box: 'todo', page: 1, pageSize: 20 }), enabled });
  if (!enabled) return null;
  const c = counts.data;
  const stat = (label: string, value: number | undefined, box: string, danger?: boolean) => (
    <Col span={6}>
      <div role="button" tabIndex={0} style={{ cursor: 'pointer' }} onClick={() => navigate(`/approvals?box=${box}`)}>
        <Statistic title={label} value={value ?? 0} valueStyle={danger && (value ?? 0) > 0 ? { color: '#cf1322' } : undefined} />
      </div>
    </Col>
  );
  return (
    <Card title={t('home.todo.title')} data-testid="home-todo" extra={<Typography.Link onClick={() => navigate('/approvals')}>{t('home.todo.all')}</Typography.Link>}>
      <Row gutter={12} style={{ marginBottom: 12 }}>
        {stat(t('appr.box.todo'), c?.todo, 'todo')}
        {stat(t('appr.overdue'), c?.overdue, 'todo', true)}
        {stat(t('appr.status.returned'), c?.returned, 'mine', true)}
        {stat(t('home.todo.ccUnread'), c?.ccUnread, 'cc')}
      </Row>
      <List
        size="small"
        loading={todo.isFetching}
        dataSource={(todo.data?.items ?? []).slice(0, 5)}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('appr.empty.todo')} /> }}
        renderItem={(r) => (
          <List.Item onClick={() => navigate(`/approvals?open=${r.approvalId}`)} style={{ cursor: 'pointer' }} data-testid="home-todo-item">
            <List.Item.Meta
              title={<>{r.overdue && <Tag color="red">{t('appr.overdue')}</Tag>}{r.title}</>}
              description={`${r.kindName} · ${r.step ?? ''} · ${fmtDateTime(r.createdAt)}`}
            />
          </List.Item>
        )}
      />
    </Card>
  );
}
