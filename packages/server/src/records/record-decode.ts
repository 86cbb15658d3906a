/**
 * The record-level part of a records/modify operation: names, change tag, zoneID and
 * protectionInfo. Problems here fail only this record (per-record BAD_REQUEST).
 */
import { randomUUID } from 'node:crypto';
import { Limits, isValidName, type OperationType, type ProtectionInfo } from '@coffer/protocol';
import { recordBadRequest } from './record-error.js';

export interface RecordHead {
  recordName: string;
  recordType: string | undefined;
  changeTag: string | undefined;
  /** The raw `fields` object (decoded field by field later), or undefined. */
  rawFields: Record<string, unknown> | undefined;
  /** undefined: not sent (updates keep the stored one); null: remove. */
  protection: ProtectionInfo | null | undefined;
}

/** Keys CloudKit clients send back from records they fetched; accepted and ignored. */
const IGNORED_KEYS = ['created', 'modified', 'deleted', 'shortGUID', 'pluginFields'];
const KNOWN_KEYS = ['recordName', 'recordType', 'recordChangeTag', 'fields', 'zoneID', 'protectionInfo', ...IGNORED_KEYS];
const MAX_PROTECTION_BYTES = 16 * 1024;

function nameError(what: string, value: unknown, rule: string): never {
  if (typeof value === 'string' && value.length > Limits.nameLength) throw recordBadRequest(`${what} is longer than ${Limits.nameLength} characters`);
  throw recordBadRequest(`${what} is invalid: ${rule}`);
}

function decodeProtection(value: unknown): ProtectionInfo | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw recordBadRequest('protectionInfo must be an object {wrappedRecordKey, zoneKeyVersion}');
  const p = value as Record<string, unknown>;
  if (typeof p.wrappedRecordKey !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(p.wrappedRecordKey)) {
    throw recordBadRequest('protectionInfo.wrappedRecordKey must be a base64 string');
  }
  if (typeof p.zoneKeyVersion !== 'number' || !Number.isSafeInteger(p.zoneKeyVersion) || p.zoneKeyVersion < 1) {
    throw recordBadRequest('protectionInfo.zoneKeyVersion must be a positive integer');
  }
  if (JSON.stringify(p).length > MAX_PROTECTION_BYTES) throw recordBadRequest(`protectionInfo is larger than ${MAX_PROTECTION_BYTES} bytes`);
  return p as unknown as ProtectionInfo;
}

/** The name a per-record error can carry even when the record is malformed. */
export function reportedName(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const name = (raw as Record<string, unknown>).recordName;
  return typeof name === 'string' && name.length <= Limits.nameLength ? name : undefined;
}

export function decodeRecordHead(raw: Record<string, unknown>, operationType: OperationType, zoneName: string): RecordHead {
  for (const key of Object.keys(raw)) {
    if (key === 'parent' || key === 'share') throw recordBadRequest(`record ${key} is not supported yet (sharing lands in a later release)`);
    if (!KNOWN_KEYS.includes(key)) throw recordBadRequest(`record has unknown key "${key}"`);
  }
  let recordName = raw.recordName;
  if (recordName === undefined && operationType === 'create') recordName = randomUUID().toUpperCase();
  if (!isValidName('recordName', recordName)) nameError('recordName', recordName, 'use 1–255 printable ASCII characters');

  const recordType = raw.recordType;
  if (recordType !== undefined && !isValidName('recordType', recordType)) {
    nameError('recordType', recordType, 'use a letter followed by letters, digits or _');
  }
  const changeTag = raw.recordChangeTag;
  if (changeTag !== undefined && (typeof changeTag !== 'string' || changeTag.length > 64)) throw recordBadRequest('recordChangeTag must be a string');

  const zoneID = raw.zoneID;
  if (zoneID !== undefined) {
    const name = typeof zoneID === 'object' && zoneID !== null ? (zoneID as Record<string, unknown>).zoneName : undefined;
    if (name !== zoneName) throw recordBadRequest('record zoneID differs from the request zoneID; send one request per zone');
  }

  const fields = raw.fields;
  if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) throw recordBadRequest('fields must be an object');
  if (fields !== undefined && Object.keys(fields).length > Limits.fieldsPerRecord) {
    throw recordBadRequest(`a record may have at most ${Limits.fieldsPerRecord} fields`);
  }
  return {
    recordName,
    recordType,
    changeTag,
    rawFields: fields as Record<string, unknown> | undefined,
    protection: raw.protectionInfo === undefined ? undefined : decodeProtection(raw.protectionInfo),
  };
}
