import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Form, Input, Modal, Table, Tag, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import { useFormMutation } from '../../app/api/useFormMutation';
import type { Page } from '../../app/api/types';
import { LoadError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDateTime } from '../../app/ui/format';

/** An active sign-in (在线会话), identified by the hash of its token. */
interface ActiveSession {
  id: string;
  userId: string;
  username: string;
  name: string;
  kind: 'cookie' | 'bearer';
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  /** The caller's own session: ended with logout, not from here. */
  current: boolean;
}

const PAGE_SIZE = 20;

/** Online sessions for the security admin: who is signed in, and a forced logout with a reason. */
export default function SessionsPage() {
  const { t } = useI18n();
  const [page, setPage] = useState(1);
  const [ending, setEnding] = useState<ActiveSession | null>(null);
  const q = useQuery({
    queryKey: ['admin', 'sessions', page],
    queryFn: ({ signal }) => api.get<Page<ActiveSession>>('/admin/sessions', { page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <div>
      <PageHeader
        title={t('nav.sessions')}
        testId="sessions-page"
        extra={<Button icon={<ReloadOutlined />} onClick={() => void q.refetch()}>{t('sessions.refresh')}</Button>}
      />
      <Card>
        <Typography.Paragraph type="secondary">{t('sessions.intro')}</Typography.Paragraph>
        {q.error ? (
          <LoadError error={q.error} onRetry={() => void q.refetch()} />
        ) : (
          <Table<ActiveSession>
            rowKey="id"
            size="middle"
            loading={q.isFetching}
            dataSource={q.data?.items ?? []}
            scroll={{ x: 800 }}
            pagination={{ current: page, pageSize: PAGE_SIZE, total: q.data?.total ?? 0, onChange: setPage, showSizeChanger: false }}
            columns={[
              { title: t('sessions.user'), key: 'user', render: (_, s) => <span>{s.name} <Typography.Text type="secondary">{s.username}</Typography.Text></span> },
              { title: t('sessions.kind'), dataIndex: 'kind', render: (k: ActiveSession['kind']) => <Tag>{t(k === 'cookie' ? 'sessions.kind.cookie' : 'sessions.kind.bearer')}</Tag> },
              { title: t('sessions.ip'), dataIndex: 'ip', render: (ip: string | null) => ip ?? '—' },
              { title: t('sessions.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtDateTime(v) },
              { title: t('sessions.lastSeenAt'), dataIndex: 'lastSeenAt', render: (v: string) => fmtDateTime(v) },
              {
                title: t('common.actions'),
                key: 'actions',
                render: (_, s) =>
                  s.current ? <Tag color="blue">{t('sessions.current')}</Tag> : <Typography.Link type="danger" onClick={() => setEnding(s)}>{t('sessions.end')}</Typography.Link>,
              },
            ]}
          />
        )}
      </Card>
      <EndSessionModal session={ending} onClose={() => setEnding(null)} />
    </div>
  );
}

function EndSessionModal({ session, onClose }: { session: ActiveSession | null; onClose: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const end = useFormMutation(form, {
    mutationFn: (v: { reason: string }) => api.post(`/admin/sessions/${session!.id}/end`, v),
    success: t('sessions.ended'),
    invalidate: [['admin', 'sessions']],
    onDone: () => { form.resetFields(); onClose(); },
  });
  return (
    <Modal
      open={session !== null}
      title={session ? t('sessions.endTitle', { name: session.name }) : ''}
      okText={t('sessions.end')}
      okButtonProps={{ danger: true, loading: end.isPending }}
      onOk={() => void form.validateFields().then((v) => end.mutate(v))}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} layout="vertical">
        <Form.Item name="reason" label={t('sessions.reason')} rules={[{ required: true, message: t('sessions.reasonRequired') }]}>
          <Input.TextArea rows={3} maxLength={500} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
