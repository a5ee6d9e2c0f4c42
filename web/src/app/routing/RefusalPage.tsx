import { useNavigate } from 'react-router';
import { Button, Result } from 'antd';
import { useT } from '../i18n';

/** 403 / 404 inside the app, with a way back home (its own chunk: the login page never shows it). */
export default function RefusalPage({ status }: { status: '403' | '404' }) {
  const t = useT();
  const navigate = useNavigate();
  return (
    <Result
      status={status}
      title={status}
      subTitle={t(status === '403' ? 'common.noPermission' : 'common.notFound')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('common.backHome')}
        </Button>
      }
    />
  );
}
