import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { Spin } from 'antd';
import { useAuth } from '../auth/AuthContext';
import { useT } from '../i18n';

const RefusalPage = lazy(() => import('./RefusalPage'));

export function FullPageSpin() {
  const t = useT();
  return (
    <div style={{ minHeight: '60vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
      <Spin size="large" tip={t('common.loading')}>
        <div style={{ width: 120, height: 60 }} />
      </Spin>
    </div>
  );
}

/** Only for logged-in users; a user with an initial password is sent to change it first. */
export function RequireAuth({ children, allowMustChange = false }: { children: ReactNode; allowMustChange?: boolean }) {
  const { status, user } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <FullPageSpin />;
  if (status !== 'authenticated' || !user) {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  if (user.mustChangePassword && !allowMustChange) return <Navigate to="/change-password" replace />;
  return <>{children}</>;
}

/** A page that needs any of the given permissions. */
export function RequirePermission({ anyOf, children }: { anyOf: string[]; children: ReactNode }) {
  const { canAny } = useAuth();
  if (anyOf.length > 0 && !canAny(...anyOf)) {
    return (
      <Suspense fallback={<FullPageSpin />}>
        <RefusalPage status="403" />
      </Suspense>
    );
  }
  return <>{children}</>;
}

export function NotFoundPage() {
  return (
    <Suspense fallback={<FullPageSpin />}>
      <RefusalPage status="404" />
    </Suspense>
  );
}
