import { sql } from 'kysely';
import type { Actor } from '../../platform/auth/actor.js';
import { inTransaction, type Db } from '../../platform/db/index.js';
import { recordAudit } from '../../platform/audit/service.js';
import { conflict, unprocessable } from '../../platform/http/errors.js';
import { isUniqueViolation } from '../../platform/db/unique.js';
import { loadOrgTree } from '../../platform/org/tree.js';
import { maskPhone } from '../../platform/crypto/personal.js';
import { ETHNICITIES, EDUCATION } from './dictionaries.js';
import { checkDocument, idIndex, nameInitials, normalizePhone, sealedDocument, sealedPhone, type IdType } from './identity.js';
import { requireInScope, todayOffice, unitName } from './common.js';
import { dictionaryCheck, originCheck, personDto, personEvent, requireEmployer, requireHouseInGrid } from './persons.js';
import { popTx } from './schema.js';

/**
 * Correcting a registered person (更正): fields collected wrongly are fixed in place, with a
 * required reason. The person's history (person_events, kind `corrected`) names the fields changed
 * with before/after values — masked for the ID number and the phone, never in clear — and the
 * audit event names the fields only. A house can be corrected only within the person's grid
 * (moving to another grid is a move); an ID number correction needs `correctionReason`, is
 * re-validated (GB 11643) and must not belong to another person.
 */
export interface CorrectInput {
  reason: string;
  version?: number;
  name?: string;
  phone?: string | null;
  ethnicity?: string | null;
  origin?: string | null;
  education?: string | null;
  occupation?: string | null;
  employerId?: string | null;
  houseId?: string | null;
  arrivalReason?: string | null;
  idNumber?: string;
  correctionReason?: string;
}

type Change = { from: string | null; to: string | null };

