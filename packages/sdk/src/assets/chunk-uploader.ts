/**
 * Uploads encrypted chunks the server lacks: chunks are collected into batches, each batch
 * asks `assets/missing` once, and only the missing chunks are sent — a few at a time, on
 * keep-alive connections — while the next batch is being filled. That is also the resume
 * protocol: after an interruption the same chunks come again, the server answers that
 * the stored ones are present, and only the rest travel.
 *
 * Memory is bounded: `add` waits while more than `maxBufferedBytes` of ciphertext is held.
 * A chunk already known to be stored (or already scheduled) in this session is dropped at
 * once, so duplicates inside one upload cost no request.
 */
import { sha256 } from '@coffer/crypto';
import type { AssetApi } from './asset-api.js';

export interface UploadChunk {
  /** The chunk id, base64url (what the server knows). */
  readonly idText: string;
  readonly ciphertext: Uint8Array;
  /**
   * SHA-256 of the ciphertext when the worker pool computed it; otherwise it is computed
   * here, only for chunks the server lacks (no hashing of duplicates).
   */
  readonly ciphertextSha256?: Uint8Array;
}

export interface ChunkUploaderOptions {
  /** Chunks per `assets/missing` question (default 128). */
  batchChunks?: number;
  /** Ciphertext bytes per batch (default 32 MiB). */
  batchBytes?: number;
  /** Concurrent uploads (default 8: a durable server write waits for fsync; several hide that latency). */
  concurrency?: number;
  /** Memory held for queued ciphertext (whole buffers) before `add` waits (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Called when a chunk's buffer is no longer needed (uploaded or found present). */
  release?: (chunk: UploadChunk) => void;
}

export interface UploadStats {
  /** Chunks offered. */
  chunks: number;
  /** Chunks sent to the server. */
  uploaded: number;
  uploadedBytes: number;
  /** Chunks the server already had, or that repeated within this session. */
  deduplicated: number;
}

export class ChunkUploader {
  readonly stats: UploadStats = { chunks: 0, uploaded: 0, uploadedBytes: 0, deduplicated: 0 };
  readonly #api: AssetApi;
  readonly #batchChunks: number;
  readonly #batchBytes: number;
  readonly #concurrency: number;
  readonly #maxBuffered: number;
  readonly #release: (chunk: UploadChunk) => void;
  /** Ids stored on the server or scheduled for upload in this session. */
  readonly #known = new Set<string>();
  #batch: UploadChunk[] = [];
  #batchSize = 0;
  #buffered = 0;
  readonly #batches = new Set<Promise<void>>();
  #activeUploads = 0;
  readonly #uploadSlots: (() => void)[] = [];
  #error: Error | undefined;
  readonly #released = new WeakSet<UploadChunk>();

  constructor(api: AssetApi, options: ChunkUploaderOptions = {}) {
    this.#api = api;
    this.#batchChunks = options.batchChunks ?? 128;
    this.#batchBytes = options.batchBytes ?? 32 * 1024 * 1024;
    this.#concurrency = options.concurrency ?? 8;
    this.#maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.#release = options.release ?? (() => undefined);
  }

  /** Marks ids as present on the server (e.g. answered by an earlier `missing`). */
  markKnown(ids: Iterable<string>): void {
    for (const id of ids) this.#known.add(id);
  }

  /** Offers one chunk; resolves when it is queued (waits while too much is buffered). */
  async add(chunk: UploadChunk): Promise<void> {
    this.#throwIfFailed();
    this.stats.chunks++;
    if (this.#known.has(chunk.idText)) {
      this.stats.deduplicated++;
      this.#release(chunk);
      return;
    }
    this.#known.add(chunk.idText);
    this.#batch.push(chunk);
    this.#batchSize += chunk.ciphertext.length;
    this.#buffered += heldBytes(chunk);
    if (this.#batch.length >= this.#batchChunks || this.#batchSize >= this.#batchBytes) this.#dispatch();
    while (this.#buffered > this.#maxBuffered && this.#batches.size > 0) {
      await Promise.race(this.#batches);
      this.#throwIfFailed();
    }
  }

  /** Sends everything still queued and waits for all uploads. */
  async flush(): Promise<void> {
    this.#dispatch();
    while (this.#batches.size > 0) await Promise.race(this.#batches);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  #dispatch(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchSize = 0;
    const run = this.#runBatch(batch).catch((error: unknown) => {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
      for (const chunk of batch) this.#forget(chunk);
    }).finally(() => {
      this.#batches.delete(run);
    });
    this.#batches.add(run);
  }

  async #runBatch(batch: UploadChunk[]): Promise<void> {
    this.#throwIfFailed();
    const missing = new Set(await this.#api.missing(batch.map((c) => c.idText)));
    const uploads: Promise<void>[] = [];
    for (const chunk of batch) {
      if (!missing.has(chunk.idText)) {
        this.stats.deduplicated++;
        this.#forget(chunk);
        continue;
      }
      uploads.push(this.#upload(chunk));
    }
    await Promise.all(uploads);
  }

  async #upload(chunk: UploadChunk): Promise<void> {
    await this.#slot();
    try {
      this.#throwIfFailed();
      await this.#api.upload(chunk.idText, chunk.ciphertext, chunk.ciphertextSha256 ?? sha256(chunk.ciphertext));
      this.stats.uploaded++;
      this.stats.uploadedBytes += chunk.ciphertext.length;
    } finally {
      this.#forget(chunk);
      this.#activeUploads--;
      this.#uploadSlots.shift()?.();
    }
  }

  /** Waits for one of `concurrency` upload slots. */
  async #slot(): Promise<void> {
    if (this.#activeUploads >= this.#concurrency) await new Promise<void>((resolve) => this.#uploadSlots.push(resolve));
    this.#activeUploads++;
  }

  /** Drops a queued chunk's buffer exactly once (a buffer released twice would be reused twice). */
  #forget(chunk: UploadChunk): void {
    if (this.#released.has(chunk)) return;
    this.#released.add(chunk);
    this.#buffered -= heldBytes(chunk);
    this.#release(chunk);
  }
}

/** Memory a queued chunk pins: its whole buffer (a recycled buffer may be larger than the chunk). */
function heldBytes(chunk: UploadChunk): number {
  return chunk.ciphertext.buffer.byteLength;
}
