/** A stored record → CloudKit record JSON. */
import type { FieldType, FieldWire, RecordWire, ZoneIDWire } from '@coffer/protocol';
import type { StoredRecord } from '@coffer/storage';
import { valueForWire } from './value-codec.js';

export interface EncodeOptions {
  zoneID: ZoneIDWire;
  /** Only these fields (CloudKit `desiredKeys`); all when undefined. */
  desiredKeys?: readonly string[] | undefined;
  numbersAsStrings: boolean;
  /** Plaintext the escrow opened for a plain client, by field name. */
  opened?: Record<string, unknown>;
}

export function encodeRecord(record: StoredRecord, options: EncodeOptions): RecordWire {
  const base: RecordWire = {
    recordName: record.recordName,
    recordType: record.recordType,
    recordChangeTag: record.changeTag,
    zoneID: options.zoneID,
  };
  const stamps = {
    created: { timestamp: record.created.at, userRecordName: record.created.by, deviceID: record.created.device },
    modified: { timestamp: record.modified.at, userRecordName: record.modified.by, deviceID: record.modified.device },
  };
  if (record.deleted) return { ...base, deleted: true, modified: stamps.modified };

  const wanted = options.desiredKeys ? new Set(options.desiredKeys) : null;
  const fields: Record<string, FieldWire> = {};
  for (const [name, field] of Object.entries(record.fields)) {
    if (wanted && !wanted.has(name)) continue;
    const type = field.type as FieldType;
    if (field.encrypted) {
      const plain = options.opened?.[name];
      fields[name] =
        plain === undefined
          ? { type, isEncrypted: true, ciphertext: field.ciphertext }
          : { value: valueForWire(type, plain, options.numbersAsStrings) as FieldWire['value'], type, isEncrypted: true };
    } else {
      fields[name] = { value: valueForWire(type, field.value, options.numbersAsStrings) as FieldWire['value'], type };
    }
  }
  const wire: RecordWire = { ...base, fields, ...stamps, deleted: false };
  if (record.protection !== null && record.protection !== undefined) wire.protectionInfo = record.protection as RecordWire['protectionInfo'];
  return wire;
}
