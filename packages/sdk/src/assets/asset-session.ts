/**
 * `AssetSession`: uploads and downloads of chunked, keyed-convergent assets for one
 * private database (docs/ASSETS.md). `db.uploadAsset` / `db.downloadAsset` use it for one
 * file; Drive and Backup use it directly for many files at once:
 *
 *   files ─read─▶ FastCDC (secret gear) ─▶ chunk crypto: SHA-256 → keyed id + key, pad, AES-GCM
 *         (worker pool, or this thread: asset-engine.ts) ─▶ ChunkUploader: assets/missing
 *         per batch ─▶ assets/upload of the missing ones, several in flight
 *
 * One pipeline spans all the files of a call, so small files do not each pay a
 * round-trip and the pipeline never drains between files. Nothing is held per file but
 * its chunk refs. Downloads fetch a few chunks ahead, verify and decrypt each, and yield
 * plaintext strictly in order: a corrupted, truncated or swapped chunk throws
 * `DecryptionError` before any of its bytes are released.
 */
import { assetChunkCiphertextSize, chunkIdToString, decryptAssetChunk, type AssetChunkRef, type AssetManifest, type SymmetricKey } from '@coffer/crypto';
import type { PooledChunk, RepeatedChunk } from '@coffer/assets';
import type { DatabaseContext } from '../database-context.js';
import { InvalidArgumentError } from '../errors.js';
import { AssetApi, type GarbageCollectionReport } from './asset-api.js';
import { assetEngine, assetsModule, decryptionPool, type AssetEngine } from './asset-engine.js';
import { storedSizeOf } from './asset-seal.js';
import { CofferAsset } from './asset-value.js';
import { FileChunker } from './file-chunker.js';
import { ChunkUploader, type ChunkUploaderOptions, type UploadChunk, type UploadStats } from './chunk-uploader.js';
import type { ChunkFetcherOptions, OpenedChunk } from './chunk-fetcher.js';
import { poolOpenerIfParallel } from './chunk-opener.js';

/** A file path (Node), bytes, or a stream of bytes. */
export type AssetSource = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface UploadAssetOptions {
  /** Stored encrypted in the manifest; default the file's base name for a path, else ''. */
  fileName?: string;
  /** MIME type, stored encrypted in the manifest; default ''. */
  contentType?: string;
  /** Plaintext bytes processed so far (for progress bars). */
  onProgress?: (bytes: number) => void;
}

export interface UploadFilesOptions<T> {
  /** Plaintext bytes processed so far, over all files. */
  onProgress?: (bytes: number) => void;
  /**
   * A file that could not be read (vanished, no permission, …). Return to skip it; throw
   * to abort. Default: abort.
   */
  onError?: (file: T, error: unknown) => void | Promise<void>;
  uploader?: ChunkUploaderOptions;
  /** Total plaintext bytes, when known: small jobs are encrypted on this thread (no worker start-up). */
  expectedBytes?: number;
}

/** The largest Asset chunk v1 ciphertext (a 4 MiB chunk). */
const MAX_CHUNK_CIPHERTEXT = assetChunkCiphertextSize(4 * 1024 * 1024);

/** Up to this many bytes, encrypting on the calling thread beats starting the worker pool. */
const INLINE_MAX_BYTES = 8 * 1024 * 1024;

export interface DownloadOptions {
  /** Chunks fetched ahead (default 6). */
  window?: number;
}

type Item<T> =
  | { file: T; plain: Uint8Array }
  | { file: T; end: true }
  | { file: T; failed: unknown };

type Done<T> =
  | { file: T; chunk: PooledChunk | RepeatedChunk }
  | { file: T; end: true }
  | { file: T; failed: unknown };

export class AssetSession {
  readonly api: AssetApi;
  readonly #keychainKey: () => Promise<SymmetricKey>;
  #engine: Promise<AssetEngine> | undefined;
  /** Download buffers to reuse, and the scratch of inline decryption (one at a time: it is synchronous). */
  readonly #freeDownloads: ArrayBuffer[] = [];
  #scratch = new Uint8Array(0);

