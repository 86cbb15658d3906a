/**
 * The asset endpoints of the private database (docs/ASSETS.md "The server's endpoints"):
 * `assets/missing`; `assets/upload-batch` (many chunks per request as Chunk batch v1,
 * docs/PROTOCOL.md — each with the CRC-32 of its ciphertext so the server can refuse bytes
 * corrupted in transit; what ChunkUploader uses); `assets/upload` (one raw chunk with the
 * SHA-256 of its ciphertext, for simple clients); `assets/download`, `assets/fetch` (via
 * chunkFetcher) and `assets/gc`. Only chunk ids and ciphertext cross this boundary.
 */
import { toHex } from '@coffer/crypto';
import type { DatabaseContext } from '../database-context.js';
import { InvalidArgumentError } from '../errors.js';
import { ChunkFetcher, type ChunkFetcherOptions } from './chunk-fetcher.js';

/** Ids per `assets/missing` request (the server's limit). */
export const MISSING_BATCH = 1000;
/** Chunk batch v1 (docs/PROTOCOL.md): the version byte, and each frame's header size. */
const CHUNK_BATCH_VERSION = 1;
const FRAME_HEADER = 40;
/** The server's limits on one `assets/upload-batch` request. */
export const UPLOAD_BATCH_MAX_CHUNKS = 256;
export const UPLOAD_BATCH_MAX_BYTES = 32 * 1024 * 1024;

/** One chunk of an upload batch. */
export interface BatchUploadChunk {
  /** The raw 32-byte chunk id. */
  readonly id: Uint8Array;
  readonly ciphertext: Uint8Array;
  /** CRC-32 of the ciphertext (crc32.ts). */
  readonly crc32: number;
}
/** Largest chunk the server sends (4 MiB chunk, padded, plus Chunk v1 overhead). */
const MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024 + 128 * 1024 + 4096;

export interface GarbageCollectionReport {
  deletedChunks: number;
  freedBytes: number;
}

/** Counters of requests made, for progress and for tests that assert what was (not) re-sent. */
export interface AssetRequestCounters {
  missingRequests: number;
  uploads: number;
  uploadedBytes: number;
  downloads: number;
  downloadedBytes: number;
}

export class AssetApi {
  readonly counters: AssetRequestCounters = { missingRequests: 0, uploads: 0, uploadedBytes: 0, downloads: 0, downloadedBytes: 0 };

  constructor(private readonly ctx: DatabaseContext) {
    if (ctx.scope !== 'private') throw new InvalidArgumentError('assets live in the private database');
  }

  /** The ids (deduplicated, request order) the server does not store; extends the lease of the others. */
  async missing(chunkIds: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < chunkIds.length; i += MISSING_BATCH) {
      this.counters.missingRequests++;
      const response = await this.ctx.post<{ missing: string[] }>('assets/missing', { chunkIds: chunkIds.slice(i, i + MISSING_BATCH) });
      out.push(...response.missing);
    }
    return out;
  }

  /** Uploads one encrypted chunk (idempotent). */
  async upload(chunkId: string, ciphertext: Uint8Array, ciphertextSha256: Uint8Array): Promise<void> {
    await this.ctx.transport.bytes('POST', this.ctx.path(`assets/upload?chunkId=${chunkId}`), {
      body: ciphertext,
      headers: { 'content-type': 'application/octet-stream', 'x-coffer-content-sha256': toHex(ciphertextSha256) },
      maxBytes: 64 * 1024,
    });
    this.counters.uploads++;
    this.counters.uploadedBytes += ciphertext.length;
  }

  /**
   * Uploads several encrypted chunks in one request (Chunk batch v1: frames of id, length,
   * CRC-32 and ciphertext, sent as parts without concatenation). Idempotent; all or nothing.
   */
  async uploadBatch(chunks: readonly BatchUploadChunk[]): Promise<void> {
    const parts: Uint8Array[] = [Uint8Array.of(CHUNK_BATCH_VERSION)];
    let bytes = 0;
    for (const chunk of chunks) {
      const header = new Uint8Array(FRAME_HEADER);
      header.set(chunk.id, 0);
      const view = new DataView(header.buffer);
      view.setUint32(32, chunk.ciphertext.length);
      view.setUint32(36, chunk.crc32);
      parts.push(header, chunk.ciphertext);
      bytes += chunk.ciphertext.length;
    }
    await this.ctx.transport.bytes('POST', this.ctx.path('assets/upload-batch'), {
      body: parts,
      headers: { 'content-type': 'application/vnd.coffer.chunk-batch' },
      maxBytes: 1024 * 1024,
    });
    this.counters.uploads += chunks.length;
    this.counters.uploadedBytes += bytes;
  }

  /** One chunk's ciphertext as the server stores it (the caller verifies it: AEAD); `allocate` may recycle buffers. */
  async download(chunkId: string, allocate?: (size: number) => Uint8Array): Promise<Uint8Array> {
    const bytes = await this.ctx.transport.bytes('GET', this.ctx.path(`assets/download?chunkId=${chunkId}`), { maxBytes: MAX_DOWNLOAD_BYTES, ...(allocate === undefined ? {} : { allocate }) });
    this.counters.downloads++;
    this.counters.downloadedBytes += bytes.length;
    return bytes;
  }

  /** Asks the server to collect garbage now (chunks still within their grace period stay). */
  gc(): Promise<GarbageCollectionReport> {
    return this.ctx.post<GarbageCollectionReport>('assets/gc', {});
  }

  /** A fetcher of many chunks per request (`assets/fetch`, chunk-fetcher.ts); it counts into `counters`. */
  chunkFetcher(options: ChunkFetcherOptions = {}): ChunkFetcher {
    return new ChunkFetcher(this.ctx, options, this.counters);
  }
}
