/**
 * A pool of worker threads (one per core by default) that hash + encrypt chunks
 * (crypto `encryptAssetChunk`) or decrypt them, so chunk crypto uses every core while
 * the main thread reads, chunks and does I/O. Buffers are transferred, not copied.
 *
 * Workers are unref'd while idle: a pool that is never closed does not keep the process
 * alive, and one with work in flight does.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { SessionIds } from './session-ids.js';
import { SharedArena } from './shared-arena.js';
import {
  assetChunkCiphertextSize, assetChunkIdentity, decryptAssetChunk, DecryptionError, encryptAssetChunk, sealAssetChunk,
  type AssetChunkRef, type ConvergenceKeys, type EncryptedAssetChunk,
} from '@coffer/crypto';

/** Messages to a worker (internal). */
export type WorkerRequest =
  | {
    seq: number; op: 'encrypt'; session?: number;
    /** The plaintext, transferred — or `at`/`length`: where it lies in the shared arena. */
    plaintext?: Uint8Array; at?: number; length?: number;
    /** A buffer for the ciphertext, transferred — or `outAt`/`outLength`: its place in the arena. */
    out?: ArrayBuffer; outAt?: number; outLength?: number;
  }
  | { seq: number; op: 'decrypt'; id: Uint8Array; key: Uint8Array; size: number; ciphertext: Uint8Array };

/** Messages from a worker (internal). */
export type WorkerReply =
  | {
    seq: number; ok: true; op: 'encrypt'; id: Uint8Array; key: Uint8Array; size: number;
    /** Absent when the ciphertext was written to the arena (`outAt`); `ciphertextLength` says how much. */
    ciphertext?: Uint8Array; ciphertextLength: number; ciphertextCrc32?: number;
    /** The transferred plaintext's buffer, handed back for reuse. */
    input?: ArrayBuffer;
  }
  | { seq: number; ok: true; op: 'repeat'; id: Uint8Array; key: Uint8Array; size: number; input?: ArrayBuffer; unused?: ArrayBuffer }
  | { seq: number; ok: true; op: 'decrypt'; plaintext: Uint8Array }
  | { seq: number; ok: false; name: string; message: string; code?: string };

export interface ChunkCryptoPoolOptions {
  /** The account's convergence keys (crypto `convergenceKeys`). */
  keys: ConvergenceKeys;
  /** Worker threads; default one per core. 0 runs everything on the calling thread (no workers). */
  workers?: number;
  /** Largest chunk (plaintext) this pool will see, for recycled buffers; default 4 MiB (Chunker v1 max). */
  maxChunkSize?: number;
  /**
   * Also compute each ciphertext's CRC-32 (what a Chunk batch v1 frame carries for the
   * server's transit check) on the worker, off the uploading thread. Default false.
   */
  uploadCrc32?: boolean;
  /**
   * Bytes of memory shared with the workers for chunks in flight (shared-arena.ts);
   * default 128 MiB, 0 for none (every chunk then moves by transfer). Only pages actually
   * used are touched. When the arena is full, chunks fall back to transfers.
   */
  arenaBytes?: number;
}

/** What the worker gets at start. */
export interface WorkerSetup {
  keys: ConvergenceKeys;
  uploadCrc32: boolean;
  arena?: SharedArrayBuffer;
}

/** An encrypted chunk from the pool; `ciphertextCrc32` is set when the pool computes upload checksums. */
export type PooledChunk = EncryptedAssetChunk & { readonly ciphertextCrc32?: number };

/**
 * A chunk {@link ChunkCryptoPool.encryptOrSkip} did not encrypt: the same session already
 * encrypted a chunk with this id, and that one came back earlier in submission order.
 */
export interface RepeatedChunk extends AssetChunkRef {
  readonly repeat: true;
}



interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

const workerUrl = new URL('./crypto-worker.js', import.meta.url);
/** Recycled plaintext buffers kept: enough for every chunk in flight plus a few. */
const FREE_LIST_MAX = 16;
/**
 * Released ciphertext buffers kept, in bytes. An uploader holds tens of MiB of ciphertext
 * in flight; every buffer not recycled is a fresh multi-MiB allocation whose release only
 * the garbage collector sees — measured on a 1 GB backup: ~70 full (mark-compact) GCs,
 * ~1 s of the main thread, with a 16-buffer free list.
 */
const FREE_OUTPUT_BYTES = 160 * 1024 * 1024;
/** Memory shared with the workers (see ChunkCryptoPoolOptions.arenaBytes). */
const DEFAULT_ARENA_BYTES = 128 * 1024 * 1024;
/** Ciphertext buffers are allocated in multiples of this (a 1 MiB chunk does not pin 4 MiB). */
const OUTPUT_UNIT = 256 * 1024;

