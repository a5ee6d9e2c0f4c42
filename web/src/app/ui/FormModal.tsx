import type { ReactNode } from 'react';
import { type ButtonProps, Form, type FormInstance, type FormProps, type FormRule, Modal } from 'antd';
import { useI18n } from '../i18n';
import { useIsMobile } from './useIsMobile';

/**
 * A modal around a form: 保存 (or `okText`) submits it, 取消 closes. With a `width` it is a
 * field form for the phone too — full width at the top of the screen, large controls and
 * buttons; without, antd's default dialog (short confirmations: 退回, 驳回, 终止…).
 */
export function FormModal<V>({
  open,
  title,
  form,
  save,
  initialValues,
  onClose,
  okText,
  danger,
  okTestId,
  width,
  children,
  'data-testid': testId,
}: {
  open: boolean;
  title: ReactNode;
  form: FormInstance<V>;
  /** What submits the form's values (a mutation): `isPending` shows on the OK button. */
  save: { mutate: (values: V) => void; isPending: boolean };
  initialValues?: FormProps<V>['initialValues'];
  onClose: () => void;
  /** Default 保存. */
  okText?: string;
  danger?: boolean;
  /** data-testid of the OK button. */
  okTestId?: string;
  /** Desktop width; on a phone the modal takes the whole width. */
  width?: number;
  children: ReactNode;
  'data-testid'?: string;
}) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  const size = width ? (isMobile ? 'large' : 'middle') : undefined;
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={okText ?? t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={save.isPending}
      destroyOnHidden
      width={width && isMobile ? '100%' : width}
      style={width && isMobile ? { top: 8, maxWidth: '100vw', paddingBottom: 0 } : undefined}
      okButtonProps={{ size, danger, 'data-testid': okTestId } as ButtonProps}
      cancelButtonProps={{ size }}
      data-testid={testId}
    >
      <Form<V> form={form} layout="vertical" size={size} preserve={false} initialValues={initialValues} onFinish={(v) => save.mutate(v)}>
        {children}
      </Form>
    </Modal>
  );
}

/** The rules of a required field, "请填写{field}": `required` for a choice or date, `requiredText` for a text that must not be blank. */
export function useRequiredRules() {
  const { t } = useI18n();
  return {
    required: (label: string): FormRule[] => [{ required: true, message: t('common.requiredField', { field: label }) }],
    requiredText: (label: string): FormRule[] => [{ required: true, whitespace: true, message: t('common.requiredField', { field: label }) }],
  };
}
