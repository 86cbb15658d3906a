/**
 * Field values: their TypeScript shape per CloudKit type, the canonical binary encoding
 * that field envelopes encrypt (docs/PROTOCOL.md "Value encoding v1"), and conversion
 * to and from the CloudKit JSON wire value. One value has exactly one encoding, so
 * equal values encrypt to equal-length plaintexts and decoding accepts nothing else.
 */
import type { FieldType, FieldWireValue, Location } from '@coffer/protocol';
import { fromBase64, isWellFormedString, toBase64, utf8Encode, utf8Decode } from './bytes.js';
import { ByteReader, ByteWriter } from './encoding.js';
import { FieldTypeError, FormatError } from './errors.js';

/** The TypeScript value of each encryptable scalar type. TIMESTAMP is milliseconds since the epoch (an integer). */
export interface ScalarFieldValues {
  STRING: string;
  INT64: bigint;
  DOUBLE: number;
  TIMESTAMP: number;
  BYTES: Uint8Array;
  LOCATION: Location;
}
export type EncryptableScalarType = keyof ScalarFieldValues;
export type EncryptableFieldType = EncryptableScalarType | `${EncryptableScalarType}_LIST`;
/** The value type of field type `T`: lists are arrays of the scalar. */
export type FieldValueOf<T extends EncryptableFieldType> = T extends `${infer S extends EncryptableScalarType}_LIST`
  ? ScalarFieldValues[S][]
  : T extends EncryptableScalarType
    ? ScalarFieldValues[T]
    : never;
export type FieldValue = { [T in EncryptableFieldType]: FieldValueOf<T> }[EncryptableFieldType];

/** Type tag, first byte of an encoded value. Never renumber. */
const SCALAR_CODE: Readonly<Record<EncryptableScalarType, number>> = {
  STRING: 0x01, INT64: 0x02, DOUBLE: 0x03, TIMESTAMP: 0x04, BYTES: 0x05, LOCATION: 0x06,
};
const LIST_FLAG = 0x80;

/** True for STRING, INT64, DOUBLE, TIMESTAMP, BYTES, LOCATION and their lists. */
export function isEncryptableType(type: string): type is EncryptableFieldType {
  const scalar = type.endsWith('_LIST') ? type.slice(0, -5) : type;
  return Object.hasOwn(SCALAR_CODE, scalar);
}

function split(type: FieldType): { scalar: EncryptableScalarType; list: boolean } {
  if (!isEncryptableType(type)) throw new FieldTypeError(type);
  const list = type.endsWith('_LIST');
  return { scalar: (list ? type.slice(0, -5) : type) as EncryptableScalarType, list };
}

/** The type tag byte of an encryptable type. */
export function typeCode(type: FieldType): number {
  const { scalar, list } = split(type);
  return SCALAR_CODE[scalar] | (list ? LIST_FLAG : 0);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LOCATION_OPTIONAL = ['horizontalAccuracy', 'verticalAccuracy', 'altitude', 'speed', 'course', 'timestamp'] as const;
const LOCATION_KEYS = new Set<string>(['latitude', 'longitude', ...LOCATION_OPTIONAL]);

function bad(type: string, why: string): FormatError {
  return new FormatError(`${type} value: ${why}`);
}

function writeScalar(w: ByteWriter, scalar: EncryptableScalarType, v: unknown): void {
  switch (scalar) {
    case 'STRING':
      if (typeof v !== 'string') throw bad(scalar, 'expected a string');
      // A lone surrogate would become U+FFFD and not round-trip: reject rather than alter data.
      if (!isWellFormedString(v)) throw bad(scalar, 'not well-formed Unicode (lone surrogate)');
      w.bytes(utf8Encode(v));
      return;
    case 'INT64':
      if (typeof v !== 'bigint') throw bad(scalar, 'expected a bigint');
      if (v < INT64_MIN || v > INT64_MAX) throw bad(scalar, 'out of the signed 64-bit range');
      w.i64(v);
      return;
    case 'DOUBLE':
      if (typeof v !== 'number') throw bad(scalar, 'expected a number');
      w.f64(v); // IEEE 754 binary64 BE; -0, ±Infinity kept; every NaN → 0x7ff8000000000000
      return;
    case 'TIMESTAMP':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(scalar, 'expected integer milliseconds since the epoch');
      w.i64(BigInt(v));
      return;
    case 'BYTES':
      if (!(v instanceof Uint8Array)) throw bad(scalar, 'expected a Uint8Array');
      w.bytes(v);
      return;
    case 'LOCATION': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(scalar, 'expected a Location object');
      const loc = v as Record<string, unknown>;
      for (const key of Object.keys(loc)) {
        if (!LOCATION_KEYS.has(key) && loc[key] !== undefined) throw bad(scalar, `unknown property ${JSON.stringify(key)}`);
      }
      if (typeof loc.latitude !== 'number' || typeof loc.longitude !== 'number') throw bad(scalar, 'latitude and longitude must be numbers');
      let mask = 0;
      LOCATION_OPTIONAL.forEach((key, bit) => {
        const x = loc[key];
        if (x === undefined) return;
        if (typeof x !== 'number') throw bad(scalar, `${key} must be a number`);
        mask |= 1 << bit;
      });
      w.f64(loc.latitude).f64(loc.longitude).u8(mask);
      for (const key of LOCATION_OPTIONAL) if (loc[key] !== undefined) w.f64(loc[key] as number);
      return;
    }
  }
}

