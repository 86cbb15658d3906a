import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveAssetSecrets, deriveGearTable, generateKey } from '@coffer/crypto';
import { ChunkSplitter, chunkStream, createChunker, DEFAULT_CHUNK_SIZES, FastCdc } from '@coffer/assets';

const { min, avg, max } = DEFAULT_CHUNK_SIZES;
const seedA = new Uint8Array(32).fill(1);
const seedB = new Uint8Array(32).fill(2);
const cdcA = new FastCdc(deriveGearTable(seedA));
const cdcB = new FastCdc(deriveGearTable(seedB));
/** Reproducible pseudo-random bytes (AES-256-CTR keystream under a fixed key): failures replay exactly. */
function seededBytes(length: number, seed: number): Uint8Array {
  const key = new Uint8Array(32).fill(seed);
  return new Uint8Array(createCipheriv('aes-256-ctr', key, new Uint8Array(16)).update(new Uint8Array(length)));
}
const data = seededBytes(24 * 1024 * 1024, 7);

function boundaries(lengths: number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const length of lengths) out.push((at += length));
  return out;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    await Promise.resolve();
    yield bytes.subarray(at, Math.min(at + size, bytes.length));
  }
}

async function streamedLengths(cdc: FastCdc, bytes: Uint8Array, pieceSize: number): Promise<number[]> {
  const lengths: number[] = [];
  for await (const chunk of chunkStream(pieces(bytes, pieceSize), cdc)) lengths.push(chunk.length);
  return lengths;
}

/** Chunker v1 written as plainly as docs/PROTOCOL.md states it: the reference the fast loop must equal. */
function referenceCut(gear: Uint32Array, sizes: { min: number; avg: number; max: number }, bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n <= sizes.min) return n;
  const limit = Math.min(n, sizes.max);
  const bits = Math.log2(sizes.avg);
  const maskS = (0xffffffff << (32 - (bits + 2))) >>> 0;
  const maskL = (0xffffffff << (32 - (bits - 2))) >>> 0;
  let fp = 0;
  for (let i = start + sizes.min; i < start + limit; i++) {
    fp = ((fp << 1) + gear[bytes[i]!]!) >>> 0;
    if (((fp & (i - start < sizes.avg ? maskS : maskL)) >>> 0) === 0) return i + 1 - start;
  }
  return limit;
}

