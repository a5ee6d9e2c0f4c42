import { useMemo, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { Button, Drawer, Dropdown, Layout, Menu, Space, Typography } from 'antd';
import { DownOutlined, KeyOutlined, LogoutOutlined, MenuFoldOutlined, MenuOutlined, MenuUnfoldOutlined, UserOutlined } from '@ant-design/icons';
import { useAuth, useUser } from '../auth/AuthContext';
import { useT } from '../i18n';
import { allowedNav, navKeyForPath } from '../routing/nav';
import { useLabels } from '../ui/labels';
import { LanguageSwitch } from './LanguageSwitch';
import { NotificationBell } from './NotificationBell';
import { useIsMobile } from '../ui/useIsMobile';

const { Header, Sider, Content } = Layout;

function Brand({ collapsed }: { collapsed?: boolean }) {
  const t = useT();
  return (
    <div className="brand" title={t('app.title')}>
      <span className="brand-emblem">街</span>
      {!collapsed && (
        <span className="brand-text">
          <span className="brand-name">{t('app.name')}</span>
          <span className="brand-street">{t('app.street')}</span>
        </span>
      )}
    </div>
  );
}

export function AppLayout() {
  const t = useT();
  const user = useUser();
  const { logout } = useAuth();
  const labels = useLabels();
  const navigate = useNavigate();
  const location = useLocation();
  const isMobile = useIsMobile();
  const [collapsed, setCollapsed] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [loggingOut, setLoggingOut] = useState(false);

  const items = useMemo(() => allowedNav(user.permissions), [user.permissions]);
  const selected = navKeyForPath(location.pathname);
  const primary = user.posts.find((p) => p.primary) ?? user.posts[0];
  const postLine = primary
    ? [labels.post(primary.post), primary.orgUnitName].filter(Boolean).join(' · ')
    : t('header.noPost');

  // Ungrouped (platform) entries first, then one heading per business module.
  const entry = (n: (typeof items)[number]) => ({
    key: n.key,
    icon: n.icon,
    label: <span data-testid={`nav-${n.key}`}>{t(n.label)}</span>,
  });
  const groups = [...new Set(items.flatMap((n) => (n.group ? [n.group] : [])))];
  const menuItems = [
    ...items.filter((n) => !n.group).map(entry),
    ...groups.map((g) => ({ type: 'group' as const, key: `group-${g}`, label: t(g), children: items.filter((n) => n.group === g).map(entry) })),
  ];

  const menu = (
    <Menu
      mode="inline"
      theme={isMobile ? 'light' : 'dark'}
      selectedKeys={[selected]}
      items={menuItems}
      onClick={({ key }) => {
        const item = items.find((n) => n.key === key);
        if (item) navigate(item.path);
        setDrawerOpen(false);
      }}
    />
  );

  const doLogout = async () => {
    setLoggingOut(true);
    try {
      await logout();
    } finally {
      setLoggingOut(false);
    }
  };

  return (
    <Layout className="app-layout">
      {!isMobile && (
        <Sider collapsible collapsed={collapsed} trigger={null} width={216} className="app-sider" data-testid="side-menu">
          <Brand collapsed={collapsed} />
          {menu}
        </Sider>
      )}
      {isMobile && (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          width={280}
          title={<Brand />}
          className="nav-drawer"
          styles={{ body: { padding: 0, display: 'flex', flexDirection: 'column' } }}
        >
          <div data-testid="nav-drawer" style={{ flex: 1 }}>
            {menu}
          </div>
          <div className="drawer-user">
            <div className="drawer-user-name">
              <UserOutlined /> {user.name}
            </div>
            <div className="drawer-user-post">{postLine}</div>
            <Space direction="vertical" style={{ width: '100%' }}>
              <Button
                block
                icon={<KeyOutlined />}
                onClick={() => {
                  setDrawerOpen(false);
                  navigate('/change-password');
                }}
              >
                {t('header.changePassword')}
              </Button>
              <Button block icon={<LogoutOutlined />} onClick={doLogout} loading={loggingOut} data-testid="logout-mobile">
                {t('header.logout')}
              </Button>
            </Space>
          </div>
        </Drawer>
      )}
      <Layout>
        <Header className={isMobile ? 'app-header app-header-mobile' : 'app-header'}>
          {isMobile ? (
            <>
              <Button
                type="text"
                icon={<MenuOutlined />}
                onClick={() => setDrawerOpen(true)}
                aria-label={t('header.menu')}
                data-testid="menu-toggle"
              />
              <span className="header-title">{t('app.name')}</span>
              <span className="header-mobile-user" data-testid="header-user">
                {user.name}
              </span>
              <NotificationBell />
              <LanguageSwitch compact />
            </>
          ) : (
            <>
              <Button
                type="text"
                icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
                onClick={() => setCollapsed(!collapsed)}
                aria-label={t('header.menu')}
              />
              <span className="header-title">{t('app.title')}</span>
              <Space size={4} className="header-right">
                <NotificationBell />
                <Dropdown
                  trigger={['click']}
                  menu={{
                    items: [{ key: 'password', icon: <KeyOutlined />, label: t('header.changePassword') }],
                    onClick: () => navigate('/change-password'),
                  }}
                >
                  <div className="header-user" data-testid="header-user" role="button" tabIndex={0}>
                    <Typography.Text strong>
                      {user.name} <DownOutlined style={{ fontSize: 10, color: 'rgba(0,0,0,0.45)' }} />
                    </Typography.Text>
                    <Typography.Text type="secondary" className="header-post" data-testid="header-post">
                      {postLine}
                    </Typography.Text>
                  </div>
                </Dropdown>
                <LanguageSwitch />
                <Button type="text" icon={<LogoutOutlined />} onClick={doLogout} loading={loggingOut} data-testid="logout">
                  {t('header.logout')}
                </Button>
              </Space>
            </>
          )}
        </Header>
        <Content className={isMobile ? 'app-content app-content-mobile' : 'app-content'}>
          <Outlet />
        </Content>
      </Layout>
    </Layout>
  );
}
