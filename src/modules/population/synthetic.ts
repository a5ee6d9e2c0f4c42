import { sql, type Insertable } from 'kysely';
import type { Db } from '../../platform/db/index.js';
import { uuidv7 } from '../../platform/db/ids.js';
import type { SurveySnapshot } from '../../platform/db/schema.js';
import { officeToday } from '../../platform/time.js';
import { ORIGIN_BY_CODE } from './dictionaries.js';
import { idCheckChar, usccCheckChar } from './idnumber.js';
import { nameInitials, sealedDocument, sealedPhone } from './identity.js';
import { populationPolicy } from './policy.js';
import { bulkInsert, insertRows } from './bulk.js';
import { unscopedRead } from '../../platform/org/scoped-tables.js';
import {
  pop, popTx, type CollectionRecordTable, type CollectionReviewTable, type EmployerTable, type HouseTable, type PatrolTable,
  type PersonEventTable, type PersonTable, type ResidenceTable, type TenancyTable,
} from './schema.js';

/** The generator fills the whole street, outside any person's scope. */
const GENERATOR = unscopedRead('the synthetic-data generator works on the whole street');

/**
 * The synthetic registry (合成人口数据): a reproducible bulk generator for the demo street and for
 * the benchmark data set (`npm run generate -- --persons N`). Everything about person number `i`
 * — ID number, name, grid, house, dates, review outcome — is derived from (seed, i) alone, so a run
 * is reproducible and a later run with a larger total adds only the difference.
 *
 * ID numbers never collide within a seed: the index is mapped by a seeded pseudo-random
 * permutation (a Feistel network with cycle walking) onto the space
 *   address code (a fixed list of real GB/T 2260 codes) × birth date (1950-01-01 … 2006-12-31) × sequence (000–999),
 * and the GB 11643 check character is computed. Collisions with numbers entered by people (or by
 * another seed) are skipped by the unique blind index (`on conflict do nothing`).
 *
 * Personal fields go through the service's own helpers (sealedDocument, sealedPhone, nameInitials).
 * Rows are written with multi-row INSERTs, one transaction per batch; the grid counters
 * (population_counters) are recomputed from the rows at the end.
 */

// ------------------------------------------------------------------ deterministic randomness

