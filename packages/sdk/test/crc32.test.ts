/**
 * The CRC-32 a Chunk batch v1 frame carries (docs/PROTOCOL.md "Chunk batch v1"): the
 * portable table-driven form (browsers) equals node:zlib's — the server's — on the
 * standard check value and on random inputs, whole or continued piece by piece.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Portable, loadCrc32 } from '../src/assets/crc32.js';

describe('CRC-32 of upload frames', () => {
  it('gives the standard check value: "123456789" → 0xCBF43926, and 0 for no bytes', async () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32Portable(check)).toBe(0xcbf43926);
    expect(zlibCrc32(check)).toBe(0xcbf43926);
    expect((await loadCrc32())(check)).toBe(0xcbf43926);
    expect(crc32Portable(new Uint8Array(0))).toBe(0);
    // The second frame of the PROTOCOL.md worked example.
    expect(crc32Portable(new TextEncoder().encode('coffer'))).toBe(0xd056ac74);
  });

  it('the portable form equals node:zlib on random inputs of many lengths (results are unsigned)', async () => {
    const fast = await loadCrc32();
    const lengths = [1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 1000, 4096, 65_537, 1024 * 1024 + 3];
    for (let i = 0; i < 40; i++) lengths.push(randomInt(1, 20_000));
    for (const length of lengths) {
      const data = new Uint8Array(randomBytes(length));
      const expected = zlibCrc32(data);
      expect(crc32Portable(data), `length ${length}`).toBe(expected);
      expect(fast(data), `length ${length}`).toBe(expected);
      expect(expected).toBeGreaterThanOrEqual(0);
      expect(expected).toBeLessThanOrEqual(0xffffffff);
    }
    // All-zero and all-one bytes (table edges).
    for (const fill of [0x00, 0xff]) {
      const data = new Uint8Array(5000).fill(fill);
      expect(crc32Portable(data)).toBe(zlibCrc32(data));
    }
  });

  it('continues across pieces as zlib does (the server checks a chunk piece by piece as it arrives)', () => {
    const data = new Uint8Array(randomBytes(100_000));
    const whole = zlibCrc32(data);
    for (const size of [1, 39, 40, 41, 4096, 65_536]) {
      let portable = 0;
      let zlib = 0;
      for (let at = 0; at < data.length; at += size) {
        const piece = data.subarray(at, at + size);
        portable = crc32Portable(piece, portable);
        zlib = zlibCrc32(piece, zlib);
      }
      expect(portable, `pieces of ${size}`).toBe(whole);
      expect(zlib).toBe(whole);
    }
  });

  it('reads only the view it is given (a subarray of a larger buffer)', () => {
    const buffer = new Uint8Array(randomBytes(1000));
    const view = buffer.subarray(100, 900);
    expect(crc32Portable(view)).toBe(zlibCrc32(Buffer.from(buffer.buffer, buffer.byteOffset + 100, 800)));
  });

  it('loadCrc32 resolves once to the same function', async () => {
    const [a, b] = await Promise.all([loadCrc32(), loadCrc32()]);
    expect(a).toBe(b);
  });
});
