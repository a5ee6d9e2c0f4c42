import { useState } from 'react';
import type { Dayjs } from 'dayjs';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Drawer,
  Form,
  Input,
  Modal,
  Select,
  Skeleton,
  Space,
  Switch,
  Table,
  Tag,
  Tooltip,
  TreeSelect,
  Typography,
} from 'antd';
import { KeyOutlined, PlusOutlined, UnlockOutlined } from '@ant-design/icons';
import { api } from '../../app/api/client';
import type { AdminUserDetail, Grant, UserPost } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { useAuth } from '../../app/auth/AuthContext';
import { DATA_SCOPES, POST_CODES, useLabels } from '../../app/ui/labels';
import { DATE_FORMAT, fmtDate, fmtDateTime, officeToday, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { notifier } from '../../app/ui/notify';
import { toUnitOptions, useOrgIndex, useOrgTree } from '../org/api';
import { useAdminUser, useRoles } from './api';
import { showOneTimePassword } from './OneTimePassword';

export function UserDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  const q = useAdminUser(id);
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width={isMobile ? '100%' : 860}
      title={q.data ? `${q.data.name}（${q.data.username}）` : t('users.detail')}
      destroyOnHidden
    >
      <div data-testid="user-drawer">
        {q.isLoading ? <Skeleton active /> : q.error || !q.data ? <LoadError error={q.error} onRetry={() => void q.refetch()} /> : <UserDetail user={q.data} />}
      </div>
    </Drawer>
  );
}

function UserDetail({ user }: { user: AdminUserDetail }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { modal } = App.useApp();
  const showError = useShowError();
  const qc = useQueryClient();
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['admin', 'user', user.id] });
    void qc.invalidateQueries({ queryKey: ['admin', 'users'] });
  };

  const reset = useMutation({
    mutationFn: () => api.post<{ initialPassword: string }>(`/admin/users/${user.id}/reset-password`),
    onSuccess: (res) => {
      refresh();
      showOneTimePassword(modal, t, res.initialPassword, `${user.name}（${user.username}）`);
    },
    onError: (e) => showError(e),
  });
  const unlock = useMutation({
    mutationFn: () => api.post<void>(`/admin/users/${user.id}/unlock`),
    onSuccess: () => {
      refresh();
      notifier.message?.success(t('users.unlocked'));
    },
    onError: (e) => showError(e),
  });

  // 三员分立: the separated admins' passwords are reset offline on the server, never by another
  // admin here; others' by the system admin; nobody resets their own (the server enforces the same).
  const { user: me } = useAuth();
  const SEPARATED = ['system_admin', 'security_admin', 'audit_admin'];
  const targetIsAdmin = user.roles.some((r) => SEPARATED.includes(r));
  const canReset = user.id !== me?.id && !targetIsAdmin && can('user:manage');
  const canUnlock = can('user:unlock') && user.locked;

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Card size="small" title={t('users.account')}>
        <Descriptions column={{ xs: 1, sm: 2 }} size="small">
          <Descriptions.Item label={t('users.name')}>{user.name}</Descriptions.Item>
          <Descriptions.Item label={t('users.username')}>
            <span className="mono">{user.username}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('users.status')}>
            <Space size={4} wrap>
              <Tag color={user.status === 'active' ? 'green' : 'default'}>
                {t(user.status === 'active' ? 'users.status.active' : 'users.status.disabled')}
              </Tag>
              {user.locked && <Tag color="red">{t('users.locked')}</Tag>}
              {user.mustChangePassword && <Tag color="gold">{t('users.mustChange')}</Tag>}
            </Space>
          </Descriptions.Item>
        </Descriptions>
        {targetIsAdmin && user.id !== me?.id && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }} data-testid="user-admin-reset-offline">
            {t('users.adminResetOffline')}
          </Typography.Paragraph>
        )}
        {(canReset || canUnlock) && (
          <Space wrap style={{ marginTop: 8 }}>
            {canReset && (
              <Button
                icon={<KeyOutlined />}
                loading={reset.isPending}
                onClick={() =>
                  modal.confirm({
                    title: t('users.resetPassword'),
                    content: t('users.resetConfirm', { name: user.name }),
                    okText: t('common.ok'),
                    cancelText: t('common.cancel'),
                    onOk: () => reset.mutateAsync().catch(() => undefined),
                  })
                }
                data-testid="user-reset-password"
              >
                {t('users.resetPassword')}
              </Button>
            )}
            {canUnlock && (
              <Button
                icon={<UnlockOutlined />}
                loading={unlock.isPending}
                onClick={() =>
                  modal.confirm({
                    title: t('users.unlock'),
                    content: t('users.unlockConfirm', { name: user.name }),
                    okText: t('common.ok'),
                    cancelText: t('common.cancel'),
                    onOk: () => unlock.mutateAsync().catch(() => undefined),
                  })
                }
                data-testid="user-unlock"
              >
                {t('users.unlock')}
              </Button>
            )}
          </Space>
        )}
      </Card>
      <PostsCard user={user} onChanged={refresh} />
      <GrantsCard user={user} onChanged={refresh} />
    </Space>
  );
}