export async function correctPerson(db: Db, actor: Actor, personId: string, raw: CorrectInput, ip: string | null) {
  // An emptied dictionary field clears it.
  const blank = (v: string | null | undefined) => (v === '' ? null : v);
  const input = { ...raw, ethnicity: blank(raw.ethnicity), origin: blank(raw.origin), education: blank(raw.education) };
  dictionaryCheck(input.ethnicity, ETHNICITIES, 'ethnicity');
  dictionaryCheck(input.education, EDUCATION, 'education');
  originCheck(input.origin);
  const phone = input.phone ? normalizePhone(input.phone) : input.phone === undefined ? undefined : null;
  const tree = await loadOrgTree(db);
  try {
    return await inTransaction(db, async (t) => {
      const tx = popTx(t);
      const person = requireInScope(actor, await tx.selectFrom('persons').selectAll().where('id', '=', personId).forUpdate().executeTakeFirst());
      if (input.version !== undefined && input.version !== person.version) {
        throw conflict('VERSION_CONFLICT', '此人的登记信息已被他人修改，请刷新后重新更正。');
      }
      const set: Record<string, unknown> = {};
      const changes: Record<string, Change> = {};
      const plain = (field: string, column: keyof typeof person, value: string | null | undefined) => {
        if (value === undefined) return;
        const before = (person[column] as string | null) ?? null;
        const after = value === '' ? null : value;
        if (before === after) return;
        set[column] = after;
        changes[field] = { from: before, to: after };
      };

      if (input.name !== undefined && input.name !== person.name) {
        set.name = input.name;
        set.name_initials = nameInitials(input.name);
        changes.name = { from: person.name, to: input.name };
      }
      plain('ethnicity', 'ethnicity', input.ethnicity);
      plain('origin', 'origin', input.origin);
      plain('education', 'education', input.education);
      plain('occupation', 'occupation', input.occupation);
      plain('arrivalReason', 'arrival_reason', input.arrivalReason);

      if (input.employerId !== undefined && input.employerId !== person.employer_id) {
        await requireEmployer(tx, input.employerId);
        set.employer_id = input.employerId;
        changes.employerId = { from: person.employer_id, to: input.employerId };
      }

      let houseChanged = false;
      if (input.houseId !== undefined && input.houseId !== person.house_id) {
        if (person.status !== 'active') throw conflict('NOT_ACTIVE', '此人当前没有有效的居住登记，不能更正居住房屋。');
        await requireHouseInGrid(tx, actor.scope, input.houseId ?? undefined, person.grid_id);
        set.house_id = input.houseId;
        changes.houseId = { from: person.house_id, to: input.houseId };
        houseChanged = true;
      }

      if (phone !== undefined) {
        const sealed = sealedPhone(phone);
        if (sealed.phone_hmac !== person.phone_hmac) {
          Object.assign(set, sealed);
          changes.phone = { from: person.phone_masked, to: phone ? maskPhone(phone) : null };
        }
      }

      if (input.idNumber !== undefined) {
        const doc = checkDocument(person.id_type as IdType, input.idNumber, todayOffice());
        if (!doc.normalized) {
          throw unprocessable('INVALID_ID_NUMBER', '证件号码无效：该证件类型不登记号码。', [{ path: 'idNumber', code: 'LENGTH', message: '该证件类型不登记号码' }]);
        }
        const hmac = idIndex(doc.normalized);
        if (hmac !== person.id_hmac) {
          if (!input.correctionReason?.trim()) {
            throw unprocessable('CORRECTION_REASON_REQUIRED', '更正证件号码须写明更正原因。', [{ path: 'correctionReason', code: 'CORRECTION_REASON_REQUIRED', message: '请填写证件号码的更正原因' }]);
          }
          const other = await tx.selectFrom('persons').select('id').where('id_hmac', '=', hmac).where('id', '<>', personId).executeTakeFirst();
          if (other) throw idInUse();
          // checkDocument refused a birth date in the future (GB 11643); it may not follow the arrival either.
          if (doc.birthDate) {
            const arrived = person.arrived_on;
            if (arrived && arrived < doc.birthDate) throw unprocessable('ARRIVAL_BEFORE_BIRTH', '来本地日期早于新证件号码中的出生日期。', [{ path: 'idNumber', code: 'ARRIVAL_BEFORE_BIRTH', message: '出生日期晚于来本地日期' }]);
          }
          const sealed = sealedDocument(doc.normalized);
          Object.assign(set, sealed);
          changes.idNumber = { from: person.id_masked, to: sealed.id_masked };
          if (doc.birthDate && doc.birthDate !== person.birth_date) {
            set.birth_date = doc.birthDate;
            changes.birthDate = { from: person.birth_date, to: doc.birthDate };
          }
          if (doc.gender && doc.gender !== person.gender) {
            set.gender = doc.gender;
            changes.gender = { from: person.gender, to: doc.gender };
          }
        }
      }

      const fields = Object.keys(changes);
      if (fields.length === 0) {
        throw unprocessable('NO_CHANGES', '没有需要更正的内容：所填信息与登记一致。', [{ path: 'reason', code: 'NO_CHANGES', message: '没有更改任何字段' }]);
      }
      await tx.updateTable('persons').set({ ...set, updated_at: new Date(), version: sql`version + 1` }).where('id', '=', personId).execute();
      if (houseChanged) {
        // A correction of where the person lives in the same grid, not a move: the open residence follows.
        await tx.updateTable('residences').set({ house_id: input.houseId ?? null }).where('person_id', '=', personId).where('to_date', 'is', null).execute();
      }
      await personEvent(tx, personId, 'corrected', actor.userId, {
        fields, changes, reason: input.reason, ...(changes.idNumber ? { correctionReason: input.correctionReason } : {}),
      });
      await recordAudit(t, {
        actorId: actor.userId, actorName: actor.name, action: 'person.correct', entity: 'person', entityId: personId, ip,
        summary: { fields, gridId: person.grid_id },
      });
      const row = await tx.selectFrom('persons').selectAll().where('id', '=', personId).executeTakeFirstOrThrow();
      return { ...personDto(row, { gridName: unitName(tree, row.grid_id) }), correctedFields: fields };
    });
  } catch (e) {
    // Another registration took the number between the check and the update.
    if (isUniqueViolation(e)) throw idInUse();
    throw e;
  }
}

const idInUse = () => conflict('ID_NUMBER_IN_USE', '该证件号码已属于另一条人员记录，不能更正为此号码；如为同一人，请联系流管站核实。', [{ path: 'idNumber', code: 'ID_NUMBER_IN_USE', message: '证件号码已被其他人员使用' }]);
