/** Field envelope v1 tamper and transplant detection: every failure is DecryptionError. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decryptField, encryptField, generateKey, keyFromBytes, DecryptionError, type FieldContext } from '../src/index.js';
import { ctx, flip, RUNS, SLOW } from './helpers.js';

const recordKey = generateKey('record');
const envelope = encryptField(recordKey, ctx, 'secret title');
const fails = (f: () => unknown): void => {
  expect(f).toThrow(DecryptionError);
};

describe('field envelope tampering', () => {
  it('every bit of every byte flipped → DecryptionError', () => {
    for (let i = 0; i < envelope.length; i++) {
      for (let bit = 0; bit < 8; bit++) fails(() => decryptField(recordKey, ctx, flip(envelope, i, bit)));
    }
  });
  it('every truncation, an extension and unknown versions → DecryptionError', () => {
    for (let n = 0; n < envelope.length; n++) fails(() => decryptField(recordKey, ctx, envelope.subarray(0, n)));
    fails(() => decryptField(recordKey, ctx, Uint8Array.of(...envelope, 0)));
    for (const v of [0, 2, 0x80, 0xff]) fails(() => decryptField(recordKey, ctx, Uint8Array.of(v, ...envelope.subarray(1))));
  });
  it('fast-check byte mutations of a 1 MB envelope → DecryptionError', () => {
    const big = encryptField(recordKey, ctx, 'x'.repeat(1_000_000));
    fc.assert(fc.property(fc.integer({ min: 0, max: big.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
      const m = big.slice();
      m[i]! ^= x;
      fails(() => decryptField(recordKey, ctx, m));
    }), { numRuns: SLOW ? 500 : 25 });
  });
  it('fast-check multi-byte mutations of small envelopes → DecryptionError', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: envelope.length - 1 }), { minLength: 1, maxLength: 5 }), (idx) => {
      const m = envelope.slice();
      for (const i of idx) m[i]! ^= 0x5a;
      fails(() => decryptField(recordKey, ctx, m));
    }), { numRuns: RUNS });
  });
});

describe('field envelope transplant and replay', () => {
  const moves: [string, Partial<FieldContext>][] = [
    ['another field', { fieldName: 'body' }],
    ['another record', { recordName: 'note-2' }],
    ['another zone', { zoneName: 'Archive' }],
    ['another owner', { ownerRecordName: '_other' }],
    ['another container', { container: 'iCloud.org.evil' }],
    ['the other environment', { environment: 'development' }],
    ['another database', { database: 'shared' }],
    ['the public database', { database: 'public' }],
    ['another type (STRING_LIST)', { fieldType: 'STRING_LIST' }],
    ['another type (BYTES)', { fieldType: 'BYTES' }],
  ];
  it.each(moves)('moved to %s → DecryptionError', (_, change) => {
    fails(() => decryptField(recordKey, { ...ctx, ...change }, envelope));
  });
  it('length-prefixing: shifting characters between context members does not collide', () => {
    const a = { ...ctx, zoneName: 'ab', recordName: 'c' };
    const env = encryptField(recordKey, a, 'v');
    fails(() => decryptField(recordKey, { ...ctx, zoneName: 'a', recordName: 'bc' }, env));
  });
  it('another record key → DecryptionError', () => {
    fails(() => decryptField(generateKey('record'), ctx, envelope));
  });
  it('the same key bytes under another key id or version → DecryptionError', () => {
    fails(() => decryptField(keyFromBytes('record', recordKey.bytes, { id: generateKey('record').id, version: 1 }), ctx, envelope));
    // Rewriting the header's key id to match another key is also caught (the id is in the AD).
    const other = keyFromBytes('record', recordKey.bytes, { id: 'f'.repeat(32), version: 1 });
    const relabelled = envelope.slice();
    relabelled.set(new Uint8Array(16).fill(0xff), 1);
    fails(() => decryptField(other, ctx, relabelled));
  });
  it('the same plaintext in another field does not open here, and vice versa', () => {
    const other = encryptField(recordKey, { ...ctx, fieldName: 'body' }, 'secret title');
    fails(() => decryptField(recordKey, ctx, other));
    expect(decryptField(recordKey, { ...ctx, fieldName: 'body' }, other)).toBe('secret title');
  });
});
