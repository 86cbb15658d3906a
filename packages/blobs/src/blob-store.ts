/**
 * The blob-store port: a flat namespace of immutable-by-convention byte strings, keyed by
 * ids the caller chooses. All crypto lives above this layer (restic's `backend.Backend`
 * shape): a store only moves opaque bytes, so one contract suite (test/blob-store-contract.ts)
 * checks every adapter the same way.
 */
import type { Readable } from 'node:stream';

/**
 * A blob's body when writing: whole bytes, the bytes as a list of parts (written in order
 * without joining them — e.g. a chunk still in the network buffers it arrived in), or a
 * stream of pieces (a Node Readable works).
 */
export type BlobSource = Uint8Array | readonly Uint8Array[] | AsyncIterable<Uint8Array>;

export interface BlobStat {
  readonly id: string;
  /** Bytes stored. */
  readonly size: number;
}

export interface BlobListOptions {
  /** Only ids that start with this string. */
  prefix?: string;
  /** Only ids strictly after this one (a page's `next`). */
  startAfter?: string;
  /** Page size, 1–1000; default 1000. */
  limit?: number;
}

export interface BlobListPage {
  /** Ascending by id (code-unit order, which for the id alphabet is byte order). */
  readonly items: BlobStat[];
  /** Pass as `startAfter` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface BlobReadStream {
  readonly size: number;
  readonly stream: Readable;
}

export interface BlobStore {
  /** `file` or `s3`, for logs and the operator's status page. */
  readonly kind: string;
  /**
   * Stores `data` under `id`, replacing any blob there. Atomic: readers see the old blob
   * or the whole new one, never a prefix; a put that fails (or whose source stream throws)
   * leaves the previous state. Resolves only once the blob is durable.
   */
  put(id: string, data: BlobSource): Promise<BlobStat>;
  /** The whole blob. Throws {@link BlobNotFoundError} when there is none. */
  get(id: string): Promise<Uint8Array>;
  /**
   * The blob as a stream. Throws {@link BlobNotFoundError} before returning when there is
   * none, so an HTTP handler can still answer 404 instead of a broken body.
   */
  getStream(id: string): Promise<BlobReadStream>;
  /**
   * Reads the whole blob into the start of `target` (which may be a view at any offset of
   * a larger buffer) and resolves with its size: for callers that recycle one buffer over
   * many reads instead of allocating per read. Bytes of `target` past the size are
   * untouched. Throws {@link BlobNotFoundError} before writing anything when there is no
   * blob, and {@link BlobTooLargeError} when the blob does not fit — never a success with a
   * truncated read. On any error the contents of `target` are unspecified. The store does
   * not touch `target` once the promise has settled.
   */
  getInto(id: string, target: Uint8Array): Promise<number>;
  /** Size of the blob, or `undefined` when there is none. */
  stat(id: string): Promise<BlobStat | undefined>;
  has(id: string): Promise<boolean>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(id: string): Promise<void>;
  /** One page of ids in ascending order. Every id present for the whole listing appears exactly once. */
  list(options?: BlobListOptions): Promise<BlobListPage>;
  /** Releases clients/handles. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** `get`/`getStream`/`getInto` of an id with no blob. */
export class BlobNotFoundError extends Error {
  readonly code = 'BLOB_NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super(`blob ${JSON.stringify(id)} not found`);
    this.name = 'BlobNotFoundError';
    this.id = id;
  }
}

/** `getInto` of a blob larger than its target: the caller needs a bigger target (the read reported nothing). */
export class BlobTooLargeError extends Error {
  readonly code = 'BLOB_TOO_LARGE';
  readonly id: string;
  /** The blob's size, when the store knew it before reading (the file adapter always; S3 when it sent a length). */
  readonly size: number | undefined;
  /** Bytes the target had room for. */
  readonly capacity: number;
  constructor(id: string, capacity: number, size?: number) {
    super(`blob ${JSON.stringify(id)} is ${size === undefined ? 'larger than' : `${size} bytes, more than`} the ${capacity} bytes its target holds`);
    this.name = 'BlobTooLargeError';
    this.id = id;
    this.size = size;
    this.capacity = capacity;
  }
}

/** An id outside the blob-id syntax (see {@link assertBlobId}). */
export class BlobIdError extends TypeError {
  readonly code = 'BLOB_ID_INVALID';
  constructor(id: string) {
    super(`invalid blob id ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)}: expected 2–256 of [A-Za-z0-9._-], not starting with "."`);
    this.name = 'BlobIdError';
  }
}

export function isBlobNotFound(error: unknown): error is BlobNotFoundError {
  return error instanceof BlobNotFoundError;
}

export function isBlobTooLarge(error: unknown): error is BlobTooLargeError {
  return error instanceof BlobTooLargeError;
}

/**
 * Blob ids are 2–256 characters of `[A-Za-z0-9._-]` and do not start with `.` (names
 * starting with `.` are the file adapter's temporary files). The alphabet is safe as a file
 * name and as an S3 key on every platform, and its code-unit order equals byte order, so
 * both adapters list in the same order. The file adapter shards on the first
 * character: ids should start with random-looking characters (chunk ids do).
 */
const BLOB_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{1,255}$/;

export function isBlobId(id: unknown): id is string {
  return typeof id === 'string' && BLOB_ID.test(id);
}

export function assertBlobId(id: string): void {
  if (!isBlobId(id)) throw new BlobIdError(id);
}

/** Prefixes and cursors use the same alphabet but may be empty or short. */
export function assertListOptions(options: BlobListOptions): { prefix: string; startAfter: string | undefined; limit: number } {
  const prefix = options.prefix ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(prefix) || prefix.length > 256) throw new BlobIdError(prefix);
  if (options.startAfter !== undefined && !/^[A-Za-z0-9._-]{1,256}$/.test(options.startAfter)) throw new BlobIdError(options.startAfter);
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`list limit must be an integer in 1..1000, got ${limit}`);
  return { prefix, startAfter: options.startAfter, limit };
}

/** Every blob whose id starts with `prefix`, page by page. */
export async function* listAll(store: BlobStore, prefix = ''): AsyncGenerator<BlobStat> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list({ prefix, ...(startAfter === undefined ? {} : { startAfter }) });
    yield* page.items;
    if (page.next === undefined) return;
    startAfter = page.next;
  }
}

/** Reads a stream to one buffer (for `get` on adapters that only stream). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of source) {
    parts.push(part);
    total += part.byteLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
