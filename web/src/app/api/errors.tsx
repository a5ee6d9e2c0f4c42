import { useCallback } from 'react';
import { Alert, Button, type FormInstance } from 'antd';
import { ApiError, isApiError, type ApiErrorDetail } from './client';
import { useT } from '../i18n';
import { notifier } from '../ui/notify';

/** "body.posts.0.validFrom" / "/posts/0/validFrom" → ['posts', 0, 'validFrom'] */
export function detailPathToName(path: string): (string | number)[] {
  const cleaned = path.replace(/^\/+/, '').replace(/^body[./]/, '');
  return cleaned
    .split(/[./]|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Text to show for an error (server message in Chinese, or a generic one). */
export function useErrorText() {
  const t = useT();
  return useCallback(
    (err: unknown): string => {
      if (isApiError(err)) {
        if (err.status === 0) return t('common.networkError');
        return err.message || t('common.unknownError');
      }
      return t('common.unknownError');
    },
    [t],
  );
}

/**
 * Shows an API error to the user: the server's message in a toast, and each details[].path that
 * names a field of `form` as that field's error. Details that name no field are listed in a
 * notification so nothing is hidden.
 */
export function useShowError() {
  const errorText = useErrorText();
  return useCallback(
    (err: unknown, form?: FormInstance) => {
      if (isApiError(err) && err.code === 'UNAUTHENTICATED') return; // user gave up re-login
      const text = errorText(err);
      let unmatched: ApiErrorDetail[] = [];
      if (isApiError(err) && err.details.length > 0) {
        if (form) {
          const registered = form.getFieldsValue() as Record<string, unknown>;
          const fields: { name: (string | number)[]; errors: string[] }[] = [];
          for (const d of err.details) {
            const name = detailPathToName(d.path);
            if (name.length > 0 && typeof name[0] === 'string' && name[0] in registered) {
              const existing = fields.find((f) => f.name.join('.') === name.join('.'));
              if (existing) existing.errors.push(d.message);
              else fields.push({ name, errors: [d.message] });
            } else unmatched.push(d);
          }
          if (fields.length > 0) form.setFields(fields);
        } else unmatched = err.details;
      }
      if (unmatched.length > 0 && notifier.notification) {
        notifier.notification.error({
          message: text,
          description: (
            <ul style={{ paddingLeft: 18, margin: 0 }}>
              {unmatched.map((d, i) => (
                <li key={i}>
                  {d.path ? <code>{d.path}</code> : null} {d.message}
                </li>
              ))}
            </ul>
          ),
          duration: 8,
        });
      } else if (notifier.message) {
        notifier.message.error(text);
      }
    },
    [errorText],
  );
}

/** A load error shown in place of content, with a retry button. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useT();
  const errorText = useErrorText();
  const notAllowed = error instanceof ApiError && (error.status === 403 || error.status === 404);
  return (
    <Alert
      type={notAllowed ? 'warning' : 'error'}
      showIcon
      message={t('common.loadFailed')}
      description={errorText(error)}
      action={
        onRetry && !notAllowed ? (
          <Button size="small" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}
