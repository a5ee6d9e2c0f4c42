/**
 * Official code dictionaries used by the population registry:
 *   ETHNICITIES  GB/T 3304-1991 中国各民族名称的罗马字母拼写法和代码 (numeric codes)
 *   EDUCATION    GB/T 4658-2006 学历代码 (the main codes only)
 *   ORIGINS      GB/T 2260 中华人民共和国行政区划代码 (province level, plus the prefecture level of
 *                四川省 and of its neighbours 贵州省, 云南省, 陕西省)
 *   ID_TYPES     the registry's own document types
 *
 * The arrays are frozen at runtime; they are typed as plain arrays so callers may pass them where
 * `{ code: string }[]` is expected.
 */

export interface DictEntry {
  code: string;
  name: string;
}

/** Freezes a dictionary (entries and array) and checks that its codes are unique. */
function dictionary(entries: DictEntry[]): DictEntry[] {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.code)) throw new Error(`duplicate dictionary code ${e.code}`);
    seen.add(e.code);
    Object.freeze(e);
  }
  return Object.freeze(entries) as DictEntry[];
}

const entries = (pairs: [string, string][]): DictEntry[] => pairs.map(([code, name]) => ({ code, name }));

/** GB/T 3304: the 56 ethnic groups (01–56) plus 97 其他 and 98 外国血统中国籍人士. */
export const ETHNICITIES: DictEntry[] = dictionary(entries([
  ['01', '汉族'], ['02', '蒙古族'], ['03', '回族'], ['04', '藏族'], ['05', '维吾尔族'],
  ['06', '苗族'], ['07', '彝族'], ['08', '壮族'], ['09', '布依族'], ['10', '朝鲜族'],
  ['11', '满族'], ['12', '侗族'], ['13', '瑶族'], ['14', '白族'], ['15', '土家族'],
  ['16', '哈尼族'], ['17', '哈萨克族'], ['18', '傣族'], ['19', '黎族'], ['20', '傈僳族'],
  ['21', '佤族'], ['22', '畲族'], ['23', '高山族'], ['24', '拉祜族'], ['25', '水族'],
  ['26', '东乡族'], ['27', '纳西族'], ['28', '景颇族'], ['29', '柯尔克孜族'], ['30', '土族'],
  ['31', '达斡尔族'], ['32', '仫佬族'], ['33', '羌族'], ['34', '布朗族'], ['35', '撒拉族'],
  ['36', '毛南族'], ['37', '仡佬族'], ['38', '锡伯族'], ['39', '阿昌族'], ['40', '普米族'],
  ['41', '塔吉克族'], ['42', '怒族'], ['43', '乌孜别克族'], ['44', '俄罗斯族'], ['45', '鄂温克族'],
  ['46', '德昂族'], ['47', '保安族'], ['48', '裕固族'], ['49', '京族'], ['50', '塔塔尔族'],
  ['51', '独龙族'], ['52', '鄂伦春族'], ['53', '赫哲族'], ['54', '门巴族'], ['55', '珞巴族'],
  ['56', '基诺族'],
  ['97', '其他'], ['98', '外国血统中国籍人士'],
]));

/** GB/T 4658-2006 学历代码, main codes (the 结业/肄业 variants are not offered). */
export const EDUCATION: DictEntry[] = dictionary(entries([
  ['10', '研究生教育'], ['11', '博士研究生毕业'], ['14', '硕士研究生毕业'],
  ['20', '大学本科'], ['21', '大学本科毕业'],
  ['30', '专科教育'], ['31', '专科毕业'],
  ['40', '中等职业教育'], ['41', '中专毕业'], ['44', '职高毕业'], ['47', '技工学校毕业'],
  ['60', '普通高级中学教育'], ['61', '高中毕业'],
  ['70', '初级中学教育'], ['71', '初中毕业'],
  ['80', '小学教育'], ['81', '小学毕业'],
  ['90', '其他'],
]));

