import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import ExcelJS from '../excel/exceljs.js';
import { errorOf, testApp, type TestApp } from '../../../test/helpers/app.js';
import { uuidv7 } from '../db/ids.js';
import { runPendingJobs } from '../jobs/service.js';
import { latestSlot, registeredSchedules, runDueSchedules, scheduleRuns } from '../jobs/scheduler.js';
import { invalidatePolicyCache, validatePack } from '../policy/service.js';
import { defaultPacks } from '../policy/packs.js';
import * as jobUploadsMigration from '../../modules/population/migration-job-uploads.js';
import {
  attachFile, expireTransientFiles, fileRetentionSchedule, FILE_RETENTION_SCHEDULE, legacyFilePath, openFile, storedFilePath, storeFile,
} from './index.js';

/**
 * Retention of transient work files (retention.ts): job-owned files (uploads, exports, results,
 * error lists) expire `files.retentionDays` after their job finished; photos and scans never. The
 * content goes, the row stays (expired), a download is 410 FILE_EXPIRED, each run is audited once.
 */
const DAY = 86_400_000;
const ID_NUMBER = '110101199003078515';
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('retention-photo')]);

let t: TestApp;
let dir: string;
let liuguan: string;
beforeAll(async () => {
  t = await testApp();
  dir = t.config.dataDir;
  liuguan = (await t.db.selectFrom('users').select('id').where('username', '=', 'liuguan').executeTakeFirstOrThrow()).id;
});
afterAll(async () => { await t.close(); });

async function setRetentionDays(days: number): Promise<void> {
  await t.db.updateTable('policy_versions').set({ document: sql`jsonb_set(document, '{files,retentionDays}', ${JSON.stringify(days)}::jsonb)` }).execute();
  invalidatePolicyCache();
}
const JOB_COUNTS = { attempts: 1, processed: 0, succeeded: 0, failed: 0 };
/** A background job's row as the runner leaves it (`finishedAt` null: still queued or running). */
async function job(finishedAt: Date | null): Promise<string> {
  const id = uuidv7();
  await t.db.insertInto('jobs').values({ ...JOB_COUNTS, id, kind: 'test.work', status: finishedAt ? 'done' : 'running', created_by: liuguan, finished_at: finishedAt, params: '{}' }).execute();
  return id;
}
async function fileOf(ownerKind: string | null, ownerId: string | null, content: Buffer = Buffer.from(`work ${ID_NUMBER} ${uuidv7()}`)): Promise<string> {
  const f = await storeFile(t.db, dir, { buffer: content, originalName: 'f.bin', createdBy: liuguan, allowed: 'any' });
  if (ownerKind) await attachFile(t.db, f.id, ownerKind, ownerId!);
  return f.id;
}
const stateOf = async (id: string) => {
  const row = await t.db.selectFrom('files').select(['expired_at']).where('id', '=', id).executeTakeFirst();
  return { row: Boolean(row), expired: Boolean(row?.expired_at), onDisk: fs.existsSync(storedFilePath(dir, id)) };
};
const live = { row: true, expired: false, onDisk: true };
const gone = { row: true, expired: true, onDisk: false };
const expiryEvents = async () => (await t.db.selectFrom('audit_events').select(['actor_id', 'entity', 'summary']).where('action', '=', 'file.expire').orderBy('seq').execute())
  .map((e) => ({ ...e, summary: (typeof e.summary === 'string' ? JSON.parse(e.summary) : e.summary) as { count: number; retentionDays: number } }));

function multipart(buffer: Buffer, filename: string) {
  const boundary = '----jiedao-retention-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  return { payload: Buffer.concat([head, buffer, Buffer.from(`\r\n--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('the policy pack', () => {
  it('files.retentionDays is in both shipped packs (7 days) and a pack with less than 1 day is refused', () => {
    for (const code of ['street', 'bureau']) expect((defaultPacks()[code]!.files as { retentionDays: number }).retentionDays).toBe(7);
    const doc = defaultPacks().street as Record<string, unknown> & { files: { retentionDays: number } };
    doc.files.retentionDays = 0;
    const r = validatePack(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.details.map((d) => d.path)).toEqual(['files.retentionDays']);
  });
});

