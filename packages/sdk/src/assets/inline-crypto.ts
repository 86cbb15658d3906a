/**
 * Chunk hashing + encryption on the calling thread with recycled buffers: the same work
 * as the worker pool's threads (crypto `encryptAssetChunk`: SHA-256 → keyed id and key,
 * Padmé, AES-256-GCM; the upload's SHA-256 is left to the uploader), but the padded
 * scratch, plaintext and ciphertext buffers are reused chunk after chunk. Allocating
 * them per chunk made the garbage collector the largest cost of a backup.
 */
import { assetChunkCiphertextSize, encryptAssetChunk, type ConvergenceKeys } from '@coffer/crypto';
import type { PooledChunk, RepeatedChunk } from '@coffer/assets';

/** What uploadFiles needs of a chunk encryptor (the worker pool has the same shape). */
export interface ChunkEncryptor {
  /** Worker threads (0: this thread). */
  readonly size: number;
  /** `phase`: where the bytes that will fill it sit modulo 8 (a hint, see @coffer/assets ChunkAllocator). */
  allocatePlaintext(size: number, phase?: number): Uint8Array;
  encrypt(plaintext: Uint8Array): Promise<PooledChunk>;
  /** encrypt, or a {@link RepeatedChunk} (hashed only) for an id already encrypted in `session` (worker pool). */
  encryptOrSkip(plaintext: Uint8Array, session: number): Promise<PooledChunk | RepeatedChunk>;
  release(chunk: { ciphertext: Uint8Array }): void;
}

/** Chunker v1 max. */
const MAX_CHUNK = 4 * 1024 * 1024;
const MAX_CIPHERTEXT = assetChunkCiphertextSize(MAX_CHUNK);
/** Free buffers kept per kind: enough for the chunks in flight in an upload. */
const KEEP = 32;

export class InlineChunkCrypto implements ChunkEncryptor {
  readonly size = 0;
  readonly #keys: ConvergenceKeys;
  readonly #padded = new Uint8Array(MAX_CIPHERTEXT);
  readonly #inputs: ArrayBuffer[] = [];
  readonly #outputs: ArrayBuffer[] = [];
  readonly #mine = new WeakSet<ArrayBuffer>();

  constructor(keys: ConvergenceKeys) {
    this.#keys = keys;
  }

  allocatePlaintext(size: number): Uint8Array {
    if (size > MAX_CHUNK) return new Uint8Array(size);
    const buffer = this.#inputs.pop() ?? this.#own(new ArrayBuffer(MAX_CHUNK));
    return new Uint8Array(buffer, 0, size);
  }

  /** Hashes and encrypts one chunk; `plaintext`'s buffer is reused afterwards (do not keep it). */
  encrypt(plaintext: Uint8Array): Promise<PooledChunk> {
    const size = assetChunkCiphertextSize(plaintext.length);
    const out = size <= MAX_CIPHERTEXT ? new Uint8Array(this.#output(size)) : undefined;
    const chunk = encryptAssetChunk(this.#keys, plaintext, { padded: this.#padded, ...(out === undefined ? {} : { out }) });
    const input = plaintext.buffer as ArrayBuffer;
    if (this.#mine.has(input) && this.#inputs.length < KEEP) this.#inputs.push(input);
    // No upload digest here: the uploader hashes only the chunks the server lacks.
    return Promise.resolve(chunk);
  }

  /** Inline jobs are small (one file, an index): no repeat tracking, every chunk is encrypted. */
  encryptOrSkip(plaintext: Uint8Array): Promise<PooledChunk> {
    return this.encrypt(plaintext);
  }

  /** Takes a ciphertext buffer back once its chunk is uploaded (or found present). */
  release(chunk: { ciphertext: Uint8Array }): void {
    const buffer = chunk.ciphertext.buffer as ArrayBuffer;
    // A buffer handed back twice would later hold two chunks at once: keep each once.
    if (this.#mine.has(buffer) && this.#outputs.length < KEEP && !this.#outputs.includes(buffer)) this.#outputs.push(buffer);
  }

  /**
   * A ciphertext buffer for `size` bytes: the smallest free one that fits, or a new one of
   * `size` rounded up to 256 KiB — not always the maximum, or a queue of small chunks
   * waiting for upload would pin 4 MiB each.
   */
  #output(size: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.#outputs.length; i++) {
      const length = this.#outputs[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.#outputs[best]!.byteLength)) best = i;
    }
    if (best >= 0) return this.#outputs.splice(best, 1)[0]!;
    const unit = 256 * 1024;
    return this.#own(new ArrayBuffer(Math.min(MAX_CIPHERTEXT, Math.ceil(size / unit) * unit)));
  }

  #own(buffer: ArrayBuffer): ArrayBuffer {
    this.#mine.add(buffer);
    return buffer;
  }
}
