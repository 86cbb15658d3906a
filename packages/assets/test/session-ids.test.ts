/**
 * ChunkCryptoPool.encryptOrSkip and the per-encryptor session memory behind it
 * (session-ids.ts): a chunk is skipped (hashed only) only when the same encryptor already
 * encrypted its id earlier in the same session; a new session starts over; and whatever
 * is returned — repeat or not — has exactly the id, key and size `encrypt` gives.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { convergenceKeys, deriveAssetSecrets, encryptAssetChunk, keyFromBytes } from '@coffer/crypto';
import { ChunkCryptoPool, type PooledChunk, type RepeatedChunk } from '@coffer/assets';
import { SESSION_MEMORY, SessionIds } from '../src/session-ids.js';

const keys = convergenceKeys(deriveAssetSecrets(keyFromBytes('keychain', new Uint8Array(32).fill(9), { id: '00112233445566778899aabbccddeeff', version: 1 })).convergenceSecret);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const isRepeat = (result: PooledChunk | RepeatedChunk): result is RepeatedChunk => 'repeat' in result;

/** Distinct plaintexts of assorted sizes (0 bytes included; one above 1 MiB). */
const contents = [0, 1, 100, 65_536, 300_000, 1_200_000].map((size) => new Uint8Array(randomBytes(size)));
/** A sequence with repeats: each content first, then again, interleaved. */
const sequence = [0, 1, 2, 1, 3, 0, 4, 4, 5, 2, 5, 3];

const pools: ChunkCryptoPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});
function poolOf(workers: number, uploadCrc32 = false): ChunkCryptoPool {
  const pool = new ChunkCryptoPool({ keys, workers, uploadCrc32 });
  pools.push(pool);
  return pool;
}

/** Submits `indexes` of `contents` in order (all in flight at once, as an uploader does), resolved in order. */
async function run(pool: ChunkCryptoPool, indexes: readonly number[], session: number): Promise<(PooledChunk | RepeatedChunk)[]> {
  // encryptOrSkip takes ownership of its plaintext: hand it a copy each time.
  return Promise.all(indexes.map((i) => pool.encryptOrSkip(contents[i]!.slice(), session)));
}

describe('SessionIds', () => {
  it('reports an id as repeated only after it was recorded in the same session', () => {
    const ids = new SessionIds();
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(ids.repeated(1, a)).toBe(false);
    expect(ids.repeated(1, a)).toBe(true);
    expect(ids.repeated(1, b)).toBe(false);
    // A view of the same bytes elsewhere in memory is the same id.
    const elsewhere = Buffer.concat([Buffer.alloc(5), a]).subarray(5);
    expect(ids.repeated(1, elsewhere)).toBe(true);
  });

  it('a different session starts over, and the previous one is forgotten', () => {
    const ids = new SessionIds();
    const a = randomBytes(32);
    expect(ids.repeated(1, a)).toBe(false);
    expect(ids.repeated(2, a)).toBe(false);
    expect(ids.repeated(2, a)).toBe(true);
    // One session at a time: back in session 1, a is new again (re-encrypted, which is always correct).
    expect(ids.repeated(1, a)).toBe(false);
  });

  it(`holds at most ${SESSION_MEMORY} ids: when full, it starts over instead of growing`, () => {
    const ids = new SessionIds();
    const first = randomBytes(32);
    expect(ids.repeated(7, first)).toBe(false);
    const id = Buffer.alloc(32);
    let anyRepeated = false;
    for (let i = 1; i < SESSION_MEMORY - 1; i++) {
      id.writeUInt32BE(i, 0);
      anyRepeated ||= ids.repeated(7, id);
    }
    expect(anyRepeated).toBe(false);
    expect(ids.repeated(7, first)).toBe(true); // SESSION_MEMORY − 1 ids held: still remembered
    id.writeUInt32BE(SESSION_MEMORY - 1, 0);
    expect(ids.repeated(7, id)).toBe(false); // now full
    expect(ids.repeated(7, first)).toBe(false); // started over
    expect(ids.repeated(7, first)).toBe(true);
  });
});