function readScalar(r: ByteReader, scalar: EncryptableScalarType): ScalarFieldValues[EncryptableScalarType] {
  switch (scalar) {
    case 'STRING': return utf8Decode(r.rest());
    case 'INT64': return r.i64();
    case 'DOUBLE': return r.f64();
    case 'TIMESTAMP': {
      const t = r.i64();
      if (t < BigInt(Number.MIN_SAFE_INTEGER) || t > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(scalar, 'out of safe-integer range');
      return Number(t);
    }
    case 'BYTES': return r.rest();
    case 'LOCATION': {
      const loc: Location = { latitude: r.f64(), longitude: r.f64() };
      const mask = r.u8();
      if (mask >> LOCATION_OPTIONAL.length !== 0) throw bad(scalar, 'unknown optional-field bits');
      LOCATION_OPTIONAL.forEach((key, bit) => {
        if (mask & (1 << bit)) loc[key] = r.f64();
      });
      return loc;
    }
  }
}

/**
 * Canonical encoding: tag byte ‖ scalar encoding, or tag ‖ u32 count ‖ (u32 length ‖ scalar)*.
 * @throws {@link FieldTypeError} for non-encryptable types; {@link FormatError} when `value` does not fit `type`.
 */
export function encodeFieldValue(type: FieldType, value: FieldValue): Uint8Array {
  const { scalar, list } = split(type);
  const w = new ByteWriter(64);
  w.u8(typeCode(type));
  if (!list) {
    writeScalar(w, scalar, value);
    return w.finish();
  }
  if (!Array.isArray(value)) throw bad(type, 'expected an array');
  w.u32(value.length);
  const item = new ByteWriter(64);
  for (const v of value as unknown[]) {
    item.length = 0;
    writeScalar(item, scalar, v);
    w.lp(item.finish());
  }
  return w.finish();
}

/**
 * Inverse of {@link encodeFieldValue}; accepts only canonical encodings.
 * @throws {@link FieldTypeError} for non-encryptable types; {@link FormatError} on a wrong tag or malformed bytes.
 */
export function decodeFieldValue(type: FieldType, bytes: Uint8Array): FieldValue {
  const { scalar, list } = split(type);
  const r = new ByteReader(bytes, `${type} value`);
  if (r.u8() !== typeCode(type)) throw bad(type, 'type tag does not match the field type');
  let value: FieldValue;
  if (!list) {
    value = readScalarExact(r.rest(), scalar);
  } else {
    const count = r.u32();
    if (count > r.remaining / 4) throw bad(type, 'list count exceeds the data');
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(readScalarExact(r.lp(), scalar));
    value = out as FieldValue;
  }
  r.end();
  return value;
}

function readScalarExact(bytes: Uint8Array, scalar: EncryptableScalarType): ScalarFieldValues[EncryptableScalarType] {
  if (scalar === 'STRING') return utf8Decode(bytes);
  const r = new ByteReader(bytes, `${scalar} value`);
  const v = readScalar(r, scalar);
  r.end();
  if (scalar === 'DOUBLE' && Number.isNaN(v) && !isCanonicalNaN(bytes)) throw bad(scalar, 'non-canonical NaN');
  return v;
}

function isCanonicalNaN(bytes: Uint8Array): boolean {
  return bytes.length === 8 && bytes[0] === 0x7f && bytes[1] === 0xf8 && bytes.subarray(2).every((b) => b === 0);
}

// ── CloudKit JSON wire values ─────────────────────────────────────────────────

export interface ToWireOptions {
  /** Always send INT64 as a decimal string (CloudKit's `numbersAsStrings`); default: number when exact, else string. */
  int64AsString?: boolean;
}

function scalarToWire(scalar: EncryptableScalarType, v: unknown, options: ToWireOptions): FieldWireValue {
  const w = new ByteWriter(16);
  writeScalar(w, scalar, v); // validates v against the type
  switch (scalar) {
    case 'INT64': {
      const n = v as bigint;
      return !options.int64AsString && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case 'DOUBLE':
      if (!Number.isFinite(v)) throw bad(scalar, 'NaN and ±Infinity have no JSON wire form');
      return v as number;
    case 'BYTES': return toBase64(v as Uint8Array);
    case 'LOCATION': return { ...(v as Location) };
    default: return v as string | number;
  }
}

/**
 * A field value as CloudKit JSON: STRING → string, INT64 → number (string if beyond ±2^53
 * or `int64AsString`), DOUBLE → number, TIMESTAMP → ms number, BYTES → base64, LOCATION →
 * object, lists → arrays.
 * @throws {@link FieldTypeError} for non-encryptable types; {@link FormatError} when the value does not fit the type
 *   or is a non-finite DOUBLE (JSON has no NaN/Infinity).
 */
export function fieldValueToWire(type: FieldType, value: FieldValue, options: ToWireOptions = {}): FieldWireValue {
  const { scalar, list } = split(type);
  if (!list) return scalarToWire(scalar, value, options);
  if (!Array.isArray(value)) throw bad(type, 'expected an array');
  return (value as unknown[]).map((v) => scalarToWire(scalar, v, options)) as FieldWireValue;
}

function scalarFromWire(scalar: EncryptableScalarType, w: unknown): ScalarFieldValues[EncryptableScalarType] {
  switch (scalar) {
    case 'STRING':
      if (typeof w !== 'string') throw bad(scalar, 'expected a JSON string');
      return w;
    case 'INT64': {
      if (typeof w === 'number') {
        if (!Number.isSafeInteger(w)) throw bad(scalar, 'a JSON number must be a safe integer; send larger values as strings');
        return BigInt(w);
      }
      if (typeof w !== 'string' || !/^-?(0|[1-9][0-9]{0,18})$/.test(w) || w === '-0') throw bad(scalar, 'expected an integer or a decimal string');
      const n = BigInt(w);
      if (n < INT64_MIN || n > INT64_MAX) throw bad(scalar, 'out of the signed 64-bit range');
      return n;
    }
    case 'DOUBLE':
      if (typeof w !== 'number') throw bad(scalar, 'expected a JSON number');
      return w;
    case 'TIMESTAMP':
      if (typeof w !== 'number' || !Number.isSafeInteger(w)) throw bad(scalar, 'expected integer milliseconds');
      return w;
    case 'BYTES':
      if (typeof w !== 'string') throw bad(scalar, 'expected a base64 string');
      return fromBase64(w);
    case 'LOCATION': {
      if (typeof w !== 'object' || w === null || Array.isArray(w)) throw bad(scalar, 'expected an object');
      const src = w as Record<string, unknown>;
      const loc: Record<string, number> = {};
      for (const [key, x] of Object.entries(src)) {
        if (!LOCATION_KEYS.has(key)) throw bad(scalar, `unknown property ${JSON.stringify(key)}`);
        if (typeof x !== 'number') throw bad(scalar, `${key} must be a number`);
        loc[key] = x;
      }
      if (loc.latitude === undefined || loc.longitude === undefined) throw bad(scalar, 'latitude and longitude are required');
      return loc as unknown as Location;
    }
  }
}

/**
 * Parses a CloudKit JSON wire value into a field value (inverse of {@link fieldValueToWire}).
 * @throws {@link FieldTypeError} for non-encryptable types; {@link FormatError} on a value of the wrong shape.
 */
export function fieldValueFromWire(type: FieldType, wire: unknown): FieldValue {
  const { scalar, list } = split(type);
  if (!list) return scalarFromWire(scalar, wire);
  if (!Array.isArray(wire)) throw bad(type, 'expected a JSON array');
  return wire.map((w: unknown) => scalarFromWire(scalar, w)) as FieldValue;
}