/** murmur3's 32-bit finaliser: a cheap, well-mixing integer hash. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small seeded PRNG (mulberry32) keyed by any list of integers. */
export class Rng {
  private s: number;
  constructor(...parts: number[]) {
    let h = 0x9e3779b9;
    for (const p of parts) {
      h = mix32((h ^ mix32(p >>> 0)) + 0x7f4a7c15);
      h = mix32(h ^ mix32(Math.floor(p / 4294967296) >>> 0));
    }
    this.s = h;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(arr: readonly T[]): T { return arr[this.int(arr.length)]!; }
  /** Index into a cumulative weight table. */
  weighted(cumulative: readonly number[]): number {
    const x = this.next() * cumulative[cumulative.length - 1]!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
}
const cumulate = (weights: readonly number[]) => { let s = 0; return weights.map((w) => (s += w)); };
const pickWeighted = <T>(r: Rng, items: readonly (readonly [T, number])[]) => items[r.weighted(cumulate(items.map((i) => i[1])))]![0];

/** Random streams, so that person i and house i never share a sequence. */
const STREAM = { person: 1, block: 2, employer: 3, house: 4, feistel: 5 } as const;

// ------------------------------------------------------------------ ID numbers: a bijection of the index

/**
 * Real GB/T 2260 county-level codes (some since renamed; old numbers stay valid). Sichuan and its
 * neighbours dominate, as they do among Chengdu's migrants; the list order is part of the
 * number space — append only.
 */
const ADDRESS_CODES: readonly string[] = [
  // 四川省 (成都市 and the other prefectures)
  '510104', '510105', '510106', '510107', '510108', '510112', '510113', '510114', '510115', '510116', '510121', '510129',
  '510131', '510181', '510182', '510183', '510184', '510185', '510302', '510311', '510402', '510502', '510521', '510603',
  '510681', '510703', '510781', '510802', '510903', '511002', '511102', '511302', '511321', '511402', '511502', '511602',
  '511702', '511802', '511902', '512002', '513201', '513301', '513401', '513424',
  // 重庆市
  '500101', '500102', '500103', '500106', '500112', '500113',
  // 云南省, 贵州省, 陕西省, 甘肃省
  '530102', '532101', '530302', '520102', '520302', '522401', '610113', '610302', '620102',
  // other provinces
  '430102', '430602', '420106', '410105', '411302', '540102', '630102', '440106', '330106', '320102', '110105', '370102',
  '340102', '360102', '450103', '130102', '650102',
];
const BIRTH_FROM = Date.UTC(1950, 0, 1);
/** Days from 1950-01-01 to 2006-12-31 inclusive. */
const BIRTH_DAYS = Math.round((Date.UTC(2006, 11, 31) - BIRTH_FROM) / 86_400_000) + 1;
const SEQUENCES = 1000;
/** Size of the ID number space of one seed (about 1.5 × 10⁹). */
export const ID_SPACE = ADDRESS_CODES.length * BIRTH_DAYS * SEQUENCES;

const feistelKeys = new Map<number, number[]>();
function keysOf(seed: number): number[] {
  let k = feistelKeys.get(seed);
  if (!k) {
    const r = new Rng(seed, STREAM.feistel);
    k = [0, 1, 2, 3].map(() => (r.next() * 4294967296) >>> 0);
    feistelKeys.set(seed, k);
  }
  return k;
}
/** A balanced 4-round Feistel permutation of [0, 2³²). */
function feistel32(x: number, keys: number[]): number {
  let l = x >>> 16;
  let r = x & 0xffff;
  for (const k of keys) {
    const f = mix32((r ^ k) >>> 0) & 0xffff;
    const nl = r;
    r = (l ^ f) & 0xffff;
    l = nl;
  }
  return ((l << 16) | r) >>> 0;
}
/** A seeded permutation of [0, ID_SPACE) (cycle walking keeps it a bijection on the smaller domain). */
export function permuteIndex(seed: number, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= ID_SPACE) throw new RangeError(`synthetic index ${index} out of range`);
  const keys = keysOf(seed);
  let x = index;
  do { x = feistel32(x, keys); } while (x >= ID_SPACE);
  return x;
}

export interface SyntheticId { idNumber: string; birthDate: string; gender: 'male' | 'female'; addressCode: string }

/** The resident ID number of synthetic person `index` of `seed` (valid GB 11643, unique per seed). */
export function syntheticIdentity(seed: number, index: number): SyntheticId {
  const p = permuteIndex(seed, index);
  const seq = p % SEQUENCES;
  const q = (p - seq) / SEQUENCES;
  const day = q % BIRTH_DAYS;
  const addressCode = ADDRESS_CODES[(q - day) / BIRTH_DAYS]!;
  const birth = new Date(BIRTH_FROM + day * 86_400_000).toISOString().slice(0, 10);
  const first17 = `${addressCode}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return { idNumber: first17 + idCheckChar(first17), birthDate: birth, gender: seq % 2 === 1 ? 'male' : 'female', addressCode };
}
export const syntheticIdNumber = (seed: number, index: number): string => syntheticIdentity(seed, index).idNumber;

/** 户籍地: the ID's address code rounded to a code of the ORIGINS dictionary (county → prefecture → province). */
export function originOf(addressCode: string): string | null {
  for (const c of [addressCode, `${addressCode.slice(0, 4)}00`, `${addressCode.slice(0, 2)}0000`]) if (ORIGIN_BY_CODE.has(c)) return c;
  return null;
}

// ------------------------------------------------------------------ fictional names and words

/** Common surnames (weighted roughly by frequency); combined at random, never taken from the seeds. */
const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 70], ['李', 70], ['张', 65], ['刘', 55], ['陈', 50], ['杨', 45], ['黄', 30], ['赵', 28], ['吴', 25], ['周', 25],
  ['徐', 20], ['孙', 20], ['马', 18], ['朱', 17], ['胡', 16], ['郭', 15], ['何', 15], ['高', 14], ['林', 14], ['罗', 14],
  ['郑', 12], ['梁', 12], ['谢', 11], ['宋', 10], ['唐', 10], ['许', 9], ['韩', 9], ['冯', 9], ['邓', 9], ['曹', 8],
  ['彭', 8], ['曾', 8], ['肖', 8], ['田', 7], ['董', 7], ['袁', 7], ['潘', 6], ['于', 6], ['蒋', 6], ['蔡', 6],
  ['余', 6], ['杜', 6], ['叶', 6], ['程', 5], ['苏', 5], ['魏', 5], ['吕', 5], ['丁', 5], ['任', 5], ['沈', 5],
  ['姚', 4], ['卢', 4], ['姜', 4], ['崔', 4], ['钟', 4], ['谭', 4], ['陆', 4], ['汪', 4], ['范', 4], ['金', 4],
  ['石', 4], ['廖', 4], ['贾', 3], ['夏', 3], ['韦', 3], ['付', 3], ['方', 3], ['白', 3], ['邹', 3], ['孟', 3],
  ['熊', 3], ['秦', 3], ['邱', 3], ['江', 3], ['尹', 3], ['薛', 3], ['闫', 3], ['段', 3], ['雷', 3], ['侯', 3],
  ['龙', 3], ['史', 3], ['陶', 2], ['黎', 2], ['贺', 2], ['顾', 2], ['毛', 2], ['郝', 2], ['龚', 2], ['邵', 2],
  ['万', 2], ['严', 2], ['覃', 2], ['武', 2], ['戴', 2], ['莫', 2], ['孔', 2], ['向', 2], ['汤', 2], ['母', 1],
  ['欧阳', 1], ['司马', 0.3], ['诸葛', 0.2], ['上官', 0.3],
];
const SURNAME_CUM = cumulate(SURNAMES.map((s) => s[1]));
const MALE_CHARS = [...'伟强磊军洋勇杰涛明超刚平辉健俊峰浩宇鹏飞斌波志鑫凯晨宏文博昊轩睿航宁亮成林华建国兵坤毅豪瑞龙'];
const FEMALE_CHARS = [...'芳娜敏静丽艳娟霞秀英玲燕婷雪琳慧佳颖倩欣怡萍蓉瑶洁琴梅莉兰晶璐雯悦诗梦露岚彤菲薇琪'];
const NEUTRAL_CHARS = [...'子晓小雨思嘉欣一文海春秋新天安明永'];

export function fictionalName(r: Rng, gender: 'male' | 'female'): string {
  const surname = SURNAMES[r.weighted(SURNAME_CUM)]![0];
  const pool = gender === 'male' ? MALE_CHARS : FEMALE_CHARS;
  // 2–3 characters in all: a compound surname takes a one-character given name.
  if (surname.length === 2 || r.chance(0.3)) return surname + r.pick(pool);
  const first = r.chance(0.35) ? r.pick(NEUTRAL_CHARS) : r.pick(pool);
  return surname + first + r.pick(pool);
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '153', '155', '156', '157', '158', '159',
  '166', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '191', '198', '199'];
const mobile = (r: Rng) => r.pick(MOBILE_PREFIXES) + String(r.int(100_000_000)).padStart(8, '0');

const OCCUPATIONS: readonly (readonly [string, number])[] = [
  ['餐饮服务', 18], ['个体经营', 12], ['建筑工人', 8], ['快递员', 7], ['销售', 9], ['保洁', 5], ['学生', 8], ['司机', 5], ['厨师', 6],
  ['美容美发', 4], ['保安', 4], ['办公室职员', 8], ['自由职业', 4], ['无业', 2],
];
const REASONS: readonly (readonly [string, number])[] = [['务工', 55], ['经商', 15], ['就学', 8], ['投亲靠友', 10], ['随迁家属', 8], ['其他', 4]];
const EDUCATIONS: readonly (readonly [string, number])[] = [
  ['71', 33], ['61', 20], ['41', 7], ['44', 2], ['31', 13], ['21', 12], ['14', 2], ['81', 8], ['90', 3],
];
const DEPARTURE_REASONS = ['返乡', '工作调动', '迁往外地', '租约到期', '投靠子女'];
const RETURN_REASONS = ['缺少联系电话', '房屋地址不完整', '证件信息与登记表不一致', '缺少来本地事由'];

/** GB/T 3304 codes, weighted by where the person comes from. */
function ethnicityOf(r: Rng, addressCode: string): string {
  const p4 = addressCode.slice(0, 4);
  const p2 = addressCode.slice(0, 2);
  if (p4 === '5132') return pickWeighted(r, [['04', 45], ['33', 25], ['01', 30]]);
  if (p4 === '5133' || p2 === '54' || p2 === '63') return pickWeighted(r, [['04', 65], ['01', 35]]);
  if (p4 === '5134') return pickWeighted(r, [['07', 55], ['01', 45]]);
  if (p4 === '5321') return pickWeighted(r, [['07', 10], ['03', 10], ['01', 80]]);
  if (p2 === '62') return pickWeighted(r, [['03', 15], ['01', 85]]);
  if (p2 === '65') return pickWeighted(r, [['05', 40], ['03', 5], ['01', 55]]);
  if (p2 === '45') return pickWeighted(r, [['08', 40], ['01', 60]]);
  if (p2 === '52') return pickWeighted(r, [['06', 12], ['09', 6], ['01', 82]]);
  if (p2 === '43' || p2 === '50') return pickWeighted(r, [['15', 5], ['01', 95]]);
  return pickWeighted(r, [['01', 970], ['03', 10], ['11', 5], ['02', 3], ['04', 3], ['06', 3], ['15', 3], ['07', 3]]);
}

/** Street names of the demo communities (the addresses themselves are fictional). */
const STREETS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/蜀汉街/, ['蜀汉街', '蜀汉路', '浆洗街', '蜀汉东街']],
  [/洗面桥横街/, ['洗面桥横街', '高升桥东路', '洗面桥横街北巷']],
  [/洗面桥/, ['洗面桥街', '武侯祠大街', '洗面桥北街']],
  [/大石东路/, ['大石东路', '大石西路', '锦里中路']],
  [/凉水井/, ['凉水井街', '凉水井南巷', '高升桥路']],
];
const streetsOf = (communityName: string): readonly string[] =>
  STREETS.find(([re]) => re.test(communityName))?.[1] ?? [`${communityName.replace(/(社区|居委会)$/, '')}路`, `${communityName.replace(/(社区|居委会)$/, '')}街`];

const FIRM_WORDS = ['锦鑫', '蜀韵', '宏达', '川味', '华西', '锦程', '祥和', '金桥', '恒通', '顺发', '瑞丰', '鼎盛', '安泰', '兴隆', '汇源', '佳美', '新锦', '长顺', '永利', '嘉禾'];
const FIRM_TRADES = ['餐饮管理', '物业服务', '商贸', '快递服务', '建筑劳务', '家政服务', '美容美发', '汽车维修', '酒店管理', '文化传媒', '电子科技', '超市'];
const SHOP_KINDS = ['面馆', '火锅店', '便利店', '理发店', '干洗店', '小吃店', '茶馆', '五金店', '串串香', '水果店'];

// ------------------------------------------------------------------ USCC (GB 32100)

const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
/** GB 11714 organisation code: 8 digits + check character (0–9 or X). */
function orgCode(body8: string): string {
  const sum = [...body8].reduce((s, c, i) => s + Number(c) * ORG_CODE_WEIGHTS[i]!, 0);
  const c = 11 - (sum % 11);
  return body8 + (c === 10 ? 'X' : c === 11 ? '0' : String(c));
}
/** A valid unified social credit code for synthetic employer `index` of `seed`: unique per seed. */
export function syntheticUscc(seed: number, index: number, areaCode: string, individual: boolean): string {
  // An affine bijection of [0, 10⁸): the multiplier is odd and not a multiple of 5.
  const a = 48_271 * 2 + 1;
  const b = (mix32(seed + 0x5eed) % 100_000_000);
  const body = (Number((BigInt(a) * BigInt(index) + BigInt(b)) % 100_000_000n));
  const first17 = `${individual ? '92' : '91'}${areaCode}${orgCode(String(body).padStart(8, '0'))}`;
  return first17 + usccCheckChar(first17)!;
}

// ------------------------------------------------------------------ the generator

export interface GenerateRegistryOptions {
  /** Requested total number of persons in the registry. */
  persons: number;
  seed: number;
  log?: (msg: string) => void;
  /** Demo data: also patrols of the rental houses, so that only a few are due. */
  demo?: boolean;
  /** Persons per transaction (default 2,000). */
  batchSize?: number;
  /** Transactions written at the same time (default 2; PGlite has one connection and queues them). */
  concurrency?: number;
}

export interface GenerateRegistryResult { added: number; totalPersons: number; houses: number; employers: number; ms: number }

/** Persons of one block share a grid and live in the block's houses (8 persons, 3 houses: ≈ 1 house per 2.7 persons). */
export const BLOCK_PERSONS = 8;
const BLOCK_HOUSES = 3;

interface GridInfo {
  id: string; name: string; communityId: string | null; communityName: string; areaCode: string; weight: number; streets: readonly string[];
  /** Who reviews, in order of preference (station, then the street); never the record's own collector when another exists. */
  collectors: string[]; reviewers: string[]; employers: string[];
}

type Row<T> = Insertable<T>;
interface PersonBundle {
  index: number;
  person: Row<PersonTable>;
  residence: Row<ResidenceTable>;
  record: Row<CollectionRecordTable>;
  review: Row<CollectionReviewTable> | null;
  events: Row<PersonEventTable>[];
  houseSlot: number;
  rental: boolean;
  workKey: string;
  /** Who entered it (录入) and the month of entry: the collector when reported (synthetic data predates the station's entry step). */
  enteredKey: string;
  passed: boolean;
}
interface Batch {
  houses: Row<HouseTable>[];
  patrols: Row<PatrolTable>[];
  bundles: PersonBundle[];
  /** Per block house slot: house id, owner name, grid. */
  slots: { id: string; owner: string; rental: boolean }[];
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** An instant on an office (UTC+8) date, `minutes` after midnight there. */
const officeInstant = (date: string, minutes: number) => new Date(Date.parse(`${date}T00:00:00+08:00`) + minutes * 60_000);
const dateMinus = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);
const officeDate = (d: Date) => officeToday(d.getTime());



/**
 * Adds synthetic persons (with houses, employers, tenancies, collection records and reviews, work
 * counters, events) until the registry holds `persons` persons; recomputes the grid counters.
 */
export async function generateRegistry(db: Db, opts: GenerateRegistryOptions): Promise<GenerateRegistryResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const { seed } = opts;
  const p = pop(db);
  const existing = Number((await p.selectFrom('persons').select((eb) => eb.fn.countAll<string>().as('n')).where(GENERATOR).executeTakeFirstOrThrow()).n);
  const need = opts.persons - existing;
  if (need <= 0) {
    log(`人员已有 ${existing} 人，不少于要求的 ${opts.persons} 人，未新增。`);
    return { added: 0, totalPersons: existing, houses: 0, employers: 0, ms: Date.now() - started };
  }
  const grids = await loadGrids(db);
  if (grids.length === 0) {
    log('没有网格，无法生成人口数据。');
    return { added: 0, totalPersons: existing, houses: 0, employers: 0, ms: Date.now() - started };
  }
  const gridCum = cumulate(grids.map((g) => g.weight));
  const { packCode: policyPack, version: policyVersion, rules } = await populationPolicy(db);
  const now = Date.now();
  const today = officeToday(now);

  // Employers: a few per grid, more where more migrants live, up to the share of the requested total.
  const employersAdded = await addEmployers(db, grids, opts.persons, seed, now, log);

  // Persons: after the last index this seed generated, on a block boundary (a block's houses are created with it).
  let start = await nextSyntheticIndex(db, seed);
  const batchSize = Math.max(BLOCK_PERSONS, Math.floor((opts.batchSize ?? 2000) / BLOCK_PERSONS) * BLOCK_PERSONS);
  const ctx: BuildContext = { seed, grids, gridCum, today, now, policyPack, policyVersion, deadlineHours: rules.reviewDeadlineHours, demo: Boolean(opts.demo) };
  let added = 0;
  let houses = 0;
  let lastLog = Date.now();
  log(`开始生成：现有 ${existing} 人，新增 ${need} 人（种子 ${seed}，自编号 ${start} 起），${grids.length} 个网格。`);
  // The next batch is built (sealing is CPU work) while earlier ones are being written.
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const inflight: Promise<number>[] = [];
  let attempts = 0;
  try {
    while (added < need) {
      if (++attempts > 1000) throw new Error('synthetic generator: too many ID conflicts');
      let planned = need - added;
      while (planned > 0) {
        const n = Math.min(batchSize, planned);
        if (start + n > ID_SPACE) throw new Error('synthetic generator: ID space of this seed exhausted');
        const batch = await buildBatch(ctx, start, n);
        houses += batch.houses.length;
        start = Math.ceil((start + n) / BLOCK_PERSONS) * BLOCK_PERSONS;
        planned -= n;
        if (inflight.length >= concurrency) added += await inflight.shift()!;
        const write = writeBatch(db, batch);
        write.catch(() => {}); // awaited below; a failure is not unhandled meanwhile
        inflight.push(write);
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          const secs = (Date.now() - started) / 1000;
          log(`已写入 ${existing + added} / ${opts.persons} 人（${Math.round(added / secs)} 人/秒）`);
        }
      }
      while (inflight.length) added += await inflight.shift()!;
    }
  } finally {
    await Promise.allSettled(inflight);
  }
  await recomputeCounters(db);
  if (added >= 50_000) {
    // Fresh statistics for the planner after a bulk load.
    for (const t of ['persons', 'residences', 'houses', 'employers', 'tenancies', 'collection_records', 'collection_reviews', 'person_events', 'work_counters', 'patrols']) {
      await sql`analyze ${sql.table(t)}`.execute(db);
    }
  }
  const ms = Date.now() - started;
  log(`生成完成：新增 ${added} 人、${houses} 套房屋、${employersAdded} 个用工单位，用时 ${(ms / 1000).toFixed(1)} 秒；网格计数已按数据重算。`);
  return { added, totalPersons: existing + added, houses, employers: employersAdded, ms };
}

/**
 * Where a run of `seed` resumes: after the highest index it wrote (recorded in the `arrived` event
 * of each synthetic person), rounded up to a block boundary; 0 for a seed never used.
 */
export async function nextSyntheticIndex(db: Db, seed: number): Promise<number> {
  const r = await sql<{ i: string | null }>`
    select max((data->>'index')::bigint)::text as i from person_events
    where kind = 'arrived' and data->>'source' = 'synthetic' and data->>'seed' = ${String(seed)}`.execute(db);
  const last = r.rows[0]?.i;
  return last === null || last === undefined ? 0 : Math.ceil((Number(last) + 1) / BLOCK_PERSONS) * BLOCK_PERSONS;
}

interface BuildContext {
  seed: number; grids: GridInfo[]; gridCum: number[]; today: string; now: number; policyPack: string; policyVersion: number; deadlineHours: number; demo: boolean;
}

const STATION_POSTS = new Set(['station_clerk', 'station_head', 'station']);

/** Grids in force with their weights (survey migrants), collectors (grid workers) and reviewers (station). */
async function loadGrids(db: Db): Promise<GridInfo[]> {
  const today = officeToday();
  const units = await db.selectFrom('org_units').select(['id', 'parent_id', 'kind', 'name', 'code', 'street_code', 'survey'])
    .where('valid_to', 'is', null).orderBy('code').execute();
  const byId = new Map(units.map((u) => [u.id, u]));
  const posts = await db.selectFrom('staff_posts as sp').innerJoin('users as u', 'u.id', 'sp.user_id')
    .select(['sp.user_id', 'sp.org_unit_id', 'sp.post', 'u.username'])
    .where('u.status', '=', 'active').where('sp.valid_from', '<=', today)
    .where((eb) => eb.or([eb('sp.valid_to', 'is', null), eb('sp.valid_to', '>=', today)]))
    .orderBy('u.username').execute();
  const office = await db.selectFrom('role_grants as g').innerJoin('users as u', 'u.id', 'g.user_id').select(['u.id', 'u.username'])
    .where('g.role', '=', 'population_office').where('g.revoked_at', 'is', null).where('u.status', '=', 'active').orderBy('u.username').executeTakeFirst();
  // The first demo account that exists (the platform's seeding order), else any user.
  const anyUser = (await db.selectFrom('users').select(['id', 'username']).where('status', '=', 'active').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst())?.id;
  const employers = await pop(db).selectFrom('employers').select(['id', 'grid_id']).where('status', '=', 'active').where(GENERATOR).orderBy('id').execute();
  const out: GridInfo[] = [];
  for (const u of units) {
    if (u.kind !== 'grid') continue;
    const community = u.parent_id ? byId.get(u.parent_id) : undefined;
    const inGrid = posts.filter((x) => x.org_unit_id === u.id);
    const workers = inGrid.filter((x) => x.post === 'grid_worker');
    // The community station (流管站) reviews; leaders in charge of a community are not its clerks.
    const station = community ? posts.find((x) => x.org_unit_id === community.id && STATION_POSTS.has(x.post)) : undefined;
    const fallback = inGrid[0]?.user_id ?? station?.user_id ?? office?.id ?? anyUser;
    if (!fallback) continue; // no user at all: nobody could have collected anything
    const collectors = workers.length ? [...new Set(workers.map((w) => w.user_id))] : [fallback];
    const survey = (u.survey as SurveySnapshot | null) ?? null;
    out.push({
      id: u.id, name: u.name, communityId: community?.id ?? null, communityName: community?.name ?? u.name,
      areaCode: /^\d{6}/.test(u.street_code) ? u.street_code.slice(0, 6) : '510107',
      weight: Math.max(1, survey?.migrants ?? 500), streets: streetsOf(community?.name ?? u.name),
      collectors, reviewers: [...new Set([station?.user_id, office?.id, ...collectors].filter((x): x is string => Boolean(x)))],
      employers: employers.filter((e) => e.grid_id === u.id).map((e) => e.id),
    });
  }
  return out;
}

/** Employers per grid: at least 3, about one per 250 persons overall, spread by weight. */
async function addEmployers(db: Db, grids: GridInfo[], persons: number, seed: number, now: number, log: (m: string) => void): Promise<number> {
  const totalWeight = grids.reduce((s, g) => s + g.weight, 0);
  let index = Number((await pop(db).selectFrom('employers').select((eb) => eb.fn.countAll<string>().as('n')).where(GENERATOR).executeTakeFirstOrThrow()).n);
  const rows: Row<EmployerTable>[] = [];
  for (const g of grids) {
    const target = Math.max(3, Math.round((persons / 250) * (g.weight / totalWeight)));
    for (let k = g.employers.length; k < target; k++, index++) {
      const r = new Rng(seed, STREAM.employer, index);
      const individual = r.chance(0.3);
      const street = r.pick(g.streets);
      const word = r.pick(FIRM_WORDS);
      const name = individual ? `${street}${word}${r.pick(SHOP_KINDS)}` : `成都${word}${r.pick(FIRM_TRADES)}有限公司`;
      const phone = r.chance(0.85) ? sealedPhone(mobile(r)) : null;
      rows.push({
        id: uuidv7(), grid_id: g.id, name, uscc: syntheticUscc(seed, index, g.areaCode, individual),
        address: `${street}${1 + r.int(199)}号${individual ? '' : `${1 + r.int(12)}栋${1 + r.int(20)}0${1 + r.int(6)}室`}`,
        contact_name: fictionalName(r, r.chance(0.5) ? 'male' : 'female'),
        phone_enc: phone?.phone_enc ?? null, phone_masked: phone?.phone_masked ?? null,
        employees: individual ? 1 + r.int(8) : 5 + r.int(150), created_by: g.collectors[0]!,
        created_at: new Date(now - (30 + r.int(1500)) * DAY),
      });
    }
  }
  if (rows.length === 0) return 0;
  let added = 0;
  for (let i = 0; i < rows.length; i += 2000) {
    await db.transaction().execute(async (t) => {
      const inserted = await popTx(t).insertInto('employers').values(rows.slice(i, i + 2000)).onConflict((oc) => oc.doNothing()).returning(['id', 'grid_id']).execute();
      for (const e of inserted) grids.find((g) => g.id === e.grid_id)!.employers.push(e.id);
      added += inserted.length;
    });
  }
  log(`用工单位：新增 ${added} 个。`);
  return added;
}

/**
 * Persons [start, start + n) with their blocks' houses, built in memory (sealing is the CPU cost).
 * Yields to the event loop now and then, so that the statements of batches being written go on.
 */
async function buildBatch(ctx: BuildContext, start: number, n: number): Promise<Batch> {
  const { seed, grids, today, now } = ctx;
  const batch: Batch = { houses: [], patrols: [], bundles: [], slots: [] };
  const blockHouses = new Map<number, { grid: GridInfo; slots: number[]; rentalCum: number[] }>();
  const ensureBlock = (block: number) => {
    let b = blockHouses.get(block);
    if (b) return b;
    const br = new Rng(seed, STREAM.block, block);
    // The first blocks of a seed visit every grid once, so that no grid stays empty; then by weight.
    const grid = block < grids.length ? grids[block]! : grids[br.weighted(ctx.gridCum)]!;
    const street = br.pick(grid.streets);
    const number = 1 + br.int(199);
    const slots: number[] = [];
    const weights: number[] = [];
    for (let h = 0; h < BLOCK_HOUSES; h++) {
      const hr = new Rng(seed, STREAM.house, block * BLOCK_HOUSES + h);
      const rental = hr.chance(0.6);
      const owner = fictionalName(hr, hr.chance(0.5) ? 'male' : 'female');
      const id = uuidv7();
      const ownerPhone = hr.chance(0.6) ? sealedPhone(mobile(hr)) : null;
      const floor = 1 + hr.int(18);
      batch.houses.push({
        id, grid_id: grid.id, address: `${street}${number}号`, building: String(1 + hr.int(12)), unit_no: String(1 + hr.int(4)),
        room: `${floor}${String(1 + hr.int(4)).padStart(2, '0')}`, owner_name: owner, owner_id_hmac: null, owner_id_enc: null, owner_id_masked: null,
        owner_phone_enc: ownerPhone?.phone_enc ?? null, owner_phone_masked: ownerPhone?.phone_masked ?? null, rental,
        rooms: rental ? 1 + hr.int(5) : 2 + hr.int(3), area_m2: 28 + hr.int(110) + hr.int(10) / 10,
        created_by: grid.collectors[0]!, created_at: new Date(now - (1100 + hr.int(400)) * DAY),
      });
      if (ctx.demo && rental) {
        // Demo: most rental houses patrolled within the interval, some overdue, a few never.
        const u = hr.next();
        if (u < 0.97) {
          const ago = u < 0.9 ? hr.int(13) : 15 + hr.int(25);
          batch.patrols.push({
            id: uuidv7(), level: 'grid', target_unit_id: grid.id, house_id: id, patrolled_on: dateMinus(today, ago), patroller_id: hr.pick(grid.collectors),
            checked: '出租房屋登记、租住人员、消防安全', findings: hr.chance(0.8) ? '无异常' : `新增租住人员 ${1 + hr.int(2)} 人，已登记`,
            arrivals_found: 0, departures_found: 0, rentals_counted: null, migrants_counted: null, created_at: new Date(now - ago * DAY),
          });
        }
      }
      slots.push(batch.slots.length);
      batch.slots.push({ id, owner, rental });
      weights.push(rental ? 4 : 1);
    }
    b = { grid, slots, rentalCum: cumulate(weights) };
    blockHouses.set(block, b);
    return b;
  };

  for (let index = start; index < start + n; index++) {
    if ((index - start) % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    const block = Math.floor(index / BLOCK_PERSONS);
    const b = ensureBlock(block);
    const grid = b.grid;
    const r = new Rng(seed, STREAM.person, index);
    const idn = syntheticIdentity(seed, index);
    const slot = b.slots[r.weighted(b.rentalCum)]!;
    const house = batch.slots[slot]!;
    const name = fictionalName(r, idn.gender);
    const collector = grid.collectors.length === 1 ? grid.collectors[0]! : r.pick(grid.collectors);
    // No one reviews a record they collected (a station clerk collecting where no grid worker is: the street reviews).
    const reviewer = grid.reviewers.find((x) => x !== collector) ?? collector;

    // Review outcome first: records still waiting for review are recent.
    const u = r.next();
    const review: 'reported' | 'returned' | 'passed' = u < 0.05 ? 'reported' : u < 0.08 ? 'returned' : 'passed';
    const late = r.chance(0.05);
    const reportHours = late ? ctx.deadlineHours + 1 + r.int(48) + r.next() : 0.5 + r.int(Math.max(1, ctx.deadlineHours - 4)) + r.next();
    let arrivedOn = dateMinus(today, review === 'reported' ? 1 + r.int(6) : 8 + r.int(1088));
    if (arrivedOn < idn.birthDate) arrivedOn = idn.birthDate;
    let collectedAt = officeInstant(dateMinus(arrivedOn, -r.int(3)), 9 * 60 + r.int(9 * 60));
    let reportedAt = new Date(collectedAt.getTime() + reportHours * HOUR);
    if (reportedAt.getTime() > now - 10 * 60_000) {
      reportedAt = new Date(now - 10 * 60_000 - r.int(6 * 60) * 60_000);
      collectedAt = new Date(reportedAt.getTime() - reportHours * HOUR);
      if (officeDate(collectedAt) < arrivedOn) arrivedOn = officeDate(collectedAt);
    }
    let reviewedAt: Date | null = null;
    if (review !== 'reported') {
      reviewedAt = new Date(reportedAt.getTime() + (1 + r.int(72)) * HOUR + r.int(60) * 60_000);
      if (reviewedAt.getTime() > now - 60_000) reviewedAt = new Date(Math.max(reportedAt.getTime() + 60_000, now - 60_000));
    }
    // About 15 % of all persons have left again (never those still waiting for review).
    let leftOn: string | null = null;
    const span = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${arrivedOn}T00:00:00Z`)) / DAY);
    if (review !== 'reported' && span > 30 && r.chance(0.158)) leftOn = dateMinus(arrivedOn, -(20 + r.int(span - 20)));
    const leftAt = leftOn ? officeInstant(leftOn, 18 * 60) : null;

    const personId = uuidv7();
    const reason = pickWeighted(r, REASONS);
    const phone = r.chance(0.7) ? mobile(r) : null;
    const employerId = grid.employers.length && r.chance(0.45) ? r.pick(grid.employers) : null;
    const updatedAt = leftAt && leftAt.getTime() < now ? leftAt : reviewedAt ?? reportedAt;
    const person: Row<PersonTable> = {
      id: personId, id_type: 'resident_id', ...sealedDocument(idn.idNumber), name, name_initials: nameInitials(name), gender: idn.gender,
      birth_date: idn.birthDate, ethnicity: ethnicityOf(r, idn.addressCode), origin: originOf(idn.addressCode),
      education: pickWeighted(r, EDUCATIONS), occupation: pickWeighted(r, OCCUPATIONS), ...sealedPhone(phone), employer_id: employerId,
      status: leftOn ? 'left' : 'active', grid_id: grid.id, house_id: house.id, arrived_on: arrivedOn, left_on: leftOn, arrival_reason: reason,
      review_status: review, created_by: collector, created_at: reportedAt, updated_at: updatedAt,
    };
    const residence: Row<ResidenceTable> = {
      id: uuidv7(), person_id: personId, grid_id: grid.id, house_id: house.id, from_date: arrivedOn, to_date: leftOn, arrival_reason: reason,
      departure_reason: leftOn ? r.pick(DEPARTURE_REASONS) : null, created_by: collector, created_at: reportedAt,
      ended_by: leftOn ? collector : null, ended_at: leftAt,
    };
    const recordId = uuidv7();
    const returnReasons = review === 'returned' ? r.pick(RETURN_REASONS) : null;
    const record: Row<CollectionRecordTable> = {
      id: recordId, kind: 'arrival', person_id: personId, house_id: house.id, grid_id: grid.id, collected_by: collector, collected_at: collectedAt,
      reported_at: reportedAt, late: reportedAt.getTime() - collectedAt.getTime() > ctx.deadlineHours * HOUR, review_status: review,
      reviewed_by: reviewedAt ? reviewer : null, reviewed_at: reviewedAt, return_reasons: returnReasons, policy_pack: ctx.policyPack, policy_version: ctx.policyVersion,
      entered_by: collector, entered_at: reportedAt, created_at: reportedAt,
    };
    const reviewRow: Row<CollectionReviewTable> | null = reviewedAt
      ? { id: uuidv7(), record_id: recordId, decision: review === 'passed' ? 'pass' : 'return', reasons: returnReasons, actor_id: reviewer, at: reviewedAt }
      : null;
    const events: Row<PersonEventTable>[] = [{
      id: uuidv7(), person_id: personId, kind: 'arrived', at: reportedAt, actor_id: collector,
      data: JSON.stringify({ gridId: grid.id, arrivedOn, source: 'synthetic', seed, index }),
    }];
    if (leftOn) {
      events.push({ id: uuidv7(), person_id: personId, kind: 'departed', at: leftAt!, actor_id: collector, data: JSON.stringify({ leftOn, reason: residence.departure_reason }) });
    }
    batch.bundles.push({
      index, person, residence, record, review: reviewRow, events, houseSlot: slot, rental: house.rental,
      workKey: `${collector}|${officeDate(collectedAt).slice(0, 7)}|${grid.id}`, enteredKey: `${collector}|${officeDate(reportedAt).slice(0, 7)}|${grid.id}`, passed: review === 'passed',
    });
  }
  return batch;
}