function rebuildError(reply: Extract<WorkerReply, { ok: false }>): Error {
  // Callers branch on the crypto error classes: re-create them on this side of the port.
  if (reply.code === 'DECRYPTION_FAILED') return new DecryptionError('asset chunk');
  const error = new Error(reply.message);
  error.name = reply.name;
  return error;
}

export class ChunkCryptoPool {
  /** Worker threads (0 = inline). */
  readonly size: number;
  readonly #keys: ConvergenceKeys;
  readonly #uploadCrc32: boolean;
  readonly #slots: Slot[] = [];
  readonly #maxChunk: number;
  readonly #arena: SharedArena | undefined;
  /** Plaintext buffers (each maxChunk bytes) that came back from workers. */
  readonly #freeInputs: ArrayBuffer[] = [];
  /** Ciphertext buffers given back through release(), and their total bytes. */
  readonly #freeOutputs: ArrayBuffer[] = [];
  #freeOutputBytes = 0;
  /** Buffers this pool handed out, so encrypt() knows it may transfer the whole buffer. */
  readonly #owned = new WeakSet<ArrayBuffer>();
  #seq = 0;
  /** Seen ids of the inline path (workers keep their own). */
  readonly #inlineSession = new SessionIds();
  #closed = false;
  #failure: Error | undefined;

  constructor(options: ChunkCryptoPoolOptions) {
    this.#keys = options.keys;
    this.#uploadCrc32 = options.uploadCrc32 ?? false;
    const size = options.workers ?? availableParallelism();
    if (!Number.isInteger(size) || size < 0) throw new RangeError('ChunkCryptoPool: workers must be a non-negative integer');
    this.size = size;
    this.#maxChunk = options.maxChunkSize ?? 4 * 1024 * 1024;
    const arenaBytes = options.arenaBytes ?? DEFAULT_ARENA_BYTES;
    this.#arena = size > 0 && arenaBytes > 0 ? new SharedArena(arenaBytes) : undefined;
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
  }

