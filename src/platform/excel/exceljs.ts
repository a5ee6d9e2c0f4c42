import { createRequire } from 'node:module';
import type * as ExcelTypes from 'exceljs';

/**
 * exceljs, with its SAX feeder fixed before any of its modules load.
 *
 * exceljs 4.4 decodes every inflated zip chunk to text on its own (lib/utils/parse-sax.js), so a
 * UTF-8 character split across two chunks turns into U+FFFD on both sides (exceljs#2063) — in
 * Chinese imports that is one corrupted name every few hundred rows. The replacement keeps one
 * streaming TextDecoder per part, which carries an incomplete character over to the next chunk.
 * Everything in Jiedao imports exceljs from here, never from 'exceljs' directly.
 */
const require = createRequire(import.meta.url);
const parseSaxPath = require.resolve('exceljs/lib/utils/parse-sax.js');
if (!require.cache[parseSaxPath]) {
  // saxes as exceljs itself resolves it (its own dependency).
  const { SaxesParser } = createRequire(parseSaxPath)('saxes') as typeof import('saxes');
  type SaxEvent = { eventType: 'opentag' | 'text' | 'closetag'; value: unknown };
  async function* parseSax(iterable: AsyncIterable<Buffer | string>): AsyncGenerator<SaxEvent[]> {
    const parser = new SaxesParser();
    const decoder = new TextDecoder('utf-8');
    let error: Error | undefined;
    let events: SaxEvent[] = [];
    parser.on('error', (err) => { error = err; });
    parser.on('opentag', (value) => events.push({ eventType: 'opentag', value }));
    parser.on('text', (value) => events.push({ eventType: 'text', value }));
    parser.on('closetag', (value) => events.push({ eventType: 'closetag', value }));
    for await (const chunk of iterable) {
      parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      if (error) throw error;
      yield events;
      events = [];
    }
    const rest = decoder.decode();
    if (rest) {
      parser.write(rest);
      if (error) throw error;
      yield events;
    }
  }
  const mod = new (require('node:module') as typeof import('node:module') & { new (id: string): NodeJS.Module })(parseSaxPath);
  mod.filename = parseSaxPath;
  mod.loaded = true;
  mod.exports = parseSax;
  require.cache[parseSaxPath] = mod;
}

const ExcelJS = require('exceljs') as typeof ExcelTypes;
// The library's types under the same name, so `ExcelJS.Worksheet` reads as with a direct import.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace ExcelJS {
  export type Workbook = ExcelTypes.Workbook;
  export type Worksheet = ExcelTypes.Worksheet;
  export type Row = ExcelTypes.Row;
  export type Cell = ExcelTypes.Cell;
  export type Column = ExcelTypes.Column;
  export type DataValidation = ExcelTypes.DataValidation;
  export type Font = ExcelTypes.Font;
  export type Fill = ExcelTypes.Fill;
}
export default ExcelJS;
