/** Escapes `\`, `%` and `_` so user text matches itself in a LIKE pattern (PostgreSQL's default escape `\`). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
