export {
  MAX_FILE_BYTES, MAX_SPREADSHEET_BYTES, MAX_GENERATED_BYTES, MAX_UPLOAD_BYTES, MIME, sniffMime, fileTooLarge, configureFileStore, fileStoreDir, storeFile, openFile, attachFile,
  registerFileAccess, mayReadFile, contentDisposition,
  type AllowedKind, type StoredFile, type StoreFileInput, type OpenedFile, type FileAccessCheck,
} from './service.js';
export { receiveUpload, type Upload } from './upload.js';
export { fileRoutes } from './routes.js';