/* ------------------------------------------------------------------ posts */

interface PostForm {
  orgUnitId: string;
  post: string;
  primary: boolean;
  validFrom: Dayjs;
  validTo?: Dayjs | null;
}

function PostsCard({ user, onChanged }: { user: AdminUserDetail; onChanged: () => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const labels = useLabels();
  const showError = useShowError();
  const orgIndex = useOrgIndex();
  const [adding, setAdding] = useState(false);
  const [ending, setEnding] = useState<UserPost | null>(null);
  const manage = can('user:manage');
  const today = officeToday().format(DATE_FORMAT);

  const unitName = (p: UserPost) => p.orgUnitName ?? orgIndex.get(p.orgUnitId)?.name ?? p.orgUnitId;

  return (
    <Card
      size="small"
      title={t('users.posts')}
      extra={
        manage ? (
          <Button size="small" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="post-add">
            {t('users.addPost')}
          </Button>
        ) : null
      }
    >
      <Table<UserPost>
        size="small"
        rowKey={(p) => p.id ?? `${p.orgUnitId}-${p.post}`}
        dataSource={user.posts}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('users.noPosts') }}
        columns={[
          { title: t('post.orgUnit'), key: 'unit', render: (_, p) => unitName(p) },
          {
            title: t('post.post'),
            key: 'post',
            render: (_, p) => (
              <Space size={4}>
                {labels.post(p.post)}
                {p.primary && <Tag color="blue">{t('common.primary')}</Tag>}
              </Space>
            ),
          },
          { title: t('post.validFrom'), dataIndex: 'validFrom', render: (v?: string) => fmtDate(v) || '—' },
          {
            title: t('post.validTo'),
            dataIndex: 'validTo',
            render: (v?: string | null) => (v ? fmtDate(v) : <Typography.Text type="secondary">{t('common.indefinite')}</Typography.Text>),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, p) =>
              manage && p.id && !p.validTo ? (
                <Typography.Link onClick={() => setEnding(p)}>{t('users.endPost')}</Typography.Link>
              ) : p.validTo && p.validTo < today ? (
                <Tag>{t('post.ended')}</Tag>
              ) : null,
          },
        ]}
      />
      {manage && (
        <>
          <AddPostModal
            open={adding}
            userId={user.id}
            onClose={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              onChanged();
            }}
            showError={showError}
          />
          <EndPostModal
            post={ending}
            userId={user.id}
            unitName={ending ? unitName(ending) : ''}
            onClose={() => setEnding(null)}
            onDone={() => {
              setEnding(null);
              onChanged();
            }}
            showError={showError}
          />
        </>
      )}
    </Card>
  );
}

type ShowError = ReturnType<typeof useShowError>;

