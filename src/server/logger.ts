import type { FastifyServerOptions } from 'fastify';

/**
 * Logs never carry personal data: request URLs lose their query strings, bodies are not logged,
 * secrets in headers are removed, and any field named like an identifier is redacted at any
 * depth (objects and arrays) before the line is written. Database errors (pg and PGlite share
 * pg-protocol's DatabaseError) lose what holds the statement's values — PGlite's `params`,
 * PostgreSQL's `detail` ("Key (…)=(…)", "Failing row contains (…)") and `where` — and quoted
 * values in their message; their code, table, column and constraint stay for diagnosis.
 */
export const REDACTED_FIELDS = ['idNumber', 'id_number', 'phone', 'contactPhone', 'password', 'currentPassword', 'newPassword', 'name', 'token', 'csrfToken', 'cookie', 'authorization', 'x-csrf-token'];
const redacted = new Set(REDACTED_FIELDS.map((f) => f.toLowerCase()));
const CENSOR = '[已脱敏]';

/** Fields of a database error that carry the values of the failed statement. */
const DB_ERROR_VALUE_FIELDS = new Set(['params', 'detail', 'where', 'internalQuery']);

function isDatabaseError(e: Error): boolean {
  const x = e as unknown as Record<string, unknown>;
  return typeof x.severity === 'string' && typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code);
}

/**
 * An error's message fit for the log: for a database error, every double-quoted part that is not
 * one of its own identifiers (table, column, constraint, schema, type) is replaced — messages such
 * as `invalid input syntax for type date: "…"` quote the value sent.
 */
export function loggableMessage(e: Error): string {
  if (!isDatabaseError(e)) return e.message;
  const x = e as unknown as Record<string, unknown>;
  const identifiers = new Set(['table', 'column', 'constraint', 'schema', 'dataType'].map((k) => x[k]).filter((v) => typeof v === 'string'));
  return e.message.replace(/"((?:[^"]|"")*)"/g, (quoted, inner: string) => (identifiers.has(inner) ? quoted : `"${CENSOR}"`));
}

function errorRecord(e: Error): Record<string, unknown> {
  const own = { ...(e as unknown as Record<string, unknown>) };
  if (!isDatabaseError(e)) return { type: e.name, message: e.message, stack: e.stack, ...own };
  const message = loggableMessage(e);
  const out: Record<string, unknown> = { type: e.name, message, stack: e.stack?.split(e.message).join(message) };
  for (const [k, v] of Object.entries(own)) if (!DB_ERROR_VALUE_FIELDS.has(k) && k !== 'name') out[k] = v;
  return out;
}

export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const record = errorRecord(value);
    // A wrapped cause is not enumerable: logged too, under the same rules.
    if (value.cause instanceof Error && !('cause' in record)) record.cause = value.cause;
    return redactDeep(record, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  // Class instances (requests, replies) are left to their serializers, which keep only safe fields.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redacted.has(k.toLowerCase()) ? CENSOR : redactDeep(v, depth + 1);
  return out;
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    hooks: {
      // pino makes an error's message the line's `msg` when none is given (`log.error(err)`,
      // `log.error({ err })`) before any formatter runs: give it the loggable message instead.
      logMethod(args, method) {
        const [first, second] = args as unknown[];
        const err = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        if (err instanceof Error && typeof second !== 'string') {
          const rest = (args as unknown[]).slice(1);
          return method.apply(this, [first instanceof Error ? { err } : first, loggableMessage(err), ...rest] as Parameters<typeof method>);
        }
        return method.apply(this, args);
      },
    },
    serializers: {
      // Errors are already plain records (formatters.log); pino's own serializer would only rename their type to "Object".
      err: (e: Error) => e as unknown as { type: string; message: string; stack: string },
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url?.split('?')[0], ip: req.ip }),
    },
  };
}