describe('ChunkCryptoPool.encryptOrSkip', () => {
  const expected = contents.map((c) => encryptAssetChunk(keys, c));

  for (const workers of [0, 1]) {
    it(`on ${workers} worker(s): repeats exactly the ids seen earlier in the session; the rest equal encrypt`, async () => {
      const pool = poolOf(workers);
      const results = await run(pool, sequence, 1);
      const seen = new Set<number>();
      for (const [position, index] of sequence.entries()) {
        const result = results[position]!;
        const want = expected[index]!;
        expect(hex(result.id), `position ${position}`).toBe(hex(want.id));
        expect(hex(result.key)).toBe(hex(want.key));
        expect(result.size).toBe(want.size);
        // One encryptor sees every chunk in submission order: every second occurrence is a repeat.
        expect(isRepeat(result), `position ${position}`).toBe(seen.has(index));
        if (!isRepeat(result)) expect(hex(result.ciphertext)).toBe(hex(want.ciphertext));
        seen.add(index);
      }
    });

    it(`on ${workers} worker(s): a new session starts over; going back to an old one starts over too`, async () => {
      const pool = poolOf(workers);
      const first = await run(pool, [0, 1, 1], 10);
      expect(first.map(isRepeat)).toEqual([false, false, true]);
      const second = await run(pool, [1, 0, 0], 11);
      expect(second.map(isRepeat)).toEqual([false, false, true]);
      const back = await run(pool, [0, 1], 10);
      expect(back.map(isRepeat)).toEqual([false, false]);
      const indexes = [0, 1, 1, 1, 0, 0, 0, 1];
      for (const [position, result] of [...first, ...second, ...back].entries()) {
        expect(hex(result.id)).toBe(hex(expected[indexes[position]!]!.id));
        if (!isRepeat(result)) expect(hex(result.ciphertext)).toBe(hex(expected[indexes[position]!]!.ciphertext));
      }
    });

    it(`on ${workers} worker(s): encrypt() (no session) never skips, also between sessions`, async () => {
      const pool = poolOf(workers);
      await run(pool, [2, 2], 20);
      const again = await Promise.all([pool.encrypt(contents[2]!.slice()), pool.encrypt(contents[2]!.slice())]);
      for (const result of again) {
        expect('repeat' in result).toBe(false);
        expect(hex(result.ciphertext)).toBe(hex(expected[2]!.ciphertext));
      }
    });

    it(`on ${workers} worker(s): upload CRC-32s come with encrypted chunks, not with repeats`, async () => {
      const pool = poolOf(workers, true);
      const results = await run(pool, [3, 3, 4], 30);
      expect(results.map(isRepeat)).toEqual([false, true, false]);
      for (const result of results) {
        if (isRepeat(result)) expect('ciphertextCrc32' in result).toBe(false);
        else expect(result.ciphertextCrc32).toBe(crc32(result.ciphertext));
      }
    });
  }

  it('on 2 workers: a repeat is still only ever an id submitted earlier in the session (each worker remembers its own)', async () => {
    const pool = poolOf(2);
    const long = [...sequence, ...sequence, ...sequence];
    const results = await run(pool, long, 40);
    const submitted = new Set<number>();
    let encrypted = 0;
    for (const [position, index] of long.entries()) {
      const result = results[position]!;
      expect(hex(result.id)).toBe(hex(expected[index]!.id));
      expect(hex(result.key)).toBe(hex(expected[index]!.key));
      expect(result.size).toBe(expected[index]!.size);
      if (isRepeat(result)) expect(submitted.has(index), `position ${position}`).toBe(true);
      else {
        encrypted += 1;
        expect(hex(result.ciphertext)).toBe(hex(expected[index]!.ciphertext));
      }
      submitted.add(index);
    }
    // At most one encryption per content per worker.
    expect(encrypted).toBeGreaterThanOrEqual(contents.length);
    expect(encrypted).toBeLessThanOrEqual(2 * contents.length);
  });

  it('released ciphertext buffers and skipped ones recycle without changing any later result', async () => {
    const pool = poolOf(1);
    for (let round = 0; round < 3; round++) {
      const results = await run(pool, sequence, 50 + round);
      for (const [position, index] of sequence.entries()) {
        const result = results[position]!;
        if (isRepeat(result)) continue;
        expect(hex(result.ciphertext), `round ${round}, position ${position}`).toBe(hex(expected[index]!.ciphertext));
        pool.release(result); // "uploaded"
      }
    }
  });
});
