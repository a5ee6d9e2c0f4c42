/**
 * A unique-index violation (SQLSTATE 23505), as both engines report it. Check-then-insert is not
 * enough under concurrency: two requests may both pass the check, and the second insert then
 * fails here — it must answer the same 409 as the check, never a 500.
 */
export const isUniqueViolation = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
