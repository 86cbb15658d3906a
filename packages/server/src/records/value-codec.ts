/**
 * Field values by type: validation of what a client sends (wrong value for the type →
 * BAD_REQUEST naming the field and the type) and normalisation for storage — INT64
 * becomes an exact decimal string, REFERENCE and LOCATION keep only their known keys.
 */
import { isValidName, type FieldType } from '@coffer/protocol';
import { RawInteger } from '../http/json-output.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LOCATION_KEYS = ['latitude', 'longitude', 'horizontalAccuracy', 'verticalAccuracy', 'altitude', 'speed', 'course', 'timestamp'] as const;
const REFERENCE_ACTIONS = ['NONE', 'DELETE_SELF', 'VALIDATE'];
// CloudKit's asset dictionary keys, plus Coffer's `manifest` (encrypted manifest, base64) and
// `chunkIds` (the chunks the asset needs; checked and referenced on commit, assets/index.ts).
const ASSET_KEYS = ['fileChecksum', 'size', 'referenceChecksum', 'wrappingKey', 'receipt', 'downloadURL', 'manifest', 'chunkIds'];

/** Thrown with the reason; the caller adds which field. */
export class ValueError extends Error {}

export function isListType(type: FieldType): boolean {
  return type.endsWith('_LIST');
}

export function scalarTypeOf(type: FieldType): FieldType {
  return type.replace(/_LIST$/, '') as FieldType;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new ValueError(`${what} has unknown key "${key}"`);
}

function int64(value: unknown): string {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new ValueError('INT64 value must be an integer');
    if (!Number.isSafeInteger(value)) throw new ValueError('INT64 value is beyond 2^53 and lost precision in JSON; send it as a decimal string');
    n = BigInt(value);
  } else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    n = BigInt(value);
  } else {
    throw new ValueError('INT64 value must be an integer (or a decimal string)');
  }
  if (n < INT64_MIN || n > INT64_MAX) throw new ValueError('INT64 value is outside the 64-bit range');
  return n.toString();
}

function scalar(type: FieldType, value: unknown): unknown {
  switch (type) {
    case 'STRING':
    case 'ASSETID':
      if (typeof value !== 'string') throw new ValueError(`${type} value must be a string`);
      return value;
    case 'INT64':
      return int64(value);
    case 'DOUBLE':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValueError('DOUBLE value must be a number');
      return value;
    case 'TIMESTAMP':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValueError('TIMESTAMP value must be an integer number of milliseconds since the epoch');
      return value;
    case 'BYTES':
      if (typeof value !== 'string' || !BASE64.test(value)) throw new ValueError('BYTES value must be a base64 string');
      return value;
    case 'REFERENCE': {
      if (!isPlainObject(value)) throw new ValueError('REFERENCE value must be an object {recordName, zoneID?, action?}');
      onlyKeys(value, ['recordName', 'zoneID', 'action'], 'REFERENCE value');
      if (!isValidName('recordName', value.recordName)) throw new ValueError('REFERENCE value needs a valid recordName');
      const out: Record<string, unknown> = { recordName: value.recordName };
      if (value.zoneID !== undefined) {
        const zoneName = isPlainObject(value.zoneID) ? value.zoneID.zoneName : undefined;
        if (!isPlainObject(value.zoneID) || !(isValidName('zoneName', zoneName) || zoneName === '_defaultZone')) {
          throw new ValueError('REFERENCE zoneID needs a valid zoneName');
        }
        onlyKeys(value.zoneID, ['zoneName', 'ownerRecordName'], 'REFERENCE zoneID');
        out.zoneID = { ...value.zoneID };
      }
      if (value.action !== undefined) {
        if (typeof value.action !== 'string' || !REFERENCE_ACTIONS.includes(value.action)) throw new ValueError(`REFERENCE action must be one of ${REFERENCE_ACTIONS.join(', ')}`);
        out.action = value.action;
      }
      return out;
    }
    case 'LOCATION': {
      if (!isPlainObject(value)) throw new ValueError('LOCATION value must be an object {latitude, longitude, …}');
      onlyKeys(value, LOCATION_KEYS, 'LOCATION value');
      for (const key of Object.keys(value)) {
        if (typeof value[key] !== 'number' || !Number.isFinite(value[key])) throw new ValueError(`LOCATION ${key} must be a number`);
      }
      const lat = value.latitude;
      const lon = value.longitude;
      if (typeof lat !== 'number' || lat < -90 || lat > 90) throw new ValueError('LOCATION latitude must be a number in [-90, 90]');
      if (typeof lon !== 'number' || lon < -180 || lon > 180) throw new ValueError('LOCATION longitude must be a number in [-180, 180]');
      return { ...value };
    }
    case 'ASSET': {
      if (!isPlainObject(value)) throw new ValueError('ASSET value must be an asset dictionary');
      onlyKeys(value, ASSET_KEYS, 'ASSET value');
      for (const key of Object.keys(value)) {
        if (key === 'chunkIds') {
          const ids = value[key];
          if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new ValueError('ASSET chunkIds must be an array of chunk ids');
          continue;
        }
        if (typeof value[key] !== 'string' && typeof value[key] !== 'number') throw new ValueError(`ASSET ${key} must be a string or number`);
      }
      return { ...value, ...(Array.isArray(value.chunkIds) ? { chunkIds: [...(value.chunkIds as string[])] } : {}) };
    }
    default:
      throw new ValueError(`${type} is not a scalar type`);
  }
}

/** Validates `value` against `type` and returns the form storage keeps. */
export function normalizeValue(type: FieldType, value: unknown): unknown {
  if (!isListType(type)) return scalar(type, value);
  if (!Array.isArray(value)) throw new ValueError(`${type} value must be an array`);
  const element = scalarTypeOf(type);
  return value.map((v, i) => {
    try {
      return scalar(element, v);
    } catch (error) {
      throw new ValueError(`element ${i}: ${(error as Error).message}`);
    }
  });
}

function int64Out(decimal: unknown, numbersAsStrings: boolean): unknown {
  const s = String(decimal);
  if (numbersAsStrings) return s;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : new RawInteger(s);
}

/** The wire value of a stored value: INT64 as numbers, or decimal strings under `numbersAsStrings`. */
export function valueForWire(type: FieldType, stored: unknown, numbersAsStrings: boolean): unknown {
  if (type === 'INT64') return int64Out(stored, numbersAsStrings);
  if (type === 'INT64_LIST' && Array.isArray(stored)) return stored.map((v) => int64Out(v, numbersAsStrings));
  return stored;
}

/** Best guess of a type for a field sent without one and not yet in the schema (CloudKit infers types too). */
export function inferType(value: unknown): FieldType | null {
  const one = (v: unknown): FieldType | null => {
    if (typeof v === 'string') return 'STRING';
    if (typeof v === 'number') return Number.isInteger(v) ? 'INT64' : 'DOUBLE';
    if (isPlainObject(v) && 'latitude' in v) return 'LOCATION';
    if (isPlainObject(v) && 'recordName' in v) return 'REFERENCE';
    return null;
  };
  if (!Array.isArray(value)) return one(value);
  const first = value.length > 0 ? one(value[0]) : null;
  return first === null ? null : (`${first}_LIST` as FieldType);
}
