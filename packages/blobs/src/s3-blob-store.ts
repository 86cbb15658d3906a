/**
 * S3-compatible object-storage adapter (AWS S3, MinIO, Ceph RGW, Garage, R2, s3rver…).
 * A blob is the object `<keyPrefix><id>`. PutObject and CompleteMultipartUpload are
 * atomic on every S3 implementation: an object appears whole or not at all.
 *
 * Checksums: the SDK's default since 2025 (`requestChecksumCalculation: WHEN_SUPPORTED`)
 * sends CRC32 trailers over aws-chunked encoding that many S3-compatible servers reject;
 * `WHEN_REQUIRED` keeps plain Content-MD5/SigV4-signed bodies that every one accepts. The
 * layers above verify content themselves (SHA-256 of the ciphertext on upload, AEAD on read).
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
  S3Client, UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  assertBlobId, assertListOptions, BlobNotFoundError, BlobTooLargeError,
  type BlobListOptions, type BlobListPage, type BlobReadStream, type BlobSource, type BlobStat, type BlobStore,
} from './blob-store.js';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every id to form the object key, e.g. `coffer/blobs/`. Default none. */
  keyPrefix?: string;
  /** e.g. `http://127.0.0.1:9000`; omit for AWS. */
  endpoint?: string;
  /** Default `us-east-1` (most S3-compatible servers ignore it but SigV4 needs one). */
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (`endpoint/bucket/key`); default true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** A ready client instead of the options above (the store then does not destroy it on close). */
  client?: S3Client;
  /** Streams longer than this go up as a multipart upload of parts this size. Default 8 MiB (S3's minimum part is 5 MiB). */
  partSize?: number;
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(error) === 404;
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #partSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.keyPrefix = options.keyPrefix ?? '';
    this.#partSize = options.partSize ?? 8 * 1024 * 1024;
    if (this.#partSize < 5 * 1024 * 1024) throw new RangeError('S3 multipart parts must be at least 5 MiB');
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      const config: S3ClientConfig = {
        region: options.region ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      };
      if (options.endpoint !== undefined) config.endpoint = options.endpoint;
      if (options.credentials !== undefined) config.credentials = options.credentials;
      this.#client = new S3Client(config);
      this.#ownsClient = true;
    }
  }

  #key(id: string): string {
    return `${this.keyPrefix}${id}`;
  }

  /** Creates the bucket if it does not exist (for the embedded/dev setup and tests). */
  async ensureBucket(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.#client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async put(id: string, data: BlobSource): Promise<BlobStat> {
    assertBlobId(id);
    if (data instanceof Uint8Array) {
      await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.#key(id), Body: data, ContentLength: data.byteLength }));
      return { id, size: data.byteLength };
    }
    if (Array.isArray(data)) {
      const list = data as readonly Uint8Array[];
      if (list.length === 1) return this.put(id, list[0]!);
      const total = list.reduce((n, part) => n + part.byteLength, 0);
      // Short lists (a chunk) become one PutObject body; longer ones stream into parts.
      if (total < this.#partSize) return this.put(id, Buffer.concat(list, total));
    }
    // Buffer up to one part; a stream that ends within it is a single PutObject.
    const parts = partsOf(data as AsyncIterable<Uint8Array> | readonly Uint8Array[], this.#partSize);
    const first = await parts.next();
    const firstPart = first.done === true ? new Uint8Array(0) : first.value;
    if (firstPart.byteLength < this.#partSize) {
      return this.put(id, firstPart);
    }
    return this.#putMultipart(id, firstPart, parts);
  }

  async #putMultipart(id: string, firstPart: Uint8Array, rest: AsyncIterator<Uint8Array>): Promise<BlobStat> {
    const key = this.#key(id);
    const created = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error('S3 CreateMultipartUpload returned no UploadId');
    const completed: { ETag: string; PartNumber: number }[] = [];
    let size = 0;
    try {
      let part: Uint8Array | undefined = firstPart;
      while (part !== undefined) {
        const PartNumber = completed.length + 1;
        const result = await this.#client.send(new UploadPartCommand({
          Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: part, ContentLength: part.byteLength,
        }));
        if (result.ETag === undefined) throw new Error('S3 UploadPart returned no ETag');
        completed.push({ ETag: result.ETag, PartNumber });
        size += part.byteLength;
        const next = await rest.next();
        part = next.done === true || next.value.byteLength === 0 ? undefined : next.value;
      }
      await this.#client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed },
      }));
    } catch (error) {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
    return { id, size };
  }

  async get(id: string): Promise<Uint8Array> {
    const { stream } = await this.getStream(id);
    const pieces: Buffer[] = [];
    for await (const piece of stream) pieces.push(piece as Buffer);
    const joined = Buffer.concat(pieces);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }

  async getStream(id: string): Promise<BlobReadStream> {
    const { size, stream } = await this.#getObject(id);
    return { size: size ?? 0, stream };
  }

  /** GetObject as a Node stream and its ContentLength (when the server sent one). */
  async #getObject(id: string): Promise<{ size: number | undefined; stream: Readable }> {
    assertBlobId(id);
    try {
      const result = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(id) }));
      const body = result.Body;
      if (body === undefined) throw new Error('S3 GetObject returned no body');
      // In Node the SDK's body is an http.IncomingMessage (a Readable) mixed with helpers.
      const stream = body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      return { size: result.ContentLength, stream };
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(id);
      throw error;
    }
  }

  async getInto(id: string, target: Uint8Array): Promise<number> {
    const { size, stream } = await this.#getObject(id);
    try {
      // ContentLength first: a blob that cannot fit is refused before any byte is read.
      if (size !== undefined && size > target.byteLength) throw new BlobTooLargeError(id, target.byteLength, size);
      const limit = size ?? target.byteLength;
      let filled = 0;
      for await (const piece of stream as AsyncIterable<Uint8Array>) {
        // A body longer than announced (or than the target, when nothing was announced)
        // would write past what the caller gave us or report a size that is not the blob's.
        if (piece.byteLength > limit - filled) {
          if (size === undefined) throw new BlobTooLargeError(id, target.byteLength);
          throw new Error(`blob ${JSON.stringify(id)} changed size while it was being read (more than ${size} bytes)`);
        }
        target.set(piece, filled);
        filled += piece.byteLength;
      }
      if (size !== undefined && filled !== size) throw new Error(`blob ${JSON.stringify(id)} changed size while it was being read (${filled} of ${size} bytes)`);
      return filled;
    } finally {
      // Ended already after a whole read; on an early exit this releases the connection.
      stream.destroy();
    }
  }

  async stat(id: string): Promise<BlobStat | undefined> {
    assertBlobId(id);
    try {
      const result = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(id) }));
      return { id, size: result.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async has(id: string): Promise<boolean> {
    return (await this.stat(id)) !== undefined;
  }

  async delete(id: string): Promise<void> {
    assertBlobId(id);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(id) }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async list(options: BlobListOptions = {}): Promise<BlobListPage> {
    const { prefix, startAfter, limit } = assertListOptions(options);
    const result = await this.#client.send(new ListObjectsV2Command({
      Bucket: this.bucket,
      Prefix: this.#key(prefix),
      MaxKeys: limit,
      ...(startAfter === undefined ? {} : { StartAfter: this.#key(startAfter) }),
    }));
    const items: BlobStat[] = [];
    for (const object of result.Contents ?? []) {
      const key = object.Key;
      if (key === undefined || !key.startsWith(this.keyPrefix)) continue;
      items.push({ id: key.slice(this.keyPrefix.length), size: object.Size ?? 0 });
    }
    const last = items.at(-1);
    return result.IsTruncated === true && last !== undefined ? { items, next: last.id } : { items };
  }

  close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
    return Promise.resolve();
  }
}

/** Re-cuts a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* partsOf(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(size);
  let filled = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.byteLength) {
      const take = Math.min(size - filled, piece.byteLength - offset);
      buffer.set(piece.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield buffer;
        buffer = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}
