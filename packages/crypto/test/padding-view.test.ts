/** unpadView: unpad's checks without its copy (the restore path unpads into recycled buffers). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, pad, unpad, unpadView } from '../src/index.js';
import { RUNS } from './helpers.js';

describe('unpadView', () => {
  it('returns the same bytes as unpad, as a view sharing the padded buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(0, 32, 100), (d, min) => {
      const p = pad(d, min);
      const view = unpadView(p, min);
      expect(view).toEqual(unpad(p, min));
      expect(view.buffer).toBe(p.buffer);
      expect(view.byteOffset).toBe(p.byteOffset + 4);
    }), { numRuns: RUNS });
  });

  it('works on a padded form inside a larger buffer (a recycled scratch)', () => {
    const p = pad(new Uint8Array([9, 8, 7]), 32);
    const scratch = new Uint8Array(100).fill(0xee);
    scratch.set(p, 10);
    const view = unpadView(scratch.subarray(10, 10 + p.length), 32);
    expect([...view]).toEqual([9, 8, 7]);
    expect(view.byteOffset).toBe(14);
  });

  it('refuses exactly what unpad refuses', () => {
    const p = pad(new Uint8Array([1, 2, 3]), 32);
    const nonzero = p.slice();
    nonzero[31] = 1;
    const longer = p.slice();
    longer[3] = 30;
    for (const [bytes, min] of [[nonzero, 32], [longer, 32], [p, 0], [new Uint8Array(3), 0], [p.subarray(0, 31), 32]] as const) {
      expect(() => unpadView(bytes, min)).toThrow(FormatError);
      expect(() => unpad(bytes, min)).toThrow(FormatError);
    }
  });

  it('unpad still returns a copy: changing the padded buffer afterwards does not change it', () => {
    const p = pad(new Uint8Array([1, 2, 3]));
    const copy = unpad(p);
    p.fill(0xff);
    expect([...copy]).toEqual([1, 2, 3]);
  });
});
