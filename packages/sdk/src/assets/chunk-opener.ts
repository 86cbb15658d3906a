/**
 * Verifying and decrypting fetched chunks for the ChunkFetcher (chunk-fetcher.ts): on this
 * thread with recycled buffers (InlineChunkOpener), or on the worker pool
 * (workerChunkOpener). Either way nothing is released before the whole chunk has verified.
 *
 * Why not crypto's `decryptAssetChunk` as is: it unpads into a fresh copy of every chunk
 * and then zeroes its scratch — two extra passes over every byte and a multi-MiB
 * allocation per chunk, which made the garbage collector the largest cost of a restore.
 * `openAssetChunkInto` is the same Asset chunk v1 check (docs/PROTOCOL.md) built from
 * crypto's own `decryptChunkInto` and `unpadView`, returning a view into a caller buffer;
 * test/chunk-opener.test.ts pins it to decryptAssetChunk on every tampering case.
 */
import { CHUNK_ID_LENGTH, decryptChunkInto, DecryptionError, unpadView, type AssetChunkRef } from '@coffer/crypto';
import { decryptionPool } from './asset-engine.js';

/** A verified plaintext and how to give its buffer back. */
export interface OpenedPlaintext {
  readonly plaintext: Uint8Array;
  release(): void;
}

/** What the fetcher needs to turn ciphertext into plaintext. */
export interface ChunkOpener {
  /** A buffer to receive `size` bytes of ciphertext; it is handed back through open(). */
  ciphertextBuffer(size: number): Uint8Array;
  /**
   * Verifies and decrypts one chunk; takes ownership of `ciphertext` (recycled or
   * transferred). @throws DecryptionError on a corrupted, swapped or resized chunk.
   */
  open(ref: AssetChunkRef, ciphertext: Uint8Array): Promise<OpenedPlaintext>;
}

/**
 * Asset chunk v1 decryption into `out` (≥ the ciphertext's padded size): verifies every
 * segment, checks the padding and the manifest's size, returns the plaintext as a view
 * into `out`. On any failure `out` holds no plaintext and DecryptionError is thrown.
 */
export function openAssetChunkInto(ref: AssetChunkRef, ciphertext: Uint8Array, out: Uint8Array): Uint8Array {
  if (ref.id.length !== CHUNK_ID_LENGTH || ref.key.length !== 32) throw new DecryptionError('asset chunk');
  // Throws DecryptionError (and zeroes what it wrote) unless every segment verifies.
  const padded = decryptChunkInto(ref.key, ciphertext, out, ref.id);
  try {
    const plaintext = unpadView(padded);
    if (plaintext.length !== ref.size) throw new DecryptionError('asset chunk');
    return plaintext;
  } catch (error) {
    padded.fill(0);
    // Authentic but not our padding: only a buggy or malicious key holder writes this.
    throw error instanceof DecryptionError ? error : new DecryptionError('asset chunk');
  }
}

/** Free buffers kept: enough for the chunks in flight of a restore. */
const KEEP = 48;
/** Buffers grow in these steps, so a queue of small chunks does not pin 4 MiB each. */
const UNIT = 256 * 1024;

/**
 * Opens chunks on the calling thread. Ciphertext and plaintext buffers come from one free
 * list and go back to it (ciphertext once decrypted, plaintext on release): a restore of
 * GBs allocates a few dozen buffers, not one per chunk.
 */
export class InlineChunkOpener implements ChunkOpener {
  readonly #free: ArrayBuffer[] = [];
  readonly #mine = new WeakSet<ArrayBuffer>();

  ciphertextBuffer(size: number): Uint8Array {
    return new Uint8Array(this.#take(size), 0, size);
  }

  open(ref: AssetChunkRef, ciphertext: Uint8Array): Promise<OpenedPlaintext> {
    const out = new Uint8Array(this.#take(ciphertext.length));
    let plaintext: Uint8Array;
    try {
      plaintext = openAssetChunkInto(ref, ciphertext, out);
    } catch (error) {
      this.#give(out.buffer);
      return Promise.reject(error instanceof Error ? error : new DecryptionError('asset chunk'));
    } finally {
      this.#give(ciphertext.buffer as ArrayBuffer);
    }
    let released = false;
    return Promise.resolve({
      plaintext,
      release: () => {
        // Released twice would hand one buffer to two chunks: once only.
        if (released) return;
        released = true;
        this.#give(out.buffer);
      },
    });
  }

  /** The smallest free buffer that fits, or a new one rounded up to UNIT. */
  #take(size: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const length = this.#free[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.#free[best]!.byteLength)) best = i;
    }
    if (best >= 0) return this.#free.splice(best, 1)[0]!;
    const buffer = new ArrayBuffer(Math.max(UNIT, Math.ceil(size / UNIT) * UNIT));
    this.#mine.add(buffer);
    return buffer;
  }

  #give(buffer: ArrayBuffer): void {
    if (!this.#mine.has(buffer) || this.#free.includes(buffer)) return;
    if (this.#free.length < KEEP) this.#free.push(buffer);
  }
}

/** The worker pool's `decrypt` (ChunkCryptoPool): it takes the ciphertext by transfer and answers a fresh plaintext. */
export interface ChunkDecryptPool {
  decrypt(ref: AssetChunkRef, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** Opens chunks on the worker pool (machines with cores to spare; see asset-engine.ts workerCount). */
export function workerChunkOpener(pool: ChunkDecryptPool): ChunkOpener {
  return {
    ciphertextBuffer: (size) => new Uint8Array(size),
    open: async (ref, ciphertext) => ({ plaintext: await pool.decrypt(ref, ciphertext), release: () => undefined }),
  };
}

/**
 * The opener for a large fetch: the worker pool when it would have two workers or more,
 * else undefined (open on this thread). Measured on 2 cores (bench/backup restore,
 * 1.1 GB): one decrypting worker cost ~1.2 s more CPU than this thread (a transfer each
 * way and fresh buffers per chunk) and finished ~2 s later; the pool is not even started
 * then. With more cores, workers decrypt while this thread parses and writes.
 */
export async function poolOpenerIfParallel(): Promise<ChunkOpener | undefined> {
  const { availableParallelism } = await import('node:os');
  const forced = process.env.COFFER_ASSET_WORKERS;
  if (availableParallelism() < 3 && (forced === undefined || forced === '')) return undefined;
  const pool = await decryptionPool();
  return pool.size >= 2 ? workerChunkOpener(pool) : undefined;
}
