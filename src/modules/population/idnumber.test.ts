import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkIdNumberFor, maskIdNumber, parseIdNumber, usccCheckChar, validUscc, type IdNumberProblem } from './idnumber.js';
import {
  EDUCATION, ETHNICITIES, ETHNICITY_BY_CODE, ID_TYPES, ORIGINS, isKnown, originName,
} from './dictionaries.js';

const TODAY = '2025-06-15';
const resident = (raw: string, today = TODAY) => parseIdNumber(raw, { today, kind: 'resident_id' });
const foreign = (raw: string, today = TODAY) => parseIdNumber(raw, { today, kind: 'foreign_permanent_id' });

/**
 * Independent check character: ISO 7064 MOD 11-2 in its recursive form (no weight table),
 * so the tests do not just repeat the implementation.
 */
function mod112(digits17: string): string {
  let p = 0;
  for (const ch of digits17) p = ((p + Number(ch)) * 2) % 11;
  const c = (12 - p) % 11;
  return c === 10 ? 'X' : String(c);
}
const withCheck = (digits17: string) => digits17 + mod112(digits17);

/** Independent GB 32100 check character: weights computed as 3^i mod 31. */
const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
function usccCheck(first17: string): string {
  let sum = 0;
  let w = 1;
  for (const ch of first17) {
    sum += USCC_CHARSET.indexOf(ch) * w;
    w = (w * 3) % 31;
  }
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

function expectProblem(r: ReturnType<typeof parseIdNumber>, problem: IdNumberProblem, raw: string) {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.problem).toBe(problem);
  expect(r.message).toMatch(/[\u4e00-\u9fff]/);
  // The message never echoes the number, nor a telling part of it.
  const core = raw.trim();
  if (core) expect(r.message).not.toContain(core);
  if (core.length >= 8) expect(r.message).not.toContain(core.slice(6, 14));
}

