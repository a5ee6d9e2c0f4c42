import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../app/api/client';
import type { OrgNode } from '../../app/api/types';
import { flattenTree } from './orgTree';

export function useOrgTree(enabled = true) {
  return useQuery({
    queryKey: ['org', 'tree'],
    queryFn: ({ signal }) => api.get<{ items: OrgNode[] }>('/org/tree', undefined, signal),
    staleTime: 5 * 60_000,
    enabled,
  });
}

/** id → unit, for showing names where the API gives only ids. */
export function useOrgIndex(enabled = true): Map<string, OrgNode> {
  const tree = useOrgTree(enabled);
  return useMemo(() => new Map(flattenTree(tree.data?.items ?? []).map((n) => [n.id, n])), [tree.data]);
}

export interface UnitOption {
  value: string;
  title: string;
  children?: UnitOption[];
}

/** Tree data for an antd TreeSelect of org units ("name（kind）"). */
export function toUnitOptions(nodes: OrgNode[], kindName: (k: string) => string): UnitOption[] {
  return nodes.map((n) => ({
    value: n.id,
    title: `${n.name}（${kindName(n.kind)}）`,
    children: n.children && n.children.length > 0 ? toUnitOptions(n.children, kindName) : undefined,
  }));
}
