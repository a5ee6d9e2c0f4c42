export {
  readXlsxRows, skipFirst, cellText, ExcelFormatError, ExcelHeaderError,
  type XlsxRow, type CellError, type ReadXlsxOptions,
} from './reader.js';
export {
  writeTemplate, writeErrorFile, streamXlsxExport,
  type TemplateColumn, type ErrorFileRow, type ExportColumn, type CellValue,
} from './writer.js';
