import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pad, padmeLength, unpad, FormatError } from '../src/index.js';
import { RUNS } from './helpers.js';

describe('Padmé padding', () => {
  it('never shrinks, overhead ≤ 12%, and is idempotent', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
      const p = padmeLength(n);
      expect(p).toBeGreaterThanOrEqual(n);
      expect(p - n).toBeLessThanOrEqual(Math.max(0, n * 0.12));
      expect(padmeLength(p)).toBe(p);
    }), { numRuns: RUNS * 10 });
  });
  it('leaks only O(log log n) bits: few distinct sizes per power of two', () => {
    const sizes = new Set<number>();
    for (let n = 2 ** 20; n < 2 ** 21; n += 7) sizes.add(padmeLength(n));
    expect(sizes.size).toBeLessThanOrEqual(33); // E = 20, S = 5: 2^S buckets, plus 2^21 itself
  });
  it('pad/unpad round-trip with and without a minimum', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(0, 32, 100), (d, min) => {
      const p = pad(d, min);
      expect(p.length).toBe(padmeLength(Math.max(d.length + 4, min)));
      expect(unpad(p, min)).toEqual(d);
    }), { numRuns: RUNS });
  });
  it('unpad accepts only the exact output of pad', () => {
    const p = pad(new Uint8Array([1, 2, 3]), 32);
    const nonzero = p.slice();
    nonzero[31] = 1;
    expect(() => unpad(nonzero, 32)).toThrow(FormatError);
    const longer = p.slice();
    longer[3] = 30; // claims 30 bytes: the total would differ
    expect(() => unpad(longer, 32)).toThrow(FormatError);
    expect(() => unpad(p, 0)).toThrow(FormatError); // wrong minimum → wrong total
    expect(() => unpad(new Uint8Array(3))).toThrow(FormatError);
    expect(() => unpad(p.subarray(0, 31), 32)).toThrow(FormatError);
  });
});
