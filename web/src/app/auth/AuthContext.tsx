import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, request, setCsrfToken, setInApp, setReloginHandler } from '../api/client';
import type { SessionResponse, SessionUser } from '../api/types';
import { ReloginModal } from './ReloginModal';

export type AuthStatus = 'loading' | 'anonymous' | 'authenticated';

export interface AuthContextValue {
  status: AuthStatus;
  user: SessionUser | null;
  login: (username: string, password: string) => Promise<SessionUser>;
  logout: () => Promise<void>;
  refresh: () => Promise<SessionUser | null>;
  can: (permission: string) => boolean;
  canAny: (...permissions: string[]) => boolean;
}

const AuthContext = createContext<AuthContextValue | null>(null);

interface PendingRelogin {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>('loading');
  const [user, setUser] = useState<SessionUser | null>(null);
  const [reloginOpen, setReloginOpen] = useState(false);
  const pending = useRef<PendingRelogin | null>(null);
  const userRef = useRef<SessionUser | null>(null);
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  const accept = useCallback((session: SessionResponse) => {
    setCsrfToken(session.csrfToken);
    setInApp(true);
    userRef.current = session.user;
    setUser(session.user);
    setStatus('authenticated');
    return session.user;
  }, []);

  const clear = useCallback(() => {
    setCsrfToken(null);
    setInApp(false);
    userRef.current = null;
    setUser(null);
    setStatus('anonymous');
    queryClient.clear();
  }, [queryClient]);

  const refresh = useCallback(async () => {
    try {
      const session = await request<SessionResponse>('/auth/me', { noRelogin: true });
      return accept(session);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        clear();
        return null;
      }
      throw e;
    }
  }, [accept, clear]);

  useEffect(() => {
    refresh().catch(() => {
      // Server unreachable at start: show the login page (its submit will show the error).
      setStatus('anonymous');
    });
  }, [refresh]);

  const login = useCallback(
    async (username: string, password: string) => {
      const session = await request<SessionResponse>('/auth/login', {
        method: 'POST',
        body: { username, password },
        noRelogin: true,
      });
      queryClient.clear();
      return accept(session);
    },
    [accept, queryClient],
  );

  const logout = useCallback(async () => {
    try {
      await request<void>('/auth/logout', { method: 'POST', body: {}, noRelogin: true });
    } catch {
      /* already logged out or offline: leave locally anyway */
    }
    clear();
    navigate('/login', { replace: true });
  }, [clear, navigate]);

  // The API client asks for a re-login when a call answers 401 inside the app.
  useEffect(() => {
    setReloginHandler(
      () =>
        new Promise<void>((resolve, reject) => {
          pending.current = { resolve, reject };
          setReloginOpen(true);
        }),
    );
    return () => setReloginHandler(null);
  }, []);

  const onRelogin = useCallback(
    async (password: string) => {
      const username = userRef.current?.username ?? '';
      const session = await request<SessionResponse>('/auth/login', {
        method: 'POST',
        body: { username, password },
        noRelogin: true,
      });
      accept(session);
      setReloginOpen(false);
      const p = pending.current;
      pending.current = null;
      p?.resolve();
    },
    [accept],
  );

  const onGiveUp = useCallback(() => {
    setReloginOpen(false);
    const p = pending.current;
    pending.current = null;
    p?.reject(new ApiError(401, 'UNAUTHENTICATED', ''));
    clear();
    navigate('/login', { replace: true });
  }, [clear, navigate]);

  const value = useMemo<AuthContextValue>(() => {
    const perms = new Set(user?.permissions ?? []);
    return {
      status,
      user,
      login,
      logout,
      refresh,
      can: (p) => perms.has(p),
      canAny: (...ps) => ps.some((p) => perms.has(p)),
    };
  }, [status, user, login, logout, refresh]);

  return (
    <AuthContext.Provider value={value}>
      {children}
      <ReloginModal open={reloginOpen} user={user} onSubmit={onRelogin} onGiveUp={onGiveUp} />
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The logged-in user (only inside authenticated routes). */
export function useUser(): SessionUser {
  const { user } = useAuth();
  if (!user) throw new Error('useUser without a session');
  return user;
}