describe('FastCDC (Chunker v1)', () => {
  it('cuts exactly where the plain reference loop cuts (the fast loop is unrolled), at every phase edge', () => {
    const gear = deriveGearTable(seedA);
    // Small sizes: thousands of cuts, so every unrolled slot, tail loop and phase switch is hit.
    for (const sizes of [{ min: 64, avg: 256, max: 1024 }, { min: 67, avg: 512, max: 1031 }, { min: 256, avg: 256, max: 259 }, DEFAULT_CHUNK_SIZES]) {
      const cdc = new FastCdc(gear, sizes);
      const bytes = sizes === DEFAULT_CHUNK_SIZES ? data.subarray(0, 12 * 1024 * 1024) : seededBytes(300_000, sizes.min);
      for (let start = 0; start < bytes.length;) {
        const expected = referenceCut(gear, sizes, bytes, start, bytes.length);
        expect(cdc.cutPoint(bytes, start, bytes.length)).toBe(expected);
        // A shorter view ending at any offset mod 4 (tail loops) agrees too.
        for (const cut of [1, 2, 3]) {
          const end = Math.min(bytes.length, start + sizes.avg + cut);
          expect(cdc.cutPoint(bytes, start, end)).toBe(referenceCut(gear, sizes, bytes, start, end));
        }
        start += expected;
      }
    }
  });

  it('is deterministic for a seed and respects min/max; the average is near 1 MiB', () => {
    const lengths = cdcA.chunkLengths(data);
    expect(cdcA.chunkLengths(data)).toEqual(lengths);
    expect(new FastCdc(deriveGearTable(seedA.slice())).chunkLengths(data)).toEqual(lengths);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
    for (const length of lengths.slice(0, -1)) {
      expect(length).toBeGreaterThanOrEqual(min);
      expect(length).toBeLessThanOrEqual(max);
    }
    expect(lengths.at(-1)!).toBeLessThanOrEqual(max);
    const mean = data.length / lengths.length;
    expect(mean).toBeGreaterThan(avg * 0.6);
    expect(mean).toBeLessThan(avg * 1.6);
  });

  it('different seeds give different boundaries', () => {
    const a = new Set(boundaries(cdcA.chunkLengths(data)).slice(0, -1));
    const b = boundaries(cdcB.chunkLengths(data)).slice(0, -1);
    expect(b.filter((x) => a.has(x)).length).toBeLessThanOrEqual(1);
  });

  it('an account seed from the keychain drives the chunker', () => {
    const one = createChunker(deriveAssetSecrets(generateKey('keychain')));
    const two = createChunker(deriveAssetSecrets(generateKey('keychain')));
    expect(one.chunkLengths(data)).not.toEqual(two.chunkLengths(data));
  });

  it('cuts at max on content with no cut point (all zeros) and at EOF', () => {
    const zeros = new Uint8Array(3 * max + 123);
    const lengths = cdcA.chunkLengths(zeros);
    expect(lengths).toEqual([max, max, max, 123]);
  });

  it('an insertion early in a file moves only nearby boundaries', () => {
    // Inside the skipped first `min` bytes and past them, in the middle of a chunk.
    for (const insertAt of [5000, 3 * 1024 * 1024 + 12_345]) {
      shiftOnlyNear(insertAt);
    }
  });

  function shiftOnlyNear(insertAt: number): void {
    const inserted = seededBytes(777, 9);
    const edited = new Uint8Array(data.length + inserted.length);
    edited.set(data.subarray(0, insertAt));
    edited.set(inserted, insertAt);
    edited.set(data.subarray(insertAt), insertAt + inserted.length);
    // Boundaries in original coordinates; those after the insertion point move with the content.
    const before = boundaries(cdcA.chunkLengths(data)).map((b) => (b > insertAt ? b + inserted.length : b));
    const after = new Set(boundaries(cdcA.chunkLengths(edited)));
    const moved = before.filter((b) => !after.has(b));
    // At most the boundaries next to the edit move; every later chunk keeps its bytes (and id).
    expect(moved.length).toBeLessThanOrEqual(2);
    expect(before.length).toBeGreaterThan(10);
  }

  it('streaming gives the same chunks whatever the piece size, and the same bytes', async () => {
    const expected = cdcA.chunkLengths(data);
    for (const size of [1_000_003, 64 * 1024, 9 * 1024 * 1024]) {
      expect(await streamedLengths(cdcA, data, size)).toEqual(expected);
    }
    const joined = new Uint8Array(data.length);
    let at = 0;
    for await (const chunk of chunkStream(pieces(data, 3_000_000), cdcA)) {
      expect(chunk.byteOffset).toBe(0);
      expect(chunk.buffer.byteLength).toBe(chunk.length); // owns its buffer: transferable
      joined.set(chunk, at);
      at += chunk.length;
    }
    expect(Buffer.from(joined).equals(data)).toBe(true);
  });

  it('the splitter holds at most one window (2 × max) however long the stream', () => {
    const splitter = new ChunkSplitter(cdcA);
    let pendingMax = 0;
    for (let at = 0; at < data.length; at += 1 << 20) {
      splitter.push(data.subarray(at, at + (1 << 20)));
      pendingMax = Math.max(pendingMax, splitter.pending);
    }
    expect(pendingMax).toBeLessThan(max);
    splitter.finish();
    expect(splitter.pending).toBe(0);
  });

  it('rejects bad parameters', () => {
    expect(() => new FastCdc(new Uint32Array(255))).toThrow(RangeError);
    expect(() => new FastCdc(deriveGearTable(seedA), { min: 1024, avg: 3000, max: 8192 })).toThrow(RangeError);
    expect(() => new FastCdc(deriveGearTable(seedA), { min: 8192, avg: 4096, max: 16384 })).toThrow(RangeError);
  });
});