describe('parseIdNumber (GB 11643)', () => {
  it('accepts the public example 11010519491231002X', () => {
    const r = resident('11010519491231002X');
    expect(r).toEqual({
      ok: true,
      value: {
        normalized: '11010519491231002X', birthDate: '1949-12-31', gender: 'female',
        addressCode: '110105', upgradedFrom15: false, foreignPermanent: false,
      },
    });
  });

  it('accepts numbers whose check char is computed independently', () => {
    for (const first17 of ['51010719850615123', '44030420001231001', '65010220200229456', '82000019000101000']) {
      const n = withCheck(first17);
      const r = resident(n);
      expect(r.ok, n).toBe(true);
      if (r.ok) expect(r.value.normalized).toBe(n);
    }
  });

  it('trims surrounding spaces', () => {
    const r = resident('  11010519491231002X \t');
    expect(r.ok && r.value.normalized).toBe('11010519491231002X');
  });

  it('accepts a lower-case x and stores it upper-case', () => {
    const r = resident('11010519491231002x');
    expect(r.ok && r.value.normalized).toBe('11010519491231002X');
  });

  it('LENGTH: rejects lengths other than 15 and 18', () => {
    for (const raw of ['', '1101051949123100', '11010519491231002', '11010519491231002X1', '12345']) {
      expectProblem(resident(raw), 'LENGTH', raw);
    }
  });

  it('CHARSET: rejects a non-digit in the first 17 characters or a bad last character', () => {
    for (const raw of ['1101051949123100AX', '11010519491231002Y', '11010519491231002-', '110105194912310O2X', '51010785061512A']) {
      expectProblem(resident(raw), 'CHARSET', raw);
    }
  });

  it('ADDRESS_CODE: rejects an address code with an invalid province prefix (00xxxx)', () => {
    const raw = withCheck('00010519491231002');
    expectProblem(resident(raw), 'ADDRESS_CODE', raw);
    for (const prefix of ['10', '16', '24', '38', '47', '55', '60', '66', '72', '80', '83', '20']) {
      const n = withCheck(`${prefix}010519491231002`);
      expectProblem(resident(n), 'ADDRESS_CODE', n);
    }
  });

  it('ADDRESS_CODE is checked before BIRTH_DATE and CHECKSUM', () => {
    expectProblem(resident('00010519990230002X'), 'ADDRESS_CODE', '00010519990230002X');
  });

  it('accepts a historical (abolished) county code with a valid date and checksum', () => {
    for (const first17 of ['51250119700101123', '51010219650310456']) {
      const r = resident(withCheck(first17));
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.value.addressCode).toBe(first17.slice(0, 6));
    }
  });

  it('BIRTH_DATE: rejects a date that does not exist (1999-02-30)', () => {
    const raw = withCheck('51010719990230123');
    expectProblem(resident(raw), 'BIRTH_DATE', raw);
    for (const date of ['19990229', '20000000', '20001301', '19800431', '19800132']) {
      const n = withCheck(`510107${date}123`);
      expectProblem(resident(n), 'BIRTH_DATE', n);
    }
    // 2000 is a leap year, 1900 is not.
    expect(resident(withCheck('51010720000229123')).ok).toBe(true);
    expectProblem(resident(withCheck('51010719000229123')), 'BIRTH_DATE', withCheck('51010719000229123'));
  });

  it('BIRTH_DATE: rejects a birth date after today, accepts today itself', () => {
    const tomorrow = withCheck('51010720250616123');
    expectProblem(resident(tomorrow), 'BIRTH_DATE', tomorrow);
    expect(resident(withCheck('51010720250615123')).ok).toBe(true);
    // Relative to the office date passed in, not the machine clock.
    expect(resident(tomorrow, '2025-06-16').ok).toBe(true);
  });

  it('BIRTH_DATE: rejects a birth date before 1900-01-01', () => {
    const raw = withCheck('51010718991231123');
    expectProblem(resident(raw), 'BIRTH_DATE', raw);
    expect(resident(withCheck('51010719000101123')).ok).toBe(true);
  });

  it('BIRTH_DATE is checked before CHECKSUM', () => {
    expectProblem(resident('510107199902301230'), 'BIRTH_DATE', '510107199902301230');
  });

  it('CHECKSUM: rejects a wrong check character', () => {
    for (const raw of ['110105194912310021', '110105194912310020', '11010519491231003X']) {
      expectProblem(resident(raw), 'CHECKSUM', raw);
    }
  });

  it('upgrades a 15-digit legacy number to 18 digits', () => {
    const r = resident('510107850615123');
    const expected = withCheck('51010719850615123');
    expect(r).toEqual({
      ok: true,
      value: {
        normalized: expected, birthDate: '1985-06-15', gender: 'male',
        addressCode: '510107', upgradedFrom15: true, foreignPermanent: false,
      },
    });
    // The upgraded number is itself a valid 18-digit number.
    expect(resident(expected).ok).toBe(true);
  });

  it('15-digit legacy numbers are checked for province and birth date', () => {
    expectProblem(resident('000107850615123'), 'ADDRESS_CODE', '000107850615123');
    expectProblem(resident('510107850230123'), 'BIRTH_DATE', '510107850230123');
  });

  it('accepts a foreigners\u2019 permanent-residence ID starting with 9', () => {
    const n = withCheck('93115619900101003');
    for (const r of [foreign(n), resident(n)]) {
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.value.foreignPermanent).toBe(true);
        expect(r.value.birthDate).toBe('1990-01-01');
        expect(r.value.gender).toBe('male');
      }
    }
    const bad = n.slice(0, 17) + (n[17] === '0' ? '1' : '0');
    expectProblem(foreign(bad), 'CHECKSUM', bad);
  });

  it('foreign_permanent_id: rejects numbers not starting with 9 and 15-digit numbers', () => {
    expectProblem(foreign('11010519491231002X'), 'ADDRESS_CODE', '11010519491231002X');
    expectProblem(foreign('510107850615123'), 'LENGTH', '510107850615123');
  });

  it('derives gender from the 17th digit (odd male, even female) and the birth date', () => {
    const male = resident(withCheck('32010219771108151'));
    const female = resident(withCheck('32010219771108158'));
    expect(male.ok && [male.value.gender, male.value.birthDate]).toEqual(['male', '1977-11-08']);
    expect(female.ok && [female.value.gender, female.value.birthDate]).toEqual(['female', '1977-11-08']);
  });

  it('property: 17 digits with a valid province, a real past birth date and the computed check char parse ok', () => {
    const provinces = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
      '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82'];
    const dayMs = 86_400_000;
    const minDay = Date.UTC(1900, 0, 1) / dayMs;
    const maxDay = Date.parse(`${TODAY}T00:00:00Z`) / dayMs;
    const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
    fc.assert(fc.property(
      fc.constantFrom(...provinces), digits(4), fc.integer({ min: minDay, max: maxDay }), digits(3),
      (province, county, day, seq) => {
        const birth = new Date(day * dayMs).toISOString().slice(0, 10);
        const first17 = `${province}${county}${birth.replace(/-/g, '')}${seq}`;
        const r = resident(withCheck(first17));
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.normalized).toBe(withCheck(first17));
        expect(r.value.birthDate).toBe(birth);
        expect(r.value.gender).toBe(Number(seq[2]) % 2 === 1 ? 'male' : 'female');
      },
    ), { numRuns: 500 });
  });

  it('property: changing any single character of a valid number is rejected', () => {
    const valid = ['11010519491231002X', withCheck('51010719850615123'), withCheck('93115619900101003'), withCheck('82000020250615000')];
    const alphabet = [...'0123456789XAZ -'];
    fc.assert(fc.property(
      fc.constantFrom(...valid), fc.integer({ min: 0, max: 17 }), fc.constantFrom(...alphabet),
      (n, pos, ch) => {
        fc.pre(ch !== n[pos]);
        const mutated = n.slice(0, pos) + ch + n.slice(pos + 1);
        expect(resident(mutated).ok).toBe(false);
        expect(foreign(mutated).ok).toBe(false);
      },
    ), { numRuns: 1000 });
    // Exhaustively for the public example, digits and X at every position.
    const base = '11010519491231002X';
    for (let pos = 0; pos < 18; pos++) {
      for (const ch of '0123456789X') {
        if (ch === base[pos]) continue;
        expect(resident(base.slice(0, pos) + ch + base.slice(pos + 1)).ok).toBe(false);
      }
    }
  });
});

