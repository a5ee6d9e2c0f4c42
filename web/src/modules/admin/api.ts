import { useQuery } from '@tanstack/react-query';
import { api } from '../../app/api/client';
import type { AdminUserDetail, Role } from '../../app/api/types';

export function useRoles(enabled = true) {
  return useQuery({
    queryKey: ['admin', 'roles'],
    queryFn: ({ signal }) => api.get<{ items: Role[] }>('/admin/roles', undefined, signal),
    staleTime: 10 * 60_000,
    enabled,
  });
}

export function useAdminUser(id: string | null) {
  return useQuery({
    queryKey: ['admin', 'user', id],
    queryFn: ({ signal }) => api.get<AdminUserDetail>(`/admin/users/${encodeURIComponent(id!)}`, undefined, signal),
    enabled: !!id,
  });
}
