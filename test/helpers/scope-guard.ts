import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { keyColumnsOf, SCOPE_MARK, scopedTables, UNSCOPED_MARK } from '../../src/platform/org/scoped-tables.js';

/**
 * The scope guard (ARCHITECTURE.md "Data scope"): installed on every test app's database, it
 * inspects the operation tree of each query the application (not the test itself) sends. A select,
 * update or delete that touches a declared scoped table must carry `inScope`'s marker for one of
 * them, state a deliberate `unscopedRead(reason)`, or be pinned to given rows by a declared key
 * (`houses.id = $1`, `person_id in (…)`) — rows the service then checks one by one. Anything else
 * is a bypass: the query fails and the violation is kept for the test app's close to report.
 */
export interface ScopeViolation { tables: string[]; caller: string; sql?: string }

interface Seen { tables: Map<string, Set<string>>; marks: Set<string>; unscoped: boolean; pinned: { column: string; qualifier: string | null }[] }

const isNode = (v: unknown): v is OperationNode => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';

function identifierName(n: unknown): string | null {
  const id = n as { kind?: string; name?: string } | undefined;
  return id?.kind === 'IdentifierNode' && typeof id.name === 'string' ? id.name : null;
}
const tableName = (n: OperationNode): string | null => identifierName((n as unknown as { table: { identifier: unknown } }).table?.identifier);

function visit(node: unknown, seen: Seen): void {
  if (Array.isArray(node)) { for (const n of node) visit(n, seen); return; }
  if (!isNode(node)) return;
  const n = node as unknown as Record<string, unknown> & { kind: string };
  switch (n.kind) {
    case 'TableNode': {
      const name = tableName(node);
      if (name && !seen.tables.has(name)) seen.tables.set(name, new Set([name]));
      break;
    }
    case 'AliasNode': {
      const inner = n.node as OperationNode;
      const alias = identifierName(n.alias);
      if (isNode(inner) && inner.kind === 'TableNode' && alias) {
        const name = tableName(inner);
        if (name) (seen.tables.get(name) ?? seen.tables.set(name, new Set()).get(name)!).add(alias);
      }
      break;
    }
    case 'RawNode':
      for (const f of n.sqlFragments as string[]) {
        let i = f.indexOf(SCOPE_MARK);
        while (i >= 0) {
          const m = /^([a-z0-9_]+)/.exec(f.slice(i + SCOPE_MARK.length));
          if (m) seen.marks.add(m[1]!);
          i = f.indexOf(SCOPE_MARK, i + 1);
        }
        if (f.includes(UNSCOPED_MARK)) seen.unscoped = true;
      }
      break;
    case 'BinaryOperationNode': {
      const left = n.leftOperand as Record<string, unknown> | undefined;
      const op = (n.operator as { operator?: string } | undefined)?.operator;
      const right = (n.rightOperand as { kind?: string } | undefined)?.kind;
      if (left?.kind === 'ReferenceNode' && (op === '=' || op === 'in') && (right === 'ValueNode' || right === 'ValueListNode' || right === 'PrimitiveValueListNode')) {
        const column = identifierName((left.column as { column?: unknown } | undefined)?.column);
        const qualifier = left.table ? tableName(left.table as OperationNode) : null;
        if (column) seen.pinned.push({ column, qualifier });
      }
      break;
    }
  }
  for (const [key, v] of Object.entries(n)) if (key !== 'kind') visit(v, seen);
}

/** Which scoped tables a query touches without the helper, or [] when it is fine. */
export function scopeBypass(root: RootOperationNode): string[] {
  if (!['SelectQueryNode', 'UpdateQueryNode', 'DeleteQueryNode'].includes(root.kind)) return [];
  const seen: Seen = { tables: new Map(), marks: new Set(), unscoped: false, pinned: [] };
  visit(root, seen);
  const declared = scopedTables();
  const touched = [...seen.tables.keys()].filter((t) => declared.has(t));
  if (touched.length === 0 || seen.unscoped) return [];
  if (touched.some((t) => seen.marks.has(t))) return [];
  const pinned = touched.some((t) => {
    const names = seen.tables.get(t)!;
    const keys = keyColumnsOf(declared.get(t)!);
    return seen.pinned.some((p) => keys.includes(p.column) && (p.qualifier === null || names.has(p.qualifier)));
  });
  return pinned ? [] : touched;
}

/** The first caller outside Kysely and this guard: application code (checked) or a test (not). */
function callerOf(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('node_modules') || line.includes('scope-guard') || !line.includes('/')) continue;
    return line.trim();
  }
  return '';
}
const fromTest = (caller: string) => /\.test\.ts|\/test\/|node:internal/.test(caller) || caller === '';

export class ScopeGuard implements KyselyPlugin {
  readonly violations: ScopeViolation[] = [];

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const tables = scopeBypass(args.node);
    if (tables.length === 0) return args.node;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    const caller = callerOf(stack);
    if (fromTest(caller)) return args.node;
    const v = { tables, caller };
    this.violations.push(v);
    throw new Error(`scope guard: a query on ${tables.join(', ')} does not go through inScope (${caller})`);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
