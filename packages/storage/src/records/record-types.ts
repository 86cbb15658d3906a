/**
 * The record area's domain types: what storage keeps and returns. The server maps the
 * CloudKit wire JSON to these (validating values against their types first) and back.
 */

/** Identifies one CloudKit database. The public database has owner ''. */
export interface DatabaseRef {
  container: string;
  environment: 'development' | 'production';
  scope: 'public' | 'private' | 'shared';
  owner: string;
}

export interface Stamp {
  at: number;
  by: string;
  device: string;
}

/**
 * A field as stored. Plaintext fields carry the wire value normalised by the server
 * (INT64 as a decimal string so no precision is lost); encrypted fields carry only the
 * client's (or escrow's) ciphertext, base64, which storage never interprets.
 */
export type StoredField =
  | { type: string; value: unknown; encrypted?: undefined; ciphertext?: undefined }
  | { type: string; encrypted: true; ciphertext: string; value?: undefined };

export type StoredFields = Record<string, StoredField>;

export interface StoredRecord {
  recordName: string;
  recordType: string;
  changeTag: string;
  changeSeq: number;
  deleted: boolean;
  fields: StoredFields;
  /** The record's protectionInfo as the client sent it (JSON value, opaque), or null. */
  protection: unknown;
  size: number;
  created: Stamp;
  modified: Stamp;
}

export interface ZoneInfo {
  id: number;
  databaseId: number;
  zoneName: string;
  incarnation: number;
  atomic: boolean;
  deleted: boolean;
  changeSeq: number;
  /** Opaque JSON value (array of wrapped zone keys) or null. */
  zoneKeys: unknown;
  createdAt: number;
}

export interface DatabaseInfo {
  id: number;
  seq: number;
  historyFloor: number;
}

/** One value of the query index (see record-tables.ts RecordFieldsTable). */
export interface IndexEntry {
  fieldName: string;
  position: number;
  text?: string;
  /** INT64/TIMESTAMP as a decimal string (exact), bound as a 64-bit integer. */
  int?: string;
  real?: number;
}

export const DEFAULT_ZONE = '_defaultZone';
