/**
 * The one HTTP client of the web app.
 *
 * - JSON in, JSON out, cookies same-origin.
 * - Sends the CSRF token on every non-GET/HEAD request (token from login or GET /auth/me).
 * - Every POST (except auth) carries an Idempotency-Key, reused when the request is retried,
 *   so a retry after a re-login never acts twice.
 * - A 401 UNAUTHENTICATED while the user is inside the app does not navigate anywhere: the
 *   registered re-login handler opens a modal over the current page; once the user has logged in
 *   again the failed request is sent again and the caller never notices (the form survives).
 */

export interface ApiErrorDetail {
  path: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];

  constructor(status: number, code: string, message: string, details: ApiErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const API_BASE = '/api/v1';

type ReloginHandler = () => Promise<void>;

let csrfToken: string | null = null;
let inApp = false;
let reloginHandler: ReloginHandler | null = null;
let pendingRelogin: Promise<void> | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/** True while a user is logged in and working inside the app (enables the re-login modal). */
export function setInApp(value: boolean): void {
  inApp = value;
}

/** The auth layer registers the function that opens the re-login modal and resolves on success. */
export function setReloginHandler(handler: ReloginHandler | null): void {
  reloginHandler = handler;
}

function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export type QueryValue = string | number | boolean | null | undefined;

export function buildQuery(params?: Record<string, QueryValue>): string {
  if (!params) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Do not open the re-login modal on 401 (login, me, logout). */
  noRelogin?: boolean;
  signal?: AbortSignal;
}

const AUTH_PATHS = ['/auth/login', '/auth/token', '/auth/me', '/auth/logout'];

async function parseError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: ApiErrorDetail[] = [];
  try {
    const text = await res.text();
    if (text) {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: ApiErrorDetail[] } };
      if (body && body.error) {
        code = body.error.code ?? code;
        message = body.error.message ?? message;
        details = Array.isArray(body.error.details) ? body.error.details : [];
      }
    }
  } catch {
    /* not JSON: keep the status text */
  }
  return new ApiError(res.status, code, message, details);
}

async function send(path: string, opts: RequestOptions, idemKey: string | undefined): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  const multipart = typeof FormData !== 'undefined' && opts.body instanceof FormData;
  if (opts.body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (idemKey) headers['Idempotency-Key'] = idemKey;
  try {
    return await fetch(API_BASE + path + buildQuery(opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : multipart ? (opts.body as FormData) : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK_ERROR', '');
  }
}

function waitForRelogin(): Promise<void> {
  if (!reloginHandler) return Promise.reject(new Error('no relogin handler'));
  if (!pendingRelogin) {
    pendingRelogin = reloginHandler().finally(() => {
      pendingRelogin = null;
    });
  }
  return pendingRelogin;
}

async function refreshCsrf(): Promise<boolean> {
  const res = await send('/auth/me', { noRelogin: true }, undefined);
  if (!res.ok) return false;
  const body = (await res.json()) as { csrfToken?: string };
  if (body.csrfToken) {
    csrfToken = body.csrfToken;
    return true;
  }
  return false;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const isAuth = AUTH_PATHS.some((p) => path.startsWith(p));
  const idemKey = method === 'POST' && !isAuth && !path.startsWith('/auth/') ? newIdempotencyKey() : undefined;
  let csrfRetried = false;

  for (;;) {
    const res = await send(path, opts, idemKey);
    if (res.ok) {
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    }
    const err = await parseError(res);

    // Session expired while working: keep the page, log in again in a modal, then retry.
    if (res.status === 401 && err.code === 'UNAUTHENTICATED' && inApp && !opts.noRelogin && !isAuth && reloginHandler) {
      await waitForRelogin(); // rejects if the user gives up (logs out)
      continue;
    }
    // A stale CSRF token (e.g. the session was renewed in another tab): fetch a fresh one once.
    if (res.status === 403 && err.code === 'CSRF_TOKEN_INVALID' && !csrfRetried && !isAuth) {
      csrfRetried = true;
      if (await refreshCsrf()) continue;
    }
    throw err;
  }
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal) =>
    request<T>(path, { method: 'GET', query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body: body ?? {} }),
  /** multipart/form-data upload of one file (field `file` unless named); CSRF, idempotency and re-login as for any POST. */
  upload: <T>(path: string, file: Blob, opts: { field?: string; filename?: string; extra?: Record<string, string> } = {}) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(opts.extra ?? {})) fd.append(k, v);
    fd.append(opts.field ?? 'file', file, opts.filename ?? (file instanceof File ? file.name : 'upload'));
    return request<T>(path, { method: 'POST', body: fd });
  },
};

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
