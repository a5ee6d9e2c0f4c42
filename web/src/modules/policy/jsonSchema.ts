/**
 * The pack schema as the server sends it (GET /api/v1/policy/schema, JSON Schema made by zod):
 * reading it for the 制度参数 form — what kind of input a node wants, its range — and checking a
 * document against it field by field before saving, with each problem at the path the server
 * would name (`security.session.idleTimeoutMinutes`, `leave.annualTiers[0].days`). Pure (no React).
 */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
}

export type Path = readonly (string | number)[];

/** `a.b[2].c`, as the server names a path in its errors. */
export const pathText = (path: Path): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows `$ref: "#/$defs/…"` to the definition in the root schema. */
export function resolve(root: JsonSchema, s: JsonSchema): JsonSchema {
  let cur = s;
  for (let i = 0; cur.$ref && i < 10; i++) cur = root.$defs?.[cur.$ref.replace('#/$defs/', '')] ?? {};
  return cur;
}

/** zod writes "no upper bound" as Number.MAX_SAFE_INTEGER. */
const NO_BOUND = 1e15;

/** The inclusive range of a number (positive integers: from 1). */
export function numberBounds(s: JsonSchema): { min?: number; max?: number; integer: boolean } {
  const integer = s.type === 'integer';
  const step = integer ? 1 : 0;
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + step : undefined);
  let max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - step : undefined);
  if (max !== undefined && max >= NO_BOUND) max = undefined;
  return { min: min !== undefined && min <= -NO_BOUND ? undefined : min, max, integer };
}

export const isScalarSchema = (s: JsonSchema): boolean =>
  s.type === 'string' || s.type === 'number' || s.type === 'integer' || s.type === 'boolean';

/** An object of plain values (a leave type, an annual-leave tier): one row of a table. */
export const isFlatObject = (root: JsonSchema, s: JsonSchema): boolean =>
  s.type === 'object' && !!s.properties && Object.values(s.properties).every((p) => isScalarSchema(resolve(root, p)));

/** A choice between object kinds told apart by `type` (an approver rule). */
export const isTypedUnion = (s: JsonSchema): boolean =>
  !!s.oneOf && s.oneOf.every((o) => o.properties?.type?.const !== undefined);

/** The condition language of approval chains (`{ field, op, value }`, all / any / not). */
export const isConditionUnion = (s: JsonSchema): boolean =>
  !!s.anyOf && s.anyOf.some((o) => !!o.properties?.field && !!o.properties?.op);

/** The variant of a typed union a value holds. */
export const variantOf = (s: JsonSchema, v: unknown): JsonSchema | undefined =>
  s.oneOf?.find((o) => isObject(v) && o.properties?.type?.const === v.type);

/** A new value for a schema: its default, else the smallest valid one (required keys filled). */
export function initialValue(root: JsonSchema, schema: JsonSchema): unknown {
  const s = resolve(root, schema);
  if (s.default !== undefined) return structuredClone(s.default);
  if (s.const !== undefined) return s.const;
  if (s.oneOf?.length) return initialValue(root, s.oneOf[0]!);
  if (s.anyOf?.length) return initialValue(root, s.anyOf[s.anyOf.length - 1]!);
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const k of s.required ?? []) out[k] = initialValue(root, s.properties?.[k] ?? {});
      return out;
    }
    case 'array':
      if (s.prefixItems) return s.prefixItems.map((p) => initialValue(root, p));
      return Array.from({ length: s.minItems ?? 0 }, () => initialValue(root, s.items || {}));
    case 'integer':
    case 'number':
      return numberBounds(s).min ?? 0;
    case 'boolean':
      return false;
    default:
      return '';
  }
}

export type ProblemRule = 'required' | 'type' | 'integer' | 'range' | 'maxLength' | 'pattern' | 'enum' | 'minItems' | 'maxItems' | 'variant';
export interface Problem { path: string; rule: ProblemRule; min?: number; max?: number; limit?: number }

/** Every problem of `value` against `schema`, each at its path; [] when the server would accept it (refinements aside). */
export function validate(root: JsonSchema, value: unknown, schema: JsonSchema = root, path: Path = []): Problem[] {
  const s = resolve(root, schema);
  const at = pathText(path);
  if (s.oneOf || s.anyOf) {
    const options = (s.oneOf ?? s.anyOf)!;
    const chosen = isTypedUnion(s) ? variantOf(s, value) : undefined;
    if (chosen) return validate(root, value, chosen, path);
    return options.some((o) => validate(root, value, o, path).length === 0) ? [] : [{ path: at, rule: 'variant' }];
  }
  if (s.const !== undefined) return value === s.const ? [] : [{ path: at, rule: 'enum' }];
  if (s.enum) return s.enum.includes(value) ? [] : [{ path: at, rule: value === undefined || value === '' ? 'required' : 'enum' }];
  switch (s.type) {
    case 'object': {
      if (!isObject(value)) return [{ path: at, rule: 'type' }];
      const out: Problem[] = [];
      for (const k of s.required ?? []) if (value[k] === undefined) out.push({ path: pathText([...path, k]), rule: 'required' });
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const own = s.properties?.[k];
        if (own) out.push(...validate(root, v, own, [...path, k]));
        else if (isObject(s.additionalProperties)) {
          const names = s.propertyNames;
          if (names?.pattern && !new RegExp(names.pattern).test(k)) out.push({ path: pathText([...path, k]), rule: 'pattern' });
          out.push(...validate(root, v, s.additionalProperties, [...path, k]));
        }
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(value)) return [{ path: at, rule: 'type' }];
      const out: Problem[] = [];
      if (s.minItems !== undefined && value.length < s.minItems) out.push({ path: at, rule: 'minItems', limit: s.minItems });
      if (s.maxItems !== undefined && value.length > s.maxItems) out.push({ path: at, rule: 'maxItems', limit: s.maxItems });
      value.forEach((v, i) => {
        const item = s.prefixItems?.[i] ?? (s.items || undefined);
        if (item) out.push(...validate(root, v, item, [...path, i]));
      });
      return out;
    }
    case 'integer':
    case 'number': {
      if (value === undefined || value === null) return [{ path: at, rule: 'required' }];
      if (typeof value !== 'number' || !Number.isFinite(value)) return [{ path: at, rule: 'type' }];
      const b = numberBounds(s);
      if (b.integer && !Number.isInteger(value)) return [{ path: at, rule: 'integer' }];
      if ((b.min !== undefined && value < b.min) || (b.max !== undefined && value > b.max)) return [{ path: at, rule: 'range', min: b.min, max: b.max }];
      return [];
    }
    case 'string': {
      if (typeof value !== 'string') return [{ path: at, rule: value === undefined ? 'required' : 'type' }];
      if ((s.minLength ?? 0) > 0 && value.trim() === '') return [{ path: at, rule: 'required' }];
      if (s.maxLength !== undefined && value.length > s.maxLength) return [{ path: at, rule: 'maxLength', limit: s.maxLength }];
      if (s.pattern && !new RegExp(s.pattern).test(value)) return [{ path: at, rule: 'pattern' }];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ path: at, rule: 'type' }];
    default:
      return [];
  }
}

/** A copy of `doc` with the value at `path` replaced (`undefined`: the key removed). */
export function setIn(doc: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const copy = [...doc];
    copy[head as number] = setIn(copy[head as number], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(isObject(doc) ? doc : {}) };
  const next = setIn(copy[head as string], rest, value);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}
