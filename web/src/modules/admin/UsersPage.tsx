import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, Modal, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { AdminUser, Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { useAuth } from '../../app/auth/AuthContext';
import { PageHeader } from '../../app/ui/PageHeader';
import { useLabels } from '../../app/ui/labels';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { useRoles } from './api';
import { UserDrawer } from './UserDrawer';
import { showOneTimePassword } from './OneTimePassword';

const PAGE_SIZE = 20;

export default function UsersPage() {
  const { t, locale } = useI18n();
  const { can } = useAuth();
  const labels = useLabels();
  const isMobile = useIsMobile();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const openId = params.get('user');
  const [searchText, setSearchText] = useState(q);
  const [createOpen, setCreateOpen] = useState(false);
  const roles = useRoles();
  const roleName = (code: string) => (locale === 'en' ? labels.role(code) : roles.data?.items.find((r) => r.code === code)?.name ?? labels.role(code));

  const list = useQuery({
    queryKey: ['admin', 'users', q, page],
    queryFn: ({ signal }) => api.get<Page<AdminUser>>('/admin/users', { q: q || undefined, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });

  const update = (patch: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };

  return (
    <div className="page" data-testid="users-page">
      <PageHeader
        title={t('users.title')}
        extra={
          can('user:manage') ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreateOpen(true)} data-testid="user-new">
              {t('users.new')}
            </Button>
          ) : null
        }
      />
      {!can('user:manage') && (
        <Alert
          type="info"
          showIcon
          message={can('role:assign') || can('user:unlock') ? t('users.secAdminHint') : t('users.readonlyHint')}
        />
      )}
      <Input.Search
        allowClear
        enterButton={t('common.search')}
        placeholder={t('users.search')}
        value={searchText}
        onChange={(e) => setSearchText(e.target.value)}
        onSearch={(v) => update({ q: v.trim() || null, page: null })}
        style={{ maxWidth: 420 }}
        data-testid="users-search"
      />
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <Table<AdminUser>
          rowKey="id"
          size={isMobile ? 'small' : 'middle'}
          loading={list.isFetching}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('users.empty') }}
          onRow={(r) => ({ onClick: () => update({ user: r.id }), style: { cursor: 'pointer' } })}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: list.data?.total ?? 0,
            showSizeChanger: false,
            showTotal: (total) => t('common.total', { total }),
            onChange: (p) => update({ page: String(p) }),
          }}
          columns={[
            { title: t('users.name'), dataIndex: 'name', fixed: isMobile ? undefined : 'left' },
            { title: t('users.username'), dataIndex: 'username', render: (v: string) => <span className="mono">{v}</span> },
            {
              title: t('users.primaryPost'),
              key: 'post',
              render: (_, r) => {
                const p = r.posts.find((x) => x.primary) ?? r.posts[0];
                if (!p) return <Typography.Text type="secondary">{t('header.noPost')}</Typography.Text>;
                return (
                  <Tooltip
                    title={
                      r.posts.length > 1
                        ? r.posts.map((x) => `${labels.post(x.post)} · ${x.orgUnitName ?? ''}`).join('\n')
                        : undefined
                    }
                    styles={{ body: { whiteSpace: 'pre-line' } }}
                  >
                    <span>
                      {labels.post(p.post)}
                      {p.orgUnitName ? <Typography.Text type="secondary"> · {p.orgUnitName}</Typography.Text> : null}
                      {r.posts.length > 1 ? (
                        <Typography.Text type="secondary"> {t('users.morePosts', { n: r.posts.length - 1 })}</Typography.Text>
                      ) : null}
                    </span>
                  </Tooltip>
                );
              },
            },
            {
              title: t('users.roles'),
              dataIndex: 'roles',
              render: (rs: string[]) => (
                <Space size={[4, 4]} wrap>
                  {rs.map((r) => (
                    <Tag key={r}>{roleName(r)}</Tag>
                  ))}
                </Space>
              ),
            },
            {
              title: t('users.status'),
              key: 'status',
              render: (_, r) => (
                <Space size={[4, 4]} wrap>
                  <Tag color={r.status === 'active' ? 'green' : 'default'}>{t(r.status === 'active' ? 'users.status.active' : 'users.status.disabled')}</Tag>
                  {r.locked && <Tag color="red">{t('users.locked')}</Tag>}
                  {r.mustChangePassword && <Tag color="gold">{t('users.mustChange')}</Tag>}
                </Space>
              ),
            },
            {
              title: t('common.actions'),
              key: 'actions',
              render: (_, r) => (
                <Typography.Link
                  onClick={(e) => {
                    e.stopPropagation();
                    update({ user: r.id });
                  }}
                >
                  {t('common.detail')}
                </Typography.Link>
              ),
            },
          ]}
        />
      )}
      <CreateUserModal
        open={createOpen}
        onClose={() => setCreateOpen(false)}
        onCreated={(id) => {
          setCreateOpen(false);
          update({ user: id });
        }}
      />
      <UserDrawer id={openId} onClose={() => update({ user: null })} />
    </div>
  );
}

function CreateUserModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (id: string) => void }) {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const [form] = Form.useForm<{ username: string; name: string }>();
  const showError = useShowError();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (v: { username: string; name: string }) =>
      api.post<{ user: AdminUser; initialPassword: string }>('/admin/users', v),
    onSuccess: (res) => {
      void qc.invalidateQueries({ queryKey: ['admin', 'users'] });
      form.resetFields();
      showOneTimePassword(modal, t, res.initialPassword, t('users.created', { name: `${res.user.name}（${res.user.username}）` }));
      onCreated(res.user.id);
    },
    onError: (e) => showError(e, form),
  });
  return (
    <Modal
      open={open}
      title={t('users.new')}
      onCancel={onClose}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={create.isPending}
      onOk={() => form.submit()}
      destroyOnHidden={false}
    >
      <Form form={form} layout="vertical" onFinish={(v) => create.mutate({ username: v.username.trim(), name: v.name.trim() })}>
        <Form.Item
          name="username"
          label={t('users.username')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('users.username') }) }]}
        >
          <Input autoComplete="off" data-testid="user-new-username" />
        </Form.Item>
        <Form.Item
          name="name"
          label={t('users.name')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('users.name') }) }]}
        >
          <Input autoComplete="off" data-testid="user-new-name" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
