/**
 * Kysely table types of the record area (migration 0001-records). Booleans are 0/1
 * integers and times are milliseconds since the epoch in BIGINT columns, so both
 * engines store and return the same shapes. JSON documents are TEXT.
 */
import type { Generated } from 'kysely';

/** One CloudKit database: (container, environment, scope, owner). The public database has owner ''. */
export interface DatabasesTable {
  id: Generated<number>;
  container: string;
  environment: string;
  scope: string;
  owner: string;
  /**
   * The database's change counter. Every write transaction takes this row's lock first
   * and allocates sequence numbers from it, so on PostgreSQL commit order equals
   * sequence order and a reader never sees seq N+1 committed before N.
   */
  seq: number;
  /** Tombstones through this sequence are purged: tokens older than it are expired. */
  history_floor: number;
  created_at: number;
}

export interface ZonesTable {
  id: Generated<number>;
  database_id: number;
  zone_name: string;
  /** Bumped when a deleted zone is created again, so sync tokens of the old zone stop working. */
  incarnation: number;
  atomic: number;
  deleted: number;
  /** Last sequence at which the zone or any record in it changed (drives zones/changes). */
  change_seq: number;
  /** Coffer extension: JSON array of WrappedZoneKeyWire, opaque to the server. */
  zone_keys: string | null;
  created_at: number;
}

export interface RecordsTable {
  id: Generated<number>;
  zone_id: number;
  record_name: string;
  record_type: string;
  change_tag: string;
  /** Sequence of the last write; records/changes pages by it. Tombstones keep theirs. */
  change_seq: number;
  deleted: number;
  /** JSON object of StoredField by field name (see record-types.ts). '{}' for tombstones. */
  fields: string;
  /** JSON of the record's protectionInfo (opaque), or null. */
  protection: string | null;
  /** Bytes charged to the quota for this record (its fields and protectionInfo). */
  size: number;
  created_at: number;
  created_by: string;
  created_device: string;
  modified_at: number;
  modified_by: string;
  modified_device: string;
}

/**
 * The query index: one row per plaintext scalar value (one per element for lists), with
 * the value in the typed column that compares it correctly — v_int for INT64/TIMESTAMP,
 * v_real for DOUBLE, v_text for STRING/BYTES/REFERENCE/ASSETID. Encrypted fields never
 * get rows: the server has no plaintext to index.
 */
export interface RecordFieldsTable {
  record_id: number;
  zone_id: number;
  record_type: string;
  field_name: string;
  /** Position in a list; 0 for scalars. */
  position: number;
  v_text: string | null;
  v_int: number | bigint | string | null;
  v_real: number | null;
}

export interface SchemaTypesTable {
  container: string;
  environment: string;
  record_type: string;
  created_at: number;
}

export interface SchemaFieldsTable {
  container: string;
  environment: string;
  record_type: string;
  field_name: string;
  field_type: string;
  encrypted: number;
  /** 1 when the field is queryable: its plaintext values are kept in record_fields. */
  indexed: Generated<number>;
  created_at: number;
}

/** Bytes stored per quota subject (`user:<name>` or `public:<container>:<environment>`). */
export interface UsageTable {
  subject: string;
  bytes: number;
}

/** Service keys as wrapped blobs (Coffer extension, see protocol keys.ts). */
export interface ServiceKeysTable {
  owner: string;
  key_id: string;
  version: number;
  category: string;
  wrapped_by_keychain: string | null;
  escrow_sealed: string | null;
  created_at: number;
  updated_at: number;
}

/** Small server-wide values, e.g. the HMAC key for sync tokens. */
export interface ServerMetaTable {
  key: string;
  value: string;
}

export interface RecordTables {
  databases: DatabasesTable;
  zones: ZonesTable;
  records: RecordsTable;
  record_fields: RecordFieldsTable;
  schema_types: SchemaTypesTable;
  schema_fields: SchemaFieldsTable;
  usage: UsageTable;
  service_keys: ServiceKeysTable;
  server_meta: ServerMetaTable;
}
