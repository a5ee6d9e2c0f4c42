import { describe, expect, it } from 'vitest';
import { formatHouseAddress, parseHouseAddress, typedAddressKey, houseKey } from './address.js';

/** The standard address (街路巷门牌号 → 栋 → 单元 → 室): one formatter for lists, exports and imports. */
describe('standard address', () => {
  it('formats street, building, unit and room; a part written with its word keeps it', () => {
    expect(formatHouseAddress({ address: '蜀汉路88号', building: '2', unit_no: '1', room: '402' })).toBe('蜀汉路88号2栋1单元402室');
    expect(formatHouseAddress({ address: '蜀汉路88号', building: '3号楼', unit_no: '2单元', room: '1201室' })).toBe('蜀汉路88号3号楼2单元1201室');
    expect(formatHouseAddress({ address: '蜀汉路88号', building: 'A座', unit_no: null, room: null })).toBe('蜀汉路88号A座');
    expect(formatHouseAddress({ address: '蜀汉路88号', building: null, unit_no: null, room: null })).toBe('蜀汉路88号');
    expect(formatHouseAddress({ address: null })).toBeNull();
  });

  it('a typed full address is split into its parts, spaces and full-width digits allowed', () => {
    expect(parseHouseAddress('蜀汉街25号 12栋 3单元 504室')).toEqual({ address: '蜀汉街25号', building: '12栋', unit_no: '3单元', room: '504室' });
    expect(parseHouseAddress('蜀汉街25号12栋3单元504')).toEqual({ address: '蜀汉街25号', building: '12栋', unit_no: '3单元', room: '504室' });
    expect(parseHouseAddress('武侯祠大街 ２６４ 号 A座 1001室')).toEqual({ address: '武侯祠大街264号', building: 'A座', unit_no: null, room: '1001室' });
    expect(parseHouseAddress('蜀汉街25')).toEqual({ address: '蜀汉街25', building: null, unit_no: null, room: null });
    expect(parseHouseAddress('洗面桥横街8号附1号')).toEqual({ address: '洗面桥横街8号附1号', building: null, unit_no: null, room: null });
  });

  it('a typed address and the house it names compare equal', () => {
    const house = { address: '蜀汉街25号', building: '12', unit_no: '3', room: '504' };
    for (const typed of ['蜀汉街25号 12栋 3单元 504室', '蜀汉街25号12栋3单元504室', '蜀汉街25号12栋3单元504']) expect(typedAddressKey(typed)).toBe(houseKey(house));
    expect(typedAddressKey('蜀汉街25号12栋3单元505室')).not.toBe(houseKey(house));
  });
});
