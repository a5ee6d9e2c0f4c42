import { useEffect, useState } from 'react';
import { Alert, Button, Form, Input, Modal, Space, Typography } from 'antd';
import { LockOutlined } from '@ant-design/icons';
import type { SessionUser } from '../api/types';
import { useT } from '../i18n';
import { useErrorText } from '../api/errors';

interface Props {
  open: boolean;
  user: SessionUser | null;
  onSubmit: (password: string) => Promise<void>;
  onGiveUp: () => void;
}

/** Log in again over the current page after the session expired; the page underneath stays intact. */
export function ReloginModal({ open, user, onSubmit, onGiveUp }: Props) {
  const t = useT();
  const errorText = useErrorText();
  const [form] = Form.useForm<{ password: string }>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (open) {
      form.resetFields();
      setError(null);
    }
  }, [open, form]);

  const submit = async ({ password }: { password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await onSubmit(password);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('relogin.title')}
      closable={false}
      maskClosable={false}
      keyboard={false}
      footer={null}
      zIndex={3000}
      destroyOnHidden
    >
      <div data-testid="relogin-modal">
      <Typography.Paragraph type="secondary">{t('relogin.body')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="relogin-error" />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item label={t('login.username')}>
          <Input value={user ? `${user.username}（${user.name}）` : ''} disabled />
        </Form.Item>
        <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
          <Input.Password prefix={<LockOutlined />} autoFocus autoComplete="current-password" data-testid="relogin-password" />
        </Form.Item>
        <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
          <Button onClick={onGiveUp} danger type="text">
            {t('relogin.logout')}
          </Button>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="relogin-submit">
            {t('relogin.submit')}
          </Button>
        </Space>
      </Form>
      </div>
    </Modal>
  );
}
