import type { z } from 'zod';
import '../../src/modules/index.js'; // installs the modules: their pack sections are part of the schema
import { policyPackSchema } from '../../src/platform/policy/schema.js';

/**
 * Every key the policy-pack schema allows (platform sections and every module's), with the key of
 * the object holding it (`''` for a section), whether it holds a number (it wants a unit) and the
 * codes an enum key may take — what the 制度参数 page must put into words.
 */
export interface PolicyKey { parent: string; key: string; number: boolean; codes: string[] }

interface Def { type: string; [k: string]: unknown }
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

export function collectPolicyKeys(): PolicyKey[] {
  const out = new Map<string, PolicyKey>();
  const seen = new Set<unknown>();
  /** What a schema holds, seen through wrappers: its kind, the numbers and codes in it. */
  const leaf = (s: unknown): { number: boolean; codes: string[] } => {
    const d = defOf(s);
    switch (d.type) {
      case 'number': return { number: true, codes: [] };
      case 'enum': return { number: false, codes: Object.values(d.entries as Record<string, string>) };
      case 'literal': return { number: false, codes: (d.values as unknown[]).filter((v): v is string => typeof v === 'string') };
      case 'tuple': {
        const items = (d.items as unknown[]).map(leaf);
        return { number: items.length > 0 && items.every((i) => i.number), codes: [] };
      }
      case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
        return leaf(d.innerType);
      default: return { number: false, codes: [] };
    }
  };
  const walk = (s: unknown, parent: string): void => {
    const d = defOf(s);
    switch (d.type) {
      case 'object': {
        if (seen.has(s)) return;
        seen.add(s);
        for (const [key, child] of Object.entries(d.shape as Record<string, unknown>)) {
          const l = leaf(child);
          const id = `${parent}.${key}`;
          const prev = out.get(id);
          out.set(id, { parent, key, number: l.number || (prev?.number ?? false), codes: [...new Set([...(prev?.codes ?? []), ...l.codes])] });
          walk(child, key);
        }
        return;
      }
      case 'record': return walk(d.valueType, parent);
      case 'array': return walk(d.element, parent);
      case 'tuple': return (d.items as unknown[]).forEach((i) => walk(i, parent));
      case 'union': return (d.options as unknown[]).forEach((o) => walk(o, parent));
      case 'lazy': {
        if (seen.has(s)) return;
        seen.add(s);
        return walk((d.getter as () => z.ZodType)(), parent);
      }
      case 'pipe': walk(d.in, parent); return walk(d.out, parent);
      case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
        return walk(d.innerType, parent);
      default:
    }
  };
  walk(policyPackSchema(), '');
  return [...out.values()];
}

/**
 * The keys of a pack document as the 制度参数 tree names them: each with the key of the object
 * holding it (a leave type's fields with `types`, a step's with `steps`, a fallback approver's with
 * `fallback`). Conditions (`{ field, op, value }`) read as sentences and are not walked.
 */
export function collectDocumentKeys(doc: unknown): { parent: string; key: string }[] {
  const out = new Map<string, { parent: string; key: string }>();
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const walk = (v: unknown, own: string): void => {
    if (Array.isArray(v)) return v.forEach((c) => walk(c, own));
    if (!isObj(v) || ('field' in v && 'op' in v)) return;
    const entries = Object.entries(v);
    if (own === 'types' && entries.every(([, c]) => isObj(c) && typeof c.name === 'string')) return entries.forEach(([, c]) => walk(c, own));
    for (const [k, c] of entries) {
      out.set(`${own}.${k}`, { parent: own, key: k });
      walk(c, k);
    }
  };
  walk(doc, '');
  return [...out.values()];
}
