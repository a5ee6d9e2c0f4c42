import { useState } from 'react';
import { useNavigate } from 'react-router';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { useAuth } from './AuthContext';
import { useT } from '../i18n';
import { api, isApiError } from '../api/client';
import { useErrorText, useShowError } from '../api/errors';
import { notifier } from '../ui/notify';
import { LanguageSwitch } from '../layout/LanguageSwitch';

interface PwdForm {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/** Client-side hint mirroring the server rule (the server decides). */
function classesOf(p: string): number {
  return [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(p)).length;
}

export function ChangePasswordPage() {
  const t = useT();
  const { user, refresh, logout } = useAuth();
  const navigate = useNavigate();
  const showError = useShowError();
  const errorText = useErrorText();
  const [form] = Form.useForm<PwdForm>();
  const [busy, setBusy] = useState(false);
  const [weak, setWeak] = useState<string | null>(null);
  const forced = !!user?.mustChangePassword;

  const submit = async (v: PwdForm) => {
    setBusy(true);
    setWeak(null);
    try {
      await api.post<void>('/auth/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
      notifier.message?.success(t('pwd.success'));
      await refresh();
      navigate('/', { replace: true });
    } catch (e) {
      if (isApiError(e) && e.code === 'WEAK_PASSWORD') {
        setWeak([errorText(e), ...e.details.map((d) => d.message).filter((m) => m && !errorText(e).includes(m))].join(' '));
        form.setFields([{ name: 'newPassword', errors: [t('pwd.weak')] }]);
      } else showError(e, form);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page" data-testid="change-password-page">
      <div className="login-lang">
        <LanguageSwitch light />
      </div>
      <div className="login-center">
        <Card className="login-card" title={t('pwd.title')}>
          {forced && <Alert type="warning" showIcon message={t('pwd.mustChange')} style={{ marginBottom: 16 }} />}
          {/* The rule as the server states it (the active policy pack may be stricter than the default). */}
          <Alert
            type={weak ? 'error' : 'info'}
            showIcon
            message={weak ?? t('pwd.rule')}
            style={{ marginBottom: 16 }}
            data-testid="pwd-rule"
          />
          <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item name="currentPassword" label={t('pwd.current')} rules={[{ required: true, message: t('common.requiredField', { field: t('pwd.current') }) }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Form.Item
              name="newPassword"
              label={t('pwd.new')}
              rules={[
                { required: true, message: t('common.requiredField', { field: t('pwd.new') }) },
                {
                  validator: (_, v: string | undefined) =>
                    !v || (v.length >= 8 && classesOf(v) >= 3) ? Promise.resolve() : Promise.reject(new Error(t('pwd.rule'))),
                },
              ]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Form.Item
              name="confirm"
              label={t('pwd.confirm')}
              dependencies={['newPassword']}
              rules={[
                { required: true, message: t('common.requiredField', { field: t('pwd.confirm') }) },
                ({ getFieldValue }) => ({
                  validator: (_, v) => (!v || v === getFieldValue('newPassword') ? Promise.resolve() : Promise.reject(new Error(t('pwd.mismatch')))),
                }),
              ]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
              {forced ? (
                <Button type="text" onClick={() => void logout()}>
                  {t('header.logout')}
                </Button>
              ) : (
                <Button onClick={() => navigate(-1)}>{t('common.cancel')}</Button>
              )}
              <Button type="primary" htmlType="submit" loading={busy}>
                {t('pwd.submit')}
              </Button>
            </Space>
          </Form>
          {user && (
            <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
              {user.name}（{user.username}）
            </Typography.Paragraph>
          )}
        </Card>
      </div>
    </div>
  );
}