describe('maskIdNumber', () => {
  it('masking an 18-character number shows first 6 and last 4, never the middle', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskIdNumber('11010519491231002X')).not.toContain('19491231');
  });

  it('masking another document number keeps first 2 and last 2 with at least 4 stars', () => {
    expect(maskIdNumber('E12345678')).toBe('E1*****78');
    expect(maskIdNumber('H123456')).toBe('H1****56');
    expect(maskIdNumber('ABCDE')).toBe('AB****DE');
    expect(maskIdNumber('AB1')).toBe('****');
  });
});

describe('checkIdNumberFor', () => {
  it('resident_id and foreign_permanent_id run the GB 11643 check', () => {
    expect(checkIdNumberFor('resident_id', '11010519491231002x', TODAY)).toEqual({
      ok: true, value: { normalized: '11010519491231002X', birthDate: '1949-12-31', gender: 'female' },
    });
    expect(checkIdNumberFor('resident_id', '110105194912310021', TODAY)).toMatchObject({ ok: false, problem: 'CHECKSUM' });
    expect(checkIdNumberFor('foreign_permanent_id', '11010519491231002X', TODAY)).toMatchObject({ ok: false, problem: 'ADDRESS_CODE' });
  });

  it('other document types are only normalized (trim, upper-case, 1-32 of [A-Z0-9-])', () => {
    expect(checkIdNumberFor('passport', ' e12345678 ', TODAY)).toEqual({
      ok: true, value: { normalized: 'E12345678', birthDate: null, gender: null },
    });
    expect(checkIdNumberFor('hk_mo_permit', 'H1234-5678', TODAY)).toMatchObject({ ok: true });
    expect(checkIdNumberFor('tw_permit', '', TODAY)).toMatchObject({ ok: false, problem: 'LENGTH' });
    expect(checkIdNumberFor('passport', 'A'.repeat(33), TODAY)).toMatchObject({ ok: false, problem: 'LENGTH' });
    expect(checkIdNumberFor('passport', 'E1234 5678', TODAY)).toMatchObject({ ok: false, problem: 'CHARSET' });
    expect(checkIdNumberFor('none', '护照123', TODAY)).toMatchObject({ ok: false, problem: 'CHARSET' });
  });
});

describe('validUscc (GB 32100)', () => {
  it('accepts a code constructed with the algorithm and a public example', () => {
    const first17 = '91510107MA6CXY312';
    expect(validUscc(first17 + usccCheck(first17))).toBe(true);
    expect(validUscc('91350100M000100Y43')).toBe(true);
  });

  it('rejects a wrong check character, a wrong length and characters outside the charset', () => {
    const first17 = '91510107MA6CXY312';
    const good = usccCheck(first17);
    const wrong = USCC_CHARSET[(USCC_CHARSET.indexOf(good) + 1) % 31]!;
    expect(validUscc(first17 + wrong)).toBe(false);
    expect(validUscc(first17)).toBe(false);
    expect(validUscc('91510107MA6CXYO310')).toBe(false); // O is not in the charset
    expect(validUscc('91350100m000100y43')).toBe(false);
  });
});

