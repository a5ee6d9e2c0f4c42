import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pageQuery, uuid } from '../../platform/http/schemas.js';
import { inTransaction } from '../../platform/db/index.js';
import { enqueueJob } from '../../platform/jobs/index.js';
import { attachFile, contentDisposition, storeFile, receiveUpload, registerFileAccess, MAX_SPREADSHEET_BYTES } from '../../platform/files/index.js';
import { recordAudit } from '../../platform/audit/service.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { scopeCovers } from '../../platform/org/scope.js';
import { COMPARE_JOB, EXPORT_JOB, IMPORT_JOB, importTemplate } from './transfer.js';
import { mayReadIncident } from './incidents.js';
import { COMPARE_RESULTS, comparisonDownload, comparisonRows } from './compare.js';

/** Uploads (imports, comparisons, incident photos), the import template and export requests. */
export async function transferRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const dataDir = () => app.ctx.config.dataDir;
  const tags = ['population'];
  const P = '/api/v1/population';

  registerFileAccess('grid_incident', (database, actor, ownerId) => mayReadIncident(database, actor, ownerId));

  const startJob = async (req: FastifyRequest, kind: typeof IMPORT_JOB | typeof COMPARE_JOB, allowed: 'xlsx') => {
    const { buffer, filename } = await receiveUpload(req);
    return inTransaction(db(), async (tx) => {
      const stored = await storeFile(tx, dataDir(), { buffer, originalName: filename, createdBy: req.actor!.userId, allowed, maxBytes: MAX_SPREADSHEET_BYTES });
      // The job's own audit events carry the address it was asked from (`ip`).
      const jobId = await enqueueJob(tx, { kind, params: { fileId: stored.id, ip: req.ip }, createdBy: req.actor!.userId });
      // The upload is the job's work file: it belongs to the job (read by whoever may read the job)
      // and expires with the job's other files after the pack's files.retentionDays.
      await attachFile(tx, stored.id, 'job', jobId, { createdBy: req.actor!.userId });
      await recordAudit(tx, { actorId: req.actor!.userId, actorName: req.actor!.name, action: `${kind}.start`, entity: 'job', entityId: jobId, ip: req.ip });
      return { jobId };
    });
  };

  r.post(`${P}/imports`, { config: { permission: 'person:import' }, schema: { tags, consumes: ['multipart/form-data'] } },
    async (req, reply) => reply.status(202).send(await startJob(req, IMPORT_JOB, 'xlsx')));

  r.post(`${P}/comparisons`, { config: { permission: 'person:compare' }, schema: { tags, consumes: ['multipart/form-data'] } },
    async (req, reply) => reply.status(202).send(await startJob(req, COMPARE_JOB, 'xlsx')));

  // A finished comparison's rows with the uploader's own numbers (audited per view), and its file.
  r.get(`${P}/comparisons/:id/rows`, {
    config: { permission: 'person:compare' },
    schema: { tags, params: z.strictObject({ id: uuid }), querystring: z.strictObject({ ...pageQuery, result: z.enum(COMPARE_RESULTS).optional() }) },
  }, async (req) => comparisonRows(db(), req.actor!, req.params.id, req.query, req.ip));

  r.get(`${P}/comparisons/:id/result`, { config: { permission: 'person:compare' }, schema: { tags, params: z.strictObject({ id: uuid }) } }, async (req, reply) => {
    const file = await comparisonDownload(db(), req.actor!, req.params.id, req.ip);
    return reply.type(file.mime).header('content-disposition', contentDisposition(file.originalName)).send(file.stream());
  });

  r.get(`${P}/imports/template`, { config: { permission: 'person:import' }, schema: { tags } }, async (req, reply) => {
    const tree = await loadOrgTree(db());
    const grids = [...tree.units.values()].filter((u) => u.kind === 'grid' && u.valid_to === null && scopeCovers(req.actor!.scope, u.id))
      .sort((a, b) => a.code.localeCompare(b.code)).map((u) => u.name);
    const buffer = await importTemplate(grids);
    return reply.header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', `attachment; filename="template.xlsx"; filename*=UTF-8''${encodeURIComponent('流动人口导入模板.xlsx')}`)
      .send(buffer);
  });

  r.post(`${P}/exports`, {
    config: { permission: 'person:export' },
    schema: {
      tags,
      body: z.strictObject({
        filters: z.strictObject({
          status: z.enum(['active', 'left']).optional(), gridId: uuid.optional(), communityId: uuid.optional(),
          reviewStatus: z.enum(['reported', 'passed', 'returned']).optional(), reveal: z.boolean().optional(),
        }).default({}),
      }),
    },
  }, async (req, reply) => {
    const filters = req.body.filters;
    if (filters.reveal && !req.actor!.permissions.has('person:reveal')) {
      return reply.status(403).send({ error: { code: 'FORBIDDEN', message: '您没有导出完整证件号码的权限。', details: [] } });
    }
    const jobId = await inTransaction(db(), async (tx) => {
      const id = await enqueueJob(tx, { kind: EXPORT_JOB, params: { filters, ip: req.ip }, createdBy: req.actor!.userId });
      await recordAudit(tx, { actorId: req.actor!.userId, actorName: req.actor!.name, action: `${EXPORT_JOB}.start`, entity: 'job', entityId: id, ip: req.ip, summary: { reveal: Boolean(filters.reveal) } });
      return id;
    });
    return reply.status(202).send({ jobId });
  });

  r.post(`${P}/incidents/photos`, { config: { permission: 'incident:report' }, schema: { tags, consumes: ['multipart/form-data'] } }, async (req, reply) => {
    const { buffer, filename } = await receiveUpload(req);
    const stored = await inTransaction(db(), async (tx) => {
      const f = await storeFile(tx, dataDir(), { buffer, originalName: filename, createdBy: req.actor!.userId, allowed: 'image_pdf' });
      await recordAudit(tx, { actorId: req.actor!.userId, actorName: req.actor!.name, action: 'file.upload', entity: 'file', entityId: f.id, ip: req.ip });
      return f;
    });
    return reply.status(201).send({ fileId: stored.id, url: `/api/v1/files/${stored.id}` });
  });
}
