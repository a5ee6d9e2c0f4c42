import type { ReactNode } from 'react';
import { Button, Result, Spin } from 'antd';
import { PrinterOutlined } from '@ant-design/icons';
import { LoadError } from '../api/errors';
import { useT } from '../i18n';
import './print.css';

/**
 * A printable A4 form (请假审批单, 一次性告知书, 报销单, 派车单 …): the platform's one print layout.
 * On screen a sheet with 打印 / 关闭; printed, the sheet alone in the official margins.
 */
export function PrintSheet({ title, docNo, date, loading, error, children }: {
  title: string;
  /** The form's number (编号 QJ-2026-000123), printed top right. */
  docNo?: string | null;
  /** The line top left (e.g. the office's name or the date). */
  date?: string;
  loading?: boolean;
  error?: unknown;
  children?: ReactNode;
}) {
  const t = useT();
  return (
    <div className="print-desk">
      <div className="print-toolbar">
        <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.print()} data-testid="print-button">{t('print.print')}</Button>
        <Button onClick={() => window.close()}>{t('print.close')}</Button>
      </div>
      <div className="print-sheet" data-testid="print-sheet">
        {error ? (
          <LoadError error={error} />
        ) : loading ? (
          <Result icon={<Spin />} />
        ) : (
          <>
            <h1 className="print-title">{title}</h1>
            <div className="print-docno">
              <span>{date}</span>
              <span>{docNo ? `${t('print.docNo')}${docNo}` : ''}</span>
            </div>
            {children}
          </>
        )}
      </div>
    </div>
  );
}