  /** @internal Use `db.assets()`. */
  constructor(ctx: DatabaseContext, keychainKey: () => Promise<SymmetricKey>) {
    this.api = new AssetApi(ctx);
    this.#keychainKey = keychainKey;
  }

  /** The chunker and pool of this account's asset secrets (needs the keychain key: a trusted device). */
  engine(): Promise<AssetEngine> {
    this.#engine ??= this.#keychainKey().then(assetEngine);
    this.#engine.catch(() => {
      this.#engine = undefined;
    });
    return this.#engine;
  }

  /** Chunks, encrypts and uploads one file or stream; the result goes in an ASSET field. */
  async upload(source: AssetSource, options: UploadAssetOptions = {}): Promise<CofferAsset> {
    const fileName = options.fileName ?? (typeof source === 'string' ? (source.split(/[\\/]/).pop() ?? '') : '');
    let asset: CofferAsset | undefined;
    await this.uploadFiles([source], (s) => s, (_file, chunks) => {
      asset = assetOf(chunks, { fileName, contentType: options.contentType ?? '' });
    }, {
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(source instanceof Uint8Array ? { expectedBytes: source.length } : typeof source === 'string' ? { expectedBytes: await fileSize(source) } : {}),
    });
    if (asset === undefined) throw new InvalidArgumentError('nothing was uploaded');
    return asset;
  }

  /**
   * Uploads many files in one pipeline. `onFile` gets each file's chunk refs, in order,
   * once all its chunks are encrypted (they are stored once this call resolves).
   */
  async uploadFiles<T>(
    files: Iterable<T> | AsyncIterable<T>,
    sourceOf: (file: T) => AssetSource,
    onFile: (file: T, chunks: AssetChunkRef[]) => void | Promise<void>,
    options: UploadFilesOptions<T> = {},
  ): Promise<UploadStats> {
    const engine = await this.engine();
    const { chunker } = engine;
    const pool = options.expectedBytes !== undefined && options.expectedBytes <= INLINE_MAX_BYTES ? engine.inline : await engine.pool();
    const { inOrder } = await assetsModule();
    const splitter = new FileChunker(chunker, (size, phase) => pool.allocatePlaintext(size, phase));
    const input = (source: AssetSource): string | AsyncIterable<Uint8Array> => (source instanceof Uint8Array ? single(source) : source);

    async function* items(): AsyncGenerator<Item<T>> {
      for await (const file of files) {
        try {
          for await (const plain of splitter.chunks(input(sourceOf(file)))) yield { file, plain };
        } catch (failed) {
          yield { file, failed };
          continue;
        }
        yield { file, end: true };
      }
    }
    // Repeats of a chunk already encrypted in this call are hashed only (encryptOrSkip).
    const session = ++uploadSessions;
    const work = async (item: Item<T>): Promise<Done<T>> => ('plain' in item ? { file: item.file, chunk: await pool.encryptOrSkip(item.plain, session) } : item);

    const uploader = new ChunkUploader(this.api, { release: (c) => { pool.release(c); }, ...options.uploader });
    let refs: AssetChunkRef[] = [];
    let processed = 0;
    // Two chunks per worker in flight keeps every core busy while this thread reads and chunks.
    for await (const done of inOrder(items(), work, Math.max(2, 2 * pool.size + 1))) {
      if ('chunk' in done) {
        const { chunk } = done;
        refs.push({ id: chunk.id, key: chunk.key, size: chunk.size });
        processed += chunk.size;
        options.onProgress?.(processed);
        if ('repeat' in chunk) uploader.addRepeat(chunkIdToString(chunk.id));
        else await uploader.add(uploadChunkOf(chunk));
      } else if ('end' in done) {
        const chunks = refs;
        refs = [];
        await onFile(done.file, chunks);
      } else {
        refs = [];
        if (options.onError === undefined) throw done.failed;
        await options.onError(done.file, done.failed);
      }
    }
    await uploader.flush();
    return uploader.stats;
  }

  /** One chunk, fetched, verified and decrypted. @throws DecryptionError on a corrupted or swapped chunk. */
  async openChunk(ref: AssetChunkRef): Promise<Uint8Array> {
    const pool = await decryptionPool();
    if (pool.size > 0) return pool.decrypt(ref, await this.api.download(chunkIdToString(ref.id)));
    // Inline: download buffers and the decryption scratch are recycled (restores move GBs).
    const ciphertext = await this.api.download(chunkIdToString(ref.id), (size) => this.#downloadBuffer(size));
    try {
      if (this.#scratch.length < ciphertext.length) this.#scratch = new Uint8Array(ciphertext.length);
      return decryptAssetChunk(ref, ciphertext, this.#scratch);
    } finally {
      if (this.#freeDownloads.length < 16 && ciphertext.byteOffset === 0) this.#freeDownloads.push(ciphertext.buffer as ArrayBuffer);
    }
  }

  #downloadBuffer(size: number): Uint8Array {
    const index = this.#freeDownloads.findIndex((b) => b.byteLength >= size);
    const buffer = index < 0 ? new ArrayBuffer(Math.max(size, MAX_CHUNK_CIPHERTEXT)) : this.#freeDownloads.splice(index, 1)[0]!;
    return new Uint8Array(buffer, 0, size);
  }

  /** The plaintext of `chunks`, in order, verified chunk by chunk. */
  async *download(chunks: readonly AssetChunkRef[], options: DownloadOptions = {}): AsyncGenerator<Uint8Array> {
    const { inOrder } = await assetsModule();
    yield* inOrder(chunks, (ref) => this.openChunk(ref), options.window ?? 6);
  }

  /**
   * Each distinct chunk of `refs` once, fetched many per request (`assets/fetch`), verified
   * and decrypted — in arrival order, not `refs` order (restores place chunks by offset).
   * Release each chunk when done with its plaintext. Decrypts on this thread with recycled
   * buffers, or on the worker pool where it has two workers or more (chunk-opener.ts).
   */
  async *openChunks(refs: Iterable<AssetChunkRef>, options: ChunkFetcherOptions = {}): AsyncGenerator<OpenedChunk> {
    const opener = options.opener ?? await poolOpenerIfParallel();
    yield* this.api.chunkFetcher({ ...options, ...(opener === undefined ? {} : { opener }) }).open(refs);
  }

  /** Which of these chunk ids the server lacks (and a lease on the others until the grace period ends). */
  missing(chunkIds: readonly string[]): Promise<string[]> {
    return this.api.missing(chunkIds);
  }

  /** Asks the server to collect unreferenced chunks now. */
  collectGarbage(): Promise<GarbageCollectionReport> {
    return this.api.gc();
  }
}

/**
 * The ASSET field value of a file whose chunks `uploadFiles` stored (for callers that
 * upload many files in one pipeline and save one record per file).
 */
export function assetOf(chunks: readonly AssetChunkRef[], meta: { fileName?: string; contentType?: string } = {}): CofferAsset {
  const manifest: AssetManifest = {
    fileSize: chunks.reduce((n, c) => n + c.size, 0), contentType: meta.contentType ?? '', fileName: meta.fileName ?? '', chunks: [...chunks],
  };
  const ids = chunks.map((c) => chunkIdToString(c.id));
  return new CofferAsset(manifest, [...new Set(ids)], storedSizeOf(chunks.map((c, i) => ({ id: ids[i]!, size: c.size }))));
}

function uploadChunkOf(chunk: PooledChunk): UploadChunk & PooledChunk {
  return Object.assign(chunk, { idText: chunkIdToString(chunk.id) });
}

/** A file's size (Node; loaded lazily so the SDK index stays loadable in browsers). */
async function fileSize(path: string): Promise<number> {
  fsModule ??= import('node:fs/promises');
  return (await (await fsModule).stat(path)).size;
}

let fsModule: Promise<typeof import('node:fs/promises')> | undefined;
/** Numbers uploadFiles calls: the session of encryptOrSkip. */
let uploadSessions = 0;

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  // Yield a copy in 1 MiB pieces: the splitter copies them, the caller keeps its buffer.
  for (let i = 0; i < bytes.length; i += 1 << 20) {
    await Promise.resolve();
    yield bytes.subarray(i, i + (1 << 20));
  }
}
