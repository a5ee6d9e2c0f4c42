import type { ReactNode } from 'react';
import { Typography } from 'antd';

export function PageHeader({ title, extra, testId }: { title: ReactNode; extra?: ReactNode; testId?: string }) {
  return (
    <div className="page-header">
      <Typography.Title level={3} data-testid={testId}>
        {title}
      </Typography.Title>
      {extra ? <div>{extra}</div> : null}
    </div>
  );
}
