/**
 * The standard address of a house (标准地址: 街路巷门牌号 → 栋 → 单元 → 室), one text for every
 * place a house is named: lists and cards in the web app, exports, and the 房屋地址 of an import,
 * which is matched against it — so an exported address imports back to the same house.
 */
export interface HouseAddressParts {
  address: string | null;
  building?: string | null;
  unit_no?: string | null;
  room?: string | null;
}

const BUILDING_SUFFIXES = ['号楼', '栋', '幢', '座', '楼'];
const UNIT_SUFFIXES = ['单元'];
const ROOM_SUFFIXES = ['号房', '室', '房', '号'];

const withSuffix = (v: string | null | undefined, suffixes: string[], suffix: string): string => {
  const s = (v ?? '').trim();
  if (!s) return '';
  return suffixes.some((x) => s.endsWith(x)) ? s : `${s}${suffix}`;
};

/** "蜀汉路88号" + 2 / 1 / 402 → "蜀汉路88号2栋1单元402室"; a part already written with its word keeps it (12幢). */
export function formatHouseAddress(h: HouseAddressParts): string | null {
  const street = (h.address ?? '').trim();
  if (!street) return null;
  return `${street}${withSuffix(h.building, BUILDING_SUFFIXES, '栋')}${withSuffix(h.unit_no, UNIT_SUFFIXES, '单元')}${withSuffix(h.room, ROOM_SUFFIXES, '室')}`;
}

/** The text an address is compared by: full-width forms folded (ＡＢ１２ → AB12), no spaces. */
export const addressKey = (text: string): string => text.normalize('NFKC').replace(/\s+/g, '');

const PART = '[0-9A-Za-z一二三四五六七八九十甲乙丙丁-]+';
/** Street, then optional building, unit and room; a bare room number counts only after a building or unit (3单元504). */
const FULL = new RegExp(`^(.+?)(?:(${PART})(号楼|栋|幢|座))?(?:(${PART})单元)?(?:([0-9A-Za-z-]+)(号房|室|房)|(?<=单元|号楼|栋|幢|座)([0-9A-Za-z-]+))?$`);

/**
 * A typed full address split into its parts: "蜀汉街25号 12栋 3单元 504室" → street 蜀汉街25号,
 * building 12栋, unit 3单元, room 504室 (each part keeps its word, so formatting it again gives the
 * same text). What cannot be split stays the street part.
 */
export function parseHouseAddress(text: string): { address: string; building: string | null; unit_no: string | null; room: string | null } {
  const key = addressKey(text);
  const m = FULL.exec(key);
  if (!m) return { address: key, building: null, unit_no: null, room: null };
  return {
    address: m[1]!,
    building: m[2] ? `${m[2]}${m[3]}` : null,
    unit_no: m[4] ? `${m[4]}单元` : null,
    room: m[5] ? `${m[5]}${m[6]}` : m[7] ? `${m[7]}室` : null,
  };
}

/** The comparison key of a house's standard address, and of a typed address (both go through the same formatter). */
export const houseKey = (h: HouseAddressParts): string => addressKey(formatHouseAddress(h) ?? '');
export const typedAddressKey = (text: string): string => houseKey(parseHouseAddress(text));
