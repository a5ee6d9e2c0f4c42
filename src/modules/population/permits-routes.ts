import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { isoDate, page, pageQuery, text, uuid } from '../../platform/http/schemas.js';
import * as permits from './permits.js';
import * as letters from './letters.js';

/**
 * HTTP routes of residence permits (居住证申领) and responsibility letters (责任书); the rules live
 * in permits.ts and letters.ts.
 */
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const withinDays = z.coerce.number().int().min(0).max(366);
/** Any string: every format problem of a card number is a 422 INVALID_CARD_NUMBER, never a 400. */
const cardNumber = z.string().max(100);

export async function permitRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = () => app.ctx.database.db;
  const tags = ['population'];
  const P = '/api/v1/population';
  const idParams = z.strictObject({ id: uuid });
  const PERMIT_READ = ['permit:read', 'permit:write', 'permit:decide'];
  const LETTER_READ = ['letter:read', 'letter:write'];

  // ------------------------------------------------------------------ residence permits
  r.post(`${P}/persons/:id/permits`, {
    config: { permission: 'permit:write' },
    schema: { tags, params: idParams, body: z.strictObject({ kind: z.enum(permits.PERMIT_KINDS).optional(), appliedOn: isoDate, note: text(500).optional() }) },
  }, async (req, reply) => reply.status(201).send(await permits.applyForPermit(db(), req.actor!, req.params.id, req.body, req.ip)));

  r.get(`${P}/permits`, {
    config: { permission: PERMIT_READ },
    schema: {
      tags,
      querystring: z.strictObject({
        status: z.enum(permits.PERMIT_STATUSES).optional(), kind: z.enum(permits.PERMIT_KINDS).optional(), gridId: uuid.optional(), personId: uuid.optional(),
        expiring: bool.optional(), expiringWithinDays: withinDays.optional(), expired: bool.optional(), ...pageQuery,
      }),
    },
  }, async (req) => {
    const res = await permits.listPermits(db(), req.actor!, req.query);
    return { ...page(res.items, res.total, req.query), renewalNoticeDays: res.renewalNoticeDays, expiringWithinDays: res.expiringWithinDays, policyVersion: res.policyVersion };
  });

  r.get(`${P}/permits/:id`, {
    config: { permission: PERMIT_READ },
    schema: { tags, params: idParams, querystring: z.strictObject({ reveal: bool.optional() }) },
  }, async (req) => permits.getPermit(db(), req.actor!, req.params.id, { reveal: req.query.reveal ?? false }, req.ip));

  r.post(`${P}/permits/:id/accept`, {
    config: { permission: 'permit:decide' },
    schema: { tags, params: idParams, body: z.strictObject({ acceptedOn: isoDate }) },
  }, async (req) => permits.acceptPermit(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/permits/:id/issue`, {
    config: { permission: 'permit:decide' },
    schema: { tags, params: idParams, body: z.strictObject({ issuedOn: isoDate, cardNumber, validUntil: isoDate }) },
  }, async (req) => permits.issuePermit(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/permits/:id/refuse`, {
    config: { permission: 'permit:decide' },
    schema: { tags, params: idParams, body: z.strictObject({ refusedOn: isoDate, reason: text(500) }) },
  }, async (req) => permits.refusePermit(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/permits/:id/renew`, {
    config: { permission: 'permit:write' },
    schema: { tags, params: idParams, body: z.strictObject({ appliedOn: isoDate, note: text(500).optional() }) },
  }, async (req, reply) => reply.status(201).send(await permits.renewPermit(db(), req.actor!, req.params.id, req.body, req.ip)));

  // ------------------------------------------------------------------ responsibility letters
  const term = { partyName: text(100).optional(), signedOn: isoDate, termFrom: isoDate, termTo: isoDate, note: text(500).optional() };
  r.post(`${P}/letters`, {
    config: { permission: 'letter:write' },
    schema: {
      tags,
      body: z.discriminatedUnion('partyKind', [
        z.strictObject({ partyKind: z.literal('landlord'), houseId: uuid, ...term }),
        z.strictObject({ partyKind: z.literal('employer'), employerId: uuid, ...term }),
      ]),
    },
  }, async (req, reply) => reply.status(201).send(await letters.createLetter(db(), req.actor!, req.body, req.ip)));

  r.get(`${P}/letters`, {
    config: { permission: LETTER_READ },
    schema: {
      tags,
      querystring: z.strictObject({
        gridId: uuid.optional(), partyKind: z.enum(letters.PARTY_KINDS).optional(), houseId: uuid.optional(), employerId: uuid.optional(),
        expired: bool.optional(), expiring: bool.optional(), expiringWithinDays: withinDays.optional(), inForce: bool.optional(), ...pageQuery,
      }),
    },
  }, async (req) => {
    const res = await letters.listLetters(db(), req.actor!, req.query);
    return { ...page(res.items, res.total, req.query), renewalNoticeDays: res.renewalNoticeDays, expiringWithinDays: res.expiringWithinDays };
  });

  r.get(`${P}/letters/missing`, {
    config: { permission: LETTER_READ },
    schema: { tags, querystring: z.strictObject({ gridId: uuid.optional(), ...pageQuery }) },
  }, async (req) => {
    const res = await letters.housesMissingLetter(db(), req.actor!, req.query);
    return page(res.items, res.total, req.query);
  });

  r.post(`${P}/letters/:id/end`, {
    config: { permission: 'letter:write' },
    schema: { tags, params: idParams, body: z.strictObject({ endedOn: isoDate, reason: text(500) }) },
  }, async (req) => letters.endLetter(db(), req.actor!, req.params.id, req.body, req.ip));

  r.post(`${P}/letters/:id/renew`, {
    config: { permission: 'letter:write' },
    schema: { tags, params: idParams, body: z.strictObject({ signedOn: isoDate, termFrom: isoDate.optional(), termTo: isoDate, note: text(500).optional() }) },
  }, async (req, reply) => reply.status(201).send(await letters.renewLetter(db(), req.actor!, req.params.id, req.body, req.ip)));

  r.get(`${P}/houses/:id/letters`, { config: { permission: LETTER_READ }, schema: { tags, params: idParams } },
    async (req) => letters.houseLetters(db(), req.actor!, req.params.id));
}
