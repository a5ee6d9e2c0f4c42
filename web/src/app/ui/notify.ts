import type { MessageInstance } from 'antd/es/message/interface';
import type { NotificationInstance } from 'antd/es/notification/interface';
import type { HookAPI as ModalHookAPI } from 'antd/es/modal/useModal';

/**
 * A bridge to antd's App context (message / notification / modal with the current theme and
 * locale) for code outside components, e.g. the React Query error handler.
 */
export const notifier: {
  message: MessageInstance | null;
  notification: NotificationInstance | null;
  modal: ModalHookAPI | null;
} = { message: null, notification: null, modal: null };
