/** FieldValue ↔ CloudKit JSON wire value. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FieldType } from '@coffer/protocol';
import { fieldValueFromWire, fieldValueToWire, FieldTypeError, FormatError } from '../src/index.js';
import { RUNS } from './helpers.js';
import { typedValue } from './field-arbitraries.js';

const hasNonFinite = (v: unknown): boolean =>
  typeof v === 'number' ? !Number.isFinite(v)
    : Array.isArray(v) ? v.some(hasNonFinite)
      : typeof v === 'object' && v !== null && !(v instanceof Uint8Array) ? Object.values(v).some(hasNonFinite) : false;

describe('wire conversion', () => {
  it('round-trips through JSON text for every type (finite DOUBLEs)', () => {
    fc.assert(fc.property(typedValue, ([type, value]) => {
      if (hasNonFinite(value)) return;
      const json = JSON.parse(JSON.stringify(fieldValueToWire(type, value))) as unknown;
      const back = fieldValueFromWire(type, json);
      if (type.startsWith('DOUBLE') || type.startsWith('LOCATION')) {
        // JSON has no −0: it comes back as 0, the only value JSON changes.
        expect(JSON.stringify(back)).toBe(JSON.stringify(value));
      } else expect(back).toEqual(value);
    }), { numRuns: RUNS * 2 });
  });
  it('INT64: numbers when exact, decimal strings beyond ±2^53 or on request', () => {
    expect(fieldValueToWire('INT64', 42n)).toBe(42);
    expect(fieldValueToWire('INT64', 2n ** 60n)).toBe('1152921504606846976');
    expect(fieldValueToWire('INT64', 42n, { int64AsString: true })).toBe('42');
    expect(fieldValueFromWire('INT64', '-9223372036854775808')).toBe(-(2n ** 63n));
    expect(fieldValueFromWire('INT64', 12)).toBe(12n);
  });
  it('BYTES are standard base64, TIMESTAMP ms, LOCATION an object', () => {
    expect(fieldValueToWire('BYTES', new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
    expect(fieldValueToWire('TIMESTAMP_LIST', [1, 2])).toEqual([1, 2]);
    expect(fieldValueToWire('LOCATION', { latitude: 1, longitude: 2 })).toEqual({ latitude: 1, longitude: 2 });
  });
  it('rejects what JSON cannot say and wire values of the wrong shape', () => {
    expect(() => fieldValueToWire('DOUBLE', NaN)).toThrow(FormatError);
    expect(() => fieldValueToWire('DOUBLE_LIST', [1, Infinity])).toThrow(FormatError);
    const bad: [FieldType, unknown][] = [
      ['STRING', 1], ['INT64', 1.5], ['INT64', 2 ** 53], ['INT64', '01'], ['INT64', '-0'], ['INT64', '9223372036854775808'],
      ['INT64', '1e3'], ['DOUBLE', '1'], ['TIMESTAMP', 1.5], ['BYTES', 'not base64!'], ['LOCATION', { latitude: 1 }],
      ['LOCATION', { latitude: 1, longitude: 2, x: 1 }], ['LOCATION', [1, 2]], ['STRING_LIST', 'a'], ['INT64_LIST', [1, 'x']],
    ];
    for (const [t, w] of bad) expect(() => fieldValueFromWire(t, w), `${t} ${JSON.stringify(w)}`).toThrow(FormatError);
  });
  it('non-encryptable types are a FieldTypeError', () => {
    expect(() => fieldValueFromWire('REFERENCE', { recordName: 'x' })).toThrow(FieldTypeError);
    expect(() => fieldValueToWire('ASSETID', 'x')).toThrow(FieldTypeError);
  });
});
