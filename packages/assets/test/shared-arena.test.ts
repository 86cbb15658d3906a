import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { convergenceKeys, decryptAssetChunk, deriveAssetSecrets, encryptAssetChunk, keyFromBytes } from '@coffer/crypto';
import { ChunkCryptoPool } from '@coffer/assets';
import { ARENA_UNIT, SharedArena } from '../src/shared-arena.js';

describe('SharedArena', () => {
  it('hands out disjoint views in whole units, lowest addresses first', () => {
    const arena = new SharedArena(8 * ARENA_UNIT);
    const a = arena.alloc(1)!;
    const b = arena.alloc(ARENA_UNIT + 1)!;
    const c = arena.alloc(ARENA_UNIT)!;
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, ARENA_UNIT, 3 * ARENA_UNIT]);
    expect([a.length, b.length, c.length]).toEqual([1, ARENA_UNIT + 1, ARENA_UNIT]);
    expect(arena.usedBytes).toBe(4 * ARENA_UNIT);
    expect(a.buffer).toBe(arena.buffer);
  });

  it('reuses a freed run first (first fit), and says when nothing fits', () => {
    const arena = new SharedArena(4 * ARENA_UNIT);
    const a = arena.alloc(2 * ARENA_UNIT)!;
    const b = arena.alloc(2 * ARENA_UNIT)!;
    expect(arena.alloc(1)).toBeUndefined();
    expect(arena.free(a)).toBe(true);
    expect(arena.alloc(3 * ARENA_UNIT)).toBeUndefined();
    expect(arena.alloc(ARENA_UNIT)!.byteOffset).toBe(0);
    expect(arena.free(b)).toBe(true);
    expect(arena.alloc(3 * ARENA_UNIT)!.byteOffset).toBe(ARENA_UNIT);
  });

  it('a view freed twice does not free the run its bytes were handed to next', () => {
    const arena = new SharedArena(2 * ARENA_UNIT);
    const first = arena.alloc(100)!;
    expect(arena.free(first)).toBe(true);
    const second = arena.alloc(100)!;
    expect(second.byteOffset).toBe(first.byteOffset);
    expect(arena.free(first)).toBe(false);
    expect(arena.owns(second)).toBe(true);
    expect(arena.usedBytes).toBe(ARENA_UNIT);
  });

  it('frees only the very views it handed out: copies, subarrays and foreign buffers free nothing', () => {
    const arena = new SharedArena(2 * ARENA_UNIT);
    const view = arena.alloc(ARENA_UNIT)!;
    expect(arena.free(view.subarray(0))).toBe(false);
    expect(arena.free(new Uint8Array(arena.buffer, 0, ARENA_UNIT))).toBe(false);
    expect(arena.free(new Uint8Array(ARENA_UNIT))).toBe(false);
    expect(arena.owns(view)).toBe(true);
    expect(arena.free(view)).toBe(true);
    expect(arena.owns(view)).toBe(false);
  });

  it('places a view at the asked phase past a word boundary (fast shared-memory copies), and frees it', () => {
    const arena = new SharedArena(4 * ARENA_UNIT);
    const a = arena.alloc(ARENA_UNIT, 7)!;
    expect(a.byteOffset % 8).toBe(7);
    expect(a.length).toBe(ARENA_UNIT);
    // ARENA_UNIT + 7 bytes need two units.
    expect(arena.usedBytes).toBe(2 * ARENA_UNIT);
    const b = arena.alloc(5, 3)!;
    expect(b.byteOffset).toBe(2 * ARENA_UNIT + 3);
    expect(arena.free(a)).toBe(true);
    expect(arena.free(b)).toBe(true);
    expect(arena.usedBytes).toBe(0);
    expect(() => arena.alloc(1, 8)).toThrow(RangeError);
  });

  it('refuses an arena smaller than one unit', () => {
    expect(() => new SharedArena(ARENA_UNIT - 1)).toThrow(RangeError);
  });
});

