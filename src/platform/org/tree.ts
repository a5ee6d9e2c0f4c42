import type { Db } from '../db/index.js';
import type { OrgUnitRow } from '../db/schema.js';
import { nowAndAfterCommit } from '../db/request-scope.js';

/**
 * The org tree held in memory: a street has hundreds of units, a city tens of thousands —
 * small enough to resolve data scopes without touching the database on every request.
 * Dropped by every org write in this process, and re-read at most every few seconds for others.
 */
export interface OrgTree {
  units: Map<string, OrgUnitRow>;
  children: Map<string | null, string[]>;
}

let cached: { db: Db; tree: OrgTree; loadedAt: number } | null = null;
/** Other processes may change the tree: re-read at most this often. */
const MAX_AGE_MS = 5000;

export function invalidateOrgTree(): void {
  nowAndAfterCommit(() => { cached = null; });
}

export function buildTree(rows: OrgUnitRow[]): OrgTree {
  const units = new Map(rows.map((r) => [r.id, r]));
  const children = new Map<string | null, string[]>();
  const sorted = [...rows].sort((a, b) => a.sort_order - b.sort_order || a.code.localeCompare(b.code));
  for (const r of sorted) {
    const list = children.get(r.parent_id) ?? [];
    list.push(r.id);
    children.set(r.parent_id, list);
  }
  return { units, children };
}

export async function loadOrgTree(db: Db): Promise<OrgTree> {
  const now = Date.now();
  if (cached && cached.db === db && now - cached.loadedAt < MAX_AGE_MS) return cached.tree;
  const rows = await db.selectFrom('org_units').selectAll().execute();
  const tree = buildTree(rows);
  cached = { db, tree, loadedAt: now };
  return tree;
}

/** The unit and everything below it. */
export function descendantsOf(tree: OrgTree, unitId: string): string[] {
  const out: string[] = [];
  const stack = [unitId];
  while (stack.length) {
    const id = stack.pop()!;
    if (!tree.units.has(id)) continue;
    out.push(id);
    for (const c of tree.children.get(id) ?? []) stack.push(c);
  }
  return out;
}

export function ancestorsOf(tree: OrgTree, unitId: string): string[] {
  const out: string[] = [];
  let cur = tree.units.get(unitId)?.parent_id ?? null;
  const seen = new Set<string>();
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    out.push(cur);
    cur = tree.units.get(cur)?.parent_id ?? null;
  }
  return out;
}
