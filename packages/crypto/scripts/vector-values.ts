/**
 * JSON representation of field values in test vectors (shared by the generator and the
 * tests). JSON cannot carry bigint, bytes, NaN, ±Infinity or −0, so:
 * INT64 → decimal string, DOUBLE → 16 hex digits of the IEEE 754 bits (big-endian),
 * BYTES → hex, LOCATION → object of finite numbers, STRING/TIMESTAMP as is; lists → arrays.
 */
import type { FieldType, Location } from '@coffer/protocol';
import { fromHex, toHex, type FieldValue } from '../src/index.js';

function scalarOf(type: FieldType): string {
  return type.endsWith('_LIST') ? type.slice(0, -5) : type;
}

function doubleToHex(x: number): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x);
  return toHex(b);
}

function doubleFromHex(h: string): number {
  return new DataView(fromHex(h).buffer).getFloat64(0);
}

function scalarToJson(scalar: string, v: unknown): unknown {
  switch (scalar) {
    case 'INT64': return (v as bigint).toString();
    case 'DOUBLE': return doubleToHex(v as number);
    case 'BYTES': return toHex(v as Uint8Array);
    default: return v;
  }
}

function scalarFromJson(scalar: string, j: unknown): unknown {
  switch (scalar) {
    case 'INT64': return BigInt(j as string);
    case 'DOUBLE': return doubleFromHex(j as string);
    case 'BYTES': return fromHex(j as string);
    case 'LOCATION': return { ...(j as Location) };
    default: return j;
  }
}

export function valueToJson(type: FieldType, value: FieldValue): unknown {
  const s = scalarOf(type);
  return Array.isArray(value) ? (value as unknown[]).map((v) => scalarToJson(s, v)) : scalarToJson(s, value);
}

export function valueFromJson(type: FieldType, json: unknown): FieldValue {
  const s = scalarOf(type);
  return (type.endsWith('_LIST') ? (json as unknown[]).map((j) => scalarFromJson(s, j)) : scalarFromJson(s, json)) as FieldValue;
}
