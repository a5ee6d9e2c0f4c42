import type { FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../http/errors.js';

export interface Upload { buffer: Buffer; filename: string }

/**
 * The one file of a multipart upload (`@fastify/multipart`, registered in app.ts), read whole.
 * Every way a body can be cut short or malformed — the closing boundary never came, a part ends
 * mid-header, no usable boundary — is the request's fault: 400 VALIDATION_FAILED on `file`, like a
 * malformed JSON body, never a 500. The plugin's own answers (not multipart, too many files, file
 * too large: codes FST_*) are kept for plugins/errors.ts to translate. Routes never call
 * `req.file()` themselves (test/input-hardening.test.ts checks that).
 */
export async function receiveUpload(req: FastifyRequest): Promise<Upload> {
  try {
    const file = await req.file();
    if (!file) throw badRequest('请选择要上传的文件。', [{ path: 'file', code: 'REQUIRED', message: '缺少文件' }]);
    return { buffer: await file.toBuffer(), filename: file.filename };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof AppError || (typeof code === 'string' && code.startsWith('FST_'))) throw e;
    throw badRequest('上传内容不完整或格式不正确，请重新上传。', [{ path: 'file', code: 'MALFORMED_MULTIPART', message: '上传的请求体不完整或格式不正确' }]);
  }
}