describe('ChunkCryptoPool over shared memory', () => {
  const secrets = deriveAssetSecrets(keyFromBytes('keychain', new Uint8Array(32).fill(9), { id: '00112233445566778899aabbccddeeff', version: 1 }));
  const keys = convergenceKeys(secrets.convergenceSecret);
  const pools: ChunkCryptoPool[] = [];
  const poolOf = (arenaBytes: number): ChunkCryptoPool => {
    const pool = new ChunkCryptoPool({ keys, workers: 2, uploadCrc32: true, arenaBytes });
    pools.push(pool);
    return pool;
  };
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('plaintext and ciphertext in the arena give the same chunks as inline encryption, and release makes room again', async () => {
    const pool = poolOf(64 * ARENA_UNIT);
    const inputs = [1, 1000, ARENA_UNIT, 3 * ARENA_UNIT + 5, 700_000].map((n) => randomBytes(n));
    for (let round = 0; round < 3; round++) {
      const chunks = await Promise.all(inputs.map((input) => {
        const plaintext = pool.allocatePlaintext(input.length);
        expect(plaintext.buffer).toBeInstanceOf(SharedArrayBuffer);
        plaintext.set(input);
        return pool.encryptOrSkip(plaintext, 1000 + round);
      }));
      for (const [i, chunk] of chunks.entries()) {
        if ('repeat' in chunk) throw new Error('no repeats in distinct random inputs');
        const expected = encryptAssetChunk(keys, inputs[i]!);
        expect(chunk.ciphertext.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(Buffer.from(chunk.ciphertext).equals(Buffer.from(expected.ciphertext))).toBe(true);
        expect(Buffer.from(chunk.id).equals(Buffer.from(expected.id))).toBe(true);
        expect(Buffer.from(decryptAssetChunk(chunk, chunk.ciphertext)).equals(inputs[i]!)).toBe(true);
        pool.release(chunk);
      }
    }
  });

  it('a full arena falls back to transferred buffers without changing any result', async () => {
    // Two units: the first plaintext fits, nothing else does.
    const pool = poolOf(2 * ARENA_UNIT);
    const inputs = Array.from({ length: 6 }, (_, i) => randomBytes(40_000 + i));
    const held = [];
    for (const input of inputs) {
      const plaintext = pool.allocatePlaintext(input.length);
      plaintext.set(input);
      const chunk = await pool.encryptOrSkip(plaintext, 2000);
      if ('repeat' in chunk) throw new Error('unexpected repeat');
      expect(Buffer.from(chunk.ciphertext).equals(Buffer.from(encryptAssetChunk(keys, input).ciphertext))).toBe(true);
      held.push(chunk); // never released: the arena stays full
    }
    expect(held.some((c) => c.ciphertext.buffer instanceof SharedArrayBuffer)).toBe(true);
    expect(held.some((c) => c.ciphertext.buffer instanceof ArrayBuffer)).toBe(true);
  });

  it('a repeat in the session frees its shared ciphertext space at once', async () => {
    const pool = poolOf(8 * ARENA_UNIT);
    const input = randomBytes(3 * ARENA_UNIT - 100);
    const encryptCopy = (): ReturnType<ChunkCryptoPool['encryptOrSkip']> => {
      const plaintext = pool.allocatePlaintext(input.length);
      plaintext.set(input);
      return pool.encryptOrSkip(plaintext, 3000);
    };
    const first = await encryptCopy();
    expect('repeat' in first).toBe(false);
    // Both workers see this id in turn; every later copy is a repeat and leaves no space held.
    for (let i = 0; i < 4; i++) await encryptCopy();
    const again = await encryptCopy();
    expect('repeat' in again).toBe(true);
    if (!('repeat' in first)) {
      expect(first.ciphertext.buffer).toBeInstanceOf(SharedArrayBuffer);
      pool.release(first);
    }
    // Everything was given back: the whole arena is one free run again.
    const whole = pool.allocatePlaintext(8 * ARENA_UNIT);
    expect(whole.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('encrypt() never leaves its ciphertext in the arena (its callers need not release)', async () => {
    const pool = poolOf(16 * ARENA_UNIT);
    const plaintext = pool.allocatePlaintext(5000);
    plaintext.fill(3);
    const chunk = await pool.encrypt(plaintext);
    expect(chunk.ciphertext.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
