import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { Badge, Button, Drawer, Empty, List, Segmented, Space, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { api } from '../api/client';
import type { Page } from '../api/types';
import { useT } from '../i18n';
import { fmtDateTime } from '../ui/format';
import { useIsMobile } from '../ui/useIsMobile';

interface NotificationItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

const KEY = ['notifications'] as const;

/** The header's bell: unread count (polled each minute), the latest notifications, a click opens what it is about. */
export function NotificationBell() {
  const t = useT();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const isMobile = useIsMobile();
  const [open, setOpen] = useState(false);
  const [unreadOnly, setUnreadOnly] = useState(true);
  const count = useQuery({ queryKey: [...KEY, 'count'], queryFn: () => api.get<{ unread: number }>('/notifications/unread-count'), refetchInterval: 60_000 });
  const list = useQuery({
    queryKey: [...KEY, 'list', unreadOnly],
    queryFn: () => api.get<Page<NotificationItem>>('/notifications', { page: 1, pageSize: 30, unread: unreadOnly ? 'true' : undefined }),
    enabled: open,
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: KEY });
  const read = useMutation({ mutationFn: (ids: string[]) => api.post('/notifications/read', { ids }), onSuccess: refresh });
  const readAll = useMutation({ mutationFn: () => api.post('/notifications/read-all'), onSuccess: refresh });
  const unread = count.data?.unread ?? 0;
  const openItem = (n: NotificationItem) => {
    if (!n.readAt) read.mutate([n.id]);
    if (n.link) {
      setOpen(false);
      navigate(n.link);
    }
  };
  return (
    <>
      <Badge count={unread} size="small" offset={[-4, 4]}>
        <Button type="text" icon={<BellOutlined />} onClick={() => setOpen(true)} aria-label={t('notif.bell')} data-testid="notification-bell" />
      </Badge>
      <Drawer
        open={open}
        onClose={() => setOpen(false)}
        title={t('notif.title')}
        width={isMobile ? '100%' : 420}
        extra={<Button size="small" onClick={() => readAll.mutate()} disabled={unread === 0} loading={readAll.isPending}>{t('notif.readAll')}</Button>}
        data-testid="notification-drawer"
      >
        <Space direction="vertical" style={{ width: '100%' }}>
          <Segmented
            value={unreadOnly ? 'unread' : 'all'}
            onChange={(v) => setUnreadOnly(v === 'unread')}
            options={[{ value: 'unread', label: t('notif.unreadOnly') }, { value: 'all', label: t('notif.all') }]}
          />
          <List
            loading={list.isFetching}
            dataSource={list.data?.items ?? []}
            locale={{ emptyText: <Empty description={t('notif.empty')} /> }}
            renderItem={(n) => (
              <List.Item onClick={() => openItem(n)} style={{ cursor: n.link ? 'pointer' : 'default' }} data-testid="notification-item">
                <List.Item.Meta
                  avatar={<Badge status={n.readAt ? 'default' : 'processing'} />}
                  title={<Typography.Text strong={!n.readAt}>{n.title}</Typography.Text>}
                  description={<><div>{n.body}</div><Typography.Text type="secondary">{fmtDateTime(n.createdAt)}</Typography.Text></>}
                />
              </List.Item>
            )}
          />
        </Space>
      </Drawer>
    </>
  );
}