function AddPostModal({
  open,
  userId,
  onClose,
  onDone,
  showError,
}: {
  open: boolean;
  userId: string;
  onClose: () => void;
  onDone: () => void;
  showError: ShowError;
}) {
  const { t } = useI18n();
  const labels = useLabels();
  const tree = useOrgTree(open);
  const [form] = Form.useForm<PostForm>();
  const add = useMutation({
    mutationFn: (v: PostForm) =>
      api.post(`/admin/users/${userId}/posts`, {
        orgUnitId: v.orgUnitId,
        post: v.post,
        primary: !!v.primary,
        validFrom: toDateStr(v.validFrom),
        ...(v.validTo ? { validTo: toDateStr(v.validTo) } : {}),
      }),
    onSuccess: () => {
      form.resetFields();
      notifier.message?.success(t('common.success'));
      onDone();
    },
    onError: (e) => showError(e, form),
  });
  return (
    <Modal
      open={open}
      title={t('users.addPost')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={add.isPending}
    >
      <Form<PostForm>
        form={form}
        layout="vertical"
        initialValues={{ primary: false, validFrom: officeToday() }}
        onFinish={(v) => add.mutate(v)}
      >
        <Form.Item name="orgUnitId" label={t('post.orgUnit')} rules={[{ required: true, message: t('common.requiredField', { field: t('post.orgUnit') }) }]}>
          <TreeSelect
            showSearch
            treeNodeFilterProp="title"
            treeData={toUnitOptions(tree.data?.items ?? [], labels.kind)}
            loading={tree.isLoading}
            treeDefaultExpandAll={false}
            listHeight={320}
          />
        </Form.Item>
        <Form.Item name="post" label={t('post.post')} rules={[{ required: true, message: t('common.requiredField', { field: t('post.post') }) }]}>
          <Select showSearch optionFilterProp="label" options={POST_CODES.map((c) => ({ value: c, label: labels.post(c) }))} />
        </Form.Item>
        <Form.Item name="primary" label={t('post.primary')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Space wrap size={16}>
          <Form.Item name="validFrom" label={t('post.validFrom')} rules={[{ required: true, message: t('common.requiredField', { field: t('post.validFrom') }) }]}>
            <DatePicker format={DATE_FORMAT} />
          </Form.Item>
          <Form.Item name="validTo" label={`${t('post.validTo')}（${t('common.optional')}）`}>
            <DatePicker format={DATE_FORMAT} />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}

function EndPostModal({
  post,
  userId,
  unitName,
  onClose,
  onDone,
  showError,
}: {
  post: UserPost | null;
  userId: string;
  unitName: string;
  onClose: () => void;
  onDone: () => void;
  showError: ShowError;
}) {
  const { t } = useI18n();
  const labels = useLabels();
  const [form] = Form.useForm<{ validTo: Dayjs }>();
  const end = useMutation({
    mutationFn: (v: { validTo: Dayjs }) => api.post(`/admin/users/${userId}/posts/${post!.id}/end`, { validTo: toDateStr(v.validTo) }),
    onSuccess: () => {
      notifier.message?.success(t('common.success'));
      onDone();
    },
    onError: (e) => showError(e, form),
  });
  return (
    <Modal
      open={!!post}
      title={post ? t('users.endPostTitle', { post: labels.post(post.post), unit: unitName }) : ''}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={end.isPending}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" initialValues={{ validTo: officeToday() }} onFinish={(v) => end.mutate(v)}>
        <Form.Item name="validTo" label={t('users.endPostDate')} rules={[{ required: true, message: t('common.requiredField', { field: t('users.endPostDate') }) }]}>
          <DatePicker format={DATE_FORMAT} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/* ----------------------------------------------------------------- grants */

interface GrantForm {
  role: string;
  dataScope: string;
  customUnitIds?: string[];
}

function GrantsCard({ user, onChanged }: { user: AdminUserDetail; onChanged: () => void }) {
  const { t, locale } = useI18n();
  const { can } = useAuth();
  const labels = useLabels();
  const showError = useShowError();
  const roles = useRoles();
  const orgIndex = useOrgIndex();
  const [adding, setAdding] = useState(false);
  const [revoking, setRevoking] = useState<Grant | null>(null);
  const assign = can('role:assign');
  const roleName = (g: Grant) =>
    locale === 'en' ? labels.role(g.role) : g.roleName ?? roles.data?.items.find((r) => r.code === g.role)?.name ?? labels.role(g.role);
  const grants = [...user.grants].sort((a, b) => Number(!!a.revokedAt) - Number(!!b.revokedAt));

  return (
    <Card
      size="small"
      title={t('users.grants')}
      extra={
        assign ? (
          <Button size="small" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="grant-add">
            {t('users.addGrant')}
          </Button>
        ) : null
      }
    >
      <Table<Grant>
        size="small"
        rowKey="id"
        dataSource={grants}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('users.noGrants') }}
        rowClassName={(g) => (g.revokedAt ? 'row-muted' : '')}
        columns={[
          { title: t('grant.role'), key: 'role', render: (_, g) => roleName(g) },
          {
            title: t('grant.dataScope'),
            key: 'scope',
            render: (_, g) => (
              <span>
                {labels.scope(g.dataScope)}
                {g.dataScope === 'custom' && (g.customUnitIds?.length ?? 0) > 0 && (
                  <Typography.Text type="secondary">
                    ：{(g.customUnitIds ?? []).map((id) => orgIndex.get(id)?.name ?? id).join('、')}
                  </Typography.Text>
                )}
              </span>
            ),
          },
          { title: t('grant.grantedAt'), dataIndex: 'grantedAt', render: (v: string) => fmtDateTime(v) },
          { title: t('grant.grantedBy'), key: 'by', render: (_, g) => g.grantedByName ?? g.grantedBy ?? '—' },
          {
            title: t('users.status'),
            key: 'status',
            render: (_, g) =>
              g.revokedAt ? (
                <Tooltip title={g.revokeReason ? `${t('grant.revokeReason')}：${g.revokeReason}` : undefined}>
                  <Tag>
                    {t('grant.revoked')} {fmtDateTime(g.revokedAt)}
                  </Tag>
                </Tooltip>
              ) : (
                <Tag color="green">{t('grant.active')}</Tag>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_, g) =>
              assign && !g.revokedAt ? (
                <Typography.Link type="danger" onClick={() => setRevoking(g)}>
                  {t('grant.revoke')}
                </Typography.Link>
              ) : null,
          },
        ]}
      />
      {assign && (
        <>
          <AddGrantModal
            open={adding}
            userId={user.id}
            onClose={() => setAdding(false)}
            onDone={() => {
              setAdding(false);
              onChanged();
            }}
            showError={showError}
          />
          <RevokeGrantModal
            grant={revoking}
            roleName={revoking ? roleName(revoking) : ''}
            userId={user.id}
            onClose={() => setRevoking(null)}
            onDone={() => {
              setRevoking(null);
              onChanged();
            }}
            showError={showError}
          />
        </>
      )}
    </Card>
  );
}

function AddGrantModal({
  open,
  userId,
  onClose,
  onDone,
  showError,
}: {
  open: boolean;
  userId: string;
  onClose: () => void;
  onDone: () => void;
  showError: ShowError;
}) {
  const { t, locale } = useI18n();
  const labels = useLabels();
  const roles = useRoles(open);
  const tree = useOrgTree(open);
  const [form] = Form.useForm<GrantForm>();
  const scope = Form.useWatch('dataScope', form);
  const add = useMutation({
    mutationFn: (v: GrantForm) =>
      api.post(`/admin/users/${userId}/grants`, {
        role: v.role,
        dataScope: v.dataScope,
        ...(v.dataScope === 'custom' ? { customUnitIds: v.customUnitIds ?? [] } : {}),
      }),
    onSuccess: () => {
      form.resetFields();
      notifier.message?.success(t('common.success'));
      onDone();
    },
    onError: (e) => showError(e, form),
  });
  return (
    <Modal
      open={open}
      title={t('users.addGrant')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      confirmLoading={add.isPending}
    >
      <Alert type="info" showIcon message={t('grant.separationHint')} style={{ marginBottom: 16 }} />
      <Form<GrantForm>
        form={form}
        layout="vertical"
        onFinish={(v) => add.mutate(v)}
        onValuesChange={(changed: Partial<GrantForm>) => {
          if (changed.role) {
            const def = roles.data?.items.find((r) => r.code === changed.role)?.defaultDataScope;
            if (def) form.setFieldValue('dataScope', def);
          }
        }}
      >
        <Form.Item name="role" label={t('grant.role')} rules={[{ required: true, message: t('common.requiredField', { field: t('grant.role') }) }]}>
          <Select
            showSearch
            optionFilterProp="label"
            loading={roles.isLoading}
            options={(roles.data?.items ?? []).map((r) => ({ value: r.code, label: locale === 'en' ? labels.role(r.code) : r.name }))}
          />
        </Form.Item>
        <Form.Item name="dataScope" label={t('grant.dataScope')} rules={[{ required: true, message: t('common.requiredField', { field: t('grant.dataScope') }) }]}>
          <Select options={DATA_SCOPES.map((s) => ({ value: s, label: labels.scope(s) }))} />
        </Form.Item>
        {scope === 'custom' && (
          <Form.Item
            name="customUnitIds"
            label={t('grant.customUnits')}
            rules={[{ required: true, message: t('common.requiredField', { field: t('grant.customUnits') }) }]}
          >
            <TreeSelect
              multiple
              showSearch
              treeNodeFilterProp="title"
              treeData={toUnitOptions(tree.data?.items ?? [], labels.kind)}
              loading={tree.isLoading}
              listHeight={320}
            />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

function RevokeGrantModal({
  grant,
  roleName,
  userId,
  onClose,
  onDone,
  showError,
}: {
  grant: Grant | null;
  roleName: string;
  userId: string;
  onClose: () => void;
  onDone: () => void;
  showError: ShowError;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ reason: string }>();
  const revoke = useMutation({
    mutationFn: (v: { reason: string }) => api.post(`/admin/users/${userId}/grants/${grant!.id}/revoke`, { reason: v.reason.trim() }),
    onSuccess: () => {
      notifier.message?.success(t('common.success'));
      onDone();
    },
    onError: (e) => showError(e, form),
  });
  return (
    <Modal
      open={!!grant}
      title={t('grant.revokeTitle', { role: roleName })}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('grant.revoke')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={revoke.isPending}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={(v) => revoke.mutate(v)}>
        <Form.Item
          name="reason"
          label={t('grant.revokeReason')}
          rules={[{ required: true, whitespace: true, message: t('common.requiredField', { field: t('grant.revokeReason') }) }]}
        >
          <Input.TextArea rows={3} maxLength={500} showCount />
        </Form.Item>
      </Form>
    </Modal>
  );
}
