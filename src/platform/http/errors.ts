/** One error shape for every failure (API.md "Errors"). Messages are Chinese for the user. */
export interface ErrorDetail { path: string; code: string; message: string }

export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []) =>
  new AppError(400, 'VALIDATION_FAILED', message, details);
export const unauthenticated = () => new AppError(401, 'UNAUTHENTICATED', '请先登录。');
export const forbidden = (message = '没有权限执行此操作。') => new AppError(403, 'FORBIDDEN', message);
export const notFound = (message = '未找到该记录。') => new AppError(404, 'NOT_FOUND', message);
export const conflict = (code: string, message: string, details: ErrorDetail[] = []) =>
  new AppError(409, code, message, details);
export const unprocessable = (code: string, message: string, details: ErrorDetail[] = []) =>
  new AppError(422, code, message, details);
