export {
  MAX_FILE_BYTES, MAX_SPREADSHEET_BYTES, MAX_GENERATED_BYTES, MAX_UPLOAD_BYTES, MIME, sniffMime, fileTooLarge, configureFileStore, fileStoreDir, storeFile, openFile, attachFile,
  registerFileAccess, mayReadFile, contentDisposition, storedFilePath, legacyFilePath, fileExpired, VERIFY_BEFORE_SEND_BYTES,
  type AllowedKind, type StoredFile, type StoreFileInput, type OpenedFile, type FileAccessCheck,
} from './service.js';
export { FileIntegrityError, SEALED_MAGIC } from './sealed.js';
export { encryptLegacyFiles } from './legacy.js';
export { expireTransientFiles, fileRetentionSchedule, fileStoreModule, FILE_RETENTION_SCHEDULE, TRANSIENT_OWNER_KINDS } from './retention.js';
export { receiveUpload, type Upload } from './upload.js';
export { fileRoutes } from './routes.js';