/** Writes one batch in one transaction; persons whose document is already registered are skipped. */
async function writeBatch(db: Db, batch: Batch): Promise<number> {
  return db.transaction().execute(async (t) => {
    const tx = popTx(t);
    await insertRows(tx, 'houses', batch.houses);
    const inserted = new Set<string>();
    if (batch.bundles.length) {
      const rows = await bulkInsert('persons', batch.bundles.map((b) => b.person), { skipConflicts: true }).execute(tx);
      for (const r of rows.rows) inserted.add(r.id);
    }
    const bundles = inserted.size === batch.bundles.length ? batch.bundles : batch.bundles.filter((b) => inserted.has(b.person.id));
    // One tenancy per rental house with residents: its first resident is the tenant.
    const tenancies: Row<TenancyTable>[] = [];
    const tenanted = new Set<number>();
    for (const b of bundles) {
      if (!b.rental || tenanted.has(b.houseSlot)) continue;
      tenanted.add(b.houseSlot);
      tenancies.push({
        id: uuidv7(), house_id: b.person.house_id!, tenant_person_id: b.person.id, tenant_name: b.person.name, landlord_name: batch.slots[b.houseSlot]!.owner,
        from_date: b.residence.from_date, to_date: b.residence.to_date ?? null, created_by: b.record.collected_by, created_at: b.record.reported_at,
      });
    }
    await insertRows(tx, 'residences', bundles.map((b) => b.residence));
    await insertRows(tx, 'tenancies', tenancies);
    await insertRows(tx, 'collection_records', bundles.map((b) => b.record));
    await insertRows(tx, 'collection_reviews', bundles.flatMap((b) => (b.review ? [b.review] : [])));
    await insertRows(tx, 'person_events', bundles.flatMap((b) => b.events));
    await insertRows(tx, 'patrols', batch.patrols);
    // Monthly work counters of the collectors (采集 / 录入 / 审核合格), in a fixed order (no lock-order deadlocks).
    const work = new Map<string, { collected: number; entered: number; passed: number }>();
    const at = (key: string) => work.get(key) ?? work.set(key, { collected: 0, entered: 0, passed: 0 }).get(key)!;
    for (const b of bundles) {
      const w = at(b.workKey);
      w.collected++;
      if (b.passed) w.passed++;
      at(b.enteredKey).entered++;
    }
    const workRows = [...work.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, w]) => {
      const [user_id, month, grid_id] = key.split('|') as [string, string, string];
      return { user_id, month, grid_id, collected: w.collected, entered: w.entered, passed: w.passed };
    });
    // One row per (user, month) in a statement: a collector with several grids keeps the first grid.
    const seen = new Set<string>();
    const merged: typeof workRows = [];
    for (const w of workRows) {
      const k = `${w.user_id}|${w.month}`;
      if (seen.has(k)) {
        const m = merged.find((x) => x.user_id === w.user_id && x.month === w.month)!;
        m.collected += w.collected; m.entered += w.entered; m.passed += w.passed;
      } else { seen.add(k); merged.push({ ...w }); }
    }
    for (let i = 0; i < merged.length; i += 5000) {
      await tx.insertInto('work_counters').values(merged.slice(i, i + 5000)).onConflict((oc) => oc.columns(['user_id', 'month']).doUpdateSet({
        collected: sql`work_counters.collected + excluded.collected`,
        entered: sql`work_counters.entered + excluded.entered`,
        passed: sql`work_counters.passed + excluded.passed`,
      })).execute();
    }
    return bundles.length;
  });
}

/** population_counters := the counts of the rows, for every grid (migrants = active persons, …). */
export async function recomputeCounters(db: Db): Promise<void> {
  await sql`
    insert into population_counters (grid_id, migrants, houses, rentals, employers)
    select g.id,
      (select count(*) from persons p where p.grid_id = g.id and p.status = 'active'),
      (select count(*) from houses h where h.grid_id = g.id and h.status = 'active'),
      (select count(*) from houses h where h.grid_id = g.id and h.status = 'active' and h.rental),
      (select count(*) from employers e where e.grid_id = g.id and e.status = 'active')
    from org_units g where g.kind = 'grid'
    on conflict (grid_id) do update set migrants = excluded.migrants, houses = excluded.houses, rentals = excluded.rentals, employers = excluded.employers`.execute(db);
}
