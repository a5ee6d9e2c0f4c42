import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { useAuth } from './AuthContext';
import { useT } from '../i18n';
import { useErrorText } from '../api/errors';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { isApiError } from '../api/client';
import { landingPath } from '../routing/nav';

interface LoginForm {
  username: string;
  password: string;
}

export function LoginPage() {
  const t = useT();
  const { status, user, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const errorText = useErrorText();
  const [error, setError] = useState<{ text: string; type: 'error' | 'warning' } | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<LoginForm>();

  const from = (location.state as { from?: string } | null)?.from;
  // A page asked for before login opens; otherwise the user's landing page (a grid worker's 我的网格).
  const asked = from && from !== '/login' && from !== '/' ? from : null;

  if (status === 'authenticated' && user && !busy) {
    return <Navigate to={user.mustChangePassword ? '/change-password' : asked ?? landingPath(user.permissions)} replace />;
  }

  const submit = async (v: LoginForm) => {
    setBusy(true);
    setError(null);
    try {
      const u = await login(v.username.trim(), v.password);
      navigate(u.mustChangePassword ? '/change-password' : asked ?? landingPath(u.permissions), { replace: true });
    } catch (e) {
      const locked = isApiError(e) && (e.status === 423 || e.status === 429);
      setError({ text: errorText(e), type: locked ? 'warning' : 'error' });
      form.setFieldValue('password', '');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-page" data-testid="login-page">
      <div className="login-lang">
        <LanguageSwitch light />
      </div>
      <div className="login-center">
        <div className="login-brand">
          <div className="login-emblem" aria-hidden>
            街
          </div>
          <Typography.Title level={2} className="login-title" data-testid="login-title">
            {t('app.title')}
          </Typography.Title>
          <div className="login-subtitle">{t('app.subtitle')}</div>
        </div>
        <Card className="login-card" variant="borderless">
          {error && (
            <Alert type={error.type} showIcon message={error.text} style={{ marginBottom: 16 }} data-testid="login-error" />
          )}
          <Form form={form} layout="vertical" size="large" onFinish={submit} requiredMark={false} autoComplete="on">
            <Form.Item
              name="username"
              label={t('login.username')}
              rules={[{ required: true, whitespace: true, message: t('login.usernameRequired') }]}
            >
              <Input prefix={<UserOutlined />} autoComplete="username" autoFocus data-testid="login-username" />
            </Form.Item>
            <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="login-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
              {t('login.submit')}
            </Button>
          </Form>
          <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0, fontSize: 12 }}>
            {t('login.hint')}
          </Typography.Paragraph>
        </Card>
      </div>
    </div>
  );
}