  /**
   * A buffer for the next chunk's plaintext (`size` ≤ maxChunkSize bytes): a piece of the
   * memory shared with the workers, or a buffer recycled from chunks the workers are done
   * with. Pass it to {@link encrypt} or {@link encryptOrSkip}, which hand it to a worker
   * without copying and take it back once the chunk is encrypted (do not keep it). The
   * splitter of encryptStream/encryptFile and the SDK's FileChunker use this. `phase`:
   * the address modulo 8 of the bytes the caller will copy in (shared-arena.ts says why).
   */
  allocatePlaintext(size: number, phase = 0): Uint8Array {
    if (size > this.#maxChunk) return new Uint8Array(size);
    const shared = this.#arena?.alloc(size, phase & 7);
    if (shared !== undefined) return shared;
    const buffer = this.#freeInputs.pop() ?? new ArrayBuffer(this.#maxChunk);
    this.#owned.add(buffer);
    return new Uint8Array(buffer, 0, size);
  }

  /**
   * Gives a chunk's ciphertext buffer back for reuse once it has been uploaded (optional:
   * an unreleased buffer is simply garbage-collected). The chunk must not be used after.
   */
  release(chunk: { ciphertext: Uint8Array }): void {
    if (this.#arena?.free(chunk.ciphertext) === true) return;
    const { buffer } = chunk.ciphertext;
    if (!(buffer instanceof ArrayBuffer) || this.#freeOutputBytes + buffer.byteLength > FREE_OUTPUT_BYTES) return;
    // A buffer handed back twice would later hold two chunks at once: keep each once.
    if (this.#freeOutputs.includes(buffer)) return;
    this.#freeOutputs.push(buffer);
    this.#freeOutputBytes += buffer.byteLength;
  }

  /** Plaintext to send: the pool's own buffers and whole-buffer arrays move as they are; anything else is copied. */
  #sendable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    const { buffer } = bytes;
    if (buffer instanceof ArrayBuffer && (this.#owned.has(buffer) || (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength))) {
      return bytes as Uint8Array<ArrayBuffer>;
    }
    return bytes.slice();
  }

  /** A released ciphertext buffer that fits `size` bytes, if any. */
  #takeOutput(size: number): ArrayBuffer | undefined {
    let best = -1;
    for (let i = 0; i < this.#freeOutputs.length; i++) {
      const length = this.#freeOutputs[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.#freeOutputs[best]!.byteLength)) best = i;
    }
    if (best < 0) return undefined;
    const buffer = this.#freeOutputs.splice(best, 1)[0]!;
    this.#freeOutputBytes -= buffer.byteLength;
    return buffer;
  }

  /** A ciphertext buffer for `size` bytes: a recycled one, or a new one allocated here (see OUTPUT_UNIT). */
  #output(size: number): ArrayBuffer {
    return this.#takeOutput(size) ?? new ArrayBuffer(Math.ceil(size / OUTPUT_UNIT) * OUTPUT_UNIT);
  }

  #spawn(): Slot {
    const setup: WorkerSetup = { keys: this.#keys, uploadCrc32: this.#uploadCrc32, ...(this.#arena === undefined ? {} : { arena: this.#arena.buffer }) };
    const worker = new Worker(workerUrl, { workerData: setup });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const waiter = slot.pending.get(reply.seq);
      if (waiter === undefined) return;
      slot.pending.delete(reply.seq);
      if (slot.pending.size === 0) worker.unref();
      waiter.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      for (const waiter of slot.pending.values()) waiter.reject(error);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`chunk crypto worker exited with code ${code}`));
    });
    return slot;
  }

  #dispatch(request: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.#closed) return Promise.reject(new Error('ChunkCryptoPool is closed'));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    let slot = this.#slots[0]!;
    for (const candidate of this.#slots) if (candidate.pending.size < slot.pending.size) slot = candidate;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(request.seq, { resolve, reject });
      slot.worker.postMessage(request, transfer);
    });
  }

  /**
   * Hashes and encrypts one chunk. Takes ownership of `plaintext`: when it spans a whole
   * ArrayBuffer that buffer is transferred to a worker (detached here).
   */
  async encrypt(plaintext: Uint8Array): Promise<PooledChunk> {
    const result = await this.#encrypt(plaintext, undefined);
    if ('repeat' in result) throw new Error('chunk crypto pool: a repeat without a session');
    return result;
  }

  /**
   * Like {@link encrypt}, but a chunk whose id the worker already encrypted in `session`
   * (a number the caller picks per upload, e.g. per `uploadFiles` call) is hashed only:
   * the result is a {@link RepeatedChunk} and no AES time is spent. Duplicate content —
   * a copied file, a repeated block — is common, and its ciphertext would be dropped by
   * the uploader anyway. Guarantee: a repeat is only returned for a chunk whose first
   * occurrence was submitted earlier in the same session (and, resolved in submission
   * order, came back first with its ciphertext).
   *
   * The caller must {@link release} each returned chunk once done with its ciphertext: here
   * the ciphertext may live in the memory shared with the workers, which only release()
   * gives back (an unreleased one is not reused; when the arena runs out, chunks fall back
   * to transferred buffers — slower, never wrong). {@link encrypt} never uses the arena for
   * ciphertext, so its callers need not release.
   */
  encryptOrSkip(plaintext: Uint8Array, session: number): Promise<PooledChunk | RepeatedChunk> {
    return this.#encrypt(plaintext, session);
  }

  async #encrypt(plaintext: Uint8Array, session: number | undefined): Promise<PooledChunk | RepeatedChunk> {
    if (this.size === 0) {
      let ref: AssetChunkRef | undefined;
      if (session !== undefined) {
        ref = assetChunkIdentity(this.#keys, plaintext);
        if (this.#inlineSession.repeated(session, ref.id)) {
          this.#recycleInput(plaintext);
          return { ...ref, repeat: true };
        }
      }
      const out = this.#takeOutput(assetChunkCiphertextSize(plaintext.length));
      const buffers = out === undefined ? {} : { out: new Uint8Array(out) };
      const chunk = ref === undefined ? encryptAssetChunk(this.#keys, plaintext, buffers) : sealAssetChunk(ref, plaintext, buffers);
      this.#recycleInput(plaintext);
      return this.#uploadCrc32 ? { ...chunk, ciphertextCrc32: crc32(chunk.ciphertext) } : chunk;
    }
    return this.#encryptOnWorker(plaintext, session);
  }

  /**
   * The worker half of #encrypt. Plaintext from allocatePlaintext's arena is named by
   * offset, anything else moves by transfer (or copy, see #sendable); the ciphertext goes to
   * the arena only for encryptOrSkip (whose callers release) and only while there is room.
   */
  async #encryptOnWorker(plaintext: Uint8Array, session: number | undefined): Promise<PooledChunk | RepeatedChunk> {
    const arena = this.#arena;
    const plaintextShared = arena?.owns(plaintext) === true;
    const ciphertextSize = assetChunkCiphertextSize(plaintext.length);
    // Phase 7: the worker copies each segment's AES output (an 8-aligned node Buffer) to
    // offset 1 + i × (64 KiB + 16) of the ciphertext, which then lands on a word boundary.
    const outShared = session === undefined ? undefined : arena?.alloc(ciphertextSize, 7);
    const request: Extract<WorkerRequest, { op: 'encrypt' }> = { seq: ++this.#seq, op: 'encrypt', ...(session === undefined ? {} : { session }) };
    const transfer: ArrayBuffer[] = [];
    if (plaintextShared) {
      request.at = plaintext.byteOffset;
      request.length = plaintext.length;
    } else {
      const bytes = this.#sendable(plaintext);
      request.plaintext = bytes;
      transfer.push(bytes.buffer);
    }
    if (outShared !== undefined) {
      request.outAt = outShared.byteOffset;
      request.outLength = outShared.length;
    } else {
      request.out = this.#output(ciphertextSize);
      transfer.push(request.out);
    }
    let reply: WorkerReply | undefined;
    try {
      reply = await this.#dispatch(request, transfer);
    } finally {
      // The worker has answered (or is gone): it reads the plaintext no more, and the shared
      // ciphertext space stays taken only for a ciphertext that filled it exactly.
      if (plaintextShared) arena.free(plaintext);
      const filled = reply?.ok === true && reply.op === 'encrypt' && reply.ciphertextLength === ciphertextSize;
      if (outShared !== undefined && !filled) arena!.free(outShared);
    }
    if (!reply.ok) throw rebuildError(reply);
    if (reply.op === 'decrypt') throw new Error('chunk crypto worker answered the wrong operation');
    if (reply.input !== undefined && reply.input.byteLength === this.#maxChunk && this.#freeInputs.length < FREE_LIST_MAX) this.#freeInputs.push(reply.input);
    if (reply.op === 'repeat') {
      if (reply.unused !== undefined) this.release({ ciphertext: new Uint8Array(reply.unused) });
      return { id: reply.id, key: reply.key, size: reply.size, repeat: true };
    }
    const ciphertext = outShared ?? reply.ciphertext;
    if (ciphertext === undefined || reply.ciphertextLength !== ciphertextSize) throw new Error('chunk crypto worker sent no ciphertext of the expected length');
    return {
      id: reply.id, key: reply.key, size: reply.size, ciphertext,
      ...(reply.ciphertextCrc32 === undefined ? {} : { ciphertextCrc32: reply.ciphertextCrc32 }),
    };
  }

  #recycleInput(plaintext: Uint8Array): void {
    if (this.#owned.has(plaintext.buffer as ArrayBuffer) && this.#freeInputs.length < FREE_LIST_MAX) this.#freeInputs.push(plaintext.buffer as ArrayBuffer);
  }

  /**
   * Opens one chunk (crypto `decryptAssetChunk`). Takes ownership of `ciphertext` as
   * {@link encrypt} does of its plaintext.
   * @throws DecryptionError (from @coffer/crypto) on a corrupted or swapped chunk.
   */
  async decrypt(ref: AssetChunkRef, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (this.size === 0) return decryptAssetChunk(ref, ciphertext);
    const bytes = this.#sendable(ciphertext);
    const reply = await this.#dispatch({ seq: ++this.#seq, op: 'decrypt', id: ref.id, key: ref.key, size: ref.size, ciphertext: bytes }, [bytes.buffer]);
    if (!reply.ok) throw rebuildError(reply);
    if (reply.op !== 'decrypt') throw new Error('chunk crypto worker answered the wrong operation');
    return reply.plaintext;
  }

  /** Stops the workers; pending calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new Error('ChunkCryptoPool closed');
    for (const slot of this.#slots) {
      for (const waiter of slot.pending.values()) waiter.reject(error);
      slot.pending.clear();
    }
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}

/**
 * Runs `work` over `items` with at most `window` in flight, yielding results in input
 * order. Memory is bounded by the window, not by the input's length.
 */
export async function* inOrder<T, R>(items: AsyncIterable<T> | Iterable<T>, work: (item: T) => Promise<R>, window: number): AsyncGenerator<R> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError('inOrder: window must be a positive integer');
  const queue: Promise<R>[] = [];
  for await (const item of items) {
    const promise = work(item);
    // Observed later, in order; this keeps a rejection from counting as unhandled meanwhile.
    promise.catch(() => undefined);
    queue.push(promise);
    if (queue.length >= window) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

/**
 * Encrypts a stream of chunks on the pool, in order, with 2 chunks in flight per worker.
 * Takes ownership of the chunks (see {@link ChunkCryptoPool.encrypt}).
 */
export function encryptChunks(chunks: AsyncIterable<Uint8Array>, pool: ChunkCryptoPool): AsyncGenerator<PooledChunk> {
  return inOrder(chunks, (chunk) => pool.encrypt(chunk), Math.max(2, 2 * pool.size + 1));
}

/** Decrypts a stream of fetched chunks on the pool, in order. */
export function decryptChunks(
  items: AsyncIterable<{ ref: AssetChunkRef; ciphertext: Uint8Array }>, pool: ChunkCryptoPool,
): AsyncGenerator<Uint8Array> {
  return inOrder(items, ({ ref, ciphertext }) => pool.decrypt(ref, ciphertext), Math.max(2, 2 * pool.size + 1));
}