/** GB/T 2260: the 34 province-level units. */
const PROVINCES: [string, string][] = [
  ['110000', '北京市'], ['120000', '天津市'], ['130000', '河北省'], ['140000', '山西省'], ['150000', '内蒙古自治区'],
  ['210000', '辽宁省'], ['220000', '吉林省'], ['230000', '黑龙江省'],
  ['310000', '上海市'], ['320000', '江苏省'], ['330000', '浙江省'], ['340000', '安徽省'], ['350000', '福建省'],
  ['360000', '江西省'], ['370000', '山东省'],
  ['410000', '河南省'], ['420000', '湖北省'], ['430000', '湖南省'], ['440000', '广东省'],
  ['450000', '广西壮族自治区'], ['460000', '海南省'],
  ['500000', '重庆市'], ['510000', '四川省'], ['520000', '贵州省'], ['530000', '云南省'], ['540000', '西藏自治区'],
  ['610000', '陕西省'], ['620000', '甘肃省'], ['630000', '青海省'], ['640000', '宁夏回族自治区'],
  ['650000', '新疆维吾尔自治区'],
  ['710000', '台湾省'], ['810000', '香港特别行政区'], ['820000', '澳门特别行政区'],
];

/** 四川省: 18 prefecture-level cities and 3 autonomous prefectures. */
const SICHUAN: [string, string][] = [
  ['510100', '成都市'], ['510300', '自贡市'], ['510400', '攀枝花市'], ['510500', '泸州市'], ['510600', '德阳市'],
  ['510700', '绵阳市'], ['510800', '广元市'], ['510900', '遂宁市'], ['511000', '内江市'], ['511100', '乐山市'],
  ['511300', '南充市'], ['511400', '眉山市'], ['511500', '宜宾市'], ['511600', '广安市'], ['511700', '达州市'],
  ['511800', '雅安市'], ['511900', '巴中市'], ['512000', '资阳市'],
  ['513200', '阿坝藏族羌族自治州'], ['513300', '甘孜藏族自治州'], ['513400', '凉山彝族自治州'],
];

/** 贵州省: 6 prefecture-level cities and 3 autonomous prefectures. */
const GUIZHOU: [string, string][] = [
  ['520100', '贵阳市'], ['520200', '六盘水市'], ['520300', '遵义市'], ['520400', '安顺市'],
  ['520500', '毕节市'], ['520600', '铜仁市'],
  ['522300', '黔西南布依族苗族自治州'], ['522600', '黔东南苗族侗族自治州'], ['522700', '黔南布依族苗族自治州'],
];

/** 云南省: 8 prefecture-level cities and 8 autonomous prefectures. */
const YUNNAN: [string, string][] = [
  ['530100', '昆明市'], ['530300', '曲靖市'], ['530400', '玉溪市'], ['530500', '保山市'],
  ['530600', '昭通市'], ['530700', '丽江市'], ['530800', '普洱市'], ['530900', '临沧市'],
  ['532300', '楚雄彝族自治州'], ['532500', '红河哈尼族彝族自治州'], ['532600', '文山壮族苗族自治州'],
  ['532800', '西双版纳傣族自治州'], ['532900', '大理白族自治州'], ['533100', '德宏傣族景颇族自治州'],
  ['533300', '怒江傈僳族自治州'], ['533400', '迪庆藏族自治州'],
];

/** 陕西省: 10 prefecture-level cities. */
const SHAANXI: [string, string][] = [
  ['610100', '西安市'], ['610200', '铜川市'], ['610300', '宝鸡市'], ['610400', '咸阳市'], ['610500', '渭南市'],
  ['610600', '延安市'], ['610700', '汉中市'], ['610800', '榆林市'], ['610900', '安康市'], ['611000', '商洛市'],
];

/** GB/T 2260 places of household registration (户籍地), sorted by code. */
export const ORIGINS: DictEntry[] = dictionary(
  entries([...PROVINCES, ...SICHUAN, ...GUIZHOU, ...YUNNAN, ...SHAANXI]).sort((a, b) => (a.code < b.code ? -1 : 1)),
);

/** Document types a person may be registered with. */
export const ID_TYPES: DictEntry[] = dictionary([
  { code: 'resident_id', name: '居民身份证' },
  { code: 'passport', name: '护照' },
  { code: 'hk_mo_permit', name: '港澳居民居住证/来往内地通行证' },
  { code: 'tw_permit', name: '台湾居民居住证/来往大陆通行证' },
  { code: 'foreign_permanent_id', name: '外国人永久居留身份证' },
  { code: 'none', name: '无证件' },
]);

