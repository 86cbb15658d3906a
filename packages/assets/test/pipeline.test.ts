import { createCipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convergenceKeys, decryptAssetChunk, decryptAssetManifest, DecryptionError, deriveAssetSecrets, encryptAssetManifest,
  generateKey, keyFromBytes, type EncryptedAssetChunk,
} from '@coffer/crypto';
import { ChunkCryptoPool, createChunker, DEFAULT_CHUNK_SIZES, decryptChunks, encryptFile, inOrder, manifestOf } from '@coffer/assets';

const { min, max } = DEFAULT_CHUNK_SIZES;
// A fixed keychain key: the gear table (and so every boundary) is the same each run, so the
// dedup assertions below test one known layout instead of a random one.
const secrets = deriveAssetSecrets(keyFromBytes('keychain', new Uint8Array(32).fill(7), { id: '00112233445566778899aabbccddeeff', version: 1 }));
const keys = convergenceKeys(secrets.convergenceSecret);
const chunker = createChunker(secrets);

let dir: string;
let pool: ChunkCryptoPool;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coffer-assets-'));
  pool = new ChunkCryptoPool({ keys, workers: 2 });
});
afterAll(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

async function collect(path: string): Promise<EncryptedAssetChunk[]> {
  const chunks: EncryptedAssetChunk[] = [];
  for await (const chunk of encryptFile(path, chunker, pool)) chunks.push(chunk);
  return chunks;
}

async function restore(chunks: EncryptedAssetChunk[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  async function* fetched() {
    await Promise.resolve();
    // What a download does: each chunk's bytes as the server returned them, with the manifest's ref.
    for (const chunk of chunks) yield { ref: { id: chunk.id, key: chunk.key, size: chunk.size }, ciphertext: chunk.ciphertext.slice() };
  }
  for await (const part of decryptChunks(fetched(), pool)) parts.push(part);
  return Buffer.concat(parts);
}

describe('asset pipeline: chunk → workers → ordered encrypted chunks → back', () => {
  const cases: [string, () => Uint8Array][] = [
    ['0 bytes', () => new Uint8Array(0)],
    ['1 byte', () => Uint8Array.of(42)],
    ['min − 1', () => new Uint8Array(nodeRandomBytes(min - 1))],
    ['min', () => new Uint8Array(nodeRandomBytes(min))],
    ['min + 1', () => new Uint8Array(nodeRandomBytes(min + 1))],
    ['max − 1', () => new Uint8Array(nodeRandomBytes(max - 1))],
    ['max + 1', () => new Uint8Array(nodeRandomBytes(max + 1))],
    ['12 MiB random', () => new Uint8Array(nodeRandomBytes(12 * 1024 * 1024 + 17))],
    ['9 MiB highly repetitive', () => new Uint8Array(9 * 1024 * 1024).map((_, i) => (i % 4096 < 4000 ? 7 : i % 13))],
  ];
  for (const [name, make] of cases) {
    it(`round-trips ${name}`, async () => {
      const content = make();
      const path = join(dir, name.replaceAll(' ', '_'));
      await writeFile(path, content);
      const chunks = await collect(path);
      expect(chunks.reduce((a, c) => a + c.size, 0)).toBe(content.length);
      if (content.length === 0) expect(chunks).toEqual([]);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.size).toBeGreaterThanOrEqual(min);
      for (const chunk of chunks) expect(chunk.size).toBeLessThanOrEqual(max);
      expect((await restore(chunks)).equals(content)).toBe(true);
      // The manifest that goes in the record round-trips too.
      const assetKey = generateKey('asset');
      const ctx = { container: 'c', database: 'private' as const, zoneName: 'z', ownerRecordName: 'o', recordName: 'r', fieldName: 'f', position: 0 };
      const manifest = manifestOf(chunks, { fileName: name, contentType: 'application/octet-stream' });
      expect(decryptAssetManifest(assetKey, ctx, encryptAssetManifest(assetKey, ctx, manifest))).toEqual(manifest);
    });
  }

  it('dedups: repeated content gives repeated chunk ids within a file and across files', async () => {
    // Reproducible bytes (AES-256-CTR keystream), so the chunk layout is the same every run.
    const block = new Uint8Array(createCipheriv('aes-256-ctr', new Uint8Array(32).fill(3), new Uint8Array(16)).update(new Uint8Array(12 * 1024 * 1024)));
    const twice = new Uint8Array(block.length * 2);
    twice.set(block);
    twice.set(block, block.length);
    await writeFile(join(dir, 'a'), block);
    await writeFile(join(dir, 'b'), twice);
    const a = (await collect(join(dir, 'a'))).map((c) => Buffer.from(c.id).toString('hex'));
    const b = (await collect(join(dir, 'b'))).map((c) => Buffer.from(c.id).toString('hex'));
    const inA = new Set(a);
    // All but the chunks around the seam are shared: a's short tail chunk, the one spanning
    // the seam, and the few before the boundaries realign (normalized chunking realigns
    // within 1–3 chunks typically, rarely ~8).
    const shared = b.filter((id) => inA.has(id)).length;
    expect(shared).toBeGreaterThanOrEqual(b.length - 4);
    expect(shared).toBeGreaterThan(b.length / 2);
    expect(new Set(b).size).toBeLessThan(b.length);
  });

  it('worker results equal the inline ones and keep file order', async () => {
    const content = new Uint8Array(nodeRandomBytes(10 * 1024 * 1024));
    await writeFile(join(dir, 'order'), content);
    const inline = new ChunkCryptoPool({ keys, workers: 0 });
    const viaWorkers = await collect(join(dir, 'order'));
    const inlineChunks: EncryptedAssetChunk[] = [];
    for await (const chunk of encryptFile(join(dir, 'order'), chunker, inline)) inlineChunks.push(chunk);
    expect(viaWorkers.map((c) => Buffer.from(c.ciphertext).toString('base64'))).toEqual(inlineChunks.map((c) => Buffer.from(c.ciphertext).toString('base64')));
    await inline.close();
  });

  it('upload checksums: the CRC-32 of each ciphertext, computed on the workers (and inline)', async () => {
    const { crc32 } = await import('node:zlib');
    for (const workers of [0, 1]) {
      const checksumming = new ChunkCryptoPool({ keys, workers, uploadCrc32: true });
      const chunk = await checksumming.encrypt(new Uint8Array(nodeRandomBytes(700_000)));
      expect(chunk.ciphertextCrc32).toBe(crc32(chunk.ciphertext));
      await checksumming.close();
    }
    expect((await pool.encrypt(new Uint8Array(10))).ciphertextCrc32).toBeUndefined();
  });

  it('recycled buffers (release after upload) never change a result', async () => {
    const content = new Uint8Array(nodeRandomBytes(14 * 1024 * 1024));
    await writeFile(join(dir, 'recycle'), content);
    const expected = (await collect(join(dir, 'recycle'))).map((c) => Buffer.from(c.ciphertext).toString('base64'));
    for (const run of [1, 2]) {
      const got: string[] = [];
      for await (const chunk of encryptFile(join(dir, 'recycle'), chunker, pool)) {
        got.push(Buffer.from(chunk.ciphertext).toString('base64')); // "uploaded"
        pool.release(chunk);
      }
      expect(got, `run ${run}`).toEqual(expected);
    }
  });

  it('a corrupted or swapped chunk is a DecryptionError (via the workers too), never bad bytes', async () => {
    const content = new Uint8Array(nodeRandomBytes(3 * 1024 * 1024));
    await writeFile(join(dir, 'tamper'), content);
    const chunks = await collect(join(dir, 'tamper'));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    const [first, second] = chunks as [EncryptedAssetChunk, EncryptedAssetChunk];
    const corrupted = first.ciphertext.slice();
    corrupted[1000]! ^= 1;
    await expect(pool.decrypt(first, corrupted)).rejects.toBeInstanceOf(DecryptionError);
    await expect(pool.decrypt(first, second.ciphertext.slice())).rejects.toBeInstanceOf(DecryptionError);
    expect(() => decryptAssetChunk(second, first.ciphertext)).toThrow(DecryptionError);
    // In a stream: the error surfaces at that chunk, after the good ones before it.
    const good: Uint8Array[] = [];
    async function* fetched() {
      await Promise.resolve();
      yield { ref: first, ciphertext: first.ciphertext.slice() };
      yield { ref: second, ciphertext: first.ciphertext.slice() };
    }
    await expect((async () => { for await (const part of decryptChunks(fetched(), pool)) good.push(part); })()).rejects.toBeInstanceOf(DecryptionError);
    expect(good.length).toBe(1);
  });

  it('inOrder keeps order with out-of-order completion and bounds the window', async () => {
    let inFlight = 0;
    let peak = 0;
    const out: number[] = [];
    for await (const value of inOrder([5, 1, 4, 2, 3, 0, 6], async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      inFlight -= 1;
      return n;
    }, 3)) out.push(value);
    expect(out).toEqual([5, 1, 4, 2, 3, 0, 6]);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('peak memory stays flat as files grow (streams, never loads a file)', async () => {
    const { appendFile } = await import('node:fs/promises');
    async function makeFile(name: string, mib: number): Promise<string> {
      const path = join(dir, name);
      await writeFile(path, new Uint8Array(0));
      for (let i = 0; i < mib / 8; i++) await appendFile(path, nodeRandomBytes(8 * 1024 * 1024));
      return path;
    }
    async function peakGrowth(path: string): Promise<number> {
      const before = process.memoryUsage().rss;
      let peak = before;
      for await (const chunk of encryptFile(path, chunker, pool)) {
        expect(chunk.size).toBeGreaterThan(0);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      return peak - before;
    }
    const small = await makeFile('small', 24);
    const large = await makeFile('large', 128);
    await peakGrowth(small); // warm-up: worker heaps and allocator arenas reach their working size
    const growthSmall = await peakGrowth(small);
    const growthLarge = await peakGrowth(large);
    // 104 MiB more input may cost only a fraction of that in peak memory, and the peak stays
    // well under the larger file's size.
    expect(growthLarge - growthSmall).toBeLessThan(32 * 1024 * 1024);
    expect(growthLarge).toBeLessThan(64 * 1024 * 1024);
  });
});
