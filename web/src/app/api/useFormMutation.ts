import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormInstance } from 'antd';
import { useShowError } from './errors';
import { notifier } from '../ui/notify';

/**
 * The mutation behind a form in a dialog: on success a short message, the listed queries
 * refreshed and `onDone`; on failure the server's error on the form's fields (details[].path)
 * or as a notification.
 */
export function useFormMutation<V, R = unknown>(
  form: FormInstance,
  opts: { mutationFn: (v: V) => Promise<R>; success: string; invalidate?: readonly (readonly unknown[])[]; onDone?: (result: R) => void },
) {
  const showError = useShowError();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: opts.mutationFn,
    onSuccess: (result) => {
      notifier.message?.success(opts.success);
      for (const queryKey of opts.invalidate ?? []) void qc.invalidateQueries({ queryKey });
      opts.onDone?.(result);
    },
    onError: (e) => showError(e, form),
  });
}
