import type { Selectable } from 'kysely';
import type { RecordsTable } from './record-tables.js';
import type { StoredFields, StoredRecord } from './record-types.js';

export function toStoredRecord(row: Selectable<RecordsTable>): StoredRecord {
  return {
    recordName: row.record_name,
    recordType: row.record_type,
    changeTag: row.change_tag,
    changeSeq: row.change_seq,
    deleted: row.deleted === 1,
    fields: JSON.parse(row.fields) as StoredFields,
    protection: row.protection === null ? null : (JSON.parse(row.protection) as unknown),
    size: row.size,
    created: { at: row.created_at, by: row.created_by, device: row.created_device },
    modified: { at: row.modified_at, by: row.modified_by, device: row.modified_device },
  };
}

/** Bytes a record is charged: its fields and protectionInfo as stored (assets excluded — they are not stored here). */
export function recordSize(fieldsJson: string, protectionJson: string | null): number {
  return Buffer.byteLength(fieldsJson, 'utf8') + (protectionJson === null ? 0 : Buffer.byteLength(protectionJson, 'utf8'));
}

/** Change tags are opaque to clients; the base-36 sequence number is unique per database and new on every write. */
export function changeTagFor(seq: number): string {
  return seq.toString(36);
}