describe('retention', () => {
  it('transient work files expire after the pack\'s files.retentionDays from their job\'s end; photos, scans and unattached uploads never', async () => {
    const now = Date.now();
    // A comparison as the police liaison runs it: the uploaded list and the result belong to the job.
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Sheet1').addRows([['证件号码'], [ID_NUMBER]]);
    const { payload, headers } = multipart(Buffer.from(await wb.xlsx.writeBuffer()), '比对名单.xlsx');
    const token = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'paichusuo', password: 'Jiedao@2026' } })).json().token;
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/population/comparisons', payload, headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(started.statusCode).toBe(202);
    await runPendingJobs(t.db, { dataDir: dir });
    const compare = await t.db.selectFrom('jobs').select(['status', 'params', 'result_file_id']).where('id', '=', started.json().jobId).executeTakeFirstOrThrow();
    expect(compare.status).toBe('done');
    const upload = (compare.params as { fileId: string }).fileId;
    // The result (with the uploaded numbers) is no generic download link: it is the job's other file.
    const owned = await t.db.selectFrom('files').select('id').where('owner_kind', '=', 'job').where('owner_id', '=', started.json().jobId).execute();
    expect(owned.map((f) => f.id)).toContain(upload);
    expect(owned).toHaveLength(2);
    const result = owned.find((f) => f.id !== upload)!.id;

    await setRetentionDays(3);
    const done = await job(new Date(now));
    const errorList = await fileOf('job', done);
    const export_ = await fileOf('job', done);
    const running = await fileOf('job', await job(null)); // an import still in progress keeps its upload
    const photo = await fileOf('grid_incident', uuidv7(), PNG);
    const scan = await fileOf('residence_permit', uuidv7(), PNG);
    const unattached = await fileOf(null, null, PNG); // a photo taken, its incident not yet saved
    const transient = [upload, result, errorList, export_];
    const kept = [running, photo, scan, unattached];
    const rowsBefore = Number((await t.db.selectFrom('files').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

    expect((await expireTransientFiles(t.db, { now: new Date(now + 2 * DAY) })).expired).toBe(0);
    for (const id of [...transient, ...kept]) expect(await stateOf(id)).toEqual(live);

    const r = await expireTransientFiles(t.db, { now: new Date(now + 3 * DAY + 60_000) });
    expect(r).toMatchObject({ expired: transient.length, retentionDays: 3 });
    for (const id of transient) expect(await stateOf(id), id).toEqual(gone);
    for (const id of kept) expect(await stateOf(id), id).toEqual(live);
    // Rows are histories: none deleted.
    expect(Number((await t.db.selectFrom('files').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(rowsBefore);
    const events = await expiryEvents();
    expect(events.at(-1)).toMatchObject({ actor_id: null, entity: 'file', summary: { count: transient.length, retentionDays: 3 } });

    // The pack decides, not the code: at 10 days nothing goes at day 5, and everything due at day 11.
    await setRetentionDays(10);
    const later = await job(new Date(now));
    const files10 = [await fileOf('job', later), await fileOf('job', later)];
    expect((await expireTransientFiles(t.db, { now: new Date(now + 5 * DAY) })).expired).toBe(0);
    for (const id of files10) expect(await stateOf(id)).toEqual(live);
    expect((await expireTransientFiles(t.db, { now: new Date(now + 11 * DAY) })).expired).toBe(files10.length);
    for (const id of files10) expect(await stateOf(id)).toEqual(gone);
    // Years later, photos and scans are still there.
    await expireTransientFiles(t.db, { now: new Date(now + 5000 * DAY) });
    for (const id of [photo, scan, unattached]) expect(await stateOf(id)).toEqual(live);
    await setRetentionDays(7);
  });

  it('the daily schedule is registered and, run twice for one slot, expires once and is audited once', async () => {
    expect(registeredSchedules().map((s) => s.name)).toContain(FILE_RETENTION_SCHEDULE);
    expect(fileRetentionSchedule.spec).toEqual({ dailyAt: '03:30' });
    const done = await job(new Date());
    const ids = [await fileOf('job', done), await fileOf('job', done)];
    const eventsBefore = (await expiryEvents()).length;
    const slot = latestSlot(fileRetentionSchedule.spec, new Date(Date.now() + 30 * DAY));
    const at = new Date(slot.getTime() + 60_000);
    const run = (now: Date) => runDueSchedules(t.db, { only: [fileRetentionSchedule], now: () => now });
    expect(await run(at)).toEqual([FILE_RETENTION_SCHEDULE]);
    expect(await run(at)).toEqual([]);
    expect(await run(new Date(slot.getTime() + 5 * 3_600_000))).toEqual([]); // later the same office day: same slot
    for (const id of ids) expect(await stateOf(id)).toEqual(gone);
    const events = await expiryEvents();
    expect(events.length).toBe(eventsBefore + 1);
    expect(events.at(-1)!.summary.count).toBeGreaterThanOrEqual(ids.length);
    expect((await scheduleRuns(t.db, FILE_RETENTION_SCHEDULE)).filter((r) => r.error === null && r.finished_at !== null)).toHaveLength(1);
  });

  it('an expired file downloads as 410 FILE_EXPIRED in the standard error shape; to anyone else it stays 404', async () => {
    const done = await job(new Date());
    const id = await fileOf('job', done);
    await expireTransientFiles(t.db, { now: new Date(Date.now() + 60 * DAY) });
    const res = await (await t.login('liuguan')).get(`/api/v1/files/${id}`);
    expect(res.statusCode).toBe(410);
    const err = errorOf(res);
    expect(err.code).toBe('FILE_EXPIRED');
    expect(err.message).toMatch(/已超过保存期限/);
    await expect(openFile(t.db, id)).rejects.toMatchObject({ status: 410, code: 'FILE_EXPIRED' });
    // Whoever could not read it before still learns nothing of it.
    const other = await (await t.login('wangge-sh-2')).get(`/api/v1/files/${id}`);
    expect([other.statusCode, errorOf(other).code]).toEqual([404, 'NOT_FOUND']);
  });

  it('a plaintext blob from before, shared by an expired work file and a photo, stays until no live row needs it', async () => {
    const content = Buffer.from(`%PDF-1.4 shared ${ID_NUMBER}`);
    const sha = createHash('sha256').update(content).digest('hex');
    fs.mkdirSync(path.dirname(legacyFilePath(dir, sha)), { recursive: true });
    fs.writeFileSync(legacyFilePath(dir, sha), content);
    const done = await job(new Date());
    const [work, photo] = [uuidv7(), uuidv7()];
    await t.db.insertInto('files').values([
      { id: work, sha256: sha, size: content.length, mime: 'application/pdf', original_name: 'a.pdf', created_by: liuguan, owner_kind: 'job', owner_id: done },
      { id: photo, sha256: sha, size: content.length, mime: 'application/pdf', original_name: 'b.pdf', created_by: liuguan, owner_kind: 'grid_incident', owner_id: uuidv7() },
    ]).execute();
    await expireTransientFiles(t.db, { now: new Date(Date.now() + 60 * DAY) });
    expect((await t.db.selectFrom('files').select('expired_at').where('id', '=', work).executeTakeFirstOrThrow()).expired_at).not.toBeNull();
    expect(fs.existsSync(legacyFilePath(dir, sha))).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of (await openFile(t.db, photo)).stream()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    // Once the photo's row no longer needs it (here: expired by hand), the next expiry of a sharer removes it.
    await t.db.updateTable('files').set({ expired_at: new Date() }).where('id', '=', photo).execute();
    const third = uuidv7();
    await t.db.insertInto('files').values({ id: third, sha256: sha, size: content.length, mime: 'application/pdf', original_name: 'c.pdf', created_by: liuguan, owner_kind: 'job', owner_id: done }).execute();
    await expireTransientFiles(t.db, { now: new Date(Date.now() + 60 * DAY) });
    expect(fs.existsSync(legacyFilePath(dir, sha))).toBe(false);
  });

  it('uploads from before this change are attached to the import or comparison job naming them (population migration)', async () => {
    const f = await fileOf(null, null);
    const jobId = uuidv7();
    await t.db.insertInto('jobs').values({ ...JOB_COUNTS, id: jobId, kind: 'population.import', status: 'done', created_by: liuguan, finished_at: new Date(), params: JSON.stringify({ fileId: f }) }).execute();
    const other = await fileOf(null, null); // named by no job: left alone
    await jobUploadsMigration.up(t.db);
    expect(await t.db.selectFrom('files').select(['owner_kind', 'owner_id']).where('id', '=', f).executeTakeFirstOrThrow()).toEqual({ owner_kind: 'job', owner_id: jobId });
    expect(await t.db.selectFrom('files').select(['owner_kind']).where('id', '=', other).executeTakeFirstOrThrow()).toEqual({ owner_kind: null });
  });
});
