import { Button, Tooltip } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { useI18n } from '../i18n';

export function LanguageSwitch({ compact = false, light = false }: { compact?: boolean; light?: boolean }) {
  const { locale, setLocale, t } = useI18n();
  const next = locale === 'en' ? 'zh-CN' : 'en';
  const button = (
    <Button
      type="text"
      icon={<GlobalOutlined />}
      onClick={() => setLocale(next)}
      data-testid="lang-switch"
      aria-label={t('lang.label')}
      style={light ? { color: 'rgba(255,255,255,0.9)' } : undefined}
    >
      {compact ? null : t('lang.switchTo')}
    </Button>
  );
  return compact ? <Tooltip title={t('lang.switchTo')}>{button}</Tooltip> : button;
}
