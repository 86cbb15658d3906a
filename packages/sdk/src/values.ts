/**
 * Typed field values on the device and their plaintext wire form.
 *
 * | wire type  | value you write              | value you read |
 * |------------|------------------------------|----------------|
 * | STRING     | string                       | string         |
 * | INT64      | bigint or a safe integer     | bigint         |
 * | DOUBLE     | number                       | number         |
 * | TIMESTAMP  | Date or ms since the epoch   | Date           |
 * | BYTES      | Uint8Array                   | Uint8Array     |
 * | LOCATION   | {latitude, longitude, …}     | Location       |
 * | REFERENCE  | {recordName, zoneID?, action?} | ReferenceValue |
 * | ASSETID    | string (explicit type only)  | string         |
 * | *_LIST     | an array of the above        | an array       |
 *
 * Types are inferred when not declared: string → STRING, bigint → INT64, number →
 * DOUBLE (never INT64: an integer-looking price would otherwise flip the schema type
 * the first time it holds 2.5), Date → TIMESTAMP, Uint8Array → BYTES, and the object
 * shapes above. Declare a type with `record.setType(name, type)` to override.
 */
import type { FieldType, FieldWireValue, Location, ReferenceValue, ScalarFieldType, ScalarWireValue } from '@coffer/protocol';
import { fromBase64, toBase64 } from './base64.js';
import { isCofferAsset, type AssetWireValue, type CofferAsset } from './assets/asset-value.js';
import { InvalidFieldError } from './errors.js';

export type { Location, ReferenceValue } from '@coffer/protocol';

/** A scalar value as the SDK hands it out (ASSET: a `CofferAsset` to save, an `AssetWireValue` when fetched). */
export type ScalarFieldValue = string | number | bigint | Date | Uint8Array | Location | ReferenceValue | CofferAsset | AssetWireValue;
/** Any field value: a scalar or a list of scalars. */
export type FieldValue = ScalarFieldValue | ScalarFieldValue[];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isListType(type: FieldType): boolean {
  return type.endsWith('_LIST');
}

/** `INT64_LIST` → `INT64`. */
export function scalarTypeOf(type: FieldType): ScalarFieldType {
  return (isListType(type) ? type.slice(0, -'_LIST'.length) : type) as ScalarFieldType;
}

/** Infers the wire type of a value; throws `InvalidFieldError` when it cannot. */
export function inferFieldType(name: string, value: unknown): FieldType {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new InvalidFieldError(name, 'cannot infer the type of an empty list: declare it with setType()');
    const first = inferScalarType(name, value[0]);
    for (const element of value) {
      if (inferScalarType(name, element) !== first) throw new InvalidFieldError(name, 'a list must hold values of one type');
    }
    return `${first}_LIST`;
  }
  return inferScalarType(name, value);
}

function inferScalarType(name: string, value: unknown): ScalarFieldType {
  switch (typeof value) {
    case 'string':
      return 'STRING';
    case 'bigint':
      return 'INT64';
    case 'number':
      return 'DOUBLE';
    case 'object':
      if (value instanceof Date) return 'TIMESTAMP';
      if (value instanceof Uint8Array) return 'BYTES';
      if (isCofferAsset(value)) return 'ASSET';
      if (value !== null && 'latitude' in value && 'longitude' in value) return 'LOCATION';
      if (value !== null && 'recordName' in value) return 'REFERENCE';
      break;
    default:
      break;
  }
  throw new InvalidFieldError(name, `cannot infer a field type for ${describeValue(value)}: declare it with setType()`);
}

/**
 * Checks `value` against `type` and returns it in its canonical device form
 * (INT64 → bigint, TIMESTAMP → Date, lists → fresh arrays).
 */
export function normalizeValue(name: string, type: FieldType, value: unknown): FieldValue {
  if (isListType(type)) {
    if (!Array.isArray(value)) throw new InvalidFieldError(name, `${type} needs an array, got ${describeValue(value)}`);
    const scalar = scalarTypeOf(type);
    return value.map((element: unknown) => normalizeScalar(name, scalar, element));
  }
  return normalizeScalar(name, scalarTypeOf(type), value);
}

