/**
 * @coffer/sdk — the app developer's client for Coffer, shaped like CloudKit JS:
 * `CofferClient` → `container(id)` → `privateDatabase` / `sharedDatabase` /
 * `publicDatabase`; zones; `CofferRecord` with `fields` and device-encrypted
 * `encryptedValues`; queries and change tracking as async iterators; typed errors
 * with automatic backoff. docs/SDK.md is the guide.
 */
export { CofferClient, type CofferClientOptions } from './client.js';
export type { Session, SignInOptions } from './account.js';
export { Container, type ContainerOptions } from './container.js';
export { Database, type SaveOptions, type FetchOptions, type DeleteOptions } from './database.js';
export type { ModifyOptions } from './modify.js';
export { RecordsBatchBuilder, type RecordOrName } from './batch.js';
export type { Query, QueryFilterInput, QueryOptions } from './query.js';
export type { ZoneChangesOptions, DatabaseChangesOptions, RecordZoneChangesRequest } from './changes.js';
export type { ZoneRef } from './zones.js';
export { CofferRecord, type RecordInit, type FieldMap, type ZoneID } from './record.js';
export {
  inferFieldType,
  type FieldValue,
  type ScalarFieldValue,
  type Location,
  type ReferenceValue,
} from './values.js';
export {
  RecordsResult,
  ZonesResult,
  PageIterator,
  type Outcome,
  type RecordZone,
  type QueryPage,
  type ZoneChangesPage,
  type DatabaseChangesPage,
} from './results.js';

// Keys on this device.
export { MemoryKeychain, memoryKeychains, type Keychain, type KeychainFactory, type ServiceKeyEntry, type KeychainDocument } from './keys/keychain.js';
export { FileKeychain, fileKeychains, cofferHome } from './keys/file-keychain.js';
export { appCategory } from './keys/service-keys.js';

// Errors.
export {
  CofferError,
  NetworkError,
  NotSignedInError,
  InvalidFieldError,
  UnencryptableFieldError,
  InvalidArgumentError,
  KeyUnavailableError,
  PartialFailureError,
} from './errors.js';
export {
  ServerError,
  ServerErrorClasses,
  errorFromEnvelope,
  isRetryable,
  AccessDeniedError,
  AtomicError,
  AuthenticationFailedError,
  AuthenticationRequiredError,
  BadRequestError,
  ConflictError,
  ExistsError,
  InternalError,
  NotFoundError,
  QuotaExceededError,
  ThrottledError,
  TryAgainLaterError,
  ValidatingReferenceError,
  ZoneNotFoundError,
  LimitExceededError,
  ChangeTokenExpiredError,
} from './server-errors.js';
/** Tampered, moved or corrupted ciphertext (from the crypto core). */
export { DecryptionError } from '@coffer/crypto';

// Transport.
export type { FetchLike } from './transport/http.js';
export { RetryPolicy, type RetryOptions } from './transport/retry.js';

// Trusted devices, protection modes and recovery (issue 4): `client.devices`,
// `client.protection`, `client.recovery`.
export * from './devices/index.js';
export * from './protection/index.js';
export * from './recovery/index.js';

// Assets (issue 5): `db.uploadAsset`, `db.downloadAsset`, `db.assets()`.
export * from './assets/index.js';
// Drive (issue 5): `new Drive(client)`.
export * from './drive/index.js';
