import { Alert, Button, Space, Typography } from 'antd';
import { CopyOutlined } from '@ant-design/icons';
import type { HookAPI as ModalHookAPI } from 'antd/es/modal/useModal';
import type { I18n } from '../../app/i18n';
import { notifier } from '../../app/ui/notify';

function OneTimePasswordBody({ password, t, heading }: { password: string; t: I18n['t']; heading?: string }) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      notifier.message?.success(t('common.copied'));
    } catch {
      /* clipboard unavailable (plain HTTP): the text is selectable */
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {heading && <Typography.Text strong>{heading}</Typography.Text>}
      <div className="one-time-password" data-testid="one-time-password">
        {password}
      </div>
      <Button icon={<CopyOutlined />} onClick={copy} size="small">
        {t('common.copy')}
      </Button>
      <Alert type="warning" showIcon message={t('users.initialPasswordHint')} />
    </Space>
  );
}

/** Shows a one-time (initial / reset) password once; it is not kept anywhere in the page. */
export function showOneTimePassword(modal: ModalHookAPI, t: I18n['t'], password: string, heading?: string) {
  modal.info({
    title: t('users.initialPassword'),
    width: 460,
    icon: null,
    okText: t('common.close'),
    content: <OneTimePasswordBody password={password} t={t} heading={heading} />,
  });
}
