/**
 * Uploads encrypted chunks the server lacks: chunks are collected into batches, each batch
 * asks `assets/missing` once, and only the missing chunks are sent — many per
 * `assets/upload-batch` request (Chunk batch v1), a few requests in flight on keep-alive
 * connections — while the next batch is being filled. That is also the resume protocol:
 * after an interruption the same chunks come again, the server answers that the stored
 * ones are present, and only the rest travel.
 *
 * Memory is bounded: `add` waits while more than `maxBufferedBytes` of ciphertext is held.
 * A chunk already known to be stored (or already scheduled) in this session is dropped at
 * once, so duplicates inside one upload cost no request.
 */
import { loadCrc32 } from './crc32.js';
import { UPLOAD_BATCH_MAX_BYTES, UPLOAD_BATCH_MAX_CHUNKS, type AssetApi, type BatchUploadChunk } from './asset-api.js';

export interface UploadChunk {
  /** The raw 32-byte chunk id. */
  readonly id: Uint8Array;
  /** The chunk id, base64url (what the server knows). */
  readonly idText: string;
  readonly ciphertext: Uint8Array;
  /**
   * CRC-32 of the ciphertext when the worker pool computed it; otherwise it is computed
   * here, only for chunks the server lacks.
   */
  readonly ciphertextCrc32?: number;
}

export interface ChunkUploaderOptions {
  /** Chunks per `assets/missing` question (default 128). */
  batchChunks?: number;
  /** Ciphertext bytes per batch (default 32 MiB). */
  batchBytes?: number;
  /** Ciphertext bytes per `assets/upload-batch` request (default 8 MiB; at most the server's 32 MiB). */
  requestBytes?: number;
  /** Upload requests in flight (default 4: a durable server write waits for fsync; several hide that latency). */
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
  readonly #requestBytes: number;
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
    this.#concurrency = options.concurrency ?? 4;
    this.#requestBytes = Math.min(options.requestBytes ?? 8 * 1024 * 1024, UPLOAD_BATCH_MAX_BYTES);
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

  /**
   * A chunk this session already offered with its ciphertext (the encryptor skipped it:
   * `encryptOrSkip`): counted as deduplicated, nothing to send.
   * @throws Error if the id was never offered — the encryptor broke its guarantee.
   */
  addRepeat(idText: string): void {
    this.#throwIfFailed();
    if (!this.#known.has(idText)) throw new Error(`chunk uploader: repeat of chunk ${idText} that was never offered`);
    this.stats.chunks++;
    this.stats.deduplicated++;
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
    let request: UploadChunk[] = [];
    let requestSize = 0;
    for (const chunk of batch) {
      if (!missing.has(chunk.idText)) {
        this.stats.deduplicated++;
        this.#forget(chunk);
        continue;
      }
      // A chunk is ≤ 4 MiB + 132 KiB, so a request stays under the server's 32 MiB.
      if (request.length > 0 && (request.length >= UPLOAD_BATCH_MAX_CHUNKS || requestSize + chunk.ciphertext.length > this.#requestBytes)) {
        uploads.push(this.#upload(request));
        request = [];
        requestSize = 0;
      }
      request.push(chunk);
      requestSize += chunk.ciphertext.length;
    }
    if (request.length > 0) uploads.push(this.#upload(request));
    await Promise.all(uploads);
  }

  async #upload(chunks: UploadChunk[]): Promise<void> {
    await this.#slot();
    try {
      this.#throwIfFailed();
      const crc32 = await loadCrc32();
      const frames: BatchUploadChunk[] = chunks.map((c) => ({ id: c.id, ciphertext: c.ciphertext, crc32: c.ciphertextCrc32 ?? crc32(c.ciphertext) }));
      await this.#api.uploadBatch(frames);
      this.stats.uploaded += chunks.length;
      for (const c of chunks) this.stats.uploadedBytes += c.ciphertext.length;
    } finally {
      for (const c of chunks) this.#forget(c);
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

/**
 * Memory a queued chunk pins: its whole buffer (a recycled buffer may be larger than the
 * chunk) — or, for a view of the memory the crypto pool shares with its workers, the view.
 */
function heldBytes(chunk: UploadChunk): number {
  const { buffer } = chunk.ciphertext;
  return buffer instanceof SharedArrayBuffer ? chunk.ciphertext.byteLength : buffer.byteLength;
}
