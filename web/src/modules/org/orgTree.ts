import type { OrgNode } from '../../app/api/types';

export function flattenTree(nodes: OrgNode[], out: OrgNode[] = []): OrgNode[] {
  for (const n of nodes) {
    out.push(n);
    if (n.children) flattenTree(n.children, out);
  }
  return out;
}

/** Ids of the ancestors of `id` (root first), or [] when not found. */
export function ancestorsOf(nodes: OrgNode[], id: string): string[] {
  const walk = (list: OrgNode[], path: string[]): string[] | null => {
    for (const n of list) {
      if (n.id === id) return path;
      if (n.children) {
        const r = walk(n.children, [...path, n.id]);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(nodes, []) ?? [];
}

/** The tree reduced to nodes whose name (or code) matches, with their ancestors. */
export function filterTree(nodes: OrgNode[], q: string): OrgNode[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return nodes;
  const keep = (n: OrgNode): OrgNode | null => {
    const kids = (n.children ?? []).map(keep).filter((x): x is OrgNode => x !== null);
    const hit = n.name.toLowerCase().includes(needle) || (n.code ?? '').toLowerCase().includes(needle);
    if (hit) return { ...n, children: n.children };
    if (kids.length > 0) return { ...n, children: kids };
    return null;
  };
  return nodes.map(keep).filter((x): x is OrgNode => x !== null);
}
