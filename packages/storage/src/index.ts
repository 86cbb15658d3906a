/**
 * @coffer/storage — the server's persistence: one Kysely query layer over SQLite
 * (better-sqlite3) or PostgreSQL (pg), migrated on open, with typed repositories.
 * It stores ciphertext and wrapped keys as opaque strings and never does crypto.
 */
export { openStore, type Store, type StoreConfig } from './store.js';
export type { CloudStore } from './cloud-store.js';
export type { DatabaseSchema } from './database-schema.js';
export { dialectKindOf, type DialectKind } from './dialect/dialect-kind.js';
export { migrations, migrateToLatest, MigrationError } from './migrations/index.js';
export { StorageError, isStorageError, type StorageErrorCode } from './errors.js';

export type { DatabasesRepository } from './databases/database-repository.js';
export type { ZonesRepository, ZoneChangesPage, ZoneKeysMerge } from './zones/zone-repository.js';
export type { RecordsRepository, RecordChangesPage } from './records/record-repository.js';
export type { BatchInput, BatchOutcome, BatchResult, WrittenRecord } from './records/record-batch.js';
export { BatchOperationKinds, decide, type BatchOperation, type BatchOperationKind, type BatchErrorCode, type BatchFailure } from './records/record-operation.js';
export { QueryComparators, type QueryComparator, type QueryOperand, type QueryValue, type QueryFilterSpec, type QuerySortSpec, type QueryCursor, type QuerySpec, type QueryPage } from './records/query-types.js';
export { indexColumnOf, indexEntriesOf, type IndexColumn } from './records/field-index.js';
export { DEFAULT_ZONE, type DatabaseRef, type DatabaseInfo, type ZoneInfo, type StoredField, type StoredFields, type StoredRecord, type Stamp, type IndexEntry } from './records/record-types.js';
export type { SchemaRepository, SchemaField, SchemaRecordType, ContainerSchema, PromoteResult } from './schema/schema-repository.js';
export type { ServiceKeysRepository, StoredServiceKey } from './keys/service-key-repository.js';
export type { UsageRepository } from './usage/usage-repository.js';
export type { MetaRepository } from './meta/meta-repository.js';

export * from './accounts/index.js';
export * from './devices/index.js';

export { testBackends, testPgUrl, DEFAULT_TEST_PG_URL, type TestBackend, type TestDatabase, type TestStore } from './testing.js';