const byCode = (dict: readonly DictEntry[]): ReadonlyMap<string, string> => new Map(dict.map((d) => [d.code, d.name]));

/** code → name lookups. */
export const ETHNICITY_BY_CODE = byCode(ETHNICITIES);
export const EDUCATION_BY_CODE = byCode(EDUCATION);
export const ORIGIN_BY_CODE = byCode(ORIGINS);
export const ID_TYPE_BY_CODE = byCode(ID_TYPES);

const lookups = new WeakMap<readonly DictEntry[], ReadonlyMap<string, string>>([
  [ETHNICITIES, ETHNICITY_BY_CODE], [EDUCATION, EDUCATION_BY_CODE], [ORIGINS, ORIGIN_BY_CODE], [ID_TYPES, ID_TYPE_BY_CODE],
]);

/** Whether `code` is in the dictionary (exact match on the code, not the name). */
export function isKnown(dict: readonly DictEntry[], code: string | null | undefined): boolean {
  if (code === null || code === undefined) return false;
  let map = lookups.get(dict);
  if (!map) {
    map = byCode(dict);
    lookups.set(dict, map);
  }
  return map.has(code);
}

/**
 * The best known name of a 6-digit GB/T 2260 code: the code itself, else its prefecture
 * (xxxx00), else its province (xx0000). Null for anything else. Only the name of the most
 * specific known level is returned (510107 → 成都市, not 四川省成都市).
 */
export function originName(code: string | null | undefined): string | null {
  if (!code || !/^\d{6}$/.test(code)) return null;
  return ORIGIN_BY_CODE.get(code)
    ?? ORIGIN_BY_CODE.get(`${code.slice(0, 4)}00`)
    ?? ORIGIN_BY_CODE.get(`${code.slice(0, 2)}0000`)
    ?? null;
}

/**
 * 户籍地 as people write it: province and prefecture (四川省广安市), a province-level unit alone
 * (北京市). Any 6-digit code gives the name of its most specific known level (510107 → 四川省成都市).
 */
export function originFullName(code: string | null | undefined): string | null {
  if (!code || !/^\d{6}$/.test(code)) return null;
  const known = [code, `${code.slice(0, 4)}00`, `${code.slice(0, 2)}0000`].find((c) => ORIGIN_BY_CODE.has(c));
  if (!known) return null;
  const province = ORIGIN_BY_CODE.get(`${known.slice(0, 2)}0000`) ?? '';
  return known.endsWith('0000') ? ORIGIN_BY_CODE.get(known)! : `${province}${ORIGIN_BY_CODE.get(known)!}`;
}

/** Every 户籍地 of the dictionary by its full name (四川省广安市), sorted by code: the import template's list. */
export const ORIGIN_FULL_NAMES: DictEntry[] = dictionary(ORIGINS.map((o) => ({ code: o.code, name: originFullName(o.code)! })));

const ORIGIN_BY_TEXT = new Map<string, string>();
for (const o of ORIGINS) ORIGIN_BY_TEXT.set(o.name, o.code);
for (const o of ORIGIN_FULL_NAMES) ORIGIN_BY_TEXT.set(o.name, o.code);
/** Full names, longest first, for prefix matching (四川省广安市岳池县 → 四川省广安市). */
const FULL_NAMES_LONGEST_FIRST = [...ORIGIN_FULL_NAMES].sort((a, b) => b.name.length - a.name.length);

/**
 * The GB/T 2260 code of a 户籍地 as typed: a 6-digit code whose province (or prefecture) is known,
 * a dictionary name (四川省, 广安市), a full name (四川省广安市), or a longer place starting with
 * one (四川省广安市岳池县 → 511600, 重庆市渝中区 → 500000). Undefined when none of these.
 */
export function originCodeOf(text: string): string | undefined {
  const v = text.normalize('NFKC').replace(/\s+/g, '');
  if (/^\d{6}$/.test(v)) return originName(v) ? v : undefined;
  return ORIGIN_BY_TEXT.get(v) ?? FULL_NAMES_LONGEST_FIRST.find((o) => v.startsWith(o.name))?.code;
}
