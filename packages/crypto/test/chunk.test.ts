/** Chunk v1 (STREAM): sizes, round trips and every way to cut, reorder or extend segments. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chunkCiphertextSize, chunkPlaintextSize, decryptChunk, decryptChunkInto, encryptChunk, encryptChunkInto, encryptChunkParts, concatBytes, randomBytes,
  CHUNK_SEGMENT_SIZE, DecryptionError, FormatError,
} from '../src/index.js';
import { RUNS, SLOW, sameBytes } from './helpers.js';

const S = CHUNK_SEGMENT_SIZE;
const SEALED = S + 16;
const key = randomBytes(32);
const fails = (f: () => unknown): void => {
  expect(f).toThrow(DecryptionError);
};

describe('Chunk v1 sizes', () => {
  it('ciphertext = 1 + n + 16·max(1, ⌈n/64 KiB⌉), and the inverse', () => {
    for (const n of [0, 1, S - 1, S, S + 1, 2 * S - 1, 2 * S, 2 * S + 1, 10 * S + 5]) {
      const c = chunkCiphertextSize(n);
      expect(c).toBe(1 + n + 16 * Math.max(1, Math.ceil(n / S)));
      expect(chunkPlaintextSize(c)).toBe(n);
    }
  });
  it('impossible ciphertext sizes are a FormatError', () => {
    for (const c of [0, 1, 16, 1 + SEALED + 16, 1 + SEALED + 5]) expect(() => chunkPlaintextSize(c), String(c)).toThrow(FormatError);
  });
});

describe('Chunk v1 round trips', () => {
  it.each([0, 1, S - 1, S, S + 1, 2 * S - 1, 2 * S, 2 * S + 1, 3 * S])('%i bytes (segment boundaries ±1)', (n) => {
    const pt = randomBytes(n);
    const ct = encryptChunk(key, pt);
    expect(ct.length).toBe(chunkCiphertextSize(n));
    expect(ct[0]).toBe(1);
    expect(sameBytes(decryptChunk(key, ct), pt)).toBe(true);
  });
  it('the empty chunk is one empty final segment (17 bytes)', () => {
    const ct = encryptChunk(key, new Uint8Array(0));
    expect(ct.length).toBe(17);
    expect(decryptChunk(key, ct)).toEqual(new Uint8Array(0));
  });
  it('is deterministic for one key (convergent use is safe; see PROTOCOL.md)', () => {
    const pt = randomBytes(1000);
    expect(encryptChunk(key, pt, Uint8Array.of(1))).toEqual(encryptChunk(key, pt, Uint8Array.of(1)));
  });
  it('Into variants write into caller buffers and return the written prefix', () => {
    const pt = randomBytes(S + 10);
    const out = new Uint8Array(chunkCiphertextSize(pt.length) + 7);
    const ct = encryptChunkInto(key, pt, out);
    expect(ct.buffer).toBe(out.buffer);
    expect(ct).toEqual(encryptChunk(key, pt));
    const back = new Uint8Array(pt.length + 3);
    expect(sameBytes(decryptChunkInto(key, ct, back), pt)).toBe(true);
    expect(() => encryptChunkInto(key, pt, new Uint8Array(10))).toThrow(RangeError);
    expect(() => decryptChunkInto(key, ct, new Uint8Array(10))).toThrow(RangeError);
  });
  it('Parts variant concatenates to exactly the contiguous Chunk v1 bytes', () => {
    const key = randomBytes(32);
    for (const n of [0, 1, 65535, 65536, 65537, 3 * 65536 + 7]) {
      const pt = randomBytes(n);
      const ad = randomBytes(5);
      expect(concatBytes(...encryptChunkParts(key, pt, ad))).toEqual(encryptChunk(key, pt, ad));
    }
    expect(() => encryptChunkParts(new Uint8Array(16), new Uint8Array(1))).toThrow(RangeError);
  });

  it('fast-check: random sizes and ad round-trip', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 * S + 2 }), fc.uint8Array({ maxLength: 40 }), (n, ad) => {
      const pt = randomBytes(n);
      expect(sameBytes(decryptChunk(key, encryptChunk(key, pt, ad), ad), pt)).toBe(true);
    }), { numRuns: SLOW ? 200 : 15 });
  });
});

describe('Chunk v1 tampering', () => {
  const pt = randomBytes(3 * S + 100); // 4 segments, the last partial
  const ct = encryptChunk(key, pt, Uint8Array.of(7));
  const segment = (i: number): Uint8Array => ct.subarray(1 + i * SEALED, 1 + (i + 1) * SEALED);
  const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

  it('truncation at every segment boundary', () => {
    for (let k = 1; k <= 3; k++) fails(() => decryptChunk(key, ct.subarray(0, 1 + k * SEALED), Uint8Array.of(7)));
  });
  it('truncation anywhere, and one byte short', () => {
    fails(() => decryptChunk(key, ct.subarray(0, ct.length - 1), Uint8Array.of(7)));
    fc.assert(fc.property(fc.integer({ min: 0, max: ct.length - 1 }), (n) => {
      fails(() => decryptChunk(key, ct.subarray(0, n), Uint8Array.of(7)));
    }), { numRuns: RUNS });
  });
  it('swapped segments', () => {
    fails(() => decryptChunk(key, join(ct.subarray(0, 1), segment(1), segment(0), segment(2), segment(3)), Uint8Array.of(7)));
  });
  it('an appended segment (a copy of a full one, or of the final one)', () => {
    fails(() => decryptChunk(key, join(ct, segment(0)), Uint8Array.of(7)));
    const full = encryptChunk(key, randomBytes(2 * S));
    fails(() => decryptChunk(key, join(full, full.subarray(1 + SEALED)), Uint8Array.of(7)));
  });
  it('a chunk cut back to whole segments with the last flag missing', () => {
    const exact = encryptChunk(key, randomBytes(2 * S));
    fails(() => decryptChunk(key, exact.subarray(0, 1 + SEALED)));
  });
  it('another key, another ad, an unknown version', () => {
    fails(() => decryptChunk(randomBytes(32), ct, Uint8Array.of(7)));
    fails(() => decryptChunk(key, ct, Uint8Array.of(8)));
    fails(() => decryptChunk(key, ct));
    for (const v of [0, 2, 0xff]) {
      const m = ct.slice();
      m[0] = v;
      fails(() => decryptChunk(key, m, Uint8Array.of(7)));
    }
  });
  it('a flipped bit anywhere (fast-check sample) and in every byte of a small chunk', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: ct.length - 1 }), fc.integer({ min: 0, max: 7 }), (i, bit) => {
      const m = ct.slice();
      m[i]! ^= 1 << bit;
      fails(() => decryptChunk(key, m, Uint8Array.of(7)));
    }), { numRuns: SLOW ? 1000 : 40 });
    const small = encryptChunk(key, randomBytes(40));
    for (let i = 0; i < small.length; i++) {
      const m = small.slice();
      m[i]! ^= 0x80;
      fails(() => decryptChunk(key, m));
    }
  });
  it('releases no plaintext when a later segment fails (Into buffer is wiped)', () => {
    const m = ct.slice();
    m[m.length - 1]! ^= 1; // only the final segment is bad
    const out = new Uint8Array(pt.length);
    fails(() => decryptChunkInto(key, m, out, Uint8Array.of(7)));
    expect(out.every((b) => b === 0)).toBe(true);
  });
});
