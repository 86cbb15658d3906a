import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, constantTimeEqual, fromBase64, fromHex, randomBytes, toBase64, toHex, utf8Decode, utf8Encode, FormatError } from '../src/index.js';
import { RUNS } from './helpers.js';

describe('byte encodings', () => {
  it('base64 and hex round-trip and match Node’s encoders', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect(toHex(b)).toBe(Buffer.from(b).toString('hex'));
      expect(fromBase64(toBase64(b))).toEqual(b);
      expect(fromHex(toHex(b))).toEqual(b);
    }), { numRuns: RUNS });
  });
  it('base64 decoding is strict: length, alphabet, padding bits', () => {
    for (const bad of ['A', 'AB=', 'AB*=', 'QR==', 'QUJ=', '====', 'YQ=a', 'Y Q==']) expect(() => fromBase64(bad), bad).toThrow(FormatError);
    expect(fromBase64('')).toEqual(new Uint8Array(0));
  });
  it('hex decoding rejects odd lengths and non-hex characters', () => {
    expect(() => fromHex('abc')).toThrow(FormatError);
    expect(() => fromHex('zz')).toThrow(FormatError);
    expect(fromHex('ABcd')).toEqual(new Uint8Array([0xab, 0xcd]));
  });
  it('utf8Decode is strict and keeps a BOM', () => {
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(FormatError);
    expect(utf8Decode(utf8Encode('\uFEFFx'))).toBe('\uFEFFx');
  });
  it('constantTimeEqual and concatBytes', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
  });
  it('randomBytes fills more than one getRandomValues call', () => {
    const r = randomBytes(70_000);
    expect(r.length).toBe(70_000);
    expect(r.subarray(65_536).some((b) => b !== 0)).toBe(true);
  });
});
