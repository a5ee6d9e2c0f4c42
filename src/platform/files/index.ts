export {
  MAX_FILE_BYTES, MIME, sniffMime, fileTooLarge, configureFileStore, fileStoreDir, storeFile, openFile, attachFile,
  registerFileAccess, mayReadFile, contentDisposition,
  type AllowedKind, type StoredFile, type StoreFileInput, type OpenedFile, type FileAccessCheck,
} from './service.js';
export { fileRoutes } from './routes.js';
