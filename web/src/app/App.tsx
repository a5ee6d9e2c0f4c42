import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCNLocale from 'antd/locale/zh_CN';
import enUSLocale from 'antd/locale/en_US';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { I18nProvider, useI18n } from './i18n';
import { AuthProvider } from './auth/AuthContext';
import { LoginPage } from './auth/LoginPage';
import { FullPageSpin, NotFoundPage, RequireAuth, RequirePermission } from './routing/guards';
import { NAV_ITEMS } from './routing/nav';
import { MODULE_NAV, MODULE_PAGES, MODULE_PRINT_PAGES } from '../modules';
import { isApiError } from './api/client';
import { notifier } from './ui/notify';

// Everything behind the login is loaded on first use: the login page downloads only the shell
// (router, i18n, session, the antd pieces it shows). Module pages are lazy in modules/*/nav.tsx.
const AppLayout = lazy(() => import('./layout/AppLayout').then((m) => ({ default: m.AppLayout })));
const HomePage = lazy(() => import('./home/HomePage').then((m) => ({ default: m.HomePage })));
const ChangePasswordPage = lazy(() => import('./auth/ChangePasswordPage').then((m) => ({ default: m.ChangePasswordPage })));
const OrgPage = lazy(() => import('../modules/org/OrgPage'));
const UsersPage = lazy(() => import('../modules/admin/UsersPage'));
const SessionsPage = lazy(() => import('../modules/admin/SessionsPage'));
const CalendarPage = lazy(() => import('../modules/calendar/CalendarPage'));
const PolicyPage = lazy(() => import('../modules/policy/PolicyPage'));
const AuditPage = lazy(() => import('../modules/audit/AuditPage'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: true,
      retry: (count, err) => {
        if (isApiError(err) && err.status >= 400 && err.status < 500) return false;
        return count < 2;
      },
    },
    mutations: { retry: false },
  },
});

/** Hands antd's context-aware message/notification/modal to code outside components. */
function NotifierBridge() {
  const { message, notification, modal } = AntApp.useApp();
  useEffect(() => {
    notifier.message = message;
    notifier.notification = notification;
    notifier.modal = modal;
  }, [message, notification, modal]);
  return null;
}

function guarded(key: string, node: ReactNode) {
  const item = NAV_ITEMS.find((n) => n.key === key);
  return (
    <RequirePermission anyOf={item?.anyOf ?? []}>
      <Suspense fallback={<FullPageSpin />}>{node}</Suspense>
    </RequirePermission>
  );
}

function Themed({ children }: { children: ReactNode }) {
  const { locale } = useI18n();
  return (
    <ConfigProvider
      locale={locale === 'en' ? enUSLocale : zhCNLocale}
      theme={{
        token: {
          colorPrimary: '#1d5fb8',
          borderRadius: 6,
          fontFamily:
            '-apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
        },
        components: { Layout: { siderBg: '#12284a', headerBg: '#ffffff', headerPadding: '0 16px' }, Menu: { darkItemBg: '#12284a', darkSubMenuItemBg: '#0d1f3b' } },
      }}
    >
      <AntApp>
        <NotifierBridge />
        {children}
      </AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <Themed>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <AuthProvider>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  path="/change-password"
                  element={
                    <RequireAuth allowMustChange>
                      <Suspense fallback={<FullPageSpin />}>
                        <ChangePasswordPage />
                      </Suspense>
                    </RequireAuth>
                  }
                />
                {MODULE_PRINT_PAGES.map(({ path, page: Page }) => (
                  <Route
                    key={path}
                    path={path}
                    element={
                      <RequireAuth>
                        <Suspense fallback={<FullPageSpin />}>
                          <Page />
                        </Suspense>
                      </RequireAuth>
                    }
                  />
                ))}
                <Route
                  element={
                    <RequireAuth>
                      <Suspense fallback={<FullPageSpin />}>
                        <AppLayout />
                      </Suspense>
                    </RequireAuth>
                  }
                >
                  <Route index element={guarded('home', <HomePage />)} />
                  <Route path="org" element={guarded('org', <OrgPage />)} />
                  <Route path="admin/users" element={guarded('users', <UsersPage />)} />
                  <Route path="admin/sessions" element={guarded('sessions', <SessionsPage />)} />
                  <Route path="calendar" element={guarded('calendar', <CalendarPage />)} />
                  <Route path="policy" element={guarded('policy', <PolicyPage />)} />
                  <Route path="audit" element={guarded('audit', <AuditPage />)} />
                  {MODULE_NAV.map((n) => {
                    const Page = MODULE_PAGES[n.key];
                    return <Route key={n.key} path={n.path.slice(1)} element={guarded(n.key, <Page />)} />;
                  })}
                  <Route path="*" element={<NotFoundPage />} />
                </Route>
              </Routes>
            </AuthProvider>
          </BrowserRouter>
        </QueryClientProvider>
      </Themed>
    </I18nProvider>
  );
}