describe('dictionaries', () => {
  it('ethnicities: the 56 groups 01-56 plus 97 and 98, with unique codes', () => {
    const codes = ETHNICITIES.map((d) => d.code);
    expect(codes.filter((c) => Number(c) >= 1 && Number(c) <= 56)).toHaveLength(56);
    expect(codes).toEqual([...Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')), '97', '98']);
    expect(new Set(ETHNICITIES.map((d) => d.name)).size).toBe(58);
    expect(ETHNICITY_BY_CODE.get('01')).toBe('汉族');
    expect(ETHNICITY_BY_CODE.get('56')).toBe('基诺族');
    expect(ETHNICITY_BY_CODE.get('98')).toBe('外国血统中国籍人士');
  });

  it('every dictionary has unique codes', () => {
    for (const dict of [ETHNICITIES, EDUCATION, ORIGINS, ID_TYPES]) {
      expect(new Set(dict.map((d) => d.code)).size).toBe(dict.length);
    }
  });

  it('origins: 34 province-level units and the prefectures of Sichuan', () => {
    const provinces = ORIGINS.filter((d) => d.code.endsWith('0000'));
    expect(provinces).toHaveLength(34);
    expect(ORIGINS.every((d) => /^\d{6}$/.test(d.code))).toBe(true);
    expect(ORIGINS.filter((d) => d.code.startsWith('51') && d.code !== '510000')).toHaveLength(21);
    // Every prefecture's province is in the dictionary.
    expect(ORIGINS.every((d) => isKnown(ORIGINS, `${d.code.slice(0, 2)}0000`))).toBe(true);
  });

  it('isKnown and originName fall back from county to prefecture to province', () => {
    expect(isKnown(EDUCATION, '21')).toBe(true);
    expect(isKnown(EDUCATION, '99')).toBe(false);
    expect(isKnown(ID_TYPES, 'passport')).toBe(true);
    expect(isKnown(ETHNICITIES, undefined)).toBe(false);
    expect(originName('510100')).toBe('成都市');
    expect(originName('510107')).toBe('成都市');
    expect(originName('513401')).toBe('凉山彝族自治州');
    expect(originName('440304')).toBe('广东省');
    expect(originName('000000')).toBeNull();
    expect(originName('5101')).toBeNull();
  });
});

/** Edges the mutation run (npm run mutate idnumber) found no test holding. */
describe('ID number edges', () => {
  it('a birth date with month 00, month 13 or day 00 is BIRTH_DATE, whatever the check character', () => {
    for (const date of ['19900001', '19901301', '19900100']) {
      const r = resident(withCheck(`510107${date}123`));
      expect(r.ok ? 'ok' : r.problem, date).toBe('BIRTH_DATE');
    }
  });

  it('refuses an office date that is not YYYY-MM-DD exactly', () => {
    for (const today of ['2025-6-15', 'x2025-06-15', '2025-06-15x']) {
      expect(() => resident(withCheck('51010719900101123'), today), today).toThrow(/YYYY-MM-DD/);
    }
  });

  it('masks after trimming, and a number of 4 characters or fewer completely', () => {
    expect(maskIdNumber(' 51010719900101123X ')).toBe('510107********123X');
    expect(maskIdNumber('AB12')).toBe('****');
    expect(maskIdNumber('AB123')).toBe('AB****23');
  });

  it('other documents: 1 and 32 characters are accepted, 0 and 33 are LENGTH', () => {
    expect(checkIdNumberFor('passport', 'E', TODAY).ok).toBe(true);
    expect(checkIdNumberFor('passport', 'E'.repeat(32), TODAY).ok).toBe(true);
    for (const raw of ['', '   ', 'E'.repeat(33)]) {
      const r = checkIdNumberFor('passport', raw, TODAY);
      expect(r.ok ? 'ok' : r.problem, `${raw.length} characters`).toBe('LENGTH');
    }
  });

  it('a unified social credit code of 19 characters, or with a character outside GB 32100, is refused', () => {
    const first17 = '91350100M000100Y4';
    const good = first17 + usccCheck(first17);
    expect(validUscc(good)).toBe(true);
    expect(validUscc(`${good}0`)).toBe(false);
    expect(validUscc(good.slice(0, 17))).toBe(false);
    expect(usccCheckChar(first17.slice(0, 16))).toBeNull();
    expect(usccCheckChar(`${first17}0`)).toBeNull();
    // I is not in the GB 32100 charset: no check character can make the code valid.
    for (const c of USCC_CHARSET) expect(validUscc(`I${first17.slice(1)}${c}`)).toBe(false);
  });
});