function normalizeScalar(name: string, type: ScalarFieldType, value: unknown): ScalarFieldValue {
  const bad = (): never => {
    throw new InvalidFieldError(name, `${describeValue(value)} is not a valid ${type}`);
  };
  switch (type) {
    case 'STRING':
    case 'ASSETID':
      return typeof value === 'string' ? value : bad();
    case 'INT64': {
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
      else return bad();
      if (big < INT64_MIN || big > INT64_MAX) throw new InvalidFieldError(name, 'INT64 value out of range');
      return big;
    }
    case 'DOUBLE':
      // JSON has no NaN or ±Infinity, so they could not travel in a plaintext field either.
      return typeof value === 'number' && Number.isFinite(value) ? value : bad();
    case 'TIMESTAMP':
      if (value instanceof Date && Number.isFinite(value.getTime())) return new Date(value.getTime());
      if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
      return bad();
    case 'BYTES':
      return value instanceof Uint8Array ? value : bad();
    case 'LOCATION':
      return isLocation(value) ? { ...value } : bad();
    case 'REFERENCE':
      return isReference(value) ? { ...value } : bad();
    case 'ASSET':
      // A CofferAsset from uploadAsset (sealed by the record codec on save), or a fetched wire value.
      return typeof value === 'object' && value !== null ? (value as ScalarFieldValue) : bad();
  }
}

function isLocation(value: unknown): value is Location {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.latitude === 'number' && typeof v.longitude === 'number';
}

function isReference(value: unknown): value is ReferenceValue {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).recordName === 'string';
}

/** A device value → its plaintext wire value (`{value}` of a field). */
export function valueToWire(name: string, type: FieldType, value: FieldValue): FieldWireValue {
  if (isListType(type)) {
    const scalar = scalarTypeOf(type);
    return (value as ScalarFieldValue[]).map((element) => scalarToWire(name, scalar, element));
  }
  return scalarToWire(name, scalarTypeOf(type), value as ScalarFieldValue);
}

function scalarToWire(name: string, type: ScalarFieldType, value: ScalarFieldValue): ScalarWireValue {
  switch (type) {
    case 'INT64': {
      const big = value as bigint;
      // JSON numbers are doubles: beyond 2^53 a number would silently round, so refuse.
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new InvalidFieldError(name, 'plaintext INT64 beyond ±2^53 cannot travel as a JSON number; store it in encryptedValues or as a STRING');
      }
      return Number(big);
    }
    case 'TIMESTAMP':
      return (value as Date).getTime();
    case 'BYTES':
      return toBase64(value as Uint8Array);
    default:
      return value as ScalarWireValue;
  }
}

/** A plaintext wire value → its device value; throws `InvalidFieldError` on a malformed value. */
export function valueFromWire(name: string, type: FieldType, wire: unknown): FieldValue {
  if (isListType(type)) {
    if (!Array.isArray(wire)) throw new InvalidFieldError(name, `${type} on the wire is not an array`);
    const scalar = scalarTypeOf(type);
    return wire.map((element: unknown) => scalarFromWire(name, scalar, element));
  }
  return scalarFromWire(name, scalarTypeOf(type), wire);
}

function scalarFromWire(name: string, type: ScalarFieldType, wire: unknown): ScalarFieldValue {
  switch (type) {
    case 'INT64':
      if (typeof wire === 'number' && Number.isInteger(wire)) return BigInt(wire);
      // numbersAsStrings responses carry INT64 as decimal strings.
      if (typeof wire === 'string' && /^-?\d+$/.test(wire)) return BigInt(wire);
      break;
    case 'TIMESTAMP':
      if (typeof wire === 'number') return new Date(wire);
      break;
    case 'BYTES':
      if (typeof wire === 'string') {
        try {
          return fromBase64(wire);
        } catch {
          break;
        }
      }
      break;
    default:
      return normalizeScalar(name, type, wire);
  }
  throw new InvalidFieldError(name, `malformed ${type} value on the wire`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'an invalid Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
