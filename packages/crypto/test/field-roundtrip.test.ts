/** Field envelope v1 and the canonical value encoding: round trips for every type, edge values, misuse errors. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FieldType } from '@coffer/protocol';
import {
  decodeFieldValue, decryptField, encodeFieldValue, encryptField, generateKey, inspectFieldEnvelope,
  FieldTypeError, FormatError, KeyHierarchyError, type FieldValue,
} from '../src/index.js';
import { ctx, RUNS } from './helpers.js';
import { encryptableTypes, typedValue } from './field-arbitraries.js';

const recordKey = generateKey('record');
const roundTrip = (fieldType: FieldType, value: FieldValue): FieldValue => {
  const c = { ...ctx, fieldType };
  return decryptField(recordKey, c, encryptField(recordKey, c, value));
};

describe('field round trips', () => {
  it('every encryptable type, fast-check values (encoding and envelope)', () => {
    fc.assert(fc.property(typedValue, ([type, value]) => {
      expect(decodeFieldValue(type, encodeFieldValue(type, value))).toEqual(value);
      expect(roundTrip(type, value)).toEqual(value);
    }), { numRuns: RUNS * 3 });
  });

  it('empty values and empty lists of every type', () => {
    expect(roundTrip('STRING', '')).toBe('');
    expect(roundTrip('BYTES', new Uint8Array(0))).toEqual(new Uint8Array(0));
    for (const t of encryptableTypes.filter((x) => x.endsWith('_LIST'))) expect(roundTrip(t, [] as FieldValue)).toEqual([]);
  });

  it('maximal values: 1 MB string and bytes, INT64 bounds, safe-integer timestamps, long lists', () => {
    const big = 'é🔐a'.repeat(150_000); // 1.05 MB of UTF-8
    expect(roundTrip('STRING', big)).toBe(big);
    const bytes = new Uint8Array(1_000_000).map((_, i) => i * 31);
    expect(roundTrip('BYTES', bytes)).toEqual(bytes);
    expect(roundTrip('INT64', -(2n ** 63n))).toBe(-(2n ** 63n));
    expect(roundTrip('INT64', 2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    expect(roundTrip('TIMESTAMP', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(roundTrip('TIMESTAMP', Number.MIN_SAFE_INTEGER)).toBe(Number.MIN_SAFE_INTEGER);
    const ints = Array.from({ length: 10_000 }, (_, i) => BigInt(i) * 3n ** 30n);
    expect(roundTrip('INT64_LIST', ints)).toEqual(ints);
  });

  it('special doubles keep their identity: NaN, ±Infinity, −0, subnormals', () => {
    for (const d of [NaN, Infinity, -Infinity, -0, 0, Number.MIN_VALUE, -Number.MAX_VALUE]) {
      expect(Object.is(roundTrip('DOUBLE', d), d), String(d)).toBe(true);
    }
    expect(Object.is((roundTrip('DOUBLE_LIST', [-0, NaN]) as number[])[0], -0)).toBe(true);
  });

  it('LOCATION keeps exactly the optional fields given', () => {
    const loc = { latitude: 1.5, longitude: -2, altitude: 0, timestamp: 1_700_000_000_000 };
    expect(roundTrip('LOCATION', loc)).toEqual(loc);
    expect(Object.keys(roundTrip('LOCATION', { latitude: 0, longitude: 0 }) as object)).toEqual(['latitude', 'longitude']);
  });

  it('the envelope names its record key', () => {
    const env = encryptField(recordKey, ctx, 'x');
    expect(inspectFieldEnvelope(env)).toEqual({ version: 1, keyId: recordKey.id });
  });

  it('encryption is randomised: same value, different envelopes', () => {
    expect(encryptField(recordKey, ctx, 'same')).not.toEqual(encryptField(recordKey, ctx, 'same'));
  });
});

describe('padding of field plaintexts', () => {
  it('all values up to 27 bytes of encoding have the same envelope size (32-byte minimum)', () => {
    const sizes = new Set<number>();
    for (let n = 0; n <= 27; n++) sizes.add(encryptField(recordKey, ctx, 'a'.repeat(n)).length);
    sizes.add(encryptField(recordKey, { ...ctx, fieldType: 'INT64' }, 5n).length);
    sizes.add(encryptField(recordKey, { ...ctx, fieldType: 'DOUBLE' }, 5).length);
    expect([...sizes]).toEqual([17 + 12 + 32 + 16]);
  });
  it('longer values are padded to Padmé buckets (≤ 12% overhead)', () => {
    const len = (n: number): number => encryptField(recordKey, ctx, 'a'.repeat(n)).length - 45;
    expect(len(1000)).toBe(1024); // 4 + 1 + 1000 = 1005; E = 9, S = 4 → multiples of 32
    expect(len(1019)).toBe(1024);
    expect(len(1020)).toBe(1088); // 1025: E = 10, S = 4 → multiples of 64
    expect(len(100_000) / 100_005).toBeLessThan(1.12);
  });
});

describe('canonical encoding is strict', () => {
  it('rejects a wrong tag, trailing bytes, truncation and non-canonical NaN', () => {
    const e = encodeFieldValue('INT64', 1n);
    expect(() => decodeFieldValue('DOUBLE', e)).toThrow(FormatError);
    expect(() => decodeFieldValue('INT64', Uint8Array.of(...e, 0))).toThrow(FormatError);
    expect(() => decodeFieldValue('INT64', e.subarray(0, 8))).toThrow(FormatError);
    expect(() => decodeFieldValue('DOUBLE', Uint8Array.of(3, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1))).toThrow(FormatError);
    expect(() => decodeFieldValue('STRING', Uint8Array.of(1, 0xff))).toThrow(FormatError);
    expect(() => decodeFieldValue('STRING_LIST', Uint8Array.of(0x81, 0xff, 0xff, 0xff, 0xff))).toThrow(FormatError);
    expect(() => decodeFieldValue('LOCATION', Uint8Array.of(6, ...new Uint8Array(16), 0x40))).toThrow(FormatError);
  });
  it('every NaN encodes to the same bytes', () => {
    const other = new DataView(new ArrayBuffer(8));
    other.setUint32(0, 0x7ff00000);
    other.setUint32(4, 1); // a signalling-NaN payload
    expect(encodeFieldValue('DOUBLE', other.getFloat64(0))).toEqual(encodeFieldValue('DOUBLE', NaN));
  });
});

describe('misuse is a typed error', () => {
  it('REFERENCE, ASSET, ASSETID and their lists are never field-encrypted', () => {
    for (const t of ['REFERENCE', 'ASSET', 'ASSETID', 'REFERENCE_LIST', 'ASSET_LIST', 'ASSETID_LIST'] as FieldType[]) {
      expect(() => encryptField(recordKey, { ...ctx, fieldType: t }, 'x')).toThrow(FieldTypeError);
      expect(() => decryptField(recordKey, { ...ctx, fieldType: t }, new Uint8Array(80))).toThrow(FieldTypeError);
    }
  });
  it('only record keys encrypt fields', () => {
    expect(() => encryptField(generateKey('zone'), ctx, 'x')).toThrow(KeyHierarchyError);
  });
  it('values that do not fit the type', () => {
    const bad: [FieldType, unknown][] = [
      ['STRING', 5], ['STRING', 'lone \uD800 surrogate'], ['INT64', 5], ['INT64', 2n ** 63n], ['DOUBLE', '1'],
      ['TIMESTAMP', 1.5], ['TIMESTAMP', 2 ** 60], ['BYTES', [1, 2]], ['LOCATION', { latitude: 1 }],
      ['LOCATION', { latitude: 1, longitude: 2, extra: 3 }], ['LOCATION', { latitude: 1, longitude: 2, speed: '3' }],
      ['STRING_LIST', 'x'], ['INT64_LIST', [1n, 2]],
    ];
    for (const [t, v] of bad) expect(() => encryptField(recordKey, { ...ctx, fieldType: t }, v as FieldValue), `${t} ${String(v)}`).toThrow(FormatError);
  });
  it('context strings must be well-formed (no U+FFFD collisions)', () => {
    expect(() => encryptField(recordKey, { ...ctx, recordName: 'a\uDC00' }, 'x')).toThrow(FormatError);
  });
});
