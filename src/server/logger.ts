import type { FastifyServerOptions } from 'fastify';

/**
 * Logs never carry personal data: request URLs lose their query strings, bodies are not logged,
 * secrets in headers are removed, and any field named like an identifier is redacted at any
 * depth (objects and arrays) before the line is written.
 */
export const REDACTED_FIELDS = ['idNumber', 'id_number', 'phone', 'contactPhone', 'password', 'currentPassword', 'newPassword', 'name', 'token', 'csrfToken', 'cookie', 'authorization', 'x-csrf-token'];
const redacted = new Set(REDACTED_FIELDS.map((f) => f.toLowerCase()));
const CENSOR = '[已脱敏]';

export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return redactDeep({ type: value.name, message: value.message, stack: value.stack, ...(value as unknown as Record<string, unknown>) }, depth + 1);
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
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: req.url?.split('?')[0], ip: req.ip }),
    },
  };
}
